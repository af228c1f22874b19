#version 450
// Window sums, pass 2 of 3: the exclusive prefix of a programme's tile
// totals, in place (one workgroup per programme; each lane a contiguous run
// of tiles, then a scan of the runs).
#extension GL_GOOGLE_include_directive : require
#include "loudness_common.glsl"

layout(local_size_x = 256) in;

layout(std430, set = 0, binding = 0) buffer Totals { double totals[]; };

shared double part[256];

void main() {
    uint p = gl_WorkGroupID.x;
    uint lane = gl_LocalInvocationID.x;
    uint per = (pc.tiles + 255u) / 256u;
    uint first = lane * per;
    uint last = min(first + per, pc.tiles);
    uint base = p * pc.max_tiles;
    double run = 0.0LF;
    for (uint i = first; i < last; ++i) run += totals[base + i];
    part[lane] = run;
    barrier();
    for (uint o = 1u; o < 256u; o <<= 1u) {
        double add = lane >= o ? part[lane - o] : 0.0LF;
        barrier();
        part[lane] += add;
        barrier();
    }
    double acc = lane > 0u ? part[lane - 1u] : 0.0LF;
    for (uint i = first; i < last; ++i) {
        double t = totals[base + i];
        totals[base + i] = acc;
        acc += t;
    }
}
