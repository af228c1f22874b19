// Stemforge — the linear-phase crossover of the master's multiband stage (and
// of "mono below"): its definition and the CPU implementation.
//
// Definition. Each crossover frequency fc has a zero-phase low-pass whose
// magnitude is that of a 4th-order Linkwitz-Riley low-pass,
//     LP(f) = 1 / (1 + (f/fc)^4)            (-6.02 dB at fc, 24 dB/octave),
// and the complementary high-pass HP(f) = 1 - LP(f) (the LR4 high-pass
// magnitude). With crossovers fc_1 < ... < fc_N (N+1 bands, lowest first):
//     band 0 = LP_1,  band k = LP_{k+1} - LP_k (0 < k < N),  band N = 1 - LP_N.
// The bands telescope: they sum to exactly 1 (the input, delayed), so a
// multiband stage with every band at unity is transparent. Both the design
// and the implementation keep that sum exact: band N is computed as the
// delayed input minus LP_N's output, not by a separate filter.
//
// Design (double precision, once): each LP is frequency-sampled on a dense
// grid, inverse transformed (DCT-I, FFTW double) and truncated to `taps`
// (odd) with a Tukey taper; `taps` is chosen so that the lowest crossover's
// impulse response has decayed by >= 100 dB at the ends (its envelope falls
// as exp(-2*pi*fc*t/sqrt(2))). The kernels are symmetric: the delay is
// (taps - 1) / 2 frames for every band.
//
// Implementation: the generic FFT convolver (engine/dsp/fft_convolver.h), one
// per channel with one input and one output per crossover, so the N
// low-passes share one forward FFT per hop; FFT size max(16384,
// bit_ceil(4·taps)). The top band is the input through a DelayLine of the
// convolver's latency plus the design delay, minus LP_N's output.
#pragma once

#include <cstdint>
#include <memory>
#include <span>
#include <vector>

#include "engine/audio/audio_buffer.h"

namespace sf::master {

// LP(f) above; `freq_hz` >= 0, `crossover_hz` > 0.
double lr4_lowpass_magnitude(double freq_hz, double crossover_hz);

// The analytic magnitude of band `band` (0..crossovers.size()) at freq_hz.
double crossover_band_magnitude(std::span<const double> crossovers_hz, size_t band, double freq_hz);

struct CrossoverDesign {
    int sample_rate = 0;
    std::vector<double> crossovers_hz;        // ascending, each in (0, rate/2)
    int64_t taps = 0;                          // odd, the same for every kernel
    std::vector<std::vector<double>> lowpass;  // [crossover][tap], symmetric
    int64_t delay_frames() const { return (taps - 1) / 2; }
};

// Designs the kernels. Asserts on programmer errors (empty or unsorted
// crossovers, frequencies outside (0, rate/2)); the session parser has
// already rejected what a user could write. max_taps caps the length (the
// lowest crossover then decays less: documented, not an error).
CrossoverDesign design_crossover(std::span<const double> crossovers_hz, int sample_rate, int64_t max_taps = 32767);

// The streaming CPU filter bank. Two phases: the constructor plans (through
// the process-wide FFTW plan cache) and allocates every internal buffer;
// process() allocates nothing of its own (only `bands`, when it must grow).
class CrossoverBank {
public:
    CrossoverBank(const CrossoverDesign& design, int channels);
    ~CrossoverBank();
    CrossoverBank(const CrossoverBank&) = delete;
    CrossoverBank& operator=(const CrossoverBank&) = delete;

    size_t band_count() const;
    int channels() const;
    // Output frame t holds the bands of input frame t - latency_frames()
    // (frames before the first input are zeros). latency = the convolver's hop
    // + the design delay.
    int64_t latency_frames() const;

    // Consumes frames [0, frames) of `in` (>= channels() channels) and writes
    // the same number of frames of every band: bands[b] is resized to
    // channels() x frames. Blocks may have any size, including 0 and odd.
    void process(const AudioBuffer& in, int64_t frames, std::vector<AudioBuffer>& bands);

    // As process() on `frames` frames of silence, before any input
    // (FftConvolver::advance_silent): a bank that starts at timeline frame
    // `frames` (a region render) cuts its FFT blocks where a render from 0 does.
    void advance_silent(int64_t frames);

private:
    struct Impl;
    std::unique_ptr<Impl> impl_;
};

}  // namespace sf::master
