#version 450
// Spectrum times the row's kernel spectrum (designed once, in double).
#extension GL_GOOGLE_include_directive : require
#include "fft_convolver_common.glsl"
layout(local_size_x = 256) in;
layout(std430, set = 0, binding = 0) buffer Work { vec2 w[]; };
layout(std430, set = 0, binding = 1) readonly buffer Spectra { vec2 h[]; };
layout(std430, set = 0, binding = 2) readonly buffer Rows { RowEntry rows[]; };
vec2 cmul(vec2 a, vec2 b) { return vec2(a.x * b.x - a.y * b.y, a.x * b.y + a.y * b.x); }
void main() {
    uint k = gl_GlobalInvocationID.x;
    uint r = gl_WorkGroupID.y;
    if (k >= pc.bins) return;
    uint at = r * (pc.row_stride / 2u) + k;
    w[at] = cmul(w[at], h[rows[pc.row_first + r].kernel * pc.bins + k]);
}
