// master.preset and delivery keys in the session parser: each preset's
// targets, explicit keys winning, export defaults, metadata validation.
#include <gtest/gtest.h>

#include <nlohmann/json.hpp>

#include "engine/export/metadata.h"
#include "engine/master/preset.h"
#include "engine/session/session.h"
#include "tests/support/test_support.h"

namespace sf::master {
namespace {

Result<Session> parse(nlohmann::json master, nlohmann::json exports = nlohmann::json::array(), nlohmann::json metadata = nullptr) {
    nlohmann::json s = {{"format", "stemforge-session"}, {"version", 1}, {"stems", {{{"name", "a"}, {"file", "a.wav"}}}}, {"master", master}};
    if (!exports.empty()) s["export"] = exports;
    if (!metadata.is_null()) s["metadata"] = metadata;
    return parse_session(s.dump(), "/tmp", "s.json");
}

TEST(Preset, EachPresetSetsItsTargetAndCeiling) {
    struct Want {
        const char* name;
        std::optional<double> target;
        double ceiling;
    };
    for (const Want& w : {Want{"streaming", -14.0, -1.0}, Want{"apple", -16.0, -1.0}, Want{"ebu-r128", -23.0, -1.0},
                          Want{"atsc-a85", -24.0, -2.0}, Want{"cd", std::nullopt, -1.0}}) {
        auto s = parse({{"preset", w.name}});
        ASSERT_TRUE(s.has_value()) << s.error().message;
        EXPECT_EQ(s->master->loudness_target_lufs, w.target) << w.name;
        ASSERT_TRUE(s->master->limiter.has_value()) << w.name;
        EXPECT_EQ(s->master->limiter->ceiling_dbtp, w.ceiling) << w.name;
    }
}

TEST(Preset, ExplicitKeysWin) {
    auto s = parse({{"preset", "streaming"}, {"loudness_target_lufs", -12.5}, {"limiter", {{"release_ms", 80}}}});
    ASSERT_TRUE(s.has_value()) << s.error().message;
    EXPECT_EQ(*s->master->loudness_target_lufs, -12.5);
    EXPECT_EQ(s->master->limiter->ceiling_dbtp, -1.0);  // from the preset: not written
    EXPECT_EQ(s->master->limiter->release_ms, 80.0);
    s = parse({{"preset", "atsc-a85"}, {"limiter", {{"ceiling_dbtp", -3}}}});
    ASSERT_TRUE(s.has_value());
    EXPECT_EQ(s->master->limiter->ceiling_dbtp, -3.0);
    EXPECT_EQ(*s->master->loudness_target_lufs, -24.0);
}

TEST(Preset, ExportDefaults) {
    auto s = parse({{"preset", "cd"}}, {{{"file", "a.wav"}}, {{"file", "b.wav"}, {"bit_depth", 24}, {"sample_rate", 48000}, {"cue_sheet", false}}});
    ASSERT_TRUE(s.has_value()) << s.error().message;
    EXPECT_EQ(s->exports[0].bit_depth, 16);
    EXPECT_EQ(s->exports[0].sample_rate, 44100);
    EXPECT_EQ(s->exports[0].dither, Dither::Tpdf);
    EXPECT_TRUE(s->exports[0].cue_sheet);
    EXPECT_EQ(s->exports[1].bit_depth, 24);
    EXPECT_EQ(s->exports[1].sample_rate, 48000);
    EXPECT_FALSE(s->exports[1].cue_sheet);
    s = parse({{"preset", "ebu-r128"}}, {{{"file", "a.wav"}}, {{"file", "b.wav"}, {"format", "wav"}}, {{"file", "c.flac"}}});
    ASSERT_TRUE(s.has_value());
    EXPECT_EQ(s->exports[0].format, ExportFormat::Bwf);
    EXPECT_EQ(s->exports[1].format, ExportFormat::Wav);  // written explicitly
    EXPECT_EQ(s->exports[2].format, ExportFormat::Flac);
}

TEST(Preset, StereoKeysAndLimiterLimitsAreValidated) {
    auto s = parse({{"mono_below_hz", 120}, {"balance", -0.25}, {"limiter", {{"max_gain_reduction_db", 9}}}});
    ASSERT_TRUE(s.has_value()) << s.error().message;
    EXPECT_EQ(*s->master->mono_below_hz, 120.0);
    EXPECT_EQ(*s->master->balance, -0.25);
    EXPECT_EQ(s->master->limiter->max_gain_reduction_db, 9.0);
    auto bad = parse({{"balance", 2}});
    ASSERT_FALSE(bad.has_value());
    EXPECT_NE(bad.error().message.find("master.balance"), std::string::npos) << bad.error().message;
    bad = parse({{"mono_below_hz", 5}});
    ASSERT_FALSE(bad.has_value());
    EXPECT_NE(bad.error().message.find("master.mono_below_hz"), std::string::npos);
    bad = parse({{"limiter", {{"max_gain_reduction_db", -1}}}});
    ASSERT_FALSE(bad.has_value());
    EXPECT_NE(bad.error().message.find("master.limiter.max_gain_reduction_db"), std::string::npos);
}

TEST(Preset, MetadataIsValidated) {
    auto s = parse(nlohmann::json::object(), nlohmann::json::array(),
                   {{"title", "T"}, {"artist", "A"}, {"isrc", "us-s1z-99-00001"}, {"catalog", "0123456789012"}});
    ASSERT_TRUE(s.has_value()) << s.error().message;
    EXPECT_EQ(s->metadata.isrc, "USS1Z9900001");
    EXPECT_EQ(s->metadata.catalog, "0123456789012");
    for (const auto& [key, value] : std::vector<std::pair<std::string, std::string>>{
             {"isrc", "US-S1Z-99-0001"}, {"isrc", "1S-S1Z-99-00001"}, {"catalog", "12345"}, {"title", "a\ttab"}}) {
        auto bad = parse(nlohmann::json::object(), nlohmann::json::array(), {{key, value}});
        ASSERT_FALSE(bad.has_value()) << key << "=" << value;
        EXPECT_NE(bad.error().message.find("metadata." + key), std::string::npos) << bad.error().message;
    }
}

// CUE sheet text per the CDRWIN format (Red Book fields: CATALOG 13 digits, ISRC 12 chars).
TEST(Delivery, CueSheetCarriesCatalogAndIsrc) {
    DeliveryMetadata md;
    md.title = "Song";
    md.artist = "Band";
    md.isrc = "USS1Z9900001";
    md.catalog = "0123456789012";
    const std::string cue = cue_sheet_text("/x/y/track.wav", ExportFormat::Wav, md);
    EXPECT_EQ(cue,
              "REM COMMENT \"Stemforge\"\r\nCATALOG 0123456789012\r\nPERFORMER \"Band\"\r\nTITLE \"Song\"\r\n"
              "FILE \"track.wav\" WAVE\r\n  TRACK 01 AUDIO\r\n    TITLE \"Song\"\r\n    PERFORMER \"Band\"\r\n"
              "    ISRC USS1Z9900001\r\n    INDEX 01 00:00:00\r\n");
}

// The bext patch writes the five v2 fields (value x 100, 0x7fff for -inf) where
// libsndfile reads them back.
TEST(Delivery, BextLoudnessFieldsRoundTrip) {
    test::TempDir dir;
    test::write_wav(dir / "a.wav", test::noise(2, 1000, 1, 0.1), 48000, 24, ExportFormat::Bwf);
    const BextLoudness want{-23.004, 7.456, -1.234, -18.5, -INFINITY};
    ASSERT_TRUE(patch_bext_loudness(dir / "a.wav", want).has_value());
    auto got = read_bext_loudness(dir / "a.wav");
    ASSERT_TRUE(got.has_value()) << got.error().message;
    EXPECT_DOUBLE_EQ(got->integrated_lufs, -23.0);
    EXPECT_DOUBLE_EQ(got->loudness_range_lu, 7.46);
    EXPECT_DOUBLE_EQ(got->max_true_peak_dbtp, -1.23);
    EXPECT_DOUBLE_EQ(got->max_momentary_lufs, -18.5);
    EXPECT_TRUE(std::isinf(got->max_short_term_lufs));
    // And the audio still reads.
    EXPECT_EQ(test::read_audio(dir / "a.wav").frames(), 1000);
    // A plain WAV has no bext chunk: an error naming the file.
    test::write_wav(dir / "b.wav", test::noise(2, 10, 1, 0.1), 48000, 24, ExportFormat::Wav);
    auto none = patch_bext_loudness(dir / "b.wav", want);
    ASSERT_FALSE(none.has_value());
    EXPECT_NE(none.error().message.find("b.wav"), std::string::npos);
}

}  // namespace
}  // namespace sf::master
