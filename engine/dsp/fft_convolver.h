// Stemforge — multichannel FFT convolution (overlap-save), the one
// convolution definition behind the EQ FIRs and the convolution reverb.
//
// Definition (what the GPU twin must compute): for inputs x_i and kernels
// h_{i→o} (absent kernels are zero),
//     y_o[n] = Σ_i Σ_k h_{i→o}[k] · x_i[n − k]          (full linear convolution)
// A stereo IR maps L→L, R→R; a true-stereo IR is 4 kernels LL, LR, RL, RR
// (first letter = input). Kernels are designed in double; the CPU
// implementation computes their spectra in double and rounds them to float
// once.
//
// CPU implementation: uniform overlap-save with one large FFT (offline:
// throughput, not latency — PLATFORM.md measured 262144-point blocks ~7×
// faster than 8192-point partitions). FFT size N = convolution_fft_size(L),
// hop B = N − L + 1 new frames per FFT. Each distinct kernel's spectrum is
// computed once; per hop there is one forward FFT per input and one inverse
// FFT per output. FFTW float plans come from the process-wide cache
// (engine/dsp/fftw_util.h): create() may plan, process() only executes.
//
// Streaming: process() accepts blocks of any size (including odd and 0) and
// returns the convolution delayed by exactly latency_frames() = B:
//     out_o[n] = y_o[n − B]   (zero for n < B)
// The graph compensates this latency (RenderPlan::latency_frames); a run in
// one call and a run split into odd-sized calls give identical samples.
#pragma once

#include <cstdint>
#include <memory>
#include <vector>

#include "engine/core/error.h"

namespace sf {

struct ConvolutionKernels {
    int inputs = 1;
    int outputs = 1;
    std::vector<std::vector<double>> kernels;  // distinct kernels, each non-empty
    std::vector<int> route;                    // [i * outputs + o] -> index into kernels, or −1 (no path)
    int64_t length() const;                    // the longest kernel (0 when none)
    int kernel_for(int input, int output) const { return route[static_cast<size_t>(input * outputs + output)]; }
};

// The same kernel on each channel i→i (EQ on a mono or stereo signal).
ConvolutionKernels diagonal_kernels(int channels, std::vector<double> taps);

// FFT size for kernel length L: the power of two >= max(65536, 2·(L − 1)),
// so the hop is at least half the FFT.
int64_t convolution_fft_size(int64_t kernel_length);

class FftConvolver {
public:
    // Errors: no kernel, an empty kernel, a route index out of range, or
    // fft_size (0 = convolution_fft_size) not a power of two >= L (InvalidArgument).
    static Result<FftConvolver> create(const ConvolutionKernels& kernels, int64_t fft_size = 0);

    FftConvolver();
    FftConvolver(FftConvolver&&) noexcept;
    FftConvolver& operator=(FftConvolver&&) noexcept;
    ~FftConvolver();

    int inputs() const;
    int outputs() const;
    int64_t fft_size() const;
    int64_t hop_frames() const;
    int64_t latency_frames() const { return hop_frames(); }

    // in[i]: `frames` samples of input i; out[o]: receives `frames` samples of
    // output o (overwritten; in and out may not alias). Never allocates.
    void process(const float* const* in, float* const* out, int64_t frames);

    // Back to silence (as after create()).
    void reset();

    // Equivalent to process() on `frames` zeros, valid only while the
    // convolver has seen nothing but silence since create()/reset()
    // (asserted): it just advances the hop phase, so a stage that starts late
    // on the timeline rounds exactly as if it had been fed from frame 0.
    void advance_silent(int64_t frames);

private:
    struct Impl;
    std::unique_ptr<Impl> impl_;
};

}  // namespace sf
