// Stemforge — the gain stages of a stem: clip gain (polarity, fades,
// automation), width, pan / balance, and the fader; a bus's width and fader;
// automated send levels; the automation lanes on the frame grid.
//
// Definitions (DESIGN.md, "Semantics"):
// - Fades are linear in amplitude, measured from the stem's own start and end.
// - Gain automation interpolates linearly in dB between [time_s, gain_db]
//   breakpoints on the session timeline, holding the first and last values.
// - Pan is constant power: a mono stem feeds L = cos θ, R = sin θ with
//   θ = (pan + 1)·π/4, so centre is −3.01 dB per channel. A stereo stem's pan
//   is a balance: the near channel is untouched, the far one is scaled by
//   cos(|pan|·π/2) (silent at the extremes).
// - Width (DESIGN.md "Session v1 additions"), stereo stems and buses, after
//   the inserts, before pan (a bus: before its fader): M = (L+R)/2,
//   S = (L−R)/2, L' = M + w·S, R' = M − w·S.
// - Automation lanes (pan, width, send_db.<bus>, a bus's gain_db) follow
//   automation_value_at: the value at timeline frame n is
//   automation_value_at(lane, n / fs). pan and width replace the static
//   value while present; send_db and a bus's gain_db multiply the static
//   gain by 10^(lane/20). "Timeline frame" is the signal's own time: a stage
//   behind a latency L (FFT hops, a linear-phase EQ's centre delay) sees
//   timeline frame n at block frame n + L, so it evaluates its lanes at
//   block frame − L (callers pass that as `first_frame`), and automation
//   stays aligned with the music on every backend whatever its latency.
#pragma once

#include <cmath>
#include <cstdint>
#include <optional>
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

// M/S width w as a matrix: L' = a·L + b·R, R' = b·L + a·R with a = (1+w)/2,
// b = (1−w)/2 (exactly the M/S definition; w = 1 is the identity, 0 the
// mono sum (L+R)/2 in both channels).
PanGains width_gains(double width);

// The matrix of applying `first`, then `second`.
PanGains then(const PanGains& first, const PanGains& second);

// A stem's width (nullopt: bypassed; ignored on a mono stem, which has no
// side) then its pan, for a stem of `channels` channels.
PanGains stem_gains(double pan, std::optional<double> width, int channels);

// The value of an automation lane at time_s: linear between breakpoints in
// the value's own unit, the end values held, a step where two points share
// a time (the later one wins from that time on, the first time included);
// 0 when empty.
double automation_value_at(std::span<const AutomationPoint> points, double time_s);

// One stretch of a lane on the frame grid (AutomationCurve::pieces): from
// timeline frame `first_frame` until the next piece's first frame, the value
// at frame n is value + slope_per_frame·(n − first_frame) up to rounding
// (value itself is exact: automation_value_at's at first_frame).
struct AutomationPiece {
    int64_t first_frame = 0;
    double value = 0.0;
    double slope_per_frame = 0.0;  // 0 where the lane holds
};

inline constexpr int64_t kAutomationAnchorFrames = 64;

// An automation lane on the frame grid of `sample_rate`: the one definition
// of a lane's value per frame, for the CPU mixer (values()) and for the GPU
// host code (pieces(), which the shaders interpolate). Frame n is at time
// n / sample_rate; each breakpoint takes effect at the first frame whose time
// reaches it, found once here in double, so a step lands on the same frame on
// every backend.
class AutomationCurve {
public:
    AutomationCurve() = default;  // an empty lane
    AutomationCurve(std::span<const AutomationPoint> lane, int sample_rate);

    bool empty() const { return points_.empty(); }
    size_t size() const { return points_.size(); }  // breakpoints
    // automation_value_at(lane, frame / sample_rate), bit for bit; 0 when empty.
    double value_at(int64_t frame) const;
    // out[i] = value_at(first_frame + i), bit for bit, in O(points + frames)
    // (one walk, no search per frame). Returns true when every value is equal.
    bool values(int64_t first_frame, std::span<double> out) const;
    // Per frame, the value turned into a gain (a lane in dB: 10^(v/20)) or
    // into the mono pan law's (cos θ, sin θ), θ = (v + 1)·π/4 — the
    // transcendental functions a lane feeds, in O(1) per frame: exact at
    // every anchor (a timeline frame that is a multiple of
    // kAutomationAnchorFrames, or where a piece starts), a geometric
    // recurrence (gains) or a rotation (pan) from the anchor on. Within 63
    // steps the recurrence's relative error stays below 1e-14, far under a
    // float's resolution; a value depends on its frame only, never on how a
    // render is cut into blocks. Return true when every value is equal.
    bool gains(int64_t first_frame, std::span<double> out) const;
    bool mono_pan(int64_t first_frame, std::span<double> cos_theta, std::span<double> sin_theta) const;
    // Appends the pieces covering frames [first_frame, first_frame + frames)
    // (frames > 0, lane not empty): the first starts at first_frame, each next
    // where the lane enters its next breakpoint; at most size() + 1 of them.
    void pieces(int64_t first_frame, int64_t frames, std::vector<AutomationPiece>& out) const;

private:
    size_t segment_at(int64_t frame) const;  // breakpoints in effect at frame (0 .. size())
    // Walks frames first_frame.. in order: at each anchor start(anchor value,
    // frames from the anchor, slope per frame), between anchors step().
    template <class Start, class Step>
    void walk(int64_t first_frame, size_t frames, Start start, Step step) const;
    double value(size_t segment, int64_t frame) const;
    double slope_per_frame(size_t segment) const;

