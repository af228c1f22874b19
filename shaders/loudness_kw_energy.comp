#version 450
// K-weighting, pass 3 of 3: every segment is filtered again from its true
// start state (loudness_kw_scan.comp), all channels of a programme together,
// and the weighted energy e[n] = Σ_c G_c · y_c[n]² (BS.1770-4 eq. 2, in
// double as on the CPU) is stored as float after the programme's energy
// history. The last segment's invocation keeps the rows' end states for the
// next chunk. Frames past a programme's length store 0.
#extension GL_GOOGLE_include_directive : require
#include "loudness_common.glsl"

layout(local_size_x = 64) in;

layout(std430, set = 0, binding = 0) readonly buffer Io { float x[]; };
layout(std430, set = 0, binding = 1) readonly buffer Kw { double kw[]; };
layout(std430, set = 0, binding = 2) readonly buffer Start { dvec4 start[]; };
layout(std430, set = 0, binding = 3) buffer State { dvec4 state[]; };
layout(std430, set = 0, binding = 4) writeonly buffer Energy { float energy[]; };
layout(std430, set = 0, binding = 5) readonly buffer Lengths { uint lengths[]; };

void main() {
    uint seg = gl_GlobalInvocationID.x;
    uint p = gl_GlobalInvocationID.y;
    if (seg >= pc.segments || p >= pc.programmes) return;
    double b0 = kw[0], b1 = kw[1], b2 = kw[2], a1 = kw[3], a2 = kw[4];
    double c0 = kw[5], c1 = kw[6], c2 = kw[7], d1 = kw[8], d2 = kw[9];
    dvec4 st[8];
    for (uint c = 0u; c < pc.channels; ++c) st[c] = start[(p * pc.channels + c) * pc.max_segments + seg];
    uint f0 = seg * kSegment;
    uint f1 = min(f0 + kSegment, pc.frames);
    uint len = lengths[p];
    uint row0 = pc.io_offset + p * pc.channels * pc.row_stride;
    uint out0 = p * pc.estride + pc.hist;
    for (uint i = f0; i < f1; ++i) {
        double e = 0.0LF;
        for (uint c = 0u; c < pc.channels; ++c) {
            double xi = double(x[row0 + c * pc.row_stride + i]);
            dvec4 s = st[c];
            double y1 = b0 * xi + s.x;
            s.x = b1 * xi - a1 * y1 + s.y;
            s.y = b2 * xi - a2 * y1;
            double y2 = c0 * y1 + s.z;
            s.z = c1 * y1 - d1 * y2 + s.w;
            s.w = c2 * y1 - d2 * y2;
            st[c] = s;
            e += kw[10u + c] * y2 * y2;
        }
        energy[out0 + i] = pc.chunk_start + i < len ? float(e) : 0.0;
    }
    if (seg + 1u == pc.segments)
        for (uint c = 0u; c < pc.channels; ++c) state[p * pc.channels + c] = st[c];
}
