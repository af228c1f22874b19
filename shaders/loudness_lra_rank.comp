#version 450
// LRA percentiles, pass 1 of 2: for every kept short-term value z_i (above
// both LRA gates), how many kept values are below it and how many at or
// below it: its rank interval in the sorted list. Invocation (candidate,
// programme, slice): a slice compares against up to 4096 values, the counts
// add up atomically (slices keep every invocation's loop short).
#extension GL_GOOGLE_include_directive : require
#include "loudness_common.glsl"

layout(local_size_x = 64) in;

layout(std430, set = 0, binding = 0) readonly buffer Kw { double kw[]; };
layout(std430, set = 0, binding = 1) readonly buffer BlocksS { double blocks_s[]; };
layout(std430, set = 0, binding = 2) readonly buffer Lengths { uint lengths[]; };
layout(std430, set = 0, binding = 3) readonly buffer Results { double results[]; };
layout(std430, set = 0, binding = 4) buffer Ranks { uint ranks[]; };   // per programme and value: (below, at or below)

const uint kSlice = 4096u;

void main() {
    uint i = gl_GlobalInvocationID.x;   // index in the strided list
    uint p = gl_GlobalInvocationID.y;
    uint slice = gl_GlobalInvocationID.z;
    uint seen = min(pc.chunk_start, lengths[p]);
    uint steps = seen / pc.step;
    uint n_s = steps >= 30u ? steps - 29u : 0u;
    uint count = (n_s + pc.lra_stride - 1u) / pc.lra_stride;
    if (i >= count) return;
    double abs_gate = kw[18], gate = results[8u * p + 2u];
    uint bs = p * pc.max_blocks;
    double z = blocks_s[bs + i * pc.lra_stride];
    if (!(z > abs_gate && z > gate)) return;
    uint below = 0u, at_or_below = 0u;
    uint last = min(count, (slice + 1u) * kSlice);
    for (uint k = slice * kSlice; k < last; ++k) {
        double y = blocks_s[bs + k * pc.lra_stride];
        if (y > abs_gate && y > gate) {
            if (y < z) ++below;
            if (y <= z) ++at_or_below;
        }
    }
    atomicAdd(ranks[2u * (bs + i)], below);
    atomicAdd(ranks[2u * (bs + i) + 1u], at_or_below);
}
