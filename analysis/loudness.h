// Stemforge — loudness to ITU-R BS.1770-4 with EBU Tech 3341 ("EBU mode")
// and EBU Tech 3342 (loudness range).
//
//   K-weighting   two biquads (BS.1770-4 Annex 1, Tables 1 and 2), designed
//                 for any rate so that the 48 kHz coefficients are the
//                 standard's (see design_k_weighting).
//   momentary     mean square over the last 400 ms        (Tech 3341 §2.2)
//   short-term    mean square over the last 3 s           (Tech 3341 §2.2)
//   integrated    400 ms blocks, 75 % overlap, absolute gate −70 LUFS,
//                 relative gate −10 LU                    (BS.1770-4 §2.8)
//   LRA           3 s short-term values every 100 ms (option), absolute gate
//                 −70 LUFS, relative gate −20 LU, 95th − 10th percentile
//                                                         (Tech 3342 §3)
//   loudness      L = −0.691 + 10·log10(Σ_c G_c · z_c)    (BS.1770-4 eq. 2)
//
// Windows are exact sample counts: 100 ms = round(rate / 10) samples
// ("step"), 400 ms = 4 steps, 3 s = 30 steps. Gating blocks end on step
// boundaries counted from the first sample. Momentary and short-term maxima
// are taken over every sample position (the limit of "at least 10 Hz" that
// Tech 3341 §2.2 asks for; the EBU short tone-burst tests need a fine grid).
// Before the first sample the meter reads silence (windows are zero-padded
// at the start, never at the end).
//
// Memory: O(1) per sample; the gating lists hold one double per 100 ms step
// (≈ 2.9 MB per list for a 10-hour file); the optional series one double
// per hop and window.
#pragma once

#include <cstdint>
#include <optional>
#include <span>
#include <vector>

#include "engine/audio/audio_buffer.h"
#include "engine/core/error.h"
#include "engine/dsp/biquad.h"

namespace sf::analysis {

// The two BS.1770 pre-filter stages: a high shelf ("stage 1", head effects)
// followed by a high-pass ("stage 2", RLB weighting); sf::Biquad
// (engine/dsp/biquad.h) coefficients, a0 normalised to 1.
struct KWeighting {
    Biquad shelf, highpass;
    double magnitude_db(double freq_hz, double rate_hz) const {
        return shelf.magnitude_db(freq_hz, rate_hz) + highpass.magnitude_db(freq_hz, rate_hz);
    }
};

// BS.1770-4 Table 1 / Table 2 coefficients at 48 kHz, as published.
KWeighting k_weighting_48k_published();

// K-weighting for rate_hz (> 0). BS.1770 publishes only 48 kHz coefficients;
// they are the bilinear transform (with pre-warping) of second-order analog
// prototypes. The prototypes (f0, Q and the shelf's gains) are recovered
// exactly from the published coefficients and transformed again at rate_hz,
// so at 48 kHz the result equals the published table (to rounding) and at
// other rates the response equals the same analog prototype (bilinear
// warping aside). The high-pass keeps the standard's unnormalised numerator
// gain (its 1, −2, 1 numerator) at every rate.
KWeighting design_k_weighting(double rate_hz);

// BS.1770-4 channel weights G_c for a channel count in the WAV / SMPTE
// order: 1 mono (1.0); 2 L R; 3 L R C; 4 L R Ls Rs; 5 L R C Ls Rs (EBU Tech
// 3341 test 6); 6 L R C LFE Ls Rs (5.1); 7 L R C LFE Cs Ls Rs (6.1); 8 L R
// C LFE Lb Rb Ls Rs (7.1). Channels at ±60°..±120° azimuth (the surrounds,
// the 7.1 sides) weigh 1.41, LFE 0 (excluded), the rest 1.0 (BS.1770-4
// Table 3). Errors: channels outside 1..8.
Result<std::vector<double>> bs1770_channel_weights(int channels);

struct LoudnessOptions {
    int sample_rate = 48000;               // 8000..768000 Hz
    int channels = 2;                      // 1..8
    std::vector<double> channel_weights;   // empty: bs1770_channel_weights(channels); else one per channel, >= 0
    double series_hop_s = 0.0;             // > 0: record M and S every hop (rounded to whole samples); 0: no series
    // Spacing of the short-term values that LRA takes (whole 100 ms steps,
    // 0.1..3 s). 0.1 s: EBU mode (Tech 3341 asks for >= 10 Hz updates; FFmpeg's
    // ebur128 does the same); 1.0 s reproduces libebur128's LRA.
    double lra_hop_s = 0.1;
    // Stereo only: also gate the mono fold-down (L+R)/2 played on both
    // speakers (K-weighting is linear, so it reuses the filtered channels).
    bool mono_fold = false;
};

// Loudness values are LUFS; nullopt means −∞ (silence, or not enough audio
// for one window/block yet) and is reported as JSON null.
struct LoudnessSeries {
    double hop_s = 0.0;                    // exact hop (whole samples / rate)
    std::vector<double> momentary_lufs;    // value at the end of hop k = 1, 2, ...; −∞ stored as -infinity
    std::vector<double> short_term_lufs;
};

// Streaming BS.1770-4 / EBU R128 meter. prepare once (create), then add()
// blocks of any size in order; queries are valid at any time and do not
// disturb the stream. add() allocates only to grow the gating lists and the
// series (amortised). Not thread-safe; one instance per stream.
class LoudnessMeter {
public:
    // Errors (InvalidArgument, naming the field): rate or channels out of
    // range, weights of the wrong count or negative, hop > 10 s.
    static Result<LoudnessMeter> create(const LoudnessOptions& options);

