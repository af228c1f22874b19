#include "engine/dsp/gain.h"

#include <algorithm>
#include <cassert>
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

PanGains width_gains(double width) {
    const double a = 0.5 * (1.0 + width), b = 0.5 * (1.0 - width);
    return PanGains{a, b, b, a};
}

PanGains then(const PanGains& first, const PanGains& second) {
    // out = second · (first · in), in the PanGains convention
    // out_L = ll·in_L + rl·in_R, out_R = lr·in_L + rr·in_R.
    PanGains g;
    g.ll = second.ll * first.ll + second.rl * first.lr;
    g.rl = second.ll * first.rl + second.rl * first.rr;
    g.lr = second.lr * first.ll + second.rr * first.lr;
    g.rr = second.lr * first.rl + second.rr * first.rr;
    return g;
}

PanGains stem_gains(double pan, std::optional<double> width, int channels) {
    const PanGains p = pan_gains(pan, channels);
    if (!width || channels == 1) return p;
    return then(width_gains(*width), p);
}

double automation_value_at(std::span<const AutomationPoint> points, double time_s) {
    if (points.empty()) return 0.0;
    // Strictly before: at the first time itself the search below applies, so
    // a step there (two points at that time) takes the later value from that
    // time on, like any other step.
    if (time_s < points.front().time_s) return points.front().value;
    if (time_s >= points.back().time_s) return points.back().value;
    auto it = std::upper_bound(points.begin(), points.end(), time_s,
                               [](double t, const AutomationPoint& p) { return t < p.time_s; });
    const AutomationPoint& b = *it;
    const AutomationPoint& a = *(it - 1);
    const double span = b.time_s - a.time_s;
    if (span <= 0.0) return b.value;
    return a.value + (b.value - a.value) * (time_s - a.time_s) / span;
}

namespace {

// The first frame n whose time n / fs reaches time_s (n / fs >= time_s, in
// double as automation_value_at compares), clamped to ±2^52 where every
// integer is a double and the search below ends.
int64_t first_frame_at(double time_s, int sample_rate) {
    constexpr double kLimit = 4503599627370496.0;  // 2^52
    const double fs = static_cast<double>(sample_rate);
    const double guess = std::ceil(time_s * fs);
    if (!(guess < kLimit)) return static_cast<int64_t>(kLimit);
    if (!(guess > -kLimit)) return -static_cast<int64_t>(kLimit);
    int64_t n = static_cast<int64_t>(guess);
    while (static_cast<double>(n - 1) / fs >= time_s) --n;
    while (static_cast<double>(n) / fs < time_s) ++n;
    return n;
}

}  // namespace

AutomationCurve::AutomationCurve(std::span<const AutomationPoint> lane, int sample_rate)
    : points_(lane.begin(), lane.end()), sample_rate_(sample_rate) {
    assert(std::is_sorted(points_.begin(), points_.end(), [](const auto& a, const auto& b) { return a.time_s < b.time_s; }));
    starts_.reserve(points_.size());
    for (const AutomationPoint& p : points_) starts_.push_back(first_frame_at(p.time_s, sample_rate));
}

size_t AutomationCurve::segment_at(int64_t frame) const {
    return static_cast<size_t>(std::upper_bound(starts_.begin(), starts_.end(), frame) - starts_.begin());
}

// automation_value_at's expression with its search replaced by `segment`
// (the number of breakpoints in effect: segment_at's count of starts <= frame
// equals its upper_bound's count of times <= frame / fs, so both name the
// same two points).
double AutomationCurve::value(size_t segment, int64_t frame) const {
    const double t = static_cast<double>(frame) / sample_rate_;
    if (t < points_.front().time_s) return points_.front().value;
    if (t >= points_.back().time_s) return points_.back().value;
    const AutomationPoint& a = points_[segment - 1];
    const AutomationPoint& b = points_[segment];
    const double span = b.time_s - a.time_s;
    if (span <= 0.0) return b.value;
    return a.value + (b.value - a.value) * (t - a.time_s) / span;
}

