// `stemforge bench mix`: renders the generated benchmark session on the CPU
// reference path (1 thread and all threads: the scaling) and, in the same
// run, the equivalent FFmpeg filter graph on the same files; reports
// × realtime for each and the ratio. No DSP here: the session and the graph
// are described in app/bench_session.*, its signals and the render come from
// the engine.
#include <cstdio>
#include <cstdlib>
#include <thread>

#include <tbb/global_control.h>

#include "app/bench_session.h"
#include "app/cli.h"
#include "engine/core/clock.h"
#include "engine/render/cpu_mixer.h"
#include "engine/render/renderer.h"

namespace sf::cli {

namespace {

struct Timed {
    double wall_s = 0.0;
    std::map<std::string, double> phases;
};

Result<Timed> render_cpu(const Session& session, const std::filesystem::path& out, int threads) {
    tbb::global_control limit(tbb::global_control::max_allowed_parallelism, static_cast<size_t>(threads));
    CpuMixer mixer;
    RenderOptions opt;
    opt.output_override = out;
    const auto t0 = Clock::now();
    auto r = render_session(session, mixer, opt);
    if (!r) return std::unexpected(r.error());
    Timed t;
    t.wall_s = seconds_since(t0);
    t.phases = r->timing_s;
    return t;
}

}  // namespace

int run_bench_mix(const BenchMixArgs& args) {
    BenchSessionOptions o;
    o.stems = args.stems;
    o.duration_s = args.duration_s;
    o.effects = args.effects;
    std::fprintf(stderr, "bench mix: writing %d stems x %.0f s%s into %s (skipped when present)\n", o.stems, o.duration_s,
                 o.effects ? " with effects" : "", args.dir.c_str());
    auto file = write_bench_session(args.dir, o);
    if (!file) return report(file.error());
    auto session = load_session(*file);
    if (!session) return report(session.error());
    const double audio_s = o.duration_s;
    // Issue 13 asks 5x FFmpeg's throughput with every new stage, issue 5 1.5x without them.
    const double target_ratio = o.effects ? 5.0 : 1.5;
    const int hw = static_cast<int>(std::max(1u, std::thread::hardware_concurrency()));

    nlohmann::json j;
    j["mode"] = "mix";
    j["stems"] = o.stems;
    j["duration_s"] = audio_s;
    j["session"] = file->string();
    j["effects"] = o.effects;
    std::vector<int> thread_counts = {hw};
    if (args.scaling && hw > 1) thread_counts.insert(thread_counts.begin(), 1);
    nlohmann::json runs = nlohmann::json::array();
    double best_cpu_s = 0.0, one_thread_s = 0.0;
    for (int th : thread_counts) {
        std::fprintf(stderr, "bench mix: CPU render, %d thread(s)\n", th);
        auto t = render_cpu(*session, std::filesystem::path(args.dir) / "out" / "cpu.wav", th);
        if (!t) return report(t.error());
        runs.push_back({{"threads", th}, {"wall_s", t->wall_s}, {"x_realtime", audio_s / t->wall_s}, {"timing", t->phases}});
        if (th == 1) one_thread_s = t->wall_s;
        best_cpu_s = t->wall_s;  // the last run uses every thread
    }
    j["cpu"] = runs;
    j["cpu_x_realtime"] = audio_s / best_cpu_s;
    if (one_thread_s > 0.0) j["thread_scaling"] = one_thread_s / best_cpu_s;

    if (args.ffmpeg) {
        const auto out = std::filesystem::path(args.dir) / "out" / "ffmpeg.wav";
        // The effects graph's automation expressions outgrow one shell argument: a script file.
        const auto script = o.effects ? std::filesystem::path(args.dir) / "out" / "ffmpeg_graph.txt" : std::filesystem::path();
        auto command = ffmpeg_mix_command(*session, out, hw, script);
        if (!command) return report(command.error());
        const std::string& cmd = *command;
        std::fprintf(stderr, "bench mix: FFmpeg filter graph (%d filter threads)\n", hw);
        const auto t0 = Clock::now();
        const int rc = std::system(cmd.c_str());
        const double wall = seconds_since(t0);
        if (rc != 0) return report(Error{ErrorCode::Internal, "ffmpeg failed (exit status " + std::to_string(rc) + "): " + cmd.substr(0, 200) + "...", 0});
        j["ffmpeg"] = {{"wall_s", wall}, {"x_realtime", audio_s / wall}, {"threads", hw}};
        j["ratio_cpu_vs_ffmpeg"] = wall / best_cpu_s;
        j["target_ratio"] = target_ratio;
        j["target_met"] = wall / best_cpu_s >= target_ratio;
    }
    if (args.json) {
        print_json(j);
    } else {
        for (const auto& r : runs)
            std::printf("CPU %d thread(s): %.2f s, %.1fx realtime\n", r["threads"].get<int>(), r["wall_s"].get<double>(),
                        r["x_realtime"].get<double>());
        if (j.contains("thread_scaling")) std::printf("thread scaling (1 -> %d): %.2fx\n", hw, j["thread_scaling"].get<double>());
        if (j.contains("ffmpeg"))
            std::printf("FFmpeg: %.2f s, %.1fx realtime; CPU path / FFmpeg throughput: %.2fx (target %.1fx)\n",
                        j["ffmpeg"]["wall_s"].get<double>(), j["ffmpeg"]["x_realtime"].get<double>(), j["ratio_cpu_vs_ffmpeg"].get<double>(),
                        target_ratio);
    }
    return kOk;
}

}  // namespace sf::cli
