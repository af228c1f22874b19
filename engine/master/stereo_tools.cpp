#include "engine/master/stereo_tools.h"

#include <cassert>

#include "engine/dsp/gain.h"

namespace sf::master {

void apply_width(AudioBuffer& stereo, int64_t frames, double width) {
    assert(stereo.channels() == 2 && stereo.frames() >= frames);
    if (width == 1.0) return;
    float* l = stereo.channel(0);
    float* r = stereo.channel(1);
    const float w = static_cast<float>(width);
    for (int64_t i = 0; i < frames; ++i) {
        const float m = 0.5f * (l[i] + r[i]);
        const float s = 0.5f * (l[i] - r[i]) * w;
        l[i] = m + s;
        r[i] = m - s;
    }
}

StereoTools::StereoTools(const StereoToolsSpec& spec, int sample_rate) : spec_(spec) {
    assert(spec.width >= 0.0 && spec.balance >= -1.0 && spec.balance <= 1.0);
    const PanGains g = pan_gains(spec.balance, 2);
    near_far_[0] = g.ll;
    near_far_[1] = g.rr;
    if (spec.mono_below_hz) {
        const double fc = *spec.mono_below_hz;
        side_split_ = std::make_unique<CrossoverBank>(design_crossover(std::span<const double>(&fc, 1), sample_rate), 1);
        mid_delay_.assign(static_cast<size_t>(side_split_->latency_frames()), 0.0f);
    }
}

StereoTools::~StereoTools() = default;

void StereoTools::advance_silent(int64_t frames) {
    if (side_split_) side_split_->advance_silent(frames);
}

int64_t StereoTools::latency_frames() const { return side_split_ ? side_split_->latency_frames() : 0; }

void StereoTools::process(AudioBuffer& stereo, int64_t frames) {
    assert(stereo.channels() == 2 && stereo.frames() >= frames);
    apply_width(stereo, frames, spec_.width);
    float* l = stereo.channel(0);
    float* r = stereo.channel(1);
    if (side_split_) {
        mid_.resize(1, frames);
        side_.resize(1, frames);
        float* m = mid_.channel(0);
        float* s = side_.channel(0);
        for (int64_t i = 0; i < frames; ++i) {
            m[i] = 0.5f * (l[i] + r[i]);
            s[i] = 0.5f * (l[i] - r[i]);
        }
        side_split_->process(side_, frames, bands_);
        const float* s_high = bands_[1].channel(0);
        const size_t delay = mid_delay_.size();
        for (int64_t i = 0; i < frames; ++i) {
            const float md = mid_delay_[mid_pos_];
            mid_delay_[mid_pos_] = m[i];
            mid_pos_ = mid_pos_ + 1 == delay ? 0 : mid_pos_ + 1;
            l[i] = md + s_high[i];
            r[i] = md - s_high[i];
        }
    }
    if (spec_.balance != 0.0) {
        const float gl = static_cast<float>(near_far_[0]), gr = static_cast<float>(near_far_[1]);
        for (int64_t i = 0; i < frames; ++i) {
            l[i] *= gl;
            r[i] *= gr;
        }
    }
}

}  // namespace sf::master
