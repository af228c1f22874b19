// True-peak meter against analytic continuous-time peaks, and against the
// engine's one definition (the interpolator itself is tested against an
// ideal reconstruction in tests/engine/dsp/true_peak_test.cpp).
#include <gtest/gtest.h>

#include <cmath>
#include <numbers>

#include "analysis/true_peak.h"
#include "engine/core/random.h"
#include "engine/master/delivered_check.h"

namespace sf::analysis {
namespace {

double measure(const std::vector<float>& x, int64_t split = 0) {
    auto m = TruePeakMeter::create(1);
    EXPECT_TRUE(m.has_value());
    const float* p = x.data();
    if (split <= 0) {
        m->add(std::span<const float* const>(&p, 1), static_cast<int64_t>(x.size()));
    } else {
        for (size_t pos = 0; pos < x.size(); pos += static_cast<size_t>(split)) {
            const float* q = x.data() + pos;
            m->add(std::span<const float* const>(&q, 1), std::min<int64_t>(split, static_cast<int64_t>(x.size() - pos)));
        }
    }
    return m->true_peak();
}

TEST(TruePeakMeter, SinesWithRandomPhaseReadTheirAmplitude) {
    // A long sine's continuous peak is its amplitude; the meter reads it
    // within the one interpolator's documented accuracy.
    Random rng(11);
    for (double f : {997.0, 5000.0, 11025.0, 15000.0, 18000.0, 20000.0}) {
        const double phase = rng.uniform() * 2.0 * std::numbers::pi;
        std::vector<float> x(48000);
        for (size_t i = 0; i < x.size(); ++i) x[i] = static_cast<float>(0.7 * std::sin(2 * std::numbers::pi * f * i / 48000.0 + phase));
        const double tp = measure(x, f == 5000.0 ? 777 : 0);
        EXPECT_LE(20 * std::log10(tp / 0.7), kTruePeakOverReadDb) << f;
        EXPECT_GE(20 * std::log10(tp / 0.7), -kTruePeakUnderReadDb) << f;
    }
}

// One definition: the meter (analyze, the loudness probe) and the master's
// delivered-file check read the same value, bit for bit, whatever the blocks.
TEST(TruePeakMeter, ReadsExactlyWhatTheDeliveryCheckReads) {
    Random rng(17);
    for (int trial = 0; trial < 3; ++trial) {
        std::vector<float> x(30011);
        double lp = 0.0;
        for (auto& v : x) {
            lp = 0.3 * lp + 0.7 * rng.bipolar();   // bright: plenty of inter-sample peaks
            v = static_cast<float>(0.9 * lp);
        }
        const float* p = x.data();
        const double check = master::file_true_peak(&p, 1, static_cast<int64_t>(x.size()));
        EXPECT_EQ(measure(x), check);
        EXPECT_EQ(measure(x, 1000 + 1013 * trial), check);
        EXPECT_GT(check, 0.9 * 0.5);
    }
}

TEST(TruePeakMeter, ConstantReadsItsValueAndSplitBlocksAgree) {
    std::vector<float> dc(1000, -0.25f);
    EXPECT_NEAR(measure(dc), 0.25, 1e-6);
    Random rng(3);
    std::vector<float> x(20011);
    for (auto& v : x) v = static_cast<float>(0.5 * rng.bipolar());
    EXPECT_EQ(measure(x), measure(x, 1));
    EXPECT_EQ(measure(x), measure(x, 4099));
}

TEST(TruePeakMeter, EdgesDoNotRingAndShortInputsReadSamplePeak) {
    // A full-scale step at the very start would ring above 1.0 if the filter
    // ran over the artificial edge; the meter must read the sample peak.
    // (The first 23 and last 24 samples are never the centre of a computed
    // interval: their support would reach outside the signal.)
    std::vector<float> step(4000, 0.9f);
    EXPECT_NEAR(measure(step), 0.9, 1e-6);
    std::vector<float> one = {0.5f};
    EXPECT_NEAR(measure(one), 0.5, 1e-9);
}

TEST(TruePeakMeter, CountsInterSampleOvers) {
    // fs/4 at 45°, amplitude √2 (samples ±1.0): one over between each pair
    // of samples with equal sign, i.e. every other interval.
    std::vector<float> x(1000);
    for (size_t i = 0; i < x.size(); ++i) x[i] = static_cast<float>(std::sqrt(2.0) * std::sin(std::numbers::pi / 2 * i + std::numbers::pi / 4));
    auto m = *TruePeakMeter::create(1);
    const float* p = x.data();
    m.add(std::span<const float* const>(&p, 1), 1000);
    EXPECT_NEAR(20 * std::log10(m.true_peak()), 3.01, 0.05);
    const int64_t computed_intervals = 1000 - (kTruePeakTapsPerPhase - 1);   // positions 23 .. 975
    EXPECT_NEAR(static_cast<double>(m.inter_sample_overs(0)), computed_intervals / 2.0, 2.0);
    EXPECT_FALSE(TruePeakMeter::create(0).has_value());
}

}  // namespace
}  // namespace sf::analysis

namespace sf::analysis {
namespace {

// Where the true peak is, for the loudness view's marker. Oracles by
// symmetry: one impulse peaks on its own sample (the interpolator's phase 0
// is the sample and sinc falls off on both sides); two equal neighbouring
// impulses peak exactly half-way between them (the kernel is symmetric).
TEST(TruePeakMeter, PositionIsTheSampleOrTheIntervalOfThePeak) {
    for (int64_t block : {int64_t{777}, int64_t{1} << 16}) {
        constexpr int64_t kFrames = 30011, kAt = 10007;
        AudioBuffer one(2, kFrames), two(2, kFrames);
        one.channel(1)[kAt] = 0.5f;
        one.channel(0)[200] = 0.25f;   // an earlier, smaller peak on the other channel
        two.channel(0)[kAt] = 0.5f;
        two.channel(0)[kAt + 1] = 0.5f;
        for (const AudioBuffer* b : {&one, &two}) {
            auto m = *TruePeakMeter::create(2);
            for (int64_t pos = 0; pos < kFrames; pos += block) {
                const int64_t n = std::min(block, kFrames - pos);
                const float* p[2] = {b->channel(0) + pos, b->channel(1) + pos};
                m.add(std::span<const float* const>(p, 2), n);
            }
            ASSERT_TRUE(m.true_peak_position_frames().has_value());
            const double expected = b == &one ? static_cast<double>(kAt) : static_cast<double>(kAt) + 0.5;
            EXPECT_EQ(*m.true_peak_position_frames(), expected) << block;
            if (b == &two) {
                EXPECT_GT(m.true_peak(), 0.5);   // the peak between is above both samples
            }
        }
    }
    auto silent = *TruePeakMeter::create(1);
    AudioBuffer z(1, 5000);
    silent.add(z, 5000);
    EXPECT_FALSE(silent.true_peak_position_frames().has_value());
}

}  // namespace
}  // namespace sf::analysis
