// Stemforge GPU — the feedback delay of buses (twin of engine/dsp/delay.h,
// shader shaders/delay_feedback.comp). Parity: tests/parity/delay_test.cpp.
//
// The recursion of sf::Delay, in place on the buses' rows of the mix buffer
// (after the input sum, before the reverb), in double precision (needs
// Context::float64()). Parallel across buses (one workgroup per delay, every
// delay of one level of buses in one dispatch) and, within a bus, across
// time in tiles of at most D frames: a frame needs the line only D frames
// back, so a tile's line reads, inputs and outputs are independent, and only
// the filter F runs sequentially — on one lane per line, the two lines side
// by side (see the shader). Chunks longer than kMaxFramesPerDispatch are
// split into several dispatches, each continuing the state the previous one
// stored. State (each line's ring of D doubles and its biquad states) lives
// in one device buffer shared by every slot, so consecutive chunks continue
// one recursion; the backend's barriers order the chunks. Designs come from
// sf::design_delay, the CPU's own.
#pragma once

#include <cstdint>
#include <vector>

#include "engine/dsp/delay.h"
#include "gpu/vk/context.h"
#include "gpu/vk/kernel.h"

namespace sf::gpu {

// Mirrors DelayParams of shaders/delay_feedback.comp (std430).
struct DelayParams {
    uint32_t row = 0;       // float offset of the bus's L row in the mix buffer (R at + stride)
    uint32_t line = 0;      // double offset of line L's ring in the state buffer (line R's at + delay)
    uint32_t delay = 1;     // D
    uint32_t flags = 0;     // kDelayPingpong | kDelayFiltered
    double feedback = 0, wet = 1;
    double highpass[5] = {1, 0, 0, 0, 0};  // b0 b1 b2 a1 a2; the identity when off
    double lowpass[5] = {1, 0, 0, 0, 0};
};
static_assert(sizeof(DelayParams) == 112);
inline constexpr uint32_t kDelayPingpong = 1, kDelayFiltered = 2;

struct DelayBinding {
    uint32_t row = 0;  // float offset of the bus's L row in the mix buffer
    DelayDesign design;
};

class DelayStage {
public:
    // Errors: DeviceLimit when the device has no shaderFloat64 or the lines
    // do not fit one storage buffer (maxStorageBufferRange); Device for
    // memory or shaders.
    static Result<DelayStage> create(Context& ctx, uint32_t set_count, const std::vector<DelayBinding>& delays);
    // mix: the slot's mix buffer.
    void bind(uint32_t set, VkBuffer mix);
    // Appends the delays over the chunk's `frames` frames (stride: floats
    // between a bus's L and R rows; chunk_start: the timeline frame of the
    // chunk's first frame); the first call also zeroes the state. Ends with a barrier.
    void record(VkCommandBuffer cmd, uint32_t set, uint32_t frames, uint32_t stride, uint32_t chunk_start);
    uint32_t count() const { return count_; }

private:
    Kernel kernel_;
    Buffer params_, state_;
    uint32_t count_ = 0;
    bool needs_reset_ = true;
};

}  // namespace sf::gpu
