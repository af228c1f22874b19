// analyze_file end to end on files: the JSON contract keys, file checks,
// bad input (silence, 1 sample, NaN, too many channels, missing file).
#include <gtest/gtest.h>

#include <sndfile.h>

#include <atomic>
#include <cmath>
#include <fstream>
#include <future>
#include <limits>
#include <numbers>
#include <thread>

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

// ---- for the workstation's views: progress, cancel, positions, spectra, overview

namespace sf::analysis {
namespace {

AudioBuffer noise_file(int channels, int64_t frames, uint64_t seed) {
    Random rng(seed);
    AudioBuffer b(channels, frames);
    for (int c = 0; c < channels; ++c)
        for (int64_t i = 0; i < frames; ++i) b.channel(c)[i] = static_cast<float>(0.3 * rng.bipolar());
    return b;
}

TEST(AnalyzeProgress, IsMonotonicAndReachesOne) {
    test::TempDir dir;
    test::write_wav(dir / "n.wav", noise_file(2, 48000 * 2 + 5, 7), 48000, 32);
    for (bool parallel : {true, false}) {
        std::vector<double> seen;
        AnalyzeOptions o;
        o.block_frames = 4096;
        o.parallel = parallel;
        o.progress = [&](double f) { seen.push_back(f); };
        ASSERT_TRUE(analyze_file(dir / "n.wav", o).has_value());
        ASSERT_GE(seen.size(), 20u);   // one per block: ceil(96005 / 4096) = 24
        for (size_t i = 0; i < seen.size(); ++i) {
            EXPECT_GE(seen[i], 0.0);
            EXPECT_LE(seen[i], 1.0);
            if (i > 0) {
                EXPECT_GE(seen[i], seen[i - 1]) << i;
            }
        }
        EXPECT_EQ(seen.back(), 1.0);
    }
    // A one-frame file (0 frames is refused at open): one block, one call.
    test::write_wav(dir / "one.wav", AudioBuffer(1, 1), 48000, 16);
    std::vector<double> one_seen;
    AnalyzeOptions o;
    o.progress = [&](double f) { one_seen.push_back(f); };
    ASSERT_TRUE(analyze_file(dir / "one.wav", o).has_value());
    ASSERT_EQ(one_seen.size(), 1u);
    EXPECT_EQ(one_seen.back(), 1.0);
}

TEST(AnalyzeCancel, SetFromTheProgressCallbackStopsAtTheNextBlock) {
    test::TempDir dir;
    test::write_wav(dir / "n.wav", noise_file(2, 48000 * 2, 8), 48000, 32);
    std::atomic<bool> cancel{false};
    int calls_after = 0;
    AnalyzeOptions o;
    o.block_frames = 4096;
    o.cancel = &cancel;
    o.progress = [&](double f) {
        if (cancel.load()) ++calls_after;
        if (f > 0.3) cancel.store(true);
    };
    auto a = analyze_file(dir / "n.wav", o);
    ASSERT_FALSE(a.has_value());
    EXPECT_EQ(a.error().code, ErrorCode::Cancelled);
    EXPECT_EQ(a.error().message, "cancelled");
    EXPECT_EQ(calls_after, 0);   // stopped before the block after the one that set it
}

TEST(AnalyzeCancel, SetFromAnotherThreadStopsTheWork) {
    // The worker's first progress call hands over to the other thread and
    // waits until it has set the flag: no timing involved.
    test::TempDir dir;
    test::write_wav(dir / "n.wav", noise_file(2, 48000 * 2, 9), 48000, 32);
    std::atomic<bool> cancel{false};
    std::promise<void> started;
    std::thread canceller([&, f = started.get_future()]() mutable {
        f.wait();
        cancel.store(true);
    });
    bool first = true;
    AnalyzeOptions o;
    o.block_frames = 4096;
    o.cancel = &cancel;
    o.progress = [&](double) {
        if (!first) return;
        first = false;
        started.set_value();
        while (!cancel.load()) std::this_thread::yield();
    };
    auto a = analyze_file(dir / "n.wav", o);
    canceller.join();
    ASSERT_FALSE(a.has_value());
    EXPECT_EQ(a.error().code, ErrorCode::Cancelled);
    // Set before the call: nothing is streamed at all.
    int calls = 0;
    o.progress = [&](double) { ++calls; };
    auto b = analyze_file(dir / "n.wav", o);
    ASSERT_FALSE(b.has_value());
    EXPECT_EQ(b.error().code, ErrorCode::Cancelled);
    EXPECT_EQ(calls, 0);
}

TEST(AnalyzePositions, TruePeakAndLoudnessMaximaAreWhereTheSignalPutsThem) {
    // Stereo 1 kHz, L = a(t)·sin, R = a(t)·cos: the K-weighted energy
    // L² + R² has no carrier ripple, only the envelope a(t)², a triangle
    // symmetric about 6 s (2 s .. 10 s, peak 0.5). A window's energy is
    // largest when the window is centred on 6 s: the momentary maximum ends
    // at 6.2 s, the short-term one at 7.5 s. A lone sample of 0.95 at 3.2 s
    // is the true peak (an impulse peaks on its sample) and adds nothing
    // that matters to any window.
    const int rate = 48000;
    const int64_t frames = int64_t{rate} * 12;
    AudioBuffer b(2, frames);
    for (int64_t i = 0; i < frames; ++i) {
        const double t = static_cast<double>(i) / rate;
        const double a = 0.5 * std::max(0.0, 1.0 - std::abs(t - 6.0) / 4.0);
        const double w = 2.0 * std::numbers::pi * 1000.0 * t;
        b.channel(0)[i] = static_cast<float>(a * std::sin(w));
        b.channel(1)[i] = static_cast<float>(a * std::cos(w));
    }
    const int64_t spike = std::llround(3.2 * rate);
    b.channel(1)[spike] = 0.95f;
    test::TempDir dir;
    test::write_wav(dir / "tri.wav", b, rate, 32);
    auto a = analyze_file(dir / "tri.wav");
    ASSERT_TRUE(a.has_value()) << a.error().message;
    ASSERT_TRUE(a->true_peak_max_s && a->momentary_max_s && a->short_term_max_s);
    EXPECT_NEAR(*a->true_peak_max_s, 3.2, 0.5 / rate);
    EXPECT_NEAR(*a->momentary_max_s, 6.2, 0.01);
    EXPECT_NEAR(*a->short_term_max_s, 7.5, 0.01);
    const auto j = to_json(*a);
    EXPECT_NEAR(j["true_peak_max_s"].get<double>(), 3.2, 0.5 / rate);
    EXPECT_NEAR(j["momentary_max_s"].get<double>(), 6.2, 0.01);
    EXPECT_NEAR(j["short_term_max_s"].get<double>(), 7.5, 0.01);
    EXPECT_NEAR(j["true_peak_dbtp"].get<double>(), 20 * std::log10(0.95), 0.001);

    test::write_wav(dir / "silent.wav", AudioBuffer(2, rate), rate, 16);
    const auto s = to_json(*analyze_file(dir / "silent.wav"));
    for (const char* k : {"true_peak_max_s", "momentary_max_s", "short_term_max_s"}) EXPECT_TRUE(s[k].is_null()) << k;
}

TEST(AnalyzeViews, StereoHasSideAndMaxHoldSpectraAndTheOverviewOnRequest) {
    // L = s + t, R = s − t (t only in the side), bin-centred tones.
    const int rate = 48000;
    const int64_t frames = int64_t{rate} * 3;
    const double fs_hz = 128.0 * rate / 8192, ft_hz = 300.0 * rate / 8192;
    AudioBuffer b(2, frames);
    for (int64_t i = 0; i < frames; ++i) {
        const double s = 0.4 * std::sin(2 * std::numbers::pi * fs_hz * static_cast<double>(i) / rate);
        const double t = 0.1 * std::sin(2 * std::numbers::pi * ft_hz * static_cast<double>(i) / rate);
        b.channel(0)[i] = static_cast<float>(s + t);
        b.channel(1)[i] = static_cast<float>(s - t);
    }
    test::TempDir dir;
    test::write_wav(dir / "ms.wav", b, rate, 32);
    AnalyzeOptions o;
    o.waveform = true;
    o.waveform_columns = 1000;
    auto a = analyze_file(dir / "ms.wav", o);
    ASSERT_TRUE(a.has_value()) << a.error().message;
    ASSERT_TRUE(a->side_spectrum && a->side_spectrum_max_hold && a->waveform);
    EXPECT_NEAR(*a->side_spectrum->db(300), -20.0, 0.05);
    EXPECT_LT(a->spectrum.db(300).value_or(-400.0), -120.0);
    EXPECT_NEAR(*a->spectrum_max_hold.db(128), 20 * std::log10(0.4), 0.05);
    // Overview: 1000 columns of 144 frames partition the file, so the
    // extremes over the columns are the signal's own.
    const WaveformOverview& w = *a->waveform;
    EXPECT_EQ(w.columns, 1000);
    EXPECT_EQ(w.channels, 2);
    float lo = 1.0f, hi = -1.0f;
    for (int64_t i = 0; i < frames; ++i) {
        lo = std::min(lo, b.channel(0)[i]);
        hi = std::max(hi, b.channel(0)[i]);
    }
    float wlo = 1.0f, whi = -1.0f;
    for (int k = 0; k < w.columns; ++k) {
        wlo = std::min(wlo, w.column_min(0, k));
        whi = std::max(whi, w.column_max(0, k));
    }
    EXPECT_EQ(wlo, lo);
    EXPECT_EQ(whi, hi);
    const auto j = to_json(*a);
    const auto& sp = j["spectrum"];
    for (const char* k : {"third_octave_max_db", "side_third_octave_db", "side_third_octave_max_db"}) {
        ASSERT_TRUE(sp.contains(k)) << k;
        EXPECT_EQ(sp[k].size(), sp["third_octave_hz"].size()) << k;
    }
    EXPECT_EQ(j["waveform"]["min"].size(), 2u);
    EXPECT_EQ(j["waveform"]["max"][1].size(), 1000u);
    EXPECT_NEAR(j["waveform"]["column_s"].get<double>(), 144.0 / rate, 1e-12);

    // Mono: no side, no overview unless asked; the contract keys unchanged.
    AudioBuffer m(1, rate);
    test::write_wav(dir / "m.wav", m, rate, 16);
    const auto jm = to_json(*analyze_file(dir / "m.wav"));
    EXPECT_FALSE(jm["spectrum"].contains("side_third_octave_db"));
    EXPECT_TRUE(jm["spectrum"].contains("third_octave_max_db"));
    EXPECT_FALSE(jm.contains("waveform"));
}

}  // namespace
}  // namespace sf::analysis