    // Appends frames [0, frames) of each of channels() channels. The block
    // must have channels() channels (asserted). Samples must be finite.
    void add(const AudioBuffer& block, int64_t frames);
    void add(std::span<const float* const> channels, int64_t frames);
    void reset();                          // back to the state after create()

    int channels() const { return channels_; }
    int sample_rate() const { return rate_; }
    int64_t frames() const { return frames_; }

    std::optional<double> momentary_lufs() const;        // last 400 ms
    std::optional<double> short_term_lufs() const;       // last 3 s
    std::optional<double> momentary_max_lufs() const;    // max over every sample position so far
    std::optional<double> short_term_max_lufs() const;
    // Where those maxima are: the number of frames added when the window
    // with the maximum ended (its end, exclusive; the first such window when
    // several tie), i.e. the series position at which the meter shows the
    // maximum. nullopt while the maximum is −∞.
    std::optional<int64_t> momentary_max_end_frame() const;
    std::optional<int64_t> short_term_max_end_frame() const;
    std::optional<double> integrated_lufs() const;       // gated; nullopt if no block passes the gates
    // LRA in LU; nullopt when no short-term value passes the gates (silence,
    // or less than 3 s of audio).
    std::optional<double> loudness_range_lu() const;
    // Gated short-term loudness percentiles (10th, 95th) used for LRA.
    std::optional<double> lra_low_lufs() const;
    std::optional<double> lra_high_lufs() const;

    const LoudnessSeries& series() const { return series_; }   // empty unless series_hop_s > 0
    // Integrated loudness of the mono fold-down (options.mono_fold); nullopt
    // when it is silent (inverted channels) or the option is off.
    std::optional<double> mono_fold_integrated_lufs() const;

private:
    LoudnessMeter() = default;
    void process_energy(const double* e, int64_t frames);
    void process_fold(const double* e, int64_t frames);
    struct Lra { double low = 0.0, high = 0.0; };
    std::optional<Lra> lra() const;

    int rate_ = 0;
    int channels_ = 0;
    std::vector<double> weights_;
    KWeighting kw_;
    // Filter state per channel: shelf (s1, s2), high-pass (s1, s2) — transposed direct form II.
    std::vector<double> state_;
    int64_t step_ = 0;                     // 100 ms in samples
    int64_t m_len_ = 0, s_len_ = 0;        // 400 ms, 3 s in samples
    int64_t hop_ = 0;                      // series hop in samples, 0 = none
    int64_t lra_stride_ = 1;               // LRA takes every lra_stride_-th short-term value
    std::vector<double> ring_;             // weighted energy per sample, last s_len_ samples
    int64_t ring_pos_ = 0;                 // next write position in ring_
    int64_t m_out_ = 0;                    // position of the sample 400 ms back
    int64_t step_pos_ = 0, hop_pos_ = 0;   // samples into the current step / hop
    int64_t frames_ = 0;
    double m_sum_ = 0.0, s_sum_ = 0.0;     // running window sums (re-summed exactly once per ring turn)
    double m_max_ = 0.0, s_max_ = 0.0;     // max window mean energies
    int64_t m_max_end_ = 0, s_max_end_ = 0;// frames_ when they were reached
    std::vector<double> gating_blocks_;    // 400 ms block mean energies, every 100 ms
    std::vector<double> short_term_blocks_;// 3 s mean energies, every 100 ms (for LRA)
    LoudnessSeries series_;
    bool fold_ = false;
    std::vector<double> fold_ring_;        // fold-down energy, last 400 ms
    int64_t fold_pos_ = 0;
    double fold_sum_ = 0.0;
    std::vector<double> fold_blocks_;
    std::vector<double> fold_energy_;      // scratch
    std::vector<double> energy_;           // scratch: weighted energy of a block
    std::vector<double> filtered_;         // scratch
};

// −0.691 + 10·log10(mean_energy); nullopt for 0.
std::optional<double> energy_to_lufs(double mean_energy);

}  // namespace sf::analysis
