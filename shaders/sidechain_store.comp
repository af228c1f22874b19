#version 450
// A sidechain row's source into its ring at its timeline positions (see
// gpu/stages/sidechain.h). One invocation per (frame, row).
#extension GL_GOOGLE_include_directive : require
#include "sidechain_common.glsl"

layout(local_size_x = 256) in;

void main() {
    uint i = gl_GlobalInvocationID.x;
    if (i >= pc.frames) return;
    SidechainRow r = rows[gl_WorkGroupID.y];
    ring[r.ring_offset + (pc.chunk_start + i) % r.ring_frames] = read_row(r.src_buffer, r.src_offset + i);
}
