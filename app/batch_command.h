// `stemforge batch BATCH.json [--engine local|slurm] [--jobs N] [--backend B] [--json]`
// (docs/cli.md "batch", docs/scale-out.md).
#pragma once

#include <string>
#include <vector>

namespace sf::cli {

struct BatchArgs {
    std::string file;
    std::string engine = "local";
    int jobs = 0;                  // local: tasks at once (0 = the cores); slurm: the array throttle %P (0 = none)
    std::string backend = "auto";
    bool json = false;
    std::vector<std::string> sbatch_args;  // slurm: passed to sbatch as they are (--cpus-per-task=8, --partition=gpu, ...)
    // Hidden: run one task of a frozen batch and write its entry into
    // task_results (what each engine starts; see app/batch/batch_engines.h).
    int task = -1;
    std::string task_results;
};

int run_batch(const BatchArgs& args);

// `stemforge bench batch`: one batch of `variants` variants of the demo
// session through --engine local and --engine slurm (when a cluster is
// reachable), and the Slurm overhead per task (app/bench_batch.cpp).
struct BenchBatchArgs {
    int variants = 24;
    double duration_s = 8.0;   // the demo session's length
    int jobs = 0;              // tasks at once on both engines (0 = the cores)
    std::string dir;           // work folder; empty: a temporary one, removed afterwards
    bool slurm = true;         // false: the local engine only
    bool json = false;
};

int run_bench_batch(const BenchBatchArgs& args);

}  // namespace sf::cli
