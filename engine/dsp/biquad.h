// Stemforge — the one biquad type: coefficients and their analytic response.
// Used by the EQ definition (engine/dsp/eq_design.h: cookbook bands, notch
// denominators), the BS.1770 K-weighting (analysis/loudness.h) and the bus
// delay's feedback filters (engine/dsp/delay.h), whose filter loops run these
// coefficients in transposed direct form II (BiquadState).
#pragma once

#include <cmath>
#include <complex>
#include <numbers>

namespace sf {

// Normalised biquad (a0 = 1): H(z) = (b0 + b1 z⁻¹ + b2 z⁻²) / (1 + a1 z⁻¹ + a2 z⁻²),
// i.e. y[n] = b0·x[n] + b1·x[n−1] + b2·x[n−2] − a1·y[n−1] − a2·y[n−2].
struct Biquad {
    double b0 = 1, b1 = 0, b2 = 0, a1 = 0, a2 = 0;

    // H(e^{jω}), ω = 2π·freq_hz/sample_rate; 0 <= freq_hz <= sample_rate/2.
    std::complex<double> response(double freq_hz, double sample_rate) const {
        const std::complex<double> z1 = std::polar(1.0, -2.0 * std::numbers::pi * freq_hz / sample_rate);  // z^-1
        const std::complex<double> z2 = z1 * z1;
        return (b0 + b1 * z1 + b2 * z2) / (1.0 + a1 * z1 + a2 * z2);
    }
    // |H(e^{jω})|, same range.
    double magnitude(double freq_hz, double sample_rate) const {
        const std::complex<double> z1 = std::polar(1.0, -2.0 * std::numbers::pi * freq_hz / sample_rate);  // z^-1
        const std::complex<double> z2 = z1 * z1;
        return std::abs(b0 + b1 * z1 + b2 * z2) / std::abs(1.0 + a1 * z1 + a2 * z2);
    }
    // The same in dB (−inf at an exact zero).
    double magnitude_db(double freq_hz, double sample_rate) const { return 20.0 * std::log10(magnitude(freq_hz, sample_rate)); }
};

// Second-order Butterworth low-/high-pass at cutoff_hz by the bilinear
// transform with prewarping (what scipy.signal.butter(2, cutoff_hz, btype,
// fs=sample_rate) designs): with K = tan(π·cutoff_hz/fs) and
// n = 1 + √2·K + K², a1 = 2(K² − 1)/n, a2 = (1 − √2·K + K²)/n and
// lowpass b = K²/n·(1, 2, 1), highpass b = 1/n·(1, −2, 1).
// |H|² = 1/(1 + (t/K)⁴) (lowpass), 1/(1 + (K/t)⁴) (highpass), t = tan(πf/fs):
// −3.01 dB at the cutoff. Precondition: 0 < cutoff_hz < sample_rate/2.
inline Biquad butterworth2(bool highpass, double cutoff_hz, double sample_rate) {
    const double k = std::tan(std::numbers::pi * cutoff_hz / sample_rate);
    const double k2 = k * k;
    const double n = 1.0 + std::numbers::sqrt2 * k + k2;
    const double b0 = highpass ? 1.0 / n : k2 / n;
    return Biquad{b0, highpass ? -2.0 * b0 : 2.0 * b0, b0, 2.0 * (k2 - 1.0) / n, (1.0 - std::numbers::sqrt2 * k + k2) / n};
}

// The state of one biquad running in transposed direct form II, in double
// (as scipy.signal.sosfilt): y = b0·x + z1; z1 = b1·x − a1·y + z2; z2 = b2·x − a2·y.
struct BiquadState {
    double z1 = 0, z2 = 0;

    double step(const Biquad& q, double x) {
        const double y = q.b0 * x + z1;
        z1 = q.b1 * x - q.a1 * y + z2;
        z2 = q.b2 * x - q.a2 * y;
        return y;
    }
};

}  // namespace sf
