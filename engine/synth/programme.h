// Stemforge — a synthetic stereo programme for mastering benchmarks and
// demos: a deterministic stand-in for a finished mix (kick, bass, chords,
// hats, noise bed; quiet intro, loud choruses), band-limited below 0.45 fs.
#pragma once

#include <cstdint>

#include "engine/audio/audio_buffer.h"

namespace sf::synth {

// `seconds` of stereo at `rate`, peaks near -3 dBFS, about -20 LUFS.
AudioBuffer synth_programme(int rate, double seconds, uint64_t seed);

}  // namespace sf::synth
