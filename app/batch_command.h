// `stemforge batch BATCH.json [--engine local|slurm] [--jobs N] [--backend B] [--json]`
// (docs/cli.md "batch", docs/scale-out.md).
#pragma once

#include <string>

namespace sf::cli {

struct BatchArgs {
    std::string file;
    std::string engine = "local";
    int jobs = 0;                  // local: tasks at once (0 = the cores); slurm: the array throttle %P (0 = none)
    std::string backend = "auto";
    bool json = false;
    // Hidden: run one task of a frozen batch and write its entry into
    // task_results (what each engine starts; see app/batch/batch_engines.h).
    int task = -1;
    std::string task_results;
};

int run_batch(const BatchArgs& args);

}  // namespace sf::cli
