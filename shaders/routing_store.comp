#version 450
// A bus's processed signal, times its fader, into its output ring (the CPU's
// BusState::out). One invocation per (frame, bus).
#extension GL_GOOGLE_include_directive : require
#include "routing_common.glsl"

layout(local_size_x = 256) in;

layout(std430, set = 0, binding = 0) readonly buffer Mix { float mix_rows[]; };
layout(std430, set = 0, binding = 1) writeonly buffer Rings { float ring[]; };
layout(std430, set = 0, binding = 2) readonly buffer Stores { RingStore store[]; };

void main() {
    uint i = gl_GlobalInvocationID.x;
    if (i >= pc.frames) return;
    RingStore s = store[pc.first + gl_WorkGroupID.y];
    uint at = s.ring_offset + (pc.chunk_start + i) % s.ring_frames;
    ring[at] = s.gain * mix_rows[s.src_offset + i];
    ring[at + s.ring_frames] = s.gain * mix_rows[s.src_offset + pc.stride + i];
}
