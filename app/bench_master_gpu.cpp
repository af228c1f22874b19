// `stemforge bench master --backend gpu` — see app/bench_master.h.
//
// N synthetic programmes (engine/synth/programme.h, seeds 2026 + p), each
// mastered to the target under the ceiling through the same chain (EQ,
// three-band multiband compressor, width, true-peak limiter, loudness loop):
//   cpu: the CPU master step (render_master: pre-chain, secant loudness
//        loop, delivering pass through the ceiling guard; no files), every
//        programme at once on every core;
//   gpu: one batch through gpu::master_batch (gpu/master/master_batch.h):
//        pre-chain, the batched loudness loop, the delivering pass into host
//        memory, and the ceiling guard on the host wherever a true-peak
//        position is over (else the guard is the identity, exactly, and is
//        skipped).
// Both are timed from the programmes in memory to the masters in memory.
// The floor is counted, not measured (GpuMaster::work): the device-memory
// traffic every kernel must make, the FFT work, the PCIe transfers, at the
// assumed rates of an H200 stated in the report.
#include <algorithm>
#include <atomic>
#include <cmath>
#include <cstdio>
#include <filesystem>
#include <thread>
#include <vector>

#include <nlohmann/json.hpp>
#include <tbb/parallel_for.h>

#include "analysis/loudness_probe.h"
#include "app/bench_master.h"
#include "app/cli.h"
#include "engine/core/clock.h"
#include "engine/export/transaction.h"
#include "engine/master/master_chain.h"
#include "engine/master/true_peak_limiter.h"
#include "engine/synth/programme.h"

#ifdef STEMFORGE_HAS_GPU
#include "gpu/master/master_batch.h"
#endif

