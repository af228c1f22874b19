#version 450
// Overlap-save output: samples [L-1, L-1+frames) of the inverse FFT are the
// linear convolution of the new frames; scaled by 1/N.
#extension GL_GOOGLE_include_directive : require
#include "fft_convolver_common.glsl"
layout(local_size_x = 256) in;
layout(std430, set = 0, binding = 0) writeonly buffer Io { float io[]; };
layout(std430, set = 0, binding = 1) readonly buffer Work { float work[]; };
layout(std430, set = 0, binding = 2) readonly buffer Rows { RowEntry rows[]; };
void main() {
    uint i = gl_GlobalInvocationID.x;
    uint r = gl_WorkGroupID.y;
    if (i >= pc.frames) return;
    io[rows[pc.row_first + r].io_offset + i] = work[r * pc.row_stride + pc.history + i] * pc.scale;
}
