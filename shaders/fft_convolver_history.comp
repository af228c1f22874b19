#version 450
// Keeps the last L-1 samples of (history ++ new frames) for the next call;
// runs after load and before the in-place forward FFT overwrites the row.
#extension GL_GOOGLE_include_directive : require
#include "fft_convolver_common.glsl"
layout(local_size_x = 256) in;
layout(std430, set = 0, binding = 0) buffer History { float hist[]; };
layout(std430, set = 0, binding = 1) readonly buffer Work { float work[]; };
void main() {
    uint j = gl_GlobalInvocationID.x;
    uint r = gl_WorkGroupID.y;
    if (j >= pc.history) return;
    hist[r * pc.history + j] = work[r * pc.row_stride + pc.frames + j];  // the group's own history buffer
}
