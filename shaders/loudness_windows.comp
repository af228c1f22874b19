#version 450
// Window sums, pass 3 of 3: for every frame of the chunk, the momentary
// (400 ms) and short-term (3 s) sums of e over the window ending after it
// (Tech 3341 §2.2; zero-padded before the programme's first frame, as on
// the CPU: the history starts as zeros). Per workgroup their maxima go to
// the Partials buffer (loudness_maxima.comp folds them in); at every 100 ms
// step boundary the window means are the gating blocks (BS.1770-4 §2.8:
// 400 ms blocks every 100 ms once 400 ms have passed) and the short-term
// values of LRA (Tech 3342 §3), stored at their step's index.
#extension GL_GOOGLE_include_directive : require
#include "loudness_common.glsl"

layout(local_size_x = 256) in;

layout(std430, set = 0, binding = 0) readonly buffer Prefix { float q[]; };
layout(std430, set = 0, binding = 1) readonly buffer Totals { double totals[]; };
layout(std430, set = 0, binding = 2) writeonly buffer Partials { dvec2 partials[]; };
layout(std430, set = 0, binding = 3) writeonly buffer BlocksM { double blocks_m[]; };
layout(std430, set = 0, binding = 4) writeonly buffer BlocksS { double blocks_s[]; };
layout(std430, set = 0, binding = 5) readonly buffer Lengths { uint lengths[]; };

shared dvec2 best[256];

// P(k + 1): the sum of the energy buffer's first k + 1 values.
double prefix_through(uint base_q, uint base_t, uint k) {
    return totals[base_t + k / kPrefixTile] + double(q[base_q + k]);
}

void main() {
    uint p = gl_WorkGroupID.y;
    uint lane = gl_LocalInvocationID.x;
    uint f = gl_WorkGroupID.x * kWindowGroup + lane;
    uint base_q = p * pc.estride;
    uint base_t = p * pc.max_tiles;
    uint m_len = 4u * pc.step;
    uint s_len = 30u * pc.step;
    dvec2 w = dvec2(0.0LF);
    if (f < pc.frames && pc.chunk_start + f < lengths[p]) {
        uint k = pc.hist + f;   // the frame's buffer position; the window ends after it
        double at = prefix_through(base_q, base_t, k);
        // hist = s_len >= m_len: both window starts lie inside the buffer.
        w.x = max(at - prefix_through(base_q, base_t, k - m_len), 0.0LF);
        w.y = max(at - prefix_through(base_q, base_t, k - s_len), 0.0LF);
        uint seen = pc.chunk_start + f + 1u;   // frames measured when this window ends
        if (seen % pc.step == 0u) {
            uint step = seen / pc.step;
            if (step >= 4u) blocks_m[p * pc.max_blocks + step - 4u] = w.x / double(m_len);
            if (step >= 30u) blocks_s[p * pc.max_blocks + step - 30u] = w.y / double(s_len);
        }
    }
    best[lane] = w;
    barrier();
    for (uint o = 128u; o > 0u; o >>= 1u) {
        if (lane < o) best[lane] = max(best[lane], best[lane + o]);
        barrier();
    }
    if (lane == 0u) partials[p * pc.partials + gl_WorkGroupID.x] = best[0];
}
