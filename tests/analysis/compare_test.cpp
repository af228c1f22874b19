// compare: alignment by cross-correlation and the null residual, against
// constructed pairs whose offset and residual are known.
#include <gtest/gtest.h>

#include <atomic>
#include <cmath>
#include <future>
#include <numbers>
#include <thread>

#include "analysis/compare.h"
#include "analysis/levels.h"
#include "engine/core/random.h"
#include "tests/support/test_support.h"

namespace sf::analysis {
namespace {

AudioBuffer programme(int64_t frames, uint64_t seed) {
    Random rng(seed);
    AudioBuffer b(2, frames);
    double lp0 = 0.0, lp1 = 0.0;
    for (int64_t i = 0; i < frames; ++i) {
        lp0 = 0.9 * lp0 + 0.1 * rng.bipolar();
        lp1 = 0.8 * lp1 + 0.2 * rng.bipolar();
        b.channel(0)[i] = static_cast<float>(2.0 * lp0);
        b.channel(1)[i] = static_cast<float>(1.5 * lp1);
    }
    return b;
}

AudioBuffer shifted(const AudioBuffer& a, int64_t delay, double noise_amp, uint64_t seed) {
    // B[n + delay] = A[n] (+ noise): B is late by `delay` (early if negative).
    Random rng(seed);
    AudioBuffer b(a.channels(), a.frames());
    for (int c = 0; c < a.channels(); ++c)
        for (int64_t n = 0; n < a.frames(); ++n) {
            const int64_t src = n - delay;
            const float v = src >= 0 && src < a.frames() ? a.channel(c)[src] : 0.0f;
            b.channel(c)[n] = v + static_cast<float>(noise_amp * rng.bipolar());
        }
    return b;
}

TEST(Compare, IdenticalFilesNullCompletely) {
    test::TempDir dir;
    const auto a = programme(48000 * 3, 1);
    test::write_wav(dir / "a.wav", a, 48000);
    test::write_wav(dir / "b.wav", a, 48000);
    auto r = compare_files(dir / "a.wav", dir / "b.wav");
    ASSERT_TRUE(r.has_value()) << r.error().message;
    EXPECT_EQ(r->offset_samples, 0);
    const auto j = to_json(*r);
    EXPECT_TRUE(j["residual_peak_dbfs"].is_null());
    EXPECT_TRUE(j["residual_rms_dbfs"].is_null());
    EXPECT_TRUE(j["snr_db"].is_null());
    EXPECT_NEAR(j["integrated_diff_lu"].get<double>(), 0.0, 1e-12);
}

TEST(Compare, FindsOffsetAndMeasuresKnownResidual) {
    test::TempDir dir;
    const auto a = programme(48000 * 3 + 11, 2);
    const double noise = 1e-3;   // uniform ±1e-3: RMS = 1e-3/√3 → −64.77 dBFS
    for (int64_t delay : {37, -1234, 0}) {
        const auto b = shifted(a, delay, noise, 3);
        test::write_wav(dir / "a.wav", a, 48000);
        test::write_wav(dir / "b.wav", b, 48000);
        auto r = compare_files(dir / "a.wav", dir / "b.wav");
        ASSERT_TRUE(r.has_value()) << r.error().message;
        EXPECT_EQ(r->offset_samples, delay);
        const auto j = to_json(*r);
        EXPECT_NEAR(j["residual_rms_dbfs"].get<double>(), 20 * std::log10(noise / std::sqrt(3.0)), 0.1) << delay;
        EXPECT_LE(j["residual_peak_dbfs"].get<double>(), 20 * std::log10(noise) + 0.01);
        EXPECT_GE(j["residual_peak_dbfs"].get<double>(), 20 * std::log10(noise) - 0.1);
        // SNR = signal power / noise power.
        double sig = 0.0;
        for (int c = 0; c < 2; ++c)
            for (int64_t i = 0; i < a.frames(); ++i) sig += static_cast<double>(a.channel(c)[i]) * a.channel(c)[i];
        const double snr = 10 * std::log10(sig / (2.0 * a.frames()) / (noise * noise / 3.0));
        EXPECT_NEAR(j["snr_db"].get<double>(), snr, 0.2) << delay;
        EXPECT_EQ(j["frames_compared"].get<int64_t>(), a.frames() - std::abs(delay));
    }
}

TEST(Compare, DifferentChannelCountsAreAnError) {
    test::TempDir dir;
    test::write_wav(dir / "a.wav", programme(4800, 1), 48000);
    AudioBuffer mono(1, 4800);
    test::write_wav(dir / "m.wav", mono, 48000);
    auto r = compare_files(dir / "a.wav", dir / "m.wav");
    ASSERT_FALSE(r.has_value());
    EXPECT_NE(r.error().message.find("m.wav"), std::string::npos);
}

// ---- issue 17 / issue 14 item 7: alignment that is credible or refused,
// B at another rate, the best-fit gain, the residual per octave band.

// Sum of sines at exact frequencies, evaluated at any rate (the oracle for resampling).
AudioBuffer tones(int64_t frames, int rate, const std::vector<std::pair<double, double>>& freq_amp) {
    AudioBuffer b(2, frames);
    for (int64_t n = 0; n < frames; ++n) {
        double v = 0.0;
        for (const auto& [f, a] : freq_amp) v += a * std::sin(2.0 * std::numbers::pi * f * static_cast<double>(n) / rate);
        b.channel(0)[n] = static_cast<float>(v);
        b.channel(1)[n] = static_cast<float>(0.5 * v);
    }
    return b;
}

TEST(CompareAlignment, SilenceIsNeverReportedIdenticalUnlessAlignmentIsOff) {
    test::TempDir dir;
    const AudioBuffer silence(2, 48000);  // zeros
    test::write_wav(dir / "s1.wav", silence, 48000);
    test::write_wav(dir / "s2.wav", silence, 48000);
    const AudioBuffer p = programme(48000, 4);
    test::write_wav(dir / "p.wav", p, 48000);
    auto r = compare_files(dir / "s1.wav", dir / "s2.wav");
    ASSERT_FALSE(r.has_value()) << "two silent files aligned and called identical";
    EXPECT_EQ(r.error().code, ErrorCode::InvalidArgument);
    EXPECT_NE(r.error().message.find("A is silent"), std::string::npos) << r.error().message;
    EXPECT_NE(r.error().message.find("--max-offset 0"), std::string::npos) << r.error().message;
    r = compare_files(dir / "p.wav", dir / "s1.wav");
    ASSERT_FALSE(r.has_value());
    EXPECT_NE(r.error().message.find("B is silent"), std::string::npos) << r.error().message;
    // Without alignment the files are compared frame by frame, all of them.
    CompareOptions off;
    off.max_offset_s = 0.0;
    r = compare_files(dir / "s1.wav", dir / "s2.wav", off);
    ASSERT_TRUE(r.has_value()) << r.error().message;
    EXPECT_FALSE(r->alignment.searched);
    EXPECT_EQ(r->frames_compared, 48000);
    EXPECT_EQ(r->residual_peak, 0.0);
    r = compare_files(dir / "p.wav", dir / "s1.wav", off);
    ASSERT_TRUE(r.has_value());
    EXPECT_EQ(r->frames_compared, 48000);
    double ms = 0.0;  // B silent: the residual is −A, all of it
    for (int c = 0; c < 2; ++c)
        for (int64_t i = 0; i < p.frames(); ++i) ms += static_cast<double>(p.channel(c)[i]) * p.channel(c)[i];
    EXPECT_NEAR(r->residual_rms, std::sqrt(ms / (2.0 * p.frames())), 1e-9);
}

TEST(CompareAlignment, PureSideMaterialAlignsOnEveryChannel) {
    // L = −R: the channel mean is zero everywhere, yet the delay is found.
    test::TempDir dir;
    AudioBuffer a = programme(48000 * 2, 6);
    for (int64_t i = 0; i < a.frames(); ++i) a.channel(1)[i] = -a.channel(0)[i];
    const auto b = shifted(a, 321, 0.0, 1);
    test::write_wav(dir / "a.wav", a, 48000);
    test::write_wav(dir / "b.wav", b, 48000);
    auto r = compare_files(dir / "a.wav", dir / "b.wav");
    ASSERT_TRUE(r.has_value()) << r.error().message;
    EXPECT_EQ(r->offset_samples, 321);
    EXPECT_EQ(r->frames_compared, a.frames() - 321);
    EXPECT_EQ(r->residual_peak, 0.0);
    // ρ = Σ A·B / √(Σ A²·Σ B²) over the window: A's last 321 frames have no B.
    double all = 0.0, paired = 0.0;
    for (int c = 0; c < 2; ++c)
        for (int64_t i = 0; i < a.frames(); ++i) {
            const double sq = static_cast<double>(a.channel(c)[i]) * a.channel(c)[i];
            all += sq;
            if (i < a.frames() - 321) paired += sq;
        }
    EXPECT_NEAR(*r->alignment.correlation, std::sqrt(paired / all), 1e-9);
}

TEST(CompareAlignment, UnrelatedProgrammesAreNotCredible) {
    test::TempDir dir;
    test::write_wav(dir / "a.wav", programme(48000 * 2, 7), 48000);
    test::write_wav(dir / "b.wav", programme(48000 * 2, 8), 48000);
    auto r = compare_files(dir / "a.wav", dir / "b.wav");
    ASSERT_FALSE(r.has_value());
    EXPECT_EQ(r.error().code, ErrorCode::InvalidArgument);
    EXPECT_NE(r.error().message.find("correlates at"), std::string::npos) << r.error().message;
    // The same two with B = A + that other programme at −6 dB: related, credible.
    AudioBuffer a = programme(48000 * 2, 7), other = programme(48000 * 2, 8), b(2, 48000 * 2);
    for (int c = 0; c < 2; ++c)
        for (int64_t i = 0; i < a.frames(); ++i) b.channel(c)[i] = a.channel(c)[i] + 0.5f * other.channel(c)[i];
    test::write_wav(dir / "b.wav", shifted(b, 40, 0.0, 1), 48000);
    r = compare_files(dir / "a.wav", dir / "b.wav");
    ASSERT_TRUE(r.has_value()) << r.error().message;
    EXPECT_EQ(r->offset_samples, 40);
    EXPECT_GT(*r->alignment.correlation, kCredibleCorrelation);
}

TEST(CompareAlignment, ASilentIntroLongerThanTheWindowAlignsOnTheFirstContent) {
    test::TempDir dir;
    const int rate = 8000;  // a 12-second intro, cheaply
    const auto p = programme(rate * 3, 9);
    AudioBuffer a(2, rate * 15);
    for (int c = 0; c < 2; ++c) std::copy_n(p.channel(c), p.frames(), a.channel(c) + rate * 12);
    test::write_wav(dir / "a.wav", a, rate);
    test::write_wav(dir / "b.wav", shifted(a, -500, 0.0, 1), rate);
    auto r = compare_files(dir / "a.wav", dir / "b.wav");
    ASSERT_TRUE(r.has_value()) << r.error().message;
    EXPECT_EQ(r->offset_samples, -500);
    EXPECT_NEAR(r->alignment.window_start_s, 12.0, 1e-3);
    EXPECT_EQ(r->residual_peak, 0.0);
}

TEST(CompareAlignment, PeriodicMaterialTakesTheNearestOfItsEqualPeaks) {
    // One 48-sample period of 1 kHz tiled bit for bit, and a B that runs on
    // past A: lags 5, 53, 101, ... all pair every frame of A with an
    // identical one of B, so their correlations are equal (to rounding).
    test::TempDir dir;
    const auto period = tones(48, 48000, {{1000.0, 0.5}});
    AudioBuffer a(2, 48000), b(2, 48000 + 4800);
    for (int c = 0; c < 2; ++c) {
        for (int64_t i = 0; i < a.frames(); ++i) a.channel(c)[i] = period.channel(c)[i % 48];
        for (int64_t i = 0; i < b.frames(); ++i) b.channel(c)[i] = i < 5 ? 0.0f : period.channel(c)[(i - 5) % 48];
    }
    test::write_wav(dir / "a.wav", a, 48000);
    test::write_wav(dir / "b.wav", b, 48000);
    auto r = compare_files(dir / "a.wav", dir / "b.wav");
    ASSERT_TRUE(r.has_value()) << r.error().message;
    EXPECT_EQ(r->offset_samples, 5);
    ASSERT_TRUE(r->alignment.peak_ratio.has_value());
    EXPECT_LT(*r->alignment.peak_ratio, 1.01) << "ambiguity is reported";
}

TEST(CompareGain, TheBestFitGainAndPolarityAreReportedWithTheResidualLeft) {
    test::TempDir dir;
    const auto a = programme(48000 * 2, 10);
    Random rng(11);
    AudioBuffer b(2, a.frames());
    // B = −0.9·A + n (n independent, uniform ±1e-3): the least-squares gain is
    // Σ A·B / Σ A², computed here in double as the oracle.
    double ab = 0.0, aa = 0.0;
    for (int c = 0; c < 2; ++c)
        for (int64_t i = 0; i < a.frames(); ++i) {
            b.channel(c)[i] = static_cast<float>(-0.9 * a.channel(c)[i] + 1e-3 * rng.bipolar());
            ab += static_cast<double>(a.channel(c)[i]) * b.channel(c)[i];
            aa += static_cast<double>(a.channel(c)[i]) * a.channel(c)[i];
        }
    const double g = ab / aa;
    double left = 0.0;
    for (int c = 0; c < 2; ++c)
        for (int64_t i = 0; i < a.frames(); ++i) left += std::pow(b.channel(c)[i] - g * a.channel(c)[i], 2);
    test::write_wav(dir / "a.wav", a, 48000);
    test::write_wav(dir / "b.wav", b, 48000);
    auto r = compare_files(dir / "a.wav", dir / "b.wav");
    ASSERT_TRUE(r.has_value()) << r.error().message;
    EXPECT_EQ(r->offset_samples, 0);
    ASSERT_TRUE(r->gain.has_value());
    EXPECT_NEAR(*r->gain, g, 1e-9);
    const auto j = to_json(*r);
    EXPECT_NEAR(j["gain_diff_db"].get<double>(), 20 * std::log10(0.9), 1e-3);
    EXPECT_TRUE(j["gain_polarity_inverted"].get<bool>());
    EXPECT_NEAR(r->residual_rms_gain_matched, std::sqrt(left / (2.0 * a.frames())), 1e-9);
    EXPECT_NEAR(j["residual_rms_gain_matched_dbfs"].get<double>(), 20 * std::log10(1e-3 / std::sqrt(3.0)), 0.1);
    EXPECT_GT(j["residual_rms_dbfs"].get<double>(), 0.0 - 10.0) << "before the gain, the residual is ~1.9·A";
}

TEST(CompareResample, BAtAnotherRateIsResampledToARate) {
    test::TempDir dir;
    const std::vector<std::pair<double, double>> tone_set = {{440.0, 0.3}, {3000.0, 0.1}, {12000.0, 0.05}};
    test::write_wav(dir / "a.wav", tones(48000 * 2, 48000, tone_set), 48000);
    test::write_wav(dir / "b.wav", tones(44100 * 2, 44100, tone_set), 44100);
    auto r = compare_files(dir / "a.wav", dir / "b.wav");
    ASSERT_TRUE(r.has_value()) << r.error().message;
    EXPECT_EQ(r->sample_rate, 48000);
    EXPECT_EQ(r->b_sample_rate, 44100);
    EXPECT_EQ(r->offset_samples, 0);
    EXPECT_EQ(r->frames_compared, 48000 * 2);
    const auto j = to_json(*r);
    EXPECT_TRUE(j["b_resampled"].get<bool>());
    // Away from the ends (the resampler's filter settling), B is A.
    EXPECT_LT(j["bands"][5]["residual_dbfs"].get<double>(), -90.0) << j["bands"][5];
    EXPECT_LT(j["residual_rms_dbfs"].get<double>(), -70.0);
}

TEST(CompareBands, EachOctaveBandHoldsItsOwnResidualAndProgramme) {
    test::TempDir dir;
    const int rate = 48000;
    // A: white noise, uniform ±0.5 (mean square 1/12 per channel, flat PSD):
    // an octave band [lo, hi) holds (hi − lo)/(rate/2) of it. B − A: a 1 kHz
    // sine of amplitude 0.01 and a 4 kHz one of 0.001 (mean squares A²/2).
    const auto a = test::noise(2, rate * 4, 12, 0.5);
    AudioBuffer b(2, a.frames());
    for (int c = 0; c < 2; ++c)
        for (int64_t i = 0; i < a.frames(); ++i) {
            const double t = static_cast<double>(i) / rate;
            b.channel(c)[i] = static_cast<float>(a.channel(c)[i] + 0.01 * std::sin(2 * std::numbers::pi * 1000 * t) +
                                                 0.001 * std::sin(2 * std::numbers::pi * 4000 * t));
        }
    test::write_wav(dir / "a.wav", a, rate);
    test::write_wav(dir / "b.wav", b, rate);
    CompareOptions o;
    o.max_offset_s = 0.0;
    auto r = compare_files(dir / "a.wav", dir / "b.wav", o);
    ASSERT_TRUE(r.has_value()) << r.error().message;
    ASSERT_EQ(r->bands.size(), 10u);
    for (const ResidualBand& band : r->bands) {
        const double expected_signal = 10 * std::log10((1.0 / 12.0) * (band.high_hz - band.low_hz) / (rate / 2.0));
        EXPECT_NEAR(10 * std::log10(band.signal_ms), expected_signal, band.center_hz < 100 ? 1.5 : 0.3) << band.center_hz;
        const double res_db = band.residual_ms > 0 ? 10 * std::log10(band.residual_ms) : -300.0;
        if (band.center_hz == 1000.0)
            EXPECT_NEAR(res_db, 20 * std::log10(0.01) - 3.0103, 0.05);
        else if (band.center_hz == 4000.0)
            EXPECT_NEAR(res_db, 20 * std::log10(0.001) - 3.0103, 0.05);
        else
            EXPECT_LT(res_db, -90.0) << band.center_hz;
    }
    const auto j = to_json(*r);
    EXPECT_NEAR(j["bands"][5]["snr_db"].get<double>(), j["bands"][5]["signal_dbfs"].get<double>() - j["bands"][5]["residual_dbfs"].get<double>(), 1e-9);
}

TEST(CompareBands, ASideOnlyResidualShowsInTheSpectrumAndTheBands) {
    // B − A = +s in L, −s in R (s a 2 kHz sine, amplitude 0.01): the channel
    // mean of the residual is zero, its per-channel power is not.
    test::TempDir dir;
    const int rate = 48000;
    const auto a = programme(rate * 2, 13);
    AudioBuffer b(2, a.frames());
    for (int64_t i = 0; i < a.frames(); ++i) {
        const double s = 0.01 * std::sin(2 * std::numbers::pi * 2000.0 * static_cast<double>(i) / rate);
        b.channel(0)[i] = static_cast<float>(a.channel(0)[i] + s);
        b.channel(1)[i] = static_cast<float>(a.channel(1)[i] - s);
    }
    test::write_wav(dir / "a.wav", a, rate);
    test::write_wav(dir / "b.wav", b, rate);
    auto r = compare_files(dir / "a.wav", dir / "b.wav");
    ASSERT_TRUE(r.has_value()) << r.error().message;
    const size_t bin = r->residual_spectrum.peak_bin(1500.0, 2500.0);
    EXPECT_NEAR(static_cast<double>(bin) * r->residual_spectrum.bin_hz(), 2000.0, r->residual_spectrum.bin_hz());
    EXPECT_NEAR(*r->residual_spectrum.db(bin), 20 * std::log10(0.01), 1.5);  // a sine of amplitude A reads ~20·log10(A) (Hann scalloping < 1.5 dB)
    for (const ResidualBand& band : r->bands) {
        if (band.center_hz == 2000.0) {
            EXPECT_NEAR(10 * std::log10(band.residual_ms), 20 * std::log10(0.01) - 3.0103, 0.05);
        }
    }
}

TEST(CompareTime, TimecodesAreMinutesSecondsAndMilliseconds) {
    EXPECT_EQ(timecode(0.0), "00:00.000");
    EXPECT_EQ(timecode(2.3456), "00:02.346");
    EXPECT_EQ(timecode(754.5), "12:34.500");
    EXPECT_EQ(timecode(3723.004), "1:02:03.004");
}

}  // namespace
}  // namespace sf::analysis