double AutomationCurve::slope_per_frame(size_t segment) const {
    if (segment == 0 || segment >= points_.size()) return 0.0;
    const AutomationPoint& a = points_[segment - 1];
    const AutomationPoint& b = points_[segment];
    const double span = b.time_s - a.time_s;
    return span > 0.0 ? (b.value - a.value) / (span * sample_rate_) : 0.0;
}

double AutomationCurve::value_at(int64_t frame) const {
    if (points_.empty()) return 0.0;
    return value(segment_at(frame), frame);
}

bool AutomationCurve::values(int64_t first_frame, std::span<double> out) const {
    if (points_.empty()) {
        std::fill(out.begin(), out.end(), 0.0);
        return true;
    }
    size_t segment = segment_at(first_frame);
    bool constant = true;
    for (size_t i = 0; i < out.size(); ++i) {
        const int64_t n = first_frame + static_cast<int64_t>(i);
        while (segment < starts_.size() && starts_[segment] <= n) ++segment;
        out[i] = value(segment, n);
        constant &= out[i] == out[0];
    }
    return constant;
}

template <class Start, class Step>
void AutomationCurve::walk(int64_t first_frame, size_t frames, Start start, Step step) const {
    size_t segment = segment_at(first_frame);
    for (size_t i = 0; i < frames; ++i) {
        const int64_t n = first_frame + static_cast<int64_t>(i);
        const size_t before = segment;
        while (segment < starts_.size() && starts_[segment] <= n) ++segment;
        if (i == 0 || segment != before || n % kAutomationAnchorFrames == 0) {
            // The anchor: the latest multiple of the spacing, or where this piece starts.
            int64_t anchor = n - ((n % kAutomationAnchorFrames) + kAutomationAnchorFrames) % kAutomationAnchorFrames;
            if (segment > 0) anchor = std::max(anchor, starts_[segment - 1]);
            start(i, value(segment, anchor), n - anchor, slope_per_frame(segment));
        } else {
            step(i);
        }
    }
}

bool AutomationCurve::gains(int64_t first_frame, std::span<double> out) const {
    if (points_.empty()) {
        std::fill(out.begin(), out.end(), 1.0);
        return true;
    }
    constexpr double kNeperPerDb = std::numbers::ln10 / 20.0;
    double g = 1.0, ratio = 1.0;
    bool constant = true;
    walk(
        first_frame, out.size(),
        [&](size_t i, double anchor_db, int64_t steps, double slope_db) {
            g = std::exp(anchor_db * kNeperPerDb);
            ratio = slope_db != 0.0 ? std::exp(slope_db * kNeperPerDb) : 1.0;
            for (int64_t k = 0; k < steps; ++k) g *= ratio;
            out[i] = g;
            constant &= out[i] == out[0];
        },
        [&](size_t i) {
            g *= ratio;
            out[i] = g;
            constant &= out[i] == out[0];
        });
    return constant;
}

bool AutomationCurve::mono_pan(int64_t first_frame, std::span<double> cos_theta, std::span<double> sin_theta) const {
    assert(cos_theta.size() == sin_theta.size());
    constexpr double kQuarterPi = std::numbers::pi / 4.0;
    double c = 0.0, s = 0.0, cd = 1.0, sd = 0.0;
    bool constant = true;
    auto put = [&](size_t i) {
        cos_theta[i] = c;
        sin_theta[i] = s;
        constant &= c == cos_theta[0] && s == sin_theta[0];
    };
    walk(
        first_frame, cos_theta.size(),
        [&](size_t i, double anchor_pan, int64_t steps, double slope) {
            const double theta = (anchor_pan + 1.0) * kQuarterPi;
            c = std::cos(theta);
            s = std::sin(theta);
            cd = std::cos(slope * kQuarterPi);
            sd = std::sin(slope * kQuarterPi);
            for (int64_t k = 0; k < steps; ++k) {
                const double c2 = c * cd - s * sd;
                s = s * cd + c * sd;
                c = c2;
            }
            put(i);
        },
        [&](size_t i) {
            const double c2 = c * cd - s * sd;
            s = s * cd + c * sd;
            c = c2;
            put(i);
        });
    return constant;
}

