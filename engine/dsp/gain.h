// Stemforge — the gain stages of a stem: clip gain (polarity, fades,
// automation), pan / balance, and the fader.
//
// Definitions (DESIGN.md, "Semantics"):
// - Fades are linear in amplitude, measured from the stem's own start and end.
// - Gain automation interpolates linearly in dB between [time_s, gain_db]
//   breakpoints on the session timeline, holding the first and last values.
// - Pan is constant power: a mono stem feeds L = cos θ, R = sin θ with
//   θ = (pan + 1)·π/4, so centre is −3.01 dB per channel. A stereo stem's pan
//   is a balance: the near channel is untouched, the far one is scaled by
//   cos(|pan|·π/2) (silent at the extremes).
#pragma once

#include <cmath>
#include <cstdint>
#include <span>
#include <vector>

#include "engine/audio/audio_buffer.h"
#include "engine/session/session.h"

namespace sf {

inline double db_to_gain(double db) { return std::pow(10.0, db / 20.0); }

struct PanGains {
    // out_L = ll·in_L + rl·in_R, out_R = lr·in_L + rr·in_R (in_R = in_L for mono)
    double ll = 1.0, rl = 0.0, lr = 0.0, rr = 1.0;
};

// The pan law above, for a stem of `channels` (1 or 2) channels.
PanGains pan_gains(double pan, int channels);

// The value of an automation lane at time_s: linear between breakpoints in
// the value's own unit, the end values held, a step where two points share
// a time (the later one wins from that time on); 0 when empty.
double automation_value_at(std::span<const AutomationPoint> points, double time_s);

// Per-sample clip gain of one stem: polarity × fades × automation.
class ClipGain {
public:
    // stem_start_frames: where the stem starts on the timeline;
    // stem_frames: its length at the session rate.
    ClipGain(const StemSpec& stem, int sample_rate, int64_t stem_start_frames, int64_t stem_frames);

    // Gains for timeline frames [block_start, block_start + out.size()).
    void compute(int64_t block_start, std::span<float> out) const;

    // True when the gain is one constant over the whole stem (fast path).
    bool is_constant() const { return constant_; }
    double constant_gain() const { return polarity_; }

private:
    std::vector<AutomationPoint> automation_;
    int sample_rate_;
    int64_t start_, frames_;
    double fade_in_frames_, fade_out_frames_;
    double polarity_;
    bool constant_;
};

// Applies clip gain, pan and fader: src (1 or 2 channels) -> dst (stereo),
// accumulating (dst += ...) when `accumulate`.
void apply_pan_fader(const AudioBuffer& src, std::span<const float> clip_gain, const PanGains& pan, double fader_gain,
                     int64_t frames, AudioBuffer& dst, bool accumulate);

}  // namespace sf
