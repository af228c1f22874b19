// Stemforge — the one true-peak interpolator (see true_peak.h).
#include "engine/dsp/true_peak.h"

#include <algorithm>
#include <array>
#include <cassert>
#include <cmath>
#include <complex>
#include <cstring>
#include <numbers>

namespace sf {

namespace {

constexpr int kL = kTruePeakOversampling;
constexpr int kT = kTruePeakTapsPerPhase;
constexpr int kHist = kT - 1;
constexpr int kLanes = kTruePeakGroup;   // outputs per register group
static_assert(kT % 2 == 0 && kL >= 2);

double bessel_i0(double x) {
    // Power series; terms fall below 1e-18 of the sum within ~40 terms for β = 8.
    double sum = 1.0, term = 1.0;
    for (int k = 1; k < 100; ++k) {
        term *= (x / (2.0 * k)) * (x / (2.0 * k));
        sum += term;
        if (term < 1e-18 * sum) break;
    }
    return sum;
}

std::vector<double> design() {
    std::vector<double> h(static_cast<size_t>(kL * kT));
    const double radius = kT / 2.0;
    const double i0_beta = bessel_i0(kTruePeakKaiserBeta);
    for (int k = 0; k < kL; ++k) {
        double sum = 0.0;
        for (int j = 0; j < kT; ++j) {
            const double v = static_cast<double>(k) / kL - (j - (kT / 2 - 1));   // time from the tap to the output, in samples
            // Phase 0 lands on the samples: sinc is exactly 1 at 0 and 0 at the other integers.
            const double sinc = k == 0 ? (v == 0.0 ? 1.0 : 0.0) : std::sin(std::numbers::pi * v) / (std::numbers::pi * v);
            const double q = v / radius;
            const double w = bessel_i0(kTruePeakKaiserBeta * std::sqrt(std::max(0.0, 1.0 - q * q))) / i0_beta;
            h[static_cast<size_t>(k * kT + j)] = sinc * w;
            sum += sinc * w;
        }
        // Unit DC gain per phase: a constant reads exactly its value.
        for (int j = 0; j < kT; ++j) h[static_cast<size_t>(k * kT + j)] /= sum;
    }
    return h;
}

// The float taps of phases 1..L−1, [k − 1][j].
struct FloatTaps {
    std::array<std::array<float, kT>, kL - 1> h;
    double l1_max = 0.0;
};

const FloatTaps& float_taps() {
    static const FloatTaps t = [] {
        FloatTaps f;
        const auto& h = true_peak_taps();
        for (int k = 1; k < kL; ++k) {
            double l1 = 0.0;
            for (int j = 0; j < kT; ++j) {
                f.h[static_cast<size_t>(k - 1)][static_cast<size_t>(j)] = static_cast<float>(h[static_cast<size_t>(k * kT + j)]);
                l1 += std::abs(static_cast<double>(f.h[static_cast<size_t>(k - 1)][static_cast<size_t>(j)]));
            }
            f.l1_max = std::max(f.l1_max, l1);
        }
        f.l1_max *= 1.0 + 1e-5;   // room for the float rounding of the dot products
        return f;
    }();
    return t;
}

typedef float v8 __attribute__((vector_size(32)));

// out[g·8 + u] for groups g: the between-sample peak of the position whose
// support starts at w[g·8 + u]. Every output is computed by the same
// instruction sequence (no scalar tail: the caller pads), so a value does
// not depend on where a block starts.
void between_peaks(const float* w, int64_t groups, float* out) {
    const FloatTaps& t = float_taps();
    for (int64_t g = 0; g < groups; ++g) {
        const float* x = w + g * kLanes;
        v8 acc[kL - 1] = {};
        for (int j = 0; j < kT; ++j) {
            v8 xv;
            std::memcpy(&xv, x + j, sizeof xv);
            for (int k = 0; k < kL - 1; ++k) acc[k] += t.h[static_cast<size_t>(k)][static_cast<size_t>(j)] * xv;
        }
        v8 peak = acc[0] > -acc[0] ? acc[0] : -acc[0];
        for (int k = 1; k < kL - 1; ++k) {
            const v8 a = acc[k] > -acc[k] ? acc[k] : -acc[k];
            peak = a > peak ? a : peak;
        }
        std::memcpy(out + g * kLanes, &peak, sizeof peak);
    }
}

}  // namespace

const std::vector<double>& true_peak_taps() {
    static const std::vector<double> h = design();
    return h;
}

void true_peak_between(const float* x, int64_t groups, float* out) { between_peaks(x, groups, out); }

double true_peak_l1_max() { return float_taps().l1_max; }

double true_peak_response_db(double freq_hz, double rate_hz) {
    // The L phases interleaved form one FIR at L × rate: tap (d, k) sits at
    // time d − k/L (in input samples) of the prototype.
    const auto& h = true_peak_taps();
    std::complex<double> sum = 0.0;
    const double w = 2.0 * std::numbers::pi * freq_hz / rate_hz;
    for (int k = 0; k < kL; ++k)
        for (int j = 0; j < kT; ++j) {
            const double t = (j - (kT / 2 - 1)) - static_cast<double>(k) / kL;
            sum += h[static_cast<size_t>(k * kT + j)] * std::polar(1.0, -w * t);
        }
    return 20.0 * std::log10(std::abs(sum) / kL);
}

TruePeakStream::TruePeakStream() { reset(); }

void TruePeakStream::reset() {
    work_.assign(static_cast<size_t>(kHist), 0.0f);
    seen_ = 0;
}

void TruePeakStream::process(const float* x, int64_t n, float* between, float* centre) {
    assert(n >= 0);
    if (n == 0) return;
    const int64_t groups = (n + kLanes - 1) / kLanes;
    const size_t need = static_cast<size_t>(kHist + groups * kLanes + kLanes);
    if (work_.size() < need) work_.resize(need);
    float* w = work_.data();
    std::copy_n(x, n, w + kHist);
    std::fill(w + kHist + n, w + need, 0.0f);   // padding: computed, never returned
    if (groups * kLanes == n) {
        between_peaks(w, groups, between);
    } else {
        between_peaks(w, groups - 1, between);
        float last[kLanes];
        between_peaks(w + (groups - 1) * kLanes, 1, last);
        std::copy_n(last, n - (groups - 1) * kLanes, between + (groups - 1) * kLanes);
    }
    if (centre) std::copy_n(w + (kT / 2 - 1), n, centre);   // x[m], m = seen + i − T/2
    std::copy_n(w + n, kHist, w);
    seen_ += n;
}

void TruePeakStream::skip(const float* x, int64_t n) {
    assert(n >= 0);
    float* w = work_.data();
    if (n >= kHist) {
        std::copy_n(x + n - kHist, kHist, w);
    } else {
        std::copy(w + n, w + kHist, w);
        std::copy_n(x, n, w + kHist - n);
    }
    seen_ += n;
}

float TruePeakStream::history_abs_max() const {
    float m = 0.0f;
    for (int i = 0; i < kHist; ++i) m = std::max(m, std::abs(work_[static_cast<size_t>(i)]));
    return m;
}

}  // namespace sf
