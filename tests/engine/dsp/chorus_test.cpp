// Chorus: the CPU reference against the DESIGN.md formula evaluated directly
// in double (tests/support/chorus_oracle.h), for mono and stereo, one to
// eight voices, a stereo phase and a start far into the timeline; block
// splits, gaps, mix 0, the sub-frame-delay latency and the tail.
#include <gtest/gtest.h>

#include <cmath>
#include <vector>

#include "engine/dsp/chorus.h"
#include "tests/support/chorus_oracle.h"
#include "tests/support/test_support.h"

namespace sf {
namespace {

constexpr int kRate = 48000;
// Float output rounding is ~3e-8 at these amplitudes; the evaluation order
// (angle sums, the split delay) differs from the oracle's by ~1e-15 frames.
constexpr double kTolerance = 1e-6;

ChorusSpec spec(double rate_hz, double depth_ms, double delay_ms, int voices, double mix, double stereo_phase_deg) {
    ChorusSpec s;
    s.rate_hz = rate_hz;
    s.depth_ms = depth_ms;
    s.delay_ms = delay_ms;
    s.voices = voices;
    s.mix = mix;
    s.stereo_phase_deg = stereo_phase_deg;
    return s;
}

// The input x of channel c at timeline frame n: the buffer holds frames
// [start, start + frames); silence elsewhere.
double x_at(const AudioBuffer& x, int c, int64_t start, int64_t n) {
    const int64_t i = n - start;
    return i >= 0 && i < x.frames() ? static_cast<double>(x.channel(c)[i]) : 0.0;
}

double oracle(const ChorusSpec& s, int fs, const AudioBuffer& x, int64_t start, int c, int64_t n) {
    return test::chorus_oracle(s, fs, c, n, [&](int64_t j) { return x_at(x, c, start, j); });
}

// Feeds x (timeline frames [start, start + frames)) and then `extra` frames
// of silence through `chorus`, in blocks cycling through `blocks`.
AudioBuffer run(Chorus& chorus, const AudioBuffer& x, int64_t start, int64_t extra, const std::vector<int64_t>& blocks) {
    AudioBuffer y(x.channels(), x.frames() + extra);
    for (int c = 0; c < x.channels(); ++c) std::copy_n(x.channel(c), x.frames(), y.channel(c));
    size_t b = 0;
    for (int64_t at = 0; at < y.frames(); ++b) {
        const int64_t n = std::min(blocks[b % blocks.size()], y.frames() - at);
        float* ch[2] = {y.channel(0) + at, y.channel(y.channels() - 1) + at};
        chorus.process(ch, n, start + at);
        at += n;
    }
    return y;
}

// Largest |y − oracle| over every channel and frame; output sample i is
// the output's timeline frame start + i − latency.
double max_error(const ChorusSpec& s, const AudioBuffer& x, int64_t start, const AudioBuffer& y, int64_t latency) {
    double err = 0.0;
    for (int c = 0; c < y.channels(); ++c)
        for (int64_t i = 0; i < y.frames(); ++i)
            err = std::max(err, std::abs(y.channel(c)[i] - oracle(s, kRate, x, start, c, start + i - latency)));
    return err;
}

bool identical(const AudioBuffer& a, const AudioBuffer& b) { return a.channels() == b.channels() && a.raw() == b.raw(); }

TEST(Chorus, StereoVoicesMatchTheDefinitionFarIntoTheTimeline) {
    const ChorusSpec s = spec(3.7, 3.0, 8.0, 3, 0.6, 90.0);
    const AudioBuffer x = test::noise(2, 24001, 11, 0.5);
    const int64_t start = 12345678;  // the LFO counts from the session's time 0, not from the block
    Chorus chorus(s, kRate, 2);
    ASSERT_EQ(chorus.latency_frames(), 0);
    const AudioBuffer y = run(chorus, x, start, chorus.tail_frames() + 50, {1 << 20});
    const double err = max_error(s, x, start, y, 0);
    std::printf("chorus oracle, stereo 3 voices 90 deg: max |error| %.3g\n", err);
    EXPECT_LT(err, kTolerance);
    // The channels differ (stereo phase), and the chorus changed the signal.
    double diff = 0.0, wet = 0.0;
    for (int64_t i = 0; i < x.frames(); ++i) {
        diff = std::max(diff, std::abs(static_cast<double>(y.channel(0)[i]) - y.channel(1)[i]));
        wet = std::max(wet, std::abs(static_cast<double>(y.channel(0)[i]) - x.channel(0)[i]));
    }
    EXPECT_GT(diff, 0.1);
    EXPECT_GT(wet, 0.1);
}

TEST(Chorus, MonoOneAndEightVoicesMatchTheDefinition) {
    for (const ChorusSpec& s : {spec(0.8, 2.0, 10.0, 1, 0.5, 90.0), spec(19.0, 20.0, 50.0, 8, 1.0, 270.0), spec(0.01, 0.0, 0.5, 2, 0.3, 0.0)}) {
        const AudioBuffer x = test::noise(1, 15013, 5, 0.7);
        for (int64_t start : {int64_t{0}, int64_t{4801}}) {
            Chorus chorus(s, kRate, 1);
            ASSERT_EQ(chorus.latency_frames(), 0);
            const AudioBuffer y = run(chorus, x, start, chorus.tail_frames() + 10, {4096});
            const double err = max_error(s, x, start, y, 0);
            std::printf("chorus oracle, mono %d voice(s) rate %.2f: max |error| %.3g\n", s.voices, s.rate_hz, err);
            EXPECT_LT(err, kTolerance) << "voices " << s.voices << " start " << start;
        }
    }
}

TEST(Chorus, TheComparisonCanFail) {
    // The oracle must catch small mistakes: a stereo phase off by 5°, a rate
    // off by 1 %, and a voice's offset left out (one voice fewer) each give
    // errors far above the tolerance.
    const ChorusSpec s = spec(3.7, 3.0, 8.0, 3, 0.6, 90.0);
    const AudioBuffer x = test::noise(2, 9601, 12, 0.5);
    Chorus chorus(s, kRate, 2);
    const AudioBuffer y = run(chorus, x, 1000, 0, {1 << 20});
    ChorusSpec phase = s, rate = s, voices = s;
    phase.stereo_phase_deg += 5.0;
    rate.rate_hz *= 1.01;
    voices.voices = 2;
    EXPECT_GT(max_error(phase, x, 1000, y, 0), 100 * kTolerance);
    EXPECT_GT(max_error(rate, x, 1000, y, 0), 100 * kTolerance);
    EXPECT_GT(max_error(voices, x, 1000, y, 0), 100 * kTolerance);
}

TEST(Chorus, AnyBlockSplitEqualsTheWholeRunExactly) {
    for (int channels : {1, 2}) {
        const ChorusSpec s = spec(5.3, 4.0, 7.0, 4, 0.7, 120.0);
        const AudioBuffer x = test::noise(channels, 30011, 21, 0.5);
        Chorus whole(s, kRate, channels);
        const AudioBuffer want = run(whole, x, 777, whole.tail_frames(), {1 << 20});
        for (const std::vector<int64_t>& blocks : {std::vector<int64_t>{1}, {4096}, {1531}, {777, 1, 13, 4096, 333}}) {
            Chorus split(s, kRate, channels);
            EXPECT_TRUE(identical(run(split, x, 777, split.tail_frames(), blocks), want)) << channels << " channel(s), first block " << blocks[0];
        }
    }
}

TEST(Chorus, FramesNotPassedInAreSilence) {
    // A stem that stops being processed and resumes later: the gap reads as
    // zeros (short gaps and gaps longer than the history alike).
    const ChorusSpec s = spec(2.0, 5.0, 12.0, 2, 0.5, 45.0);
    for (int64_t gap : {int64_t{3}, int64_t{200}, int64_t{100000}}) {
        AudioBuffer x = test::noise(2, 2000 + gap, 31, 0.5);
        for (int c = 0; c < 2; ++c) std::fill_n(x.channel(c) + 1000, gap, 0.0f);
        Chorus whole(s, kRate, 2);
        AudioBuffer want = run(whole, x, 50, 0, {1 << 20});
        Chorus gapped(s, kRate, 2);
        AudioBuffer got = x;
        float* first[2] = {got.channel(0), got.channel(1)};
        gapped.process(first, 1000, 50);
        float* second[2] = {got.channel(0) + 1000 + gap, got.channel(1) + 1000 + gap};
        gapped.process(second, 1000, 50 + 1000 + gap);
        for (int c = 0; c < 2; ++c) {
            std::fill_n(got.channel(c) + 1000, gap, 0.0f);
            std::fill_n(want.channel(c) + 1000, gap, 0.0f);  // not produced by the gapped run
        }
        EXPECT_TRUE(identical(got, want)) << "gap " << gap;
    }
}

TEST(Chorus, MixZeroIsTheIdentity) {
    const AudioBuffer x = test::noise(2, 5003, 41, 0.9);
    Chorus chorus(spec(7.0, 9.0, 20.0, 8, 0.0, 90.0), kRate, 2);
    AudioBuffer y = x;
    float* ch[2] = {y.channel(0), y.channel(1)};
    chorus.process(ch, y.frames(), 99);
    EXPECT_TRUE(identical(y, x));
}

TEST(Chorus, DelayBelowOneFrameHasOneFrameOfLatency) {
    // delay − depth = 0.01 ms = 0.48 frames: the interpolation reads x(n + 1),
    // so the stage outputs y(n − 1). It still matches the definition, block split or not.
    const ChorusSpec s = spec(4.0, 0.49, 0.5, 3, 0.8, 90.0);
    const AudioBuffer x = test::noise(2, 12007, 51, 0.5);
    Chorus whole(s, kRate, 2);
    ASSERT_EQ(whole.latency_frames(), 1);
    const AudioBuffer y = run(whole, x, 333, whole.latency_frames() + whole.tail_frames(), {1 << 20});
    const double err = max_error(s, x, 333, y, 1);
    std::printf("chorus oracle, sub-frame delay (latency 1): max |error| %.3g\n", err);
    EXPECT_LT(err, kTolerance);
    Chorus split(s, kRate, 2);
    EXPECT_TRUE(identical(run(split, x, 333, split.latency_frames() + split.tail_frames(), {1, 2, 3, 1000}), y));
    // One frame more of delay needs no look-ahead.
    EXPECT_EQ(Chorus(spec(4.0, 0.49, 0.53, 3, 0.8, 90.0), kRate, 2).latency_frames(), 0);
}

TEST(Chorus, TailIsTheLongestDelayPlusTwo) {
    const ChorusSpec s = spec(0.5, 2.0, 10.0, 2, 1.0, 0.0);  // max delay 12 ms = 576 frames
    Chorus chorus(s, kRate, 1);
    EXPECT_EQ(chorus.design().max_delay_frames, 576);
    EXPECT_EQ(chorus.tail_frames(), 578);
    EXPECT_EQ(chorus.latency_frames(), 0);
    // A full-scale input up to its end: the output is non-zero after the end
    // (the voices lag), and exactly zero from the tail on.
    const AudioBuffer x = test::noise(1, 4800, 61, 1.0);
    const AudioBuffer y = run(chorus, x, 0, chorus.tail_frames() + 1000, {4096});
    double after = 0.0;
    for (int64_t i = x.frames(); i < x.frames() + chorus.tail_frames(); ++i) after = std::max(after, std::abs(static_cast<double>(y.channel(0)[i])));
    EXPECT_GT(after, 0.1);
    for (int64_t i = x.frames() + chorus.tail_frames(); i < y.frames(); ++i) ASSERT_EQ(y.channel(0)[i], 0.0f) << i;
}

}  // namespace
}  // namespace sf
