#version 450
// The multiband stage's sum (the GPU twin of the band loop of the CPU
// pre-chain, engine/master/master_chain.cpp): every band, after its
// compressor, gets its M/S width (sf::master::apply_width: M = (L+R)/2,
// S = (L−R)/2 · w, L = M + S, R = M − S, in float, skipped at w = 1) and the
// bands are added into the mix rows lowest first, in float, in the CPU's
// order. `precise` keeps the compiler from fusing what the CPU rounds twice.
#extension GL_GOOGLE_include_directive : require
#include "master_common.glsl"

layout(local_size_x = 64) in;
layout(push_constant) uniform Push { PrePushData pc; };

layout(std430, set = 0, binding = 0) readonly buffer Bands { float bands[]; };
layout(std430, set = 0, binding = 1) writeonly buffer Mix { float mix_rows[]; };
layout(std430, set = 0, binding = 2) readonly buffer Widths { vec2 widths[]; };   // per band: (w, 1 if it applies)

void main() {
    uint i = gl_GlobalInvocationID.x;
    uint p = gl_GlobalInvocationID.y;
    if (i >= pc.frames || p >= pc.programmes) return;
    precise float acc_l = 0.0, acc_r = 0.0;
    for (uint b = 0u; b < pc.bands; ++b) {
        uint row = (p * pc.bands + b) * 2u;
        precise float l = bands[row * pc.row_stride + i];
        precise float r = bands[(row + 1u) * pc.row_stride + i];
        vec2 w = widths[b];
        if (w.y != 0.0) {
            precise float m = 0.5 * (l + r);
            precise float s = 0.5 * (l - r) * w.x;
            l = m + s;
            r = m - s;
        }
        acc_l += l;
        acc_r += r;
    }
    mix_rows[2u * p * pc.row_stride + i] = acc_l;
    mix_rows[(2u * p + 1u) * pc.row_stride + i] = acc_r;
}
