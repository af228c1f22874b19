#version 450
// After a chunk: each row's last 47 frames (history, then the chunk) become
// its history for the next chunk. One invocation per row, frames in
// ascending order, so with a chunk shorter than 47 frames every history
// value is read (at j + frames > j) before it is overwritten.
#extension GL_GOOGLE_include_directive : require
#include "loudness_common.glsl"

layout(local_size_x = 64) in;

layout(std430, set = 0, binding = 0) readonly buffer Io { float x[]; };
layout(std430, set = 0, binding = 1) buffer History { float hist[]; };

void main() {
    uint row = gl_GlobalInvocationID.x;
    if (row >= pc.programmes * pc.channels) return;
    uint io0 = pc.io_offset + row * pc.row_stride;
    for (uint j = 0u; j < 47u; ++j) {
        int src = int(pc.frames) - 47 + int(j);
        hist[row * 48u + j] = src >= 0 ? x[io0 + uint(src)] : hist[row * 48u + j + pc.frames];
    }
}
