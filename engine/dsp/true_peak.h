// Stemforge — the one definition of true peak (ITU-R BS.1770-4 Annex 2).
//
// Every "true peak" in Stemforge is this interpolator: the analysis meter
// (analysis/true_peak.*, `stemforge analyze`), the master's limiter detector
// (engine/master/true_peak_limiter.*) and the check of delivered files
// (engine/master/delivered_check.*). What the limiter holds under its ceiling
// is therefore exactly what the check and the meter read.
//
// Definition. The signal x is oversampled L = kTruePeakOversampling = 8
// times by a polyphase FIR: the value at m + k/L (k = 0..L−1) is
//     y(m + k/L) = Σ_d h_k[d] · x[m + d],   d = −(T/2 − 1) .. T/2,
// T = kTruePeakTapsPerPhase = 48 input samples per phase, with
//     h_k[d] = sinc(k/L − d) · w((k/L − d) / (T/2)),
// sinc cut at the input's Nyquist frequency, w the Kaiser window
// (β = kTruePeakKaiserBeta = 8), each phase normalised to unit DC gain
// (a constant reads exactly its value). Phase 0 is the sample itself (a
// Nyquist filter). Designed once, in double; the taps are rounded to float
// and the dot products run in float, in one fixed order (results do not
// depend on block sizes). The true peak is max |y| over every position.
// BS.1770-4 asks for at least 4×; 8× is used at every rate.
//
// Accuracy against the ideal band-limited reconstruction (sines of every
// phase and sums of sines, tests/engine/dsp/true_peak_test.cpp): for
// content up to 20 kHz at 44.1 kHz (0.4535 fs) it reads low by at most
// kTruePeakUnderReadDb = 0.16 dB (the 8× grid's loss when a crest falls
// half-way between two grid points, 1 − cos(π · 0.4535 / 8) = 0.139 dB, plus
// the filter's −0.021 dB at 20 kHz; at 48 kHz, up to 20 kHz: 0.12 dB), and
// high by at most kTruePeakOverReadDb. Content between 20 kHz and Nyquist
// lies in the filter's transition band: on full-band material (white-noise
// transients) the reading may be up to kTruePeakFullBandUnderReadDb below
// the ideal reconstruction (measured 0.21 dB, tests/e2e/master_e2e_test.cpp
// against a zero-padded FFT; 96 taps per phase measured no better, 0.19 dB:
// no short FIR reconstructs content at Nyquist), and ~0.17 dB above it.
// For comparison, BS.1770's 4× with 24 taps per phase reads up to 1.1 dB
// low at 20 kHz / 44.1 kHz.
//
// Latency / support: y(m + k/L) needs x[m − T/2 + 1 .. m + T/2], so a
// streaming interpolator knows position m once sample m + T/2 has arrived:
// kTruePeakLatencyFrames = T/2 frames.
#pragma once

#include <cstdint>
#include <vector>

namespace sf {

inline constexpr int kTruePeakOversampling = 8;    // L
inline constexpr int kTruePeakTapsPerPhase = 48;   // T (even)
inline constexpr double kTruePeakKaiserBeta = 8.0;
inline constexpr int64_t kTruePeakLatencyFrames = kTruePeakTapsPerPhase / 2;
// Documented worst-case errors against the ideal reconstruction for content
// up to 0.4535 fs (asserted by tests/engine/dsp/true_peak_test.cpp).
inline constexpr double kTruePeakUnderReadDb = 0.16;
inline constexpr double kTruePeakOverReadDb = 0.005;
// The same for full-band content (energy up to Nyquist), measured, not a bound.
inline constexpr double kTruePeakFullBandUnderReadDb = 0.25;

// The taps in double: phase k (0..L−1), tap j (0..T−1) multiplies
// x[m + j − (T/2 − 1)]; element [k·T + j].
const std::vector<double>& true_peak_taps();

// max over phases k >= 1 of Σ_j |h_k[j]| (of the float taps, rounded up):
// |y| <= this × max |x| over the support (an exact bound for shortcuts).
double true_peak_l1_max();

// Magnitude (dB, 0 = unity) of the interpolator (all L phases as one
// filter at L × rate_hz) at freq_hz for an input at rate_hz.
double true_peak_response_db(double freq_hz, double rate_hz);

// The kernel every reader above runs: for i in [0, groups · 8), out[i] =
// max over k = 1..L−1 of |y(m_i + k/L)| where x[i] is the first sample of
// position m_i's support (x[i + T/2 − 1] = x[m_i]). Reads x[0, groups · 8 + T − 1).
inline constexpr int kTruePeakGroup = 8;
void true_peak_between(const float* x, int64_t groups, float* out);

// The streaming interpolator for one channel: keeps the last T − 1 samples.
// process() allocates only when a block is longer than any before.
class TruePeakStream {
public:
    TruePeakStream();
    static constexpr int64_t latency_frames() { return kTruePeakLatencyFrames; }

    // Appends x[0, n). For each i, with m = seen() + i − latency_frames()
    // (seen() before the call): between[i] = max over k = 1..L−1 of
    // |y(m + k/L)| (the peak inside the interval (m, m + 1)), and, when
    // `centre` is not null, centre[i] = x[m]. Samples before the first one
    // appended are 0. Samples must be finite.
    void process(const float* x, int64_t n, float* between, float* centre = nullptr);
    // Appends x[0, n) to the history without computing anything (for a caller
    // that proved, e.g. with true_peak_l1_max(), that no value can matter).
    void skip(const float* x, int64_t n);
    // max |x| over the T − 1 samples of history.
    float history_abs_max() const;
    int64_t seen() const { return seen_; }
    void reset();

private:
    std::vector<float> work_;   // [T − 1 history | block | padding]
    int64_t seen_ = 0;
};

}  // namespace sf
