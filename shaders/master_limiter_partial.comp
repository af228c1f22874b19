#version 450
// Release scan, pass 1 of 3: each segment's composed map (c, d) (see
// master_limiter_common.glsl), f ↦ min(c, a^kSegment f + d), from the
// identity (c = +huge, d = 0), in the segment's frame order.
#extension GL_GOOGLE_include_directive : require
#include "master_limiter_common.glsl"

layout(local_size_x = 64) in;

layout(std430, set = 0, binding = 0) readonly buffer Page { float page[]; };
layout(std430, set = 0, binding = 1) readonly buffer Design { double design[]; };
layout(std430, set = 0, binding = 2) readonly buffer Lanes { Lane lanes[]; };
layout(std430, set = 0, binding = 3) writeonly buffer Maps { dvec2 maps[]; };

void main() {
    uint seg = gl_GlobalInvocationID.x;
    uint lane = gl_GlobalInvocationID.y;
    if (seg + 1u >= pc.segments || lane >= pc.lanes) return;   // the last segment's map is never combined
    double a = design[0], b = design[1];
    double coi = lanes[lane].ceiling_over_gain;
    uint row = (3u * (lane / pc.candidates) + 2u) * pc.page_stride + seg * kSegment;
    double c = 1.0e300LF, d = 0.0LF;
    for (uint i = 0u; i < kSegment; ++i) {
        double e = e_of(page[row + i], coi);
        c = min(e, a * c + b * e);
        d = a * d + b * e;
    }
    maps[lane * pc.max_segments + seg] = dvec2(c, d);
}
