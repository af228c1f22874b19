#version 450
// The input sum of each destination (bus or master): the GPU twin of
// CpuMixer::gather. Edges come in groups of equal compensation delay,
// ascending; within a group they are summed in session order and each group
// is added to the total, as on the CPU, so the float rounding matches.
// An automated send's gain is gain · 10^(lane/20) per frame; its lane was
// registered at the destination's latency (after the compensation delay,
// frame i is timeline frame chunk_start + i − that latency).
// One invocation per (frame, destination).
#extension GL_GOOGLE_include_directive : require
#include "routing_common.glsl"
#define LANE_BINDING 4
#include "gain_lane.glsl"

layout(local_size_x = 256) in;

layout(std430, set = 0, binding = 0) writeonly buffer Mix { float mix_rows[]; };
layout(std430, set = 0, binding = 1) readonly buffer Rings { float ring[]; };
layout(std430, set = 0, binding = 2) readonly buffer Dests { GatherDest dest[]; };
layout(std430, set = 0, binding = 3) readonly buffer Edges { GatherEdge edge[]; };

void main() {
    uint i = gl_GlobalInvocationID.x;
    if (i >= pc.frames) return;
    GatherDest d = dest[pc.first + gl_WorkGroupID.y];
    float out_l = 0.0, out_r = 0.0, sum_l = 0.0, sum_r = 0.0;
    uint delay = 0xffffffffu;
    for (uint j = d.edge_first; j < d.edge_first + d.edge_count; ++j) {
        GatherEdge e = edge[j];
        if (e.delay_frames != delay) {  // a new group: the previous one joins the total
            out_l += sum_l;
            out_r += sum_r;
            sum_l = 0.0;
            sum_r = 0.0;
            delay = e.delay_frames;
        }
        // (t + i - delay) mod R without going negative: delay <= R - chunk.
        uint at = e.ring_offset + (pc.chunk_start + i + e.ring_frames - e.delay_frames) % e.ring_frames;
        float g = e.lane == NO_LANE ? e.gain : e.gain * lane_db_to_gain(lane_value(e.lane, i));
        sum_l += g * ring[at];
        sum_r += g * ring[at + e.ring_frames];
    }
    mix_rows[d.out_offset + i] = out_l + sum_l;
    mix_rows[d.out_offset + pc.stride + i] = out_r + sum_r;
}
