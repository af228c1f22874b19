// Stemforge — true peak to ITU-R BS.1770-4 Annex 2 (and sample peak).
//
// The signal is oversampled 4× by a polyphase FIR interpolator and the peak
// is the largest absolute value of the interpolated signal (which includes
// the original samples). BS.1770-4 Annex 2 asks for at least 4× at 48 kHz;
// this meter uses 4× at every rate (so 176.4/192 kHz files are checked at
// 705.6/768 kHz).
//
// Interpolation filter (the choice Annex 2 leaves to the implementer): a
// Kaiser-windowed sinc (β = 8, ≈ 80 dB stop band) of 4 × 24 + 1 = 97 taps,
// cut off at the input Nyquist frequency. It is a Nyquist (4th-band) filter:
// phase 0 is the input sample itself, phases 1..3 have 24 taps each (each
// phase normalised to unit DC gain). Measured response (48 kHz input): flat
// within ±0.02 dB to 19.5 kHz, −0.07 dB at 20 kHz, −6 dB at Nyquist, images
// attenuated >= 80 dB from 30 kHz (1.25 × Nyquist) up; see
// interpolator_response_db() and tests/analysis/true_peak_test.cpp.
//
// Edges: an interpolated value is computed only where the filter's whole
// support lies inside the signal, so the first and last 12 samples count
// with their sample values. A meter must not report the ringing of the
// artificial step at the start or end of a file as a peak of the programme.
//
// Arithmetic: float taps and accumulation (peak error ≈ 1e-6 relative).
// Memory: O(channels × 24) state. Not thread-safe; one instance per stream.
#pragma once

#include <cstdint>
#include <optional>
#include <span>
#include <vector>

#include "engine/audio/audio_buffer.h"
#include "engine/core/error.h"

namespace sf::analysis {

inline constexpr int kTruePeakOversampling = 4;
inline constexpr int kTruePeakTapsPerPhase = 24;

// The prototype interpolation filter (97 taps, DC gain 4 = the oversampling
// factor), as used by TruePeakMeter.
const std::vector<double>& true_peak_interpolator();

// Magnitude (dB, 0 = unity) of the interpolator at freq_hz for an input at
// rate_hz, normalised so the pass band reads 0 dB.
double interpolator_response_db(double freq_hz, double rate_hz);

class TruePeakMeter {
public:
    // Errors: channels outside 1..64.
    static Result<TruePeakMeter> create(int channels);

    // Appends frames [0, frames) of each channel (block must have channels()
    // channels; asserted). Samples must be finite.
    void add(const AudioBuffer& block, int64_t frames);
    void add(std::span<const float* const> channels, int64_t frames);
    void reset();

    int channels() const { return channels_; }
    double true_peak() const;                      // linear, max over channels
    double channel_true_peak(int c) const;         // linear
    double sample_peak() const;                    // linear, max |x| over channels
    double channel_sample_peak(int c) const;
    std::optional<double> true_peak_dbtp() const;  // nullopt for silence
    // Number of interpolated (between-sample) values above full scale whose
    // neighbouring samples are not: inter-sample overs, counted per channel
    // as runs (one per over event).
    int64_t inter_sample_overs(int c) const;

private:
    TruePeakMeter() = default;
    int channels_ = 0;
    // phase p (1..3) taps, reversed for a forward dot product, float.
    std::vector<float> taps_;             // 3 × 24
    std::vector<float> history_;          // per channel: 23 samples of history + scratch
    std::vector<int64_t> seen_;           // samples seen per channel (edge rule)
    std::vector<double> tp_, sp_;
    std::vector<int64_t> overs_;
    std::vector<char> in_over_;
    std::vector<float> work_;             // scratch: history + block
    double l1_max_ = 0.0;                 // max over phases of Σ|taps| (bound for the shortcut)
};

}  // namespace sf::analysis
