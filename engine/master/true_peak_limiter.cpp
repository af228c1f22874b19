#include "engine/master/true_peak_limiter.h"

#include <algorithm>
#include <cassert>
#include <cmath>

#include "engine/dsp/gain.h"

#include <tbb/parallel_for.h>

namespace sf::master {

// ---------------------------------------------------------------------------
// TruePeakDetector

TruePeakDetector::TruePeakDetector(int channels) : channels_(channels), streams_(static_cast<size_t>(channels)) { assert(channels > 0); }

void TruePeakDetector::process(const AudioBuffer& in, int64_t frames, float* envelope) {
    assert(in.channels() >= channels_ && in.frames() >= frames);
    channel_env_.resize(static_cast<size_t>(channels_));
    centre_.resize(static_cast<size_t>(channels_));
    // Channels are independent until the final max: one task each.
    tbb::parallel_for(0, channels_, [&](int c) {
        std::vector<float>& env = channel_env_[static_cast<size_t>(c)];
        std::vector<float>& centre = centre_[static_cast<size_t>(c)];
        env.resize(static_cast<size_t>(frames));
        centre.resize(static_cast<size_t>(frames));
        streams_[static_cast<size_t>(c)].process(in.channel(c), frames, env.data(), centre.data());
        for (int64_t i = 0; i < frames; ++i) env[static_cast<size_t>(i)] = std::max(env[static_cast<size_t>(i)], std::abs(centre[static_cast<size_t>(i)]));
    });
    std::copy_n(channel_env_[0].data(), frames, envelope);
    for (int c = 1; c < channels_; ++c) {
        const float* e = channel_env_[static_cast<size_t>(c)].data();
        for (int64_t i = 0; i < frames; ++i) envelope[i] = std::max(envelope[i], e[i]);
    }
}

std::vector<float> TruePeakDetector::envelope_of(const AudioBuffer& in, int64_t frames) {
    const int64_t lat = latency_frames();
    AudioBuffer padded(in.channels(), frames + lat);
    for (int c = 0; c < in.channels(); ++c) std::copy_n(in.channel(c), frames, padded.channel(c));
    std::vector<float> env(static_cast<size_t>(frames + lat));
    TruePeakDetector d(in.channels());
    d.process(padded, frames + lat, env.data());
    env.erase(env.begin(), env.begin() + lat);
    return env;
}

double TruePeakDetector::true_peak_of(const AudioBuffer& in, int64_t frames) {
    const auto env = envelope_of(in, frames);
    double peak = 0.0;
    for (float v : env) peak = std::max(peak, static_cast<double>(v));
    return peak;
}

// ---------------------------------------------------------------------------
// LimiterGain

LimiterDesign design_limiter(const LimiterSettings& settings, int sample_rate) {
    assert(sample_rate > 0 && settings.release_ms > 0.0 && settings.lookahead_ms >= 0.0);
    LimiterDesign d;
    d.input_gain = db_to_gain(settings.input_gain_db);
    d.ceiling_over_input = db_to_gain(settings.ceiling_dbtp) / d.input_gain;
    d.release_coeff = std::exp(-1.0 / (settings.release_ms * 1e-3 * sample_rate));
    d.lookahead = std::max<int64_t>(1, std::llround(settings.lookahead_ms * 1e-3 * sample_rate));
    d.window = d.lookahead + 2 * kGuardFrames + 1;
    return d;
}

LimiterGain::LimiterGain(const LimiterSettings& settings, int sample_rate) {
    const LimiterDesign d = design_limiter(settings, sample_rate);
    input_gain_ = d.input_gain;
    ceiling_over_input_ = d.ceiling_over_input;
    release_coeff_ = d.release_coeff;
    lookahead_ = d.lookahead;
    window_ = d.window;
    f_ring_.assign(static_cast<size_t>(lookahead_ + 1), 1.0);
    f_sum_ = static_cast<double>(lookahead_ + 1);
}

void LimiterGain::set_stats_limit(int64_t frames) { stats_limit_ = frames; }

void LimiterGain::process(const float* envelope, int64_t frames, float* gain) {
    const int64_t latency = latency_frames();
    const double ring_size = static_cast<double>(f_ring_.size());
    for (int64_t i = 0; i < frames; ++i) {
        const int64_t j = arrived_++;
        const double p = envelope[i];
        const double r = p > ceiling_over_input_ ? ceiling_over_input_ / p : 1.0;
        while (!min_queue_.empty() && min_queue_.back().second >= r) min_queue_.pop_back();
        min_queue_.emplace_back(j, r);
        while (min_queue_.front().first <= j - window_) min_queue_.pop_front();
        const double e = min_queue_.front().second;
        f_ = std::min(e, release_coeff_ * f_ + (1.0 - release_coeff_) * e);
        f_sum_ += f_ - f_ring_[f_pos_];
        f_ring_[f_pos_] = f_;
        if (++f_pos_ == f_ring_.size()) {
            f_pos_ = 0;
            // Re-sum once per cycle so rounding cannot drift the gain above the requirement.
            f_sum_ = 0.0;
            for (double v : f_ring_) f_sum_ += v;
        }
        const double g = f_sum_ / ring_size;
        gain[i] = static_cast<float>(input_gain_ * g);
        const int64_t n = j - latency;  // the frame this gain belongs to
        if (n >= 0 && (stats_limit_ < 0 || n < stats_limit_)) {
            ++stats_.frames;
            if (g < 1.0) {
                const double gr_db = -20.0 * std::log10(g);
                stats_.max_gain_reduction_db = std::max(stats_.max_gain_reduction_db, gr_db);
                if (g < 0.999) {
                    ++limited_;
                    gr_sum_db_ += gr_db;
                }
            }
            stats_.limited_fraction = static_cast<double>(limited_) / static_cast<double>(stats_.frames);
            stats_.mean_gain_reduction_db = limited_ > 0 ? gr_sum_db_ / static_cast<double>(limited_) : 0.0;
        }
    }
}

// ---------------------------------------------------------------------------
// CeilingGuard

namespace {
constexpr int64_t kHalf = kTruePeakTapsPerPhase / 2;   // position m's support: [m − kHalf + 1, m + kHalf]
constexpr int64_t kSupport = kTruePeakTapsPerPhase;
}  // namespace

CeilingGuard::CeilingGuard(double ceiling_dbtp, int channels)
    : ceiling_(db_to_gain(ceiling_dbtp)), channels_(channels),
      pend_(static_cast<size_t>(channels), std::vector<float>(static_cast<size_t>(kCeilingGuardFrames), 0.0f)),
      base_(-kCeilingGuardFrames), next_(-kCeilingGuardFrames + kHalf - 1) {
    assert(channels > 0);
}

void CeilingGuard::evaluate() {
    const int64_t size = static_cast<int64_t>(pend_[0].size());
    const int64_t newest = base_ + size - 1;
    between_.resize(static_cast<size_t>(kTruePeakGroup));
    // Positions in groups of 8 (the kernel's unit), each group only once its
    // whole support has arrived.
    while (next_ + kTruePeakGroup - 1 + kHalf <= newest) {
        const int64_t first = next_ - kHalf + 1 - base_;   // offset of the group's first support frame
        float peak[kTruePeakGroup] = {};
        for (int c = 0; c < channels_; ++c) {
            const float* x = pend_[static_cast<size_t>(c)].data() + first;
            true_peak_between(x, 1, between_.data());
            for (int u = 0; u < kTruePeakGroup; ++u)
                peak[u] = std::max({peak[u], between_[static_cast<size_t>(u)], std::abs(x[u + kHalf - 1])});
        }
        int over = -1;
        for (int u = 0; u < kTruePeakGroup && over < 0; ++u)
            if (static_cast<double>(peak[u]) > ceiling_) over = u;
        if (over < 0) {
            next_ += kTruePeakGroup;
            continue;
        }
        // Scale position m's support by C/|y| (a hair less after a float
        // rounding kept it over), then re-measure from the first position
        // the scaling touched.
        const int64_t m = next_ + over;
        const double ratio = ceiling_ / static_cast<double>(peak[over]);
        const double rho = ratio * (1.0 - 1e-7);
        for (int c = 0; c < channels_; ++c) {
            float* x = pend_[static_cast<size_t>(c)].data() + (m - kHalf + 1 - base_);
            for (int64_t j = 0; j < kSupport; ++j) x[j] = static_cast<float>(x[j] * rho);
        }
        ++stats_.corrections;
        stats_.max_correction_db = std::max(stats_.max_correction_db, -20.0 * std::log10(rho));
        const int64_t earliest = m - (kSupport - 1);   // the first position whose support includes frame m − kHalf + 1
        const int64_t lowest = base_ + kHalf - 1;       // the first position whose support is still held
        if (earliest < lowest) ++stats_.unverified;
        next_ = std::max(earliest, lowest);
    }
}

void CeilingGuard::process(AudioBuffer& block, int64_t frames) {
    assert(block.channels() >= channels_ && block.frames() >= frames);
    for (int c = 0; c < channels_; ++c) {
        auto& p = pend_[static_cast<size_t>(c)];
        p.insert(p.end(), block.channel(c), block.channel(c) + frames);
    }
    evaluate();
    // Hand out the oldest `frames` frames; positions still to be measured
    // reach back at most kSupport − 1 frames before next_, which stays
    // inside what is kept (kCeilingGuardFrames >> kSupport).
    for (int c = 0; c < channels_; ++c) {
        auto& p = pend_[static_cast<size_t>(c)];
        std::copy_n(p.begin(), frames, block.channel(c));
        p.erase(p.begin(), p.begin() + frames);
    }
    base_ += frames;
    if (next_ < base_ + kHalf - 1) {
        // Released frames with positions not yet final: only possible when
        // the guard is fed blocks shorter than its pipeline needs; count it.
        stats_.unverified += base_ + kHalf - 1 - next_;
        next_ = base_ + kHalf - 1;
    }
}

// ---------------------------------------------------------------------------
// TruePeakLimiter

TruePeakLimiter::TruePeakLimiter(const LimiterSettings& settings, int sample_rate, int channels)
    : detector_(channels), gain_(settings, sample_rate), guard_(settings.ceiling_dbtp, channels) {
    const int64_t signal_delay = TruePeakDetector::latency_frames() + gain_.latency_frames();
    delay_.assign(static_cast<size_t>(channels), std::vector<float>(static_cast<size_t>(signal_delay), 0.0f));
}

void TruePeakLimiter::process(const AudioBuffer& in, int64_t frames, AudioBuffer& out) {
    const int ch = detector_.channels();
    assert(in.channels() >= ch && out.channels() >= ch && out.frames() >= frames);
    envelope_.resize(static_cast<size_t>(frames));
    gains_.resize(static_cast<size_t>(frames));
    detector_.process(in, frames, envelope_.data());
    gain_.process(envelope_.data(), frames, gains_.data());
    const size_t len = delay_[0].size();
    size_t pos = pos_;
    for (int c = 0; c < ch; ++c) {
        std::vector<float>& ring = delay_[static_cast<size_t>(c)];
        const float* x = in.channel(c);
        float* y = out.channel(c);
        pos = pos_;
        for (int64_t i = 0; i < frames; ++i) {
            const float delayed = ring[pos];
            ring[pos] = x[i];
            pos = pos + 1 == len ? 0 : pos + 1;
            y[i] = delayed * gains_[static_cast<size_t>(i)];
        }
    }
    pos_ = pos;
    guard_.process(out, frames);
}

}  // namespace sf::master
