// Stemforge tests — the chorus definition (DESIGN.md, "Session v1
// additions") evaluated directly in double, written independently of
// engine/dsp/chorus.*: the LFO sine of the whole argument, the read position
// n − d·fs/1000, and the textbook cubic Hermite basis with Catmull-Rom
// tangents.
#pragma once

#include <cmath>
#include <cstdint>
#include <numbers>

#include "engine/session/session.h"

namespace sf::test {

// y_c(n) of the chorus `s` at sample rate fs; x(j) gives channel c's input
// at timeline frame j (0 before its first sample and after its last).
template <class Input>
double chorus_oracle(const ChorusSpec& s, int fs, int c, int64_t n, Input&& x) {
    const double pi = std::numbers::pi;
    double sum = 0.0;
    for (int v = 0; v < s.voices; ++v) {
        const double d_ms = s.delay_ms + s.depth_ms * std::sin(2 * pi * s.rate_hz * static_cast<double>(n) / fs + 2 * pi * v / s.voices +
                                                              c * s.stereo_phase_deg * pi / 180.0);
        const double pos = static_cast<double>(n) - d_ms * fs / 1000.0;
        const double i0 = std::floor(pos);
        const double t = pos - i0;
        const auto i = static_cast<int64_t>(i0);
        const double p0 = x(i - 1), p1 = x(i), p2 = x(i + 1), p3 = x(i + 2);
        const double m1 = (p2 - p0) / 2, m2 = (p3 - p1) / 2;  // Catmull-Rom tangents
        const double t2 = t * t, t3 = t2 * t;
        sum += (2 * t3 - 3 * t2 + 1) * p1 + (t3 - 2 * t2 + t) * m1 + (-2 * t3 + 3 * t2) * p2 + (t3 - t2) * m2;
    }
    return (1.0 - s.mix) * x(n) + s.mix * sum / s.voices;
}

}  // namespace sf::test
