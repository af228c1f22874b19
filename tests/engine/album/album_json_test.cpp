// The album file (docs/album.md): the contract's example parses to the
// model; every broken rule is one line naming the file and the JSON path;
// track file names are sanitised.
#include <gtest/gtest.h>

#include <nlohmann/json.hpp>

#include "engine/album/album.h"

namespace sf::album {
namespace {

using json = nlohmann::json;

json example() {
    return json::parse(R"({"format": "stemforge-album", "version": 1,
 "title": "Night Drive", "artist": "The Band", "catalog": "0123456789012", "year": 2026,
 "loudness": {"mode": "album", "target_lufs": -14.0, "ceiling_dbtp": -1.0},
 "master": {"multiband": {"crossovers_hz": [200], "bands": [{"threshold_db": -20}, {"threshold_db": -24}]},
            "limiter": {"ceiling_dbtp": -2.0, "release_ms": 80}},
 "tracks": [{"session": "song1/session.json", "title": "Intro", "isrc": "US-S1Z-26-00001",
             "gap_s": 2.0, "fade_in_s": 0, "fade_out_s": 3},
            {"file": "premix.wav", "title": "Outro", "artist": "Guest"}],
 "export": [{"dir": "out/tracks", "format": "flac", "bit_depth": 24, "sample_rate": 48000},
            {"image": "out/album.wav", "cue": true, "bit_depth": 16, "sample_rate": 44100}]})");
}

Result<AlbumSpec> parse(const json& j) { return parse_album(j.dump(), "/music/night", "album.json"); }

TEST(AlbumJson, ContractExampleParses) {
    auto a = parse(example());
    ASSERT_TRUE(a) << a.error().message;
    EXPECT_EQ(a->title, "Night Drive");
    EXPECT_EQ(a->catalog, "0123456789012");
    EXPECT_EQ(a->year, "2026");
    EXPECT_EQ(a->loudness.mode, LoudnessMode::Album);
    // The loudness block wins over the master block's own ceiling, and sets the target.
    EXPECT_DOUBLE_EQ(a->loudness.ceiling_dbtp, -1.0);
    ASSERT_TRUE(a->master.limiter);
    EXPECT_DOUBLE_EQ(a->master.limiter->ceiling_dbtp, -1.0);
    EXPECT_DOUBLE_EQ(a->master.limiter->release_ms, 80.0);
    EXPECT_EQ(a->master.loudness_target_lufs, -14.0);
    ASSERT_TRUE(a->master.multiband);
    ASSERT_EQ(a->tracks.size(), 2u);
    EXPECT_TRUE(a->tracks[0].is_session());
    EXPECT_EQ(a->tracks[0].session, std::filesystem::path("/music/night/song1/session.json"));
    EXPECT_EQ(a->tracks[0].isrc, "USS1Z2600001");
    EXPECT_DOUBLE_EQ(a->tracks[0].gap_s, 2.0);
    EXPECT_EQ(a->tracks[0].fade_out_s, 3.0);
    EXPECT_FALSE(a->tracks[1].is_session());
    EXPECT_EQ(a->tracks[1].file, std::filesystem::path("/music/night/premix.wav"));
    EXPECT_EQ(a->tracks[1].artist, "Guest");
    EXPECT_FALSE(a->tracks[1].fade_in_s.has_value());
    ASSERT_EQ(a->exports.size(), 2u);
    EXPECT_EQ(a->exports[0].kind, AlbumExport::Kind::Dir);
    EXPECT_EQ(a->exports[0].format, ExportFormat::Flac);
    EXPECT_EQ(a->exports[0].sample_rate, 48000);
    EXPECT_EQ(a->exports[1].kind, AlbumExport::Kind::Image);
    EXPECT_EQ(a->exports[1].format, ExportFormat::Wav);  // from the extension
    EXPECT_TRUE(a->exports[1].cue);
    EXPECT_EQ(a->exports[1].bit_depth, 16);
}

TEST(AlbumJson, DefaultsWithoutLoudnessBlock) {
    json j = example();
    j.erase("loudness");
    j["master"]["loudness_target_lufs"] = -16.0;
    auto a = parse(j);
    ASSERT_TRUE(a) << a.error().message;
    EXPECT_EQ(a->loudness.mode, LoudnessMode::Album);
    EXPECT_DOUBLE_EQ(a->loudness.target_lufs, -16.0);   // the master's own
    EXPECT_DOUBLE_EQ(a->loudness.ceiling_dbtp, -2.0);   // the master limiter's
    j.erase("master");
    a = parse(j);
    ASSERT_TRUE(a) << a.error().message;
    EXPECT_DOUBLE_EQ(a->loudness.target_lufs, -14.0);
    EXPECT_DOUBLE_EQ(a->loudness.ceiling_dbtp, -1.0);
    ASSERT_TRUE(a->master.limiter);  // every track is limited
    // A track's title defaults to its file's name (a session's folder for session.json).
    EXPECT_EQ(parse(json::parse(R"({"format": "stemforge-album", "version": 1,
        "tracks": [{"session": "songs/Blue Moon/session.json"}, {"file": "mixes/Red Sky.flac"}],
        "export": [{"dir": "out"}]})"))->tracks[1].title, "Red Sky");
    EXPECT_EQ(parse(json::parse(R"({"format": "stemforge-album", "version": 1,
        "tracks": [{"session": "songs/Blue Moon/session.json"}], "export": [{"dir": "out"}]})"))->tracks[0].title, "Blue Moon");
}

// Each mutation breaks one rule; the error is one line, "album.json: <path>: <rule>".
TEST(AlbumJson, BadAlbumFilesNameTheJsonPath) {
    struct Case {
        std::function<void(json&)> mutate;
        std::string expected;  // the line's start after "album.json: "
    };
    const std::vector<Case> cases = {
        {[](json& j) { j["format"] = "stemforge-session"; }, "format: must be \"stemforge-album\""},
        {[](json& j) { j["version"] = 2; }, "version: must be 1"},
        {[](json& j) { j["trakcs"] = j["tracks"]; }, "trakcs: unknown key (did you mean \"tracks\"?)"},
        {[](json& j) { j.erase("tracks"); }, "tracks: is required"},
        {[](json& j) { j["tracks"] = json::array(); }, "tracks: must be a non-empty list"},
        {[](json& j) { j["tracks"][1]["isrc"] = "US-123"; }, "tracks[1].isrc: must be an ISRC"},
        {[](json& j) { j["tracks"][0]["file"] = "x.wav"; }, "tracks[0]: has both \"session\" and \"file\""},
        {[](json& j) { j["tracks"][1].erase("file"); }, "tracks[1]: needs \"session\""},
        {[](json& j) { j["tracks"][0]["gap_s"] = -1; }, "tracks[0].gap_s: must be in 0 .. 60 s"},
        {[](json& j) { j["tracks"][0]["fade_out_s"] = "3"; }, "tracks[0].fade_out_s: must be a number"},
        {[](json& j) { j["tracks"][1]["title"] = "a\nb"; }, "tracks[1].title: must not contain control characters"},
        {[](json& j) { j["tracks"][1]["gap"] = 2; }, "tracks[1].gap: unknown key (did you mean \"gap_s\"?)"},
        {[](json& j) { j["catalog"] = "12345"; }, "catalog: must be a 13-digit UPC/EAN catalogue number"},
        {[](json& j) { j["loudness"]["mode"] = "disc"; }, "loudness.mode: must be \"track\" or \"album\""},
        {[](json& j) { j["loudness"]["target_lufs"] = 3; }, "loudness.target_lufs: must be in -70 .. 0 LUFS"},
        {[](json& j) { j["master"]["limiter"]["release_ms"] = -5; }, "master.limiter.release_ms:"},
        {[](json& j) { j["export"][0].erase("dir"); }, "export[0]: needs \"dir\""},
        {[](json& j) { j["export"][1]["dir"] = "x"; }, "export[1]: has both \"dir\" and \"image\""},
        {[](json& j) { j["export"][1]["image"] = "out/album.mp3"; }, "export[1].image: an album image is PCM"},
        {[](json& j) { j["export"][1]["image"] = "out/album.xyz"; }, "export[1].image: the extension names no format"},
        {[](json& j) { j["export"][0]["bit_depth"] = 20; }, "export[0].bit_depth: must be 16, 24 or 32"},
        {[](json& j) { j["export"][0]["bit_depth"] = 32; }, "export[0].bit_depth: FLAC holds 16 or 24 bits"},
        {[](json& j) { j["export"][0]["quality"] = 0.5; }, "export[0].quality: applies to mp3, opus and ogg only"},
        {[](json& j) { j["export"][1]["cue_sheet"] = true; }, "export[1].cue_sheet: unknown key (did you mean \"cue\"?)"},
        {[](json& j) {
             for (int i = 0; i < 99; ++i) j["tracks"].push_back(j["tracks"][1]);
         },
         "tracks[99]: track 100 of 101: an album holds at most 99 tracks"},
    };
    for (const Case& c : cases) {
        json j = example();
        c.mutate(j);
        auto a = parse(j);
        ASSERT_FALSE(a) << c.expected;
        EXPECT_EQ(a.error().code, ErrorCode::InvalidSession);
        EXPECT_EQ(a.error().message.find('\n'), std::string::npos) << a.error().message;
        EXPECT_EQ(a.error().message.rfind("album.json: " + c.expected, 0), 0u) << a.error().message;
    }
}

TEST(AlbumJson, EveryErrorOfAFileIsReported) {
    json j = example();
    j["tracks"][0]["isrc"] = "bad";
    j["export"][0]["bit_depth"] = 12;
    auto a = parse(j);
    ASSERT_FALSE(a);
    EXPECT_NE(a.error().message.find("album.json: tracks[0].isrc:"), std::string::npos);
    EXPECT_NE(a.error().message.find("\nalbum.json: export[0].bit_depth:"), std::string::npos);
    EXPECT_FALSE(parse_album("{\"format\": ", "/x", "album.json"));
    EXPECT_EQ(parse_album("{\"format\": ", "/x", "album.json").error().message.rfind("album.json: not valid JSON", 0), 0u);
}

TEST(AlbumJson, TrackFileNamesAreSanitised) {
    EXPECT_EQ(track_file_name(1, 12, "Intro", ".flac"), "01 Intro.flac");
    EXPECT_EQ(track_file_name(12, 12, "AC/DC: \"Live\"?", ".wav"), "12 AC_DC_ _Live__.wav");
    EXPECT_EQ(track_file_name(3, 3, "  ..Hidden.. ", ".wav"), "03 Hidden.wav");
    EXPECT_EQ(track_file_name(4, 9, "", ".wav"), "04 Track.wav");
    EXPECT_EQ(track_file_name(5, 9, "a*b|c<d>e\\f", ".wav"), "05 a_b_c_d_e_f.wav");
    EXPECT_EQ(track_file_name(7, 120, "x", ".wav"), "007 x.wav");
    // Cut to 120 bytes, never inside a UTF-8 sequence (é is 2 bytes: 119 + 2 > 120).
    std::string long_title(119, 'a');
    long_title += "\xC3\xA9zzz";
    const std::string name = track_file_name(1, 2, long_title, ".flac");
    EXPECT_EQ(name, "01 " + std::string(119, 'a') + ".flac");
    EXPECT_EQ(format_extension(ExportFormat::Aiff), ".aiff");
    EXPECT_EQ(format_extension(ExportFormat::Bwf), ".wav");
}

}  // namespace
}  // namespace sf::album
