// Lossy exports and delivery tags through the real binary: one render
// delivers every format, each checked by ffprobe / ffmpeg (rate, channels,
// exact length, alignment with the WAV of the same render, bit rate) and its
// tags read back by ffprobe, metaflac and mutagen; a mastered render tags
// too; `-o` with an unknown extension and a rate a codec cannot hold fail
// loudly and write nothing; two renders are byte-identical.
#include <filesystem>

#include "tests/e2e/e2e_support.h"
#include "tests/support/codec_oracle.h"

namespace sf::test {
namespace {

namespace fs = std::filesystem;
using nlohmann::json;

constexpr int kRate = 48000;
constexpr int64_t kFrames = 3 * kRate + 123;  // not a whole number of codec frames

// Quotes, apostrophes and text outside latin-1 and the BMP.
json full_metadata() {
    return {{"title", "T\xc3\xa9st \"Quoted\" \xe2\x9c\x93"},
            {"artist", "\xc3\x84rtist & Co"},
            {"album", "Album \xf0\x9f\x8e\xb5"},
            {"year", "2026"},
            {"track", 3},
            {"composer", "C\xc3\xb6mposer O'Brien"},
            {"copyright", "2026 Label"},
            {"isrc", "US-S1Z-99-00001"},
            {"date", "2026-03-14T15:09:26"}};
}

// A stem with tones and a noise floor (so a VBR encoder meets its target).
void write_stem(const fs::path& file) {
    AudioBuffer b = sine(2, kFrames, kRate, 220.0, 0.25);
    const AudioBuffer n = noise(2, kFrames, 5, 0.03);
    const AudioBuffer h = sine(2, kFrames, kRate, 1500.0, 0.1);
    for (int c = 0; c < 2; ++c)
        for (int64_t i = 0; i < kFrames; ++i) b.channel(c)[i] += n.channel(c)[i] + h.channel(c)[i];
    write_wav(file, b, kRate, 32);
}

json all_formats_session() {
    json s = session_with({{{"name", "bed"}, {"file", "bed.wav"}}});
    s["metadata"] = full_metadata();
    s["export"] = json::array({{{"file", "out/a.wav"}, {"bit_depth", 32}},
                               {{"file", "out/b.wav"}, {"format", "bwf"}},
                               {{"file", "out/c.flac"}},
                               {{"file", "out/d.aiff"}},
                               {{"file", "out/e.rf64"}},
                               {{"file", "out/f.mp3"}, {"bitrate_kbps", 320}},
                               {{"file", "out/g.opus"}, {"bitrate_kbps", 128}},
                               {{"file", "out/h.ogg"}, {"quality", 0.6}}});
    return s;
}

const char* kTitle = "T\xc3\xa9st \"Quoted\" \xe2\x9c\x93";
const char* kComposer = "C\xc3\xb6mposer O'Brien";

TEST(LossyMetadataE2e, OneRenderDeliversEveryFormatWithItsTags) {
    TempDir dir;
    write_stem(dir / "bed.wav");
    write_text(dir / "session.json", all_formats_session().dump());
    auto r = run_stemforge({"render", (dir / "session.json").string(), "--backend", "cpu"});
    ASSERT_EQ(r.exit_code, 0) << r.err;

    // The float WAV of the same render is the reference signal.
    const AudioBuffer reference = ffmpeg_decode(dir / "out/a.wav");
    ASSERT_EQ(reference.frames(), kFrames);
    for (const char* name : {"a.wav", "b.wav", "c.flac", "d.aiff", "e.rf64", "f.mp3", "g.opus", "h.ogg"}) {
        const fs::path file = dir / "out" / name;
        const json j = ffprobe(file);
        ASSERT_FALSE(j.is_null()) << name;
        EXPECT_EQ(j["streams"][0]["sample_rate"], "48000") << name;
        EXPECT_EQ(j["streams"][0]["channels"], 2) << name;
        int rate = 0;
        const AudioBuffer d = ffmpeg_decode(file, &rate);
        EXPECT_EQ(d.frames(), kFrames) << name << ": ffmpeg's decode has the render's length";
        EXPECT_EQ(best_lag(d, reference, 64), 0) << name;
        EXPECT_GT(snr_db(d, reference, 960, kFrames - 960), 20.0) << name;
        const auto tags = ffprobe_tags(file);
        EXPECT_EQ(tags.count("title") ? tags.at("title") : "", kTitle) << name;
    }
    // Bit rates: mp3 CBR exactly, opus's VBR target within 10 %, Vorbis q6's nominal.
    EXPECT_EQ(ffprobe(dir / "out/f.mp3")["streams"][0]["bit_rate"], "320000");
    const double opus_bps = std::stod(ffprobe(dir / "out/g.opus")["format"]["bit_rate"].get<std::string>());
    EXPECT_NEAR(opus_bps, 128000.0, 12800.0);
    EXPECT_EQ(ffprobe(dir / "out/h.ogg")["streams"][0]["bit_rate"], "192000");

    // Every field, per format, with an independent reader.
    for (const char* name : {"c.flac", "g.opus", "h.ogg"}) {
        const auto t = ffprobe_tags(dir / "out" / name);
        EXPECT_EQ(t.at("artist"), "\xc3\x84rtist & Co") << name;
        EXPECT_EQ(t.at("album"), "Album \xf0\x9f\x8e\xb5") << name;
        EXPECT_EQ(t.at("date"), "2026") << name;
        EXPECT_EQ(t.at("track"), "3") << name;
        EXPECT_EQ(t.at("composer"), kComposer) << name;
        EXPECT_EQ(t.at("copyright"), "2026 Label") << name;
        EXPECT_EQ(t.at("isrc"), "USS1Z9900001") << name;
    }
    const auto flac = metaflac_tags(dir / "out/c.flac");
    EXPECT_EQ(flac.size(), 8u);
    EXPECT_EQ(flac.find("COMPOSER")->second, kComposer);
    for (const char* name : {"f.mp3", "a.wav", "b.wav", "d.aiff"}) {
        const auto id3 = mutagen_id3(dir / "out" / name);
        EXPECT_EQ(id3.count("version") ? id3.at("version") : "", "2.4.0") << name;
        EXPECT_EQ(id3.count("TIT2") ? id3.at("TIT2") : "", kTitle) << name;
        EXPECT_EQ(id3.count("TCOM") ? id3.at("TCOM") : "", kComposer) << name;
        EXPECT_EQ(id3.count("TSRC") ? id3.at("TSRC") : "", "USS1Z9900001") << name;
        EXPECT_EQ(id3.count("TRCK") ? id3.at("TRCK") : "", "3") << name;
    }
    for (const char* name : {"a.wav", "e.rf64"}) {
        const auto t = ffprobe_tags(dir / "out" / name);  // LIST/INFO
        EXPECT_EQ(t.at("imus"), kComposer) << name;
        EXPECT_EQ(t.at("copyright"), "2026 Label") << name;
        EXPECT_EQ(t.at("album"), "Album \xf0\x9f\x8e\xb5") << name;
    }
    const auto bwf = ffprobe_tags(dir / "out/b.wav");
    EXPECT_EQ(bwf.at("encoded_by"), "Stemforge");
    EXPECT_EQ(bwf.at("creation_time"), "15:09:26");  // bext OriginationTime from metadata.date
    EXPECT_EQ(bwf.at("coding_history"), "A=PCM,F=48000,W=24,M=stereo,T=Stemforge;ISRC=USS1Z9900001\r\n");
    EXPECT_EQ(ffprobe_tags(dir / "out/d.aiff").at("author"), "\xc3\x84rtist & Co");  // AIFF AUTH

    // A second render of the same session is byte-identical, file by file.
    std::map<std::string, std::string> first;
    for (const auto& e : fs::directory_iterator(dir / "out")) first[e.path().filename().string()] = read_text(e.path());
    r = run_stemforge({"render", (dir / "session.json").string(), "--backend", "cpu"});
    ASSERT_EQ(r.exit_code, 0) << r.err;
    for (const auto& [name, bytes] : first) EXPECT_TRUE(read_text(dir / "out" / name) == bytes) << name << " changed between renders";
}

TEST(LossyMetadataE2e, MasteredLossyExportsCarryTheirTags) {
    TempDir dir;
    write_stem(dir / "bed.wav");
    json s = session_with({{{"name", "bed"}, {"file", "bed.wav"}}});
    s["master"] = {{"preset", "streaming"}};
    s["metadata"] = full_metadata();
    s["export"] = json::array({{{"file", "out/m.mp3"}, {"bitrate_kbps", 320}}, {{"file", "out/m.opus"}}});
    write_text(dir / "session.json", s.dump());
    auto r = run_stemforge({"render", (dir / "session.json").string(), "--backend", "cpu"});
    ASSERT_EQ(r.exit_code, 0) << r.err;
    for (const char* name : {"m.mp3", "m.opus"}) {
        const auto t = ffprobe_tags(dir / "out" / name);
        EXPECT_EQ(t.count("title") ? t.at("title") : "", kTitle) << name;
        EXPECT_EQ(t.count("composer") ? t.at("composer") : "", kComposer) << name;
        EXPECT_EQ(ffmpeg_decode(dir / "out" / name).frames(), kFrames) << name;
    }
}

// `-o FILE` whose extension names no format: an error naming the file and
// listing the extensions, exit non-zero, nothing written, nothing replaced.
TEST(LossyMetadataE2e, OutputWithAnUnknownExtensionIsAnError) {
    TempDir dir;
    write_stem(dir / "bed.wav");
    write_text(dir / "session.json", session_with({{{"name", "bed"}, {"file", "bed.wav"}}}).dump());
    for (const char* out : {"master.xyz", "master", "master.mp4"}) {
        const fs::path target = dir / out;
        auto r = run_stemforge({"render", (dir / "session.json").string(), "-o", target.string()});
        EXPECT_NE(r.exit_code, 0) << out;
        EXPECT_NE(r.err.find("stemforge: error: " + target.string() + ": "), std::string::npos) << r.err;
        EXPECT_NE(r.err.find(".wav, .flac, .aif, .aiff, .rf64, .mp3, .opus, .ogg or .oga"), std::string::npos) << r.err;
        EXPECT_EQ(line_count(r.err), 1) << r.err;
        EXPECT_FALSE(fs::exists(target)) << out;
    }
    write_text(dir / "master.xyz", "kept");
    auto r = run_stemforge({"render", (dir / "session.json").string(), "-o", (dir / "master.xyz").string()});
    EXPECT_NE(r.exit_code, 0);
    EXPECT_EQ(read_text(dir / "master.xyz"), "kept");
    // Nothing else appeared beside the session.
    std::vector<std::string> names;
    for (const auto& e : fs::directory_iterator(dir.path())) names.push_back(e.path().filename().string());
    EXPECT_EQ(names.size(), 3u);
}

// `-o x.mp3` / `-o x.opus` are those formats (never a WAV under the name);
// a 44.1 kHz session delivers Opus at 48 kHz, MP3 at 44.1 kHz.
TEST(LossyMetadataE2e, OutputOverrideWritesTheCodecItNames) {
    TempDir dir;
    write_stem(dir / "bed.wav");
    json s = session_with({{{"name", "bed"}, {"file", "bed.wav"}}});
    s["sample_rate"] = 44100;
    s["export"] = json::array({{{"file", "out/x.wav"}, {"bit_depth", 16}}});
    write_text(dir / "session.json", s.dump());
    const std::pair<const char*, const char*> cases[] = {{"o.mp3", "mp3"}, {"o.opus", "opus"}, {"o.oga", "vorbis"}};
    for (const auto& [name, codec] : cases) {
        auto r = run_stemforge({"render", (dir / "session.json").string(), "-o", (dir / name).string()});
        ASSERT_EQ(r.exit_code, 0) << r.err;
        const json j = ffprobe(dir / name);
        EXPECT_EQ(j["streams"][0]["codec_name"], codec);
        EXPECT_EQ(j["streams"][0]["sample_rate"], std::string(codec) == "opus" ? "48000" : "44100") << name;
    }
}

// An export rate the codec cannot hold is refused naming the export, before
// any work; nothing is written.
TEST(LossyMetadataE2e, ARateTheCodecCannotHoldIsAnErrorNamingTheExport) {
    TempDir dir;
    write_stem(dir / "bed.wav");
    json s = session_with({{{"name", "bed"}, {"file", "bed.wav"}}});
    s["export"] = json::array({{{"file", "out/ok.wav"}}, {{"file", "out/x.opus"}, {"sample_rate", 44100}}});
    write_text(dir / "session.json", s.dump());
    auto r = run_stemforge({"render", (dir / "session.json").string()});
    EXPECT_NE(r.exit_code, 0);
    EXPECT_NE(r.err.find("export[1].sample_rate"), std::string::npos) << r.err;
    EXPECT_NE(r.err.find("opus holds 8000, 12000, 16000, 24000 or 48000 Hz"), std::string::npos) << r.err;
    EXPECT_FALSE(fs::exists(dir / "out"));
}

}  // namespace
}  // namespace sf::test
