#version 450
// The part of the limiter's gain computer that does not depend on the gain
// (sf::master::LimiterGain): its look-ahead minimum of r[m] = min(1, C /
// (G p[m])) over the last W + 2H + 1 envelope values equals min(1, C / (G ·
// the maximum of p over them)) — division is monotonic, so the same double
// — so the maximum is taken once, here, and every loudness-loop pass only
// divides. Chunk frame i's envelope position is m; its window is
// p[m − window .. m], the frames before the chunk from the row's history.
#extension GL_GOOGLE_include_directive : require
#include "master_common.glsl"

layout(local_size_x = 64) in;
layout(push_constant) uniform Push { PrePushData pc; };

layout(std430, set = 0, binding = 0) readonly buffer Envelope { float env[]; };
layout(std430, set = 0, binding = 1) readonly buffer History { float hist[]; };   // per programme: `window` floats
layout(std430, set = 0, binding = 2) writeonly buffer WindowMax { float wmax[]; };

void main() {
    uint i = gl_GlobalInvocationID.x;
    uint p = gl_GlobalInvocationID.y;
    if (i >= pc.frames || p >= pc.programmes) return;
    float m = 0.0;
    for (uint k = 0u; k <= pc.window; ++k) {
        int j = int(i) - int(k);
        m = max(m, j >= 0 ? env[p * pc.row_stride + uint(j)] : hist[p * pc.window + uint(int(pc.window) + j)]);
    }
    wmax[p * pc.row_stride + i] = m;
}
