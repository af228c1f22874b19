// compare: alignment by cross-correlation and the null residual, against
// constructed pairs whose offset and residual are known.
#include <gtest/gtest.h>

#include <cmath>

#include "analysis/compare.h"
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

TEST(Compare, MismatchedFormatsAreErrors) {
    test::TempDir dir;
    test::write_wav(dir / "a.wav", programme(4800, 1), 48000);
    test::write_wav(dir / "b.wav", programme(4410, 1), 44100);
    AudioBuffer mono(1, 4800);
    test::write_wav(dir / "m.wav", mono, 48000);
    auto r1 = compare_files(dir / "a.wav", dir / "b.wav");
    ASSERT_FALSE(r1.has_value());
    EXPECT_NE(r1.error().message.find("44100"), std::string::npos);
    auto r2 = compare_files(dir / "a.wav", dir / "m.wav");
    ASSERT_FALSE(r2.has_value());
    EXPECT_NE(r2.error().message.find("m.wav"), std::string::npos);
}

}  // namespace
}  // namespace sf::analysis
