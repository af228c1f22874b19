// Stemforge — averaged magnitude spectrum (Welch), fractional-octave
// smoothing, spectrogram (STFT). FFTs through FFTW (single precision, plans
// from the process-wide cache in engine/dsp/fftw_util.h).
//
// Calibration: "dB re full-scale sine". A sine of amplitude A centred on a
// bin reads 20·log10(A) dB in that bin (0 dB for a full-scale sine); white
// noise reads its power per bin times the window's equivalent noise
// bandwidth. Powers are one-sided (bins 1..N/2−1 doubled).
#pragma once

#include <cstdint>
#include <memory>
#include <optional>
#include <vector>

#include "engine/core/error.h"

namespace sf::analysis {

enum class WindowType { Hann, BlackmanHarris, Rectangular };

// Window coefficients of length n, periodic (DFT-even) form.
std::vector<double> make_window(WindowType type, int n);
const char* window_name(WindowType type);

struct SpectrumOptions {
    int fft_size = 8192;                  // power of two, 256..262144; 8192 at 48 kHz = 5.9 Hz bins (music)
    WindowType window = WindowType::Hann;
    double overlap = 0.5;                 // 0 .. 0.9
};

struct Spectrum {
    double sample_rate = 0.0;
    int fft_size = 0;
    int64_t frames_averaged = 0;
    std::vector<double> power;            // mean power per bin, size fft_size/2 + 1 (linear, see calibration)
    double bin_hz() const { return fft_size > 0 ? sample_rate / fft_size : 0.0; }
    // Bin power in dB; nullopt for 0.
    std::optional<double> db(size_t bin) const;
    // The bin with the largest power in [lo_hz, hi_hz].
    size_t peak_bin(double lo_hz, double hi_hz) const;
};

// Power spectrum on a log-frequency axis: each point is the mean of the bin
// powers within ±1/(2N) octave of its centre. Points are spaced
// 1/points_per_octave octave from start_hz up to Nyquist.
struct SmoothedSpectrum {
    std::vector<double> freq_hz;
    std::vector<double> power;            // linear, same calibration as Spectrum
};
SmoothedSpectrum smooth_octave(const Spectrum& s, int fraction_n, double start_hz = 20.0, int points_per_octave = 48);

// Streaming Welch estimator. One or two inputs: with two (stereo), it also
// accumulates the cross spectrum, so per-band correlation comes from the
// same FFTs (StereoImage uses it). The spectrum reported is of the mean of
// the inputs ((L+R)/2 for stereo), derived from the auto and cross spectra;
// with two inputs the side (L−R)/2 comes from the same sums. The max-hold
// spectra keep, per bin, the largest single-segment power (same
// calibration: a stationary sine reads the same in both, a tone present in
// a fraction of the file reads its full level in the max-hold and that
// fraction lower in the average). Memory: O(fft_size) per input.
class WelchAnalyzer {
public:
    // Errors: fft_size not a power of two in range, overlap out of range,
    // inputs not 1 or 2.
    static Result<WelchAnalyzer> create(double sample_rate, int inputs, const SpectrumOptions& options);
    WelchAnalyzer(WelchAnalyzer&&) noexcept;
    WelchAnalyzer& operator=(WelchAnalyzer&&) noexcept;
    ~WelchAnalyzer();

    // Appends frames of each input (x[1] ignored for one input). Frames not
    // filling a whole segment at the end are zero-padded by finish().
    void add(const float* const* x, int64_t frames);
    // Flushes a partial last segment (if it holds >= 1/2 segment, or no
    // segment was analysed yet). Call once at the end.
    void finish();

    Spectrum spectrum() const;                          // of the input mean
    Spectrum max_hold_spectrum() const;                 // of the input mean: per bin max over the segments
    Spectrum side_spectrum() const;                     // of (x0 − x1)/2; two inputs only (asserted)
    Spectrum side_max_hold_spectrum() const;            // two inputs only (asserted)
    Spectrum input_spectrum(int input) const;           // auto spectrum of one input
    // Mean Re(X0·conj(X1)) per bin, same calibration as the powers (two
    // inputs only; may be negative).
    std::vector<double> cross_real() const;
    int inputs() const;

private:
    struct Impl;
    explicit WelchAnalyzer(std::unique_ptr<Impl> impl);
    std::unique_ptr<Impl> impl_;
};

struct SpectrogramOptions {
    int fft_size = 2048;
    WindowType window = WindowType::Hann;
    int max_columns = 1200;               // hop grows with the file so memory stays bounded
};

struct Spectrogram {
    double sample_rate = 0.0;
    int fft_size = 0;
    double hop_s = 0.0;
    int bins = 0;                         // fft_size/2 + 1
    std::vector<float> db;                // column-major: column c, bin k at [c·bins + k]; dB re full-scale sine, floor −200
    int columns() const { return bins > 0 ? static_cast<int>(db.size() / static_cast<size_t>(bins)) : 0; }
};

// Streaming STFT of one input; total_frames (the expected length) sets the
// hop = max(fft/4, total/max_columns).
class SpectrogramAnalyzer {
public:
    static Result<SpectrogramAnalyzer> create(double sample_rate, int64_t total_frames, const SpectrogramOptions& options);
    SpectrogramAnalyzer(SpectrogramAnalyzer&&) noexcept;
    SpectrogramAnalyzer& operator=(SpectrogramAnalyzer&&) noexcept;
    ~SpectrogramAnalyzer();
    void add(const float* x, int64_t frames);
    const Spectrogram& result() const;

private:
    struct Impl;
    explicit SpectrogramAnalyzer(std::unique_ptr<Impl> impl);
    std::unique_ptr<Impl> impl_;
};

}  // namespace sf::analysis
