#include "engine/dsp/chorus.h"

#include <algorithm>
#include <bit>
#include <cassert>
#include <cmath>
#include <numbers>

namespace sf {

ChorusDesign design_chorus(const ChorusSpec& spec, int sample_rate) {
    assert(sample_rate > 0 && spec.voices >= 1 && spec.voices <= kChorusMaxVoices && spec.delay_ms > spec.depth_ms && spec.depth_ms >= 0);
    const double fs = static_cast<double>(sample_rate);
    ChorusDesign d;
    d.delay_frames = spec.delay_ms * fs / 1000.0;
    d.depth_frames = spec.depth_ms * fs / 1000.0;
    d.cycles_per_frame = spec.rate_hz / fs;
    d.voices = spec.voices;
    d.dry = 1.0 - spec.mix;
    d.wet_per_voice = spec.mix / spec.voices;
    for (int c = 0; c < kChorusMaxChannels; ++c)
        for (int v = 0; v < spec.voices; ++v) {
            double cycles = static_cast<double>(v) / spec.voices + c * spec.stereo_phase_deg / 360.0;
            cycles -= std::floor(cycles);
            d.offset_sin[c][v] = std::sin(2.0 * std::numbers::pi * cycles);
            d.offset_cos[c][v] = std::cos(2.0 * std::numbers::pi * cycles);
        }
    // Below one frame of delay the interpolation reads x(n + 1). The margin
    // keeps a delay that only rounds to just under one frame (delay − depth
    // exactly one frame) on the safe side.
    d.latency_frames = d.delay_frames - d.depth_frames < 1.0 + 1e-9 ? 1 : 0;
    d.max_delay_frames = static_cast<int64_t>(std::ceil(d.delay_frames + d.depth_frames));
    return d;
}

Chorus::Chorus(const ChorusSpec& spec, int sample_rate, int channels) : d_(design_chorus(spec, sample_rate)), channels_(channels) {
    assert(channels >= 1 && channels <= kChorusMaxChannels);
    const auto size = std::bit_ceil(static_cast<uint64_t>(d_.history_frames() + 1));
    mask_ = static_cast<int64_t>(size) - 1;
    ring_.assign(static_cast<size_t>(channels), std::vector<float>(size, 0.0f));
}

void Chorus::process(float* const* channels, int64_t frames, int64_t frame) {
    assert(!started_ || frame >= next_frame_);
    if (started_ && frame > next_frame_) {  // frames never passed in: silence
        const int64_t gap = std::min(frame - next_frame_, mask_ + 1);
        for (auto& ring : ring_)
            for (int64_t f = next_frame_; f < next_frame_ + gap; ++f) ring[static_cast<size_t>(f & mask_)] = 0.0f;
    }
    started_ = true;
    next_frame_ = frame + frames;
    const int64_t latency = d_.latency_frames;
    // sin and cos of the LFO angle 2π·frac(rate/fs·m): exact at every output
    // frame m that is a multiple of kLfoAnchorFrames, a rotation by the
    // per-frame angle from there (63 steps at most: relative error below
    // 1e-14, far under the float output's resolution). A value depends on
    // its frame only, never on how the render is cut into blocks.
    constexpr int64_t kLfoAnchorFrames = 64;
    const double step_sin = std::sin(2.0 * std::numbers::pi * d_.cycles_per_frame);
    const double step_cos = std::cos(2.0 * std::numbers::pi * d_.cycles_per_frame);
    double s0 = 0.0, c0 = 1.0;
    auto rotate = [&] {
        const double s1 = s0 * step_cos + c0 * step_sin;
        c0 = c0 * step_cos - s0 * step_sin;
        s0 = s1;
    };
    for (int64_t i = 0; i < frames; ++i) {
        const int64_t p = frame + i;
        for (int c = 0; c < channels_; ++c) ring_[static_cast<size_t>(c)][static_cast<size_t>(p & mask_)] = channels[c][i];
        const int64_t m = p - latency;  // the output's timeline frame
        const int64_t offset = ((m % kLfoAnchorFrames) + kLfoAnchorFrames) % kLfoAnchorFrames;
        if (i == 0 || offset == 0) {
            double phase = d_.cycles_per_frame * static_cast<double>(m - offset);
            phase -= std::floor(phase);
            s0 = std::sin(2.0 * std::numbers::pi * phase);
            c0 = std::cos(2.0 * std::numbers::pi * phase);
            for (int64_t k = 0; k < offset; ++k) rotate();
        } else {
            rotate();
        }
        for (int c = 0; c < channels_; ++c) {
            const float* ring = ring_[static_cast<size_t>(c)].data();
            auto at = [&](int64_t f) { return static_cast<double>(ring[f & mask_]); };
            double wet = 0.0;
            for (int v = 0; v < d_.voices; ++v) {
                const double s = s0 * d_.offset_cos[c][v] + c0 * d_.offset_sin[c][v];  // sin(2π(φ + offset))
                // max(0, ·): only a depth within rounding of the delay could go below.
                const double delay = std::max(0.0, d_.delay_frames + d_.depth_frames * s);
                const double k = std::ceil(delay);
                const double t = k - delay;
                const int64_t j = m - static_cast<int64_t>(k);  // x(n − D) = x at j + t
                wet += t == 0.0 ? at(j) : catmull_rom(at(j - 1), at(j), at(j + 1), at(j + 2), t);
            }
            channels[c][i] = static_cast<float>(d_.dry * at(m) + d_.wet_per_voice * wet);
        }
    }
}

}  // namespace sf
