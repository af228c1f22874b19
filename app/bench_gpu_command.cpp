// `stemforge bench gpu [--stems N] [--duration S] [--no-cpu] [--dir DIR] [--json]`
//
// Generates a session of N stereo stems (seeded noise and tones, 24-bit WAV),
// renders it on the GPU and on the CPU path in the same run, and reports
// end-to-end and per-phase times (GPU phases from timestamp queries), bytes
// moved, and the transfer floor those bytes imply. No DSP here: the stems are
// written with the engine's writer, the renders are the engine's.
#include <chrono>
#include <cmath>
#include <cstdio>
#include <filesystem>
#include <unistd.h>

#include "app/cli.h"
#include "app/gpu_commands.h"
#include "engine/audio/audio_file.h"
#include "engine/core/random.h"
#include "engine/render/cpu_mixer.h"
#include "engine/render/renderer.h"

#ifdef STEMFORGE_HAS_GPU
#include "gpu/gpu_mixer.h"
#endif

namespace sf::cli {

namespace {

// Assumed link speeds for the floor (stated in the report, not measured):
// PCIe 5.0 x16 sustains about 50 GB/s host->device on an H100 SXM/PCIe host.
constexpr double kAssumedPcieBytesPerS = 50e9;

Result<Session> generate(const std::filesystem::path& dir, int stems, double duration_s) {
    std::error_code ec;
    std::filesystem::create_directories(dir / "stems", ec);
    if (ec) return fail(ErrorCode::FileWrite, "bench: cannot create " + (dir / "stems").string() + ": " + ec.message());
    Session s;
    s.base_dir = dir;
    s.sample_rate = 48000;
    const int64_t frames = static_cast<int64_t>(std::llround(duration_s * s.sample_rate));
    const int64_t chunk = 65536;
    AudioBuffer buf(2, chunk);
    for (int k = 0; k < stems; ++k) {
        StemSpec st;
        st.name = "stem" + std::to_string(k);
        st.file = dir / "stems" / (st.name + ".wav");
        st.file_as_written = "stems/" + st.name + ".wav";
        st.gain_db = -6.0 - 0.05 * k;
        st.pan = std::sin(0.7 * k);
        st.fade_in_s = 0.5;
        st.fade_out_s = 1.0;
        st.gain_automation = {{duration_s * 0.25, 0.0}, {duration_s * 0.5, -6.0}, {duration_s * 0.75, 0.0}};
        WriteSpec ws;
        ws.bit_depth = 24;
        ws.sample_rate = s.sample_rate;
        ws.dither_seed = 1 + static_cast<uint64_t>(k);
        auto w = AudioFileWriter::create(st.file, ws);
        if (!w) return std::unexpected(w.error());
        Random rng(0xBE7C4 + static_cast<uint64_t>(k));
        const double freq = 55.0 * std::pow(2.0, (k % 48) / 12.0);
        for (int64_t at = 0; at < frames; at += chunk) {
            const int64_t n = std::min(chunk, frames - at);
            for (int64_t i = 0; i < n; ++i) {
                const double tone = 0.3 * std::sin(2.0 * 3.141592653589793 * freq * static_cast<double>(at + i) / s.sample_rate);
                buf.channel(0)[i] = static_cast<float>(tone + 0.05 * rng.bipolar());
                buf.channel(1)[i] = static_cast<float>(tone + 0.05 * rng.bipolar());
            }
            if (auto ok = w->write(buf, n); !ok) return std::unexpected(ok.error());
        }
        if (auto ok = w->commit(); !ok) return std::unexpected(ok.error());
        s.stems.push_back(std::move(st));
    }
    ExportSpec e;
    e.file = dir / "out" / "master.wav";
    e.file_as_written = "out/master.wav";
    e.bit_depth = 32;
    e.dither = Dither::None;
    s.exports.push_back(e);
    return s;
}

nlohmann::json timing_json(const RenderResult& r) {
    nlohmann::json t;
    for (const auto& [phase, s] : r.timing_s) t[phase] = s;
    return t;
}

}  // namespace

int run_bench_gpu(const BenchGpuArgs& args) {
#ifndef STEMFORGE_HAS_GPU
    (void)args;
    return report(Error{ErrorCode::NotSupported, "not supported: this binary was built without the Vulkan backend", 0});
#else
    if (args.stems < 1 || args.duration_s <= 0) return report(Error{ErrorCode::InvalidArgument, "bench gpu: --stems >= 1 and --duration > 0", 0});
    const bool temporary = args.dir.empty();
    const std::filesystem::path dir =
        temporary ? std::filesystem::temp_directory_path() / ("stemforge-bench-gpu-" + std::to_string(::getpid())) : std::filesystem::path(args.dir);
    struct Cleanup {
        std::filesystem::path dir;
        ~Cleanup() {
            std::error_code ec;
            if (!dir.empty()) std::filesystem::remove_all(dir, ec);
        }
    } cleanup{temporary ? dir : std::filesystem::path()};

    const auto t0 = std::chrono::steady_clock::now();
    auto session = generate(dir, args.stems, args.duration_s);
    if (!session) return report(session.error());
    const double generate_s = std::chrono::duration<double>(std::chrono::steady_clock::now() - t0).count();

    gpu::ContextOptions options;
    options.allow_software = true;  // asked for explicitly; the report names the device
    auto mixer = gpu::GpuMixer::create(options.with_environment());
    if (!mixer) return report(mixer.error());
    RenderOptions ro;
    auto gpu_run = render_session(*session, **mixer, ro);
    if (!gpu_run) return report(gpu_run.error());
    const gpu::GpuMixerStats st = (*mixer)->stats();

    nlohmann::json out;
    const double audio_s = static_cast<double>(gpu_run->frames) / session->sample_rate;
    out["session"] = {{"stems", args.stems},
                      {"channels_per_stem", 2},
                      {"duration_s", args.duration_s},
                      {"stages", {"clip_gain", "fades", "automation", "pan", "fader", "sum"}},
                      {"not_included", "EQ, compressors and reverb buses: not rendered by either backend on this branch yet"}};
    out["generate_s"] = generate_s;
    nlohmann::json g;
    g["device"] = gpu_run->device;
    g["timing"] = timing_json(*gpu_run);
    nlohmann::json phases;
    double gpu_total = 0;
    for (const auto& [phase, s] : st.gpu_time_s) {
        phases[phase] = s;
        gpu_total += s;
    }
    g["gpu_time_s"] = phases;
    g["gpu_time_total_s"] = gpu_total;
    g["bytes_uploaded"] = st.bytes_uploaded;
    g["bytes_downloaded"] = st.bytes_downloaded;
    g["device_bytes"] = st.device_bytes;
    g["submissions"] = st.submissions;
    g["chunk_frames"] = st.chunk_frames;
    g["realtime_factor"] = audio_s / std::max(1e-9, gpu_run->timing_s.at("total"));
    // The floor: every stem sample crosses PCIe once (4 bytes as float) and the master comes back.
    const double transfer_bytes = static_cast<double>(st.bytes_uploaded + st.bytes_downloaded);
    g["floor"] = {{"pcie_bytes", transfer_bytes},
                  {"assumed_pcie_bytes_per_s", kAssumedPcieBytesPerS},
                  {"pcie_floor_s", transfer_bytes / kAssumedPcieBytesPerS},
                  {"decode_s", gpu_run->timing_s.at("decode")}};
    out["gpu"] = g;

    if (args.cpu) {
        CpuMixer cpu;
        auto cpu_run = render_session(*session, cpu, ro);
        if (!cpu_run) return report(cpu_run.error());
        out["cpu"] = {{"device", cpu_run->device}, {"timing", timing_json(*cpu_run)}};
        out["speedup_mix"] = cpu_run->timing_s.at("mix") / std::max(1e-9, gpu_run->timing_s.at("mix"));
        out["speedup_total"] = cpu_run->timing_s.at("total") / std::max(1e-9, gpu_run->timing_s.at("total"));
    }

    if (args.json) {
        print_json(out);
        return kOk;
    }
    std::printf("bench gpu: %d stereo stems x %.1f s on %s\n", args.stems, args.duration_s, gpu_run->device.c_str());
    std::printf("  gpu  total %.3f s (decode %.3f, mix %.3f, export %.3f), GPU time %.4f s, %.1fx realtime\n", gpu_run->timing_s.at("total"),
                gpu_run->timing_s.at("decode"), gpu_run->timing_s.at("mix"), gpu_run->timing_s.at("export"), gpu_total,
                g["realtime_factor"].get<double>());
    for (const auto& [phase, s] : st.gpu_time_s) std::printf("       %-10s %.4f s\n", phase.c_str(), s);
    std::printf("  moved %.1f MB up, %.1f MB down; PCIe floor %.4f s at an assumed %.0f GB/s\n", st.bytes_uploaded / 1e6, st.bytes_downloaded / 1e6,
                transfer_bytes / kAssumedPcieBytesPerS, kAssumedPcieBytesPerS / 1e9);
    if (out.contains("cpu"))
        std::printf("  cpu  total %.3f s (mix %.3f); GPU speed-up: mix %.2fx, end to end %.2fx\n", out["cpu"]["timing"]["total"].get<double>(),
                    out["cpu"]["timing"]["mix"].get<double>(), out["speedup_mix"].get<double>(), out["speedup_total"].get<double>());
    return kOk;
#endif
}

}  // namespace sf::cli
