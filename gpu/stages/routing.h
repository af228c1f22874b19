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
// Automation (LaneTable ids, gpu/stages/gain.h): an edge's send level
// (gain · 10^(lane/20)), a bus's fader and width at its store.
#pragma once

#include <cstdint>
#include <vector>

#include "gpu/stages/gain.h"  // kNoLane
#include "gpu/vk/context.h"
#include "gpu/vk/kernel.h"

namespace sf::gpu {

// Mirror the structs of shaders/routing_common.glsl (std430).
struct GatherEdge {
    uint32_t ring_offset = 0, ring_frames = 0, delay_frames = 0;
    float gain = 1.0f;
    uint32_t lane = kNoLane;  // send automation (dB), registered at the destination's latency
    uint32_t pad[3] = {};
};
struct GatherDest {
    uint32_t edge_first = 0, edge_count = 0, out_offset = 0, pad = 0;
};
// How a bus's store applies its width and fader.
enum class StoreMode : uint32_t {
    Fader = 0,      // gain · x (no width, no automation)
    Matrix = 1,     // the static matrix ll..rr (fader × width, designed in double on the host)
    Automated = 2,  // per frame: (gain · 10^(gain_lane/20)) × width(width_lane or `width`)
};
struct RingStore {
    uint32_t src_offset = 0, ring_offset = 0, ring_frames = 0;
    float gain = 1.0f;                            // the static fader
    float ll = 1.0f, rl = 0.0f, lr = 0.0f, rr = 1.0f;  // StoreMode::Matrix
    uint32_t gain_lane = kNoLane, width_lane = kNoLane;  // registered at the bus output's latency
    float width = 1.0f;                           // the static width (1: bypassed)
    StoreMode mode = StoreMode::Fader;
};
static_assert(sizeof(GatherEdge) == 32 && sizeof(GatherDest) == 16 && sizeof(RingStore) == 48);

class RoutingStage {
public:
    static Result<RoutingStage> create(Context& ctx, uint32_t set_count, const std::vector<GatherDest>& dests,
                                       const std::vector<GatherEdge>& edges, const std::vector<RingStore>& stores);
    // mix: the set's mix buffer (rows `stride` floats apart); rings: the shared node rings;
    // windows, pieces: the set's lanes (LaneTable::fill).
    void bind(uint32_t set, VkBuffer mix, VkBuffer rings, VkBuffer windows, VkBuffer pieces);
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
