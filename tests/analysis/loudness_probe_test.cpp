// The LoudnessProbe the master step measures through: it reports the
// analysis meters' figures (checked here against EBU Tech 3341's first case,
// whose expected value comes from the standard, not from the meter), reads
// only the first `channels` channels of a block, and stops a broken
// contract in every build type instead of dereferencing an empty meter.
#include <gtest/gtest.h>

#include <algorithm>
#include <cmath>

#include "analysis/loudness_probe.h"
#include "tests/support/test_support.h"

namespace sf {
namespace {

constexpr int kRate = 48000;

// EBU Tech 3341, test case 1: a stereo 1 kHz sine at -23 dBFS (peak, both
// channels) measures -23.0 LUFS, tolerance +-0.1 LU. Its true peak is the
// sine's peak, -23 dBTP, within Tech 3341's true-peak tolerance +0.2/-0.4 dB.
AudioBuffer tech3341_case1(int channels, double seconds) {
    return test::sine(channels, static_cast<int64_t>(seconds * kRate), kRate, 1000.0, std::pow(10.0, -23.0 / 20.0));
}

TEST(LoudnessProbe, MeasuresTech3341Case1InOddBlocks) {
    auto probe = analysis::make_loudness_probe();
    probe->reset(kRate, 2, true);
    const AudioBuffer x = tech3341_case1(2, 20.0);
    AudioBuffer block(2, 4099);
    for (int64_t pos = 0; pos < x.frames(); pos += block.frames()) {
        const int64_t n = std::min<int64_t>(block.frames(), x.frames() - pos);
        for (int c = 0; c < 2; ++c) std::copy_n(x.channel(c) + pos, n, block.channel(c));
        probe->add(block, n);
    }
    const LoudnessStats s = probe->stats();
    EXPECT_NEAR(s.integrated_lufs, -23.0, 0.1);
    EXPECT_NEAR(s.max_momentary_lufs, -23.0, 0.1);
    EXPECT_NEAR(s.max_short_term_lufs, -23.0, 0.1);
    EXPECT_NEAR(s.loudness_range_lu, 0.0, 0.1);
    EXPECT_LE(s.true_peak_dbtp, -23.0 + 0.2);
    EXPECT_GE(s.true_peak_dbtp, -23.0 - 0.4);
}

TEST(LoudnessProbe, ReadsOnlyItsChannelsAndSkipsTruePeakWhenNotAsked) {
    auto probe = analysis::make_loudness_probe();
    probe->reset(kRate, 2, false);
    const AudioBuffer x = tech3341_case1(2, 5.0);
    AudioBuffer wide(3, x.frames());
    for (int c = 0; c < 2; ++c) std::copy_n(x.channel(c), x.frames(), wide.channel(c));
    const AudioBuffer loud = test::noise(1, x.frames(), 5, 0.9);  // must not be heard
    std::copy_n(loud.channel(0), x.frames(), wide.channel(2));
    probe->add(wide, wide.frames());
    const LoudnessStats s = probe->stats();
    EXPECT_NEAR(s.integrated_lufs, -23.0, 0.1);
    EXPECT_EQ(s.true_peak_dbtp, -INFINITY);
}

TEST(LoudnessProbe, ResetForgetsEverything) {
    auto probe = analysis::make_loudness_probe();
    probe->reset(kRate, 2, true);
    const AudioBuffer loud = test::noise(2, kRate, 3, 0.9);
    probe->add(loud, loud.frames());
    probe->reset(kRate, 1, true);
    const LoudnessStats s = probe->stats();
    EXPECT_EQ(s.integrated_lufs, -INFINITY);
    EXPECT_EQ(s.true_peak_dbtp, -INFINITY);
}

// These hold in Release too: the checks are not assert()s.
TEST(LoudnessProbeDeathTest, BrokenContractsStopWithAMessage) {
    GTEST_FLAG_SET(death_test_style, "threadsafe");
    AudioBuffer block(2, 100);
    EXPECT_DEATH(analysis::make_loudness_probe()->add(block, 100), "loudness probe: add\\(\\) before reset\\(\\)");
    EXPECT_DEATH(analysis::make_loudness_probe()->reset(kRate, 9, false), "reset\\(\\) with 9 channels");
    EXPECT_DEATH(analysis::make_loudness_probe()->reset(kRate, 0, false), "reset\\(\\) with 0 channels");
    EXPECT_DEATH(analysis::make_loudness_probe()->reset(4000, 2, false), "sample_rate 4000 Hz");
    EXPECT_DEATH(
        {
            auto p = analysis::make_loudness_probe();
            p->reset(kRate, 2, false);
            AudioBuffer mono(1, 100);
            p->add(mono, 100);
        },
        "add\\(\\) of 100 frames from a 1 x 100 block, 2 channels expected");
    EXPECT_DEATH(
        {
            auto p = analysis::make_loudness_probe();
            p->reset(kRate, 2, false);
            p->add(block, 101);
        },
        "add\\(\\) of 101 frames");
}

}  // namespace
}  // namespace sf
