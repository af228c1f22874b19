// Shared by sidechain_store.comp and sidechain_load.comp. Mirrors
// sf::gpu::SidechainRow (gpu/stages/sidechain.h), std430, 32 bytes.
struct SidechainRow {
    uint src_buffer;    // 0 stems, 1 mix, 2 detector
    uint src_offset;    // float offset of the source row in its buffer
    uint dst_buffer;
    uint dst_offset;
    uint ring_offset;   // this row's ring in the rings buffer
    uint ring_frames;   // >= chunk + delay_frames
    uint delay_frames;
    uint pad;
};

layout(push_constant) uniform Push {
    uint frames;
    uint chunk_start;   // timeline frame of frame 0
    uint count;         // rows
    uint pad;
} pc;

layout(std430, set = 0, binding = 0) buffer Stems { float stems[]; };
layout(std430, set = 0, binding = 1) buffer Mix { float mix_rows[]; };
layout(std430, set = 0, binding = 2) buffer Detector { float det[]; };
layout(std430, set = 0, binding = 3) buffer Rings { float ring[]; };
layout(std430, set = 0, binding = 4) readonly buffer Rows { SidechainRow rows[]; };

float read_row(uint buffer_id, uint at) {
    if (buffer_id == 0u) return stems[at];
    if (buffer_id == 1u) return mix_rows[at];
    return det[at];
}

void write_row(uint buffer_id, uint at, float v) {
    if (buffer_id == 0u) stems[at] = v;
    else if (buffer_id == 1u) mix_rows[at] = v;
    else det[at] = v;
}
