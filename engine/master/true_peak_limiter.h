// Stemforge — the master's true-peak limiter: definition and CPU reference.
//
// True peak is the engine's one definition (engine/dsp/true_peak.h: 8×
// polyphase Kaiser-windowed sinc, 48 taps per phase): the detector below,
// the delivered-file check and `stemforge analyze` all read it, so "under
// the ceiling" means the same figure everywhere.
//
// Three parts, so that the closed loudness loop can re-run the cheap part only:
//
// 1. TruePeakDetector: the per-frame true-peak envelope of the limiter's
//    input, p[n] = max over channels c and phases k = 0..L−1 of
//    |x_c(n + k/L)| with the one interpolator (TruePeakStream). p[n] covers
//    [n, n+1). Latency: kTruePeakLatencyFrames (24) frames.
//
// 2. LimiterGain: with input gain G and ceiling C (linear), the required
//    gain r[n] = min(1, C / (G p[n])); then
//      e[n] = min r[m] for m in [n − H, n + W + H]      (look-ahead minimum)
//      f[n] = min(e[n], a f[n−1] + (1 − a) e[n])        (release, a = exp(−1/(release_s fs)))
//      g[n] = (1/(W+1)) Σ_{m=n−W}^{n} f[m]              (attack: linear ramp over W)
//    W = lookahead_ms (>= 1 frame), H = kGuardFrames. By construction
//    g[m] <= r[n] for |m − n| <= H: the gain is flat at or below the
//    requirement across the interpolator's main lobe around every peak. The
//    gain never steps (attack is a ramp, release an exponential): no clicks.
//    Latency: W + H frames. The output is y_c[n] = G g[n] x_c[n], stereo-linked.
//    Because g still varies across the rest of the interpolator's 48-frame
//    support, y's true peak can exceed C by a little (measured ≤ 0.0004 dB,
//    tests/engine/master/true_peak_limiter_test.cpp).
//
// 3. CeilingGuard: makes the promise exact. It measures its input with the
//    same interpolator and, where a value exceeds C, scales that position's
//    support (48 frames, all channels) by C/|y| (a step of at most the
//    residual above, ≈ 1e-5 in gain), then re-measures every position the
//    scaling touched. Its output's true peak, read by the one interpolator
//    (the meter, the delivery check), is <= C, except where a chain of
//    corrections would reach back past kCeilingGuardFrames (counted in
//    GuardStats::unverified; never seen in tests). Latency: kCeilingGuardFrames.
//
// TruePeakLimiter chains all three for one-pass use (tests, single renders).
#pragma once

#include <cstdint>
#include <deque>
#include <vector>

#include "engine/audio/audio_buffer.h"
#include "engine/dsp/true_peak.h"

