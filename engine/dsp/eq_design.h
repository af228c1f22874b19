// Stemforge — the EQ stage's definition: band magnitudes and the FIR design.
//
// One definition, shared by the CPU reference (engine/render/cpu_mixer.cpp
// applies the taps with engine/dsp/fft_convolver.h) and its GPU twin
// (gpu/stages/eq.*): the GPU consumes EqDesign::taps as they are (double,
// convert to float once) and must apply them as the causal FIR
// y[n] = Σ_k taps[k]·x[n−k].
//
// Magnitude (DESIGN.md "Semantics"), f in Hz, fs the session rate:
// - bell, lowshelf, highshelf, notch, bandpass: |H(e^{jω})| of the RBJ Audio
//   EQ Cookbook *digital* biquad (ω = 2πf/fs), i.e. what scipy.signal.freqz
//   gives for the cookbook coefficients. A = 10^(gain_db/40), ω0 = 2π f0/fs,
//   α = sin ω0 / (2Q); shelves use the cookbook's Q form
//   (2√A·α appears in their coefficients); bandpass is the "constant 0 dB
//   peak gain" form (b = [α, 0, −α]); notch is b = [1, −2cos ω0, 1].
// - highpass / lowpass: a Butterworth of order N = slope_db_oct/6 designed by
//   the bilinear transform with prewarping (scipy.signal.butter(N, f0, fs=fs)):
//   |H|² = 1 / (1 + (t/t0)^(2N)) (lowpass), 1 / (1 + (t0/t)^(2N)) (highpass),
//   t = tan(πf/fs), t0 = tan(π f0/fs).
// - bands multiply; an empty band list is the identity.
//
// FIR design (done once, in double precision):
// - The target magnitude is sampled on an M = 2·L point grid (L = FIR length
//   class, a power of two); its inverse FFT gives the zero-phase response.
// - linear: the L+1 taps centred on tap L/2 (exactly symmetric), windowed by a
//   Tukey taper over the outer quarter at each end. Latency L/2 frames: the
//   renderer compensates it, so the output is time-aligned with the input.
// - minimum: cepstral method on the same grid (real cepstrum of ln|H| with
//   |H| floored at kMinimumPhaseFloorDb, folded onto positive quefrencies,
//   exponentiated; the floor is −80 dB here, far below the −60 dB accuracy
//   mask, because an exact null has an unbounded cepstrum), first L taps, Tukey taper over the last quarter. Causal:
//   latency 0, no energy before the input.
// - notch numerators (zeros on the unit circle) are factored out: the FIR is
//   designed for the rest of the magnitude and convolved with the exact
//   3-tap numerators 1 − 2cos ω0·z⁻¹ + z⁻² (scaled), 2 taps longer each.
// - L starts at kMinFirLength and doubles (up to kMaxFirLength) until the
//   taps' own response, evaluated on a grid 4× finer than the design grid,
//   is within kDesignToleranceDb of the target at every grid frequency in
//   [20 Hz, min(20 kHz, 0.49·fs)] where the target is above −60 dB.
#pragma once

#include <cstdint>
#include <vector>

#include "engine/core/error.h"
#include "engine/dsp/biquad.h"
#include "engine/session/session.h"

namespace sf {

// The cookbook biquad of a bell/lowshelf/highshelf/notch/bandpass band.
// Precondition (asserted): not highpass/lowpass; 0 < freq_hz < fs/2; q > 0.
Biquad rbj_biquad(const EqBand& band, double sample_rate);

// Linear magnitude |H(f)| of one band / of a whole EQ (product of bands).
// 0 <= freq_hz <= fs/2.
double eq_band_magnitude(const EqBand& band, double freq_hz, double sample_rate);
double eq_magnitude(const EqSpec& spec, double freq_hz, double sample_rate);

inline constexpr int64_t kMinFirLength = 4096;
inline constexpr int64_t kMaxFirLength = int64_t{1} << 20;
inline constexpr double kDesignToleranceDb = 0.02;
inline constexpr double kMagnitudeFloorDb = -150.0;   // linear mode
inline constexpr double kMinimumPhaseFloorDb = -80.0;  // minimum mode: keeps the cepstrum of deep nulls short

struct EqDesign {
    EqMode mode = EqMode::Linear;
    std::vector<double> taps{1.0};  // causal FIR; {1} = identity
    int64_t latency_frames = 0;     // linear: (taps.size() − 1) / 2 (taps are symmetric about it); minimum: 0
    double max_error_db = 0.0;      // worst verified |response − target| on the check grid
    bool identity() const { return taps.size() == 1 && taps[0] == 1.0; }
};

// Designs the FIR. Errors: sample_rate <= 0 or a band outside the parser's
// ranges (InvalidArgument). If even kMaxFirLength misses the tolerance (a
// very narrow band at a very low frequency) the longest design is returned
// with its max_error_db: callers may report it, the render proceeds.
Result<EqDesign> design_eq(const EqSpec& spec, int sample_rate);

}  // namespace sf
