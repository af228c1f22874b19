// The chorus inside the CPU mix graph: its LFO runs on the session's
// timeline (n from time 0, whatever the stem's offset or the latency of the
// stages before it), its tail lengthens the render, and on a bus it sees the
// latency-compensated sum. Checked against the definition evaluated directly
// (tests/support/chorus_oracle.h) on the signal the chorus receives, taken
// from the same render without the chorus.
#include <gtest/gtest.h>

#include <cmath>
#include <numbers>
#include <vector>

#include "engine/dsp/chorus.h"
#include "engine/render/cpu_mixer.h"
#include "tests/parity/parity_support.h"
#include "tests/support/chorus_oracle.h"
#include "tests/support/test_support.h"

namespace sf::test {
namespace {

constexpr int kRate = 48000;
constexpr double kTolerance = 1e-6;  // float rounding of the EQ and the sums

ChorusSpec fast_chorus(int voices, double mix) {
    ChorusSpec s;
    s.rate_hz = 7.0;  // a period of 6857 frames: a timeline off by a few hundred frames shows
    s.depth_ms = 4.0;
    s.delay_ms = 9.0;
    s.voices = voices;
    s.mix = mix;
    s.stereo_phase_deg = 100.0;
    return s;
}

// One stem starting at `start` frames.
MixFixture one_stem(StemSpec spec, AudioBuffer source, int64_t start) {
    MixFixture f;
    f.session.sample_rate = kRate;
    f.plan.sample_rate = kRate;
    StemPlan sp;
    sp.channels = source.channels();
    sp.start_frames = start;
    sp.length_frames = source.frames();
    f.plan.stems.push_back(sp);
    f.plan.content_frames = f.plan.total_frames = sp.end_frames();
    f.session.stems.push_back(std::move(spec));
    f.sources.push_back(std::move(source));
    return f;
}

AudioBuffer render(const MixFixture& f, int64_t block) {
    CpuMixer mixer;
    auto out = run_backend(mixer, f.session, f.plan, f.sources, block);
    EXPECT_TRUE(out.has_value()) << (out ? "" : out.error().message);
    return out ? *out : AudioBuffer{};
}

// Largest |got_c(n) − gain·oracle(input_c)(n + shift)| over both channels.
double max_error(const ChorusSpec& s, const AudioBuffer& input, const AudioBuffer& got, const double gain[2], int64_t shift = 0) {
    double err = 0.0;
    for (int c = 0; c < 2; ++c) {
        const int cin = std::min(c, input.channels() - 1);
        const int lfo_channel = input.channels() == 1 ? 0 : c;  // a mono chorus has only channel 0
        auto x = [&](int64_t j) { return j >= 0 && j < input.frames() ? static_cast<double>(input.channel(cin)[j]) : 0.0; };
        for (int64_t n = 0; n < got.frames(); ++n)
            err = std::max(err, std::abs(got.channel(c)[n] - gain[c] * chorus_oracle(s, kRate, lfo_channel, n + shift, x)));
    }
    return err;
}

TEST(CpuMixerChorus, StemChorusRunsOnTheTimelineAndLengthensTheRender) {
    StemSpec spec;
    spec.name = "voice";
    spec.chorus = fast_chorus(3, 0.7);
    const AudioBuffer source = noise(1, 9001, 3, 0.5);
    const int64_t start = 3001;
    const MixFixture f = one_stem(spec, source, start);
    // The stem's input on the timeline.
    AudioBuffer timeline(1, start + source.frames());
    std::copy_n(source.channel(0), source.frames(), timeline.channel(0) + start);
    const PanGains pan = pan_gains(0.0, 1);
    const double gain[2] = {pan.ll, pan.lr};
    const int64_t tail = design_chorus(*spec.chorus, kRate).tail_frames();
    const AudioBuffer first = render(f, 4096);
    for (int64_t block : {int64_t{4096}, int64_t{777}}) {
        const AudioBuffer got = render(f, block);
        EXPECT_TRUE(got.raw() == first.raw()) << "bit-identical whatever the block size";
        EXPECT_EQ(got.frames(), f.plan.content_frames + tail) << "the render lasts until the chorus tail has ended";
        const double err = max_error(*spec.chorus, timeline, got, gain);
        std::printf("chorus in the CPU mixer, mono stem at frame %lld, block %lld: max |error| %.3g\n", static_cast<long long>(start),
                    static_cast<long long>(block), err);
        EXPECT_LT(err, kTolerance);
        // The check is sensitive to the LFO's origin: counted from the stem's start, it fails.
        EXPECT_GT(max_error(*spec.chorus, timeline, got, gain, -start), 100 * kTolerance);
    }
}

TEST(CpuMixerChorus, StemChorusAfterALinearPhaseEqSeesTheTimeline) {
    // The EQ delays the stem inside its chain (centre delay + FFT hop); the
    // chorus still counts n on the output's timeline.
    StemSpec plain;
    plain.name = "pad";
    EqSpec eq;
    eq.mode = EqMode::Linear;
    eq.bands = {band(EqBandType::Bell, 1500.0, 6.0, 1.0), band(EqBandType::Highpass, 150.0)};
    plain.eq = eq;
    StemSpec chorused = plain;
    chorused.chorus = fast_chorus(4, 0.8);
    const AudioBuffer source = noise(2, 12007, 4, 0.5);
    const MixFixture without = one_stem(plain, source, 2000), with = one_stem(chorused, source, 2000);
    const AudioBuffer eq_out = render(without, 4096);  // stereo at centre: balance gains 1, so this is the chorus's input
    const double gain[2] = {1.0, 1.0};
    const AudioBuffer got = render(with, 4096);
    EXPECT_TRUE(render(with, 1531).raw() == got.raw()) << "bit-identical whatever the block size";
    const double err = max_error(*chorused.chorus, eq_out, got, gain);
    std::printf("chorus after a linear-phase EQ in the CPU mixer: max |error| %.3g\n", err);
    EXPECT_LT(err, kTolerance);
    EXPECT_GT(max_error(*chorused.chorus, eq_out, got, gain, 500), 100 * kTolerance);
}

TEST(CpuMixerChorus, BusChorusSeesTheCompensatedSumOnTheTimeline) {
    // stem (linear EQ: the bus input has latency) -> bus "fx" (linear EQ, chorus) -> master.
    auto session = [](bool with_chorus) {
        StemSpec s;
        s.name = "keys";
        s.output = "fx";
        EqSpec eq;
        eq.mode = EqMode::Linear;
        eq.bands = {band(EqBandType::Lowpass, 6000.0)};
        s.eq = eq;
        MixFixture f = one_stem(s, noise(1, 10007, 5, 0.5), 1500);
        BusSpec fx;
        fx.name = "fx";
        EqSpec bus_eq;
        bus_eq.mode = EqMode::Linear;
        bus_eq.bands = {band(EqBandType::LowShelf, 300.0, -4.0)};
        fx.eq = bus_eq;
        if (with_chorus) fx.chorus = fast_chorus(2, 1.0);
        f.session.buses.push_back(fx);
        f.plan.bus_order = bus_processing_order(f.session);
        return f;
    };
    const AudioBuffer bus_in = render(session(false), 4096);
    const AudioBuffer got = render(session(true), 4096);
    const double gain[2] = {1.0, 1.0};
    const double err = max_error(fast_chorus(2, 1.0), bus_in, got, gain);
    std::printf("bus chorus in the CPU mixer: max |error| %.3g\n", err);
    EXPECT_LT(err, kTolerance);
    EXPECT_GT(max_error(fast_chorus(2, 1.0), bus_in, got, gain, 500), 100 * kTolerance);
}

}  // namespace
}  // namespace sf::test
