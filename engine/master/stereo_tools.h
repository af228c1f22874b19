// Stemforge — the master's stereo tools: width (M/S), mono below a frequency
// (for vinyl cutting), balance. Definition and CPU implementation.
//
// Definitions, in processing order, for a stereo signal (L, R):
//   width:   M = (L + R)/2, S = (L - R)/2, S' = width * S, L = M + S', R = M - S'
//            (0 = mono, 1 = unchanged, 2 = twice the side level).
//   mono below fc: S' = HP_fc(S) where HP = 1 - LP_fc is the zero-phase LR4
//            high-pass of the crossover (engine/master/crossover.h); M is
//            delayed to stay aligned. Below fc the output is mono (-6 dB side
//            at fc, -24 dB/octave further down).
//   balance: the stereo-stem balance law of engine/dsp/gain.h (pan_gains with
//            2 channels): the near channel is untouched, the far one scaled
//            by cos(|balance|*pi/2).
// Width without mono-below has no latency; mono-below adds the crossover's.
#pragma once

#include <memory>
#include <optional>

#include "engine/audio/audio_buffer.h"
#include "engine/master/crossover.h"

namespace sf::master {

struct StereoToolsSpec {
    double width = 1.0;                    // >= 0
    std::optional<double> mono_below_hz;   // in (0, rate/2)
    double balance = 0.0;                  // -1 (left) .. +1 (right)
    bool is_identity() const { return width == 1.0 && !mono_below_hz && balance == 0.0; }
};

// Scales the side signal of frames [0, frames) of a stereo buffer in place.
void apply_width(AudioBuffer& stereo, int64_t frames, double width);

class StereoTools {
public:
    StereoTools(const StereoToolsSpec& spec, int sample_rate);
    ~StereoTools();
    int64_t latency_frames() const;  // output frame t holds input frame t - latency
    // Processes frames [0, frames) of a stereo buffer in place.
    void process(AudioBuffer& stereo, int64_t frames);
    // Before any input: as if `frames` frames of silence had passed (CrossoverBank::advance_silent).
    void advance_silent(int64_t frames);

private:
    StereoToolsSpec spec_;
    double near_far_[2] = {1.0, 1.0};  // balance gains for L, R
    std::unique_ptr<CrossoverBank> side_split_;
    std::vector<float> mid_delay_;     // ring of latency frames
    size_t mid_pos_ = 0;
    AudioBuffer side_, mid_;
    std::vector<AudioBuffer> bands_;
};

}  // namespace sf::master
