#include "engine/synth/bench_signals.h"

#include <algorithm>
#include <cmath>
#include <numbers>

namespace sf::synth {

namespace {
constexpr double kPi = std::numbers::pi;
}

AudioBuffer bench_stem(int i, int ch, int64_t frames, int sr) {
    AudioBuffer buf(ch, frames);
    Random r(1000 + static_cast<uint64_t>(i));
    const double f0 = 55.0 * std::pow(2.0, (i % 24) / 12.0);
    for (int c = 0; c < ch; ++c) {
        float* x = buf.channel(c);
        double ph[4] = {0, 0, 0, 0};
        const double inc[4] = {2 * kPi * f0 / sr, 2 * kPi * f0 * 2.01 / sr, 2 * kPi * f0 * 3.02 / sr, 2 * kPi * f0 * 5.03 / sr};
        for (int64_t n = 0; n < frames; ++n) {
            const double t = static_cast<double>(n) / sr;
            const double env = 0.6 + 0.4 * std::sin(2 * kPi * (0.25 + 0.05 * i) * t + c);
            double v = 0.0;
            for (int k = 0; k < 4; ++k) {
                v += std::sin(ph[k]) / (k + 1);
                ph[k] += inc[k];
                if (ph[k] > 2 * kPi) ph[k] -= 2 * kPi;
            }
            x[n] = static_cast<float>(0.25 * env * v + 0.02 * r.bipolar());
        }
    }
    return buf;
}

AudioBuffer bench_ir(int b, int64_t ir_frames) {
    AudioBuffer buf(2, ir_frames);
    Random r(7 + static_cast<uint64_t>(b));
    for (int c = 0; c < 2; ++c)
        for (int64_t n = 0; n < ir_frames; ++n)
            buf.channel(c)[n] = static_cast<float>(0.05 * r.bipolar() * std::pow(10.0, -3.0 * n / (0.95 * ir_frames)));
    return buf;
}

MusicLikeNoise::MusicLikeNoise(int rate, uint64_t seed)
    : rate_(rate), rng_(seed), f1_(2 * kPi * 110.0 / rate), f2_(2 * kPi * 1760.0 / rate) {}

void MusicLikeNoise::render(AudioBuffer& b, int64_t n) {
    for (int64_t i = 0; i < n; ++i, ++pos_) {
        const double t = static_cast<double>(pos_) / rate_;
        const double env = 0.35 * (1.2 + std::sin(2 * kPi * t / 7.0)) * (0.6 + 0.4 * (pos_ / (rate_ / 2) % 2));
        double nc = c1_ * std::cos(f1_) - s1_ * std::sin(f1_);
        s1_ = c1_ * std::sin(f1_) + s1_ * std::cos(f1_);
        c1_ = nc;
        nc = c2_ * std::cos(f2_) - s2_ * std::sin(f2_);
        s2_ = c2_ * std::sin(f2_) + s2_ * std::cos(f2_);
        c2_ = nc;
        for (int c = 0; c < 2; ++c) {
            const double x = rng_.bipolar();
            lp_[c] = 0.97 * lp_[c] + 0.03 * x;
            bp_[c] = 0.5 * bp_[c] + 0.5 * x - lp_[c];
            const double v = env * (1.6 * lp_[c] + 0.25 * bp_[c] + 0.2 * (c == 0 ? s1_ : 0.8 * s1_) + 0.05 * s2_);
            b.channel(c)[i] = static_cast<float>(std::clamp(v, -0.99, 0.99));
        }
    }
}

}  // namespace sf::synth
