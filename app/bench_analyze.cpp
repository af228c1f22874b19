// `stemforge bench analyze`: times `analyze` (loudness, true peak, spectrum,
// correlation, file checks in one pass) against `ffmpeg -af ebur128=peak=true`
// on the same file in the same run (DESIGN.md "Speed"; docs/BENCHMARKS.md).
// The test file is generated (engine/synth/bench_signals.h: music-like
// filtered noise with a level envelope and tones, stereo, 48 kHz, 24-bit)
// unless --file names one.
#include <algorithm>
#include <cmath>
#include <cstdio>
#include <cstdlib>
#include <filesystem>
#include <string>
#include <thread>
#include <unistd.h>

#include "analysis/analyze.h"
#include "app/cli.h"
#include "engine/audio/audio_file.h"
#include "engine/core/clock.h"
#include "engine/synth/bench_signals.h"

namespace sf::cli {

namespace {

Result<void> generate(const std::filesystem::path& file, double seconds) {
    constexpr int kRate = 48000;
    WriteSpec ws;
    ws.bit_depth = 24;
    ws.sample_rate = kRate;
    ws.channels = 2;
    ws.dither = Dither::None;
    auto w = AudioFileWriter::create(file, ws);
    if (!w) return std::unexpected(w.error());
    synth::MusicLikeNoise signal(kRate, 2024);
    const auto total = static_cast<int64_t>(seconds * kRate);
    constexpr int64_t kBlock = 48000;
    AudioBuffer b(2, kBlock);
    for (int64_t pos = 0; pos < total; pos += kBlock) {
        const int64_t n = std::min(kBlock, total - pos);
        signal.render(b, n);
        if (auto r = w->write(b, n); !r) return r;
    }
    return w->commit();
}

std::string quote(const std::string& s) {
    std::string q = "'";
    for (char c : s) q += c == '\'' ? std::string("'\\''") : std::string(1, c);
    return q + "'";
}

}  // namespace

int run_bench_analyze(const BenchArgs& args) {
    if (std::system("ffmpeg -version > /dev/null 2>&1") != 0)
        return report(Error{ErrorCode::NotSupported, "bench analyze: ffmpeg not found on PATH (it is the reference contender)", 0});
    std::filesystem::path file = args.file;
    std::filesystem::path made;
    if (file.empty()) {
        made = std::filesystem::temp_directory_path() / ("stemforge-bench-analyze-" + std::to_string(::getpid()) + ".wav");
        if (auto g = generate(made, args.seconds); !g) return report(g.error());
        file = made;
    }
    auto info = probe_audio(file);
    if (!info) return report(info.error());

    double ours = 1e300, theirs = 1e300;
    nlohmann::json measured;
    for (int r = 0; r < args.repeats; ++r) {
        const auto t0 = Clock::now();
        auto a = analysis::analyze_file(file);
        const double dt = seconds_since(t0);
        if (!a) return report(a.error());
        ours = std::min(ours, dt);
        measured = analysis::to_json(*a);
    }
    const std::string cmd = "ffmpeg -nostdin -hide_banner -nostats -loglevel error -i " + quote(file.string()) +
                            " -af ebur128=peak=true -f null - > /dev/null 2>&1";
    for (int r = 0; r < args.repeats; ++r) {
        const auto t0 = Clock::now();
        const int rc = std::system(cmd.c_str());
        const double dt = seconds_since(t0);
        if (rc != 0) return report(Error{ErrorCode::Internal, "bench analyze: ffmpeg failed on " + file.string(), 0});
        theirs = std::min(theirs, dt);
    }
    if (!made.empty()) std::filesystem::remove(made);

    const double dur = info->duration_s();
    nlohmann::json j = {
        {"mode", "analyze"},
        {"file", args.file.empty() ? "generated" : args.file},
        {"duration_s", dur},
        {"sample_rate", info->sample_rate},
        {"channels", info->channels},
        {"repeats", args.repeats},
        {"hardware_threads", std::thread::hardware_concurrency()},
        {"stemforge_s", ours},
        {"ffmpeg_s", theirs},
        {"stemforge_x_realtime", dur / ours},
        {"ffmpeg_x_realtime", dur / theirs},
        {"speedup", theirs / ours},
        {"ffmpeg_command", "ffmpeg -i FILE -af ebur128=peak=true -f null -"},
        {"integrated_lufs", measured["integrated_lufs"]},
        {"true_peak_dbtp", measured["true_peak_dbtp"]},
    };
    if (args.json) {
        print_json(j);
    } else {
        std::printf("bench analyze: %.1f s, %d Hz, %d ch (best of %d)\n", dur, info->sample_rate, info->channels, args.repeats);
        std::printf("  stemforge analyze          %7.3f s  (%6.1f x realtime)\n", ours, dur / ours);
        std::printf("  ffmpeg ebur128=peak=true   %7.3f s  (%6.1f x realtime)\n", theirs, dur / theirs);
        std::printf("  speedup                    %7.2f x\n", theirs / ours);
    }
    return kOk;
}

}  // namespace sf::cli
