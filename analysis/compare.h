// Stemforge — QA compare of two renders (`stemforge compare A B`): align B
// to A by cross-correlation, then measure the null residual r = B − A.
//
//   B's rate           B is resampled to A's rate (libsoxr, VHQ) when they differ
//   offset_samples     B is late by this many samples (B[n + offset] ≈ A[n]);
//                      the peak of |Σ over channels of the cross-correlation|
//                      over an alignment window of align_s seconds starting
//                      at A's first non-silent frame, within ±max_offset_s
//                      (0: no search, offset 0). Every channel counts, so
//                      pure-side material (L = −R) aligns too.
//   alignment          the normalised correlation ρ at that offset (−1..1,
//                      Cauchy–Schwarz over the overlap), the ratio of that
//                      peak to the largest one outside its main lobe, and a
//                      verdict: credible when |ρ| >= kCredibleCorrelation, or
//                      |ρ| >= kWeakCorrelation with a peak kCrediblePeakRatio
//                      times any other. A silent A, a B silent where A plays,
//                      or unrelated programmes are not credible: compare_files
//                      fails (InvalidArgument) rather than report a residual of
//                      an arbitrary alignment (0 frames compared, "identical").
//   residual_*_dbfs    peak / RMS of r over the overlapping frames (all
//                      channels), null when r is exactly zero
//   snr_db             10·log10(Σ A² / Σ r²), null when r is zero or A silent
//   gain               g = Σ A·B / Σ A² minimises Σ (B − g·A)² (least squares,
//                      all channels): gain_diff_db = 20·log10|g|, polarity
//                      inverted when g < 0, and the residual left after it
//   bands              residual and programme (A) RMS per octave band
//                      (31.5 Hz .. 16 kHz, ISO 266 centres, edges fc·2^±½),
//                      from Welch spectra of every channel
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
#include "engine/audio/audio_buffer.h"
#include "engine/core/error.h"

namespace sf::analysis {

struct CompareOptions {
    double max_offset_s = 1.0;      // search range for the alignment, 0..10 s; 0 = no alignment (offset 0)
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
// Alignment verdict (see above). 0.5: B = A + an independent noise as loud as
// A still correlates at 0.71; two unrelated mixes rarely exceed 0.3.
inline constexpr double kCredibleCorrelation = 0.5;
inline constexpr double kWeakCorrelation = 0.1;
inline constexpr double kCrediblePeakRatio = 3.0;
// A frame is silent below this (|x| on every channel): −100 dBFS.
inline constexpr double kSilenceThreshold = 1e-5;
inline constexpr int kWorstStretches = 10;
inline constexpr double kWorstStretchS = 0.1;   // rounded to whole samples

// A stretch of the overlap where the residual is large (linear values).
struct ResidualStretch {
    double start_s = 0.0, end_s = 0.0;   // in file A; end exclusive
    double peak_s = 0.0;                 // the (first) sample with the peak
    double peak = 0.0;                   // max |r| over the stretch and the channels
    double rms = 0.0;                    // over the stretch and the channels
};

// How B was aligned to A.
struct Alignment {
    bool searched = false;              // false: max_offset_s was 0, offset 0 taken as given
    int64_t offset_samples = 0;
    std::optional<double> correlation;  // normalised ρ at the offset (−1..1); nullopt when not searched
    std::optional<double> peak_ratio;   // |peak| / largest |peak| outside its main lobe; nullopt: no other lag
    bool credible = true;
    std::string reason;                 // why not credible (empty when credible)
    double window_start_s = 0.0, window_s = 0.0;   // the part of A the search looked at
};

// One octave band of the residual (linear mean squares; 0 = silent).
struct ResidualBand {
    double center_hz = 0.0, low_hz = 0.0, high_hz = 0.0;
    double residual_ms = 0.0;           // mean square of r in the band (all channels)
    double signal_ms = 0.0;             // of A
};

struct CompareResult {
    std::string file_a, file_b;
    int sample_rate = 0, channels = 0;
    int b_sample_rate = 0;          // B's own rate (resampled to sample_rate when it differs)
    int64_t offset_samples = 0;
    Alignment alignment;
    int64_t frames_compared = 0;
    double residual_peak = 0.0;     // linear
    double residual_rms = 0.0;      // linear, over all channels
    std::optional<double> snr_db;
    std::optional<double> integrated_diff_lu, true_peak_diff_db;
    // The least-squares gain B ≈ g·A; nullopt when A is silent over the overlap.
    std::optional<double> gain;
    double residual_rms_gain_matched = 0.0;   // RMS of B − g·A (linear, all channels)
    std::vector<ResidualBand> bands;          // octave bands below Nyquist
    Spectrum residual_spectrum;     // mean over the channels of each channel's residual power spectrum
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

// Errors: either file's I/O errors; different channel counts
// (InvalidArgument, naming both files); an alignment that is not credible
// (InvalidArgument: the correlation found and what to do); nothing to
// compare after aligning; options out of range; options.cancel set
// (Cancelled).
Result<CompareResult> compare_files(const std::filesystem::path& a, const std::filesystem::path& b, const CompareOptions& options = {});

// The alignment of two planar signals: `b` is the stretch of B starting
// max_lag frames before `a` starts (zeros where B has none), at least
// a.frames() + 2·max_lag frames. Lag L means B[n + L] ≈ A[n]. The peak of
// |Σ_c Σ_n a_c[n]·b_c[n + max_lag + L]| for |L| <= max_lag; among lags
// within 1e-6 of the peak, the smallest |L| (a periodic signal has many).
// Not credible when a or the matching stretch of b is silent. Doubles and
// FFTW throughout.
Alignment align(const AudioBuffer& a, const AudioBuffer& b, int64_t max_lag);

// "mm:ss.fff" (or "h:mm:ss.fff" from an hour), for stretches and messages.
std::string timecode(double seconds);

// DESIGN.md keys: residual_peak_dbfs, residual_rms_dbfs, snr_db,
// offset_samples; plus files, frames, differences, the residual spectrum,
// the residual over time and the worst stretches (dBFS, null for zero; see
// docs/analysis.md).
nlohmann::json to_json(const CompareResult& result);

}  // namespace sf::analysis