    std::vector<AutomationPoint> points_;
    std::vector<int64_t> starts_;  // per breakpoint: the first frame in its effect
    int sample_rate_ = 48000;
};

// Per-sample clip gain of one stem: polarity × fades × automation.
class ClipGain {
public:
    // stem_start_frames: where the stem starts on the timeline;
    // stem_frames: its length at the session rate.
    ClipGain(const StemSpec& stem, int sample_rate, int64_t stem_start_frames, int64_t stem_frames);

    // Gains for timeline frames [block_start, block_start + out.size()).
    void compute(int64_t block_start, std::span<float> out);

    // True when the gain is one constant over the whole stem (fast path).
    bool is_constant() const { return constant_; }
    double constant_gain() const { return polarity_; }

private:
    AutomationCurve automation_;
    std::vector<double> automation_gain_;  // per-frame scratch
    int sample_rate_;
    int64_t start_, frames_;
    double fade_in_frames_, fade_out_frames_;
    double polarity_;
    bool constant_;
};

// Width then pan of one stem, per block (DESIGN.md "Session v1 additions"):
// static (one matrix, stem_gains, rounded to float once), or per frame where
// the stem has automation.pan or automation.width (the lane replaces the
// static value; the matrix is stem_gains of the frame's values, in double,
// rounded to float).
class StemPanWidth {
public:
    // max_frames: the longest block process() will see (scratch is allocated here).
    StemPanWidth(const StemSpec& stem, int channels, int sample_rate, int64_t max_frames);

    bool automated() const { return !pan_.empty() || !width_.empty(); }
    const PanGains& static_gains() const { return static_; }
    // l, r: the stem after its inserts (r == l for a mono stem) at timeline
    // frames [first_frame, first_frame + frames); writes the stereo result.
    void process(const float* l, const float* r, int64_t first_frame, int64_t frames, float* out_l, float* out_r);

private:
    AutomationCurve pan_, width_;
    double pan_static_ = 0.0;
    std::optional<double> width_static_;
    int channels_ = 1;
    PanGains static_;
    std::vector<double> pan_values_, width_values_;  // per-frame scratch (automated only)
};

// A bus's width then fader (DESIGN.md "Session v1 additions"): the fader is
// gain_db plus automation.gain_db (dB, added: static gain × 10^(lane/20));
// automation.width replaces the static width. Static: one matrix (or, with
// no width, the fader alone, as before width existed).
class BusWidthFader {
public:
    BusWidthFader(const BusSpec& bus, int sample_rate, int64_t max_frames);

    bool automated() const { return !gain_.empty() || !width_.empty(); }
    // l, r: the bus after its inserts at timeline frames [first_frame,
    // first_frame + frames); writes its output (out may not alias the input).
    void process(const float* l, const float* r, int64_t first_frame, int64_t frames, float* out_l, float* out_r);

private:
    AutomationCurve gain_, width_;
    double fader_ = 1.0;
    std::optional<double> width_static_;
    PanGains static_;  // fader × width
    std::vector<double> gain_values_, width_values_;
};

// An automated send level on its routing edge (automation.send_db.<bus>):
// gain(n) = static_gain · 10^(lane(n)/20), static_gain being the edge's
// (level_db, times the fader unless pre_fader).
class LaneGain {
public:
    LaneGain(std::span<const AutomationPoint> lane_db, int sample_rate, float static_gain);
    // out[i]: the gain at timeline frame first_frame + i, rounded to float;
    // scratch: at least out.size() doubles.
    void compute(int64_t first_frame, std::span<double> scratch, std::span<float> out) const;

private:
    AutomationCurve lane_;
    float static_gain_ = 1.0f;
};

// Applies clip gain, pan and fader: src (1 or 2 channels) -> dst (stereo),
// accumulating (dst += ...) when `accumulate`.
void apply_pan_fader(const AudioBuffer& src, std::span<const float> clip_gain, const PanGains& pan, double fader_gain,
                     int64_t frames, AudioBuffer& dst, bool accumulate);

}  // namespace sf
