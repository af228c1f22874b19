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
// FIR design (done once, in double precision, deterministic). L, the FIR
// length class, is a power of two in [kMinFirLength, kMaxFirLength]; the
// design grid has M = 2L points, the check grid K = 8L (4× finer). Checks
// run on the check grid in double, on the taps as returned.
//
// linear (zero phase). Taps: the L+1 taps centred on tap L/2 (exactly
// symmetric) of the inverse FFT of the design target T̃ (below) sampled on
// the design grid, windowed by a Tukey taper over the outer quarter at each
// end. Latency L/2 frames: the renderer compensates it, so the output is
// time-aligned with the input. A(f), the zero-phase response, is the taps'
// DFT times e^{+jωL/2}: real, since the taps are symmetric.
// - Nulls: the target's simple zeros on the unit circle (eq_null_frequencies):
//   a notch's f0, a bandpass's 0 and fs/2, an odd-order highpass's 0, an
//   odd-order lowpass's fs/2 (even orders give double zeros, no kink). At a
//   null ν, |H| has a V-shaped kink ∝ |f − ν| that a zero-phase FIR of
//   length L cannot follow closer than ~fs/L. Realising the zero exactly
//   carries its sign along (the 3-tap notch numerator's zero-phase response
//   2cos ω − 2cos ω0 is negative above f0: everything above the notch
//   polarity-inverted, which DESIGN.md forbids), and a window applied to the
//   raw kink leaves ringing beside a near-zero target, which nothing keeps
//   positive. So the kink is rounded off first, downwards:
// - T̃ = |H| · Π erf(|2 sin((ω − ν')/2)| / (√2·σ)), ω = 2πf/fs, over every
//   null ν and its images ν' ∈ {ν, −ν, 2π − ν}; σ = 2π·kNullSmoothingBins/L.
//   |H| contains the factor |2 sin((ω − ν')/2)| and x·erf(x/s) is analytic,
//   so T̃ is smooth (the window reproduces it closely, sign included),
//   0 <= T̃ <= |H|, and T̃ is within 0.0085 dB of |H| beyond
//   kNullGuardSigmas·σ from every null image.
// - Guard bands: the frequencies within g = eq_null_guard_hz(L, fs)
//   = kNullGuardSigmas·kNullSmoothingBins·fs/L Hz of a null ν or of its
//   images −ν and fs − ν (EqDesign::null_guard_hz).
// - Contract (what the checks verify and the tests measure), f in [0, fs/2]:
//   (a) sign: A(f) >= −10^(kSignFloorDb/20) everywhere, so the phase is 0,
//       never π, wherever |A| is above −80 dB (DESIGN.md asks −60 dB);
//   (b) outside the guard bands: |20·log10(A/|H|)| <= kDesignToleranceDb at
//       every f in [20 Hz, min(20 kHz, 0.49·fs)] where |H| > −60 dB;
//   (c) inside the guard bands: A <= |H|·10^(kDesignToleranceDb/20) + 10^(−60/20):
//       with (a), 0 <= A <= |H| up to −60 dB, i.e. a null is at least as deep
//       as specified and widened by at most the guard band; the absolute
//       error there is at most |H| (+ −60 dB).
// - Length rule: L0 = the smallest L >= kMinFirLength at which every null's
//   guard band lies inside its own band's −3 dB region (the band's |H| <=
//   kNullGuardMaxBandGain at ν ± g: the specified −3 dB bandwidth of a notch
//   survives), but at most kMaxNullFirLength (a null narrower than that gets
//   the wider guard g(kMaxNullFirLength)). From L0, L doubles until (a), (b)
//   and (c) hold, or L = kMaxFirLength. Stacked nulls thus never lengthen
//   the FIR beyond what the narrowest one alone needs.
// - At kMaxFirLength, if (a) fails (features narrower than even that length
//   resolves, e.g. a Q 100 +48 dB bell 1 Hz from a Q 100 notch, ring through
//   zero), the taps are instead g ⋆ g, g the L/2+1 symmetric taps designed
//   as above for √T̃: their zero-phase response G(ω)² is >= 0 whatever g is.
//   (b) and (c) are then only reported (max_error_db).
//
// minimum. Taps: the first L samples of the impulse response of the product
// of the bands' own rational responses (the cookbook biquads; the
// Butterworth's analog prototype at the frequency the bilinear transform
// maps ω to, i.e. scipy.signal.butter's filter), sampled on the
// design grid, inverse FFT, Tukey taper over the last quarter. Every pole
// lies inside the unit circle and every zero inside or on it, and each
// band's h[0] > 0, so this is *the* minimum-phase response of the target
// magnitude (exactly, nulls included: a cepstral design needs |H| floored,
// which turns the zeros of a steep highpass into a different phase, up to π
// off near the corner). Causal: latency 0, no energy before the input.
// L starts at kMinFirLength and doubles until (b) holds without guard bands
// (the whole check band where |H| > −60 dB), or L = kMaxFirLength.
#pragma once

