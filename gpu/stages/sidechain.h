// Stemforge GPU — the sidechain paths of keyed compressors (twin of
// CpuMixer::run_detector; alignment defined in engine/render/mix_graph.h).
//
// A compressor with a sidechain reads its detector from rows of the slot's
// detector buffer: the key's channels (a stem's rows in the stem buffer
// after its inserts, a bus's rows in the mix buffer before its fader, or the
// node's own rows) copied there delayed by the key delay; the node's own
// rows may be delayed in place by the signal delay. Both are one operation:
// a row is written into a ring at its timeline positions (frame mod the
// ring's length) and read back `delay` frames later, so a delay is a read
// further back and the rings carry the delay lines from chunk to chunk (the
// idea of gpu/stages/routing.h). The rings live in one device buffer shared
// by the slots, zeroed before the first chunk (silence before time 0). The
// sidechain EQ then filters the detector rows in place (an EqStage over
// them, built by the backend).
#pragma once

#include <cstdint>
#include <vector>

#include "gpu/vk/context.h"
#include "gpu/vk/kernel.h"

namespace sf::gpu {

// Where a row lives: the slot's stem buffer, mix buffer or detector buffer.
enum class RowBuffer : uint32_t { Stems = 0, Mix = 1, Detector = 2 };

// Mirrors struct SidechainRow in shaders/sidechain_common.glsl (std430).
struct SidechainRow {
    uint32_t src_buffer = 0, src_offset = 0;  // RowBuffer and float offset of the source row
    uint32_t dst_buffer = 0, dst_offset = 0;  // the delayed row (may equal the source: in place)
    uint32_t ring_offset = 0, ring_frames = 0;  // set by create()
    uint32_t delay_frames = 0, pad = 0;
};
static_assert(sizeof(SidechainRow) == 32, "must match sidechain_common.glsl");

class SidechainStage {
public:
    // rows: every delayed copy of one schedule level; chunk: the most frames
    // one record() covers. Assigns each row a ring of delay + chunk frames.
    static Result<SidechainStage> create(Context& ctx, uint32_t set_count, std::vector<SidechainRow> rows, int64_t chunk);
    void bind(uint32_t set, VkBuffer stems, VkBuffer mix, VkBuffer detector);
    // Every row for timeline frames [chunk_start, chunk_start + frames): into
    // the rings, a barrier, out of the rings. Ends with a barrier.
    void record(VkCommandBuffer cmd, uint32_t set, uint32_t frames, uint32_t chunk_start);
    uint64_t ring_floats() const { return ring_floats_; }

private:
    Kernel store_, load_;
    Buffer rows_, rings_;
    uint32_t count_ = 0;
    uint64_t ring_floats_ = 0;
    bool needs_reset_ = true;
};

}  // namespace sf::gpu
