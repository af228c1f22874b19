// Stemforge — stereo image of a two-channel signal (L = channel 0, R = 1).
//
//   correlation   r = Σ L·R / sqrt(Σ L² · Σ R²) (the phase-meter definition:
//                 no mean removal), +1 mono, 0 uncorrelated, −1 inverted
//   balance_db    10·log10(Σ L² / Σ R²), positive = left louder
//   side_mid      Σ S² / Σ M² with M = (L+R)/√2, S = (L−R)/√2: 0 = mono,
//                 1 = uncorrelated equal channels ("width"), ∞ = inverted
//   per octave    correlation of the octave-band signals, from the Welch
//                 auto/cross spectra of L and R (Parseval), bands centred on
//                 31.25·2^k Hz below Nyquist
//   over time     correlation of consecutive 100 ms windows
//   vectorscope   (side, mid) points, decimated to at most max_points
// Undefined values (a silent channel) are nullopt / NaN, reported as null.
#pragma once

#include <cstdint>
#include <optional>
#include <vector>

#include "analysis/spectrum.h"

namespace sf::analysis {

struct OctaveCorrelation {
    double centre_hz = 0.0;
    std::optional<double> correlation;
};

struct StereoImage {
    std::optional<double> correlation;
    std::optional<double> balance_db;
    std::optional<double> side_mid_ratio;          // linear energy ratio
    double correlation_hop_s = 0.1;
    std::vector<double> correlation_over_time;     // NaN where a window is silent
    std::vector<OctaveCorrelation> octaves;
    std::vector<float> vectorscope_side, vectorscope_mid;
};

// Correlation per octave band from the accumulated Welch spectra of a
// two-input analyzer (input 0 = L, input 1 = R).
std::vector<OctaveCorrelation> octave_correlation(const WelchAnalyzer& welch);

class StereoMeter {
public:
    // total_frames sizes the vectorscope decimation (0: no vectorscope).
    StereoMeter(double sample_rate, int64_t total_frames, int max_points = 20000);
    void add(const float* left, const float* right, int64_t frames);
    // Completes the image; pass the two-input Welch analyzer of the same
    // signal for the per-octave correlation (or nullptr).
    StereoImage result(const WelchAnalyzer* welch) const;

private:
    double ll_ = 0.0, rr_ = 0.0, lr_ = 0.0;
    int64_t window_ = 0, in_window_ = 0;
    double wll_ = 0.0, wrr_ = 0.0, wlr_ = 0.0;
    std::vector<double> over_time_;
    int64_t decimate_ = 0, count_ = 0;
    int64_t max_points_ = 0;
    std::vector<float> side_, mid_;
};

}  // namespace sf::analysis
