// Stemforge — the master's true-peak limiter: definition and CPU reference.
//
// Two parts, so that the closed loudness loop can re-run the cheap part only:
//
// 1. TruePeakDetector: the per-frame true-peak envelope of the limiter's
//    input, p[n] = max over channels c and phases k = 0..L-1 of
//    |x_c(n + k/L)|, where x_c(t) is the band-limited reconstruction
//    evaluated by a polyphase windowed-sinc interpolator: L = 8 phases
//    (BS.1770-4 Annex 2 asks for >= 4x), `kTaps` = 32 input samples per
//    phase, sinc cut at the input's Nyquist frequency, Kaiser window
//    (beta = 8). Phase 0 is the sample itself. p[n] covers [n, n+1).
//    Latency: kTaps/2 frames.
//
// 2. LimiterGain: with input gain G and ceiling C (linear), the required
//    gain r[n] = min(1, C / (G p[n])); then
//      e[n] = min r[m] for m in [n - H, n + W + H]      (look-ahead minimum)
//      f[n] = min(e[n], a f[n-1] + (1 - a) e[n])        (release, a = exp(-1/(release_s fs)))
//      g[n] = (1/(W+1)) sum_{m=n-W}^{n} f[m]            (attack: linear ramp over W)
//    W = lookahead_ms (>= 1 frame), H = kGuardFrames. By construction
//    g[m] <= r[n] for |m - n| <= H: the gain is flat at or below the
//    requirement across the interpolator's main lobe around every peak, so
//    the output G g[n] x[n] stays under C at the detector's resolution. The
//    gain never steps (attack is a ramp, release an exponential): no clicks.
//    Latency: W + H frames. The output is y_c[n] = G g[n] x_c[n], stereo-linked.
//
// TruePeakLimiter chains both for one-pass use (tests, single renders).
#pragma once

#include <cstdint>
#include <deque>
#include <vector>

#include "engine/audio/audio_buffer.h"

namespace sf::master {

inline constexpr int kTruePeakOversampling = 8;
inline constexpr int kTruePeakTaps = 48;      // per phase, even
inline constexpr int64_t kGuardFrames = 12;   // H: half the interpolator's support, rounded down to its main energy

class TruePeakDetector {
public:
    explicit TruePeakDetector(int channels);
    int channels() const { return channels_; }
    static constexpr int64_t latency_frames() { return kTruePeakTaps / 2; }
    // Consumes frames [0, frames) of `in`, writes `frames` envelope values
    // (linear, >= 0) into envelope: envelope[i] is p[t - latency] for input frame t.
    void process(const AudioBuffer& in, int64_t frames, float* envelope);
    // The envelope of a whole buffer, aligned (no latency), for tests and checks.
    static std::vector<float> envelope_of(const AudioBuffer& in, int64_t frames);
    // max p[n] of a whole buffer (linear).
    static double true_peak_of(const AudioBuffer& in, int64_t frames);

private:
    int channels_;
    std::vector<std::vector<float>> history_;  // per channel: the last kTaps-1 input samples, then the block
    std::vector<float> acc_;
    std::vector<std::vector<float>> phases_;   // [phase 1..L-1][tap]
};

struct LimiterSettings {
    double ceiling_dbtp = -1.0;
    double release_ms = 50.0;
    double lookahead_ms = 5.0;
    double input_gain_db = 0.0;
};

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

// Detector + gain + a delay line for the signal: out = limited in, delayed
// by latency_frames().
class TruePeakLimiter {
public:
    TruePeakLimiter(const LimiterSettings& settings, int sample_rate, int channels);
    int64_t latency_frames() const { return TruePeakDetector::latency_frames() + gain_.latency_frames(); }
    void process(const AudioBuffer& in, int64_t frames, AudioBuffer& out);
    const LimiterStats& stats() const { return gain_.stats(); }
    void set_stats_limit(int64_t frames) { gain_.set_stats_limit(frames); }

private:
    TruePeakDetector detector_;
    LimiterGain gain_;
    std::vector<std::vector<float>> delay_;  // per channel ring of latency frames
    size_t pos_ = 0;
    std::vector<float> envelope_, gains_;
};

}  // namespace sf::master
