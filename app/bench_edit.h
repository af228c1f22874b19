// Stemforge CLI — `stemforge bench edit [--json]`: the time from an edit to
// the master's updated meter values on the demo session, with the render
// cache and without it, in one run (docs/BENCHMARKS.md).
#pragma once

#include <string>

namespace sf::cli {

struct BenchEditArgs {
    std::string dir;               // keep the demo and the renders here (default: a temporary folder, removed)
    double duration_s = 64.0;      // the demo's length
    std::string edit_path;         // default: stems[lead].gain_db (the demo's lead stem)
    double edit_db = -2.0;         // added to the key's value
    std::string backend = "cpu";
    bool master = true;            // --no-master: the demo without its master block (the meters hear the mix)
    bool json = false;
};

int run_bench_edit(const BenchEditArgs& args);

}  // namespace sf::cli