void AutomationCurve::pieces(int64_t first_frame, int64_t frames, std::vector<AutomationPiece>& out) const {
    assert(!points_.empty() && frames > 0);
    const int64_t end = first_frame + frames;
    size_t segment = segment_at(first_frame);
    out.push_back({first_frame, value(segment, first_frame), slope_per_frame(segment)});
    while (segment < starts_.size() && starts_[segment] < end) {
        const int64_t n = starts_[segment];
        while (segment < starts_.size() && starts_[segment] <= n) ++segment;  // a step: every point of it at once
        out.push_back({n, value(segment, n), slope_per_frame(segment)});
    }
}

namespace {
// One static stereo matrix over a block, rounded to float once.
void apply_matrix(const PanGains& g, const float* l, const float* r, int64_t frames, float* out_l, float* out_r) {
    const float ll = static_cast<float>(g.ll), rl = static_cast<float>(g.rl);
    const float lr = static_cast<float>(g.lr), rr = static_cast<float>(g.rr);
    for (int64_t i = 0; i < frames; ++i) {
        out_l[i] = ll * l[i] + rl * r[i];
        out_r[i] = lr * l[i] + rr * r[i];
    }
}
}  // namespace

StemPanWidth::StemPanWidth(const StemSpec& stem, int channels, int sample_rate, int64_t max_frames)
    : pan_(stem.automation.pan, sample_rate),
      width_(channels == 2 ? AutomationCurve(stem.automation.width, sample_rate) : AutomationCurve()),
      pan_static_(stem.pan),
      width_static_(stem.width),
      channels_(channels),
      static_(stem_gains(stem.pan, stem.width, channels)) {
    if (!automated()) return;
    pan_values_.resize(static_cast<size_t>(max_frames));
    width_values_.resize(static_cast<size_t>(max_frames));
}

void StemPanWidth::process(const float* l, const float* r, int64_t first_frame, int64_t frames, float* out_l, float* out_r) {
    if (!automated()) {
        apply_matrix(static_, l, r, frames, out_l, out_r);
        return;
    }
    assert(frames <= static_cast<int64_t>(pan_values_.size()));
    const size_t n = static_cast<size_t>(frames);
    std::span<double> pan(pan_values_.data(), n), width(width_values_.data(), n);
    if (channels_ == 1) {
        // Mono (a pan lane; mono stems have no width): the pan law's cos and
        // sin per frame by rotation (AutomationCurve::mono_pan).
        std::span<double> cos_theta = pan, sin_theta = width;
        pan_.mono_pan(first_frame, cos_theta, sin_theta);
        for (size_t i = 0; i < n; ++i) {
            out_l[i] = static_cast<float>(cos_theta[i]) * l[i];
            out_r[i] = static_cast<float>(sin_theta[i]) * l[i];
        }
        return;
    }
    bool constant = true;
    if (pan_.empty()) std::fill(pan.begin(), pan.end(), pan_static_);
    else constant &= pan_.values(first_frame, pan);
    const bool width_lane = !width_.empty();
    if (width_lane) constant &= width_.values(first_frame, width);
    PanGains g;
    for (size_t i = 0; i < n; ++i) {
        // Held lanes (most of a song): one matrix for the whole block.
        if (i == 0 || !constant) g = stem_gains(pan[i], width_lane ? std::optional<double>(width[i]) : width_static_, channels_);
        out_l[i] = static_cast<float>(g.ll) * l[i] + static_cast<float>(g.rl) * r[i];
        out_r[i] = static_cast<float>(g.lr) * l[i] + static_cast<float>(g.rr) * r[i];
    }
}

