// Stemforge — the check of a delivered file: the file as written is opened
// again and measured (loudness through the caller's LoudnessProbe, and the
// true peak), so that the promises of the master step (target within
// kTargetToleranceLu, true peak under the ceiling) hold on what was written,
// after SRC, dither and quantisation.
//
// The true peak is the engine's one definition (engine/dsp/true_peak.h, 8×)
// with the analysis meter's edge rule (positions whose interpolator support
// lies inside the file): it equals what `stemforge analyze` reports for the
// file, and what the limiter holds under its ceiling.
#pragma once

#include <filesystem>

#include "engine/core/error.h"
#include "engine/master/loudness_probe.h"

namespace sf::master {

struct DeliveredFile {
    std::filesystem::path file;
    int sample_rate = 0;
    LoudnessStats measured;           // LoudnessProbe on the file as written
    double true_peak_8x_dbtp = 0.0;   // the one 8× true-peak interpolator on the file as written (−inf: silent)
};

// Measures `file` (any format AudioSource reads). `factory` may be empty:
// then only the true peak is measured. Errors: the file cannot be read.
Result<DeliveredFile> measure_file(const std::filesystem::path& file, const LoudnessProbeFactory& factory);

// The true peak (linear, max over channels) of the first `frames` frames of
// `channels`, by the one interpolator with the meter's edge rule.
double file_true_peak(const float* const* channels, int channel_count, int64_t frames);

}  // namespace sf::master
