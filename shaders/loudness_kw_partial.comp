#version 450
// K-weighting, pass 1 of 3 (the block-wise scan of the biquads' linear
// recurrence): every segment of kSegment frames of every row is filtered from
// the zero state, in double (transposed direct form II, as
// analysis::LoudnessMeter), and only its end state is kept. The end state of
// a segment started from state s is A^len s + (this zero-state end state):
// loudness_kw_scan.comp combines them into every segment's true start state.
#extension GL_GOOGLE_include_directive : require
#include "loudness_common.glsl"

layout(local_size_x = 64) in;

layout(std430, set = 0, binding = 0) readonly buffer Io { float x[]; };
layout(std430, set = 0, binding = 1) readonly buffer Kw { double kw[]; };
layout(std430, set = 0, binding = 2) writeonly buffer Zs { dvec4 zs[]; };

void main() {
    uint seg = gl_GlobalInvocationID.x;
    uint row = gl_GlobalInvocationID.y;
    // The last segment's end state is never combined: its start state is all
    // the energy pass needs (it computes the final state itself).
    if (seg + 1u >= pc.segments || row >= pc.programmes * pc.channels) return;
    double b0 = kw[0], b1 = kw[1], b2 = kw[2], a1 = kw[3], a2 = kw[4];
    double c0 = kw[5], c1 = kw[6], c2 = kw[7], d1 = kw[8], d2 = kw[9];
    double s1 = 0.0LF, s2 = 0.0LF, t1 = 0.0LF, t2 = 0.0LF;
    uint base = pc.io_offset + row * pc.row_stride + seg * kSegment;
    for (uint i = 0u; i < kSegment; ++i) {
        double xi = double(x[base + i]);
        double y1 = b0 * xi + s1;
        s1 = b1 * xi - a1 * y1 + s2;
        s2 = b2 * xi - a2 * y1;
        double y2 = c0 * y1 + t1;
        t1 = c1 * y1 - d1 * y2 + t2;
        t2 = c2 * y1 - d2 * y2;
    }
    zs[row * pc.max_segments + seg] = dvec4(s1, s2, t1, t2);
}
