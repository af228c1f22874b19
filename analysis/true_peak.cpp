#include "analysis/true_peak.h"

#include <algorithm>
#include <cassert>
#include <cmath>
#include <complex>
#include <numbers>
#include <string>

namespace sf::analysis {

namespace {

constexpr int kL = kTruePeakOversampling;
constexpr int kT = kTruePeakTapsPerPhase;
constexpr int kLen = kL * kT + 1;     // 97 taps, centre kL * kT / 2
constexpr int kHist = kT - 1;          // input samples of history a phase needs
constexpr double kKaiserBeta = 8.0;

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
            for (int r = 0; r < kL - 1; ++r) {
                const float* t = taps_.data() + r * kT;
                float* a = acc + r * kChunk;
                std::fill(a + first, a + n, 0.0f);
                // Tap-outer loop: the inner loop is a contiguous multiply-add
                // over outputs that the compiler vectorises.
                for (int j = 0; j < kT; ++j) {
                    const float tj = t[j];
                    const float* src = w + j;
                    for (int64_t k = first; k < n; ++k) a[k] += tj * src[k];
                }
                for (int64_t k = first; k < n; ++k) peak = std::max(peak, std::abs(a[k]));
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
