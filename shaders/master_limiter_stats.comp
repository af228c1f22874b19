#version 450
// Adds a page's per-workgroup limiter statistics (master_limiter_apply.comp)
// into each lane's running totals (count of limited frames, their dB sum).
#extension GL_GOOGLE_include_directive : require
#include "master_limiter_common.glsl"

layout(local_size_x = 64) in;

layout(std430, set = 0, binding = 0) readonly buffer Partials { dvec2 partials[]; };
layout(std430, set = 0, binding = 1) buffer Totals { dvec2 totals[]; };

shared dvec2 part[64];

void main() {
    uint lane = gl_WorkGroupID.x;
    uint t = gl_LocalInvocationID.x;
    uint groups = (pc.frames + kApplyGroup - 1u) / kApplyGroup;
    dvec2 s = dvec2(0.0LF);
    for (uint k = t; k < groups; k += 64u) s += partials[lane * pc.groups + k];
    part[t] = s;
    barrier();
    for (uint o = 32u; o > 0u; o >>= 1u) {
        if (t < o) part[t] += part[t + o];
        barrier();
    }
    if (t == 0u) totals[lane] += part[0];
}
