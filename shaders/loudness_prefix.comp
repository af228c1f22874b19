#version 450
// Window sums, pass 1 of 3: the energy row of a programme (history, then the
// chunk: hist + frames values) in tiles of kPrefixTile; per tile the
// inclusive prefix sum Q (double sums, stored as float: Q is relative to the
// tile, so its rounding is relative to a tile's energy, not the programme's)
// and the tile's total (double). The sum of e over buffer positions [a, b)
// is then P(b) − P(a), P(k + 1) = T(tile of k) + Q[k], T the exclusive prefix
// of the totals (loudness_prefix_totals.comp).
#extension GL_GOOGLE_include_directive : require
#include "loudness_common.glsl"

layout(local_size_x = 256) in;

layout(std430, set = 0, binding = 0) readonly buffer Energy { float energy[]; };
layout(std430, set = 0, binding = 1) writeonly buffer Prefix { float q[]; };
layout(std430, set = 0, binding = 2) writeonly buffer Totals { double totals[]; };

shared double part[256];

void main() {
    uint tile = gl_WorkGroupID.x;
    uint p = gl_WorkGroupID.y;
    uint lane = gl_LocalInvocationID.x;
    uint count = pc.hist + pc.frames;
    uint first = tile * kPrefixTile + lane * 4u;
    uint base = p * pc.estride;
    double v[4];
    double run = 0.0LF;
    for (uint k = 0u; k < 4u; ++k) {
        uint i = first + k;
        run += i < count ? double(energy[base + i]) : 0.0LF;
        v[k] = run;
    }
    part[lane] = run;
    barrier();
    for (uint o = 1u; o < 256u; o <<= 1u) {
        double add = lane >= o ? part[lane - o] : 0.0LF;
        barrier();
        part[lane] += add;
        barrier();
    }
    double before = lane > 0u ? part[lane - 1u] : 0.0LF;
    for (uint k = 0u; k < 4u; ++k) {
        uint i = first + k;
        if (i < count) q[base + i] = float(before + v[k]);
    }
    if (lane == 255u) totals[p * pc.max_tiles + tile] = part[255];
}
