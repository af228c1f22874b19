// Parity of the bus delay stage (engine/dsp/delay.* <-> gpu/stages/delay.*,
// shaders/delay_feedback.comp): sf::gpu::GpuMixer vs the CPU reference
// sf::CpuMixer, end to end through run_backend, on random stems sent to
// delay buses: a delay of 1 frame (tiles of one frame) with a reverb after
// it on the same bus, D shorter than every chunk, D longer than the split
// runs' chunks and blocks, pingpong with a note time at a tempo feeding a
// reverb bus, a delay bus feeding another delay bus (a second level), high-
// and low-cut filters and none. Whole buffer (chunks of many dispatches),
// odd blocks, and small split chunks (state carried across the two slots).
// A linear stage: residual peak <= -100 dBFS. A delay one frame longer or a
// feedback 5 % higher on the GPU side must fail that bound (the measure can fail).
#include <gtest/gtest.h>

#include <cmath>
#include <cstdio>

#include "engine/core/random.h"
#include "engine/dsp/delay.h"
#include "engine/render/cpu_mixer.h"
#include "engine/render/render_plan.h"
#include "gpu/gpu_mixer.h"
#include "tests/gpu/gpu_fixture.h"
#include "tests/parity/parity_support.h"
#include "tests/support/test_support.h"

