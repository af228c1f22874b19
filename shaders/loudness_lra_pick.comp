#version 450
// LRA percentiles, pass 2 of 2: the kept value whose rank interval
// [below, at_or_below) holds round(0.10 (K − 1)) is the 10th percentile, and
// round(0.95 (K − 1)) the 95th (Tech 3342 §3, K values kept; the CPU meter
// indexes its sorted list the same way). Ties hold equal values, so any of
// them may write.
#extension GL_GOOGLE_include_directive : require
#include "loudness_common.glsl"

layout(local_size_x = 64) in;

layout(std430, set = 0, binding = 0) readonly buffer Kw { double kw[]; };
layout(std430, set = 0, binding = 1) readonly buffer BlocksS { double blocks_s[]; };
layout(std430, set = 0, binding = 2) readonly buffer Lengths { uint lengths[]; };
layout(std430, set = 0, binding = 3) buffer Results { double results[]; };
layout(std430, set = 0, binding = 4) readonly buffer Ranks { uint ranks[]; };

void main() {
    uint i = gl_GlobalInvocationID.x;
    uint p = gl_GlobalInvocationID.y;
    uint seen = min(pc.chunk_start, lengths[p]);
    uint steps = seen / pc.step;
    uint n_s = steps >= 30u ? steps - 29u : 0u;
    uint count = (n_s + pc.lra_stride - 1u) / pc.lra_stride;
    if (i >= count) return;
    double abs_gate = kw[18], gate = results[8u * p + 2u];
    uint bs = p * pc.max_blocks;
    double z = blocks_s[bs + i * pc.lra_stride];
    if (!(z > abs_gate && z > gate)) return;
    uint kept = uint(results[8u * p + 3u]);
    uint low = uint(floor(0.10LF * double(kept - 1u) + 0.5LF));
    uint high = uint(floor(0.95LF * double(kept - 1u) + 0.5LF));
    uint below = ranks[2u * (bs + i)], upto = ranks[2u * (bs + i) + 1u];
    if (below <= low && low < upto) results[8u * p + 4u] = z;
    if (below <= high && high < upto) results[8u * p + 5u] = z;
}