#include <cstdint>
#include <functional>
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
// Linear-mode nulls (see above). σ = kNullSmoothingBins·2π/L rad
// (kNullSmoothingBins·fs/L Hz): at 2, T̃'s rounded nulls (Gaussian-like
// transitions of width σ) are resolved by the taper's flat part with
// errors far under the tolerance, and no sign change. The guard, 3.3σ, is
// where erf(3.3/√2) = 1 − 0.97e-3 (0.0084 dB), leaving the rest of the
// 0.02 dB to the window. g = 6.6·fs/L Hz (19 Hz at L = 16384, 48 kHz).
inline constexpr double kNullSmoothingBins = 2.0;
inline constexpr double kNullGuardSigmas = 3.3;
inline constexpr double kNullGuardMaxBandGain = 0.70710678118654752;  // −3 dB
inline constexpr int64_t kMaxNullFirLength = int64_t{1} << 18;
inline constexpr double kSignFloorDb = -80.0;  // (a): 20 dB of margin under DESIGN.md's −60 dB for float application

struct EqDesign {
    EqMode mode = EqMode::Linear;
    std::vector<double> taps{1.0};  // causal FIR; {1} = identity
    int64_t latency_frames = 0;     // linear: (taps.size() − 1) / 2 (taps are symmetric about it); minimum: 0
    double max_error_db = 0.0;      // worst verified |response − target| on the check grid
    double null_guard_hz = 0.0;     // linear: g, the guard bands' half-width in Hz (0: no nulls; minimum: 0)
    bool identity() const { return taps.size() == 1 && taps[0] == 1.0; }
};

// Designs the FIR. Errors: sample_rate <= 0 or a band outside the parser's
// ranges (InvalidArgument). If even kMaxFirLength misses the tolerance (a
// very narrow band at a very low frequency) the longest design is returned
// with its max_error_db: callers may report it, the render proceeds. The
// sign contract (a) of linear mode holds in every case.
Result<EqDesign> design_eq(const EqSpec& spec, int sample_rate);

// A zero-phase FIR for an arbitrary magnitude |H(f)| (the master's match
// EQ): the linear mode's taps (L+1 taps symmetric about tap L/2, from the
// target sampled on the 2L grid, Tukey-tapered; latency L/2), L doubling
// from kMinFirLength until the zero-phase response is positive everywhere
// and within tolerance_db of the target at every check-grid frequency in
// [20 Hz, min(20 kHz, 0.49·fs)], or L = max_length (then max_error_db
// reports the miss). `magnitude` takes Hz in [0, fs/2] and must be finite
// and > 0 (InvalidArgument otherwise); a smooth curve (in log frequency)
// needs a short FIR, a curve with features narrower than fs/L a long one.
Result<EqDesign> design_linear_magnitude(const std::function<double(double)>& magnitude, int sample_rate, double tolerance_db,
                                         int64_t max_length);

// The nulls of one band in Hz, in [0, fs/2] (see "Nulls" above); empty for
// bell, shelves and even-order cuts.
std::vector<double> eq_null_frequencies(const EqBand& band, double sample_rate);
// g for length class L: kNullGuardSigmas·kNullSmoothingBins·fs/L Hz.
double eq_null_guard_hz(int64_t fir_length, double sample_rate);

}  // namespace sf
