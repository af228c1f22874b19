// Stemforge — `analyze`: one streaming pass over an audio file that feeds
// every meter, and the report it produces (DESIGN.md "JSON report keys").
#pragma once

#include <filesystem>
#include <optional>
#include <string>

#include <nlohmann/json.hpp>

#include "engine/audio/audio_file.h"
#include "engine/core/error.h"

namespace sf::analysis {

struct AnalyzeOptions {
    bool series = false;   // loudness over time
};

struct FileAnalysis {
    std::string file;
    AudioInfo info;
    double duration_s = 0.0;
    // Linear values; reported in dBFS, null for silence.
    double sample_peak = 0.0;
    double rms = 0.0;
};

// Streams the file once. Errors: the audio I/O errors (naming the file).
Result<FileAnalysis> analyze_file(const std::filesystem::path& file, const AnalyzeOptions& options = {});

// The contract's keys (snake_case, units in the name; null for -inf).
nlohmann::json to_json(const FileAnalysis& analysis);

}  // namespace sf::analysis
