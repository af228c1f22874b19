// `stemforge album` end to end, through the real binary (docs/album.md).
// Oracles written here: libebur128 for every loudness (each track, and the
// album as one programme: the delivered tracks fed one after another to one
// meter, gaps excluded); `stemforge analyze` for the true peak (the figure
// users see, no slack); an independent CUE parser that reads the sheet back
// against the image (frames of 588 samples, silence in the gaps, each
// track's audio at its INDEX 01); metaflac for the FLAC tags.
//
// Material: a session (one stereo stem) and premixed files with different
// loudness and crest factor; one of them hot enough that the album's
// common gain drives its limiter hard (the make-up path), and a peaky one
// whose limiter cannot give it the loudness album mode asks (an error).
#include <gtest/gtest.h>

#include <ebur128.h>

#include <cmath>
#include <fstream>
#include <map>
#include <numbers>
#include <sstream>

#include "engine/audio/audio_file.h"
#include "engine/core/random.h"
#include "engine/export/metadata.h"
#include "tests/e2e/e2e_support.h"
#include "tests/support/third_octave.h"

namespace sf::test {
namespace {

using json = nlohmann::json;
constexpr int kRate = 48000;
constexpr double kTarget = -16.0;
constexpr double kCeiling = -1.0;

// Stereo programme material, `seconds` long, about `lufs` loud.
AudioBuffer material(const std::string& kind, double seconds, uint64_t seed) {
    const int64_t n = static_cast<int64_t>(seconds * kRate);
    AudioBuffer b(2, n);
    Random rng(seed);
    double lp[2] = {0, 0};
    for (int64_t i = 0; i < n; ++i) {
        const double t = static_cast<double>(i) / kRate;
        for (int c = 0; c < 2; ++c) {
            lp[c] = 0.95 * lp[c] + 0.05 * rng.bipolar();
            double v;
            if (kind == "peaky") {  // kick-like hits on a quiet bed: a crest factor near 20 dB
                const double since = std::fmod(t, 0.5);
                v = 0.95 * std::exp(-since / 0.06) * std::sin(2 * std::numbers::pi * (55.0 + 90.0 * std::exp(-since / 0.02)) * since) +
                    0.05 * lp[c];
            } else if (kind == "hot") {  // sub-bass every other half second on a bed: its limiter works half the time
                const double sub = std::fmod(t, 1.0) < 0.5 ? 0.45 : 0.0;
                v = sub * std::sin(2 * std::numbers::pi * 30.0 * t) + 0.6 * lp[c] + 0.03 * rng.bipolar();
            } else if (kind == "quiet") {
                v = 0.04 * std::sin(2 * std::numbers::pi * 330.0 * t) + 0.35 * lp[c];
            } else {  // "dense"
                v = 0.1 * std::sin(2 * std::numbers::pi * 110.0 * t) + 0.05 * std::sin(2 * std::numbers::pi * (880.0 + 2 * c) * t) + 0.6 * lp[c];
            }
            b.channel(c)[i] = static_cast<float>(v);
        }
    }
    return b;
}

struct Loudness {
    double integrated_lufs = -INFINITY;
};

void feed(ebur128_state* st, const AudioBuffer& a) {
    std::vector<float> inter(static_cast<size_t>(a.frames() * a.channels()));
    for (int64_t i = 0; i < a.frames(); ++i)
        for (int c = 0; c < a.channels(); ++c) inter[static_cast<size_t>(i * a.channels() + c)] = a.channel(c)[i];
    ebur128_add_frames_float(st, inter.data(), static_cast<size_t>(a.frames()));
}

double lufs_of(const std::vector<AudioBuffer>& parts, int rate) {
    ebur128_state* st = ebur128_init(2, static_cast<unsigned long>(rate), EBUR128_MODE_I);
    for (const AudioBuffer& p : parts) feed(st, p);
    double v = -INFINITY;
    ebur128_loudness_global(st, &v);
    ebur128_destroy(&st);
    return v;
}
double lufs_of(const AudioBuffer& a, int rate) { return lufs_of(std::vector<AudioBuffer>{a}, rate); }

double analyze_true_peak(const std::filesystem::path& file) {
    const auto r = run_stemforge({"analyze", file.string(), "--json"});
    EXPECT_EQ(r.exit_code, 0) << r.err;
    return json::parse(r.out)["true_peak_dbtp"].get<double>();
}

AudioBuffer slice(const AudioBuffer& a, int64_t from, int64_t to) {
    AudioBuffer s(a.channels(), to - from);
    for (int c = 0; c < a.channels(); ++c) std::copy(a.channel(c) + from, a.channel(c) + to, s.channel(c));
    return s;
}

// The album folder: a session track (one stereo stem: its mix is the stem
// itself, a stereo stem at pan 0 being untouched) and three premixed files.
struct AlbumFixture {
    TempDir dir;
    std::map<std::string, AudioBuffer> inputs;  // title -> the programme as mixed
    json album;

