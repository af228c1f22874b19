// Stemforge — QA compare of two renders (`stemforge compare A B`): align B
// to A by cross-correlation, then measure the null residual r = B − A.
//
//   offset_samples     B is late by this many samples (B[n + offset] ≈ A[n]);
//                      found as the peak of the cross-correlation of the
//                      channel means over the first align_s seconds, within
//                      ±max_offset_s
//   residual_*_dbfs    peak / RMS of r over the overlapping frames (all
//                      channels), null when r is exactly zero
//   snr_db             10·log10(Σ A² / Σ r²), null when r is zero or A silent
//   loudness / true peak differences B − A (LU, dB) of the aligned overlap
// Streams both files once after alignment (memory bounded by the block and
// the alignment window).
#pragma once

#include <cstdint>
#include <filesystem>
#include <optional>
#include <string>

#include <nlohmann/json.hpp>

#include "analysis/spectrum.h"
#include "engine/core/error.h"

namespace sf::analysis {

struct CompareOptions {
    double max_offset_s = 1.0;      // search range for the alignment, 0..10 s
    double align_s = 10.0;          // how much of the start the alignment looks at
    SpectrumOptions spectrum;       // of the residual
};

struct CompareResult {
    std::string file_a, file_b;
    int sample_rate = 0, channels = 0;
    int64_t offset_samples = 0;
    int64_t frames_compared = 0;
    double residual_peak = 0.0;     // linear
    double residual_rms = 0.0;      // linear, over all channels
    std::optional<double> snr_db;
    std::optional<double> integrated_diff_lu, true_peak_diff_db;
    Spectrum residual_spectrum;     // of the residual's channel mean
};

// Errors: either file's I/O errors; different rates or channel counts
// (InvalidArgument, naming both files); options out of range.
Result<CompareResult> compare_files(const std::filesystem::path& a, const std::filesystem::path& b, const CompareOptions& options = {});

// Lag (in samples) maximising Σ a[n]·b[n + lag] for |lag| <= max_lag (FFT).
int64_t best_lag(const std::vector<float>& a, const std::vector<float>& b, int64_t max_lag);

// DESIGN.md keys: residual_peak_dbfs, residual_rms_dbfs, snr_db,
// offset_samples; plus files, frames, differences and the residual spectrum.
nlohmann::json to_json(const CompareResult& result);

}  // namespace sf::analysis
