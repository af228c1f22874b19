// Stemforge GPU — the chorus of every chorused stem, or of the chorused
// buses of one level (twin of engine/dsp/chorus.h, shaders
// shaders/chorus_history.comp and shaders/chorus.comp).
//
// In place on the stem buffer (after the compressor, before pan) or a bus's
// mix rows (after the bus compressor, before the store), parallel over
// (frame, channel, chorus). The voices read up to history_frames() back,
// across chunk boundaries, so each binding keeps an input history ring per
// channel in one device buffer shared by the slots (as the compressor's
// state): R = chunk + history frames, the input of timeline frame t at t mod R
// (t in the backend's chunk clock). Per chunk two dispatches:
//   1. chorus_history: every binding's chunk input into its ring (zeros
//      when the stem is disabled: a disabled stem's rows hold stale data, and
//      a stem not playing is silence to the chorus, as on the CPU);
//   2. chorus: each output frame from the ring alone (so the in-place write
//      races with no read), written over the rows.
// All position and interpolation arithmetic in double (needs
// Context::float64()): the LFO phase is reduced to [0, 1) in double and its
// sine and cosine come from a double polynomial (GLSL has no double sin);
// design data (delays, rate, the voices' offsets) is the CPU's own
// sf::design_chorus.
#pragma once

#include <cstdint>
#include <vector>

#include "engine/dsp/chorus.h"
#include "gpu/vk/context.h"
#include "gpu/vk/kernel.h"

namespace sf::gpu {

struct ChorusBinding {
    uint32_t node = 0;     // index into the StemParams buffer bound with bind() (data offset, channels, enabled)
    int channels = 1;      // the node's channel count (1 or 2): rings to keep
    ChorusDesign design{};
    // The chain's latency before the chorus on the GPU: the chorus's input at
    // chunk-clock frame t is timeline frame t − offset_frames (the LFO counts
    // from the session's time 0).
    int64_t offset_frames = 0;
};

class ChorusStage {
public:
    // Input history floats the bindings need at a chunk of `chunk_frames`:
    // Σ channels · (chunk + history). The backend keeps this under one
    // storage-buffer binding when it chooses the chunk.
    static uint64_t ring_floats(const std::vector<ChorusBinding>& bindings, int64_t chunk_frames);
    // Errors: DeviceLimit when the device has no shaderFloat64; Device for memory or shaders.
    static Result<ChorusStage> create(Context& ctx, uint32_t set_count, const std::vector<ChorusBinding>& bindings, int64_t chunk_frames);
    // io: the stem buffer or the mix buffer; params: its StemParams[].
    void bind(uint32_t set, VkBuffer io, VkBuffer params);
    // Appends both passes over `frames` frames of the chunk starting at
    // chunk-clock frame `chunk_start` (stride: floats between a node's
    // channels); the first call also zeroes the rings. Ends with a barrier.
    void record(VkCommandBuffer cmd, uint32_t set, uint32_t frames, uint32_t stride, uint32_t chunk_start);
    uint32_t count() const { return count_; }

private:
    Kernel history_, chorus_;
    Buffer bindings_, coefs_, rings_;
    uint32_t count_ = 0;
    bool needs_reset_ = true;
};

}  // namespace sf::gpu
