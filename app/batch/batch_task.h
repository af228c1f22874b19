// Stemforge batch — one task (a job with one of its variants), the unit that
// both engines run: the local engine starts `stemforge batch FROZEN --task I`
// as a child process, a Slurm array task runs the same command line on a
// node. So there is one definition of what a task does:
//
//  1. a session job: load the session, apply the job's then the variant's
//     `set` edits (engine/session/session_edit.h: each passes the session
//     validator), redirect every export into output_dir/<job>/<variant>/
//     (file names kept), and write the result as a session file whose paths
//     are all absolute (stems, IRs, the match-EQ reference, the exports), so
//     it resolves exactly as the original did although it lives elsewhere;
//     an album job: the album file with its track, reference and export
//     paths rewritten the same way;
//  2. run `stemforge render|album THAT --json --backend B` as a child of
//     the same binary (so a render in a batch is a render: same checks,
//     same transaction, same manifest);
//  3. describe the outcome as one summary entry (docs/cli.md "batch").
#pragma once

#include <atomic>
#include <filesystem>
#include <string>

#include <nlohmann/json.hpp>

#include "engine/batch/batch_spec.h"
#include "engine/core/error.h"

namespace sf::cli {

struct BatchTaskOptions {
    std::string backend = "auto";
    std::filesystem::path work_dir;           // created, used for the edited file and the child's output, removed
    const std::atomic<bool>* cancel = nullptr;  // forwarded to the child; then the task returns Cancelled
};

// Runs the task. The entry always comes back (status "ok" or "failed", with
// `error`), except when cancelled: Error Cancelled, nothing written but what
// the child's own transaction removes.
Result<nlohmann::json> run_batch_task(const BatchSpec& spec, const BatchTask& task, const BatchTaskOptions& options);

// The entry of a task that produced no result of its own (its process died,
// Slurm lost it): status "failed" with `error`.
nlohmann::json failed_task_entry(const BatchSpec& spec, const BatchTask& task, const std::string& error);

// Where a task's result goes: <results_dir>/task-<index>.json
std::filesystem::path task_result_path(const std::filesystem::path& results_dir, size_t index);

// This machine's host name.
std::string host_name();

}  // namespace sf::cli
