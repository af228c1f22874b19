#version 450
// Pass 1 of the chorus (gpu/stages/chorus.h): every binding's input for this
// chunk into its history rings, one invocation per (frame, binding). A
// disabled stem writes zeros: its rows in the stem buffer hold stale data,
// and to the chorus a stem that is not playing is silence (as on the CPU).
#extension GL_GOOGLE_include_directive : require
#include "gain_common.glsl"
#include "chorus_common.glsl"

layout(local_size_x = 256) in;

layout(std430, set = 0, binding = 0) readonly buffer Io { float x[]; };
layout(std430, set = 0, binding = 4) writeonly buffer Rings { float ring[]; };

void main() {
    uint i = gl_GlobalInvocationID.x;
    uint b = gl_WorkGroupID.y;
    if (i >= pc.frames || b >= pc.count) return;
    ChorusNode n = nodes[b];
    StemParams sp = p[n.node];
    uint at = n.ring_offset + (pc.chunk_start + i) % n.ring_frames;
    for (uint c = 0u; c < sp.channels; ++c)
        ring[at + c * n.ring_frames] = sp.enabled != 0u ? x[sp.data_offset + c * pc.stride + i] : 0.0;
}
