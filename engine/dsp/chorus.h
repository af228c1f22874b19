// Stemforge — the chorus stage (stem and bus insert): definition and CPU
// reference.
//
// Definition (DESIGN.md, "Session v1 additions"): per channel c (0 = L,
// 1 = R) and voice v of V, with n the timeline frame (counted from the
// session's time 0) and fs the session rate,
//     d(n)  = delay_ms + depth_ms·sin(2π·rate_hz·n/fs + 2π·v/V + c·stereo_phase)
//     w_v(n) = x(n − d(n)·fs/1000)  by 4-point cubic Hermite (Catmull-Rom)
//              interpolation, x before its first sample (and after its last) 0
//     y(n)  = (1 − mix)·x(n) + mix·(1/V)·Σ_v w_v(n)
// A mono signal has one channel (c = 0).
//
// How it is evaluated (the GPU twin, shaders/chorus.comp, runs the same
// steps in double): the LFO phase in cycles φ = frac(rate/fs · n), so the
// argument stays in [0, 1) however long the render; sin and cos of 2π·φ
// once per frame, and each (channel, voice) by the angle-sum identity with
// its offset 2π·(v/V + c·stereo_phase_deg/360) (designed once, below). The
// delay in frames D = delay_frames + depth_frames·s is split into an
// integer k = ceil(D) and t = k − D ∈ [0, 1), so the read position n − D =
// (n − k) + t keeps full precision however large n is.
//
// Latency: 0, unless the delay can fall below one frame
// ((delay_ms − depth_ms)·fs/1000 < 1): the interpolation then needs x(n + 1),
// and the stage outputs y(n − 1) (latency 1). Tail: after the input ends the
// output can be non-zero for latency + ceil(max delay) + 2 frames.
#pragma once

#include <array>
#include <cstdint>
#include <vector>

#include "engine/session/session.h"

namespace sf {

inline constexpr int kChorusMaxVoices = 8;
inline constexpr int kChorusMaxChannels = 2;

// The chorus designed once in double, shared by the CPU reference and the GPU twin.
struct ChorusDesign {
    double delay_frames = 0.0;      // delay_ms · fs / 1000
    double depth_frames = 0.0;      // depth_ms · fs / 1000
    double cycles_per_frame = 0.0;  // rate_hz / fs: LFO phase advance per frame, in cycles
    double dry = 1.0;               // 1 − mix
    double wet_per_voice = 0.0;     // mix / voices
    int voices = 1;
    // sin and cos of each (channel, voice) LFO offset 2π·(v/V + c·stereo_phase_deg/360).
    std::array<std::array<double, kChorusMaxVoices>, kChorusMaxChannels> offset_sin{}, offset_cos{};
    int64_t latency_frames = 0;     // 0, or 1 when the delay can fall below one frame
    int64_t max_delay_frames = 0;   // ceil((delay_ms + depth_ms) · fs / 1000)

    // Frames after the input ends in which the output (on the output's clock,
    // i.e. after the latency) can be non-zero: ceil(max delay) + 2.
    int64_t tail_frames() const { return max_delay_frames + 2; }
    // How far back from the newest input frame a read can reach (the input
    // history a block-wise implementation keeps): latency + ceil(max delay) + 2.
    int64_t history_frames() const { return latency_frames + max_delay_frames + 2; }
};

// Expects a validated spec (voices 1..8, delay_ms > depth_ms >= 0) and sample_rate > 0.
ChorusDesign design_chorus(const ChorusSpec& spec, int sample_rate);

// Catmull-Rom between x1 (t = 0) and x2 (t = 1), x0 and x3 the outer
// neighbours; t in [0, 1). The one definition both backends evaluate.
inline double catmull_rom(double x0, double x1, double x2, double x3, double t) {
    const double a1 = 0.5 * (x2 - x0);
    const double a2 = x0 - 2.5 * x1 + 2.0 * x2 - 0.5 * x3;
    const double a3 = 0.5 * (x3 - x0) + 1.5 * (x1 - x2);
    return ((a3 * t + a2) * t + a1) * t + x1;
}

class Chorus {
public:
    Chorus() = default;
    // channels: 1 or 2.
    Chorus(const ChorusSpec& spec, int sample_rate, int channels);

    // In place on channels[0..channels()) of `frames` samples. `frame` is the
    // timeline frame of the input's first sample; calls come in increasing
    // frame order and may leave gaps (frames never passed in count as
    // silence, as do frames before the first call). Output sample i is
    // y(frame + i − latency_frames()). Any split into calls gives the same
    // samples as one call over the whole signal.
    void process(float* const* channels, int64_t frames, int64_t frame);

    const ChorusDesign& design() const { return d_; }
    int channels() const { return channels_; }
    int64_t latency_frames() const { return d_.latency_frames; }
    int64_t tail_frames() const { return d_.tail_frames(); }

private:
    ChorusDesign d_;
    int channels_ = 0;
    int64_t mask_ = 0;                     // ring length − 1 (a power of two)
    std::vector<std::vector<float>> ring_; // per channel: input at timeline frame f in ring_[c][f & mask_]
    int64_t next_frame_ = 0;               // the frame the next call continues from
    bool started_ = false;
};

}  // namespace sf
