// Parity of the stem EQ stage: sf::gpu::GpuMixer (the CPU-designed FIR taps
// through the GPU FFT convolver, zero latency, with the stems delayed on the
// host to reproduce the CPU graph's latency compensation) vs the CPU
// reference sf::CpuMixer (FftConvolver with its one-hop delay, delay lines
// per latency class), end to end through run_backend on random stems.
// A linear stage: residual peak <= -100 dBFS.
#include <gtest/gtest.h>

#include "engine/core/random.h"
#include "engine/render/cpu_mixer.h"
#include "gpu/gpu_mixer.h"
#include "tests/gpu/gpu_fixture.h"
#include "tests/parity/parity_support.h"
#include "tests/support/test_support.h"

namespace sf::test {
namespace {

constexpr double kLinearStageBoundDbfs = -100.0;  // issue 5: linear stages

using Fixture = MixFixture;

// Six stems, short (<= 0.3 s) and odd-length: linear-phase EQ (mono and
// stereo, different FIR lengths, so different latencies), minimum-phase EQ
// (no centre delay), no EQ (delayed by the whole graph latency), an EQ with
// no bands (the identity), and a muted EQ'd stem. Fades and automation on
// some, so the gain stage runs on each stem's delayed timeline.
Fixture make_fixture(uint64_t seed) {
    Fixture f;
    Random rng(seed);
    f.session.sample_rate = 48000;
    f.plan.sample_rate = 48000;
    const int n_stems = 6;
    for (int k = 0; k < n_stems; ++k) {
        StemSpec s;
        s.name = "stem" + std::to_string(k);
        s.gain_db = -9.0 + 6.0 * rng.uniform();
        s.pan = rng.bipolar();
        s.fade_in_s = (k % 2) ? 0.0123 : 0.0;
        s.fade_out_s = (k % 3) ? 0.0371 : 0.0;
        if (k == 2) s.automation.gain_db = {{0.02, 0.0}, {0.05, -18.0}, {0.0502, 3.0}};
        EqSpec eq;
        switch (k) {
            case 0:  // linear, mono: highpass + bell
                eq.bands = {band(EqBandType::Highpass, 180.0, 0, 0.7071, 12), band(EqBandType::Bell, 2500.0, 5.0, 1.5)};
                s.eq = eq;
                break;
            case 1:  // minimum phase, stereo
                eq.mode = EqMode::Minimum;
                eq.bands = {band(EqBandType::LowShelf, 300.0, -4.0), band(EqBandType::Notch, 6000.0, 0, 4.0)};
                s.eq = eq;
                break;
            case 2:  // linear: nulls (a notch; an odd-order highpass's at DC), rounded off by the design
                eq.bands = {band(EqBandType::Notch, 1000.0, 0, 2.0), band(EqBandType::Highpass, 40.0, 0, 0.7071, 6)};
                s.eq = eq;
                break;
            case 3:  // linear, stereo, a steep lowpass (a different FIR length)
                eq.bands = {band(EqBandType::Lowpass, 7000.0, 0, 0.7071, 24)};
                s.eq = eq;
                break;
            case 4:  // no bands: the identity, no convolution at all
                s.eq = eq;
                break;
            case 5:  // muted: designed, never heard
                eq.bands = {band(EqBandType::HighShelf, 4000.0, 6.0)};
                s.eq = eq;
                s.mute = true;
                break;
            default: break;
        }
        const int channels = fixture_channels(k);
        add_stem(f, s, k, noise(channels, 9001 + 1531 * k, seed * 100 + static_cast<uint64_t>(k), 0.7));
    }
    f.plan.total_frames = f.plan.content_frames;
    return f;
}

class EqParity : public GpuTest {};

TEST_F(EqParity, StemEqWholeBufferOddBlocksAndSplitChunksMatchCpu) {
    const Fixture f = make_fixture(0xE0E0);
    CpuMixer cpu;
    RenderPlan cpu_plan = f.plan;
    cpu_plan.block_frames = 4096;
    ASSERT_TRUE(cpu.prepare(f.session, cpu_plan).has_value());
    ASSERT_GT(cpu_plan.latency_frames, 0);                        // the compensation is exercised
    ASSERT_GT(cpu_plan.total_frames, f.plan.content_frames);      // and the EQ tails
    auto reference = run_backend(cpu, f.session, f.plan, f.sources, 4096);
    ASSERT_TRUE(reference) << reference.error().message;
    ASSERT_GT(peak_dbfs(reference->channel(0), reference->frames()), -20.0);

    struct Run {
        int64_t block, max_chunk;
    };
    const int64_t whole = cpu_plan.total_frames + cpu_plan.latency_frames;
    for (const Run run : {Run{whole, 0}, Run{4099, 0}, Run{10007, 1000}}) {
        gpu::GpuMixer gpu(ctx_);
        gpu.set_max_chunk_frames(run.max_chunk);
        RenderPlan gpu_plan = f.plan;
        gpu_plan.block_frames = run.block;
        ASSERT_TRUE(gpu.prepare(f.session, gpu_plan).has_value());
        // Latency is each backend's own (the GPU convolves without FFT hops but
        // hands blocks back one block late); the output's length and alignment are not.
        EXPECT_EQ(gpu_plan.total_frames, cpu_plan.total_frames);
        auto got = run_backend(gpu, f.session, f.plan, f.sources, run.block);
        ASSERT_TRUE(got) << got.error().message;
        const Residual r = residual(*got, *reference);
        std::printf("eq parity block %lld chunk<=%lld: residual peak %.1f dBFS, rms %.1f dBFS\n", static_cast<long long>(run.block),
                    static_cast<long long>(run.max_chunk), r.peak_dbfs, r.rms_dbfs);
        EXPECT_LE(r.peak_dbfs, kLinearStageBoundDbfs) << "block " << run.block;
    }
}

TEST_F(EqParity, ResidualDetectsAMissingStemEq) {
    // The measure must be able to fail here: the same session with one EQ'd
    // stem's EQ removed on the GPU side only (different latency, no
    // filtering) is far above the bound.
    const Fixture f = make_fixture(3);
    CpuMixer cpu;
    auto reference = run_backend(cpu, f.session, f.plan, f.sources, 8192);
    ASSERT_TRUE(reference);
    Session changed = f.session;
    changed.stems[3].eq.reset();
    gpu::GpuMixer gpu(ctx_);
    auto got = run_backend(gpu, changed, f.plan, f.sources, 8192);
    ASSERT_TRUE(got) << got.error().message;
    EXPECT_GT(residual(*got, *reference).peak_dbfs, -40.0);
}

}  // namespace
}  // namespace sf::test
