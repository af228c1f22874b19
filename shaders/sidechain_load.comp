#version 450
// A sidechain row read back from its ring `delay_frames` later: frame t of
// the output is frame t − delay of the source (zeros before time 0: the
// rings start zeroed and a position is first written at its own time).
// One invocation per (frame, row).
#extension GL_GOOGLE_include_directive : require
#include "sidechain_common.glsl"

layout(local_size_x = 256) in;

void main() {
    uint i = gl_GlobalInvocationID.x;
    if (i >= pc.frames) return;
    SidechainRow r = rows[gl_WorkGroupID.y];
    // ring_frames >= delay_frames, so the sum never wraps below zero.
    uint at = (pc.chunk_start + i + r.ring_frames - r.delay_frames) % r.ring_frames;
    write_row(r.dst_buffer, r.dst_offset + i, ring[r.ring_offset + at]);
}
