// Stemforge tests — EBU Tech 3341 / 3342 test signals, synthesised from
// their published descriptions (the EBU loudness test set, v05). Levels are
// sine peak amplitudes in dBFS per channel; a stereo 1 kHz sine at X dBFS
// reads X LUFS (BS.1770: mean square A²/2 per channel, two channels, and the
// −0.691 offset cancels the K-weighting gain at 1 kHz).
#pragma once

#include <cmath>
#include <cstdint>
#include <numbers>
#include <vector>

#include "engine/audio/audio_buffer.h"

namespace sf::test::ebu {

struct Segment {
    double seconds;
    double level_dbfs;   // -inf (or < -200) for silence
};

// A sine at freq_hz whose level steps through `segments`, phase continuous
// across segments, identical in every channel (or per-channel levels via
// channel_offsets_db, added to each segment's level).
inline AudioBuffer stepped_sine(int rate, int channels, const std::vector<Segment>& segments, double freq_hz = 1000.0,
                                const std::vector<double>& channel_offsets_db = {}) {
    int64_t total = 0;
    for (const auto& s : segments) total += std::llround(s.seconds * rate);
    AudioBuffer b(channels, total);
    int64_t pos = 0;
    const double w = 2.0 * std::numbers::pi * freq_hz / rate;
    // One period in a table when the frequency divides the rate (1 kHz at
    // 48 kHz: 48 samples): exact, and much faster than sin() per sample.
    const double period = rate / freq_hz;
    std::vector<double> table;
    if (period == std::floor(period) && period <= 1e5) {
        table.resize(static_cast<size_t>(period));
        for (size_t i = 0; i < table.size(); ++i) table[i] = std::sin(w * static_cast<double>(i));
    }
    for (const auto& s : segments) {
        const int64_t n = std::llround(s.seconds * rate);
        for (int c = 0; c < channels; ++c) {
            const double off = channel_offsets_db.empty() ? 0.0 : channel_offsets_db[static_cast<size_t>(c)];
            const double amp = s.level_dbfs < -200.0 ? 0.0 : std::pow(10.0, (s.level_dbfs + off) / 20.0);
            float* x = b.channel(c) + pos;
            if (amp == 0.0) continue;
            if (!table.empty()) {
                const auto p = static_cast<int64_t>(table.size());
                int64_t k = pos % p;
                for (int64_t i = 0; i < n; ++i) {
                    x[i] = static_cast<float>(amp * table[static_cast<size_t>(k)]);
                    if (++k == p) k = 0;
                }
            } else {
                for (int64_t i = 0; i < n; ++i) x[i] = static_cast<float>(amp * std::sin(w * static_cast<double>(pos + i)));
            }
        }
        pos += n;
    }
    return b;
}

inline constexpr double kSilence = -1000.0;

// A sine of amplitude `amplitude` at rate / divisor with a starting phase
// (degrees), for the true-peak tests 15..19: x[n] = A·sin(2π n / divisor + φ).
inline AudioBuffer phased_sine(int rate, int channels, double seconds, double divisor, double phase_deg, double amplitude) {
    const int64_t n = std::llround(seconds * rate);
    AudioBuffer b(channels, n);
    const double phi = phase_deg * std::numbers::pi / 180.0;
    for (int c = 0; c < channels; ++c)
        for (int64_t i = 0; i < n; ++i)
            b.channel(c)[i] = static_cast<float>(amplitude * std::sin(2.0 * std::numbers::pi * static_cast<double>(i) / divisor + phi));
    return b;
}

}  // namespace sf::test::ebu
