#version 450
// The stereo tools (the GPU twin of sf::master::StereoTools,
// engine/master/stereo_tools.h), in float as on the CPU:
//   width:   M = (L+R)/2, S = (L−R)/2 · w, L = M + S, R = M − S (skipped at w = 1)
//   mono below fc: M = (L+R)/2, S = (L−R)/2; the M/S rows are then
//            convolved (M by a delay of the crossover's latency, S by that
//            delay minus the crossover's low-pass: its zero-phase LR4
//            high-pass band), and L = M + S_high, R = M − S_high
//   balance: L ·= gain_l, R ·= gain_r (the stereo-stem balance law)
// mode 0: width and balance in place on the mix rows; 1: width, then the
// M/S split into the M/S rows; 2: the join from the M/S rows, then balance.
#extension GL_GOOGLE_include_directive : require
#include "master_common.glsl"

layout(local_size_x = 64) in;
layout(push_constant) uniform Push { PrePushData pc; };

layout(std430, set = 0, binding = 0) buffer Mix { float mix_rows[]; };
layout(std430, set = 0, binding = 1) buffer MidSide { float ms[]; };

void main() {
    uint i = gl_GlobalInvocationID.x;
    uint p = gl_GlobalInvocationID.y;
    if (i >= pc.frames || p >= pc.programmes) return;
    uint li = 2u * p * pc.row_stride + i, ri = li + pc.row_stride;
    precise float l, r;
    if (pc.mode == 2u) {
        precise float m = ms[li], s = ms[ri];
        l = m + s;
        r = m - s;
    } else {
        l = mix_rows[li];
        r = mix_rows[ri];
        if ((pc.flags & 1u) != 0u) {
            precise float m = 0.5 * (l + r);
            precise float s = 0.5 * (l - r) * pc.width;
            l = m + s;
            r = m - s;
        }
        if (pc.mode == 1u) {
            ms[li] = 0.5 * (l + r);
            ms[ri] = 0.5 * (l - r);
            return;
        }
    }
    if ((pc.flags & 2u) != 0u) {
        l *= pc.gain_l;
        r *= pc.gain_r;
    }
    mix_rows[li] = l;
    mix_rows[ri] = r;
}
