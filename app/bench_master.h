// `stemforge bench master`: mastering a 4-minute stereo programme to a
// loudness target and true-peak ceiling, against FFmpeg's two-pass loudnorm
// + alimiter on the same file in the same run; with --backend gpu, many
// programmes in one GPU batch against the CPU master step.
#pragma once

#include <string>

namespace sf::cli {

struct BenchMasterArgs {
    double duration_s = 240.0;
    double target_lufs = -14.0;
    double ceiling_dbtp = -1.0;
    std::string dir;          // work folder; empty: a temporary one, removed afterwards
    std::string ffmpeg = "ffmpeg";   // found on PATH
    bool json = false;
    // --backend gpu: `programmes` programmes mastered in one GPU batch
    // against the CPU master step on every core, in the same run, with the
    // counted floor (app/bench_master_gpu.cpp). Empty: against FFmpeg.
    std::string backend;
    int programmes = 12;
};

int run_bench_master(const BenchMasterArgs& args);
// `bench master --backend gpu` (the CPU half also runs without a GPU build).
int run_bench_master_gpu(const BenchMasterArgs& args);

}  // namespace sf::cli
