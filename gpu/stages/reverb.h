// Stemforge GPU — the convolution reverb of buses: the GPU twin of
// engine/dsp/reverb.h (definition: the 2-in/2-out kernels design_reverb
// folds the IR, wet gain and predelay into; 100 % wet, full tail).
// Parity: tests/parity/reverb_test.cpp.
//
// A thin stage over the GPU FFT convolver (gpu/stages/fft_convolver.h) in
// row-pair mode: each bus is a pair of rows (L, R) and
//     y_L = h_LL * x_L + h_RL * x_R,   y_R = h_RR * x_R + h_LR * x_L
// (first letter = input; a missing path is zero), so mono, stereo and
// true-stereo IRs are one code path. Every reverb of one level of buses goes
// into one batched convolver. Zero latency on the GPU (the CPU convolver's
// hop is compensated by the render graph on its side).
#pragma once

#include <cstdint>
#include <vector>

#include "engine/dsp/fft_convolver.h"
#include "gpu/stages/fft_convolver.h"

namespace sf::gpu {

struct ReverbBinding {
    ConvolutionKernels kernels;        // design_reverb(...): 2 inputs, 2 outputs
    uint32_t left_offset = 0;          // float offset of the bus's L row in the io buffer
    uint32_t right_offset = 0;         // ... and of its R row
};

class ReverbStage : public ConvolverStage {
public:
    // Errors: InvalidArgument for no reverbs or kernels that are not 2→2;
    // Device for memory, shaders and plans (as FftConvolver::create).
    static Result<ReverbStage> create(Context& ctx, FftPlans& plans, std::vector<ReverbBinding> reverbs, int64_t max_block_frames,
                                      uint32_t io_sets);

private:
    using ConvolverStage::ConvolverStage;
};

}  // namespace sf::gpu
