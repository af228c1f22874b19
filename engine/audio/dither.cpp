#include "engine/audio/dither.h"

#include <cmath>

namespace sf {

Quantizer::Quantizer(int bits, Dither dither, uint64_t seed)
    : bits_(bits), dither_(dither), random_(seed), scale_(std::ldexp(1.0, bits - 1)) {
    max_code_ = scale_ - 1.0;
    min_code_ = -scale_;
}

int32_t Quantizer::quantize(float sample) {
    double w = static_cast<double>(sample) * scale_;  // in LSBs
    if (dither_ == Dither::TpdfShaped) w -= error_1_ - 0.5 * error_2_;
    double d = 0.0;
    if (dither_ != Dither::None) d = random_.uniform() - random_.uniform();  // TPDF, ±1 LSB
    double q = std::nearbyint(w + d);
    if (q > max_code_) q = max_code_;
    if (q < min_code_) q = min_code_;
    if (dither_ == Dither::TpdfShaped) {
        // Clipping errors are not fed back: they would make the loop unstable.
        double e = q - w;
        if (e > 2.0) e = 2.0;
        if (e < -2.0) e = -2.0;
        error_2_ = error_1_;
        error_1_ = e;
    }
    return static_cast<int32_t>(q) * static_cast<int32_t>(1u << (32 - bits_));
}

}  // namespace sf
