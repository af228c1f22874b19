// Stemforge — the benchmarks' test signals: deterministic, broadband, not
// silent, cheap to make. The sessions that use them are described with the
// benchmark commands (app/bench_session.*, app/bench_analyze.cpp); only the
// synthesis lives here.
#pragma once

#include <cstdint>

#include "engine/audio/audio_buffer.h"
#include "engine/core/random.h"

namespace sf::synth {

// Stem `index` of the mixing benchmark: four partials of a pitch that steps
// by semitones with the index (55 Hz · 2^((index mod 24)/12)), a slow
// tremolo, a little noise (seeded by the index). About -12 dBFS peak.
AudioBuffer bench_stem(int index, int channels, int64_t frames, int rate);

// Reverb IR `index` of the mixing benchmark: stereo noise (seeded by the
// index) decaying 60 dB over 95 % of its length, peak ≈ 0.05.
AudioBuffer bench_ir(int index, int64_t frames);

// The analysis benchmark's programme, made block by block (any block sizes
// give the same samples): stereo low-passed and band-passed noise under a
// slow level envelope plus tones at 110 Hz and 1760 Hz, clipped to ±0.99.
class MusicLikeNoise {
public:
    MusicLikeNoise(int rate, uint64_t seed);
    // Fills the first `frames` frames of both channels of `out` (stereo).
    void render(AudioBuffer& out, int64_t frames);

private:
    int rate_;
    Random rng_;
    int64_t pos_ = 0;
    double lp_[2] = {0, 0}, bp_[2] = {0, 0};
    double f1_, f2_;
    double c1_ = 1, s1_ = 0, c2_ = 1, s2_ = 0;  // tones by rotation (no sin() per sample)
};

}  // namespace sf::synth
