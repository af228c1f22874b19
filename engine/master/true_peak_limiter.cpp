#include "engine/master/true_peak_limiter.h"

#include <algorithm>
#include <cassert>
#include <cmath>
#include <numbers>

#include "engine/dsp/gain.h"

namespace sf::master {

namespace {

double bessel_i0(double x) {
    // Power series; converges quickly for the beta used here.
    double sum = 1.0, term = 1.0;
    for (int k = 1; k < 64; ++k) {
        term *= (x / (2.0 * k)) * (x / (2.0 * k));
        sum += term;
        if (term < 1e-17 * sum) break;
    }
    return sum;
}

constexpr double kKaiserBeta = 8.0;
constexpr int64_t kChunk = 4096;  // outputs per inner pass: the accumulator stays in L1

// Phase k's taps: c_k[j] = s(k/L - (j - T/2 + 1)), s(v) = sinc(v) kaiser(v / (T/2)),
// normalised to unity DC gain.
std::vector<std::vector<float>> design_phases() {
    constexpr int T = kTruePeakTaps;
    constexpr int L = kTruePeakOversampling;
    const double radius = T / 2.0;
    const double i0_beta = bessel_i0(kKaiserBeta);
    std::vector<std::vector<float>> phases;
    for (int k = 1; k < L; ++k) {
        std::vector<double> c(T);
        double sum = 0.0;
        for (int j = 0; j < T; ++j) {
            const double v = static_cast<double>(k) / L - (j - T / 2 + 1);
            const double sinc = std::sin(std::numbers::pi * v) / (std::numbers::pi * v);  // v is never 0 for k >= 1
            const double q = v / radius;
            const double w = bessel_i0(kKaiserBeta * std::sqrt(std::max(0.0, 1.0 - q * q))) / i0_beta;
            c[static_cast<size_t>(j)] = sinc * w;
            sum += c[static_cast<size_t>(j)];
        }
        std::vector<float> f(T);
        for (int j = 0; j < T; ++j) f[static_cast<size_t>(j)] = static_cast<float>(c[static_cast<size_t>(j)] / sum);
        phases.push_back(std::move(f));
    }
    return phases;
}

}  // namespace

// ---------------------------------------------------------------------------
// TruePeakDetector

TruePeakDetector::TruePeakDetector(int channels)
    : channels_(channels), history_(static_cast<size_t>(channels), std::vector<float>(kTruePeakTaps - 1, 0.0f)),
      acc_(static_cast<size_t>(kChunk)), phases_(design_phases()) {
    assert(channels > 0);
}

void TruePeakDetector::process(const AudioBuffer& in, int64_t frames, float* envelope) {
    assert(in.channels() >= channels_ && in.frames() >= frames);
    constexpr int T = kTruePeakTaps;
    std::fill_n(envelope, frames, 0.0f);
    for (int c = 0; c < channels_; ++c) {
        std::vector<float>& buf = history_[static_cast<size_t>(c)];
        buf.resize(static_cast<size_t>(T - 1 + frames));
        std::copy_n(in.channel(c), frames, buf.begin() + (T - 1));
        for (int64_t i0 = 0; i0 < frames; i0 += kChunk) {
            const int64_t n = std::min(kChunk, frames - i0);
            const float* x = buf.data() + i0;
            float* env = envelope + i0;
            for (int64_t i = 0; i < n; ++i) env[i] = std::max(env[i], std::abs(x[i + T / 2 - 1]));  // phase 0
            for (const auto& taps : phases_) {
                float* acc = acc_.data();
                std::fill_n(acc, n, 0.0f);
                for (int j = 0; j < T; ++j) {  // loop order vectorises over i without reassociation
                    const float cj = taps[static_cast<size_t>(j)];
                    const float* xj = x + j;
                    for (int64_t i = 0; i < n; ++i) acc[i] += cj * xj[i];
                }
                for (int64_t i = 0; i < n; ++i) env[i] = std::max(env[i], std::abs(acc[i]));
            }
        }
        // Keep the last T-1 samples as the next block's history.
        std::copy(buf.end() - (T - 1), buf.end(), buf.begin());
        buf.resize(static_cast<size_t>(T - 1));
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

LimiterGain::LimiterGain(const LimiterSettings& settings, int sample_rate) {
    assert(sample_rate > 0 && settings.release_ms > 0.0 && settings.lookahead_ms >= 0.0);
    input_gain_ = db_to_gain(settings.input_gain_db);
    ceiling_over_input_ = db_to_gain(settings.ceiling_dbtp) / input_gain_;
    release_coeff_ = std::exp(-1.0 / (settings.release_ms * 1e-3 * sample_rate));
    lookahead_ = std::max<int64_t>(1, std::llround(settings.lookahead_ms * 1e-3 * sample_rate));
    window_ = lookahead_ + 2 * kGuardFrames + 1;
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
// TruePeakLimiter

TruePeakLimiter::TruePeakLimiter(const LimiterSettings& settings, int sample_rate, int channels)
    : detector_(channels), gain_(settings, sample_rate) {
    delay_.assign(static_cast<size_t>(channels), std::vector<float>(static_cast<size_t>(latency_frames()), 0.0f));
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
}

}  // namespace sf::master
