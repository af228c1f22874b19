// `stemforge bench master`: mastering a 4-minute stereo programme to a
// loudness target and true-peak ceiling, against FFmpeg's two-pass loudnorm
// + alimiter on the same file in the same run.
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
};

int run_bench_master(const BenchMasterArgs& args);

}  // namespace sf::cli
