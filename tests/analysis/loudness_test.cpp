// K-weighting design, channel weights, meter semantics (silence, block
// independence, series), against the standard's numbers and analytic answers.
#include <gtest/gtest.h>

#include <cmath>
#include <numbers>

#include "analysis/loudness.h"
#include "engine/core/random.h"
#include "tests/analysis/ebu_signals.h"

namespace sf::analysis {
namespace {

TEST(KWeighting, At48kHzEqualsPublishedCoefficients) {
    const KWeighting pub = k_weighting_48k_published();
    const KWeighting k = design_k_weighting(48000.0);
    // The published values carry 14 decimals; the redesign must reproduce them.
    EXPECT_NEAR(k.shelf.b0, pub.shelf.b0, 1e-12);
    EXPECT_NEAR(k.shelf.b1, pub.shelf.b1, 1e-12);
    EXPECT_NEAR(k.shelf.b2, pub.shelf.b2, 1e-12);
    EXPECT_NEAR(k.shelf.a1, pub.shelf.a1, 1e-12);
    EXPECT_NEAR(k.shelf.a2, pub.shelf.a2, 1e-12);
    EXPECT_NEAR(k.highpass.b0, 1.0, 1e-12);
    EXPECT_NEAR(k.highpass.b1, -2.0, 1e-12);
    EXPECT_NEAR(k.highpass.b2, 1.0, 1e-12);
    EXPECT_NEAR(k.highpass.a1, pub.highpass.a1, 1e-12);
    EXPECT_NEAR(k.highpass.a2, pub.highpass.a2, 1e-12);
}

TEST(KWeighting, ResponseAtOtherRatesMatches48kHz) {
    // Same analog prototype: the responses agree where bilinear warping is
    // small (below 8 kHz the shelf's plateau makes warping differences tiny).
    const KWeighting ref = k_weighting_48k_published();
    for (double rate : {44100.0, 88200.0, 96000.0, 192000.0}) {
        const KWeighting k = design_k_weighting(rate);
        for (double f : {10.0, 20.0, 40.0, 100.0, 500.0, 1000.0, 1500.0, 2000.0, 4000.0, 8000.0}) {
            EXPECT_NEAR(k.magnitude_db(f, rate), ref.magnitude_db(f, 48000.0), 0.03) << rate << " Hz, f = " << f;
        }
    }
}

TEST(KWeighting, KnownResponsePoints) {
    // BS.1770-4 Fig. 1/2: +4 dB shelf at high frequencies, high-pass below
    // ~40 Hz; at 997 Hz the combined gain is the 0.691 dB the formula offsets.
    const KWeighting k = k_weighting_48k_published();
    EXPECT_NEAR(k.magnitude_db(997.0, 48000.0), 0.691, 0.01);
    EXPECT_NEAR(k.magnitude_db(10000.0, 48000.0), 4.0, 0.1);
    EXPECT_LT(k.magnitude_db(20.0, 48000.0), -10.0);
}

LoudnessMeter run(const AudioBuffer& b, int rate, LoudnessOptions o = {}) {
    o.sample_rate = rate;
    o.channels = b.channels();
    auto m = LoudnessMeter::create(o);
    EXPECT_TRUE(m.has_value());
    m->add(b, b.frames());
    return std::move(*m);
}

TEST(LoudnessMeter, SineLevelMatchesAnalyticAtAnyRate) {
    // Mono sine of amplitude A at f: L = −0.691 + 10·log10(A²/2) + K(f) dB.
    for (int rate : {44100, 48000, 96000}) {
        for (double f : {100.0, 1000.0, 5000.0}) {
            const auto b = test::ebu::stepped_sine(rate, 1, {{5.0, -12.0}}, f);
            const auto m = run(b, rate);
            const double a = std::pow(10.0, -12.0 / 20.0);
            const double expected = -0.691 + 10.0 * std::log10(a * a / 2.0) + design_k_weighting(rate).magnitude_db(f, rate);
            EXPECT_NEAR(*m.integrated_lufs(), expected, 0.01) << rate << " Hz, " << f << " Hz tone";
        }
    }
}

TEST(LoudnessMeter, ChannelWeightsPerLayout) {
    EXPECT_EQ(*bs1770_channel_weights(6), (std::vector<double>{1, 1, 1, 0, 1.41, 1.41}));
    EXPECT_EQ(*bs1770_channel_weights(8), (std::vector<double>{1, 1, 1, 0, 1, 1, 1.41, 1.41}));
    EXPECT_FALSE(bs1770_channel_weights(9).has_value());
    EXPECT_FALSE(bs1770_channel_weights(0).has_value());
    LoudnessOptions o;
    o.channels = 2;
    o.channel_weights = {1.0};
    EXPECT_FALSE(LoudnessMeter::create(o).has_value());
    o.channel_weights = {};
    o.sample_rate = 1000;
    EXPECT_FALSE(LoudnessMeter::create(o).has_value());
}

TEST(LoudnessMeter, SilenceIsMinusInfinityNotANumber) {
    AudioBuffer b(2, 48000 * 5);
    const auto m = run(b, 48000);
    EXPECT_FALSE(m.integrated_lufs().has_value());
    EXPECT_FALSE(m.momentary_max_lufs().has_value());
    EXPECT_FALSE(m.short_term_max_lufs().has_value());
    EXPECT_FALSE(m.loudness_range_lu().has_value());
}

TEST(LoudnessMeter, ShorterThanOneBlockHasNoIntegrated) {
    const auto b = test::ebu::stepped_sine(48000, 2, {{0.3, -20.0}});
    const auto m = run(b, 48000);
    EXPECT_FALSE(m.integrated_lufs().has_value());   // no complete 400 ms block
    ASSERT_TRUE(m.momentary_max_lufs().has_value());  // zero-padded at the start: 0.3 s of 0.4 s
    EXPECT_NEAR(*m.momentary_max_lufs(), -20.0 + 10.0 * std::log10(0.3 / 0.4), 0.05);
}

TEST(LoudnessMeter, BlockSizeDoesNotChangeResults) {
    Random rng(7);
    AudioBuffer b(2, 48000 * 7 + 123);
    for (int c = 0; c < 2; ++c)
        for (int64_t i = 0; i < b.frames(); ++i) b.channel(c)[i] = static_cast<float>(0.3 * rng.bipolar() * (1.0 + std::sin(i * 1e-4)));
    LoudnessOptions o;
    o.sample_rate = 48000;
    o.channels = 2;
    o.series_hop_s = 0.01;
    const auto whole = run(b, 48000, o);
    auto split = *LoudnessMeter::create(o);
    std::vector<const float*> p(2);
    for (int64_t pos = 0, k = 0; pos < b.frames(); ++k) {
        const int64_t n = std::min<int64_t>(b.frames() - pos, 1 + (k * 7919) % 5003);
        p[0] = b.channel(0) + pos;
        p[1] = b.channel(1) + pos;
        split.add(std::span<const float* const>(p), n);
        pos += n;
    }
    EXPECT_NEAR(*whole.integrated_lufs(), *split.integrated_lufs(), 1e-9);
    EXPECT_NEAR(*whole.loudness_range_lu(), *split.loudness_range_lu(), 1e-9);
    EXPECT_NEAR(*whole.momentary_max_lufs(), *split.momentary_max_lufs(), 1e-9);
    ASSERT_EQ(whole.series().momentary_lufs.size(), split.series().momentary_lufs.size());
    EXPECT_EQ(whole.series().momentary_lufs.size(), static_cast<size_t>(b.frames() / 480));
    for (size_t i = 0; i < whole.series().short_term_lufs.size(); ++i)
        ASSERT_NEAR(whole.series().short_term_lufs[i], split.series().short_term_lufs[i], 1e-9);
}

TEST(LoudnessMeter, RunningSumsReturnToSilenceAfterLoudPassage) {
    // 0 dBFS for 5 s then −60 dBFS: the momentary reading after the change
    // must be the quiet level, not rounding residue of the loud one.
    const auto b = test::ebu::stepped_sine(48000, 2, {{5.0, 0.0}, {5.0, -60.0}});
    const auto m = run(b, 48000);
    EXPECT_NEAR(*m.momentary_lufs(), -60.0, 0.01);
    EXPECT_NEAR(*m.short_term_lufs(), -60.0, 0.01);
}

TEST(LoudnessMeter, ResetStartsOver) {
    const auto b = test::ebu::stepped_sine(48000, 2, {{3.0, -10.0}});
    auto m = run(b, 48000);
    m.reset();
    EXPECT_EQ(m.frames(), 0);
    EXPECT_FALSE(m.integrated_lufs().has_value());
    const auto q = test::ebu::stepped_sine(48000, 2, {{3.0, -30.0}});
    m.add(q, q.frames());
    EXPECT_NEAR(*m.integrated_lufs(), -30.0, 0.05);
}

}  // namespace
}  // namespace sf::analysis
