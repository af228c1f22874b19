// `stemforge bench gpu [--stems N] [--duration S] [--buses B] [--no-cpu] [--dir DIR] [--json]`
//
// Issue 5's benchmark session (app/bench_session.h): N stereo stems
// (24-bit WAV) with EQ on every stem, a compressor on every other one, and a
// send from each to one of B reverb buses with 3-second IRs. Renders it on
// the GPU and on the CPU path in the same run and reports end-to-end and
// per-phase times (GPU phases from timestamp queries), bytes moved, GPU
// memory, and the floor: the time just to read and decode the stems
// (measured), the bytes that must cross PCIe, the FFT work and the
// device-memory traffic (counted, with the assumed link and device rates
// stated). No DSP here: the session is described in app/bench_session.*
// (signals from engine/synth), the renders are the engine's.
#include <cmath>
#include <cstdio>
#include <filesystem>
#include <fstream>
#include <unistd.h>

#include <tbb/parallel_for.h>

#include "app/bench_session.h"
#include "app/cli.h"
#include "app/gpu_commands.h"
#include "engine/audio/audio_file.h"
#include "engine/core/clock.h"
#include "engine/render/cpu_mixer.h"
#include "engine/render/renderer.h"

#ifdef STEMFORGE_HAS_GPU
#include "gpu/gpu_mixer.h"
#endif

namespace sf::cli {

namespace {

// Assumed rates for the floor (stated in the report, not measured): PCIe 5.0
// x16 sustains about 50 GB/s host->device; an H100 SXM reads ~3.3 TB/s of
// HBM3 and a well-tuned FFT reaches about a fifth of it (memory bound: each
// radix pass reads and writes the work buffer), so ~15 TFLOP/s of FFT work
// is generous.
constexpr double kAssumedPcieBytesPerS = 50e9;
constexpr double kAssumedFftFlopsPerS = 15e12;
constexpr double kAssumedDeviceBytesPerS = 3.35e12;  // H100 SXM HBM3

// The floor no render can beat: open every stem and read it to the end in
// renderer-sized blocks (stems in parallel, as the renderer decodes).
Result<double> read_and_decode_s(const Session& session) {
    const auto t0 = Clock::now();
    std::vector<std::optional<Error>> errors(session.stems.size());
    tbb::parallel_for(size_t{0}, session.stems.size(), [&](size_t k) {
        SourceOptions o;
        o.target_rate = session.sample_rate;
        o.label = "stem \"" + session.stems[k].name + "\"";
        auto src = AudioSource::open(session.stems[k].file, o);
        if (!src) {
            errors[k] = src.error();
            return;
        }
        AudioBuffer buf(src->channels(), 65536);
        for (;;) {
            auto got = src->read(buf, 65536);
            if (!got) {
                errors[k] = got.error();
                return;
            }
            if (*got == 0) return;
        }
    });
    for (auto& e : errors)
        if (e) return std::unexpected(*e);
    return seconds_since(t0);
}

// Peak resident memory of this process so far (Linux), in MiB; 0 if unknown.
double peak_rss_mib() {
    std::ifstream f("/proc/self/status");
    std::string line;
    while (std::getline(f, line))
        if (line.rfind("VmHWM:", 0) == 0) return std::strtod(line.c_str() + 6, nullptr) / 1024.0;
    return 0.0;
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

    const auto t0 = Clock::now();
    BenchSessionOptions bo;
    bo.stems = args.stems;
    bo.duration_s = args.duration_s;
    bo.reverb_buses = args.buses;
    bo.all_stereo = true;
    auto file = write_bench_session(dir, bo);
    if (!file) return report(file.error());
    auto session = load_session(*file);
    if (!session) return report(session.error());
    session->exports.front().file = dir / "out" / "master.wav";
    const double generate_s = seconds_since(t0);

    auto decode_floor = read_and_decode_s(*session);
    if (!decode_floor) return report(decode_floor.error());

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
                      {"reverb_buses", args.buses},
                      {"ir_s", bo.ir_s},
                      {"stages", {"clip_gain", "stem_eq (every stem)", "stem_compressor (every other stem)", "pan", "fader", "sends",
                                  "bus_reverb", "bus_sum", "master_sum"}}};
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
    // The floor: every stem sample crosses PCIe once (4 bytes as float), the
    // master comes back, and the convolutions' FFTs must run.
    const double transfer_bytes = static_cast<double>(st.bytes_uploaded + st.bytes_downloaded);
    g["floor"] = {{"read_decode_s", *decode_floor},
                  {"pcie_bytes", transfer_bytes},
                  {"assumed_pcie_bytes_per_s", kAssumedPcieBytesPerS},
                  {"pcie_floor_s", transfer_bytes / kAssumedPcieBytesPerS},
                  {"fft_points", st.fft_points},
                  {"fft_flops", st.fft_flops},
                  {"assumed_fft_flops_per_s", kAssumedFftFlopsPerS},
                  {"fft_floor_s", st.fft_flops / kAssumedFftFlopsPerS},
                  {"device_traffic_bytes", st.device_traffic_bytes},
                  {"assumed_device_bytes_per_s", kAssumedDeviceBytesPerS},
                  {"device_memory_floor_s", static_cast<double>(st.device_traffic_bytes) / kAssumedDeviceBytesPerS}};
    g["end_to_end_vs_read_decode"] = gpu_run->timing_s.at("total") / std::max(1e-9, *decode_floor);
    out["gpu"] = g;

