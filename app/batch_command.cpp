// `stemforge batch`: many sessions, albums and variants in one command, on
// this machine or as a Slurm job array; one summary of them all.
#include "app/batch_command.h"

#include <unistd.h>

#include <chrono>
#include <cstdio>
#include <sstream>
#include <thread>

#include "app/batch/batch_engines.h"
#include "app/batch/batch_task.h"
#include "app/cli.h"
#include "app/signals.h"
#include "engine/batch/batch_spec.h"
#include "engine/core/clock.h"
#include "engine/export/transaction.h"

namespace sf::cli {

namespace {

// The batch parser reports every problem of the file: one line each.
int report_all(const Error& error) {
    std::istringstream lines(error.message);
    std::string line;
    int code = kBadInput;
    while (std::getline(lines, line)) code = report(Error{error.code, line, error.vk_result});
    return code;
}

// The run's own folder inside output_dir (shared storage, so that Slurm
// tasks on other nodes reach it), removed however the command ends.
struct RunDir {
    std::filesystem::path dir;
    ~RunDir() {
        std::error_code ec;
        if (!dir.empty()) std::filesystem::remove_all(dir, ec);
    }
};

Result<void> write_atomically(const std::filesystem::path& file, const std::string& text) {
    DeliveryTransaction t;
    if (auto ok = t.stage_text(file, text); !ok) return ok;
    return t.commit();
}

int run_task(const BatchSpec& spec, const BatchArgs& args) {
    const auto tasks = batch_tasks(spec);
    if (args.task_results.empty()) return report(Error{ErrorCode::InvalidArgument, "--task needs --task-results DIR", 0});
    if (static_cast<size_t>(args.task) >= tasks.size())
        return report(Error{ErrorCode::InvalidArgument, "--task " + std::to_string(args.task) + ": the batch has " + std::to_string(tasks.size()) + " task(s)", 0});
    const std::filesystem::path results = args.task_results;
    BatchTaskOptions options;
    options.backend = args.backend;
    options.cancel = install_cancel_signals();
    options.work_dir = results / ("task-" + std::to_string(args.task) + ".work");
    auto entry = run_batch_task(spec, tasks[static_cast<size_t>(args.task)], options);
    if (!entry) return report(entry.error());
    if (auto ok = write_atomically(task_result_path(results, static_cast<size_t>(args.task)), entry->dump(2) + "\n"); !ok) return report(ok.error());
    if (args.json) print_json(*entry);
    return (*entry)["status"] == "ok" ? kOk : kFailure;
}

std::string show_lufs(const nlohmann::json& entry) {
    const auto& l = entry["loudness"];
    if (!l.is_object()) return "";
    const nlohmann::json v = l.contains("integrated_lufs") ? l["integrated_lufs"] : l.value("album_integrated_lufs", nlohmann::json());
    if (!v.is_number()) return "";
    char buf[32];
    std::snprintf(buf, sizeof(buf), "%.1f LUFS", v.get<double>());
    return buf;
}

}  // namespace

int run_batch(const BatchArgs& args) {
    const auto t0 = Clock::now();
    auto spec = load_batch(args.file);
    if (!spec) return report_all(spec.error());
    if (args.task >= 0) return run_task(*spec, args);

    // summary.json is the one file the batch itself writes: refuse it when
    // it is one of the inputs (exit 3 before any work).
    const auto summary_path = spec->output_dir / kBatchSummaryName;
    std::vector<NamedPath> inputs{{spec->file, "the batch file"}};
    for (size_t i = 0; i < spec->jobs.size(); ++i)
        inputs.push_back({spec->jobs[i].file, "jobs[" + std::to_string(i) + "] \"" + spec->jobs[i].name + "\""});
    const std::vector<NamedPath> outputs{{summary_path, "the batch summary"}};
    if (auto ok = check_outputs(outputs, inputs); !ok) return report(ok.error());
    if (args.engine == "slurm")
        if (auto ok = slurm_available(); !ok) return report(ok.error());

    std::error_code ec;
    std::filesystem::create_directories(spec->output_dir, ec);
    if (ec) return report(Error{ErrorCode::FileWrite, spec->output_dir.string() + ": cannot create the output folder: " + ec.message(), 0});
    BatchRun run;
    run.spec = &*spec;
    run.tasks = batch_tasks(*spec);
    run.backend = args.backend;
    run.sbatch_args = args.sbatch_args;
    run.cancel = install_cancel_signals();
    RunDir run_dir{spec->output_dir / (".stemforge-batch-" + host_name() + "-" + std::to_string(::getpid()))};
    run.run_dir = run_dir.dir;
    run.frozen = run.run_dir / "batch.json";
    run.results_dir = run.run_dir / "results";
    run.logs_dir = run.run_dir / "logs";
    std::filesystem::create_directories(run.results_dir, ec);
    if (!ec) std::filesystem::create_directories(run.logs_dir, ec);
    if (ec) return report(Error{ErrorCode::FileWrite, run.run_dir.string() + ": cannot create the batch's run folder: " + ec.message(), 0});
    if (auto ok = write_atomically(run.frozen, batch_to_frozen_json(*spec)); !ok) return report(ok.error());

    auto entries = args.engine == "slurm" ? run_slurm_engine(run, args.jobs)
                                          : run_local_engine(run, args.jobs > 0 ? args.jobs : static_cast<int>(std::max(1u, std::thread::hardware_concurrency())));
    if (!entries) return report(entries.error());

    size_t ok_count = 0;
    for (const auto& e : *entries) ok_count += e["status"] == "ok";
    nlohmann::json summary;
    summary["format"] = "stemforge-batch-summary";
    summary["version"] = 1;
    summary["batch"] = std::filesystem::absolute(spec->file, ec).lexically_normal().string();
    summary["engine"] = args.engine;
    summary["backend"] = args.backend;
    summary["output_dir"] = spec->output_dir.string();
    summary["jobs"] = std::move(*entries);  // moved, not copied: the entries are most of the batch's memory
    summary["jobs_ok"] = ok_count;
    summary["jobs_failed"] = summary["jobs"].size() - ok_count;
    summary["seconds"] = seconds_since(t0);
    if (auto ok = write_atomically(summary_path, summary.dump(2, ' ', false, nlohmann::json::error_handler_t::replace) + "\n"); !ok)
        return report(ok.error());

    if (args.json) {
        print_json(summary);
    } else {
        for (const auto& e : summary["jobs"]) {
            const std::string label = e["name"].get<std::string>() + "/" + e["variant"].get<std::string>();
            if (e["status"] == "ok") {
                std::string outs;
                for (const auto& o : e["outputs"]) outs += (outs.empty() ? "" : ", ") + o.get<std::string>();
                std::printf("ok      %-28s %7.1f s  %-10s %s\n", label.c_str(), e["seconds"].get<double>(), show_lufs(e).c_str(), outs.c_str());
            } else {
                std::printf("FAILED  %-28s %s\n", label.c_str(), e["error"].is_string() ? e["error"].get<std::string>().c_str() : "");
            }
        }
        std::printf("batch: %zu ok, %zu failed in %.1f s; summary %s\n", ok_count, summary["jobs"].size() - ok_count, summary["seconds"].get<double>(),
                    summary_path.string().c_str());
    }
    return ok_count == summary["jobs"].size() ? kOk : kFailure;
}

}  // namespace sf::cli
