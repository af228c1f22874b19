// Stemforge GPU — routing: the input sums of buses and the master with
// latency compensation, and the buses' outputs (twin of CpuMixer::gather and
// the bus fader; definition in engine/render/mix_graph.h).
//
// Every node (a stem after pan, a bus after its chain) writes its output into
// a ring in one shared device buffer, indexed by timeline frame mod the
// ring's length (shaders/routing_common.glsl), so a compensation delay is
// just a read further back: no delay-line copies, and the rings carry the
// graph's state from chunk to chunk. Destinations write their sums into the
// mix buffer (a stereo pair of rows per bus, then the master's).
// The tables are fixed at create(); record_*() only appends dispatches.
#pragma once

#include <cstdint>
#include <vector>

#include "gpu/vk/context.h"
#include "gpu/vk/kernel.h"

namespace sf::gpu {

// Mirror the structs of shaders/routing_common.glsl (std430).
struct GatherEdge {
    uint32_t ring_offset = 0, ring_frames = 0, delay_frames = 0;
    float gain = 1.0f;
};
struct GatherDest {
    uint32_t edge_first = 0, edge_count = 0, out_offset = 0, pad = 0;
};
struct RingStore {
    uint32_t src_offset = 0, ring_offset = 0, ring_frames = 0;
    float gain = 1.0f;
};
static_assert(sizeof(GatherEdge) == 16 && sizeof(GatherDest) == 16 && sizeof(RingStore) == 16);

class RoutingStage {
public:
    static Result<RoutingStage> create(Context& ctx, uint32_t set_count, const std::vector<GatherDest>& dests,
                                       const std::vector<GatherEdge>& edges, const std::vector<RingStore>& stores);
    // mix: the set's mix buffer (rows `stride` floats apart); rings: the shared node rings.
    void bind(uint32_t set, VkBuffer mix, VkBuffer rings);
    // Sums of dests[first, first + count) for frames [chunk_start, chunk_start + frames).
    void record_gather(VkCommandBuffer cmd, uint32_t set, uint32_t first, uint32_t count, uint32_t frames, uint32_t stride,
                       uint32_t chunk_start) const;
    // stores[first, first + count) into their rings.
    void record_store(VkCommandBuffer cmd, uint32_t set, uint32_t first, uint32_t count, uint32_t frames, uint32_t stride,
                      uint32_t chunk_start) const;

private:
    Kernel gather_, store_;
    Buffer dests_, edges_, stores_;
};

}  // namespace sf::gpu
