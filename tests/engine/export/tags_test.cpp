// Delivery tags, read back by readers that share no code with the writers:
// ffprobe (ffmpeg's demuxers), metaflac (libFLAC), libsndfile's
// sf_get_string, and byte offsets taken from the specifications (ID3v2.4,
// EBU Tech 3285) in this file. Tagging must leave the audio untouched: ffmpeg
// decodes the same samples before and after, without a complaint.
#include <gtest/gtest.h>

#include <cstdlib>
#include <fstream>

#include <sndfile.h>

#include "engine/audio/audio_file.h"
#include "engine/export/metadata.h"
#include "engine/export/tags.h"
#include "tests/support/codec_oracle.h"
#include "tests/support/test_support.h"

namespace sf {
namespace {

using test::TempDir;

// Quotes, an ampersand, accents, a dash, a symbol outside latin-1 (U+2713)
// and one outside the BMP (U+1F3B5): every text field carries some.
DeliveryMetadata full_metadata() {
    DeliveryMetadata md;
    md.title = "T\xc3\xa9st \"Quoted\" \xe2\x80\x94 \xe2\x9c\x93";
    md.artist = "\xc3\x84rtist & Co";
    md.album = "Album \"X\" \xf0\x9f\x8e\xb5";
    md.year = "2026";
    md.track = 7;
    md.composer = "C\xc3\xb6mposer O'Brien";
    md.copyright = "2026 Label \"Q\"";
    md.isrc = "USS1Z9900001";
    md.date = "2026-03-14T15:09:26";
    return md;
}

std::string file_bytes(const std::filesystem::path& f) {
    std::ifstream in(f, std::ios::binary);
    return {std::istreambuf_iterator<char>(in), std::istreambuf_iterator<char>{}};
}

struct TagCase {
    const char* name;
    ExportFormat format;
    const char* ext;
};

void PrintTo(const TagCase& c, std::ostream* os) { *os << c.name; }

// A short stereo programme written by the export writer (as a render does).
std::filesystem::path write_programme(const TempDir& dir, const TagCase& tc, int64_t frames = 24000) {
    WriteSpec ws;
    ws.format = tc.format;
    ws.sample_rate = 48000;
    ws.channels = 2;
    ws.bit_depth = tc.format == ExportFormat::Flac ? 24 : 24;
    if (tc.format == ExportFormat::Bwf) ws.bext = BextLoudness{-23.0, 5.5, -1.5, -20.0, -21.0};
    const auto file = dir / (std::string("x.") + tc.ext);
    auto w = AudioFileWriter::create(file, ws);
    EXPECT_TRUE(w) << w.error().message;
    if (!w) return file;
    const AudioBuffer b = test::sine(2, frames, 48000, 997.0, 0.25);
    EXPECT_TRUE(w->write(b, frames));
    EXPECT_TRUE(w->commit());
    return file;
}

class Tags : public ::testing::TestWithParam<TagCase> {};

// Where each format's fields land in ffprobe's view (docs/delivery.md).
std::map<std::string, std::string> expected_ffprobe_tags(ExportFormat f, const DeliveryMetadata& md) {
    switch (f) {
        case ExportFormat::Flac:
        case ExportFormat::Ogg:
        case ExportFormat::Opus:
            return {{"title", md.title}, {"artist", md.artist}, {"album", md.album}, {"date", md.year}, {"track", "7"},
                    {"composer", md.composer}, {"copyright", md.copyright}, {"isrc", md.isrc}};
        case ExportFormat::Mp3:
            return {{"title", md.title}, {"artist", md.artist}, {"album", md.album}, {"date", md.year}, {"track", "7"},
                    {"composer", md.composer}, {"copyright", md.copyright}, {"tsrc", md.isrc}};
        case ExportFormat::Wav:
        case ExportFormat::Rf64:
            // LIST/INFO: INAM IART IPRD ICRD ITRK IMUS ICOP. (ffmpeg reads
            // the id3 chunk only when there is no INFO: mutagen checks it.)
            return {{"title", md.title}, {"artist", md.artist}, {"album", md.album}, {"date", md.year}, {"track", "7"},
                    {"imus", md.composer}, {"copyright", md.copyright}};
        case ExportFormat::Bwf:
            // INFO as above; ffmpeg names bext's description "comment" and its
            // originator "encoded_by" (its origination date is shadowed by ICRD).
            return {{"title", md.title}, {"artist", md.artist}, {"album", md.album}, {"date", md.year}, {"track", "7"},
                    {"imus", md.composer}, {"copyright", md.copyright}, {"comment", "T?st \"Quoted\" ? ?"},
                    {"encoded_by", "Stemforge"}, {"creation_time", "15:09:26"}};
        case ExportFormat::Aiff:
            // NAME, AUTH ("author" in ffmpeg), "(c) " and the ID3 chunk.
            return {{"title", md.title}, {"author", md.artist}, {"artist", md.artist}, {"album", md.album}, {"date", md.year},
                    {"track", "7"}, {"composer", md.composer}, {"copyright", md.copyright}, {"tsrc", md.isrc}};
    }
    return {};
}

TEST_P(Tags, EveryFieldReadsBackWithFfprobeAndTheAudioIsUntouched) {
    const TagCase& tc = GetParam();
    TempDir dir;
    const auto file = write_programme(dir, tc);
    const AudioBuffer before = test::ffmpeg_decode(file);
    const DeliveryMetadata md = full_metadata();
    auto ok = write_tags(file, tc.format, md);
    ASSERT_TRUE(ok) << ok.error().message;

    const auto tags = test::ffprobe_tags(file);
    for (const auto& [key, value] : expected_ffprobe_tags(tc.format, md)) {
        auto it = tags.find(key);
        ASSERT_NE(it, tags.end()) << tc.name << ": ffprobe shows no \"" << key << "\"";
        EXPECT_EQ(it->second, value) << tc.name << ": " << key;
    }

    // The ID3 tag (MP3) or chunk (WAV, BWF, AIFF), as mutagen reads it.
    if (tc.format == ExportFormat::Mp3 || tc.format == ExportFormat::Wav || tc.format == ExportFormat::Bwf ||
        tc.format == ExportFormat::Aiff) {
        const auto id3 = test::mutagen_id3(file);
        const std::map<std::string, std::string> expected{{"version", "2.4.0"}, {"TIT2", md.title},     {"TPE1", md.artist},
                                                          {"TALB", md.album},    {"TDRC", "2026"},      {"TRCK", "7"},
                                                          {"TCOM", md.composer}, {"TCOP", md.copyright}, {"TSRC", md.isrc}};
        EXPECT_EQ(id3, expected) << tc.name;
    }

    // ffmpeg decodes the same samples, and says nothing (-v error): CRCs,
    // chunk sizes and page numbers are consistent.
    auto r = test::run_command({"ffmpeg", "-v", "error", "-nostdin", "-i", file.string(), "-f", "null", "-"});
    EXPECT_EQ(r.exit_code, 0);
    EXPECT_EQ(r.err, "") << tc.name;
    const AudioBuffer after = test::ffmpeg_decode(file);
    ASSERT_EQ(after.frames(), before.frames());
    ASSERT_EQ(after.channels(), before.channels());
    EXPECT_EQ(after.raw(), before.raw()) << tc.name << ": tagging changed the audio";
    // And libsndfile (which a render reads with) still opens it to the frame.
    auto probe = probe_audio(file);
    ASSERT_TRUE(probe) << probe.error().message;
    EXPECT_EQ(probe->frames, 24000);
}

INSTANTIATE_TEST_SUITE_P(Formats, Tags,
                         ::testing::Values(TagCase{"wav", ExportFormat::Wav, "wav"}, TagCase{"bwf", ExportFormat::Bwf, "wav"},
                                           TagCase{"rf64", ExportFormat::Rf64, "rf64"}, TagCase{"aiff", ExportFormat::Aiff, "aiff"},
                                           TagCase{"flac", ExportFormat::Flac, "flac"}, TagCase{"mp3", ExportFormat::Mp3, "mp3"},
                                           TagCase{"opus", ExportFormat::Opus, "opus"}, TagCase{"ogg", ExportFormat::Ogg, "ogg"}),
                         [](const auto& info) { return std::string(info.param.name); });

TEST(Tags, FlacReadsBackWithMetaflac) {
    TempDir dir;
    const auto file = write_programme(dir, {"flac", ExportFormat::Flac, "flac"});
    const DeliveryMetadata md = full_metadata();
    ASSERT_TRUE(write_tags(file, ExportFormat::Flac, md));
    const auto tags = test::metaflac_tags(file);
    const std::multimap<std::string, std::string> expected{{"TITLE", md.title},       {"ARTIST", md.artist},     {"ALBUM", md.album},
                                                           {"DATE", "2026"},          {"TRACKNUMBER", "7"},      {"COMPOSER", md.composer},
                                                           {"COPYRIGHT", md.copyright}, {"ISRC", "USS1Z9900001"}};
    EXPECT_EQ(tags, expected);
    // Tagging twice replaces, never doubles.
    DeliveryMetadata other = md;
    other.title = "Second";
    ASSERT_TRUE(write_tags(file, ExportFormat::Flac, other));
    const auto again = test::metaflac_tags(file);
    EXPECT_EQ(again.count("TITLE"), 1u);
    EXPECT_EQ(again.find("TITLE")->second, "Second");
    EXPECT_EQ(again.size(), expected.size());
}

TEST(Tags, WavInfoReadsBackWithLibsndfile) {
    TempDir dir;
    const auto file = write_programme(dir, {"wav", ExportFormat::Wav, "wav"});
    const DeliveryMetadata md = full_metadata();
    ASSERT_TRUE(write_tags(file, ExportFormat::Wav, md));
    SF_INFO info{};
    SNDFILE* f = sf_open(file.c_str(), SFM_READ, &info);
    ASSERT_NE(f, nullptr);
    auto str = [&](int type) {
        const char* s = sf_get_string(f, type);
        return s ? std::string(s) : std::string("(none)");
    };
    EXPECT_EQ(str(SF_STR_TITLE), md.title);
    EXPECT_EQ(str(SF_STR_ARTIST), md.artist);
    EXPECT_EQ(str(SF_STR_ALBUM), md.album);
    EXPECT_EQ(str(SF_STR_DATE), "2026");
    EXPECT_EQ(str(SF_STR_COPYRIGHT), md.copyright);
    EXPECT_EQ(str(SF_STR_TRACKNUMBER), "7");
    EXPECT_EQ(info.frames, 24000);
    sf_close(f);
}

// ID3v2.4 (id3v2.4.0-structure): "ID3", version 4.0, flags, a syncsafe size,
// then frames with syncsafe sizes; text encoding 3 is UTF-8.
TEST(Tags, Mp3CarriesOneConformantId3v24TagAtTheStart) {
    TempDir dir;
    const auto file = write_programme(dir, {"mp3", ExportFormat::Mp3, "mp3"});
    DeliveryMetadata md = full_metadata();
    md.copyright = "Label";  // no year in front: ID3 needs one (4.2.1 TCOP)
    ASSERT_TRUE(write_tags(file, ExportFormat::Mp3, md));
    const std::string b = file_bytes(file);
    ASSERT_GE(b.size(), 10u);
    EXPECT_EQ(b.substr(0, 5), std::string("ID3\x04\x00", 5));
    EXPECT_EQ(static_cast<unsigned char>(b[5]), 0);
    for (int i = 6; i < 10; ++i) EXPECT_LT(static_cast<unsigned char>(b[static_cast<size_t>(i)]), 0x80) << "syncsafe";
    const size_t size = (size_t(b[6]) << 21) | (size_t(b[7]) << 14) | (size_t(b[8]) << 7) | size_t(b[9]);
    // Walk the frames: each text frame starts with encoding 3.
    size_t at = 10, frames = 0;
    while (at + 10 <= 10 + size) {
        const std::string id = b.substr(at, 4);
        const size_t fs = (size_t(b[at + 4]) << 21) | (size_t(b[at + 5]) << 14) | (size_t(b[at + 6]) << 7) | size_t(b[at + 7]);
        EXPECT_EQ(id[0], 'T') << id;
        EXPECT_EQ(b[at + 10], '\x03') << id << " is not UTF-8";
        at += 10 + fs;
        ++frames;
    }
    EXPECT_EQ(at, 10 + size);
    EXPECT_EQ(frames, 8u);
    // The audio's first MPEG frame follows the tag (sync word 0xFFE).
    ASSERT_GT(b.size(), at + 2);
    EXPECT_EQ(static_cast<unsigned char>(b[at]), 0xff);
    EXPECT_EQ(static_cast<unsigned char>(b[at + 1]) & 0xe0, 0xe0);
    EXPECT_EQ(test::ffprobe_tags(file)["copyright"], "2026 Label");
    // Tagging again replaces the tag.
    ASSERT_TRUE(write_tags(file, ExportFormat::Mp3, md));
    EXPECT_EQ(file_bytes(file).size(), b.size());
    // libsndfile decodes it to the frame, still aligned behind the tag.
    AudioBuffer decoded = AudioSource::read_all(file, {}).value();
    ASSERT_EQ(decoded.frames(), 24000);
    EXPECT_EQ(test::best_lag(decoded, test::sine(2, 24000, 48000, 997.0, 0.25), 32), 0);
}

// EBU Tech 3285 v2 bext layout, offsets from the specification.
struct Bext {
    std::string description, originator, reference, date, time, coding_history;
    uint64_t time_reference = 0;
    int version = 0;
    bool umid_zero = false;
};

Bext read_bext(const std::filesystem::path& f) {
    const std::string b = file_bytes(f);
    Bext x;
    size_t at = 12;
    while (at + 8 <= b.size()) {
        const auto* p = reinterpret_cast<const unsigned char*>(b.data() + at);
        const size_t size = p[4] | (p[5] << 8) | (p[6] << 16) | (size_t(p[7]) << 24);
        if (b.compare(at, 4, "bext") == 0) {
            const std::string c = b.substr(at + 8, size);
            auto text = [&](size_t off, size_t n) { return std::string(c.substr(off, n).c_str()); };
            x.description = text(0, 256);
            x.originator = text(256, 32);
            x.reference = text(288, 32);
            x.date = c.substr(320, 10);
            x.time = c.substr(330, 8);
            for (int i = 7; i >= 0; --i) x.time_reference = (x.time_reference << 8) | static_cast<unsigned char>(c[338 + static_cast<size_t>(i)]);
            x.version = static_cast<unsigned char>(c[346]) | (static_cast<unsigned char>(c[347]) << 8);
            x.umid_zero = c.substr(348, 64) == std::string(64, '\0');
            x.coding_history = c.substr(602);
            return x;
        }
        at += 8 + size + (size & 1);
    }
    ADD_FAILURE() << "no bext chunk in " << f;
    return x;
}

TEST(Tags, BwfBextCarriesDescriptionOriginationUmidZeroAndIsrc) {
    TempDir dir;
    const auto file = write_programme(dir, {"bwf", ExportFormat::Bwf, "wav"});
    const auto loudness_before = read_bext_loudness(file).value();
    ASSERT_TRUE(write_tags(file, ExportFormat::Bwf, full_metadata()));
    const Bext x = read_bext(file);
    // Non-ASCII characters become '?': "Tést "Quoted" — ✓".
    EXPECT_EQ(x.description, "T?st \"Quoted\" ? ?");
    EXPECT_EQ(x.originator, "Stemforge");
    EXPECT_EQ(x.reference, "");
    EXPECT_EQ(x.date, "2026-03-14");
    EXPECT_EQ(x.time, "15:09:26");
    EXPECT_EQ(x.time_reference, 0u);
    EXPECT_EQ(x.version, 2);
    EXPECT_TRUE(x.umid_zero);
    EXPECT_EQ(x.coding_history, "A=PCM,F=48000,W=24,M=stereo,T=Stemforge;ISRC=USS1Z9900001\r\n");
    // The loudness fields survive the rebuild.
    const auto loudness_after = read_bext_loudness(file).value();
    EXPECT_EQ(loudness_after.integrated_lufs, loudness_before.integrated_lufs);
    EXPECT_EQ(loudness_after.max_true_peak_dbtp, -1.5);
    // ffmpeg reads the same chunk (its names: comment, encoded_by, date,
    // creation_time); without a year, no INFO ICRD shadows the date.
    const auto other = write_programme(dir, {"bwf", ExportFormat::Bwf, "wav"});
    DeliveryMetadata md = full_metadata();
    md.year.clear();
    ASSERT_TRUE(write_tags(other, ExportFormat::Bwf, md));
    auto tags = test::ffprobe_tags(other);
    EXPECT_EQ(tags["encoded_by"], "Stemforge");
    EXPECT_EQ(tags["date"], "2026-03-14");
    EXPECT_EQ(tags["creation_time"], "15:09:26");
    EXPECT_EQ(tags["time_reference"], "0");
    EXPECT_EQ(tags["coding_history"], x.coding_history);
}

// The origination date: metadata.date, else SOURCE_DATE_EPOCH, else a fixed
// date; never the clock, so two renders are byte-identical.
TEST(Tags, BwfOriginationIsReproducible) {
    DeliveryMetadata md;
    md.date = "2025-12-31";
    EXPECT_EQ(bext_origination(md)->date, "2025-12-31");
    EXPECT_EQ(bext_origination(md)->time, "00:00:00");
    md.date.clear();
    const char* saved = std::getenv("SOURCE_DATE_EPOCH");
    const std::string saved_value = saved ? saved : "";
    ::setenv("SOURCE_DATE_EPOCH", "1700000000", 1);  // 2023-11-14 22:13:20 UTC
    auto o = bext_origination(md);
    ASSERT_TRUE(o);
    EXPECT_EQ(o->date, "2023-11-14");
    EXPECT_EQ(o->time, "22:13:20");
    ::setenv("SOURCE_DATE_EPOCH", "yesterday", 1);
    EXPECT_FALSE(bext_origination(md));
    ::unsetenv("SOURCE_DATE_EPOCH");
    o = bext_origination(md);
    EXPECT_EQ(o->date, "2000-01-01");
    EXPECT_EQ(o->time, "00:00:00");
    md.date = "14/03/2026";
    ASSERT_FALSE(bext_origination(md));
    EXPECT_NE(bext_origination(md).error().message.find("metadata.date"), std::string::npos);
    if (saved) ::setenv("SOURCE_DATE_EPOCH", saved_value.c_str(), 1);

    // Two taggings of one file, minutes apart or not, are byte-identical.
    TempDir dir;
    const auto a = write_programme(dir, {"bwf", ExportFormat::Bwf, "wav"});
    const auto b = dir / "y.wav";
    std::filesystem::copy_file(a, b);
    ASSERT_TRUE(write_tags(a, ExportFormat::Bwf, full_metadata()));
    ASSERT_TRUE(write_tags(b, ExportFormat::Bwf, full_metadata()));
    EXPECT_EQ(file_bytes(a), file_bytes(b));
}

TEST(Tags, EmptyMetadataLeavesPlainFilesAlone) {
    TempDir dir;
    for (TagCase tc : {TagCase{"wav", ExportFormat::Wav, "wav"}, TagCase{"mp3", ExportFormat::Mp3, "mp3"},
                       TagCase{"aiff", ExportFormat::Aiff, "aiff"}, TagCase{"ogg", ExportFormat::Ogg, "ogg"}}) {
        const auto file = write_programme(dir, tc);
        const std::string before = file_bytes(file);
        ASSERT_TRUE(write_tags(file, tc.format, DeliveryMetadata{})) << tc.name;
        EXPECT_EQ(file_bytes(file), before) << tc.name;
    }
}

// A comment packet longer than one Ogg page (255 segments x 255 bytes): the
// header pages are laid out again and the audio pages renumbered.
TEST(Tags, OggCommentLongerThanAPageIsPagedAgain) {
    TempDir dir;
    for (TagCase tc : {TagCase{"ogg", ExportFormat::Ogg, "ogg"}, TagCase{"opus", ExportFormat::Opus, "opus"}}) {
        const auto file = write_programme(dir, tc, 96000);
        const AudioBuffer before = test::ffmpeg_decode(file);
        DeliveryMetadata md;
        md.title = std::string(70000, 'x');
        md.artist = "A";
        ASSERT_TRUE(write_tags(file, tc.format, md)) << tc.name;
        auto r = test::run_command({"ffmpeg", "-v", "error", "-nostdin", "-i", file.string(), "-f", "null", "-"});
        EXPECT_EQ(r.err, "") << tc.name;
        const auto tags = test::ffprobe_tags(file);
        EXPECT_EQ(tags.at("title").size(), 70000u) << tc.name;
        EXPECT_EQ(tags.at("artist"), "A") << tc.name;
        EXPECT_EQ(test::ffmpeg_decode(file).raw(), before.raw()) << tc.name;
        auto probe = probe_audio(file);
        ASSERT_TRUE(probe) << probe.error().message;
        EXPECT_EQ(probe->frames, 96000) << tc.name;
    }
}

TEST(Tags, AFileThatIsNotItsFormatIsAnErrorNamingIt) {
    TempDir dir;
    const auto file = dir / "not.flac";
    test::write_text(file, "hello, world");
    for (ExportFormat f : {ExportFormat::Flac, ExportFormat::Wav, ExportFormat::Aiff, ExportFormat::Ogg}) {
        auto r = write_tags(file, f, full_metadata());
        ASSERT_FALSE(r) << to_string(f);
        EXPECT_NE(r.error().message.find(file.string()), std::string::npos) << r.error().message;
    }
}

TEST(Tags, VorbisFieldsAndId3TagFollowTheMetadata) {
    DeliveryMetadata md;
    md.title = "T";
    md.track = 12;
    const auto fields = vorbis_comment_fields(md);
    ASSERT_EQ(fields.size(), 2u);
    EXPECT_EQ(fields[0], (std::pair<std::string, std::string>{"TITLE", "T"}));
    EXPECT_EQ(fields[1], (std::pair<std::string, std::string>{"TRACKNUMBER", "12"}));
    // TIT2 "T" and TRCK "12": 10 + (10 + 2) + (10 + 3) bytes.
    const std::string tag = id3v2_4_tag(md);
    EXPECT_EQ(tag.size(), 35u);
    EXPECT_EQ(tag.substr(10, 4), "TIT2");
    EXPECT_EQ(tag.substr(20, 2), "\x03T");
    EXPECT_TRUE(id3v2_4_tag(DeliveryMetadata{}).empty());
}

}  // namespace
}  // namespace sf
