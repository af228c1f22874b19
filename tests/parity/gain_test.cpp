// Parity of the gain stages (clip gain, fades, automation, polarity, width,
// pan, fader, ordered stem sum; pan and width automation): sf::gpu::GpuMixer
// vs the CPU reference sf::CpuMixer on random stems. A linear stage:
// residual peak <= -100 dBFS.
#include <gtest/gtest.h>

#include "engine/core/random.h"
#include "engine/render/cpu_mixer.h"
#include "gpu/gpu_mixer.h"
#include "tests/gpu/gpu_fixture.h"
#include "tests/support/test_support.h"
#include "tests/parity/parity_support.h"

namespace sf::test {
namespace {

constexpr double kLinearStageBoundDbfs = -100.0;  // issue 5: linear stages

using Fixture = MixFixture;

// Seven stems covering every gain feature: mono/stereo, hard and centre pans,
// polarity, fades, steep automation, offsets, a muted stem; odd lengths.
Fixture make_fixture(uint64_t seed) {
    Fixture f;
    Random rng(seed);
    f.session.sample_rate = 48000;
    f.plan.sample_rate = 48000;
    const int n_stems = 7;
    for (int k = 0; k < n_stems; ++k) {
        StemSpec s;
        s.name = "stem" + std::to_string(k);
        s.gain_db = -12.0 + 18.0 * rng.uniform();
        s.pan = k == 0 ? -1.0 : k == 1 ? 1.0 : k == 2 ? 0.0 : rng.bipolar();
        s.polarity_invert = (k % 3) == 1;
        s.fade_in_s = (k % 2) ? 0.0123 : 0.0;
        s.fade_out_s = (k % 3) ? 0.0371 : 0.0;
        s.mute = k == 5;
        if (k % 2 == 0) s.automation.gain_db = {{0.01, 0.0}, {0.05, -24.0}, {0.0501, 6.0}, {0.2, -3.0}};
        if (k == 3) s.automation.gain_db = {{0.1, -60.0}};  // one point: held everywhere
        const int channels = fixture_channels(k);
        add_stem(f, s, k, noise(channels, 9001 + 1531 * k, seed * 100 + static_cast<uint64_t>(k), 0.9));
    }
    f.plan.total_frames = f.plan.content_frames + 333;  // a silent tail past the last stem
    return f;
}

class GainParity : public GpuTest {};

TEST_F(GainParity, WholeBufferOddBlocksAndSplitChunksMatchCpu) {
    const Fixture f = make_fixture(0xC0FFEE);
    CpuMixer cpu;
    auto reference = run_backend(cpu, f.session, f.plan, f.sources, f.plan.total_frames);
    ASSERT_TRUE(reference) << reference.error().message;
    // The reference is not silent (a residual against silence proves nothing).
    ASSERT_GT(peak_dbfs(reference->channel(0), reference->frames()), -20.0);

    struct Run {
        int64_t block, max_chunk;
    };
    for (const Run run : {Run{f.plan.total_frames, 0}, Run{4099, 0}, Run{777, 0}, Run{10007, 1000}}) {
        gpu::GpuMixer gpu(ctx_);
        gpu.set_max_chunk_frames(run.max_chunk);
        auto got = run_backend(gpu, f.session, f.plan, f.sources, run.block);
        ASSERT_TRUE(got) << got.error().message;
        const Residual r = residual(*got, *reference);
        std::printf("gain parity block %lld chunk<=%lld: residual peak %.1f dBFS, rms %.1f dBFS\n", static_cast<long long>(run.block),
                    static_cast<long long>(run.max_chunk), r.peak_dbfs, r.rms_dbfs);
        EXPECT_LE(r.peak_dbfs, kLinearStageBoundDbfs) << "block " << run.block;
        if (run.max_chunk > 0) {
            EXPECT_GT(gpu.stats().submissions, static_cast<uint64_t>(f.plan.total_frames / run.block)) << "chunks were not split";
        }
    }
}

TEST_F(GainParity, ResidualDetectsAOneSampleShift) {
    // The measure itself must be able to fail: the same render shifted by one
    // frame is far above the bound.
    const Fixture f = make_fixture(7);
    CpuMixer cpu;
    auto a = run_backend(cpu, f.session, f.plan, f.sources, 4096);
    ASSERT_TRUE(a);
    AudioBuffer shifted(2, a->frames());
    for (int c = 0; c < 2; ++c)
        for (int64_t i = 1; i < a->frames(); ++i) shifted.channel(c)[i] = a->channel(c)[i - 1];
    EXPECT_GT(residual(shifted, *a).peak_dbfs, -20.0);
    // Renders of different lengths never pass (the measure used to read past
    // the shorter buffer: +445 dBFS of garbage).
    AudioBuffer longer(2, a->frames() + 333);
    EXPECT_GT(residual(longer, *a).peak_dbfs, 0.0);
}


// Width and the automation of pan and width: seven stems (mono and stereo),
// static widths 0..4, pan and width lanes with ramps, held ends, steps (one
// at a lane's first time, one on an exact frame), a lane on a muted stem,
// clip gain automation beside them; three stems behind linear-phase EQs, whose
// latency differs between the backends (CPU: centre delay + FFT hop; GPU:
// centre delay only), so the lanes must follow each signal's timeline frame.
Fixture make_automation_fixture(uint64_t seed) {
    Fixture f;
    Random rng(seed);
    f.session.sample_rate = 48000;
    f.plan.sample_rate = 48000;
    auto lane = [&](double lo, double hi, int points, double span_s) {
        AutomationLane l;
        double t = 0.02 * rng.uniform();
        for (int j = 0; j < points; ++j) {
            l.push_back({t, lo + (hi - lo) * rng.uniform()});
            if (rng.uniform() < 0.3) l.push_back({t, lo + (hi - lo) * rng.uniform()});  // a step
            t += span_s / points * (0.2 + rng.uniform());
        }
        return l;
    };
    for (int k = 0; k < 7; ++k) {
        StemSpec s;
        s.name = "stem" + std::to_string(k);
        s.gain_db = -9.0 + 6.0 * rng.uniform();
        s.pan = rng.bipolar();
        const int channels = fixture_channels(k);
        if (channels == 2) s.width = 4.0 * rng.uniform();
        if (k != 3) s.automation.pan = lane(-1.0, 1.0, 3 + k % 3, 0.3);
        if (channels == 2 && k != 1) s.automation.width = lane(0.0, 4.0, 4, 0.3);
        if (k == 0) s.automation.pan = {{0.1, -1.0}, {0.1, 1.0}, {0.2, 0.0}};           // a step at the first time (frame 4800)
        if (k == 2) s.automation.pan.push_back({s.automation.pan.back().time_s, -0.25});  // a step at the end
        if (k == 4) s.mute = true;
        if (k == 6) s.automation.gain_db = {{0.05, 0.0}, {0.15, -18.0}};
        if (k == 1 || k == 2 || k == 5) {
            EqSpec eq;
            eq.mode = EqMode::Linear;
            eq.bands = {band(EqBandType::Bell, 1500.0 + 3000.0 * k, -4.0 + 8.0 * rng.uniform(), 1.2)};
            s.eq = eq;
        }
        add_stem(f, s, k, noise(channels, 9001 + 1531 * k, seed * 100 + static_cast<uint64_t>(k), 0.9));
    }
    f.plan.total_frames = f.plan.content_frames + 333;
    return f;
}

TEST_F(GainParity, WidthAndPanWidthAutomationMatchCpu) {
    const Fixture f = make_automation_fixture(0xA770);
    CpuMixer cpu;
    RenderPlan cpu_plan = f.plan;
    cpu_plan.block_frames = 4096;
    ASSERT_TRUE(cpu.prepare(f.session, cpu_plan).has_value());
    auto reference = run_backend(cpu, f.session, f.plan, f.sources, 4096);
    ASSERT_TRUE(reference) << reference.error().message;
    ASSERT_GT(peak_dbfs(reference->channel(0), reference->frames()), -20.0);
    struct Run {
        int64_t block, max_chunk;
    };
    for (const Run run : {Run{reference->frames() + cpu_plan.latency_frames, 0}, Run{4099, 0}, Run{777, 0}, Run{10007, 1000}}) {
        gpu::GpuMixer gpu(ctx_);
        gpu.set_max_chunk_frames(run.max_chunk);
        auto got = run_backend(gpu, f.session, f.plan, f.sources, run.block);
        ASSERT_TRUE(got) << got.error().message;
        const Residual r = residual(*got, *reference);
        std::printf("width/pan automation parity block %lld chunk<=%lld: residual peak %.1f dBFS, rms %.1f dBFS\n",
                    static_cast<long long>(run.block), static_cast<long long>(run.max_chunk), r.peak_dbfs, r.rms_dbfs);
        EXPECT_LE(r.peak_dbfs, kLinearStageBoundDbfs) << "block " << run.block;
        if (run.max_chunk > 0) {
            EXPECT_GT(gpu.stats().submissions, static_cast<uint64_t>(reference->frames() / run.block)) << "chunks were not split";
        }
    }
}

TEST_F(GainParity, ResidualDetectsPanAndWidthMistakes) {
    // Each change is made on the GPU side only and must be far above the bound.
    const Fixture f = make_automation_fixture(0xA771);
    CpuMixer cpu;
    auto reference = run_backend(cpu, f.session, f.plan, f.sources, 8192);
    ASSERT_TRUE(reference);
    auto changed_residual = [&](auto change) {
        Session s = f.session;
        change(s);
        gpu::GpuMixer gpu(ctx_);
        auto got = run_backend(gpu, s, f.plan, f.sources, 8192);
        EXPECT_TRUE(got) << got.error().message;
        return got ? residual(*got, *reference).peak_dbfs : 0.0;
    };
    // The step at 0.1 s one frame late; a width breakpoint (inside the stem) 0.1 lower; a static width dropped.
    EXPECT_GT(changed_residual([](Session& s) { s.stems[0].automation.pan = {{0.1, -1.0}, {0.1 + 1.0 / 48000, 1.0}, {0.2, 0.0}}; }), -60.0);
    EXPECT_GT(changed_residual([](Session& s) { s.stems[3].automation.width[3].value -= 0.1; }), -60.0);
    EXPECT_GT(changed_residual([](Session& s) { s.stems[1].width.reset(); }), -60.0);
    // A lane 2048 frames early (as if evaluated at the block frame behind a 4096-tap linear-phase EQ).
    EXPECT_GT(changed_residual([](Session& s) {
                  for (AutomationPoint& p : s.stems[2].automation.pan) p.time_s -= 2048.0 / 48000;
              }),
              -60.0);
}

}  // namespace
}  // namespace sf::test
