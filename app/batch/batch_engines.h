// Stemforge batch — the engines that run a batch's tasks: child processes on
// this machine, or a Slurm job array. Both run the same task command line,
//   stemforge batch FROZEN --task I --task-results RESULTS --backend B
// where FROZEN is the batch written back with absolute paths and explicit
// names (batch_to_frozen_json) in the run folder, and gather the entries
// the tasks wrote (atomically) into RESULTS/task-I.json. A task that wrote
// none is a failed entry naming why (its exit, its Slurm state, its log).
#pragma once

#include <atomic>
#include <filesystem>
#include <string>
#include <vector>

#include <nlohmann/json.hpp>

#include "engine/batch/batch_spec.h"
#include "engine/core/error.h"

namespace sf::cli {

struct BatchRun {
    const BatchSpec* spec = nullptr;
    std::vector<BatchTask> tasks;
    std::filesystem::path run_dir;      // the run's own folder (on shared storage for Slurm), removed afterwards
    std::filesystem::path frozen;       // run_dir/batch.json
    std::filesystem::path results_dir;  // run_dir/results
    std::filesystem::path logs_dir;     // run_dir/logs: each task's stderr
    std::string backend = "auto";
    std::vector<std::string> sbatch_args;  // Slurm: extra sbatch options, as the user wrote them
    const std::atomic<bool>* cancel = nullptr;

    // The command line of task `index` (argv[0] this binary).
    std::vector<std::string> task_command(size_t index) const;
    // The task's entry from its result file, or nullopt when it wrote none (or an unreadable one).
    std::optional<nlohmann::json> read_result(size_t index) const;
};

// Runs up to `jobs` tasks at once as child processes. Entries in task order.
// Cancel: the signal is forwarded to every running task, they are waited
// for, and the result is Error Cancelled.
Result<std::vector<nlohmann::json>> run_local_engine(const BatchRun& run, int jobs);

// Submits the tasks as Slurm job arrays (split at the cluster's
// MaxArraySize; `throttle` > 0 runs at most that many tasks at once: `%P`,
// and the split arrays run one after the other), one GPU per task with
// backend "gpu", then polls squeue until every task has ended. Progress on
// stderr (on a terminal). Cancel: pending tasks are cancelled, running ones
// get the signal in their batch step (the task forwards it to its render),
// and the result is Error Cancelled once none runs.
// Errors: NotSupported when sbatch/squeue are missing, FileWrite when
// sbatch refuses the submission (its message).
Result<std::vector<nlohmann::json>> run_slurm_engine(const BatchRun& run, int throttle);
// NotSupported, saying how to get them, when Slurm's client commands are not on PATH.
Result<void> slurm_available();

}  // namespace sf::cli
