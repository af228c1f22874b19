#version 450
// Width and pan of every stem into its output ring: the GPU twin of
// CpuMixer's post-pan signal ("pre", before any fader; faders and send levels
// are the edge gains of routing_gather.comp), sf::StemPanWidth. One
// invocation per (frame, stem). Static stems use StemParams' matrix (width
// then pan, designed in double on the host, as on the CPU); a stem with a pan
// or width lane builds its matrix per frame from the lanes' values. A stem
// that is not playing writes zeros: a later chunk may read this part of the
// ring through a latency-compensation delay.
#extension GL_GOOGLE_include_directive : require
#include "gain_common.glsl"
#define LANE_BINDING 4
#include "gain_lane.glsl"

layout(local_size_x = 256) in;

layout(push_constant) uniform Push {
    uint frames;
    uint stride;       // floats between a stem's channels
    uint chunk_start;  // timeline frame of frame 0 (the ring position)
    uint level;        // only the stems of this schedule level
} pc;

// Mirrors sf::gpu::StemPanLanes (gpu/stages/gain.h).
struct StemPanLanes {
    uint pan_lane;     // NO_LANE: the static pan
    uint width_lane;   // NO_LANE: the static width (1 = bypassed); ignored on mono stems
    float pan;
    float width;
    uint level;        // the stem's level in the render schedule
};

layout(std430, set = 0, binding = 0) readonly buffer Stems { float x[]; };
layout(std430, set = 0, binding = 1) readonly buffer Params { StemParams p[]; };
layout(std430, set = 0, binding = 2) writeonly buffer Rings { float ring[]; };
layout(std430, set = 0, binding = 3) readonly buffer PanLanes { StemPanLanes lanes[]; };

void main() {
    uint i = gl_GlobalInvocationID.x;
    uint k = gl_WorkGroupID.y;
    if (i >= pc.frames) return;
    StemParams s = p[k];
    if (s.ring_frames == 0u || lanes[k].level != pc.level) return;
    float out_l = 0.0, out_r = 0.0;
    if (s.enabled != 0u) {
        float l = x[s.data_offset + i];
        float r = s.channels > 1u ? x[s.data_offset + pc.stride + i] : l;
        vec4 g = vec4(s.ll, s.rl, s.lr, s.rr);
        StemPanLanes q = lanes[k];
        if (q.pan_lane != NO_LANE || q.width_lane != NO_LANE) {
            g = pan_gains(q.pan_lane != NO_LANE ? lane_value(q.pan_lane, i) : q.pan, s.channels);
            if (s.channels > 1u) g = then_gains(width_gains(q.width_lane != NO_LANE ? lane_value(q.width_lane, i) : q.width), g);
        }
        out_l = g.x * l + g.y * r;
        out_r = g.z * l + g.w * r;
    }
    uint at = s.ring_offset + (pc.chunk_start + i) % s.ring_frames;
    ring[at] = out_l;
    ring[at + s.ring_frames] = out_r;
}
