// Parity of the chorus stage: sf::gpu::GpuMixer (gpu/stages/chorus.*: a
// history ring per channel, positions and interpolation in double, the LFO
// sine from a double polynomial) vs the CPU reference sf::CpuMixer
// (engine/dsp/chorus.*), end to end through run_backend on random stems:
// mono and stereo, one to eight voices, a chorus after a linear-phase EQ
// (its input delayed inside the chain), a sub-frame delay (latency 1), a
// muted chorused stem, and two chorused buses, one nested in the other and
// one after a linear-phase bus EQ fed by EQ'd stems (input latency).
// Whole buffer, odd blocks and split chunks. Bound (linear stages): residual
// peak <= -100 dBFS.
#include <gtest/gtest.h>

#include <cstdio>

#include "engine/core/random.h"
#include "engine/render/cpu_mixer.h"
#include "engine/render/render_plan.h"
#include "gpu/gpu_mixer.h"
#include "tests/gpu/gpu_fixture.h"
#include "tests/parity/parity_support.h"
#include "tests/support/test_support.h"

namespace sf::test {
namespace {

constexpr double kPeakBoundDbfs = -100.0;

ChorusSpec chorus(double rate_hz, double depth_ms, double delay_ms, int voices, double mix, double stereo_phase_deg) {
    ChorusSpec c;
    c.rate_hz = rate_hz;
    c.depth_ms = depth_ms;
    c.delay_ms = delay_ms;
    c.voices = voices;
    c.mix = mix;
    c.stereo_phase_deg = stereo_phase_deg;
    return c;
}

EqSpec eq(EqMode mode, std::vector<EqBand> bands) {
    EqSpec e;
    e.mode = mode;
    e.bands = std::move(bands);
    return e;
}

SendSpec send(const std::string& bus, double level_db, bool pre_fader) {
    SendSpec s;
    s.bus = bus;
    s.level_db = level_db;
    s.pre_fader = pre_fader;
    return s;
}

// Six stems, two buses:
//   ens  chorus (2 voices, 100 % wet)               -> cho
//   cho  linear-phase EQ, chorus (4 voices), -1 dB -> master
MixFixture make_fixture(uint64_t seed) {
    MixFixture f;
    f.session.sample_rate = 48000;
    f.plan.sample_rate = 48000;
    BusSpec ens;
    ens.name = "ens";
    ens.output = "cho";
    ens.chorus = chorus(0.3, 6.0, 15.0, 2, 1.0, 180.0);
    BusSpec cho;
    cho.name = "cho";
    cho.eq = eq(EqMode::Linear, {band(EqBandType::Bell, 2500.0, -5.0, 1.5)});
    cho.chorus = chorus(1.7, 3.0, 9.0, 4, 0.7, 120.0);
    cho.gain_db = -1.0;
    f.session.buses = {ens, cho};

    Random rng(seed);
    for (int k = 0; k < 6; ++k) {
        StemSpec s;
        s.name = "stem" + std::to_string(k);
        s.gain_db = -6.0 + 4.0 * rng.uniform();
        s.pan = rng.bipolar();
        switch (k) {
            case 0:  // mono, three voices, into the nested bus too
                s.chorus = chorus(0.8 + rng.uniform(), 2.0, 10.0, 3, 0.5, 90.0);
                s.sends = {send("ens", -6.0, false)};
                break;
            case 1:  // stereo, chorus after a linear-phase EQ
                s.eq = eq(EqMode::Linear, {band(EqBandType::Highpass, 150.0), band(EqBandType::Bell, 3000.0, 4.0, 1.0)});
                s.chorus = chorus(5.0 * rng.uniform() + 0.5, 4.0, 11.0, 2, 0.6, 60.0);
                s.sends = {send("cho", -8.0, true)};
                break;
            case 2:  // mono, sub-frame delay: latency 1
                s.chorus = chorus(4.0, 0.49, 0.5, 3, 0.8, 0.0);
                s.output = "cho";
                break;
            case 3:  // stereo, eight fast voices after a minimum-phase EQ, into the nested bus
                s.eq = eq(EqMode::Minimum, {band(EqBandType::Bell, 900.0, 6.0, 2.0)});
                s.chorus = chorus(12.0, 10.0, 25.0, 8, 1.0, 270.0);
                s.output = "ens";
                break;
            case 4:  // muted: its chorus tail must not be heard either
                s.mute = true;
                s.chorus = chorus(1.0, 2.0, 5.0, 2, 0.5, 90.0);
                break;
            default:  // stereo, no chorus of its own, linear EQ (the cho bus input has latency)
                s.eq = eq(EqMode::Linear, {band(EqBandType::Lowpass, 5000.0, 0.0, 0.7071, 24)});
                s.fade_in_s = 0.02;
                s.sends = {send("cho", -3.0, false)};
                break;
        }
        add_stem(f, s, k, noise(fixture_channels(k), 9011 + 1531 * k, seed * 31 + static_cast<uint64_t>(k), 0.7));
    }
    f.plan.bus_order = bus_processing_order(f.session);
    f.plan.total_frames = f.plan.content_frames;
    return f;
}

class ChorusParity : public GpuTest {};

TEST_F(ChorusParity, WholeBufferOddBlocksAndSplitChunksMatchCpu) {
    if (!ctx_->float64()) GTEST_FAIL() << "the test device has no shaderFloat64";
    const MixFixture f = make_fixture(0xC40);
    CpuMixer cpu;
    auto reference = run_backend(cpu, f.session, f.plan, f.sources, 4096);
    ASSERT_TRUE(reference) << reference.error().message;
    ASSERT_GT(peak_dbfs(reference->channel(0), reference->frames()), -20.0);
    RenderPlan cpu_plan = f.plan;
    cpu_plan.block_frames = 4096;
    ASSERT_TRUE(CpuMixer().prepare(f.session, cpu_plan).has_value());
    // The tails are rendered: past the content by at least the longest chorus delay (35 ms of the 8-voice stem).
    ASSERT_GE(reference->frames(), f.plan.content_frames + 35 * 48);

    struct Run {
        int64_t block, max_chunk;
    };
    // 1531/256: chunks shorter than the longest chorus history (1682 frames), so reads cross several chunks.
    for (const Run run : {Run{cpu_plan.total_frames + cpu_plan.latency_frames, 0}, Run{4096, 0}, Run{1531, 0}, Run{777, 0},
                          Run{10007, 1000}, Run{1531, 256}}) {
        gpu::GpuMixer gpu(ctx_);
        gpu.set_max_chunk_frames(run.max_chunk);
        auto got = run_backend(gpu, f.session, f.plan, f.sources, run.block);
        ASSERT_TRUE(got) << got.error().message;
        const Residual r = residual(*got, *reference);
        std::printf("chorus parity block %lld chunk<=%lld: residual peak %.1f dBFS, rms %.1f dBFS\n", static_cast<long long>(run.block),
                    static_cast<long long>(run.max_chunk), r.peak_dbfs, r.rms_dbfs);
        EXPECT_LE(r.peak_dbfs, kPeakBoundDbfs) << "block " << run.block << " chunk " << run.max_chunk;
    }
}

TEST_F(ChorusParity, ResidualDetectsChorusMistakes) {
    // The measure must be able to fail: on the GPU side only, a stem's stereo
    // phase off by 3°, a bus chorus's rate off by 1 %, one voice fewer.
    if (!ctx_->float64()) GTEST_FAIL() << "the test device has no shaderFloat64";
    const MixFixture f = make_fixture(7);
    CpuMixer cpu;
    auto reference = run_backend(cpu, f.session, f.plan, f.sources, 4096);
    ASSERT_TRUE(reference) << reference.error().message;
    Session phase = f.session, rate = f.session, voices = f.session;
    phase.stems[1].chorus->stereo_phase_deg += 3.0;
    rate.buses[1].chorus->rate_hz *= 1.01;
    voices.stems[3].chorus->voices = 7;
    for (const Session* changed : {&phase, &rate, &voices}) {
        gpu::GpuMixer gpu(ctx_);
        auto got = run_backend(gpu, *changed, f.plan, f.sources, 4096);
        ASSERT_TRUE(got) << got.error().message;
        EXPECT_GT(residual(*got, *reference).peak_dbfs, kPeakBoundDbfs + 20.0);
    }
}

}  // namespace
}  // namespace sf::test
