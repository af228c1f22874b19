// Stemforge — the one biquad type: coefficients and their analytic response.
// Used by the EQ definition (engine/dsp/eq_design.h: cookbook bands, notch
// denominators) and the BS.1770 K-weighting (analysis/loudness.h), whose
// filter loop runs these coefficients in transposed direct form II.
#pragma once

#include <cmath>
#include <complex>
#include <numbers>

namespace sf {

// Normalised biquad (a0 = 1): H(z) = (b0 + b1 z⁻¹ + b2 z⁻²) / (1 + a1 z⁻¹ + a2 z⁻²),
// i.e. y[n] = b0·x[n] + b1·x[n−1] + b2·x[n−2] − a1·y[n−1] − a2·y[n−2].
struct Biquad {
    double b0 = 1, b1 = 0, b2 = 0, a1 = 0, a2 = 0;

    // |H(e^{jω})|, ω = 2π·freq_hz/sample_rate; 0 <= freq_hz <= sample_rate/2.
    double magnitude(double freq_hz, double sample_rate) const {
        const std::complex<double> z1 = std::polar(1.0, -2.0 * std::numbers::pi * freq_hz / sample_rate);  // z^-1
        const std::complex<double> z2 = z1 * z1;
        return std::abs(b0 + b1 * z1 + b2 * z2) / std::abs(1.0 + a1 * z1 + a2 * z2);
    }
    // The same in dB (−inf at an exact zero).
    double magnitude_db(double freq_hz, double sample_rate) const { return 20.0 * std::log10(magnitude(freq_hz, sample_rate)); }
};

}  // namespace sf
