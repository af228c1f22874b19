// Parity of the bus reverb stage (engine/dsp/reverb.* <-> gpu/stages/reverb.*):
//  1. the GPU stage against the reverb's definition evaluated directly in
//     double from the raw IR (an independent oracle: no FFT, no kernel
//     folding): y_o[n] = g · Σ_i Σ_k ir_{i→o}[k] · x_i[n − k − P], for a mono
//     IR with predelay, a stereo IR and a true-stereo IR, in odd-sized blocks;
//  2. sf::gpu::GpuMixer vs the CPU reference sf::CpuMixer on a session whose
//     buses are reverbs only (the three IR layouts, one recorded at 44.1 kHz),
//     whole-buffer, in odd-sized blocks and in small split chunks.
// A linear stage: residual peak <= -100 dBFS. A swapped true-stereo path
// must fail that bound (the measure can fail).
#include <gtest/gtest.h>

#include <cmath>
#include <cstdio>
#include <cstring>

#include "engine/core/random.h"
#include "engine/dsp/reverb.h"
#include "engine/render/cpu_mixer.h"
#include "engine/render/render_plan.h"
#include "gpu/gpu_mixer.h"
#include "gpu/stages/reverb.h"
#include "tests/gpu/gpu_fixture.h"
#include "tests/parity/parity_support.h"
#include "tests/support/test_support.h"

