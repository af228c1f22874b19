#version 450
// K-weighting, pass 2 of 3: the start state of every segment of a row, from
// the row's state before the chunk and the segments' zero-state end states:
//     start[0] = carry,  start[k + 1] = A^B start[k] + zs[k]   (B = kSegment)
// One workgroup per row; segments in tiles of 64, one per lane; within a
// tile an inclusive Hillis-Steele scan (v_j += A^(B·o) v_(j−o), o = 1, 2, 4,
// ..., 32), then start_j = A^(B·j) carry + v_(j−1). The matrices come from
// the host (designed once in double, kw buffer).
#extension GL_GOOGLE_include_directive : require
#include "loudness_common.glsl"

layout(local_size_x = 64) in;

layout(std430, set = 0, binding = 0) readonly buffer Kw { double kw[]; };
layout(std430, set = 0, binding = 1) readonly buffer Zs { dvec4 zs[]; };
layout(std430, set = 0, binding = 2) writeonly buffer Start { dvec4 start[]; };
layout(std430, set = 0, binding = 3) readonly buffer State { dvec4 state[]; };   // per row, before this chunk

shared dvec4 v[64];

dmat4 power(uint j) {
    uint o = kKwMatrices + 16u * j;
    return dmat4(kw[o], kw[o + 1u], kw[o + 2u], kw[o + 3u], kw[o + 4u], kw[o + 5u], kw[o + 6u], kw[o + 7u],
                 kw[o + 8u], kw[o + 9u], kw[o + 10u], kw[o + 11u], kw[o + 12u], kw[o + 13u], kw[o + 14u], kw[o + 15u]);
}

void main() {
    uint row = gl_WorkGroupID.x;
    uint j = gl_LocalInvocationID.x;
    dvec4 carry = state[row];
    dmat4 own = power(j);
    dmat4 all = power(64u);
    for (uint t0 = 0u; t0 < pc.segments; t0 += 64u) {
        uint seg = t0 + j;
        v[j] = seg + 1u < pc.segments ? zs[row * pc.max_segments + seg] : dvec4(0.0LF);
        barrier();
        for (uint o = 1u; o < 64u; o <<= 1u) {
            dvec4 add = j >= o ? power(o) * v[j - o] : dvec4(0.0LF);
            barrier();
            v[j] += add;
            barrier();
        }
        if (seg < pc.segments) start[row * pc.max_segments + seg] = own * carry + (j > 0u ? v[j - 1u] : dvec4(0.0LF));
        carry = all * carry + v[63];
        barrier();   // v is rewritten by the next tile
    }
}
