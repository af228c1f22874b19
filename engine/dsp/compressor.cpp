#include "engine/dsp/compressor.h"

#include <algorithm>
#include <cmath>

namespace sf {

double compressor_static_gain_db(const CompressorSpec& spec, double level_db) {
    const double T = spec.threshold_db, R = spec.ratio, W = spec.knee_db;
    const double over = level_db - T;
    double out;
    if (2.0 * over < -W) {
        out = level_db;
    } else if (W > 0.0 && 2.0 * std::abs(over) <= W) {
        const double t = over + W / 2.0;
        out = level_db + (1.0 / R - 1.0) * t * t / (2.0 * W);
    } else {
        out = T + over / R;
    }
    return out - level_db;
}

CompressorCoefficients compressor_coefficients(const CompressorSpec& spec, int sample_rate) {
    auto coef = [&](double ms) { return ms > 0.0 ? std::exp(-1.0 / (ms / 1000.0 * sample_rate)) : 0.0; };
    return CompressorCoefficients{spec.threshold_db, spec.ratio,        spec.knee_db,        spec.makeup_db,
                                  coef(spec.attack_ms), coef(spec.release_ms), coef(kRmsWindowMs),
                                  spec.detector == Detector::Rms};
}

Compressor::Compressor(const CompressorSpec& spec, int sample_rate)
    : spec_(spec), k_(compressor_coefficients(spec, sample_rate)) {}

void Compressor::process(float* const* channels, int num_channels, const float* const* detector, int detector_channels,
                         int64_t frames) {
    // 20·log10(x) = (20/ln 10)·ln(x) and 10^(y/20) = exp(y·ln 10/20): the same
    // quantities in double, about twice as fast as log10/pow.
    constexpr double kDbPerNeper = 8.6858896380650365530;   // 20 / ln 10
    constexpr double kNeperPerDb = 0.11512925464970228420;  // ln 10 / 20
    const double inv_c = 1.0 / detector_channels;
    double p = power_, s = reduction_db_;
    for (int64_t n = 0; n < frames; ++n) {
        double level_db;
        if (k_.rms) {
            double sum = 0.0;
            for (int c = 0; c < detector_channels; ++c) {
                const double x = detector[c][n];
                sum += x * x;
            }
            p = k_.rms_coef * p + (1.0 - k_.rms_coef) * sum * inv_c;
            level_db = 0.5 * kDbPerNeper * std::log(std::max(p, 1e-20));
        } else {
            double d = 0.0;
            for (int c = 0; c < detector_channels; ++c) d = std::max(d, static_cast<double>(std::abs(detector[c][n])));
            level_db = kDbPerNeper * std::log(std::max(d, 1e-10));
        }
        const double r = -compressor_static_gain_db(spec_, level_db);
        const double a = r > s ? k_.attack_coef : k_.release_coef;
        s = a * s + (1.0 - a) * r;
        const float g = static_cast<float>(std::exp((k_.makeup_db - s) * kNeperPerDb));
        for (int c = 0; c < num_channels; ++c) channels[c][n] *= g;
    }
    power_ = p;
    reduction_db_ = s;
}

}  // namespace sf
