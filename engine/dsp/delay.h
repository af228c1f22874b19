// Stemforge — the bus delay stage: definition and CPU reference.
//
// A bus's `delay` (DESIGN.md "Session v1 additions") is 100 % wet, like its
// reverb. With D = round(time·fs) frames (time from time_ms, or the note at
// the session's tempo: delay_time_s()), feedback fb and wet gain
// g = 10^(wet_db/20), the k-th repeat (k >= 1) is the input filtered k times
// by F, delayed k·D and scaled by fb^(k−1):
//     y = g · Σ_{k>=1} fb^(k−1) · z^(−kD) · F^k x            (per channel)
// F = a 12 dB/oct Butterworth high-pass at lowcut_hz, then a 12 dB/oct
// Butterworth low-pass at highcut_hz (butterworth2 in engine/dsp/biquad.h:
// scipy.signal.butter(2, f, btype, fs=fs, output='sos'), run as sosfilt
// does); a cutoff of 0 leaves that filter out. pingpong: the input's mid
// m = (L+R)/2 feeds the line, odd repeats land in L, even ones in R.
//
// The recursion that realises it, per line (a line is a channel; pingpong's
// two lines are coupled): the line holds s = F(e), the filtered line input,
// and the output reads it D frames later:
//     plain:    e_c[n] = x_c[n] + fb·s_c[n−D]                   y_c[n] = g·s_c[n−D]
//     pingpong: e_L[n] = (x_L[n] + x_R[n])/2 + fb·s_R[n−D]      y_L[n] = g·s_L[n−D]
//               e_R[n] = fb·s_L[n−D]                            y_R[n] = g·s_R[n−D]
// with s = 0 before the first frame. (Unrolled, s_c[n−D] = Σ fb^(k−1) F^k x
// delayed kD: the definition above; F commutes with the delay.) Every value
// of the recursion is a double (biquad states, the line), only x and y are
// float. Frame n needs s only at n − D, so any D consecutive frames of e and
// y can be computed in parallel once the earlier frames' s are known: the
// GPU twin (gpu/stages/delay.h) works in tiles of at most D frames and runs
// only F sequentially. It must run exactly these formulas in double.
//
// Tail (DelayDesign::tail_frames): the output of an input that ends at frame
// N is kept until frame N + tail_frames, where the repeats have decayed by
// 120 dB: tail_frames = K·D + R − 1 with
//   * K = the smallest k >= 1 with fb^k <= 10^(−120/20) (K = 1 for fb = 0):
//     repeat K + 1 and every later one is scaled by 120 dB or more below the
//     first;
//   * R = the ringing of F^K, the K-fold filter of the last kept repeat: the
//     smallest R >= 1 with Σ_{n>=R} h_K[n]² <= 10^(−120/10)·Σ h_K[n]², h_K the
//     impulse response of F^K (R = 1 without filters). h_K is the inverse FFT
//     of F(ω)^K on M points, M doubled from 4096 until the last half of the
//     (circularly aliased) response holds at most 10^−14 of its energy, so
//     the aliasing is negligible; M stops at kMaxRingingFft, and a filter
//     ringing longer than that (a lowcut below about 1 Hz) is cut there
//     (DelayDesign::ringing_capped).
// |F| <= 1 at every frequency, and the earlier repeats (F^k, k < K) ring
// less than F^K and end (K − k)·D frames sooner: the impulse response's
// energy after tail_frames is at most about −120 dB of its whole energy
// (tests/engine/dsp/delay_test.cpp measures it). The bound ignores |F| < 1
// in K, so with narrow filters the tail is longer than it needs to be.
//
// Latency 0. State (the two lines' rings and filter states) carries across
// process() calls: a run split into blocks of any size equals a whole run
// exactly.
#pragma once

#include <array>
#include <cstdint>
#include <optional>
#include <string>
#include <utility>
#include <vector>

#include "engine/core/error.h"
#include "engine/dsp/biquad.h"
#include "engine/session/session.h"

namespace sf {

inline constexpr double kDelayDecayDb = 120.0;          // how far the repeats decay within the tail
inline constexpr int64_t kMaxRingingFft = int64_t{1} << 22;  // the ringing search's largest FFT (87 s at 48 kHz)

struct DelayDesign {
    int64_t delay_frames = 1;  // D >= 1
    double feedback = 0.0;     // fb, 0 <= fb < 1
    double wet_gain = 1.0;     // g (linear)
    bool pingpong = false;
    std::optional<Biquad> highpass, lowpass;  // F = lowpass ∘ highpass; nullopt: that filter is off
    int64_t repeats = 1;       // K
    int64_t ringing_frames = 1;  // R
    bool ringing_capped = false;  // R reached kMaxRingingFft before F^K decayed
    int64_t tail_frames = 0;   // K·D + R − 1
};

// The design of `spec` at `sample_rate`. Errors (InvalidArgument, the
// message starting with `label`, e.g. "buses[2].delay"): a note without a
// tempo, D < 1 frame, feedback outside [0, 1), a cutoff outside (0, fs/2),
// a wet gain that is not finite. (The session validator rejects all of
// these; the design does not rely on it.)
Result<DelayDesign> design_delay(const DelaySpec& spec, std::optional<double> tempo_bpm, int sample_rate,
                                 const std::string& label);

// R for a design's filters and repeat count (see the header comment).
// Returns {R, capped}.
std::pair<int64_t, bool> delay_ringing_frames(const std::optional<Biquad>& highpass, const std::optional<Biquad>& lowpass,
                                              int64_t repeats, double sample_rate);

// The CPU reference: the recursion above on a stereo pair, in place.
class Delay {
public:
    Delay() = default;
    explicit Delay(const DelayDesign& design);

    // In place on channels[0] (L) and channels[1] (R), `frames` frames; any block size.
    void process(float* const* channels, int64_t frames);
    // Back to silence (empty lines, zero filter states).
    void reset();

    const DelayDesign& design() const { return design_; }

private:
    double filter(int line, double e) {
        if (design_.highpass) e = highpass_[line].step(*design_.highpass, e);
        if (design_.lowpass) e = lowpass_[line].step(*design_.lowpass, e);
        return e;
    }

    DelayDesign design_;
    std::array<std::vector<double>, 2> line_;  // s[n − D .. n − 1] of each line, s[j] at index j mod D
    int64_t pos_ = 0;                           // n mod D of the next frame
    std::array<BiquadState, 2> highpass_, lowpass_;
};

}  // namespace sf
