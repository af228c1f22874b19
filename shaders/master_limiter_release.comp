#version 450
// Release scan, pass 3 of 3: every segment runs the recursion from its true
// start value (in double, the CPU's expression) and stores f after the W
// values before the page (the F buffer: [W tail | page]); the last segment
// keeps the page's final f for the next page.
#extension GL_GOOGLE_include_directive : require
#include "master_limiter_common.glsl"

layout(local_size_x = 64) in;

layout(std430, set = 0, binding = 0) readonly buffer Page { float page[]; };
layout(std430, set = 0, binding = 1) readonly buffer Design { double design[]; };
layout(std430, set = 0, binding = 2) readonly buffer Lanes { Lane lanes[]; };
layout(std430, set = 0, binding = 3) readonly buffer Start { double start[]; };
layout(std430, set = 0, binding = 4) buffer State { double state[]; };
layout(std430, set = 0, binding = 5) writeonly buffer F { double f_values[]; };

void main() {
    uint seg = gl_GlobalInvocationID.x;
    uint lane = gl_GlobalInvocationID.y;
    if (seg >= pc.segments || lane >= pc.lanes) return;
    double a = design[0], b = design[1];
    double coi = lanes[lane].ceiling_over_gain;
    uint row = (3u * (lane / pc.candidates) + 2u) * pc.page_stride;
    uint out0 = lane * pc.tail_stride + pc.lookahead;
    double f = start[lane * pc.max_segments + seg];
    uint last = min((seg + 1u) * kSegment, pc.frames);
    for (uint i = seg * kSegment; i < last; ++i) {
        double e = e_of(page[row + i], coi);
        f = min(e, a * f + b * e);
        f_values[out0 + i] = f;
    }
    if (seg + 1u == pc.segments) state[lane] = f;
}
