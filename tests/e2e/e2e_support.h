// Helpers shared by the end-to-end tests: build a session folder, render it
// with the real binary, read what came out.
#pragma once

#include <gtest/gtest.h>

#include <nlohmann/json.hpp>

#include "tests/support/test_support.h"

namespace sf::test {

inline nlohmann::json session_with(nlohmann::json stems) {
    return {{"format", "stemforge-session"}, {"version", 1}, {"sample_rate", 48000}, {"stems", std::move(stems)}};
}

inline nlohmann::json float_export(const std::string& file) {
    return nlohmann::json::array({{{"file", file}, {"bit_depth", 32}}});
}

// Counts the lines of a text (a trailing newline ends the last line).
inline int line_count(const std::string& s) {
    int n = 0;
    for (char c : s) n += c == '\n';
    if (!s.empty() && s.back() != '\n') ++n;
    return n;
}

// Noise low-passed well below 20 kHz (one pole at ~1.6 kHz at 48 kHz),
// amplitude about `amplitude`: a programme whose 44.1 kHz export holds the
// same loudness as its 48 kHz one (white noise loses a measurable part of
// its K-weighted loudness above 22.05 kHz, so one master gain could not meet
// a target on both).
inline AudioBuffer lowpassed_noise(int channels, int64_t frames, uint64_t seed, double amplitude) {
    AudioBuffer b = noise(channels, frames, seed, 3.0 * amplitude);
    for (int c = 0; c < channels; ++c) {
        double y = 0.0;
        for (int64_t i = 0; i < frames; ++i) b.channel(c)[i] = static_cast<float>(y += 0.2 * (b.channel(c)[i] - y));
    }
    return b;
}

}  // namespace sf::test
