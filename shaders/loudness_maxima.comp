#version 450
// Folds the chunk's per-workgroup window maxima (loudness_windows.comp) into
// each programme's running maxima of the momentary and short-term sums.
#extension GL_GOOGLE_include_directive : require
#include "loudness_common.glsl"

layout(local_size_x = 256) in;

layout(std430, set = 0, binding = 0) readonly buffer Partials { dvec2 partials[]; };
layout(std430, set = 0, binding = 1) buffer Maxima { dvec2 maxima[]; };   // per programme: (momentary, short-term) sums

shared dvec2 best[256];

void main() {
    uint p = gl_WorkGroupID.x;
    uint lane = gl_LocalInvocationID.x;
    uint groups = (pc.frames + kWindowGroup - 1u) / kWindowGroup;
    dvec2 m = dvec2(0.0LF);
    for (uint i = lane; i < groups; i += 256u) m = max(m, partials[p * pc.partials + i]);
    best[lane] = m;
    barrier();
    for (uint o = 128u; o > 0u; o >>= 1u) {
        if (lane < o) best[lane] = max(best[lane], best[lane + o]);
        barrier();
    }
    if (lane == 0u) maxima[p] = max(maxima[p], best[0]);
}
