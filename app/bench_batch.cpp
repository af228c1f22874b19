// `stemforge bench batch`: the cost of scale-out. One batch of N variants of
// the demo session runs through the local engine and through Slurm with the
// same number of tasks at once, on the same machine, in the same run. What
// the scheduler adds per task is measured as slot time not spent inside a
// task (each task times itself, from its start to its result):
//   per engine:      (wall x slots - sum of the tasks' own seconds) / N
//   Slurm overhead:  that of Slurm - that of the local engine.
// Unlike the difference of the two walls, it does not move when the tasks
// themselves run slower in one run than in the other (a busy machine).
#include <unistd.h>

#include <cstdio>
#include <fstream>
#include <thread>

#include "app/batch/batch_engines.h"
#include "app/batch/child_process.h"
#include "app/batch_command.h"
#include "app/cli.h"
#include "app/demo_generator.h"
#include "engine/core/clock.h"

namespace sf::cli {

namespace {

struct Folder {
    std::filesystem::path dir;
    bool remove = false;
    ~Folder() {
        std::error_code ec;
        if (remove && !dir.empty()) std::filesystem::remove_all(dir, ec);
    }
};

Result<nlohmann::json> run_engine(const std::filesystem::path& self, const std::filesystem::path& dir, const std::string& engine, int variants,
                                  int slots) {
    nlohmann::json variant_list = nlohmann::json::array();
    for (int k = 0; k < variants; ++k)
        variant_list.push_back({{"name", "v" + std::to_string(k)}, {"set", {{"stems[voice].gain_db", -6.0 + 0.5 * k}}}});
    const nlohmann::json batch = {{"format", "stemforge-batch"}, {"version", 1}, {"output_dir", engine},
                                  {"jobs", {{{"session", "song/session.json"}, {"variants", variant_list}}}}};
    const auto file = dir / ("batch-" + engine + ".json");
    {
        std::ofstream out(file, std::ios::trunc);
        out << batch.dump(2) << "\n";
        if (!out) return fail(ErrorCode::FileWrite, file.string() + ": cannot write");
    }
    std::fprintf(stderr, "bench batch: %d variants through --engine %s, %d at once\n", variants, engine.c_str(), slots);
    const auto out_file = dir / (engine + ".out"), err_file = dir / (engine + ".err");
    const auto t0 = Clock::now();
    auto child = ChildProcess::spawn({self.string(), "batch", file.string(), "--engine", engine, "--jobs", std::to_string(slots), "--backend", "cpu",
                                      "--json"},
                                     out_file, err_file);
    if (!child) return std::unexpected(child.error());
    const ChildExit exit = child->wait();
    const double wall = seconds_since(t0);
    nlohmann::json summary;
    try {
        std::ifstream in(out_file);
        summary = nlohmann::json::parse(in);
    } catch (const nlohmann::json::exception&) {
        return fail(ErrorCode::Internal, "bench batch: --engine " + engine + " ended with " + exit.describe() + ": " + file_tail(err_file, 300));
    }
    if (exit.code != 0) return fail(ErrorCode::Internal, "bench batch: --engine " + engine + " had failed tasks: " + file_tail(out_file, 300));
    double task_sum = 0.0;
    for (const auto& e : summary["jobs"]) task_sum += e["seconds"].get<double>();
    nlohmann::json r;
    r["wall_s"] = wall;
    r["tasks"] = variants;
    r["slots"] = slots;
    r["task_seconds_sum"] = task_sum;
    r["task_seconds_mean"] = task_sum / variants;
    r["slot_overhead_per_task_s"] = (wall * slots - task_sum) / variants;
    return r;
}

}  // namespace

int run_bench_batch(const BenchBatchArgs& args) {
    auto self = self_executable();
    if (!self) return report(self.error());
    Folder work;
    if (args.dir.empty()) {
        std::string tmpl = (std::filesystem::temp_directory_path() / "stemforge-bench-batch-XXXXXX").string();
        if (!::mkdtemp(tmpl.data())) return report(Error{ErrorCode::FileWrite, "bench batch: cannot create a temporary folder", 0});
        work.dir = tmpl;
        work.remove = true;
    } else {
        work.dir = std::filesystem::absolute(args.dir);
    }
    DemoOptions demo;
    demo.duration_s = args.duration_s;
    if (auto s = write_demo_session(work.dir / "song", demo); !s) return report(s.error());
    const int slots = args.jobs > 0 ? args.jobs : static_cast<int>(std::max(1u, std::thread::hardware_concurrency()));

    nlohmann::json j;
    j["variants"] = args.variants;
    j["session_duration_s"] = args.duration_s;
    j["slots"] = slots;
    j["host"] = [] {
        char b[256] = {};
        ::gethostname(b, sizeof(b) - 1);
        return std::string(b);
    }();
    auto local = run_engine(*self, work.dir, "local", args.variants, slots);
    if (!local) return report(local.error());
    j["local"] = *local;
    j["slurm"] = nullptr;
    j["slurm_overhead_per_task_s"] = nullptr;
    j["wall_difference_per_task_s"] = nullptr;
    if (args.slurm) {
        if (auto ok = slurm_available(); !ok) return report(ok.error());
        auto slurm = run_engine(*self, work.dir, "slurm", args.variants, slots);
        if (!slurm) return report(slurm.error());
        j["slurm"] = *slurm;
        j["slurm_overhead_per_task_s"] = (*slurm)["slot_overhead_per_task_s"].get<double>() - (*local)["slot_overhead_per_task_s"].get<double>();
        j["wall_difference_per_task_s"] = ((*slurm)["wall_s"].get<double>() - (*local)["wall_s"].get<double>()) * slots / args.variants;
    }
    if (args.json) {
        print_json(j);
        return kOk;
    }
    auto line = [](const char* name, const nlohmann::json& r) {
        std::printf("%-6s %6.1f s wall, tasks %5.2f s each (mean), %5.2f s of slot time per task outside the tasks\n", name, r["wall_s"].get<double>(),
                    r["task_seconds_mean"].get<double>(), r["slot_overhead_per_task_s"].get<double>());
    };
    std::printf("%d variants of a %.0f s demo session, %d at once\n", args.variants, args.duration_s, slots);
    line("local", j["local"]);
    if (!j["slurm"].is_null()) {
        line("slurm", j["slurm"]);
        std::printf("Slurm overhead per task: %.2f s\n", j["slurm_overhead_per_task_s"].get<double>());
    }
    return kOk;
}

}  // namespace sf::cli
