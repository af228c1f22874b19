// Spectrum, smoothing, spectrogram and stereo image against signals whose
// answers are known analytically.
#include <gtest/gtest.h>

#include <cmath>
#include <numbers>

#include "analysis/spectrum.h"
#include "analysis/stereo.h"
#include "engine/core/random.h"

namespace sf::analysis {
namespace {

std::vector<float> tone(int64_t n, double rate, double f, double a, double phase = 0.0) {
    std::vector<float> x(static_cast<size_t>(n));
    for (int64_t i = 0; i < n; ++i) x[static_cast<size_t>(i)] = static_cast<float>(a * std::sin(2 * std::numbers::pi * f * i / rate + phase));
    return x;
}

TEST(Welch, BinCentredToneReadsItsAmplitudeInItsBin) {
    const double rate = 48000.0;
    const int n = 8192;
    const double f = 187.0 * rate / n;   // bin 187
    for (auto w : {WindowType::Hann, WindowType::BlackmanHarris, WindowType::Rectangular}) {
        auto x = tone(100003, rate, f, 0.5);
        auto wa = *WelchAnalyzer::create(rate, 1, {n, w, 0.5});
        const float* p = x.data();
        wa.add(&p, static_cast<int64_t>(x.size()));
        wa.finish();
        const Spectrum s = wa.spectrum();
        EXPECT_EQ(s.peak_bin(20.0, 24000.0), 187u) << window_name(w);
        EXPECT_NEAR(*s.db(187), 20 * std::log10(0.5), 0.05) << window_name(w);
    }
}

TEST(Welch, WhiteNoiseIsFlatAndHasItsVariance) {
    // Uniform noise in [−a, a): variance a²/3. Mean power per one-sided bin
    // = 2·σ²·ENBW/N... checked through Parseval: Σ bins ≈ σ²·ENBW·2 for
    // the doubled one-sided calibration; simpler: flatness and the ratio of
    // two bands.
    Random rng(5);
    std::vector<float> x(48000 * 4);
    for (auto& v : x) v = static_cast<float>(0.5 * rng.bipolar());
    auto wa = *WelchAnalyzer::create(48000.0, 1, {4096, WindowType::Hann, 0.5});
    const float* p = x.data();
    wa.add(&p, static_cast<int64_t>(x.size()));
    wa.finish();
    const auto sm = smooth_octave(wa.spectrum(), 3);
    ASSERT_GT(sm.power.size(), 20u);
    double lo = 1e9, hi = -1e9;
    for (size_t i = 0; i < sm.power.size(); ++i) {
        if (sm.freq_hz[i] < 200.0) continue;   // few bins per band below: more variance
        const double db = 10 * std::log10(sm.power[i]);
        lo = std::min(lo, db);
        hi = std::max(hi, db);
    }
    EXPECT_LT(hi - lo, 1.0);   // flat within ±0.5 dB over 1/3-octave bands
    // Level: per bin, E|X|²·4/(Σw)² = 4σ²·Σw²/(Σw)² = 4σ²·ENBW/N, Hann ENBW = 1.5.
    const double expected_db = 10 * std::log10(4.0 * (0.25 / 3.0) * 1.5 / 4096.0);
    EXPECT_NEAR(10 * std::log10(sm.power[sm.power.size() / 2]), expected_db, 0.5);
}

TEST(Welch, StereoMeanSpectrumFromCrossSpectrum) {
    // L = tone, R = −tone: the mean (L+R)/2 is silent; L = R: the mean is L.
    const auto x = tone(50000, 48000.0, 1000.0, 0.5);
    std::vector<float> neg(x.size());
    for (size_t i = 0; i < x.size(); ++i) neg[i] = -x[i];
    auto inv = *WelchAnalyzer::create(48000.0, 2, {});
    const float* pi[2] = {x.data(), neg.data()};
    inv.add(pi, 50000);
    inv.finish();
    const auto s = inv.spectrum();
    EXPECT_LT(s.power[s.peak_bin(900, 1100)], 1e-12);
    auto same = *WelchAnalyzer::create(48000.0, 2, {});
    const float* ps[2] = {x.data(), x.data()};
    same.add(ps, 50000);
    same.finish();
    const auto l = same.input_spectrum(0);
    const auto m = same.spectrum();
    const size_t k = l.peak_bin(900, 1100);
    EXPECT_NEAR(m.power[k], l.power[k], 1e-9 * l.power[k]);
}

TEST(Welch, RejectsBadOptions) {
    EXPECT_FALSE(WelchAnalyzer::create(48000.0, 1, {1000, WindowType::Hann, 0.5}).has_value());
    EXPECT_FALSE(WelchAnalyzer::create(48000.0, 1, {4096, WindowType::Hann, 0.95}).has_value());
    EXPECT_FALSE(WelchAnalyzer::create(48000.0, 3, {}).has_value());
}

TEST(Spectrogram, ToneSitsInItsRowAndColumnsAreBounded) {
    const double rate = 48000.0;
    const auto x = tone(48000 * 3 + 17, rate, 3000.0, 0.25);
    SpectrogramOptions o;
    o.fft_size = 1024;
    o.max_columns = 50;
    auto sg = *SpectrogramAnalyzer::create(rate, static_cast<int64_t>(x.size()), o);
    sg.add(x.data(), 1000);
    sg.add(x.data() + 1000, static_cast<int64_t>(x.size()) - 1000);
    const auto& r = sg.result();
    EXPECT_LE(r.columns(), 50);
    EXPECT_GE(r.columns(), 45);
    const int bin = static_cast<int>(std::lround(3000.0 / (rate / 1024)));   // 64
    for (int c = 0; c < r.columns(); ++c) {
        int best = 0;
        for (int k = 0; k < r.bins; ++k)
            if (r.db[static_cast<size_t>(c * r.bins + k)] > r.db[static_cast<size_t>(c * r.bins + best)]) best = k;
        ASSERT_EQ(best, bin) << "column " << c;
        ASSERT_NEAR(r.db[static_cast<size_t>(c * r.bins + bin)], 20 * std::log10(0.25), 0.1);
    }
}

TEST(Smoothing, ToneEnergyStaysAtItsFrequency) {
    Spectrum s;
    s.sample_rate = 48000.0;
    s.fft_size = 8192;
    s.power.assign(4097, 0.0);
    s.power[171] = 1.0;   // 1001.95 Hz
    const auto sm = smooth_octave(s, 3, 20.0, 12);
    size_t best = 0;
    for (size_t i = 0; i < sm.power.size(); ++i)
        if (sm.power[i] > sm.power[best]) best = i;
    // Band means favour the narrowest band holding the bin, but the winning
    // band must contain the tone: its centre within ±1/6 octave (1/3-octave
    // bands), and a band 1/3 octave away must not see it at all.
    EXPECT_LE(std::abs(std::log2(sm.freq_hz[best] / 1001.95)), 1.0 / 6 + 1e-3);
    for (size_t i = 0; i < sm.power.size(); ++i) {
        if (std::abs(std::log2(sm.freq_hz[i] / 1001.95)) > 1.0 / 6 + 0.01) {
            ASSERT_EQ(sm.power[i], 0.0) << sm.freq_hz[i];
        }
    }
}

// ---- stereo ---------------------------------------------------------------

StereoImage image(const std::vector<float>& l, const std::vector<float>& r, bool octaves = false) {
    StereoMeter m(48000.0, static_cast<int64_t>(l.size()), 1000);
    m.add(l.data(), r.data(), static_cast<int64_t>(l.size()));
    if (!octaves) return m.result(nullptr);
    auto w = *WelchAnalyzer::create(48000.0, 2, {});
    const float* p[2] = {l.data(), r.data()};
    w.add(p, static_cast<int64_t>(l.size()));
    w.finish();
    return m.result(&w);
}

TEST(Stereo, CorrelationOfMonoInvertedAndIndependent) {
    Random rng(9);
    std::vector<float> a(96000), b(96000), neg(96000);
    for (size_t i = 0; i < a.size(); ++i) {
        a[i] = static_cast<float>(0.3 * rng.bipolar());
        b[i] = static_cast<float>(0.3 * rng.bipolar());
        neg[i] = -a[i];
    }
    EXPECT_NEAR(*image(a, a).correlation, 1.0, 1e-9);
    EXPECT_NEAR(*image(a, neg).correlation, -1.0, 1e-9);
    // Independent noise: r ~ N(0, 1/√n) → |r| < 5/√96000 = 0.016.
    EXPECT_NEAR(*image(a, b).correlation, 0.0, 0.016);
    // Quadrature tones: cos(90°) = 0.
    const auto s = tone(48000, 48000.0, 1000.0, 0.5), c = tone(48000, 48000.0, 1000.0, 0.5, std::numbers::pi / 2);
    EXPECT_NEAR(*image(s, c).correlation, 0.0, 1e-3);
    // Phase φ between equal tones: r = cos φ.
    const auto d = tone(48000, 48000.0, 1000.0, 0.5, std::numbers::pi / 3);
    EXPECT_NEAR(*image(s, d).correlation, 0.5, 1e-3);
}

TEST(Stereo, BalanceWidthAndVectorscope) {
    const auto l = tone(48000, 48000.0, 500.0, 0.5);
    std::vector<float> r(l.size());
    for (size_t i = 0; i < l.size(); ++i) r[i] = 0.25f * l[i] / 0.5f;   // R = L/2: −6.02 dB
    const auto im = image(l, r);
    EXPECT_NEAR(*im.balance_db, 20 * std::log10(2.0), 1e-6);
    // M = 1.5L/√2, S = 0.5L/√2: S²/M² = 1/9.
    EXPECT_NEAR(*im.side_mid_ratio, 1.0 / 9.0, 1e-9);
    EXPECT_LE(im.vectorscope_side.size(), 1000u);
    EXPECT_GE(im.vectorscope_side.size(), 990u);
    for (size_t i = 0; i < im.vectorscope_side.size(); ++i) ASSERT_NEAR(im.vectorscope_side[i] * 3.0f, im.vectorscope_mid[i], 1e-6);
    // Uncorrelated equal channels: width 1 (S² = M²).
    Random rng(2);
    std::vector<float> a(96000), b(96000);
    for (size_t i = 0; i < a.size(); ++i) {
        a[i] = static_cast<float>(rng.bipolar());
        b[i] = static_cast<float>(rng.bipolar());
    }
    EXPECT_NEAR(*image(a, b).side_mid_ratio, 1.0, 0.04);
    // A silent side: no balance, no correlation.
    std::vector<float> z(l.size(), 0.0f);
    EXPECT_FALSE(image(l, z).correlation.has_value());
}

TEST(Stereo, CorrelationPerOctaveAndOverTime) {
    // Low band in phase, high band inverted: +1 in the 125 Hz octave, −1 in
    // the 4 kHz octave.
    const auto lo = tone(96000, 48000.0, 125.0, 0.4), hi = tone(96000, 48000.0, 4000.0, 0.4);
    std::vector<float> l(lo.size()), r(lo.size());
    for (size_t i = 0; i < l.size(); ++i) {
        l[i] = lo[i] + hi[i];
        r[i] = lo[i] - hi[i];
    }
    const auto im = image(l, r, true);
    bool saw_lo = false, saw_hi = false;
    for (const auto& o : im.octaves) {
        if (o.centre_hz == 125.0) { EXPECT_NEAR(*o.correlation, 1.0, 1e-3); saw_lo = true; }
        if (o.centre_hz == 4000.0) { EXPECT_NEAR(*o.correlation, -1.0, 1e-3); saw_hi = true; }
    }
    EXPECT_TRUE(saw_lo && saw_hi);
    EXPECT_NEAR(*im.correlation, 0.0, 1e-3);   // equal energies cancel overall
    ASSERT_EQ(im.correlation_over_time.size(), 20u);   // 2 s in 100 ms windows
}

}  // namespace
}  // namespace sf::analysis

