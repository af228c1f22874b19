// Session keys of the second wave's delivery (DESIGN.md "Delivery additions",
// "Album" match_eq) and the validator's promise to report every error of a
// file at once, with the nearest valid key for an unknown one.
#include <gtest/gtest.h>

#include <fstream>
#include <sstream>

#include <nlohmann/json.hpp>

#include "engine/session/session.h"
#include "engine/session/session_blocks.h"

namespace sf {
namespace {

using nlohmann::json;

json minimal() {
    return json{{"format", "stemforge-session"},
                {"version", 1},
                {"sample_rate", 48000},
                {"stems", json::array({json{{"name", "kick"}, {"file", "stems/kick.wav"}}})}};
}

Result<Session> parse(const json& j) { return parse_session(j.dump(), "/base", "s.json"); }

std::vector<std::string> lines_of(const std::string& text) {
    std::vector<std::string> out;
    size_t start = 0;
    while (start <= text.size()) {
        const size_t end = text.find('\n', start);
        out.push_back(text.substr(start, end == std::string::npos ? std::string::npos : end - start));
        if (end == std::string::npos) break;
        start = end + 1;
    }
    return out;
}

// The error lines of a refused file.
std::vector<std::string> errors_of(const json& j) {
    auto r = parse(j);
    EXPECT_FALSE(r.has_value()) << "accepted: " << j.dump();
    if (r) return {};
    EXPECT_EQ(r.error().code, ErrorCode::InvalidSession);
    return lines_of(r.error().message);
}

void expect_one_error(const json& j, const std::string& path_and_rule_prefix) {
    const auto lines = errors_of(j);
    ASSERT_EQ(lines.size(), 1u) << j.dump();
    const std::string expected = "s.json: " + path_and_rule_prefix;
    EXPECT_EQ(lines[0].substr(0, expected.size()), expected) << lines[0];
}

TEST(SessionValidator, ReportsEveryErrorOfAFileInFileOrder) {
    json j = minimal();
    j["stems"][0]["gain_db"] = 99;                 // out of range
    j["stems"][0]["pan"] = "left";                 // wrong type
    j["stems"].push_back({{"name", "snare"}});     // file missing
    j["buses"] = json::array({{{"name", "verb"}, {"reverb", {{"ir", "hall.wav"}, {"wet_db", "loud"}}}}});
    j["master"] = {{"limiter", {{"ceiling_dbtp", 3}}}, {"fade_out_s", -1}};
    j["export"] = json::array({{{"file", "out.xyz"}}});
    const auto lines = errors_of(j);
    const std::vector<std::string> expected{
        "s.json: stems[0].gain_db: must be within [-144, 48]",
        "s.json: stems[0].pan: must be a number, not a string",
        "s.json: stems[1].file: is required",
        "s.json: buses[0].reverb.wet_db: must be a number, not a string",
        "s.json: master.fade_out_s: must be within [0, 3600]",
        "s.json: master.limiter.ceiling_dbtp: must be within [-60, 0]",
        "s.json: export[0].format: is required when the file name does not end in",
    };
    ASSERT_EQ(lines.size(), expected.size()) << testing::PrintToString(lines);
    for (size_t i = 0; i < expected.size(); ++i) EXPECT_EQ(lines[i].substr(0, expected[i].size()), expected[i]) << lines[i];
}

TEST(SessionValidator, EveryUnknownKeyIsReportedWithTheNearestValidKey) {
    json j = minimal();
    j["stems"][0]["compressor"] = {{"threshold", -20}, {"ratoi", 4}, {"zzzzzz", 1}};
    j["stems"][0]["gian_db"] = 1;
    j["stems"][0]["automation"] = {{"gian_db", json::array({json::array({0, 0})})}};
    const auto lines = errors_of(j);
    ASSERT_EQ(lines.size(), 5u) << testing::PrintToString(lines);
    // Keys of one object are reported in the JSON's (sorted) key order.
    EXPECT_EQ(lines[0], "s.json: stems[0].automation.gian_db: unknown key (did you mean \"gain_db\"?); automation lanes: gain_db, pan, "
                        "width, send_db.<bus>");
    EXPECT_EQ(lines[1], "s.json: stems[0].compressor.ratoi: unknown key (did you mean \"ratio\"?)");
    EXPECT_EQ(lines[2], "s.json: stems[0].compressor.threshold: unknown key (did you mean \"threshold_db\"?)");
    EXPECT_EQ(lines[3], "s.json: stems[0].compressor.zzzzzz: unknown key");
    EXPECT_EQ(lines[4], "s.json: stems[0].gian_db: unknown key (did you mean \"gain_db\"?)");
}

TEST(SessionValidator, RoutingRulesRunOnlyOnCleanBlocksAndReportEachBadTarget) {
    json j = minimal();
    j["stems"][0]["output"] = "nowhere";
    j["stems"].push_back({{"name", "snare"}, {"file", "s.wav"}, {"sends", {{{"bus", "gone"}}}}});
    const auto lines = errors_of(j);
    ASSERT_EQ(lines.size(), 2u) << testing::PrintToString(lines);
    EXPECT_EQ(lines[0].rfind("s.json: stems[0].output: unknown bus \"nowhere\"", 0), 0u) << lines[0];
    EXPECT_EQ(lines[1].rfind("s.json: stems[1].sends[0].bus: unknown bus \"gone\"", 0), 0u) << lines[1];

    // A block error hides the routing rules (they would report a bus the
    // file names correctly but whose block failed).
    json k = minimal();
    k["stems"][0]["output"] = "verb";
    k["buses"] = json::array({{{"name", "verb"}, {"gain_db", "x"}}});
    const auto only = errors_of(k);
    ASSERT_EQ(only.size(), 1u) << testing::PrintToString(only);
    EXPECT_EQ(only[0].rfind("s.json: buses[0].gain_db: must be a number", 0), 0u);
}

TEST(SessionValidator, AHostileFileReportsABoundedNumberOfErrors) {
    json j = minimal();
    for (int i = 0; i < 500; ++i) j["stems"][0]["bogus" + std::to_string(i)] = i;
    const auto lines = errors_of(j);
    ASSERT_EQ(lines.size(), 51u);
    EXPECT_EQ(lines.back(), "s.json: ... and 450 more errors");
}

TEST(SessionDeliveryKeys, MasterFadesTrimsAndMatchEq) {
    json j = minimal();
    j["master"] = {{"fade_in_s", 0.5},      {"fade_out_s", 4},          {"fade_curve", "exponential"},
                   {"trim_start_s", 0.25},  {"trim_end_s", 1},          {"trim_silence_db", -70},
                   {"trim_silence_preroll_s", 0.05},
                   {"match_eq", {{"reference", "ref/reference.wav"}, {"amount", 0.5}}}};
    auto r = parse(j);
    ASSERT_TRUE(r.has_value()) << r.error().message;
    const MasterSpec& m = *r->master;
    EXPECT_EQ(m.fade_in_s, 0.5);
    EXPECT_EQ(m.fade_out_s, 4.0);
    EXPECT_EQ(m.fade_curve, FadeCurve::Exponential);
    EXPECT_EQ(m.trim_start_s, 0.25);
    EXPECT_EQ(m.trim_end_s, 1.0);
    EXPECT_EQ(m.trim_silence_db, -70.0);
    EXPECT_EQ(m.trim_silence_preroll_s, 0.05);
    ASSERT_TRUE(m.match_eq.has_value());
    EXPECT_EQ(m.match_eq->reference, std::filesystem::path("/base/ref/reference.wav"));
    EXPECT_EQ(m.match_eq->amount, 0.5);
    EXPECT_NEAR(m.match_eq->smoothing_oct, 1.0 / 3.0, 1e-12);  // DESIGN.md: 0.333
    EXPECT_EQ(m.match_eq->max_db, 12.0);

    // Defaults: no fades, no trims, linear curve, 0.1 s pre-roll kept.
    json k = minimal();
    k["master"] = json::object();
    auto dm = parse(k);
    ASSERT_TRUE(dm.has_value());
    EXPECT_EQ(dm->master->fade_out_s, 0.0);
    EXPECT_EQ(dm->master->fade_curve, FadeCurve::Linear);
    EXPECT_FALSE(dm->master->trim_silence_db.has_value());
    EXPECT_EQ(dm->master->trim_silence_preroll_s, 0.1);

    json bad = minimal();
    bad["master"] = {{"fade_curve", "cosine"}};
    expect_one_error(bad, "master.fade_curve: must be one of \"linear\", \"equal-power\", \"exponential\"");
    bad["master"] = {{"match_eq", {{"amount", 2}}}};
    const auto lines = errors_of(bad);
    ASSERT_EQ(lines.size(), 2u);
    EXPECT_EQ(lines[0], "s.json: master.match_eq.reference: is required");
    EXPECT_EQ(lines[1], "s.json: master.match_eq.amount: must be within [0, 1]");
    bad["master"] = {{"trim_silence_db", 3}};
    expect_one_error(bad, "master.trim_silence_db: must be within [-144, 0]");
}

TEST(SessionDeliveryKeys, NewPresets) {
    json j = minimal();
    j["master"] = {{"preset", "vinyl"}};
    auto r = parse(j);
    ASSERT_TRUE(r.has_value()) << r.error().message;
    EXPECT_FALSE(r->master->loudness_target_lufs.has_value());  // no normalisation
    EXPECT_EQ(r->master->limiter->ceiling_dbtp, -3.0);
    EXPECT_EQ(r->master->mono_below_hz, 150.0);
    j["master"] = {{"preset", "youtube"}};
    r = parse(j);
    ASSERT_TRUE(r.has_value());
    EXPECT_EQ(r->master->loudness_target_lufs, -14.0);
    EXPECT_EQ(r->master->limiter->ceiling_dbtp, -1.0);
    j["master"] = {{"preset", "radio"}, {"mono_below_hz", 100}};
    r = parse(j);
    ASSERT_TRUE(r.has_value());
    EXPECT_EQ(r->master->loudness_target_lufs, -23.0);
    EXPECT_EQ(r->master->mono_below_hz, 100.0);
}

TEST(SessionDeliveryKeys, LossyExports) {
    json j = minimal();
    j["sample_rate"] = 44100;
    j["export"] = json::array({{{"file", "a.mp3"}, {"bitrate_kbps", 320}},
                               {{"file", "b.opus"}, {"bitrate_kbps", 128}},
                               {{"file", "c.ogg"}, {"quality", 0.6}},
                               {{"file", "d.MP3"}}});
    auto r = parse(j);
    ASSERT_TRUE(r.has_value()) << r.error().message;
    EXPECT_EQ(r->exports[0].format, ExportFormat::Mp3);
    EXPECT_EQ(r->exports[0].bitrate_kbps, 320);
    EXPECT_EQ(r->exports[0].sample_rate, 0);       // 44.1 kHz is an MP3 rate
    EXPECT_EQ(r->exports[0].dither, Dither::None);  // encoders take float
    EXPECT_EQ(r->exports[1].format, ExportFormat::Opus);
    EXPECT_EQ(r->exports[1].sample_rate, 48000);    // Opus holds no 44.1 kHz
    EXPECT_EQ(r->exports[2].format, ExportFormat::Ogg);
    EXPECT_EQ(r->exports[2].quality, 0.6);
    EXPECT_EQ(r->exports[3].format, ExportFormat::Mp3);

    auto one = [&](json e, const std::string& msg) {
        json k = minimal();
        k["export"] = json::array({e});
        expect_one_error(k, msg);
    };
    one({{"file", "a.mp3"}, {"bitrate_kbps", 100}}, "export[0].bitrate_kbps: must be an MP3 bit rate");
    one({{"file", "a.mp3"}, {"bitrate_kbps", 128}, {"quality", 0.5}}, "export[0].quality: give bitrate_kbps or quality, not both");
    one({{"file", "a.ogg"}, {"bitrate_kbps", 128}}, "export[0].bitrate_kbps: ogg (Vorbis) is written at a quality");
    one({{"file", "a.opus"}, {"sample_rate", 44100}}, "export[0].sample_rate: opus holds 8000, 12000, 16000, 24000 or 48000 Hz");
    one({{"file", "a.mp3"}, {"bit_depth", 16}}, "export[0].bit_depth: unknown key");
    one({{"file", "a.wav"}, {"bitrate_kbps", 320}}, "export[0].bitrate_kbps: unknown key");
    one({{"file", "a.wav"}, {"quality", 0.5}}, "export[0].quality: unknown key");
    one({{"file", "a.mp4"}}, "export[0].format: is required when the file name does not end in .wav, .flac, .aif, .aiff, .rf64, .mp3");
}

TEST(SessionDeliveryKeys, PerExportTargetsNeedAMasterAndTakeTheirPresetsDefaults) {
    json j = minimal();
    j["master"] = {{"preset", "streaming"}};
    j["export"] = json::array({{{"file", "stream.wav"}},
                               {{"file", "apple.wav"}, {"preset", "apple"}},
                               {{"file", "broadcast.wav"}, {"preset", "ebu-r128"}},
                               {{"file", "cd.wav"}, {"preset", "cd"}},
                               {{"file", "custom.flac"}, {"loudness_target_lufs", -18}, {"ceiling_dbtp", -2}}});
    auto r = parse(j);
    ASSERT_TRUE(r.has_value()) << r.error().message;
    EXPECT_FALSE(r->exports[0].preset.has_value());
    EXPECT_EQ(r->exports[1].preset, "apple");
    EXPECT_EQ(r->exports[2].format, ExportFormat::Bwf);  // the export's preset's defaults
    EXPECT_EQ(r->exports[3].bit_depth, 16);
    EXPECT_EQ(r->exports[3].sample_rate, 44100);
    EXPECT_TRUE(r->exports[3].cue_sheet);
    EXPECT_EQ(r->exports[4].loudness_target_lufs, -18.0);
    EXPECT_EQ(r->exports[4].ceiling_dbtp, -2.0);

    json k = minimal();
    k["export"] = json::array({{{"file", "a.wav"}, {"loudness_target_lufs", -16}}});
    expect_one_error(k, "export[0].loudness_target_lufs: an export's own delivery target needs a master block");
    k["master"] = json::object();
    k["export"][0] = {{"file", "a.wav"}, {"preset", "spotify"}};
    expect_one_error(k, "export[0].preset: must be one of \"streaming\"");
}

TEST(SessionDeliveryKeys, Metadata) {
    json j = minimal();
    j["metadata"] = {{"title", "Caf\u00e9 \"Live\" \u2014 \u97f3"}, {"year", 2026}, {"track", 3},
                     {"composer", "A. Composer"}, {"copyright", "\u2117 2026 Label"}, {"date", "2024-02-29"}};
    auto r = parse(j);
    ASSERT_TRUE(r.has_value()) << r.error().message;
    EXPECT_EQ(r->metadata.title, "Caf\u00e9 \"Live\" \u2014 \u97f3");  // quotes and Unicode allowed
    EXPECT_EQ(r->metadata.year, "2026");
    EXPECT_EQ(r->metadata.track, 3);
    EXPECT_EQ(r->metadata.date, "2024-02-29");
    // Written back as a string, equal model.
    auto again = parse_session(to_json(*r), "/base", "s.json");
    ASSERT_TRUE(again.has_value());
    EXPECT_TRUE(*again == *r);

    auto one = [&](json md, const std::string& msg) {
        json k = minimal();
        k["metadata"] = md;
        expect_one_error(k, msg);
    };
    one({{"year", "26"}}, "metadata.year: must be a year of 4 digits");
    one({{"year", 20261}}, "metadata.year: must be a year of 4 digits");
    one({{"track", 0}}, "metadata.track: must be a multiple of 1 within [1, 99]");
    one({{"track", 100}}, "metadata.track: must be a multiple of 1 within [1, 99]");
    one({{"date", "2023-02-29"}}, "metadata.date: must be an ISO 8601 date");
    one({{"date", "2026-12-04T24:00:00"}}, "metadata.date: must be an ISO 8601 date");
    one({{"date", "04.12.2026"}}, "metadata.date: must be an ISO 8601 date");
    one({{"title", "bell\x07"}}, "metadata.title: must not contain control characters");
    one({{"artist", "two\nlines"}}, "metadata.artist: must not contain control characters");
}

TEST(SessionBlocks, AMasterBlockReadsLikeASessionsWithItsOwnPathPrefix) {
    auto ok = parse_master_block(json{{"preset", "apple"}, {"fade_out_s", 3}}, "album.json: master", "/albums", 44100);
    ASSERT_TRUE(ok.has_value()) << ok.error().message;
    EXPECT_EQ(ok->loudness_target_lufs, -16.0);
    EXPECT_EQ(ok->fade_out_s, 3.0);
    EXPECT_EQ(master_block_json(*ok).dump(), R"({"preset":"apple","limiter":{"ceiling_dbtp":-1.0},"loudness_target_lufs":-16.0,"fade_out_s":3.0})");

    auto bad = parse_master_block(json{{"eq", {{"bands", {{{"type", "bell"}, {"freq_hz", 30000}}}}}}, {"widht", 1}}, "album.json: master",
                                  "/albums", 44100);
    ASSERT_FALSE(bad.has_value());
    const auto lines = lines_of(bad.error().message);
    ASSERT_EQ(lines.size(), 2u) << bad.error().message;
    EXPECT_EQ(lines[0].rfind("album.json: master.eq.bands[0].freq_hz: must be > 0 and below the Nyquist frequency (22050 Hz)", 0), 0u)
        << lines[0];
    EXPECT_EQ(lines[1], "album.json: master.widht: unknown key (did you mean \"width\"?)");
}

// The docs are the users' reference: every ```json example of
// docs/session-format.md is a valid session.
TEST(SessionDocs, TheExamplesOfTheSessionFormatPageParse) {
    std::ifstream in(std::string(STEMFORGE_SOURCE_DIR) + "/docs/session-format.md");
    ASSERT_TRUE(in.good());
    std::stringstream text;
    text << in.rdbuf();
    const std::string doc = text.str();
    int examples = 0;
    for (size_t at = doc.find("```json\n"); at != std::string::npos; at = doc.find("```json\n", at)) {
        at += 8;
        const size_t end = doc.find("```", at);
        ASSERT_NE(end, std::string::npos);
        const std::string block = doc.substr(at, end - at);
        if (block.find("\"stemforge-session\"") == std::string::npos) continue;
        auto r = parse_session(block, "/base", "docs/session-format.md");
        EXPECT_TRUE(r.has_value()) << (r ? "" : r.error().message) << "\n" << block;
        ++examples;
    }
    EXPECT_GE(examples, 1);
}

}  // namespace
}  // namespace sf
