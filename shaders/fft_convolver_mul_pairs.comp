#version 450
// Row pairs (2p, 2p+1) with cross kernels, e.g. a true-stereo reverb:
//     Y_L = H_LL X_L + H_RL X_R,   Y_R = H_RR X_R + H_LR X_L
// (row L: kernel = LL, cross = RL; row R: kernel = RR, cross = LR). One
// invocation per bin of a pair reads both spectra before writing either,
// so the product is in place without a race.
#extension GL_GOOGLE_include_directive : require
#include "fft_convolver_common.glsl"
layout(local_size_x = 256) in;
layout(std430, set = 0, binding = 0) buffer Work { vec2 w[]; };
layout(std430, set = 0, binding = 1) readonly buffer Spectra { vec2 h[]; };
layout(std430, set = 0, binding = 2) readonly buffer Rows { RowEntry rows[]; };
vec2 cmul(vec2 a, vec2 b) { return vec2(a.x * b.x - a.y * b.y, a.x * b.y + a.y * b.x); }
vec2 times(uint kernel, vec2 x, uint k) { return kernel == kNoKernel ? vec2(0.0) : cmul(x, h[kernel * pc.bins + k]); }
void main() {
    uint k = gl_GlobalInvocationID.x;
    uint pair = gl_WorkGroupID.y;  // within this group; groups hold whole pairs
    if (k >= pc.bins) return;
    uint r0 = 2u * pair, r1 = r0 + 1u;
    uint a0 = r0 * (pc.row_stride / 2u) + k, a1 = r1 * (pc.row_stride / 2u) + k;
    vec2 x0 = w[a0], x1 = w[a1];
    RowEntry e0 = rows[pc.row_first + r0], e1 = rows[pc.row_first + r1];
    w[a0] = times(e0.kernel, x0, k) + times(e0.cross, x1, k);
    w[a1] = times(e1.kernel, x1, k) + times(e1.cross, x0, k);
}