namespace sf::master {

inline constexpr int64_t kGuardFrames = 12;   // H: the interpolator's main lobe (half its support is 24)
inline constexpr int64_t kCeilingGuardFrames = 1024;  // CeilingGuard's latency: room for chains of re-measurement

class TruePeakDetector {
public:
    explicit TruePeakDetector(int channels);
    int channels() const { return channels_; }
    static constexpr int64_t latency_frames() { return TruePeakStream::latency_frames(); }
    // Consumes frames [0, frames) of `in`, writes `frames` envelope values
    // (linear, >= 0) into envelope: envelope[i] is p[t - latency] for input frame t.
    void process(const AudioBuffer& in, int64_t frames, float* envelope);
    // The envelope of a whole buffer, aligned (no latency), for tests and checks.
    static std::vector<float> envelope_of(const AudioBuffer& in, int64_t frames);
    // max p[n] of a whole buffer (linear).
    static double true_peak_of(const AudioBuffer& in, int64_t frames);

private:
    int channels_;
    std::vector<TruePeakStream> streams_;                  // per channel
    std::vector<std::vector<float>> channel_env_, centre_;  // per channel scratch
};

struct LimiterSettings {
    double ceiling_dbtp = -1.0;
    double release_ms = 50.0;
    double lookahead_ms = 5.0;
    double input_gain_db = 0.0;
};

// LimiterGain's design (part 2 above), for its GPU twin: C / G, G, the
// release coefficient a, W (frames) and the look-ahead minimum's span
// W + 2H + 1.
struct LimiterDesign {
    double ceiling_over_input = 1.0;
    double input_gain = 1.0;
    double release_coeff = 0.0;
    int64_t lookahead = 1;
    int64_t window = 1;
};
LimiterDesign design_limiter(const LimiterSettings& settings, int sample_rate);

struct LimiterStats {
    double max_gain_reduction_db = 0.0;   // max over frames of -20 log10 g
    double mean_gain_reduction_db = 0.0;  // mean over the frames where g < 1
    double limited_fraction = 0.0;        // frames with g < 0.999 (0.0087 dB) / all frames
    int64_t frames = 0;
};

class LimiterGain {
public:
    LimiterGain(const LimiterSettings& settings, int sample_rate);
    int64_t latency_frames() const { return lookahead_ + kGuardFrames; }
    // Consumes `frames` envelope values, writes `frames` gains (G g[n], the
    // input gain included), gain[i] belonging to envelope frame t - latency.
    void process(const float* envelope, int64_t frames, float* gain);
    const LimiterStats& stats() const { return stats_; }
    // Counts only frames [0, frames) in stats() (the flush after the end is not signal).
    void set_stats_limit(int64_t frames);

private:
    int64_t stats_limit_ = -1;
    double ceiling_over_input_;   // C / G
    double input_gain_;
    double release_coeff_;
    int64_t lookahead_;
    int64_t window_;              // W + 2H + 1: the look-ahead minimum's span
    int64_t arrived_ = 0;         // envelope frames consumed
    std::deque<std::pair<int64_t, double>> min_queue_;  // (index, r), r ascending from front
    double f_ = 1.0;
    std::vector<double> f_ring_;  // the last W+1 values of f
    size_t f_pos_ = 0;
    double f_sum_;
    LimiterStats stats_;
    double gr_sum_db_ = 0.0;
    int64_t gr_frames_ = 0;
    int64_t limited_ = 0;
};

struct GuardStats {
    int64_t corrections = 0;        // positions scaled down
    double max_correction_db = 0.0; // the deepest single scaling, dB (>= 0)
    int64_t unverified = 0;         // positions that could not be re-measured (see above); 0 = the promise held
};

// Part 3 (see the top of this file). y[n] = x[n − kCeilingGuardFrames],
// scaled where needed so that every true-peak value of y, including those
// whose support reaches into the zeros before the first frame, is <= the
// ceiling. Feed kCeilingGuardFrames frames (zeros) after the end to flush.
class CeilingGuard {
public:
    CeilingGuard(double ceiling_dbtp, int channels);
    static constexpr int64_t latency_frames() { return kCeilingGuardFrames; }
    // In place on channels [0, channels) of `block`, frames [0, frames).
    void process(AudioBuffer& block, int64_t frames);
    const GuardStats& stats() const { return stats_; }

private:
    void evaluate();   // every position whose support has arrived
    double ceiling_;
    int channels_;
    std::vector<std::vector<float>> pend_;  // per channel: frames base_ .. base_ + size − 1
    int64_t base_;
    int64_t next_;                          // the next position to measure
    std::vector<float> between_;
    GuardStats stats_;
};

// Detector + gain + a delay line for the signal + guard: out = limited in,
// delayed by latency_frames().
class TruePeakLimiter {
public:
    TruePeakLimiter(const LimiterSettings& settings, int sample_rate, int channels);
    int64_t latency_frames() const {
        return TruePeakDetector::latency_frames() + gain_.latency_frames() + CeilingGuard::latency_frames();
    }
    void process(const AudioBuffer& in, int64_t frames, AudioBuffer& out);
    const LimiterStats& stats() const { return gain_.stats(); }
    const GuardStats& guard_stats() const { return guard_.stats(); }
    void set_stats_limit(int64_t frames) { gain_.set_stats_limit(frames); }

private:
    TruePeakDetector detector_;
    LimiterGain gain_;
    CeilingGuard guard_;
    std::vector<std::vector<float>> delay_;  // per channel ring of latency frames
    size_t pos_ = 0;
    std::vector<float> envelope_, gains_;
};

}  // namespace sf::master
