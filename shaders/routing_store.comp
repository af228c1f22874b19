#version 450
// A bus's processed signal, through its width and fader, into its output
// ring (the CPU's BusState::out, sf::BusWidthFader). Automated lanes were
// registered at the bus output's latency. One invocation per (frame, bus).
#extension GL_GOOGLE_include_directive : require
#include "routing_common.glsl"
#define LANE_BINDING 3
#include "gain_lane.glsl"

layout(local_size_x = 256) in;

layout(std430, set = 0, binding = 0) readonly buffer Mix { float mix_rows[]; };
layout(std430, set = 0, binding = 1) writeonly buffer Rings { float ring[]; };
layout(std430, set = 0, binding = 2) readonly buffer Stores { RingStore store[]; };

void main() {
    uint i = gl_GlobalInvocationID.x;
    if (i >= pc.frames) return;
    RingStore s = store[pc.first + gl_WorkGroupID.y];
    uint at = s.ring_offset + (pc.chunk_start + i) % s.ring_frames;
    float l = mix_rows[s.src_offset + i], r = mix_rows[s.src_offset + pc.stride + i];
    if (s.mode == 0u) {
        ring[at] = s.gain * l;
        ring[at + s.ring_frames] = s.gain * r;
        return;
    }
    vec4 g = vec4(s.ll, s.rl, s.lr, s.rr);
    if (s.mode == 2u) {
        float fader = s.gain_lane == NO_LANE ? s.gain : s.gain * lane_db_to_gain(lane_value(s.gain_lane, i));
        float w = s.width_lane == NO_LANE ? s.width : lane_value(s.width_lane, i);
        g = then_gains(width_gains(w), vec4(fader, 0.0, 0.0, fader));
    }
    ring[at] = g.x * l + g.y * r;
    ring[at + s.ring_frames] = g.z * l + g.w * r;
}