// ---- for the compare view: where the files differ, progress and cancel

namespace sf::analysis {
namespace {

// B = A + bursts: the residual is exactly the bursts (float WAV, B − A in
// float is exact to rounding of A + burst, ~1e-8 of A).
// 10 ms of 1 kHz at 48 kHz fading linearly to 0: the first crest (sample 12,
// a quarter period) is the one peak, kCrest of the amplitude.
double burst_shape(int64_t i, int rate) {
    return std::sin(2 * std::numbers::pi * 1000.0 * static_cast<double>(i) / rate) * (1.0 - static_cast<double>(i) / (rate / 100.0));
}
constexpr double kCrest = 1.0 - 12.0 / 480.0;
struct Burst {
    double at_s, amplitude;
};
AudioBuffer with_bursts(const AudioBuffer& a, int rate, const std::vector<Burst>& bursts) {
    AudioBuffer b(a.channels(), a.frames());
    for (int c = 0; c < a.channels(); ++c) std::copy_n(a.channel(c), a.frames(), b.channel(c));
    for (const Burst& s : bursts) {
        const auto start = static_cast<int64_t>(std::llround(s.at_s * rate));
        for (int64_t i = 0; i < rate / 100; ++i) b.channel(1)[start + i] += static_cast<float>(s.amplitude * burst_shape(i, rate));
    }
    return b;
}

TEST(CompareOverTime, APlantedBurstIsTheWorstStretchAtItsTimeWithItsPeak) {
    test::TempDir dir;
    const int rate = 48000;
    const auto a = programme(int64_t{rate} * 3, 5);
    const auto b = with_bursts(a, rate, {{2.345, 0.25}});
    test::write_wav(dir / "a.wav", a, rate);
    test::write_wav(dir / "b.wav", b, rate);
    auto r = compare_files(dir / "a.wav", dir / "b.wav");
    ASSERT_TRUE(r.has_value()) << r.error().message;
    ASSERT_EQ(r->offset_samples, 0);
    ASSERT_EQ(r->worst_stretches.size(), 1u);   // nothing else differs
    const ResidualStretch& w = r->worst_stretches[0];
    const double crest_s = 2.345 + 12.0 / rate;   // sin peaks at a quarter of 48 samples
    EXPECT_LE(w.start_s, 2.345);
    EXPECT_GE(w.end_s, 2.355);
    EXPECT_NEAR(w.end_s - w.start_s, 0.1, 1e-12);
    EXPECT_NEAR(w.peak, 0.25 * kCrest, 1e-6);
    EXPECT_NEAR(w.peak_s, crest_s, 0.5 / rate);
    // RMS of the stretch: the burst's energy over 100 ms × 2 channels.
    double energy = 0.0;
    for (int64_t i = 0; i < 480; ++i) energy += std::pow(0.25 * burst_shape(i, rate), 2);
    EXPECT_NEAR(w.rms, std::sqrt(energy / (4800.0 * 2.0)), 1e-6);
    // Over time: <= 4096 buckets covering the overlap; the burst's bucket(s) carry its peak, the rest are zero.
    ASSERT_LE(r->residual_peak_over_time.size(), static_cast<size_t>(kMaxResidualBuckets));
    ASSERT_EQ(r->residual_peak_over_time.size(), r->residual_rms_over_time.size());
    EXPECT_GE(static_cast<double>(r->residual_peak_over_time.size()) * r->residual_bucket_s, 3.0 - 1e-9);
    EXPECT_EQ(r->residual_start_s, 0.0);
    const auto crest_bucket = static_cast<size_t>(crest_s / r->residual_bucket_s);
    EXPECT_NEAR(r->residual_peak_over_time[crest_bucket], 0.25 * kCrest, 1e-6);
    for (size_t k = 0; k < r->residual_peak_over_time.size(); ++k) {
        const double t0 = static_cast<double>(k) * r->residual_bucket_s, t1 = t0 + r->residual_bucket_s;
        if (t1 <= 2.345 || t0 >= 2.355) {
            EXPECT_EQ(r->residual_peak_over_time[k], 0.0f) << k;
        }
    }
    // A's own RMS in the same buckets, summed here from the buffer.
    ASSERT_EQ(r->signal_rms_over_time.size(), r->residual_peak_over_time.size());
    const auto width = static_cast<int64_t>(std::llround(r->residual_bucket_s * rate));
    for (size_t k : {size_t{0}, crest_bucket, r->signal_rms_over_time.size() - 1}) {
        const int64_t first = static_cast<int64_t>(k) * width, last = std::min(a.frames(), first + width);
        double sq = 0.0;
        for (int c = 0; c < 2; ++c)
            for (int64_t i = first; i < last; ++i) sq += static_cast<double>(a.channel(c)[i]) * a.channel(c)[i];
        EXPECT_NEAR(r->signal_rms_over_time[k], std::sqrt(sq / static_cast<double>(2 * (last - first))), 1e-6) << k;
    }
    const auto j = to_json(*r);
    ASSERT_EQ(j["worst_stretches"].size(), 1u);
    EXPECT_EQ(j["signal_rms_dbfs_over_time"].size(), r->residual_peak_over_time.size());
    EXPECT_NEAR(j["worst_stretches"][0]["peak_dbfs"].get<double>(), 20 * std::log10(0.25 * kCrest), 1e-4);
    EXPECT_EQ(j["residual_peak_dbfs_over_time"].size(), r->residual_peak_over_time.size());
    EXPECT_TRUE(j["residual_peak_dbfs_over_time"][0].is_null());   // zero → null, never -inf
    EXPECT_NEAR(j["residual_bucket_s"].get<double>(), r->residual_bucket_s, 0.0);
}

TEST(CompareOverTime, EqualFilesHaveNoWorstStretchAndASilentResidual) {
    test::TempDir dir;
    const auto a = programme(48000 * 2 + 3, 6);
    test::write_wav(dir / "a.wav", a, 48000);
    test::write_wav(dir / "b.wav", a, 48000);
    auto r = compare_files(dir / "a.wav", dir / "b.wav");
    ASSERT_TRUE(r.has_value());
    EXPECT_TRUE(r->worst_stretches.empty());
    ASSERT_FALSE(r->residual_peak_over_time.empty());
    for (float v : r->residual_peak_over_time) ASSERT_EQ(v, 0.0f);
    const auto j = to_json(*r);
    EXPECT_TRUE(j["worst_stretches"].is_array() && j["worst_stretches"].empty());
    for (const auto& v : j["residual_rms_dbfs_over_time"]) ASSERT_TRUE(v.is_null());
}

TEST(CompareOverTime, TheTenLargestOfTwelveBurstsAreListedLargestFirstWithoutOverlap) {
    test::TempDir dir;
    const int rate = 48000;
    const auto a = programme(int64_t{rate} * 4, 7);
    std::vector<Burst> bursts;
    // Amplitudes 0.01 .. 0.12 in shuffled time order, 0.3 s apart.
    const int order[12] = {5, 11, 0, 8, 3, 10, 1, 7, 9, 2, 6, 4};
    for (int i = 0; i < 12; ++i) bursts.push_back({0.2 + 0.3 * i, 0.01 * (order[i] + 1)});
    test::write_wav(dir / "a.wav", a, rate);
    test::write_wav(dir / "b.wav", with_bursts(a, rate, bursts), rate);
    auto r = compare_files(dir / "a.wav", dir / "b.wav");
    ASSERT_TRUE(r.has_value());
    ASSERT_EQ(r->worst_stretches.size(), static_cast<size_t>(kWorstStretches));
    for (int k = 0; k < kWorstStretches; ++k) {
        const double amplitude = 0.01 * (12 - k);   // 0.12, 0.11, ... 0.03
        const Burst* burst = nullptr;
        for (const Burst& s : bursts)
            if (std::abs(s.amplitude - amplitude) < 1e-9) burst = &s;
        ASSERT_NE(burst, nullptr);
        const ResidualStretch& w = r->worst_stretches[static_cast<size_t>(k)];
        EXPECT_NEAR(w.peak, amplitude * kCrest, 1e-6) << k;
        EXPECT_NEAR(w.peak_s, burst->at_s + 12.0 / rate, 0.5 / rate) << k;
        for (int m = 0; m < k; ++m) {   // no two stretches overlap
            const ResidualStretch& o = r->worst_stretches[static_cast<size_t>(m)];
            EXPECT_TRUE(w.end_s <= o.start_s || w.start_s >= o.end_s) << k << " " << m;
        }
    }
}

TEST(CompareOverTime, ANegativeOffsetPutsTimesOnFileA) {
    // B is early by 1234 samples: the overlap starts 1234 samples into A, and
    // the burst planted at 1.5 s of A's timeline is reported at 1.5 s.
    test::TempDir dir;
    const int rate = 48000;
    const auto a = programme(int64_t{rate} * 3, 8);
    const auto a_burst = with_bursts(a, rate, {{1.5, 0.2}});
    const auto b = shifted(a_burst, -1234, 0.0, 1);
    test::write_wav(dir / "a.wav", a, rate);
    test::write_wav(dir / "b.wav", b, rate);
    auto r = compare_files(dir / "a.wav", dir / "b.wav");
    ASSERT_TRUE(r.has_value());
    ASSERT_EQ(r->offset_samples, -1234);
    EXPECT_NEAR(r->residual_start_s, 1234.0 / rate, 1e-12);
    ASSERT_FALSE(r->worst_stretches.empty());
    EXPECT_NEAR(r->worst_stretches[0].peak_s, 1.5 + 12.0 / rate, 0.5 / rate);
    EXPECT_NEAR(r->worst_stretches[0].peak, 0.2 * kCrest, 1e-6);
}

TEST(CompareProgress, IsMonotonicReachesOneAndCancelStops) {
    test::TempDir dir;
    const auto a = programme(48000 * 4, 9);
    test::write_wav(dir / "a.wav", a, 48000);
    test::write_wav(dir / "b.wav", a, 48000);
    std::vector<double> seen;
    CompareOptions o;
    o.progress = [&](double f) { seen.push_back(f); };
    ASSERT_TRUE(compare_files(dir / "a.wav", dir / "b.wav", o).has_value());
    ASSERT_GE(seen.size(), 2u);   // 192000 frames in 65536-frame blocks: 3
    for (size_t i = 1; i < seen.size(); ++i) EXPECT_GE(seen[i], seen[i - 1]);
    EXPECT_GE(seen.front(), 0.0);
    EXPECT_EQ(seen.back(), 1.0);

    // Cancel set by the first progress call (the work's own thread) ...
    std::atomic<bool> cancel{false};
    int calls = 0;
    o.cancel = &cancel;
    o.progress = [&](double) {
        ++calls;
        cancel.store(true);
    };
    auto r = compare_files(dir / "a.wav", dir / "b.wav", o);
    ASSERT_FALSE(r.has_value());
    EXPECT_EQ(r.error().code, ErrorCode::Cancelled);
    EXPECT_EQ(calls, 1);
    // ... and by another thread, handed over from the first progress call.
    cancel.store(false);
    std::promise<void> started;
    std::thread canceller([&, f = started.get_future()]() mutable {
        f.wait();
        cancel.store(true);
    });
    bool first = true;
    o.progress = [&](double) {
        if (!first) return;
        first = false;
        started.set_value();
        while (!cancel.load()) std::this_thread::yield();
    };
    auto r2 = compare_files(dir / "a.wav", dir / "b.wav", o);
    canceller.join();
    ASSERT_FALSE(r2.has_value());
    EXPECT_EQ(r2.error().code, ErrorCode::Cancelled);
}

}  // namespace
}  // namespace sf::analysis