// ---- side and max-hold spectra (the spectrum view's mid/side and peak traces)

namespace sf::analysis {
namespace {

TEST(WelchSideAndMaxHold, AToneOnlyInLMinusRIsInTheSideAndNotTheMid) {
    // L = s + t, R = s − t: mid (L+R)/2 = s, side (L−R)/2 = t exactly.
    const double rate = 48000.0;
    const int n = 8192;
    const double fs_hz = 128.0 * rate / n, ft_hz = 300.0 * rate / n;   // bin-centred: the bins read the amplitudes
    const auto s = tone(200003, rate, fs_hz, 0.4), t = tone(200003, rate, ft_hz, 0.1, 0.3);
    std::vector<float> l(s.size()), r(s.size());
    for (size_t i = 0; i < s.size(); ++i) {
        l[i] = s[i] + t[i];
        r[i] = s[i] - t[i];
    }
    auto wa = *WelchAnalyzer::create(rate, 2, {n, WindowType::Hann, 0.5});
    const float* ptrs[2] = {l.data(), r.data()};
    wa.add(ptrs, static_cast<int64_t>(l.size()));
    wa.finish();
    const Spectrum mid = wa.spectrum(), side = wa.side_spectrum(), side_max = wa.side_max_hold_spectrum(), mid_max = wa.max_hold_spectrum();
    EXPECT_NEAR(*mid.db(128), 20 * std::log10(0.4), 0.05);
    EXPECT_NEAR(*side.db(300), 20 * std::log10(0.1), 0.05);
    // Float sums leave rounding residue only: 100 dB under the tones.
    EXPECT_LT(mid.db(300).value_or(-400.0), 20 * std::log10(0.1) - 100.0);
    EXPECT_LT(side.db(128).value_or(-400.0), 20 * std::log10(0.4) - 100.0);
    // Stationary tones: the max-hold reads what the average reads.
    EXPECT_NEAR(*side_max.db(300), 20 * std::log10(0.1), 0.05);
    EXPECT_NEAR(*mid_max.db(128), 20 * std::log10(0.4), 0.05);
    EXPECT_EQ(side.frames_averaged, mid.frames_averaged);
}

TEST(WelchSideAndMaxHold, AToneInOneSecondOfTenReadsFullLevelInMaxHoldAndAboutTenDbLowerInTheAverage) {
    // Energy argument: the tone fills ~1/10 of the segments, so the average
    // power is ~1/10 (−10 dB); the segments inside it read the full level.
    const double rate = 48000.0;
    const int n = 8192;
    const double f = 128.0 * rate / n;
    const auto full = tone(480000, rate, f, 0.5);
    std::vector<float> x(full.size(), 0.0f);
    for (size_t i = 192000; i < 240000; ++i) x[i] = full[i];   // [4 s, 5 s)
    for (int inputs : {1, 2}) {   // mono and the stereo (mid) path of the estimator
        auto wa = *WelchAnalyzer::create(rate, inputs, {n, WindowType::Hann, 0.5});
        const float* ptrs[2] = {x.data(), x.data()};
        wa.add(ptrs, static_cast<int64_t>(x.size()));
        wa.finish();
        const Spectrum avg = wa.spectrum(), held = wa.max_hold_spectrum();
        EXPECT_NEAR(*held.db(128), 20 * std::log10(0.5), 0.05) << inputs;
        EXPECT_GT(*held.db(128) - *avg.db(128), 9.0) << inputs;
        EXPECT_LT(*held.db(128) - *avg.db(128), 11.0) << inputs;
        for (size_t k = 0; k < avg.power.size(); ++k) ASSERT_GE(held.power[k], avg.power[k] * (1.0 - 1e-9)) << k;   // a max is never below the mean
        if (inputs == 2) {
            EXPECT_FALSE(wa.side_max_hold_spectrum().db(128).has_value());   // L = R: no side at all
        }
    }
}

}  // namespace
}  // namespace sf::analysis
