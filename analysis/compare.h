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
//   residual over time   peak and RMS of r (linear, all channels) per bucket
//                      of residual_bucket_s; at most kMaxResidualBuckets
//   worst_stretches    the kWorstStretches 100 ms stretches with the largest
//                      residual peak, each a local maximum of the per-stretch
//                      peaks (a difference longer than 100 ms is listed once,
//                      not as neighbours), largest first
// Times are seconds in file A (the overlap starts at residual_start_s).
// Streams both files once after alignment (memory bounded by the block, the
// alignment window and the bucket count, whatever the files' length).
#pragma once

#include <atomic>
#include <cstdint>
#include <filesystem>
#include <functional>
#include <optional>
#include <string>
#include <vector>

#include <nlohmann/json.hpp>

#include "analysis/spectrum.h"
#include "engine/core/error.h"

namespace sf::analysis {

struct CompareOptions {
    double max_offset_s = 1.0;      // search range for the alignment, 0..10 s
    double align_s = 10.0;          // how much of the start the alignment looks at
    SpectrumOptions spectrum;       // of the residual
    // Called on the calling thread after every block with the fraction of
    // the aligned overlap compared (0..1, non-decreasing), and once with 1
    // at the end.
    std::function<void(double fraction)> progress;
    // Read before the alignment and every block; once true, compare_files
    // returns cancelled_error("cancelled") (ErrorCode::Cancelled).
    const std::atomic<bool>* cancel = nullptr;
};

inline constexpr int64_t kMaxResidualBuckets = 4096;
inline constexpr int kWorstStretches = 10;
inline constexpr double kWorstStretchS = 0.1;   // rounded to whole samples

// A stretch of the overlap where the residual is large (linear values).
struct ResidualStretch {
    double start_s = 0.0, end_s = 0.0;   // in file A; end exclusive
    double peak_s = 0.0;                 // the (first) sample with the peak
    double peak = 0.0;                   // max |r| over the stretch and the channels
    double rms = 0.0;                    // over the stretch and the channels
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
    // Residual over time: bucket k covers [residual_start_s + k·bucket,
    // + (k+1)·bucket) in file A (the last may be shorter); bucket length
    // = ceil(frames_compared / kMaxResidualBuckets) samples. Linear.
    double residual_start_s = 0.0;
    double residual_bucket_s = 0.0;
    std::vector<float> residual_peak_over_time;   // max |r| over the bucket and the channels
    std::vector<float> residual_rms_over_time;    // RMS over the bucket and the channels
    std::vector<float> signal_rms_over_time;      // A's RMS in the same buckets (the programme under the residual)
    std::vector<ResidualStretch> worst_stretches; // <= kWorstStretches, largest peak first; empty when r is zero
};

// Errors: either file's I/O errors; different rates or channel counts
// (InvalidArgument, naming both files); options out of range; options.cancel
// set (Cancelled).
Result<CompareResult> compare_files(const std::filesystem::path& a, const std::filesystem::path& b, const CompareOptions& options = {});

// Lag (in samples) maximising Σ a[n]·b[n + lag] for |lag| <= max_lag (FFT).
int64_t best_lag(const std::vector<float>& a, const std::vector<float>& b, int64_t max_lag);

// DESIGN.md keys: residual_peak_dbfs, residual_rms_dbfs, snr_db,
// offset_samples; plus files, frames, differences, the residual spectrum,
// the residual over time and the worst stretches (dBFS, null for zero; see
// docs/analysis.md).
nlohmann::json to_json(const CompareResult& result);

}  // namespace sf::analysis
