// analyze_file end to end on files: the JSON contract keys, file checks,
// bad input (silence, 1 sample, NaN, too many channels, missing file).
#include <gtest/gtest.h>

#include <sndfile.h>

#include <cmath>
#include <fstream>
#include <limits>

#include "analysis/analyze.h"
#include "engine/core/random.h"
#include "tests/analysis/ebu_signals.h"
#include "tests/support/test_support.h"

namespace sf::analysis {
namespace {

TEST(Analyze, JsonHasTheContractKeys) {
    test::TempDir dir;
    auto b = test::ebu::stepped_sine(48000, 2, {{4.0, -20.0}});
    test::write_wav(dir / "a.wav", b, 48000, 24);
    AnalyzeOptions o;
    o.series = true;
    auto a = analyze_file(dir / "a.wav", o);
    ASSERT_TRUE(a.has_value()) << a.error().message;
    const auto j = to_json(*a);
    for (const char* k : {"file", "integrated_lufs", "momentary_max_lufs", "short_term_max_lufs", "lra_lu", "true_peak_dbtp",
                          "sample_peak_dbfs", "rms_dbfs", "correlation", "duration_s", "sample_rate", "channels"})
        EXPECT_TRUE(j.contains(k)) << k;
    EXPECT_NEAR(j["integrated_lufs"].get<double>(), -20.0, 0.1);
    EXPECT_NEAR(j["sample_peak_dbfs"].get<double>(), -20.0, 0.01);
    EXPECT_NEAR(j["rms_dbfs"].get<double>(), -23.01, 0.01);
    EXPECT_NEAR(j["correlation"].get<double>(), 1.0, 1e-6);
    EXPECT_EQ(j["channels"].get<int>(), 2);
    EXPECT_LE(j["series"]["hop_s"].get<double>(), 0.01);
    EXPECT_EQ(j["series"]["momentary_lufs"].size(), 400u);
    EXPECT_EQ(j["series"]["short_term_lufs"].size(), 400u);
    EXPECT_TRUE(j["checks"]["identical_channels"].get<bool>());
    EXPECT_NEAR(j["stereo"]["mono_loss_lu"].get<double>(), 0.0, 1e-6);
    EXPECT_NEAR(j["spectrum"]["peak_hz"].get<double>(), 1000.0, 6.0);
}

TEST(Analyze, BlockSizeAndThreadsDoNotChangeTheReport) {
    test::TempDir dir;
    Random rng(4);
    AudioBuffer b(2, 48000 * 5 + 77);
    for (int c = 0; c < 2; ++c)
        for (int64_t i = 0; i < b.frames(); ++i) b.channel(c)[i] = static_cast<float>(0.4 * rng.bipolar());
    test::write_wav(dir / "n.wav", b, 48000, 32);
    AnalyzeOptions o1, o2;
    o2.block_frames = 4097;
    o2.parallel = false;
    const auto j1 = to_json(*analyze_file(dir / "n.wav", o1));
    const auto j2 = to_json(*analyze_file(dir / "n.wav", o2));
    for (const char* k : {"integrated_lufs", "lra_lu", "true_peak_dbtp", "sample_peak_dbfs", "rms_dbfs", "correlation"})
        EXPECT_NEAR(j1[k].get<double>(), j2[k].get<double>(), 1e-9) << k;
}

TEST(Analyze, SilentFileReportsNullNotInfinity) {
    test::TempDir dir;
    AudioBuffer b(2, 48000 * 2);
    test::write_wav(dir / "silent.wav", b, 48000, 16);
    auto a = analyze_file(dir / "silent.wav");
    ASSERT_TRUE(a.has_value());
    const auto j = to_json(*a);
    for (const char* k : {"integrated_lufs", "momentary_max_lufs", "short_term_max_lufs", "lra_lu", "true_peak_dbtp", "sample_peak_dbfs",
                          "rms_dbfs", "correlation"})
        EXPECT_TRUE(j[k].is_null()) << k;
    const std::string text = j.dump();
    EXPECT_EQ(text.find("inf"), std::string::npos);
    EXPECT_EQ(text.find("nan"), std::string::npos);
    EXPECT_TRUE(a->checks.all_silent);
}

TEST(Analyze, OneSampleFile) {
    test::TempDir dir;
    AudioBuffer b(1, 1);
    b.channel(0)[0] = 0.5f;
    test::write_wav(dir / "one.wav", b, 44100, 32);
    auto a = analyze_file(dir / "one.wav");
    ASSERT_TRUE(a.has_value()) << a.error().message;
    EXPECT_FALSE(a->integrated_lufs.has_value());
    EXPECT_NEAR(*a->true_peak_dbtp, 20 * std::log10(0.5), 1e-6);
    EXPECT_TRUE(a->momentary_max_lufs.has_value());
    const auto j = to_json(*a);
    EXPECT_TRUE(j["correlation"].is_null());
    EXPECT_TRUE(j["integrated_lufs"].is_null());
}

TEST(Analyze, NanSampleIsAnErrorNamingTheFile) {
    test::TempDir dir;
    const auto path = dir / "nan.wav";
    SF_INFO info{};
    info.samplerate = 48000;
    info.channels = 1;
    info.format = SF_FORMAT_WAV | SF_FORMAT_FLOAT;
    SNDFILE* f = sf_open(path.c_str(), SFM_WRITE, &info);
    ASSERT_NE(f, nullptr);
    std::vector<float> x(1000, 0.1f);
    x[500] = std::numeric_limits<float>::quiet_NaN();
    sf_write_float(f, x.data(), 1000);
    sf_close(f);
    auto a = analyze_file(path);
    ASSERT_FALSE(a.has_value());
    EXPECT_EQ(a.error().code, ErrorCode::BadAudio);
    EXPECT_NE(a.error().message.find("nan.wav"), std::string::npos) << a.error().message;
    EXPECT_EQ(a.error().message.find('\n'), std::string::npos);
}

TEST(Analyze, MissingFileAndTooManyChannels) {
    test::TempDir dir;
    auto missing = analyze_file(dir / "nope.wav");
    ASSERT_FALSE(missing.has_value());
    EXPECT_NE(missing.error().message.find("nope.wav"), std::string::npos);
    AudioBuffer b(9, 100);
    test::write_wav(dir / "nine.wav", b, 48000, 16);
    auto nine = analyze_file(dir / "nine.wav");
    ASSERT_FALSE(nine.has_value());
    EXPECT_NE(nine.error().message.find("nine.wav"), std::string::npos);
}

TEST(Analyze, SevenPointOneIsMeasured) {
    // 7.1 (L R C LFE Lb Rb Ls Rs): a tone on Ls only reads with weight 1.41.
    test::TempDir dir;
    AudioBuffer b(8, 48000 * 2);
    const auto t = test::ebu::stepped_sine(48000, 1, {{2.0, -20.0}});
    std::copy_n(t.channel(0), t.frames(), b.channel(6));
    test::write_wav(dir / "71.wav", b, 48000, 24);
    auto a = analyze_file(dir / "71.wav");
    ASSERT_TRUE(a.has_value()) << a.error().message;
    // Mono −20 dBFS 1 kHz tone = −23.01 LUFS; ×1.41 → +1.49 dB.
    EXPECT_NEAR(*a->integrated_lufs, -23.01 + 10 * std::log10(1.41), 0.05);
}

TEST(FileChecks, ClippingDcSilenceAndChannelRelations) {
    test::TempDir dir;
    AudioBuffer b(2, 48000);
    // 0.25 s silence, then a tone with clipped crests and a DC offset, then 0.5 s silence.
    for (int64_t i = 12000; i < 24000; ++i) {
        const float v = std::clamp(static_cast<float>(1.5 * std::sin(2 * std::numbers::pi * 100.0 * i / 48000.0)), -1.0f, 1.0f);
        b.channel(0)[i] = v;
        b.channel(1)[i] = -v;
    }
    test::write_wav(dir / "c.wav", b, 48000, 32);
    auto a = analyze_file(dir / "c.wav");
    ASSERT_TRUE(a.has_value());
    const auto& c = a->checks;
    // 100 Hz over 0.25 s = 25 periods, two clipped crests each, per channel.
    EXPECT_EQ(c.clipped_runs, 2 * 25 * 2);
    EXPECT_NEAR(c.leading_silence_s, 0.25, 1e-3);
    EXPECT_NEAR(c.trailing_silence_s, 0.5, 1e-3);
    EXPECT_TRUE(c.phase_inverted);
    EXPECT_FALSE(c.identical_channels);
    EXPECT_FALSE(a->mono_loss_lu.has_value());   // folds to silence
    EXPECT_NEAR(*a->correlation, -1.0, 1e-9);

    AudioBuffer d(1, 48000);
    for (int64_t i = 0; i < d.frames(); ++i) d.channel(0)[i] = 0.01f + 0.1f * static_cast<float>(std::sin(i * 0.01));
    test::write_wav(dir / "dc.wav", d, 48000, 32);
    auto ad = analyze_file(dir / "dc.wav");
    ASSERT_TRUE(ad.has_value());
    EXPECT_NEAR(ad->checks.dc_offset[0], 0.01, 0.002);
    EXPECT_FALSE(ad->checks.warnings.empty());
}

TEST(Analyze, MonoFoldLossOfUncorrelatedChannels) {
    // Independent equal-level noise: folding to mono halves the power → 3.01 LU.
    test::TempDir dir;
    Random rng(8);
    AudioBuffer b(2, 48000 * 6);
    for (int c = 0; c < 2; ++c)
        for (int64_t i = 0; i < b.frames(); ++i) b.channel(c)[i] = static_cast<float>(0.3 * rng.bipolar());
    test::write_wav(dir / "u.wav", b, 48000, 32);
    auto a = analyze_file(dir / "u.wav");
    ASSERT_TRUE(a.has_value());
    EXPECT_NEAR(*a->mono_loss_lu, 3.01, 0.05);
}

}  // namespace
}  // namespace sf::analysis