namespace sf::cli {

namespace {

// Assumed rates for the floor (stated in the report, not measured): an H200
// reads ~4.8 TB/s of HBM3e; a well-tuned FFT reaches about 15 TFLOP/s of FFT
// work there (memory bound); PCIe 5.0 x16 sustains about 50 GB/s.
constexpr double kAssumedDeviceBytesPerS = 4.8e12;
constexpr double kAssumedFftFlopsPerS = 15e12;
constexpr double kAssumedPcieBytesPerS = 50e9;

// The benchmark's chain, as a mastering engineer might set it: a rumble
// filter and air, three bands, a little width, the limiter, the target.
MasterSpec bench_chain(double target_lufs, double ceiling_dbtp) {
    MasterSpec m;
    EqSpec eq;
    eq.mode = EqMode::Linear;
    EqBand hp;
    hp.type = EqBandType::Highpass;
    hp.freq_hz = 25.0;
    hp.slope_db_oct = 12;
    EqBand air;
    air.type = EqBandType::HighShelf;
    air.freq_hz = 9000.0;
    air.gain_db = 1.5;
    air.q = 0.7;
    eq.bands = {hp, air};
    m.eq = eq;
    MultibandSpec mb;
    mb.crossovers_hz = {150.0, 3500.0};
    MultibandBand low, mid, high;
    low.threshold_db = -24.0;
    low.attack_ms = 30.0;
    low.release_ms = 250.0;
    mid.threshold_db = -22.0;
    mid.ratio = 1.6;
    mid.attack_ms = 15.0;
    mid.release_ms = 180.0;
    high.threshold_db = -26.0;
    high.attack_ms = 5.0;
    high.release_ms = 120.0;
    high.width = 1.1;
    mb.bands = {low, mid, high};
    m.multiband = mb;
    m.width = 1.05;
    LimiterSpec l;
    l.ceiling_dbtp = ceiling_dbtp;
    m.limiter = l;
    m.loudness_target_lufs = target_lufs;
    return m;
}

struct Side {
    double seconds = 0.0;
    double worst_error_lu = 0.0;
    int loop_passes = 0;
};

}  // namespace

int run_bench_master_gpu(const BenchMasterArgs& args) {
    const int rate = 48000;
    const int n = args.programmes;
    const MasterSpec chain = bench_chain(args.target_lufs, args.ceiling_dbtp);
    std::vector<AudioBuffer> programmes(static_cast<size_t>(n));
    tbb::parallel_for(0, n, [&](int p) { programmes[static_cast<size_t>(p)] = synth::synth_programme(rate, args.duration_s, 2026 + static_cast<uint64_t>(p)); });
    const double audio_s = args.duration_s * n;

    // ---- CPU: the master step, every programme at once on every core ----
    Side cpu;
    {
        Session session;
        session.sample_rate = rate;
        session.master = chain;
        std::vector<master::Spool> spools;
        for (const AudioBuffer& p : programmes) {
            auto s = master::Spool::create(std::filesystem::temp_directory_path(), 2);
            if (!s) return report(s.error());
            if (auto ok = s->write(p, p.frames()); !ok) return report(ok.error());
            spools.push_back(std::move(*s));
        }
        std::vector<Result<master::MasterOutput>> out(static_cast<size_t>(n), fail(ErrorCode::Internal, "not run"));
        const auto t0 = Clock::now();
        tbb::parallel_for(0, n, [&](int p) {
            DeliveryTransaction tx;
            master::MasterJob job;
            job.session = &session;
            job.probe = [] { return analysis::make_loudness_probe(); };
            job.transaction = &tx;
            out[static_cast<size_t>(p)] = master::render_master(job, spools[static_cast<size_t>(p)]);
        });
        cpu.seconds = seconds_since(t0);
        for (auto& o : out) {
            if (!o) return report(o.error());
            cpu.loop_passes = std::max(cpu.loop_passes, static_cast<int>(o->report.loop.size()));
            cpu.worst_error_lu = std::max(cpu.worst_error_lu, std::abs(o->report.master.integrated_lufs - args.target_lufs));
        }
    }

    nlohmann::json out;
    out["programmes"] = n;
    out["duration_s"] = args.duration_s;
    out["sample_rate"] = rate;
    out["target_lufs"] = args.target_lufs;
    out["ceiling_dbtp"] = args.ceiling_dbtp;
    out["cpu"] = {{"seconds", cpu.seconds},
                  {"threads", std::thread::hardware_concurrency()},
                  {"x_realtime", audio_s / std::max(1e-9, cpu.seconds)},
                  {"loop_passes_max", cpu.loop_passes},
                  {"worst_target_error_lu", cpu.worst_error_lu}};

#ifdef STEMFORGE_HAS_GPU
    // ---- GPU: one batch ----
    gpu::ContextOptions options;
    options.allow_software = true;   // asked for by --backend gpu (lavapipe included)
    auto ctx = gpu::Context::create(options.with_environment());
    if (!ctx) return report(ctx.error());
    Side g;
    gpu::GpuMasterSpec spec;
    spec.master = chain;
    spec.sample_rate = rate;
    for (const AudioBuffer& b : programmes) spec.lengths_frames.push_back(b.frames());
    const auto t0 = Clock::now();
    auto batch = gpu::master_batch(**ctx, spec, [&](int64_t first, int64_t frames, std::span<float* const> rows) -> Result<void> {
        for (int p = 0; p < n; ++p)
            for (int c = 0; c < 2; ++c) {
                const AudioBuffer& b = programmes[static_cast<size_t>(p)];
                const int64_t have = std::clamp<int64_t>(b.frames() - first, 0, frames);
                float* dst = rows[static_cast<size_t>(2 * p + c)];
                if (have > 0) std::copy_n(b.channel(c) + first, have, dst);
                std::fill(dst + have, dst + frames, 0.0f);
            }
        return {};
    });
    g.seconds = seconds_since(t0);
    if (!batch) return report(batch.error());
    g.loop_passes = batch->loop_passes;
    int guard_runs = 0;
    for (const gpu::BatchMaster& b : batch->programmes) {
        g.worst_error_lu = std::max(g.worst_error_lu, std::abs(b.meter.loudness.integrated_lufs - args.target_lufs));
        guard_runs += b.guarded ? 1 : 0;
    }
    const gpu::GpuMasterWork& w = batch->work;
    nlohmann::json phases = nlohmann::json::object();
    for (const auto& [phase, t] : batch->gpu_time_s) phases[phase] = t;
    out["gpu"] = {{"seconds", g.seconds},
                  {"device", (*ctx)->description()},
                  {"x_realtime", audio_s / std::max(1e-9, g.seconds)},
                  {"loop_passes", g.loop_passes},
                  {"loop_candidates", gpu::kBatchCandidates},
                  {"worst_target_error_lu", g.worst_error_lu},
                  {"guard_corrected", guard_runs},
                  {"gpu_time_s", phases},
                  {"device_bytes", batch->device_bytes},
                  {"page_frames", batch->page_frames}};
    const double traffic_s = static_cast<double>(w.traffic_bytes) / kAssumedDeviceBytesPerS;
    const double fft_s = w.fft_flops / kAssumedFftFlopsPerS;
    const double pcie_s = static_cast<double>(w.bytes_uploaded + w.bytes_downloaded) / kAssumedPcieBytesPerS;
    const double floor_s = std::max({traffic_s, fft_s, pcie_s});
    out["floor"] = {{"device_traffic_bytes", w.traffic_bytes},
                    {"assumed_device_bytes_per_s", kAssumedDeviceBytesPerS},
                    {"device_memory_floor_s", traffic_s},
                    {"fft_points", w.fft_points},
                    {"fft_flops", w.fft_flops},
                    {"assumed_fft_flops_per_s", kAssumedFftFlopsPerS},
                    {"fft_floor_s", fft_s},
                    {"bytes_uploaded", w.bytes_uploaded},
                    {"bytes_downloaded", w.bytes_downloaded},
                    {"assumed_pcie_bytes_per_s", kAssumedPcieBytesPerS},
                    {"pcie_floor_s", pcie_s},
                    {"floor_s", floor_s}};
    out["speedup"] = cpu.seconds / std::max(1e-9, g.seconds);
    out["gpu_vs_floor"] = g.seconds / std::max(1e-12, floor_s);
#else
    out["gpu"] = nullptr;
    out["note"] = "this binary was built without the Vulkan backend: the CPU half only";
#endif

    if (args.json) {
        print_json(out);
        return kOk;
    }
    std::printf("mastering %d programmes x %.0f s (48 kHz stereo) to %.1f LUFS, ceiling %.1f dBTP\n", n, args.duration_s, args.target_lufs,
                args.ceiling_dbtp);
    std::printf("cpu  %8.2f s  %7.1fx realtime on %u threads  (loop up to %d passes, worst %.3f LU off)\n", cpu.seconds,
                out["cpu"]["x_realtime"].get<double>(), std::thread::hardware_concurrency(), cpu.loop_passes, cpu.worst_error_lu);
    if (out["gpu"].is_object()) {
        const auto& gj = out["gpu"];
        std::printf("gpu  %8.2f s  %7.1fx realtime on %s  (loop %d passes of 4, worst %.3f LU off, ceiling guard corrected %d)\n",
                    gj["seconds"].get<double>(), gj["x_realtime"].get<double>(), gj["device"].get<std::string>().c_str(),
                    gj["loop_passes"].get<int>(), gj["worst_target_error_lu"].get<double>(), gj["guard_corrected"].get<int>());
        const auto& f = out["floor"];
        std::printf("floor %.4f s (device memory %.1f GB: %.4f s; FFT %.3g flops: %.4f s; PCIe %.1f GB: %.4f s, at assumed H200 rates)\n",
                    f["floor_s"].get<double>(), f["device_traffic_bytes"].get<double>() / 1e9, f["device_memory_floor_s"].get<double>(),
                    f["fft_flops"].get<double>(), f["fft_floor_s"].get<double>(),
                    (f["bytes_uploaded"].get<double>() + f["bytes_downloaded"].get<double>()) / 1e9, f["pcie_floor_s"].get<double>());
        std::printf("speedup %.1fx over the CPU path; GPU at %.1fx its floor\n", out["speedup"].get<double>(), out["gpu_vs_floor"].get<double>());
    }
    return kOk;
}

}  // namespace sf::cli
