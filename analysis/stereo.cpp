#include "analysis/stereo.h"

#include <algorithm>
#include <cmath>
#include <limits>
#include <numbers>

namespace sf::analysis {

namespace {

std::optional<double> correlation_of(double ll, double rr, double lr) {
    const double d = ll * rr;
    if (!(d > 0.0)) return std::nullopt;
    return std::clamp(lr / std::sqrt(d), -1.0, 1.0);
}

}  // namespace

std::vector<OctaveCorrelation> octave_correlation(const WelchAnalyzer& welch) {
    std::vector<OctaveCorrelation> out;
    if (welch.inputs() != 2) return out;
    const Spectrum l = welch.input_spectrum(0), r = welch.input_spectrum(1);
    const std::vector<double> cross = welch.cross_real();
    const double nyquist = l.sample_rate / 2.0;
    const double bin = l.bin_hz();
    // Parseval: the band-limited signals' energies and inner product are the
    // sums of the (windowed, averaged) auto and cross spectra over the band.
    for (double fc = 31.25; fc * std::numbers::sqrt2 <= nyquist; fc *= 2.0) {
        const auto lo = std::max<size_t>(1, static_cast<size_t>(std::ceil(fc / std::numbers::sqrt2 / bin)));
        const auto hi = std::min(static_cast<size_t>(std::floor(fc * std::numbers::sqrt2 / bin)), l.power.size() - 1);
        double ll = 0.0, rr = 0.0, lr = 0.0;
        for (size_t k = lo; k <= hi; ++k) {
            ll += l.power[k];
            rr += r.power[k];
            lr += cross[k];
        }
        out.push_back({fc, correlation_of(ll, rr, lr)});
    }
    return out;
}

StereoMeter::StereoMeter(double sample_rate, int64_t total_frames, int max_points)
    : window_(std::max<int64_t>(1, std::llround(sample_rate * 0.1))), max_points_(total_frames > 0 ? max_points : 0) {
    if (max_points_ > 0) {
        decimate_ = std::max<int64_t>(1, (total_frames + max_points_ - 1) / max_points_);
        side_.reserve(static_cast<size_t>(max_points_));
        mid_.reserve(static_cast<size_t>(max_points_));
    }
}

void StereoMeter::add(const float* left, const float* right, int64_t frames) {
    double ll = 0.0, rr = 0.0, lr = 0.0;
    int64_t i = 0;
    while (i < frames) {
        const int64_t n = std::min(frames - i, window_ - in_window_);
        double wll = 0.0, wrr = 0.0, wlr = 0.0;
        for (int64_t k = i; k < i + n; ++k) {
            const double l = left[k], r = right[k];
            wll += l * l;
            wrr += r * r;
            wlr += l * r;
        }
        wll_ += wll;
        wrr_ += wrr;
        wlr_ += wlr;
        ll += wll;
        rr += wrr;
        lr += wlr;
        in_window_ += n;
        i += n;
        if (in_window_ == window_) {
            over_time_.push_back(correlation_of(wll_, wrr_, wlr_).value_or(std::numeric_limits<double>::quiet_NaN()));
            wll_ = wrr_ = wlr_ = 0.0;
            in_window_ = 0;
        }
    }
    ll_ += ll;
    rr_ += rr;
    lr_ += lr;
    if (decimate_ > 0) {
        constexpr float kInvSqrt2 = 0.70710678f;
        // The next kept sample is the first index with (count_ + idx) % decimate_ == 0.
        int64_t first = (decimate_ - count_ % decimate_) % decimate_;
        for (int64_t k = first; k < frames && static_cast<int64_t>(side_.size()) < max_points_; k += decimate_) {
            side_.push_back((left[k] - right[k]) * kInvSqrt2);
            mid_.push_back((left[k] + right[k]) * kInvSqrt2);
        }
        count_ += frames;
    }
}

StereoImage StereoMeter::result(const WelchAnalyzer* welch) const {
    StereoImage s;
    s.correlation = correlation_of(ll_, rr_, lr_);
    if (ll_ > 0.0 && rr_ > 0.0) s.balance_db = 10.0 * std::log10(ll_ / rr_);
    // M² = (L² + R² + 2LR)/2, S² = (L² + R² − 2LR)/2
    const double mm = (ll_ + rr_ + 2.0 * lr_) / 2.0, ss = (ll_ + rr_ - 2.0 * lr_) / 2.0;
    if (mm > 0.0) s.side_mid_ratio = std::max(0.0, ss) / mm;
    s.correlation_over_time = over_time_;
    if (welch) s.octaves = octave_correlation(*welch);
    s.vectorscope_side = side_;
    s.vectorscope_mid = mid_;
    return s;
}

}  // namespace sf::analysis
