#include "engine/dsp/gain.h"

#include <algorithm>
#include <cmath>
#include <numbers>

namespace sf {

PanGains pan_gains(double pan, int channels) {
    PanGains g;
    if (channels == 1) {
        const double theta = (pan + 1.0) * std::numbers::pi / 4.0;
        g.ll = std::cos(theta);
        g.lr = std::sin(theta);
        g.rl = 0.0;
        g.rr = 0.0;
        return g;
    }
    const double far = std::cos(std::abs(pan) * std::numbers::pi / 2.0);
    g.ll = pan > 0.0 ? far : 1.0;
    g.rr = pan < 0.0 ? far : 1.0;
    g.rl = 0.0;
    g.lr = 0.0;
    return g;
}

double automation_value_at(std::span<const AutomationPoint> points, double time_s) {
    if (points.empty()) return 0.0;
    if (time_s <= points.front().time_s) return points.front().value;
    if (time_s >= points.back().time_s) return points.back().value;
    auto it = std::upper_bound(points.begin(), points.end(), time_s,
                               [](double t, const AutomationPoint& p) { return t < p.time_s; });
    const AutomationPoint& b = *it;
    const AutomationPoint& a = *(it - 1);
    const double span = b.time_s - a.time_s;
    if (span <= 0.0) return b.value;
    return a.value + (b.value - a.value) * (time_s - a.time_s) / span;
}

ClipGain::ClipGain(const StemSpec& stem, int sample_rate, int64_t stem_start_frames, int64_t stem_frames)
    : automation_(stem.automation.gain_db),
      sample_rate_(sample_rate),
      start_(stem_start_frames),
      frames_(stem_frames),
      fade_in_frames_(stem.fade_in_s * sample_rate),
      fade_out_frames_(stem.fade_out_s * sample_rate),
      polarity_(stem.polarity_invert ? -1.0 : 1.0) {
    bool flat_automation = true;
    for (const auto& p : automation_) flat_automation &= p.value == 0.0;
    constant_ = flat_automation && fade_in_frames_ <= 0.0 && fade_out_frames_ <= 0.0;
}

void ClipGain::compute(int64_t block_start, std::span<float> out) const {
    for (size_t i = 0; i < out.size(); ++i) {
        const int64_t timeline = block_start + static_cast<int64_t>(i);
        const int64_t n = timeline - start_;  // frame within the stem
        if (n < 0 || n >= frames_) {
            out[i] = 0.0f;
            continue;
        }
        double g = polarity_;
        if (fade_in_frames_ > 0.0) g *= std::min(1.0, static_cast<double>(n) / fade_in_frames_);
        if (fade_out_frames_ > 0.0) g *= std::min(1.0, static_cast<double>(frames_ - n) / fade_out_frames_);
        if (!automation_.empty()) g *= db_to_gain(automation_value_at(automation_, static_cast<double>(timeline) / sample_rate_));
        out[i] = static_cast<float>(g);
    }
}

void apply_pan_fader(const AudioBuffer& src, std::span<const float> clip_gain, const PanGains& pan, double fader_gain,
                     int64_t frames, AudioBuffer& dst, bool accumulate) {
    assert(dst.channels() == 2 && dst.frames() >= frames && static_cast<int64_t>(clip_gain.size()) >= frames);
    const float* in_l = src.channel(0);
    const float* in_r = src.channels() > 1 ? src.channel(1) : src.channel(0);
    float* out_l = dst.channel(0);
    float* out_r = dst.channel(1);
    const float ll = static_cast<float>(pan.ll * fader_gain), rl = static_cast<float>(pan.rl * fader_gain);
    const float lr = static_cast<float>(pan.lr * fader_gain), rr = static_cast<float>(pan.rr * fader_gain);
    for (int64_t i = 0; i < frames; ++i) {
        const float g = clip_gain[static_cast<size_t>(i)];
        const float l = in_l[i] * g, r = in_r[i] * g;
        const float ol = ll * l + rl * r;
        const float orr = lr * l + rr * r;
        if (accumulate) {
            out_l[i] += ol;
            out_r[i] += orr;
        } else {
            out_l[i] = ol;
            out_r[i] = orr;
        }
    }
}

}  // namespace sf
