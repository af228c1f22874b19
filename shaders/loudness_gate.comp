#version 450
// The gates, once every frame has been measured (one workgroup per
// programme). Integrated loudness (BS.1770-4 §2.8): the 400 ms blocks above
// the absolute gate (−70 LUFS), their mean energy × 10^(−10/10) the relative
// gate, the mean of the blocks above both. LRA (EBU Tech 3342 §3): the same
// over every lra_stride-th short-term value with a −20 LU relative gate;
// the percentiles are found by loudness_lra_rank.comp and loudness_lra_pick.comp.
// Results per programme (8 doubles): [0] gated energy sum, [1] its block
// count, [2] LRA's relative gate (energy), [3] the count LRA keeps, [4] its
// 10th percentile, [5] its 95th (energies; written by the pick pass).
// pc.chunk_start holds the frames measured.
#extension GL_GOOGLE_include_directive : require
#include "loudness_common.glsl"

layout(local_size_x = 256) in;

layout(std430, set = 0, binding = 0) readonly buffer Kw { double kw[]; };
layout(std430, set = 0, binding = 1) readonly buffer BlocksM { double blocks_m[]; };
layout(std430, set = 0, binding = 2) readonly buffer BlocksS { double blocks_s[]; };
layout(std430, set = 0, binding = 3) readonly buffer Lengths { uint lengths[]; };
layout(std430, set = 0, binding = 4) buffer Results { double results[]; };

shared double sums[256];
shared uint counts[256];

// Sum and count over the workgroup; every lane gets the totals.
void reduce(inout double s, inout uint n) {
    uint lane = gl_LocalInvocationID.x;
    sums[lane] = s;
    counts[lane] = n;
    barrier();
    for (uint o = 128u; o > 0u; o >>= 1u) {
        if (lane < o) {
            sums[lane] += sums[lane + o];
            counts[lane] += counts[lane + o];
        }
        barrier();
    }
    s = sums[0];
    n = counts[0];
    barrier();
}

void main() {
    uint p = gl_WorkGroupID.x;
    uint lane = gl_LocalInvocationID.x;
    uint seen = min(pc.chunk_start, lengths[p]);
    uint steps = seen / pc.step;
    uint n_m = steps >= 4u ? steps - 3u : 0u;
    uint n_s = steps >= 30u ? steps - 29u : 0u;
    uint bm = p * pc.max_blocks;
    double abs_gate = kw[18];

    double s = 0.0LF;
    uint n = 0u;
    for (uint i = lane; i < n_m; i += 256u) {
        double z = blocks_m[bm + i];
        if (z > abs_gate) { s += z; ++n; }
    }
    reduce(s, n);
    double rel_gate = n > 0u ? s / double(n) * kw[19] : 0.0LF;
    double s2 = 0.0LF;
    uint n2 = 0u;
    if (n > 0u)
        for (uint i = lane; i < n_m; i += 256u) {
            double z = blocks_m[bm + i];
            if (z > abs_gate && z > rel_gate) { s2 += z; ++n2; }
        }
    reduce(s2, n2);

    double ls = 0.0LF;
    uint ln = 0u;
    for (uint i = lane * pc.lra_stride; i < n_s; i += 256u * pc.lra_stride) {
        double z = blocks_s[bm + i];
        if (z > abs_gate) { ls += z; ++ln; }
    }
    reduce(ls, ln);
    double lra_gate = ln > 0u ? ls / double(ln) * kw[20] : 0.0LF;
    uint kept = 0u;
    double unused = 0.0LF;
    if (ln > 0u)
        for (uint i = lane * pc.lra_stride; i < n_s; i += 256u * pc.lra_stride) {
            double z = blocks_s[bm + i];
            if (z > abs_gate && z > lra_gate) ++kept;
        }
    reduce(unused, kept);
    if (lane == 0u) {
        results[8u * p] = s2;
        results[8u * p + 1u] = double(n2);
        results[8u * p + 2u] = ln > 0u ? lra_gate : 1.0e300LF;   // nothing passes when nothing passed the absolute gate
        results[8u * p + 3u] = double(kept);
        results[8u * p + 4u] = 0.0LF;
        results[8u * p + 5u] = 0.0LF;
    }
}