BusWidthFader::BusWidthFader(const BusSpec& bus, int sample_rate, int64_t max_frames)
    : gain_(bus.automation.gain_db, sample_rate),
      width_(bus.automation.width, sample_rate),
      fader_(db_to_gain(bus.gain_db)),
      width_static_(bus.width) {
    static_ = then(width_gains(width_static_.value_or(1.0)), PanGains{fader_, 0.0, 0.0, fader_});
    if (!automated()) return;
    gain_values_.resize(static_cast<size_t>(max_frames));
    width_values_.resize(static_cast<size_t>(max_frames));
}

void BusWidthFader::process(const float* l, const float* r, int64_t first_frame, int64_t frames, float* out_l, float* out_r) {
    if (!automated() && !width_static_) {  // the fader alone, as before width existed
        const float g = static_cast<float>(fader_);
        for (int64_t i = 0; i < frames; ++i) {
            out_l[i] = g * l[i];
            out_r[i] = g * r[i];
        }
        return;
    }
    if (!automated()) {
        apply_matrix(static_, l, r, frames, out_l, out_r);
        return;
    }
    assert(frames <= static_cast<int64_t>(gain_values_.size()));
    const size_t n = static_cast<size_t>(frames);
    std::span<double> gain(gain_values_.data(), n), width(width_values_.data(), n);
    bool constant = gain_.gains(first_frame, gain);  // linear; 1 when the lane is empty
    if (width_.empty()) std::fill(width.begin(), width.end(), width_static_.value_or(1.0));
    else constant &= width_.values(first_frame, width);
    PanGains g;
    for (size_t i = 0; i < n; ++i) {
        if (i == 0 || !constant) {  // held lanes: one matrix for the whole block
            const double fader = fader_ * gain[i];
            g = then(width_gains(width[i]), PanGains{fader, 0.0, 0.0, fader});
        }
        out_l[i] = static_cast<float>(g.ll) * l[i] + static_cast<float>(g.rl) * r[i];
        out_r[i] = static_cast<float>(g.lr) * l[i] + static_cast<float>(g.rr) * r[i];
    }
}

LaneGain::LaneGain(std::span<const AutomationPoint> lane_db, int sample_rate, float static_gain)
    : lane_(lane_db, sample_rate), static_gain_(static_gain) {}

void LaneGain::compute(int64_t first_frame, std::span<double> scratch, std::span<float> out) const {
    assert(scratch.size() >= out.size());
    std::span<double> gain = scratch.first(out.size());
    lane_.gains(first_frame, gain);
    for (size_t i = 0; i < out.size(); ++i) out[i] = static_cast<float>(static_gain_ * gain[i]);
}

ClipGain::ClipGain(const StemSpec& stem, int sample_rate, int64_t stem_start_frames, int64_t stem_frames)
    : automation_(stem.automation.gain_db, sample_rate),
      sample_rate_(sample_rate),
      start_(stem_start_frames),
      frames_(stem_frames),
      fade_in_frames_(stem.fade_in_s * sample_rate),
      fade_out_frames_(stem.fade_out_s * sample_rate),
      polarity_(stem.polarity_invert ? -1.0 : 1.0) {
    bool flat_automation = true;
    for (const auto& p : stem.automation.gain_db) flat_automation &= p.value == 0.0;
    constant_ = flat_automation && fade_in_frames_ <= 0.0 && fade_out_frames_ <= 0.0;
}

void ClipGain::compute(int64_t block_start, std::span<float> out) {
    if (!automation_.empty()) {
        if (automation_gain_.size() < out.size()) automation_gain_.resize(out.size());
        automation_.gains(block_start, std::span<double>(automation_gain_.data(), out.size()));
    }
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
        if (!automation_.empty()) g *= automation_gain_[i];
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