namespace sf::test {
namespace {

constexpr double kLinearBoundDbfs = -100.0;

// Exponentially decaying noise normalised so each channel has unit L1 norm:
// a tail, and an output no louder than its input.
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

// DESIGN.md's channel mapping: the IR channel carrying input i to output o, or -1.
int ir_channel(int ir_channels, int in, int out) {
    switch (ir_channels) {
        case 1: return in == out ? 0 : -1;
        case 2: return in == out ? in : -1;
        default: return 2 * in + out;  // LL, LR, RL, RR
    }
}

struct Bus {
    AudioBuffer ir;
    double wet_db;
    int64_t predelay_frames;
};

// y_o[n] of one bus by the definition, in double.
double direct(const Bus& bus, const std::vector<std::vector<float>>& x, int out, int64_t n, bool swap_cross) {
    const double g = std::pow(10.0, bus.wet_db / 20.0);
    double acc = 0;
    for (int in = 0; in < 2; ++in) {
        int ch = ir_channel(bus.ir.channels(), in, out);
        if (swap_cross && bus.ir.channels() == 4 && in != out) ch = ir_channel(4, out, in);
        if (ch < 0) continue;
        const float* h = bus.ir.channel(ch);
        for (int64_t k = 0; k < bus.ir.frames(); ++k) {
            const int64_t at = n - k - bus.predelay_frames;
            if (at < 0) break;
            acc += static_cast<double>(h[k]) * x[static_cast<size_t>(in)][static_cast<size_t>(at)];
        }
    }
    return g * acc;
}

class ReverbParity : public GpuTest {
protected:
    // The GPU stage over three buses in odd blocks; returns the residual peak
    // (dBFS) against the direct definition (with the true-stereo bus's cross
    // paths swapped in the oracle when `swap_cross`).
    double stage_residual_dbfs(bool swap_cross) {
        const std::vector<Bus> buses = {{decaying_ir(1, 900, 1), -3.0, 37}, {decaying_ir(2, 1500, 2), 0.0, 0}, {decaying_ir(4, 1200, 3), -6.0, 11}};
        const int64_t frames = 7001, max_block = 1024;
        const std::vector<int64_t> blocks = {1000, 17, 1024, 333, 1};
        std::vector<gpu::ReverbBinding> bindings;
        for (size_t b = 0; b < buses.size(); ++b) {
            auto k = reverb_kernels(buses[b].ir, buses[b].wet_db, buses[b].predelay_frames, "buses[" + std::to_string(b) + "].reverb");
            EXPECT_TRUE(k) << k.error().message;
            if (!k) return 0.0;
            const uint32_t left = static_cast<uint32_t>(2 * b * max_block);
            bindings.push_back({std::move(*k), left, left + static_cast<uint32_t>(max_block)});
        }
        gpu::FftPlans plans(*ctx_);
        auto stage = gpu::ReverbStage::create(*ctx_, plans, std::move(bindings), max_block, 1);
        EXPECT_TRUE(stage) << stage.error().message;
        if (!stage) return 0.0;
        const size_t rows = 2 * buses.size();
        auto io = ctx_->create_buffer(sizeof(float) * rows * max_block, VK_BUFFER_USAGE_STORAGE_BUFFER_BIT, gpu::MemoryUse::Readback, "test io");
        EXPECT_TRUE(io);
        stage->bind_io(io->get(), 0);
        auto slot = ctx_->create_command_slot();
        EXPECT_TRUE(slot);

        std::vector<std::vector<float>> x(rows, std::vector<float>(frames)), y(rows, std::vector<float>(frames));
        for (size_t r = 0; r < rows; ++r) {
            Random rng(0x5EED + r);
            for (float& v : x[r]) v = static_cast<float>(0.9 * rng.bipolar());
        }
        size_t bi = 0;
        for (int64_t at = 0; at < frames;) {
            const int64_t n = std::min(blocks[bi++ % blocks.size()], frames - at);
            for (size_t r = 0; r < rows; ++r) std::memcpy(io->floats() + r * max_block, x[r].data() + at, sizeof(float) * static_cast<size_t>(n));
            auto begin = gpu::vk_struct<VkCommandBufferBeginInfo>(VK_STRUCTURE_TYPE_COMMAND_BUFFER_BEGIN_INFO);
            vkResetCommandBuffer(slot->cmd, 0);
            vkBeginCommandBuffer(slot->cmd, &begin);
            EXPECT_TRUE(stage->record(slot->cmd, static_cast<uint32_t>(n), 0));
            gpu::host_read_barrier(slot->cmd);
            vkEndCommandBuffer(slot->cmd);
            auto ok = ctx_->run(*slot);
            EXPECT_TRUE(ok) << (ok ? "" : ok.error().message);
            for (size_t r = 0; r < rows; ++r) std::memcpy(y[r].data() + at, io->floats() + r * max_block, sizeof(float) * static_cast<size_t>(n));
            at += n;
        }
        double peak = 0, ref_peak = 0;
        for (size_t b = 0; b < buses.size(); ++b) {
            const std::vector<std::vector<float>> in = {x[2 * b], x[2 * b + 1]};
            for (int out = 0; out < 2; ++out)
                for (int64_t n = 0; n < frames; ++n) {
                    const double want = direct(buses[b], in, out, n, swap_cross);
                    peak = std::max(peak, std::abs(want - y[2 * b + static_cast<size_t>(out)][static_cast<size_t>(n)]));
                    ref_peak = std::max(ref_peak, std::abs(want));
                }
        }
        EXPECT_GT(ref_peak, 0.01) << "the oracle output must not be silent";
        return 20 * std::log10(std::max(peak, 1e-20));
    }
};

TEST_F(ReverbParity, StageMatchesTheDefinitionForEveryIrLayout) {
    const double r = stage_residual_dbfs(false);
    std::printf("reverb stage vs direct definition: residual peak %.1f dBFS\n", r);
    EXPECT_LE(r, kLinearBoundDbfs);
}

TEST_F(ReverbParity, ResidualDetectsSwappedTrueStereoPaths) {
    EXPECT_GT(stage_residual_dbfs(true), -40.0) << "LR and RL swapped must show";
}

// Four stems into three reverb buses (sends pre and post fader, a stem
// routed straight into a bus), no other stage on the buses.
MixFixture reverb_fixture(const TempDir& dir, uint64_t seed) {
    write_wav(dir / "mono.wav", decaying_ir(1, 6000, seed + 1), 48000);
    write_wav(dir / "stereo44.wav", decaying_ir(2, 7000, seed + 2), 44100);  // resampled on load
    write_wav(dir / "true_stereo.wav", decaying_ir(4, 9000, seed + 3), 48000);
    MixFixture f;
    f.session.sample_rate = 48000;
    f.plan.sample_rate = 48000;
    auto bus = [&](const std::string& name, const std::string& file, double predelay_ms, double wet_db) {
        BusSpec b;
        b.name = name;
        b.output = kMasterBusName;
        ReverbSpec r;
        r.ir = dir / file;
        r.ir_as_written = file;
        r.predelay_ms = predelay_ms;
        r.wet_db = wet_db;
        b.reverb = r;
        return b;
    };
    f.session.buses = {bus("room", "mono.wav", 9.0, -2.0), bus("plate", "stereo44.wav", 0.0, 0.0), bus("hall", "true_stereo.wav", 3.0, -4.0)};
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
        if (k == 0) s.sends = {send("room", -3.0, false), send("hall", -6.0, true)};
        if (k == 1) s.sends = {send("plate", -4.0, false)};
        if (k == 2) s.output = "hall";
        if (k == 3) s.sends = {send("room", -8.0, true), send("plate", -2.0, false), send("hall", -5.0, false)};
        add_stem(f, s, k, noise(fixture_channels(k), 12007 + 911 * k, seed * 17 + static_cast<uint64_t>(k), 0.7));
    }
    f.plan.bus_order = bus_processing_order(f.session);
    f.plan.total_frames = f.plan.content_frames;
    return f;
}

TEST_F(ReverbParity, BusReverbsMatchCpu) {
    TempDir dir;
    const MixFixture f = reverb_fixture(dir, 0x4E7B);
    CpuMixer cpu;
    auto reference = run_backend(cpu, f.session, f.plan, f.sources, 4096);
    ASSERT_TRUE(reference) << reference.error().message;
    ASSERT_GT(peak_dbfs(reference->channel(0), reference->frames()), -40.0);
    ASSERT_GT(reference->frames(), f.plan.content_frames + 9000 - 1) << "the longest tail is rendered";
    struct Run {
        int64_t block, max_chunk;
    };
    for (const Run run : {Run{reference->frames() + 65536, 0}, Run{4099, 0}, Run{10007, 1000}}) {
        gpu::GpuMixer gpu(ctx_);
        gpu.set_max_chunk_frames(run.max_chunk);
        auto got = run_backend(gpu, f.session, f.plan, f.sources, run.block);
        ASSERT_TRUE(got) << got.error().message;
        const Residual r = residual(*got, *reference);
        std::printf("reverb parity block %lld chunk<=%lld: residual peak %.1f dBFS, rms %.1f dBFS\n", static_cast<long long>(run.block),
                    static_cast<long long>(run.max_chunk), r.peak_dbfs, r.rms_dbfs);
        EXPECT_LE(r.peak_dbfs, kLinearBoundDbfs) << "block " << run.block;
    }
}

}  // namespace
}  // namespace sf::test
