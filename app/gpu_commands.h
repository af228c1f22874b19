// Stemforge CLI — the GPU subcommands: `stemforge devices` and
// `stemforge bench gpu`. No DSP here.
#pragma once

#include <string>

namespace sf::cli {

struct DevicesArgs {
    bool json = false;
};
// Lists the Vulkan devices, which one `--backend auto` and `--backend gpu`
// would use, and why the others are passed over. Exit 4 when Vulkan cannot start.
int run_devices(const DevicesArgs& args);

struct BenchGpuArgs {
    int stems = 128;           // stereo stems
    double duration_s = 240.0; // per stem
    int buses = 4;             // reverb buses (3-second IRs)
    bool cpu = true;           // also time the CPU path in the same run
    std::string dir;           // where to generate the stems ("" = a temporary folder, removed afterwards)
    bool json = false;
};
// Generates a session, renders it on the GPU (and the CPU), reports timings,
// per-phase GPU time, bytes moved and the transfer floor.
int run_bench_gpu(const BenchGpuArgs& args);

}  // namespace sf::cli