    if (args.cpu) {
        CpuMixer cpu;
        auto cpu_run = render_session(*session, cpu, ro);
        if (!cpu_run) return report(cpu_run.error());
        out["cpu"] = {{"device", cpu_run->device}, {"timing", timing_json(*cpu_run)}};
        out["speedup_mix"] = cpu_run->timing_s.at("mix") / std::max(1e-9, gpu_run->timing_s.at("mix"));
        out["speedup_total"] = cpu_run->timing_s.at("total") / std::max(1e-9, gpu_run->timing_s.at("total"));
    }
    out["peak_rss_mib"] = peak_rss_mib();

    if (args.json) {
        print_json(out);
        return kOk;
    }
    std::printf("bench gpu: %d stereo stems x %.1f s, %d reverb buses, on %s\n", args.stems, args.duration_s, args.buses, gpu_run->device.c_str());
    std::printf("  read+decode alone %.3f s (the floor for end to end)\n", *decode_floor);
    std::printf("  gpu  total %.3f s (decode %.3f, mix %.3f, export %.3f), GPU time %.4f s, %.1fx realtime\n", gpu_run->timing_s.at("total"),
                gpu_run->timing_s.at("decode"), gpu_run->timing_s.at("mix"), gpu_run->timing_s.at("export"), gpu_total,
                g["realtime_factor"].get<double>());
    for (const auto& [phase, s] : st.gpu_time_s) std::printf("       %-10s %.4f s\n", phase.c_str(), s);
    std::printf("  moved %.1f MB up, %.1f MB down; PCIe floor %.4f s at an assumed %.0f GB/s\n", st.bytes_uploaded / 1e6, st.bytes_downloaded / 1e6,
                transfer_bytes / kAssumedPcieBytesPerS, kAssumedPcieBytesPerS / 1e9);
    std::printf("  FFT work %.3g flops: floor %.4f s at an assumed %.0f TFLOP/s; device-memory traffic %.1f GB: floor %.4f s at an assumed %.2f TB/s\n",
                st.fft_flops, st.fft_flops / kAssumedFftFlopsPerS, kAssumedFftFlopsPerS / 1e12, st.device_traffic_bytes / 1e9,
                st.device_traffic_bytes / kAssumedDeviceBytesPerS, kAssumedDeviceBytesPerS / 1e12);
    std::printf("  GPU memory held %.1f MiB; end to end %.2fx read+decode\n", st.device_bytes / 1048576.0, g["end_to_end_vs_read_decode"].get<double>());
    if (out.contains("cpu"))
        std::printf("  cpu  total %.3f s (mix %.3f); GPU speed-up: mix %.2fx, end to end %.2fx\n", out["cpu"]["timing"]["total"].get<double>(),
                    out["cpu"]["timing"]["mix"].get<double>(), out["speedup_mix"].get<double>(), out["speedup_total"].get<double>());
    std::printf("  peak RSS %.0f MiB\n", out["peak_rss_mib"].get<double>());
    return kOk;
#endif
}

}  // namespace sf::cli
