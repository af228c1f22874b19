// Stemforge — the compressor stage: definition and CPU reference.
//
// Feed-forward, stereo-linked, gain computed and smoothed in dB (Giannoulis,
// Massberg & Reiss, "Digital Dynamic Range Compressor Design — A Tutorial and
// Analysis", JAES 2012: static curve eq. 4, smooth branching detector in the
// log domain). The GPU twin must run exactly this recursion, per sample n, in
// double precision, with the signal multiplied in float:
//
//  1. detector input x_c (all C channels of the detector signal, linked: the
//     stage's own input, or with `sidechain` the key's channels; with
//     `sidechain_eq` that signal filtered by the EQ — see cpu_mixer.h):
//       peak: d[n] = max_c |x_c[n]|               level  L[n] = 20·log10(max(d[n], 1e−10))
//       rms:  p[n] = α_rms·p[n−1] + (1 − α_rms)·(1/C)·Σ_c x_c[n]²,  p[−1] = 0
//             level L[n] = 10·log10(max(p[n], 1e−20))
//             α_rms = exp(−1 / (kRmsWindowMs/1000 · fs))
//  2. static curve (threshold T dB, ratio R, knee W dB; W = 0 is a hard knee):
//       2(L − T) <  −W : G(L) = L
//       2|L − T| <=  W : G(L) = L + (1/R − 1)·(L − T + W/2)² / (2W)
//       2(L − T) >   W : G(L) = T + (L − T)/R
//     gain reduction r[n] = L[n] − G(L[n])  (>= 0 dB)
//  3. smoothing (branching, s[−1] = 0):
//       s[n] = α_A·s[n−1] + (1 − α_A)·r[n]   if r[n] > s[n−1]   (attack)
//       s[n] = α_R·s[n−1] + (1 − α_R)·r[n]   otherwise          (release)
//       α_A = exp(−1 / (attack_ms/1000 · fs)) (0 when attack_ms = 0),
//       α_R = exp(−1 / (release_ms/1000 · fs))
//     So attack_ms / release_ms are time constants: after a step of the
//     gain reduction, s covers 1 − 1/e (63.2 %) of the step in that time.
//  4. output: y_c[n] = x_c[n] · 10^((makeup_db − s[n]) / 20)
//
// No look-ahead, latency 0. State (p, s) carries across process() calls, so
// a run split into blocks of any size equals a whole-buffer run exactly.
#pragma once

#include <cstdint>

#include "engine/session/session.h"

namespace sf {

inline constexpr double kRmsWindowMs = 10.0;  // the RMS detector's averaging time constant

// The static curve G(L) − L in dB (<= 0 before makeup), step 2 above.
double compressor_static_gain_db(const CompressorSpec& spec, double level_db);

struct CompressorCoefficients {
    double threshold_db, ratio, knee_db, makeup_db;
    double attack_coef, release_coef, rms_coef;  // α_A, α_R, α_rms
    bool rms;
};
CompressorCoefficients compressor_coefficients(const CompressorSpec& spec, int sample_rate);

class Compressor {
public:
    Compressor() = default;
    Compressor(const CompressorSpec& spec, int sample_rate);

    // In place on `channels` planar channels of `frames` samples.
    void process(float* const* channels, int num_channels, int64_t frames) {
        process(channels, num_channels, channels, num_channels, frames);
    }
    // Sidechain: the detector (step 1, linked over its channels) reads
    // `detector` (the key, or a filtered copy of the own signal); the gain
    // multiplies `channels`. `detector` may be `channels` (read before written).
    void process(float* const* channels, int num_channels, const float* const* detector, int detector_channels,
                 int64_t frames);
    void reset() { power_ = 0.0; reduction_db_ = 0.0; }

    double reduction_db() const { return reduction_db_; }  // s[n] of the last sample

private:
    CompressorSpec spec_;
    CompressorCoefficients k_{};
    double power_ = 0.0;        // p[n−1]
    double reduction_db_ = 0.0; // s[n−1]
};

}  // namespace sf