    AlbumFixture() {
        const std::vector<std::tuple<std::string, std::string, double>> tracks = {
            // Lengths off the CD frame grid (588 samples at 44.1 kHz): the image pads each track.
            {"Intro", "dense", 6.01}, {"Quiet \"One\"", "quiet", 5.003}, {"Hot", "hot", 6.0}};
        std::filesystem::create_directories(dir / "song/stems");
        inputs["Song"] = material("dense", 5.007, 3);
        for (float& v : inputs["Song"].raw()) v *= 0.6f;
        write_wav(dir / "song/stems/mix.wav", inputs["Song"], kRate, 24);
        json session = session_with(json::array({{{"name", "mix"}, {"file", "stems/mix.wav"}}}));
        session["master"] = {{"loudness_target_lufs", -9.0}};  // replaced by the album's master
        write_text(dir / "song/session.json", session.dump(2));
        json list = json::array({{{"session", "song/session.json"}, {"title", "Song"}, {"isrc", "US-S1Z-26-00001"}, {"gap_s", 2.0}}});
        uint64_t seed = 10;
        for (const auto& [title, kind, seconds] : tracks) {
            inputs[title] = material(kind, seconds, seed++);
            const std::string file = "mixes/" + kind + ".wav";
            std::filesystem::create_directories(dir / "mixes");
            write_wav(dir / file, inputs[title], kRate, 24);
            list.push_back({{"file", file}, {"title", title}, {"gap_s", title == "Hot" ? 0.0 : 1.5}});
        }
        list[2]["isrc"] = "GBAYE2600002";
        album = {{"format", "stemforge-album"},
                 {"version", 1},
                 {"title", "Night \"Drive\""},
                 {"artist", "The Band"},
                 {"catalog", "0123456789012"},
                 {"loudness", {{"mode", "album"}, {"target_lufs", kTarget}, {"ceiling_dbtp", kCeiling}}},
                 {"master", {{"limiter", {{"release_ms", 60}}}}},
                 {"tracks", list},
                 {"export", json::array({{{"dir", "out/tracks"}, {"format", "flac"}, {"bit_depth", 24}},
                                         {{"image", "out/album.wav"}, {"cue", true}, {"bit_depth", 16}, {"sample_rate", 44100}}})}};
    }
    std::vector<std::string> titles() const {
        std::vector<std::string> t;
        for (const auto& tr : album["tracks"]) t.push_back(tr["title"].get<std::string>());
        return t;
    }
    CommandResult run() {
        write_text(dir / "album.json", album.dump(2));
        return run_stemforge({"album", (dir / "album.json").string(), "--json"});
    }
};

// The report's contract keys, for every track.
void expect_report_keys(const json& r, size_t tracks) {
    ASSERT_TRUE(r["tracks"].is_array());
    ASSERT_EQ(r["tracks"].size(), tracks);
    for (const auto& t : r["tracks"])
        for (const char* k : {"title", "file", "integrated_lufs", "true_peak_dbtp", "gain_db"}) EXPECT_TRUE(t.contains(k)) << k;
    EXPECT_TRUE(r["album_integrated_lufs"].is_number());
    EXPECT_TRUE(r["outputs"].is_array());
}

TEST(AlbumE2e, AlbumModeIsOnTargetAndKeepsTheTracksRelativeLoudness) {
    AlbumFixture f;
    const auto r = f.run();
    ASSERT_EQ(r.exit_code, 0) << r.err;
    const json report = json::parse(r.out);
    expect_report_keys(report, 4);
    ASSERT_EQ(report["outputs"].size(), 6u);  // 4 tracks, the image, its CUE sheet

    std::vector<AudioBuffer> delivered;
    std::vector<double> shift;
    const auto titles = f.titles();
    for (size_t i = 0; i < titles.size(); ++i) {
        const std::filesystem::path file = report["outputs"][i].get<std::string>();
        EXPECT_EQ(report["tracks"][i]["file"].get<std::string>(), file.string());
        EXPECT_EQ(file.parent_path(), f.dir / "out/tracks");
        int rate = 0;
        delivered.push_back(read_audio(file, &rate));
        EXPECT_EQ(rate, kRate);
        const double out = lufs_of(delivered.back(), rate);
        const double in = lufs_of(f.inputs.at(titles[i]), kRate);
        shift.push_back(out - in);
        EXPECT_NEAR(report["tracks"][i]["integrated_lufs"].get<double>(), out, 0.02) << titles[i];
        // Every track under the ceiling, by the figure `analyze` shows.
        const double tp = analyze_true_peak(file);
        EXPECT_LE(tp, kCeiling) << titles[i];
        EXPECT_NEAR(report["tracks"][i]["true_peak_dbtp"].get<double>(), tp, 0.01);
    }
    // The album as one programme, gaps excluded, on the target.
    const double album = lufs_of(delivered, kRate);
    EXPECT_NEAR(album, kTarget, 0.1);
    EXPECT_NEAR(report["album_integrated_lufs"].get<double>(), album, 0.02);
    // The loudness differences between tracks as mixed (within 0.5 LU for every pair).
    for (size_t i = 0; i < shift.size(); ++i)
        for (size_t j = 0; j < i; ++j) EXPECT_LE(std::abs(shift[i] - shift[j]), 0.5) << titles[i] << " vs " << titles[j];
    // Not every track is on the target: album mode is not track mode.
    double spread = 0.0;
    for (const AudioBuffer& d : delivered) spread = std::max(spread, std::abs(lufs_of(d, kRate) - kTarget));
    EXPECT_GT(spread, 2.0);
    // The hot track's limiter worked: its gain is above the common one (a make-up), the others share one.
    EXPECT_GT(report["tracks"][3]["gain_db"].get<double>(), report["tracks"][1]["gain_db"].get<double>() + 0.05);
    EXPECT_DOUBLE_EQ(report["tracks"][1]["gain_db"].get<double>(), report["tracks"][2]["gain_db"].get<double>());
    std::printf("album mode: album %.3f LUFS (target %.1f); shifts", album, kTarget);
    for (double s : shift) std::printf(" %.3f", s);
    std::printf(" dB; gains");
    for (const auto& t : report["tracks"]) std::printf(" %.3f", t["gain_db"].get<double>());
    std::printf(" dB; inputs");
    for (const auto& t : titles) std::printf(" %.2f", lufs_of(f.inputs.at(t), kRate));
    std::printf(" LUFS\n");
}

// Kick-like hits near full scale on a quiet bed, the loudest track of the
// album: more gain into its limiter gives no more loudness, so album mode
// cannot keep it against the others at this target. One line names it.
TEST(AlbumE2e, AlbumModeRefusesALoudnessALimiterCannotGive) {
    AlbumFixture f;
    write_wav(f.dir / "mixes/peaky.wav", material("peaky", 6.0, 5), kRate, 24);
    f.album["tracks"][3] = {{"file", "mixes/peaky.wav"}, {"title", "Peaks"}};
    const auto r = f.run();
    EXPECT_EQ(r.exit_code, 3);
    EXPECT_EQ(line_count(r.err), 1) << r.err;
    EXPECT_EQ(r.err.rfind("stemforge: error: tracks[3] \"Peaks\": at -16.0 LUFS for the album under a -1.00 dBTP ceiling, its limiter", 0), 0u)
        << r.err;
    EXPECT_FALSE(std::filesystem::exists(f.dir / "out/album.wav"));
}

TEST(AlbumE2e, TrackModePutsEveryTrackOnTarget) {
    AlbumFixture f;
    f.album["loudness"]["mode"] = "track";
    f.album["export"] = json::array({{{"dir", "out/tracks"}, {"format", "wav"}, {"bit_depth", 24}, {"sample_rate", 44100}}});
    const auto r = f.run();
    ASSERT_EQ(r.exit_code, 0) << r.err;
    const json report = json::parse(r.out);
    expect_report_keys(report, 4);
    std::vector<AudioBuffer> delivered;
    for (size_t i = 0; i < 4; ++i) {
        const std::filesystem::path file = report["outputs"][i].get<std::string>();
        int rate = 0;
        delivered.push_back(read_audio(file, &rate));
        EXPECT_EQ(rate, 44100);
        EXPECT_NEAR(lufs_of(delivered.back(), rate), kTarget, 0.1) << file;
        EXPECT_LE(analyze_true_peak(file), kCeiling) << file;
    }
    EXPECT_NEAR(report["album_integrated_lufs"].get<double>(), lufs_of(delivered, 44100), 0.02);
}

// A small CUE parser: commands and their arguments, quoted texts unescaped.
struct Cue {
    std::map<std::string, std::string> disc;  // CATALOG, TITLE, PERFORMER, FILE
    struct Track {
        std::map<std::string, std::string> fields;  // TITLE, PERFORMER, ISRC
        std::map<int, int64_t> index_frames;        // INDEX number -> frames (1/75 s)
    };
    std::vector<Track> tracks;
};

Cue parse_cue(const std::string& text) {
    Cue cue;
    std::istringstream lines(text);
    for (std::string line; std::getline(lines, line);) {
        EXPECT_TRUE(!line.empty() && line.back() == '\r') << "CRLF line ends: " << line;
        if (!line.empty() && line.back() == '\r') line.pop_back();
        size_t p = line.find_first_not_of(' ');
        if (p == std::string::npos) continue;
        const size_t sp = line.find(' ', p);
        const std::string cmd = line.substr(p, sp - p);
        std::string rest = sp == std::string::npos ? "" : line.substr(sp + 1);
        std::string value = rest;
        if (!rest.empty() && rest[0] == '"') {  // a quoted text: \" and \\ escapes
            value.clear();
            size_t k = 1;
            for (; k < rest.size() && rest[k] != '"'; ++k) {
                if (rest[k] == '\\' && k + 1 < rest.size()) ++k;
                value += rest[k];
            }
            EXPECT_LT(k, rest.size()) << "unterminated quote: " << line;
        }
        if (cmd == "TRACK") {
            cue.tracks.emplace_back();
            EXPECT_EQ(rest, (cue.tracks.size() < 10 ? "0" : "") + std::to_string(cue.tracks.size()) + " AUDIO");
        } else if (cmd == "INDEX") {
            int number = 0, mm = 0, ss = 0, ff = 0;
            EXPECT_EQ(std::sscanf(rest.c_str(), "%d %d:%d:%d", &number, &mm, &ss, &ff), 4) << line;
            EXPECT_LT(ss, 60);
            EXPECT_LT(ff, 75);
            cue.tracks.back().index_frames[number] = (mm * 60 + ss) * 75 + ff;
        } else if (cue.tracks.empty()) {
            cue.disc[cmd] = value;
        } else {
            cue.tracks.back().fields[cmd] = value;
        }
    }
    return cue;
}

TEST(AlbumE2e, CueSheetReadsBackAgainstTheImage) {
    AlbumFixture f;
    const auto r = f.run();
    ASSERT_EQ(r.exit_code, 0) << r.err;
    const json report = json::parse(r.out);
    const Cue cue = parse_cue(read_text(f.dir / "out/album.cue"));
    EXPECT_EQ(cue.disc.at("CATALOG"), "0123456789012");
    EXPECT_EQ(cue.disc.at("TITLE"), "Night \"Drive\"");
    EXPECT_EQ(cue.disc.at("PERFORMER"), "The Band");
    EXPECT_EQ(cue.disc.at("FILE"), "album.wav");
    ASSERT_EQ(cue.tracks.size(), 4u);

    auto info = probe_audio(f.dir / "out/album.wav");
    ASSERT_TRUE(info);
    EXPECT_EQ(info->sample_rate, 44100);
    EXPECT_EQ(info->bits, 16);
    EXPECT_EQ(info->frames % 588, 0);
    const AudioBuffer image = read_audio(f.dir / "out/album.wav");
    auto silent = [&](int64_t from, int64_t to) {
        for (int c = 0; c < 2; ++c)
            for (int64_t i = from; i < to; ++i)
                if (image.channel(c)[i] != 0.0f) return false;
        return true;
    };
    const auto titles = f.titles();
    const std::vector<std::string> isrc = {"USS1Z2600001", "", "GBAYE2600002", ""};
    for (size_t i = 0; i < 4; ++i) {
        const Cue::Track& t = cue.tracks[i];
        EXPECT_EQ(t.fields.at("TITLE"), titles[i]);  // "Quiet \"One\"" unescaped
        EXPECT_EQ(t.fields.count("ISRC") ? t.fields.at("ISRC") : "", isrc[i]) << titles[i];
        const double gap_s = f.album["tracks"][i]["gap_s"].get<double>();
        ASSERT_TRUE(t.index_frames.count(1));
        const int64_t start = t.index_frames.at(1) * 588;
        if (gap_s > 0) {
            ASSERT_TRUE(t.index_frames.count(0)) << titles[i];
            EXPECT_EQ(t.index_frames.at(1) - t.index_frames.at(0), std::llround(gap_s * 75));
            EXPECT_TRUE(silent(t.index_frames.at(0) * 588, start)) << "the gap before " << titles[i] << " is digital silence";
        } else {
            EXPECT_FALSE(t.index_frames.count(0)) << titles[i];
        }
        // The music starts at INDEX 01 (within 5 ms) and the track there is this
        // track: its loudness is its FLAC's (one gain; SRC and dither differ).
        const int64_t end = i + 1 < 4 ? cue.tracks[i + 1].index_frames.begin()->second * 588 : image.frames();
        EXPECT_FALSE(silent(start, start + 220)) << titles[i];
        const double in_image = lufs_of(slice(image, start, end), 44100);
        EXPECT_NEAR(in_image, report["tracks"][i]["integrated_lufs"].get<double>(), 0.1) << titles[i];
    }
}

TEST(AlbumE2e, RedBookBreachNamesTheTrackAndWritesNothing) {
    AlbumFixture f;
    write_wav(f.dir / "mixes/short.wav", material("dense", 3.0, 77), kRate, 24);
    f.album["tracks"][2] = {{"file", "mixes/short.wav"}, {"title", "Short"}};
    auto r = f.run();
    EXPECT_EQ(r.exit_code, 3);
    EXPECT_EQ(line_count(r.err), 1) << r.err;
    EXPECT_EQ(r.err.rfind("stemforge: error: tracks[2] \"Short\": 3.00 s long; a Red Book image (16-bit, 44.1 kHz) needs every track", 0), 0u)
        << r.err;
    EXPECT_FALSE(std::filesystem::exists(f.dir / "out/album.wav"));
    EXPECT_FALSE(std::filesystem::exists(f.dir / "out/album.cue"));
    EXPECT_FALSE(std::filesystem::exists(f.dir / "out/tracks/03 Short.flac"));

    // The same album to a 24-bit image is not Red Book: the short track is fine.
    f.album["export"][1]["bit_depth"] = 24;
    f.album["export"].erase(0);
    r = f.run();
    EXPECT_EQ(r.exit_code, 0) << r.err;
    EXPECT_TRUE(std::filesystem::exists(f.dir / "out/album.wav"));
}

TEST(AlbumE2e, BadAlbumFilesAreOneLineNamingTheJsonPath) {
    AlbumFixture f;
    f.album["tracks"][1]["isrc"] = "XX";
    auto r = f.run();
    EXPECT_EQ(r.exit_code, 3);
    EXPECT_EQ(line_count(r.err), 1) << r.err;
    EXPECT_NE(r.err.find("album.json: tracks[1].isrc: must be an ISRC"), std::string::npos) << r.err;

    AlbumFixture g;
    g.album["tracks"][2]["file"] = "mixes/missing.wav";
    r = g.run();
    EXPECT_EQ(r.exit_code, 3);
    EXPECT_EQ(line_count(r.err), 1) << r.err;
    EXPECT_EQ(r.err.rfind("stemforge: error: tracks[2].file: ", 0), 0u) << r.err;

    AlbumFixture h;
    h.album["tracks"][0]["session"] = "nowhere/session.json";
    r = h.run();
    EXPECT_EQ(r.exit_code, 3);
    EXPECT_EQ(r.err.rfind("stemforge: error: tracks[0].session: ", 0), 0u) << r.err;
    EXPECT_FALSE(std::filesystem::exists(h.dir / "out"));
}

TEST(AlbumE2e, AnOutputThatIsAnInputIsRefused) {
    AlbumFixture f;
    const std::string before = read_text(f.dir / "mixes/dense.wav");
    // The image would overwrite a premixed track.
    f.album["export"][1]["image"] = "mixes/dense.wav";
    auto r = f.run();
    EXPECT_EQ(r.exit_code, 3);
    EXPECT_NE(r.err.find("mixes/dense.wav"), std::string::npos) << r.err;
    EXPECT_NE(r.err.find("tracks[1] file"), std::string::npos) << r.err;
    EXPECT_EQ(read_text(f.dir / "mixes/dense.wav"), before);
    // A track file named like the session's stem, in its folder.
    AlbumFixture g;
    g.album["tracks"][0]["title"] = "x";
    g.album["export"] = json::array({{{"dir", "song/stems"}, {"format", "wav"}}});
    std::filesystem::rename(g.dir / "song/stems/mix.wav", g.dir / "song/stems/01 x.wav");
    json session = json::parse(read_text(g.dir / "song/session.json"));
    session["stems"][0]["file"] = "stems/01 x.wav";
    write_text(g.dir / "song/session.json", session.dump());
    r = g.run();
    EXPECT_EQ(r.exit_code, 3);
    EXPECT_NE(r.err.find("stems[0] \"mix\""), std::string::npos) << r.err;
}

TEST(AlbumE2e, FlacTagsAndBwfFieldsPerTrack) {
    AlbumFixture f;
    f.album["year"] = "2026";
    f.album["export"] = json::array({{{"dir", "out/flac"}, {"format", "flac"}, {"bit_depth", 16}},
                                     {{"dir", "out/bwf"}, {"format", "bwf"}, {"bit_depth", 24}}});
    const auto r = f.run();
    ASSERT_EQ(r.exit_code, 0) << r.err;
    const auto titles = f.titles();
    const std::vector<std::string> isrc = {"USS1Z2600001", "", "GBAYE2600002", ""};
    for (size_t i = 0; i < 4; ++i) {
        char nn[8];
        std::snprintf(nn, sizeof nn, "%02zu ", i + 1);
        std::string safe = titles[i];
        for (char& c : safe)
            if (c == '"') c = '_';
        const auto flac = f.dir / "out/flac" / (nn + safe + ".flac");
        ASSERT_TRUE(std::filesystem::exists(flac)) << flac;
        const auto tags = run_command({"metaflac", "--export-tags-to=-", flac.string()});
        ASSERT_EQ(tags.exit_code, 0) << tags.err;
        EXPECT_NE(tags.out.find("TITLE=" + titles[i] + "\n"), std::string::npos) << tags.out;
        EXPECT_NE(tags.out.find("ARTIST=The Band\n"), std::string::npos) << tags.out;
        EXPECT_NE(tags.out.find("ALBUM=Night \"Drive\"\n"), std::string::npos) << tags.out;
        EXPECT_NE(tags.out.find("TRACKNUMBER=" + std::to_string(i + 1) + "\n"), std::string::npos) << tags.out;
        EXPECT_NE(tags.out.find("DATE=2026\n"), std::string::npos) << tags.out;
        if (!isrc[i].empty()) {
            EXPECT_NE(tags.out.find("ISRC=" + isrc[i] + "\n"), std::string::npos) << tags.out;
        } else {
            EXPECT_EQ(tags.out.find("ISRC="), std::string::npos) << tags.out;
        }

        const auto bwf = f.dir / "out/bwf" / (nn + safe + ".wav");
        auto bext = read_bext_loudness(bwf);
        ASSERT_TRUE(bext) << bext.error().message;
        int rate = 0;
        const AudioBuffer a = read_audio(bwf, &rate);
        EXPECT_NEAR(bext->integrated_lufs, lufs_of(a, rate), 0.011) << bwf;  // stored in 1/100 LU
        EXPECT_NEAR(bext->max_true_peak_dbtp, analyze_true_peak(bwf), 0.011) << bwf;
    }
}

// master.match_eq on every album track: one reference (measured once), each
// track's delivered file takes its balance. Oracle: third-octave levels,
// loudness-normalised by libebur128 (tests/support/third_octave.h).
TEST(AlbumE2e, MatchEqTakesEveryTrackToTheReference) {
    TempDir dir;
    auto pink = [](double f) { return -10.0 * std::log10(f / 1000.0); };
    const AudioBuffer bright = zero_phase_filtered(noise(2, 12 * kRate, 31, 0.1), kRate, pink);
    const AudioBuffer dark = zero_phase_filtered(noise(2, 10 * kRate, 37, 0.05), kRate,
                                                 [&](double f) { return pink(f) - 0.5 * std::log2(f / 1000.0); });
    const AudioBuffer reference = zero_phase_filtered(noise(2, 12 * kRate, 41, 0.02), kRate,
                                                      [&](double f) { return pink(f) + 1.5 * std::log2(f / 1000.0); });
    write_wav(dir / "bright.wav", bright, kRate);
    write_wav(dir / "dark.wav", dark, kRate);
    write_wav(dir / "reference.wav", reference, kRate);
    const json album = {{"format", "stemforge-album"},
                        {"version", 1},
                        {"loudness", {{"mode", "track"}, {"target_lufs", kTarget}}},
                        {"master", {{"match_eq", {{"reference", "reference.wav"}}}}},
                        {"tracks", json::array({{{"file", "bright.wav"}}, {{"file", "dark.wav"}}})},
                        {"export", json::array({{{"dir", "out"}, {"format", "wav"}, {"bit_depth", 24}}})}};
    const std::vector<double> ref = third_octave_levels(reference, kRate);
    const AudioBuffer* inputs[2] = {&bright, &dark};
    for (const char* mode : {"track", "album"}) {
        json a = album;
        a["loudness"]["mode"] = mode;
        write_text(dir / "album.json", a.dump());
        const auto r = run_stemforge({"album", (dir / "album.json").string(), "--json"});
        ASSERT_EQ(r.exit_code, 0) << r.err;
        for (size_t i = 0; i < 2; ++i) {
            const std::filesystem::path file = json::parse(r.out)["outputs"][i].get<std::string>();
            const double before = rms_difference_db(third_octave_levels(*inputs[i], kRate), ref);
            const double after = rms_difference_db(third_octave_levels(read_audio(file), kRate), ref);
            EXPECT_GT(before, 2.0) << file;
            EXPECT_LE(after, 1.0) << mode << " " << file;
            std::printf("album match EQ (mode %s), %s: %.2f dB RMS before, %.3f dB RMS after\n", mode, file.filename().c_str(), before, after);
        }
    }
}

}  // namespace
}  // namespace sf::test
