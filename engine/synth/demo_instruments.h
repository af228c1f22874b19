// Stemforge — the demo's instruments: deterministic synthesis of the demo
// session's stems and its hall impulse response (120 bpm, Am–F–C–G, 8-bar
// sections). Pure DSP: what each stem is, where it goes and how it is mixed
// is described in assets/demo/demo.json, read by the app's demo command.
//
// Same inputs, same samples, on every platform: the noise comes from
// sf::Random, and an instrument draws from the generator it is given in a
// fixed order, so the order of calls is part of the result.
#pragma once

#include <algorithm>
#include <cmath>
#include <span>
#include <string>
#include <string_view>
#include <vector>

#include "engine/core/random.h"

namespace sf::synth {

// A stem under construction: planar samples at its own rate, `duration_s`
// long (frames = floor(duration_s * rate)); add() past the end is dropped.
struct Track {
    std::string name;
    int rate;
    int channels;
    std::vector<std::vector<float>> data;
    Track(std::string n, int r, int ch, double duration_s)
        : name(std::move(n)), rate(r), channels(ch),
          data(static_cast<size_t>(ch), std::vector<float>(static_cast<size_t>(duration_s * r), 0.0f)) {}
    size_t frames() const { return data[0].size(); }
    void add(int c, size_t i, double v) {
        if (i < frames()) data[static_cast<size_t>(c)][i] += static_cast<float>(v);
    }
    // Scales to `peak` (linear) at the largest magnitude.
    void normalize(double peak) {
        double m = 1e-12;
        for (auto& ch : data)
            for (float v : ch) m = std::max(m, static_cast<double>(std::abs(v)));
        for (auto& ch : data)
            for (float& v : ch) v = static_cast<float>(v * peak / m);
    }
};


struct Instrument {
    std::string_view name;
    int channels;  // the Track it fills must have this many
};

// The instruments, in no particular order: kick, snare, hats, shaker, crash,
// bass, keys, pad, lead, voice, pluck, strings, riser, hall (the stereo IR).
std::span<const Instrument> instruments();

// Adds instrument `name` into `track`: the arrangement played for
// `duration_s` (it loops every 8 bars; the hall ignores it and fills the
// track), drawing noise from `rng`. Returns false (track untouched) for an
// unknown name or a channel count the instrument does not have.
bool play(std::string_view name, Track& track, double duration_s, Random& rng);

}  // namespace sf::synth
