#version 450
// Release scan, pass 2 of 3: the value f at the start of every segment of a
// lane, from f before the page (State) and the segments' maps. One workgroup
// per lane, 64 segments at a time: an inclusive Hillis-Steele scan of map
// compositions (later ∘ earlier: c = min(c_j, a^(kSegment o) c_(j−o) + d_j),
// d = a^(kSegment o) d_(j−o) + d_j), then start_j = min(c_(j−1),
// a^(kSegment j) carry + d_(j−1)).
#extension GL_GOOGLE_include_directive : require
#include "master_limiter_common.glsl"

layout(local_size_x = 64) in;

layout(std430, set = 0, binding = 0) readonly buffer Design { double design[]; };
layout(std430, set = 0, binding = 1) readonly buffer Maps { dvec2 maps[]; };
layout(std430, set = 0, binding = 2) writeonly buffer Start { double start[]; };
layout(std430, set = 0, binding = 3) readonly buffer State { double state[]; };   // per lane: f before the page

shared dvec2 v[64];

void main() {
    uint lane = gl_WorkGroupID.x;
    uint j = gl_LocalInvocationID.x;
    double carry = state[lane];
    double own = design[8u + j], all = design[8u + 64u];
    for (uint t0 = 0u; t0 < pc.segments; t0 += 64u) {
        uint seg = t0 + j;
        v[j] = seg + 1u < pc.segments ? maps[lane * pc.max_segments + seg] : dvec2(1.0e300LF, 0.0LF);
        barrier();
        for (uint o = 1u; o < 64u; o <<= 1u) {
            dvec2 next = v[j];
            if (j >= o) {
                double ao = design[8u + o];
                dvec2 earlier = v[j - o];
                next = dvec2(min(next.x, ao * earlier.x + next.y), ao * earlier.y + next.y);
            }
            barrier();
            v[j] = next;
            barrier();
        }
        if (seg < pc.segments) start[lane * pc.max_segments + seg] = j == 0u ? carry : min(v[j - 1u].x, own * carry + v[j - 1u].y);
        carry = min(v[63].x, all * carry + v[63].y);
        barrier();
    }
}
