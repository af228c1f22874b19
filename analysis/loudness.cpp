#include "analysis/loudness.h"

#include <algorithm>
#include <cassert>
#include <cmath>
#include <limits>
#include <numbers>
#include <string>

namespace sf::analysis {

namespace {

constexpr double kAbsoluteGateLufs = -70.0;   // BS.1770-4 §2.8, Tech 3342 §3
constexpr double kRelativeGateLu = -10.0;     // BS.1770-4 §2.8
constexpr double kLraRelativeGateLu = -20.0;  // Tech 3342 §3
constexpr double kLufsOffset = -0.691;        // BS.1770-4 eq. (2)

double lufs_to_energy(double lufs) { return std::pow(10.0, (lufs - kLufsOffset) / 10.0); }

// Analog second-order prototype in the "tan-prewarped" form used by the
// bilinear transform: K = tan(π·f0/fs), numerator gains (high, band, low)
// over the denominator s² + s/Q + 1 (s normalised by ω0).
struct Prototype {
    double f0_hz, q, high_gain, band_gain, low_gain;
};

Biquad bilinear(const Prototype& p, double rate_hz) {
    const double k = std::tan(std::numbers::pi * p.f0_hz / rate_hz);
    const double kq = k / p.q, k2 = k * k;
    const double a0 = 1.0 + kq + k2;
    Biquad b;
    b.b0 = (p.high_gain + p.band_gain * kq + p.low_gain * k2) / a0;
    b.b1 = 2.0 * (p.low_gain * k2 - p.high_gain) / a0;
    b.b2 = (p.high_gain - p.band_gain * kq + p.low_gain * k2) / a0;
    b.a1 = 2.0 * (k2 - 1.0) / a0;
    b.a2 = (1.0 - kq + k2) / a0;
    return b;
}

// Inverts `bilinear` at rate_hz. With D = 1 + a1 + a2 and E = 1 − a1 + a2:
// a0·D = 4K² and a0·E = 4, so K² = D/E, a0 = 4/E, K/Q = a0 − 1 − K²; the
// numerator then gives the three gains. `numerator_scale` undoes a numerator
// that was published without the 1/a0 normalisation.
Prototype prototype_from(const Biquad& d, double rate_hz) {
    const double e = 1.0 - d.a1 + d.a2;
    const double k2 = (1.0 + d.a1 + d.a2) / e;
    const double a0 = 4.0 / e;
    const double k = std::sqrt(k2);
    const double kq = a0 - 1.0 - k2;
    Prototype p;
    p.f0_hz = rate_hz / std::numbers::pi * std::atan(k);
    p.q = k / kq;
    // b0 + b2 = 2(h + l·K²)/a0, b0 − b2 = 2·b·(K/Q)/a0, b1 = 2(l·K² − h)/a0.
    const double sum = (d.b0 + d.b2) * a0 / 2.0;   // h + l·K²
    const double dif = d.b1 * a0 / 2.0;            // l·K² − h
    p.high_gain = (sum - dif) / 2.0;
    p.low_gain = (sum + dif) / (2.0 * k2);
    p.band_gain = (d.b0 - d.b2) * a0 / (2.0 * kq);
    return p;
}

const Prototype& shelf_prototype() {
    static const Prototype p = prototype_from(k_weighting_48k_published().shelf, 48000.0);
    return p;
}
const Prototype& highpass_prototype() {
    static const Prototype p = prototype_from(k_weighting_48k_published().highpass, 48000.0);
    return p;
}

}  // namespace

KWeighting k_weighting_48k_published() {
    KWeighting k;
    // BS.1770-4 Annex 1, Table 1 (stage 1, shelving filter).
    k.shelf = {1.53512485958697, -2.69169618940638, 1.19839281085285, -1.69065929318241, 0.73248077421585};
    // BS.1770-4 Annex 1, Table 2 (stage 2, high-pass), numerator 1, −2, 1 as published.
    k.highpass = {1.0, -2.0, 1.0, -1.99004745483398, 0.99007225036621};
    return k;
}

KWeighting design_k_weighting(double rate_hz) {
    assert(rate_hz > 0.0);
    KWeighting k;
    k.shelf = bilinear(shelf_prototype(), rate_hz);
    // The published high-pass numerator is (1, −2, 1), i.e. the normalised
    // bilinear high-pass times a0(48 kHz). Keep that gain (high_gain holds it)
    // at every rate so the passband level does not move with the rate.
    k.highpass = bilinear(highpass_prototype(), rate_hz);
    return k;
}

Result<std::vector<double>> bs1770_channel_weights(int channels) {
    constexpr double s = 1.41;   // BS.1770-4 Table 3: 60° <= |azimuth| <= 120°
    switch (channels) {
        case 1: return std::vector<double>{1.0};
        case 2: return std::vector<double>{1.0, 1.0};
        case 3: return std::vector<double>{1.0, 1.0, 1.0};
        case 4: return std::vector<double>{1.0, 1.0, s, s};
        case 5: return std::vector<double>{1.0, 1.0, 1.0, s, s};
        case 6: return std::vector<double>{1.0, 1.0, 1.0, 0.0, s, s};
        case 7: return std::vector<double>{1.0, 1.0, 1.0, 0.0, 1.0, s, s};
        case 8: return std::vector<double>{1.0, 1.0, 1.0, 0.0, 1.0, 1.0, s, s};
        default: break;
    }
    return fail(ErrorCode::InvalidArgument,
                "loudness: " + std::to_string(channels) + " channels (BS.1770 weights are defined here for 1..8)");
}

std::optional<double> energy_to_lufs(double mean_energy) {
    if (!(mean_energy > 0.0)) return std::nullopt;
    return kLufsOffset + 10.0 * std::log10(mean_energy);
}

Result<LoudnessMeter> LoudnessMeter::create(const LoudnessOptions& o) {
    if (o.sample_rate < 8000 || o.sample_rate > 768000)
        return fail(ErrorCode::InvalidArgument, "loudness: sample_rate " + std::to_string(o.sample_rate) + " Hz outside 8000..768000");
    std::vector<double> weights = o.channel_weights;
    if (weights.empty()) {
        auto w = bs1770_channel_weights(o.channels);
        if (!w) return std::unexpected(w.error());
        weights = std::move(*w);
    } else {
        if (static_cast<int>(weights.size()) != o.channels || o.channels < 1)
            return fail(ErrorCode::InvalidArgument, "loudness: channel_weights must hold one weight per channel");
        for (double w : weights)
            if (!(w >= 0.0) || !std::isfinite(w)) return fail(ErrorCode::InvalidArgument, "loudness: channel_weights must be finite and >= 0");
    }
    if (!(o.series_hop_s >= 0.0) || o.series_hop_s > 10.0)
        return fail(ErrorCode::InvalidArgument, "loudness: series_hop_s must be in [0, 10]");
    if (!(o.lra_hop_s >= 0.1 && o.lra_hop_s <= 3.0))
        return fail(ErrorCode::InvalidArgument, "loudness: lra_hop_s must be in [0.1, 3] s");
    LoudnessMeter m;
    m.lra_stride_ = std::max<int64_t>(1, std::llround(o.lra_hop_s * 10.0));
    if (o.mono_fold && o.channels != 2) return fail(ErrorCode::InvalidArgument, "loudness: mono_fold needs 2 channels");
    m.fold_ = o.mono_fold;
    m.rate_ = o.sample_rate;
    m.channels_ = o.channels;
    m.weights_ = std::move(weights);
    m.kw_ = design_k_weighting(o.sample_rate);
    m.step_ = (o.sample_rate + 5) / 10;   // round(rate / 10)
    m.m_len_ = 4 * m.step_;
    m.s_len_ = 30 * m.step_;
    if (o.series_hop_s > 0.0) {
        m.hop_ = std::max<int64_t>(1, std::llround(o.series_hop_s * o.sample_rate));
        m.series_.hop_s = static_cast<double>(m.hop_) / o.sample_rate;
    }
    m.reset();
    return m;
}

void LoudnessMeter::reset() {
    state_.assign(static_cast<size_t>(channels_) * 4, 0.0);
    ring_.assign(static_cast<size_t>(s_len_), 0.0);
    ring_pos_ = 0;
    m_out_ = s_len_ - m_len_;
    step_pos_ = hop_pos_ = 0;
    frames_ = 0;
    m_sum_ = s_sum_ = m_max_ = s_max_ = 0.0;
    m_max_end_ = s_max_end_ = 0;
    gating_blocks_.clear();
    fold_ring_.assign(fold_ ? static_cast<size_t>(m_len_) : 0, 0.0);
    fold_pos_ = 0;
    fold_sum_ = 0.0;
    fold_blocks_.clear();
    short_term_blocks_.clear();
    series_.momentary_lufs.clear();
    series_.short_term_lufs.clear();
}

void LoudnessMeter::add(const AudioBuffer& block, int64_t frames) {
    assert(block.channels() == channels_ && frames <= block.frames());
    const std::vector<const float*> ptrs = block.channel_pointers();
    add(std::span<const float* const>(ptrs), frames);
}

void LoudnessMeter::add(std::span<const float* const> channels, int64_t frames) {
    assert(static_cast<int>(channels.size()) == channels_ && frames >= 0);
    constexpr int64_t kChunk = 4096;   // bounded scratch, cache resident
    if (energy_.size() < static_cast<size_t>(kChunk)) {
        energy_.resize(kChunk);
        filtered_.resize(kChunk);
    }
    if (fold_ && fold_energy_.size() < static_cast<size_t>(kChunk)) fold_energy_.resize(kChunk);
    for (int64_t pos = 0; pos < frames; pos += kChunk) {
        const int64_t n = std::min(kChunk, frames - pos);
        std::fill_n(energy_.begin(), n, 0.0);
        double* e = energy_.data();
        const Biquad& f1 = kw_.shelf;
        const Biquad& f2 = kw_.highpass;
        // Channels in pairs: two independent recursions per loop iteration
        // hide the latency of each one's dependency chain.
        int c = 0;
        for (; c + 1 < channels_; c += 2) {
            const double w0 = weights_[static_cast<size_t>(c)], w1 = weights_[static_cast<size_t>(c + 1)];
            const float* x0 = channels[static_cast<size_t>(c)] + pos;
            const float* x1 = channels[static_cast<size_t>(c + 1)] + pos;
            double* st0 = state_.data() + 4 * c;
            double* st1 = st0 + 4;
            double a1 = st0[0], a2 = st0[1], a3 = st0[2], a4 = st0[3];
            double b1 = st1[0], b2 = st1[1], b3 = st1[2], b4 = st1[3];
            double* fe = fold_ ? fold_energy_.data() : nullptr;
            for (int64_t i = 0; i < n; ++i) {
                // Transposed direct form II, double state.
                const double u = x0[i], v = x1[i];
                const double yu = f1.b0 * u + a1;
                const double yv = f1.b0 * v + b1;
                a1 = f1.b1 * u - f1.a1 * yu + a2;
                b1 = f1.b1 * v - f1.a1 * yv + b2;
                a2 = f1.b2 * u - f1.a2 * yu;
                b2 = f1.b2 * v - f1.a2 * yv;
                const double zu = f2.b0 * yu + a3;
                const double zv = f2.b0 * yv + b3;
                a3 = f2.b1 * yu - f2.a1 * zu + a4;
                b3 = f2.b1 * yv - f2.a1 * zv + b4;
                a4 = f2.b2 * yu - f2.a2 * zu;
                b4 = f2.b2 * yv - f2.a2 * zv;
                e[i] += w0 * zu * zu + w1 * zv * zv;
                if (fe) fe[i] = 0.5 * (zu + zv) * (zu + zv);   // 2 · ((zu + zv)/2)²
            }
            st0[0] = a1; st0[1] = a2; st0[2] = a3; st0[3] = a4;
            st1[0] = b1; st1[1] = b2; st1[2] = b3; st1[3] = b4;
        }
        for (; c < channels_; ++c) {
            const double w = weights_[static_cast<size_t>(c)];
            const float* x = channels[static_cast<size_t>(c)] + pos;
            double* st = state_.data() + 4 * c;
            double s1 = st[0], s2 = st[1], t1 = st[2], t2 = st[3];
            for (int64_t i = 0; i < n; ++i) {
                const double xi = x[i];
                const double y1 = f1.b0 * xi + s1;
                s1 = f1.b1 * xi - f1.a1 * y1 + s2;
                s2 = f1.b2 * xi - f1.a2 * y1;
                const double y2 = f2.b0 * y1 + t1;
                t1 = f2.b1 * y1 - f2.a1 * y2 + t2;
                t2 = f2.b2 * y1 - f2.a2 * y2;
                e[i] += w * y2 * y2;
            }
            st[0] = s1; st[1] = s2; st[2] = t1; st[3] = t2;
        }
        if (fold_) process_fold(fold_energy_.data(), n);
        process_energy(e, n);
    }
}

void LoudnessMeter::process_fold(const double* e, int64_t frames) {
    // Only the gating blocks (integrated loudness) of the fold-down; block
    // boundaries are those of the main meter (frames_ is not advanced yet).
    int64_t count = frames_;
    int64_t step_pos = step_pos_;
    for (int64_t i = 0; i < frames; ++i) {
        fold_sum_ += e[i] - fold_ring_[static_cast<size_t>(fold_pos_)];
        fold_ring_[static_cast<size_t>(fold_pos_)] = e[i];
        if (++fold_pos_ == m_len_) {
            fold_pos_ = 0;
            double s = 0.0;   // exact re-sum once per turn (see process_energy)
            for (double v : fold_ring_) s += v;
            fold_sum_ = s;
        }
        ++count;
        if (++step_pos == step_ && count >= m_len_) fold_blocks_.push_back(std::max(0.0, fold_sum_) / static_cast<double>(m_len_));
        if (step_pos == step_) step_pos = 0;
    }
}

void LoudnessMeter::process_energy(const double* e, int64_t frames) {
    // Counters wrap instead of taking a modulo per sample (integer division
    // would cost more than the filtering).
    double* ring = ring_.data();
    constexpr double kNegInf = -std::numeric_limits<double>::infinity();
    for (int64_t i = 0; i < frames; ++i) {
        const double old_m = ring[m_out_];   // the sample leaving the 400 ms window (0 before it is full)
        const double old_s = ring[ring_pos_];   // ... the 3 s window (0 until the ring has turned once)
        ring[ring_pos_] = e[i];
        m_sum_ += e[i] - (frames_ >= m_len_ ? old_m : 0.0);
        s_sum_ += e[i] - old_s;
        ++frames_;
        if (++m_out_ == s_len_) m_out_ = 0;
        if (++ring_pos_ == s_len_) {
            ring_pos_ = 0;
            // Re-sum exactly once per ring turn so rounding never accumulates
            // (after a loud passage the running sums must return to silence).
            double m = 0.0, s = 0.0;
            for (int64_t k = 0; k < s_len_; ++k) s += ring[k];
            for (int64_t k = s_len_ - m_len_; k < s_len_; ++k) m += ring[k];
            m_sum_ = m;
            s_sum_ = s;
        }
        if (m_sum_ < 0.0) m_sum_ = 0.0;
        if (s_sum_ < 0.0) s_sum_ = 0.0;
        if (m_sum_ > m_max_) {
            m_max_ = m_sum_;
            m_max_end_ = frames_;
        }
        if (s_sum_ > s_max_) {
            s_max_ = s_sum_;
            s_max_end_ = frames_;
        }
        if (++step_pos_ == step_) {
            step_pos_ = 0;
            if (frames_ >= m_len_) gating_blocks_.push_back(m_sum_ / static_cast<double>(m_len_));
            if (frames_ >= s_len_) short_term_blocks_.push_back(s_sum_ / static_cast<double>(s_len_));
        }
        if (hop_ > 0 && ++hop_pos_ == hop_) {
            hop_pos_ = 0;
            series_.momentary_lufs.push_back(energy_to_lufs(m_sum_ / static_cast<double>(m_len_)).value_or(kNegInf));
            series_.short_term_lufs.push_back(energy_to_lufs(s_sum_ / static_cast<double>(s_len_)).value_or(kNegInf));
        }
    }
}

std::optional<double> LoudnessMeter::momentary_lufs() const { return energy_to_lufs(m_sum_ / static_cast<double>(m_len_)); }
std::optional<double> LoudnessMeter::short_term_lufs() const { return energy_to_lufs(s_sum_ / static_cast<double>(s_len_)); }
std::optional<double> LoudnessMeter::momentary_max_lufs() const { return energy_to_lufs(m_max_ / static_cast<double>(m_len_)); }
std::optional<double> LoudnessMeter::short_term_max_lufs() const { return energy_to_lufs(s_max_ / static_cast<double>(s_len_)); }
std::optional<int64_t> LoudnessMeter::momentary_max_end_frame() const {
    return momentary_max_lufs() ? std::optional<int64_t>(m_max_end_) : std::nullopt;
}
std::optional<int64_t> LoudnessMeter::short_term_max_end_frame() const {
    return short_term_max_lufs() ? std::optional<int64_t>(s_max_end_) : std::nullopt;
}

namespace {

std::optional<double> gated_mean_lufs(const std::vector<double>& blocks) {
    // BS.1770-4 §2.8: gate absolutely, then relative to the loudness of the
    // absolutely gated blocks, then average the energies of what remains.
    const double abs_gate = lufs_to_energy(kAbsoluteGateLufs);
    double sum = 0.0;
    size_t n = 0;
    for (double z : blocks)
        if (z > abs_gate) { sum += z; ++n; }
    if (n == 0) return std::nullopt;
    const double rel_gate = sum / static_cast<double>(n) * std::pow(10.0, kRelativeGateLu / 10.0);
    double sum2 = 0.0;
    size_t n2 = 0;
    for (double z : blocks)
        if (z > abs_gate && z > rel_gate) { sum2 += z; ++n2; }
    if (n2 == 0) return std::nullopt;
    return energy_to_lufs(sum2 / static_cast<double>(n2));
}

}  // namespace

std::optional<double> LoudnessMeter::integrated_lufs() const { return gated_mean_lufs(gating_blocks_); }
std::optional<double> LoudnessMeter::mono_fold_integrated_lufs() const {
    if (!fold_) return std::nullopt;
    return gated_mean_lufs(fold_blocks_);
}

std::optional<LoudnessMeter::Lra> LoudnessMeter::lra() const {
    // Tech 3342 §3: absolute gate −70 LUFS, relative gate −20 LU below the
    // energy mean of the absolutely gated short-term values, then the 10th
    // and 95th percentiles of the remaining distribution.
    const double abs_gate = lufs_to_energy(kAbsoluteGateLufs);
    double sum = 0.0;
    size_t n = 0;
    // Short-term values every lra_stride_ steps (1 = 100 ms).
    const size_t stride = static_cast<size_t>(lra_stride_);
    for (size_t i = 0; i < short_term_blocks_.size(); i += stride)
        if (short_term_blocks_[i] > abs_gate) { sum += short_term_blocks_[i]; ++n; }
    if (n == 0) return std::nullopt;
    const double rel_gate = sum / static_cast<double>(n) * std::pow(10.0, kLraRelativeGateLu / 10.0);
    std::vector<double> kept;
    kept.reserve(n);
    for (size_t i = 0; i < short_term_blocks_.size(); i += stride)
        if (short_term_blocks_[i] > abs_gate && short_term_blocks_[i] > rel_gate) kept.push_back(short_term_blocks_[i]);
    if (kept.empty()) return std::nullopt;
    std::sort(kept.begin(), kept.end());
    auto percentile = [&](double p) {
        const size_t i = static_cast<size_t>(std::llround(p * static_cast<double>(kept.size() - 1)));
        return *energy_to_lufs(kept[i]);
    };
    return Lra{percentile(0.10), percentile(0.95)};
}

std::optional<double> LoudnessMeter::loudness_range_lu() const {
    auto r = lra();
    if (!r) return std::nullopt;
    return r->high - r->low;
}
std::optional<double> LoudnessMeter::lra_low_lufs() const {
    auto r = lra();
    return r ? std::optional<double>(r->low) : std::nullopt;
}
std::optional<double> LoudnessMeter::lra_high_lufs() const {
    auto r = lra();
    return r ? std::optional<double>(r->high) : std::nullopt;
}

}  // namespace sf::analysis
