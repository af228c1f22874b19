#version 450
// After a chunk, each row's last `keep` frames (its history, then the
// chunk) become its history for the next chunk: the true-peak detector's 47
// frames of the mix rows, the window maximum's W + 2H envelope values. One
// invocation per row, in ascending order, so with a chunk shorter than the
// history every value is read (at j + frames > j) before it is overwritten.
layout(local_size_x = 64) in;

layout(push_constant) uniform Push {
    uint frames;       // frames in the chunk
    uint rows;
    uint row_stride;   // floats per chunk row
    uint keep;         // history frames per row
    uint hist_stride;  // floats per row in the history buffer
} pc;

layout(std430, set = 0, binding = 0) readonly buffer Rows { float x[]; };
layout(std430, set = 0, binding = 1) buffer History { float hist[]; };

void main() {
    uint row = gl_GlobalInvocationID.x;
    if (row >= pc.rows) return;
    for (uint j = 0u; j < pc.keep; ++j) {
        int src = int(pc.frames) - int(pc.keep) + int(j);
        hist[row * pc.hist_stride + j] = src >= 0 ? x[row * pc.row_stride + uint(src)] : hist[row * pc.hist_stride + j + pc.frames];
    }
}
