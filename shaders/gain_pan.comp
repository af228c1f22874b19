#version 450
// Pan of every stem into its output ring: the GPU twin of CpuMixer's
// post-pan signal ("pre", before any fader; faders and send levels are the
// edge gains of routing_gather.comp). One invocation per (frame, stem). A stem
// that is not playing writes zeros: a later chunk may read this part of the
// ring through a latency-compensation delay.
#extension GL_GOOGLE_include_directive : require
#include "gain_common.glsl"

layout(local_size_x = 256) in;

layout(push_constant) uniform Push {
    uint frames;
    uint stride;       // floats between a stem's channels
    uint chunk_start;  // timeline frame of frame 0 (the ring position)
} pc;

layout(std430, set = 0, binding = 0) readonly buffer Stems { float x[]; };
layout(std430, set = 0, binding = 1) readonly buffer Params { StemParams p[]; };
layout(std430, set = 0, binding = 2) writeonly buffer Rings { float ring[]; };

void main() {
    uint i = gl_GlobalInvocationID.x;
    uint k = gl_WorkGroupID.y;
    if (i >= pc.frames) return;
    StemParams s = p[k];
    if (s.ring_frames == 0u) return;
    float out_l = 0.0, out_r = 0.0;
    if (s.enabled != 0u) {
        float l = x[s.data_offset + i];
        float r = s.channels > 1u ? x[s.data_offset + pc.stride + i] : l;
        out_l = s.ll * l + s.rl * r;
        out_r = s.lr * l + s.rr * r;
    }
    uint at = s.ring_offset + (pc.chunk_start + i) % s.ring_frames;
    ring[at] = out_l;
    ring[at + s.ring_frames] = out_r;
}
