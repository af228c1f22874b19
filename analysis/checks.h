// Stemforge — file checks (QA): clipping, DC offset, leading/trailing
// silence, channel relations (identical = mono in stereo, phase inverted),
// and the format. Streaming, O(channels) state.
//
// Definitions (chosen to match common QC practice; units in the names):
//   clipped run      >= kClipRunMin consecutive samples of one channel with
//                    |x| >= kClipLevel (full scale of 16-bit PCM, 32767/32768)
//   silence          |x| <= kSilenceLevel (−90 dBFS) on every channel
//   identical        Σ(L−R)² <= 10^−6 · Σ(L² + R²)/2 (−60 dB residual)
//   phase inverted   Σ(L+R)² <= 10^−6 · Σ(L² + R²)/2
//   DC offset        the mean of each channel (linear)
#pragma once

#include <cstdint>
#include <string>
#include <vector>

#include "engine/audio/audio_file.h"

namespace sf::analysis {

inline constexpr double kClipLevel = 32767.0 / 32768.0;
inline constexpr int kClipRunMin = 3;
inline constexpr double kSilenceLevel = 3.1622776601683795e-05;   // −90 dBFS
inline constexpr double kChannelRelationDb = -60.0;

struct ClipRun {
    int channel = 0;
    int64_t start_frame = 0;
    int64_t length = 0;
};

struct FileChecks {
    int64_t clipped_runs = 0;             // over all channels
    int64_t clipped_samples = 0;          // samples inside clipped runs
    std::vector<ClipRun> first_clip_runs; // the first 100 runs
    int64_t inter_sample_overs = 0;       // from the true-peak meter
    std::vector<double> dc_offset;        // per channel, linear
    double leading_silence_s = 0.0;
    double trailing_silence_s = 0.0;
    bool all_silent = true;
    bool identical_channels = false;      // stereo (or more: channels 0 and 1)
    bool phase_inverted = false;
    std::vector<std::string> warnings;    // one line each, for the table and JSON
};

class FileChecker {
public:
    FileChecker(int channels, int sample_rate);
    void add(const float* const* channels, int64_t frames);
    // Completes the checks; inter_sample_overs comes from the true-peak meter.
    FileChecks result(const AudioInfo& info, int64_t inter_sample_overs) const;

private:
    int channels_ = 0, rate_ = 0;
    int64_t frames_ = 0;
    std::vector<double> sum_;
    std::vector<int64_t> run_len_;
    std::vector<int64_t> run_start_;
    int64_t runs_ = 0, clipped_ = 0;
    std::vector<ClipRun> first_runs_;
    int64_t first_loud_ = -1, last_loud_ = -1;   // frames with any |x| > silence
    double diff_ = 0.0, sum2_ = 0.0, energy_ = 0.0;   // Σ(L−R)², Σ(L+R)², Σ(L²+R²)/2
    void close_run(int c, int64_t end);
};

}  // namespace sf::analysis
