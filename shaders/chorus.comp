#version 450
// Pass 2 of the chorus (gpu/stages/chorus.h), the GPU twin of
// sf::Chorus::process (engine/dsp/chorus.h): one invocation per (frame,
// binding, channel) computes the output from the history ring alone and
// writes it over the node's row in place. The same steps as the CPU, in
// double: LFO phase φ = frac(rate/fs · n) at the output's timeline frame n,
// sin and cos of 2πφ (a double polynomial: GLSL has no double sin), each
// voice by the angle sum with its offset, D = delay + depth·sin split into
// k = ceil(D) and t = k − D, Catmull-Rom at (n − k) + t.
#extension GL_GOOGLE_include_directive : require
#include "gain_common.glsl"
#include "chorus_common.glsl"

layout(local_size_x = 256) in;

layout(std430, set = 0, binding = 0) buffer Io { float x[]; };
layout(std430, set = 0, binding = 4) readonly buffer Rings { float ring[]; };

const double kHalfPi = 1.5707963267948966LF;

// sin and cos of 2π·phase for phase in [0, 1): quadrant q = round(4·phase)
// and r = (4·phase − q)·π/2 in [−π/4, π/4] (4·phase − q is exact), then
// Taylor series to r^17 (sin) and r^18 (cos): the first term left out is
// below 1e-19, under double rounding.
void sincos_2pi(double phase, out double s, out double c) {
    double u = 4.0LF * phase;
    double q = floor(u + 0.5LF);
    double r = (u - q) * kHalfPi;
    double r2 = r * r;
    double sr = r * (1.0LF + r2 * (-0.16666666666666666LF + r2 * (0.008333333333333333LF + r2 * (-0.0001984126984126984LF +
                r2 * (2.7557319223985893e-06LF + r2 * (-2.505210838544172e-08LF + r2 * (1.6059043836821613e-10LF +
                r2 * (-7.647163731819816e-13LF + r2 * 2.8114572543455206e-15LF))))))));
    double cr = 1.0LF + r2 * (-0.5LF + r2 * (0.041666666666666664LF + r2 * (-0.001388888888888889LF + r2 * (2.48015873015873e-05LF +
                r2 * (-2.755731922398589e-07LF + r2 * (2.08767569878681e-09LF + r2 * (-1.1470745597729725e-11LF +
                r2 * (4.779477332387385e-14LF + r2 * -1.5619206968586225e-16LF))))))));
    int quadrant = int(q) & 3;
    if (quadrant == 0) { s = sr; c = cr; }
    else if (quadrant == 1) { s = cr; c = -sr; }
    else if (quadrant == 2) { s = -sr; c = -cr; }
    else { s = -cr; c = sr; }
}

// engine/dsp/chorus.h catmull_rom, term for term.
double catmull_rom(double x0, double x1, double x2, double x3, double t) {
    double a1 = 0.5LF * (x2 - x0);
    double a2 = x0 - 2.5LF * x1 + 2.0LF * x2 - 0.5LF * x3;
    double a3 = 0.5LF * (x3 - x0) + 1.5LF * (x1 - x2);
    return ((a3 * t + a2) * t + a1) * t + x1;
}

void main() {
    uint i = gl_GlobalInvocationID.x;
    uint b = gl_WorkGroupID.y;
    uint c = gl_WorkGroupID.z;
    if (i >= pc.frames || b >= pc.count) return;
    ChorusNode n = nodes[b];
    StemParams sp = p[n.node];
    if (sp.enabled == 0u || c >= sp.channels) return;  // not playing: pan reads nothing of it
    uint base = b * kChorusCoefs;
    double delay = k[base], depth = k[base + 1u], cycles_per_frame = k[base + 2u];
    double dry = k[base + 3u], wet_per_voice = k[base + 4u], offset = k[base + 5u];
    uint t_in = pc.chunk_start + i;  // this frame's input, chunk clock
    uint R = n.ring_frames;
    uint ring0 = n.ring_offset + c * R;
    // The input `back` frames before t_in (back <= history < R, and t_in + R < 2^32).
    #define AT(back) double(ring[ring0 + (t_in + R - (back)) % R])
    double phase = cycles_per_frame * (double(t_in) - offset);  // the output's timeline frame
    phase -= floor(phase);
    double s0, c0;
    sincos_2pi(phase, s0, c0);
    double wet = 0.0LF;
    for (uint v = 0u; v < n.voices; ++v) {
        double s = s0 * k[base + 24u + 8u * c + v] + c0 * k[base + 8u + 8u * c + v];
        double d = max(0.0LF, delay + depth * s);
        double kk = ceil(d);
        double t = kk - d;
        uint back = n.latency + uint(kk);  // x(n − k): t>0 means k >= 2 − latency, so back >= 2
        wet += t == 0.0LF ? AT(back) : catmull_rom(AT(back + 1u), AT(back), AT(back - 1u), AT(back - 2u), t);
    }
    x[sp.data_offset + c * pc.stride + i] = float(dry * AT(n.latency) + wet_per_voice * wet);
}
