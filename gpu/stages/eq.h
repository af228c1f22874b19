// Stemforge GPU — the EQ stage of stems and buses: the GPU twin of the EQ in
// engine/dsp/eq_design.h (definition: the FIR taps design_eq computes in
// double, linear or minimum phase) as the CPU applies it through
// engine/dsp/fft_convolver.h. Parity: tests/parity/eq_test.cpp.
//
// A thin stage over the GPU FFT convolver (gpu/stages/fft_convolver.h): every
// EQ of one level of the graph (all stems' EQs, or one level of buses') goes
// into one batched convolver, each EQ's kernel on each of its channels'
// rows, so one record() filters them all. Zero latency on the GPU: a
// linear-phase EQ's centre delay stays in the signal, and the render graph
// (engine/render/mix_graph.h) compensates it, as on the CPU.
#pragma once

#include <cstdint>
#include <vector>

#include "gpu/stages/fft_convolver.h"

namespace sf::gpu {

struct EqBinding {
    std::vector<double> taps;           // design_eq(...).taps; non-empty (an identity EQ gets no binding)
    std::vector<uint32_t> row_offsets;  // float offset, in the io buffer, of each channel this EQ filters
};

class EqStage : public ConvolverStage {
public:
    // Errors: InvalidArgument for no EQs, empty taps or an EQ with no rows;
    // Device for memory, shaders and plans (as FftConvolver::create).
    static Result<EqStage> create(Context& ctx, FftPlans& plans, std::vector<EqBinding> eqs, int64_t max_block_frames, uint32_t io_sets);

private:
    using ConvolverStage::ConvolverStage;
};

}  // namespace sf::gpu
