// Stemforge — the check of a delivered file: the file as written is opened
// again and measured (loudness through the caller's LoudnessProbe, and the
// true peak), so that the promises of the master step (target within
// kTargetToleranceLu, true peak under the ceiling) hold on what was written,
// after SRC, dither and quantisation.
#pragma once

#include <filesystem>

#include "engine/core/error.h"
#include "engine/master/loudness_probe.h"

namespace sf::master {

struct DeliveredFile {
    std::filesystem::path file;
    int sample_rate = 0;
    LoudnessStats measured;           // LoudnessProbe on the file as written
    double true_peak_8x_dbtp = 0.0;   // libsoxr 8x reconstruction of the file
};

// Measures `file` (any format AudioSource reads). `factory` may be empty:
// then only the true peak is measured. Errors: the file cannot be read.
Result<DeliveredFile> measure_file(const std::filesystem::path& file, const LoudnessProbeFactory& factory);

}  // namespace sf::master
