// Stemforge — `analyze`: one streaming pass over an audio file that feeds
// every meter (loudness, true peak, levels, spectrum, stereo image, file
// checks), and the report it produces (DESIGN.md "JSON report keys").
//
// Memory is bounded by the block size and the meters' own state (see each
// meter's header); a 10-hour file streams like a 10-second one. The meters
// of one block run in parallel (oneTBB); results do not depend on it.
#pragma once

#include <atomic>
#include <filesystem>
#include <functional>
#include <optional>
#include <string>
#include <vector>

#include <nlohmann/json.hpp>

#include "analysis/checks.h"
#include "analysis/loudness.h"
#include "analysis/spectrum.h"
#include "analysis/stereo.h"
#include "analysis/waveform.h"
#include "engine/audio/audio_file.h"
#include "engine/core/error.h"

namespace sf::analysis {

inline constexpr int kMaxAnalysisChannels = 8;   // up to 7.1 (BS.1770 weights)

struct AnalyzeOptions {
    bool series = false;                 // loudness over time (JSON "series")
    double series_hop_s = 0.01;          // <= 0.01 s (DESIGN.md)
    SpectrumOptions spectrum;            // Welch averaged spectrum (always computed)
    bool spectrogram = false;            // STFT frames (for the PNG plot); bounded, see SpectrogramOptions
    SpectrogramOptions spectrogram_options;
    bool vectorscope = false;            // decimated M/S point cloud (for the PNG plot)
    bool waveform = false;               // min/max overview per channel (FileAnalysis::waveform)
    int waveform_columns = 4096;         // its bound, >= 1
    int64_t block_frames = 65536;        // streaming block; results do not depend on it
    bool parallel = true;                // run the meters of a block on several threads
    // Called on the calling thread after every block with the fraction of
    // the file streamed (0..1, non-decreasing), and once with 1 at the end.
    std::function<void(double fraction)> progress;
    // Read before every block; once true, analyze_file returns
    // cancelled_error("cancelled") (engine/core/cancel.h, ErrorCode::Cancelled).
    const std::atomic<bool>* cancel = nullptr;
};

struct FileAnalysis {
    std::string file;
    AudioInfo info;
    double duration_s = 0.0;
    // Loudness (LUFS / LU); nullopt = −∞ or undefined, reported as null.
    std::optional<double> integrated_lufs, momentary_max_lufs, short_term_max_lufs;
    std::optional<double> lra_lu, lra_low_lufs, lra_high_lufs;
    std::optional<double> true_peak_dbtp;
    // Where the maxima are (seconds from the start; nullopt with the value):
    // the true peak's sample or inter-sample interval (±0.5 sample), and the
    // END of the momentary (400 ms) / short-term (3 s) window with the
    // maximum, i.e. the time at which the meter and the series show it.
    std::optional<double> true_peak_max_s, momentary_max_s, short_term_max_s;
    std::vector<double> channel_true_peak;   // linear, per channel
    std::vector<double> channel_sample_peak; // linear
    std::vector<double> channel_rms;         // linear
    int64_t inter_sample_overs = 0;          // summed over channels
    // Linear values; reported in dBFS, null for silence.
    double sample_peak = 0.0;
    double rms = 0.0;
    std::optional<double> correlation;       // stereo files only (channels 0 and 1); null for silence or mono
    std::optional<StereoImage> stereo;       // stereo files only
    std::optional<double> mono_loss_lu;      // integrated loss when folded to mono (L+R)/2, stereo only
    Spectrum spectrum;                       // of the channel average (mid for stereo)
    Spectrum spectrum_max_hold;              // the same signal, per bin max over the Welch segments
    std::optional<Spectrum> side_spectrum;   // stereo only: of (L − R)/2, Welch average
    std::optional<Spectrum> side_spectrum_max_hold;   // stereo only
    std::optional<WaveformOverview> waveform;         // options.waveform only
    std::optional<Spectrogram> spectrogram;
    FileChecks checks;
    LoudnessSeries series;                   // empty unless options.series
};

// Streams the file once (opened at its own rate, up to 8 channels).
// Errors: the audio I/O errors (naming the file), NaN/Inf samples
// (BadAudio), more than 8 channels (NotSupported), options.cancel set
// (Cancelled).
Result<FileAnalysis> analyze_file(const std::filesystem::path& file, const AnalyzeOptions& options = {});

// The contract's keys (snake_case, units in the name; null for −∞), plus
// extra detail under "channels_detail", "stereo", "spectrum", "checks"; the
// series under "series" and the overview under "waveform" when they were
// measured. Keys are documented in docs/analysis.md.
nlohmann::json to_json(const FileAnalysis& analysis);

}  // namespace sf::analysis
