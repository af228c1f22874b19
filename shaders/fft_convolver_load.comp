#version 450
// Overlap-save input: row = [history (L-1) | new frames | zeros] (N reals).
#extension GL_GOOGLE_include_directive : require
#include "fft_convolver_common.glsl"
layout(local_size_x = 256) in;
layout(std430, set = 0, binding = 0) readonly buffer Io { float io[]; };
layout(std430, set = 0, binding = 1) readonly buffer History { float hist[]; };
layout(std430, set = 0, binding = 2) writeonly buffer Work { float work[]; };
layout(std430, set = 0, binding = 3) readonly buffer Rows { RowEntry rows[]; };
void main() {
    uint j = gl_GlobalInvocationID.x;
    uint r = gl_WorkGroupID.y;
    if (j >= pc.row_stride) return;
    uint row = pc.row_first + r;
    float v = 0.0;
    if (j < pc.history) v = hist[r * pc.history + j];  // the group's own history buffer
    else if (j < pc.history + pc.frames) v = io[rows[row].io_offset + (j - pc.history)];
    work[r * pc.row_stride + j] = v;
}
