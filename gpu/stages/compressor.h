// Stemforge GPU — the compressor stage of every compressed stem (twin of
// engine/dsp/compressor.h, shader shaders/compressor_envelope.comp).
//
// The recursion of sf::Compressor, sequential in time: one workgroup per
// compressor works through the chunk in shared-memory tiles, the
// transcendental parts on every lane and only the recursions on one, in
// place on the stem buffer (after EQ, before pan) or a bus's rows, in double
// precision (needs Context::float64()). State (the
// RMS power p and the smoothed gain reduction s) lives in one device buffer
// shared by every slot, so consecutive chunks continue one recursion; the
// backend's barriers order the chunks. Coefficients come from
// sf::compressor_coefficients, the CPU's own.
#pragma once

#include <cstdint>
#include <vector>

#include "engine/dsp/compressor.h"
#include "gpu/vk/context.h"
#include "gpu/vk/kernel.h"

namespace sf::gpu {

inline constexpr uint32_t kOwnDetector = 0xFFFFFFFFu;

struct CompressorBinding {
    uint32_t stem = 0;  // index into the StemParams buffer (data offset, channels, enabled)
    CompressorCoefficients coefficients{};
    // A sidechain: the float offset of the detector's channel 0 in the
    // detector buffer (gpu/stages/sidechain.h), and its channels.
    uint32_t detector_offset = kOwnDetector;
    uint32_t detector_channels = 0;
};

// Frames one dispatch loops over. Measured on lavapipe: a single invocation's
// loop stopped after about 65536 loop iterations in total (the recursion
// went wrong from frame 10923 of one 12288-frame dispatch, with ~6 loop
// iterations per frame; consistent with gallivm's loop limiter), so long
// chunks are split into several dispatches, each continuing the state the
// previous one stored. It also keeps one invocation short on real GPUs.
inline constexpr uint32_t kMaxFramesPerDispatch = 4096;

class CompressorStage {
public:
    // Errors: DeviceLimit when the device has no shaderFloat64; Device for memory or shaders.
    static Result<CompressorStage> create(Context& ctx, uint32_t set_count, const std::vector<CompressorBinding>& compressors);
    // stems: the stem buffer; params: the slot's StemParams[]; detector: the
    // slot's sidechain detector rows (any buffer when no compressor is keyed).
    void bind(uint32_t set, VkBuffer stems, VkBuffer params, VkBuffer detector);
    // Appends the compressors over `frames` frames (stride: floats between a stem's
    // channels); the first call also zeroes the state. Ends with a barrier.
    void record(VkCommandBuffer cmd, uint32_t set, uint32_t frames, uint32_t stride);
    uint32_t count() const { return count_; }

private:
    Kernel kernel_;
    Buffer coefs_, info_, state_;
    uint32_t count_ = 0;
    bool needs_reset_ = true;
};

}  // namespace sf::gpu
