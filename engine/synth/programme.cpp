#include "engine/synth/programme.h"

#include <cmath>
#include <numbers>

#include "engine/core/random.h"

namespace sf::synth {

AudioBuffer synth_programme(int rate, double seconds, uint64_t seed) {
    const int64_t n = static_cast<int64_t>(std::llround(seconds * rate));
    AudioBuffer out(2, n);
    Random rng(seed);
    constexpr double kTwoPi = 2.0 * std::numbers::pi;
    const double beat_s = 60.0 / 124.0;  // 124 bpm
    const double chord[3] = {220.0, 277.18, 329.63};
    double hat_lp[2] = {0, 0}, bed_lp[2] = {0, 0}, hat_hp_prev[2] = {0, 0};
    for (int64_t i = 0; i < n; ++i) {
        const double t = static_cast<double>(i) / rate;
        const double section = std::fmod(t, 32.0 * beat_s);            // 8 bars: 4 quiet, 4 loud
        const double loud = section < 16.0 * beat_s ? 0.35 : 1.0;
        const double in_beat = std::fmod(t, beat_s);
        const double kick = std::exp(-in_beat / 0.12) * std::sin(kTwoPi * (45.0 * in_beat + 90.0 * 0.03 * (1.0 - std::exp(-in_beat / 0.03))));
        const double bass = 0.35 * std::sin(kTwoPi * 55.0 * t) * (0.6 + 0.4 * std::exp(-in_beat / 0.2));
        double pad = 0.0;
        for (double f : chord) pad += 0.08 * std::sin(kTwoPi * f * t + 0.3 * std::sin(kTwoPi * 0.2 * t));
        const double in_half = std::fmod(t, beat_s / 2.0);
        for (int c = 0; c < 2; ++c) {
            const double w = rng.bipolar();
            // Hats: high-passed noise bursts (first difference of a smoothed noise keeps them below ~0.45 fs).
            hat_lp[c] = 0.5 * hat_lp[c] + 0.5 * w;
            const double hat_hp = hat_lp[c] - hat_hp_prev[c];
            hat_hp_prev[c] = hat_lp[c];
            const double hat = 0.25 * std::exp(-in_half / 0.02) * hat_hp;
            bed_lp[c] = 0.995 * bed_lp[c] + 0.005 * w;
            const double pan = c == 0 ? 0.8 : 1.2;
            const double v = loud * (0.55 * kick + bass + pad * pan + hat * (2.0 - pan) + 0.8 * bed_lp[c]);
            out.channel(c)[i] = static_cast<float>(0.7 * v);
        }
    }
    // 50 ms fades: a master starts and ends on silence.
    const int64_t fade = std::min<int64_t>(n / 2, rate / 20);
    for (int c = 0; c < 2; ++c)
        for (int64_t i = 0; i < fade; ++i) {
            const float g = static_cast<float>(0.5 - 0.5 * std::cos(std::numbers::pi * static_cast<double>(i) / static_cast<double>(fade)));
            out.channel(c)[i] *= g;
            out.channel(c)[n - 1 - i] *= g;
        }
    return out;
}

}  // namespace sf::synth
