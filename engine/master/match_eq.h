// Stemforge — the master's match EQ (`master.match_eq`): the programme's
// long-term spectral balance moved towards a reference recording's.
//
// Definition (what the stage computes; docs/album.md "Match EQ"):
// 1. Long-term spectrum of a stereo signal at rate fs: Welch's average of
//    Hann-windowed frames of N = match_eq_fft_size(fs) samples (the power of
//    two >= 0.6·fs: 1.46 Hz bins at 48 kHz), hop N/2, the power |X_c(k)|²
//    averaged over both channels and over the frames. A frame whose mean
//    square (windowed, both channels) is below kMatchEqFrameGateDb dBFS does
//    not count: a long-term spectrum is that of the programme while it plays,
//    as the integrated loudness (gated) is that of the programme while it
//    plays. Mono signals are measured as two equal channels.
// 2. Fractional-octave smoothing: at frequency f, S(f) = the mean of the
//    bins' power over [f·2^(−s/2), f·2^(+s/2)], s = smoothing_oct (at least
//    the bin nearest f), in dB.
// 3. Loudness normalisation: each spectrum in dB minus the signal's
//    integrated loudness (BS.1770-4, through the caller's LoudnessProbe), so
//    two recordings of one balance at different levels give one curve.
// 4. The curve: G(f) = clamp(amount · (S_ref(f) − L_ref − (S_prog(f) − L_prog)),
//    −max_db, +max_db) in dB, evaluated on a 1/48-octave grid from 20 Hz to
//    min(20 kHz, 0.45·fs), the end values held outside it, linear in dB
//    between grid points (in log frequency).
// 5. The stage: a zero-phase FIR of |H(f)| = 10^(G(f)/20)
//    (design_linear_magnitude, within kMatchEqDesignToleranceDb of the curve;
//    latency compensated like the master EQ), applied by the FFT convolver to
//    both channels, after the master EQ and before the multiband.
// The programme is measured where the stage sits: after the master EQ.
#pragma once

#include <atomic>
#include <cstdint>
#include <filesystem>
#include <memory>
#include <optional>
#include <string>
#include <vector>

#include "engine/audio/audio_buffer.h"
#include "engine/core/error.h"
#include "engine/dsp/eq_design.h"
#include "engine/master/loudness_probe.h"
#include "engine/session/session.h"

namespace sf::master {

inline constexpr double kMatchEqFrameGateDb = -70.0;
inline constexpr double kMatchEqGridStepOct = 1.0 / 48.0;
inline constexpr double kMatchEqLowHz = 20.0;
inline constexpr double kMatchEqHighHz = 20000.0;
// The FIR follows the curve to 0.1 dB: far below what the 1/3-octave
// measurement resolves, and reached at 16-64k taps for any curve the
// smoothing can produce at 44.1-96 kHz.
inline constexpr double kMatchEqDesignToleranceDb = 0.1;
inline constexpr int64_t kMatchEqMaxFirLength = int64_t{1} << 17;

// The Welch frame size at rate fs: the power of two >= 0.6·fs (>= 1024).
int match_eq_fft_size(int sample_rate);

// A long-term power spectrum (step 1) and the signal's integrated loudness.
struct LongTermSpectrum {
    int sample_rate = 0;
    int fft_size = 0;
    std::vector<double> power;      // fft_size/2 + 1 bins, linear, mean over channels and counted frames
    int64_t frames_counted = 0;     // Welch frames above the gate
    double integrated_lufs = -INFINITY;
};

// Streams a signal into step 1 and a loudness probe. add() takes blocks of
// any size in order; finish() flushes the last partial frame (zero-padded).
class SpectrumAccumulator {
public:
    // probe: reset here for `sample_rate`, 2 channels (may be null: the
    // loudness is then left at −inf).
    SpectrumAccumulator(int sample_rate, std::unique_ptr<LoudnessProbe> probe);
    ~SpectrumAccumulator();
    SpectrumAccumulator(SpectrumAccumulator&&) noexcept;
    SpectrumAccumulator& operator=(SpectrumAccumulator&&) noexcept;

    // block: 1 or 2 channels (mono counts as two equal channels).
    void add(const AudioBuffer& block, int64_t frames);
    LongTermSpectrum finish();

private:
    struct Impl;
    std::unique_ptr<Impl> impl_;
};

// Step 2: the smoothed level (dB, 10·log10 of the mean bin power) at each of
// `freqs_hz` (−300 dB where the spectrum holds no power).
std::vector<double> smoothed_spectrum_db(const LongTermSpectrum& spectrum, double smoothing_oct, const std::vector<double>& freqs_hz);

// Steps 3-4. Both spectra must be at one rate with a finite loudness.
struct MatchEqCurve {
    std::vector<double> freq_hz;   // the 1/48-octave grid, ascending
    std::vector<double> gain_db;   // G(f) at each
    double gain_db_at(double freq_hz) const;  // interpolated in log f, ends held
};
MatchEqCurve match_eq_curve(const LongTermSpectrum& reference, const LongTermSpectrum& programme, const MatchEqSpec& spec);

// Step 5's FIR.
Result<EqDesign> design_match_eq(const MatchEqCurve& curve, int sample_rate);

class Spool;  // engine/master/master_chain.h

// master.match_eq for one programme: the programme in `mix` (2 channels at
// sample_rate, read from its start) measured where the stage sits, after
// master.eq (steps 1-3), the curve against `reference` (step 4), its FIR
// (step 5). The FIR keeps the programme's loudness: its own change of
// integrated loudness is measured (one more pass over the programme through
// master.eq and the FIR) and taken out of its taps, so the multiband after
// it sees the level it was set up for and the EQ moves the balance, not the
// level. Errors name master.match_eq (a silent programme) or master.eq.
struct MatchEqDesign {
    EqDesign fir;
    MatchEqCurve curve;
    double programme_lufs = -INFINITY;
    double makeup_db = 0.0;        // taken out of the taps
    std::string decision;          // one line for the master's report
};
Result<MatchEqDesign> design_match_eq_for(Spool& mix, const MasterSpec& master, int sample_rate, const LongTermSpectrum& reference,
                                          const LoudnessProbeFactory& probe, int64_t block_frames,
                                          const std::atomic<bool>* cancel = nullptr);

// Measures the reference file (resampled to `sample_rate`): its long-term
// spectrum and loudness. Errors name `json_path` (e.g. "master.match_eq.reference")
// and the file: unreadable, more than 2 channels, silent (no loudness).
Result<LongTermSpectrum> measure_reference(const std::filesystem::path& file, int sample_rate, const LoudnessProbeFactory& probe,
                                           const std::string& json_path, const std::atomic<bool>* cancel = nullptr);

}  // namespace sf::master