namespace sf::test {
namespace {

constexpr double kLinearBoundDbfs = -100.0;

// Exponentially decaying noise with unit L1 norm: a short reverb no louder than its input.
AudioBuffer decaying_ir(int channels, int64_t frames, uint64_t seed) {
    AudioBuffer ir = noise(channels, frames, seed, 0.5);
    for (int c = 0; c < channels; ++c) {
        double l1 = 0;
        for (int64_t i = 0; i < frames; ++i) {
            ir.channel(c)[i] *= static_cast<float>(std::exp(-6.0 * static_cast<double>(i) / static_cast<double>(frames)));
            l1 += std::abs(ir.channel(c)[i]);
        }
        for (int64_t i = 0; i < frames; ++i) ir.channel(c)[i] = static_cast<float>(ir.channel(c)[i] / l1);
    }
    return ir;
}

DelaySpec delay_ms(double time_ms, double feedback, double lowcut_hz, double highcut_hz, double wet_db) {
    DelaySpec d;
    d.time_ms = time_ms;
    d.feedback = feedback;
    d.lowcut_hz = lowcut_hz;
    d.highcut_hz = highcut_hz;
    d.wet_db = wet_db;
    return d;
}

// Buses (48 kHz; chunk sizes of the runs: whole, 4099-frame blocks, 1000-frame chunks):
//   slap  D = 300 (< every chunk), fb 0.6, lowcut 200 Hz + highcut 5 kHz  → echo
//   echo  D = 700, fb 0.4, lowcut 500 Hz: a delay fed by a delay (level 2)
//   long  D = 6000 (> the split chunks and blocks), fb 0.3, no filters
//   pp    pingpong, note 1/32 at 150 BPM (D = 2400), fb 0.5, highcut 3 kHz → verb
//   comb  D = 1, fb 0.9, highcut 8 kHz, then a reverb on the same bus
//   verb  a reverb fed by pp
MixFixture delay_fixture(const TempDir& dir, uint64_t seed) {
    write_wav(dir / "ir.wav", decaying_ir(2, 3000, seed + 1), 48000);
    write_wav(dir / "short.wav", decaying_ir(1, 700, seed + 2), 48000);
    MixFixture f;
    f.session.sample_rate = 48000;
    f.session.tempo_bpm = 150.0;
    f.plan.sample_rate = 48000;
    auto bus = [](const std::string& name, const std::string& output) {
        BusSpec b;
        b.name = name;
        b.output = output;
        return b;
    };
    auto reverb = [&](const std::string& file, double wet_db) {
        ReverbSpec r;
        r.ir = dir / file;
        r.ir_as_written = file;
        r.wet_db = wet_db;
        return r;
    };
    BusSpec slap = bus("slap", "echo"), echo = bus("echo", kMasterBusName), lng = bus("long", kMasterBusName);
    BusSpec pp = bus("pp", "verb"), comb = bus("comb", kMasterBusName), verb = bus("verb", kMasterBusName);
    slap.delay = delay_ms(300.0 / 48.0, 0.6, 200, 5000, -2.0);
    echo.delay = delay_ms(700.0 / 48.0, 0.4, 500, 0, 0.0);
    lng.delay = delay_ms(125.0, 0.3, 0, 0, -1.0);
    DelaySpec ping;
    ping.note = "1/32";
    ping.feedback = 0.5;
    ping.pingpong = true;
    ping.highcut_hz = 3000;
    pp.delay = ping;
    comb.delay = delay_ms(1.0 / 48.0, 0.9, 0, 8000, -12.0);
    comb.reverb = reverb("short.wav", 0.0);
    verb.reverb = reverb("ir.wav", -3.0);
    f.session.buses = {slap, echo, lng, pp, comb, verb};
    auto send = [](const std::string& to, double level_db, bool pre) {
        SendSpec s;
        s.bus = to;
        s.level_db = level_db;
        s.pre_fader = pre;
        return s;
    };
    Random rng(seed);
    for (int k = 0; k < 4; ++k) {
        StemSpec s;
        s.name = "stem" + std::to_string(k);
        s.gain_db = -6.0 + 3.0 * rng.uniform();
        s.pan = rng.bipolar();
        if (k == 0) s.sends = {send("slap", -3.0, false), send("long", -6.0, true)};
        if (k == 1) s.sends = {send("pp", -2.0, false), send("comb", -4.0, false)};
        if (k == 2) s.output = "pp";
        if (k == 3) s.sends = {send("slap", -8.0, true), send("long", -2.0, false), send("comb", -5.0, false)};
        add_stem(f, s, k, noise(fixture_channels(k), 9001 + 811 * k, seed * 31 + static_cast<uint64_t>(k), 0.6));
    }
    f.plan.bus_order = bus_processing_order(f.session);
    f.plan.total_frames = f.plan.content_frames;
    return f;
}

class DelayParity : public GpuTest {};

TEST_F(DelayParity, BusDelaysMatchCpu) {
    if (!ctx_->float64()) GTEST_FAIL() << "the test device has no shaderFloat64";
    TempDir dir;
    const MixFixture f = delay_fixture(dir, 0xDE1A);
    CpuMixer cpu;
    auto reference = run_backend(cpu, f.session, f.plan, f.sources, 4096);
    ASSERT_TRUE(reference) << reference.error().message;
    ASSERT_GT(peak_dbfs(reference->channel(0), reference->frames()), -30.0);
    ASSERT_GT(peak_dbfs(reference->channel(1), reference->frames()), -30.0);
    // The longest tail (bus `long`: 12 repeats of 6000 frames, 0.3^12 <= 1e-6) is rendered.
    auto long_design = design_delay(*f.session.buses[2].delay, f.session.tempo_bpm, 48000, "long");
    ASSERT_TRUE(long_design);
    ASSERT_EQ(long_design->tail_frames, 12 * 6000);
    ASSERT_GE(reference->frames(), f.plan.content_frames + 12 * 6000);
    struct Run {
        int64_t block, max_chunk;
    };
    for (const Run run : {Run{reference->frames() + 65536, 0}, Run{4099, 0}, Run{10007, 1000}}) {
        gpu::GpuMixer gpu(ctx_);
        gpu.set_max_chunk_frames(run.max_chunk);
        auto got = run_backend(gpu, f.session, f.plan, f.sources, run.block);
        ASSERT_TRUE(got) << got.error().message;
        const Residual r = residual(*got, *reference);
        std::printf("delay parity block %lld chunk<=%lld: residual peak %.1f dBFS, rms %.1f dBFS\n", static_cast<long long>(run.block),
                    static_cast<long long>(run.max_chunk), r.peak_dbfs, r.rms_dbfs);
        EXPECT_LE(r.peak_dbfs, kLinearBoundDbfs) << "block " << run.block << " chunk " << run.max_chunk;
    }
}

TEST_F(DelayParity, ResidualDetectsAWrongDelayOrFeedback) {
    if (!ctx_->float64()) GTEST_FAIL() << "the test device has no shaderFloat64";
    TempDir dir;
    const MixFixture f = delay_fixture(dir, 5);
    CpuMixer cpu;
    auto reference = run_backend(cpu, f.session, f.plan, f.sources, 8192);
    ASSERT_TRUE(reference) << reference.error().message;
    // On the GPU side only: slap one frame longer (D = 301), or pp's feedback 5 % higher.
    Session one_frame = f.session, more_feedback = f.session;
    one_frame.buses[0].delay->time_ms = 301.0 / 48.0;
    more_feedback.buses[3].delay->feedback *= 1.05;
    for (const Session* changed : {&one_frame, &more_feedback}) {
        gpu::GpuMixer gpu(ctx_);
        auto got = run_backend(gpu, *changed, f.plan, f.sources, 8192);
        ASSERT_TRUE(got) << got.error().message;
        ASSERT_EQ(got->frames(), reference->frames()) << "same length (bus `long` sets it), so the residual is a measured one";
        const double peak = residual(*got, *reference).peak_dbfs;
        std::printf("delay parity, %s on the GPU only: residual peak %.1f dBFS\n", changed == &one_frame ? "D + 1" : "feedback x 1.05", peak);
        EXPECT_GT(peak, kLinearBoundDbfs + 20.0);
    }
}

}  // namespace
}  // namespace sf::test
