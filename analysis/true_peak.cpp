#include "analysis/true_peak.h"

#include <algorithm>
#include <cassert>
#include <cmath>
#include <complex>
#include <cstring>
#include <numbers>
#include <string>

namespace sf::analysis {

namespace {

constexpr int kL = kTruePeakOversampling;
constexpr int kT = kTruePeakTapsPerPhase;
constexpr int kLen = kL * kT + 1;     // 97 taps, centre kL * kT / 2
constexpr int kHist = kT - 1;          // input samples of history a phase needs
constexpr double kKaiserBeta = 8.0;
static_assert(kL == 4, "the blocked FIR in add() computes phases 1..3");

double bessel_i0(double x) {
    // Power series; converges fast for the β used here (terms < 1e-17 after ~30).
    double sum = 1.0, term = 1.0;
    const double q = x * x / 4.0;
    for (int k = 1; k < 60; ++k) {
        term *= q / (static_cast<double>(k) * k);
        sum += term;
        if (term < 1e-17 * sum) break;
    }
    return sum;
}

std::vector<double> design() {
    std::vector<double> h(kLen);
    const double centre = (kLen - 1) / 2.0;
    const double i0b = bessel_i0(kKaiserBeta);
    for (int n = 0; n < kLen; ++n) {
        const double t = (n - centre) / kL;   // in input samples
        const double sinc = t == 0.0 ? 1.0 : std::sin(std::numbers::pi * t) / (std::numbers::pi * t);
        const double r = (n - centre) / centre;
        h[static_cast<size_t>(n)] = sinc * bessel_i0(kKaiserBeta * std::sqrt(std::max(0.0, 1.0 - r * r))) / i0b;
    }
    // Each phase sums to exactly 1 so a constant reads exactly its value.
    for (int r = 0; r < kL; ++r) {
        double s = 0.0;
        for (int n = r; n < kLen; n += kL) s += h[static_cast<size_t>(n)];
        for (int n = r; n < kLen; n += kL) h[static_cast<size_t>(n)] /= s;
    }
    return h;
}

}  // namespace

const std::vector<double>& true_peak_interpolator() {
    static const std::vector<double> h = design();
    return h;
}

double interpolator_response_db(double freq_hz, double rate_hz) {
    const auto& h = true_peak_interpolator();
    std::complex<double> sum = 0.0;
    const double w = 2.0 * std::numbers::pi * freq_hz / (rate_hz * kL);
    for (size_t n = 0; n < h.size(); ++n) sum += h[n] * std::polar(1.0, -w * static_cast<double>(n));
    return 20.0 * std::log10(std::abs(sum) / kL);
}

Result<TruePeakMeter> TruePeakMeter::create(int channels) {
    if (channels < 1 || channels > 64)
        return fail(ErrorCode::InvalidArgument, "true peak: " + std::to_string(channels) + " channels outside 1..64");
    TruePeakMeter m;
    m.channels_ = channels;
    const auto& h = true_peak_interpolator();
    // Phase r (1..3): y[4n + r] = Σ_i h[4i + r] · x[n − i], i = 0..23. Stored
    // so that taps_[(r−1)·kT + j] multiplies x[n − 23 + j] (forward order).
    m.taps_.resize(static_cast<size_t>((kL - 1) * kT));
    for (int r = 1; r < kL; ++r)
        for (int i = 0; i < kT; ++i)
            m.taps_[static_cast<size_t>((r - 1) * kT + (kT - 1 - i))] = static_cast<float>(h[static_cast<size_t>(kL * i + r)]);
    for (int r = 0; r < kL - 1; ++r) {
        double l1 = 0.0;
        for (int j = 0; j < kT; ++j) l1 += std::abs(static_cast<double>(m.taps_[static_cast<size_t>(r * kT + j)]));
        m.l1_max_ = std::max(m.l1_max_, l1 * (1.0 + 1e-6));   // margin for float rounding of the dot product
    }
    m.reset();
    return m;
}

void TruePeakMeter::reset() {
    history_.assign(static_cast<size_t>(channels_ * kHist), 0.0f);
    seen_.assign(static_cast<size_t>(channels_), 0);
    tp_.assign(static_cast<size_t>(channels_), 0.0);
    sp_.assign(static_cast<size_t>(channels_), 0.0);
    overs_.assign(static_cast<size_t>(channels_), 0);
    in_over_.assign(static_cast<size_t>(channels_), 0);
}

void TruePeakMeter::add(const AudioBuffer& block, int64_t frames) {
    assert(block.channels() == channels_ && frames <= block.frames());
    std::vector<const float*> ptrs(static_cast<size_t>(channels_));
    for (int c = 0; c < channels_; ++c) ptrs[static_cast<size_t>(c)] = block.channel(c);
    add(std::span<const float* const>(ptrs), frames);
}

void TruePeakMeter::add(std::span<const float* const> channels, int64_t frames) {
    assert(static_cast<int>(channels.size()) == channels_ && frames >= 0);
    constexpr int64_t kChunk = 2048;
    if (work_.size() < static_cast<size_t>(kHist + kChunk + 3 * kChunk)) work_.resize(static_cast<size_t>(kHist + 4 * kChunk));
    float* w = work_.data();                 // [history | chunk]
    float* acc = w + kHist + kChunk;         // 3 phases × kChunk outputs
    for (int c = 0; c < channels_; ++c) {
        float* hist = history_.data() + static_cast<size_t>(c) * kHist;
        for (int64_t pos = 0; pos < frames; pos += kChunk) {
            const int64_t n = std::min(kChunk, frames - pos);
            const float* x = channels[static_cast<size_t>(c)] + pos;
            std::copy_n(hist, kHist, w);
            std::copy_n(x, n, w + kHist);
            float sp = 0.0f;
            for (int64_t i = 0; i < n; ++i) sp = std::max(sp, std::abs(x[i]));
            sp_[static_cast<size_t>(c)] = std::max(sp_[static_cast<size_t>(c)], static_cast<double>(sp));
            // Output k of this chunk belongs to input index seen + k; it needs
            // x[seen + k − 23 .. seen + k], all inside the signal once
            // seen + k >= 23 (edge rule in the header).
            const int64_t seen = seen_[static_cast<size_t>(c)];
            const int64_t first = std::clamp<int64_t>(kHist - seen, 0, n);
            float peak = 0.0f;
            // Exact shortcut: an interpolated value cannot exceed the
            // chunk's (and history's) sample peak times the largest phase L1
            // norm. When that bound is below both the channel's true peak so
            // far and full scale (no over possible), the FIR adds nothing.
            float hist_peak = 0.0f;
            for (int i = 0; i < kHist; ++i) hist_peak = std::max(hist_peak, std::abs(w[i]));
            const double bound = static_cast<double>(std::max(sp, hist_peak)) * l1_max_;
            if (bound <= tp_[static_cast<size_t>(c)] && bound <= 1.0) {
                in_over_[static_cast<size_t>(c)] = 0;
                std::copy_n(w + n, kHist, hist);
                seen_[static_cast<size_t>(c)] = seen + n;
                continue;
            }
            // Register-blocked polyphase FIR: 8 outputs × 3 phases stay in
            // registers across the 24 taps, each input load feeds 3 phases
            // (the tap-outer form streamed the accumulators through memory).
            constexpr int kU = 8;
            const float* t1 = taps_.data();
            const float* t2 = t1 + kT;
            const float* t3 = t2 + kT;
            int64_t k = first;
            for (; k + kU <= n; k += kU) {
                // GCC/Clang vector extension: 2 × 4 lanes per phase, six
                // accumulators in registers (SSE2 baseline, wider where the
                // compiler targets it).
                typedef float v4 __attribute__((vector_size(16)));
                v4 p1a = {}, p1b = {}, p2a = {}, p2b = {}, p3a = {}, p3b = {};
                for (int j = 0; j < kT; ++j) {
                    v4 xa, xb;
                    std::memcpy(&xa, w + k + j, sizeof xa);
                    std::memcpy(&xb, w + k + j + 4, sizeof xb);
                    const float h1 = t1[j], h2 = t2[j], h3 = t3[j];
                    p1a += h1 * xa;
                    p1b += h1 * xb;
                    p2a += h2 * xa;
                    p2b += h2 * xb;
                    p3a += h3 * xa;
                    p3b += h3 * xb;
                }
                std::memcpy(acc + k, &p1a, sizeof p1a);
                std::memcpy(acc + k + 4, &p1b, sizeof p1b);
                std::memcpy(acc + kChunk + k, &p2a, sizeof p2a);
                std::memcpy(acc + kChunk + k + 4, &p2b, sizeof p2b);
                std::memcpy(acc + 2 * kChunk + k, &p3a, sizeof p3a);
                std::memcpy(acc + 2 * kChunk + k + 4, &p3b, sizeof p3b);
                for (int u = 0; u < kU; ++u)
                    peak = std::max(peak, std::max(std::abs(acc[k + u]), std::max(std::abs(acc[kChunk + k + u]), std::abs(acc[2 * kChunk + k + u]))));
            }
            for (; k < n; ++k) {
                float a1 = 0.0f, a2 = 0.0f, a3 = 0.0f;
                for (int j = 0; j < kT; ++j) {
                    a1 += t1[j] * w[k + j];
                    a2 += t2[j] * w[k + j];
                    a3 += t3[j] * w[k + j];
                }
                acc[k] = a1;
                acc[kChunk + k] = a2;
                acc[2 * kChunk + k] = a3;
                peak = std::max(peak, std::max(std::abs(a1), std::max(std::abs(a2), std::abs(a3))));
            }
            tp_[static_cast<size_t>(c)] = std::max({tp_[static_cast<size_t>(c)], static_cast<double>(peak), static_cast<double>(sp)});
            if (peak > 1.0f) {
                // Rare slow path: count inter-sample overs, i.e. runs of
                // intervals whose interpolated values exceed full scale
                // while both neighbouring samples do not.
                for (int64_t k = first; k < n; ++k) {
                    const float left = w[k + kHist - kT / 2];   // x[n − 12]
                    const float right = w[k + kHist - kT / 2 + 1];
                    bool over = false;
                    if (std::abs(left) <= 1.0f && std::abs(right) <= 1.0f)
                        for (int r = 0; r < kL - 1; ++r) over = over || std::abs(acc[r * kChunk + k]) > 1.0f;
                    if (over && !in_over_[static_cast<size_t>(c)]) ++overs_[static_cast<size_t>(c)];
                    in_over_[static_cast<size_t>(c)] = over;
                }
            } else {
                in_over_[static_cast<size_t>(c)] = 0;
            }
            std::copy_n(w + n, kHist, hist);   // last 23 samples of [history | chunk]
            seen_[static_cast<size_t>(c)] = seen + n;
        }
    }
}

double TruePeakMeter::true_peak() const { return tp_.empty() ? 0.0 : *std::max_element(tp_.begin(), tp_.end()); }
double TruePeakMeter::channel_true_peak(int c) const { return tp_[static_cast<size_t>(c)]; }
double TruePeakMeter::sample_peak() const { return sp_.empty() ? 0.0 : *std::max_element(sp_.begin(), sp_.end()); }
double TruePeakMeter::channel_sample_peak(int c) const { return sp_[static_cast<size_t>(c)]; }
int64_t TruePeakMeter::inter_sample_overs(int c) const { return overs_[static_cast<size_t>(c)]; }

std::optional<double> TruePeakMeter::true_peak_dbtp() const {
    const double tp = true_peak();
    if (!(tp > 0.0)) return std::nullopt;
    return 20.0 * std::log10(tp);
}

}  // namespace sf::analysis
