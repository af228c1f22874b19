#version 450
// Pan, fader and the sum into the master bus: the GPU twin of
// sf::apply_pan_fader + CpuMixer's summation. Stems are summed in stem order
// (as on the CPU) so the float rounding matches the reference sum.
#extension GL_GOOGLE_include_directive : require
#include "gain_common.glsl"

layout(local_size_x = 256) in;

layout(push_constant) uniform Push {
    uint frames;
    uint stride;      // floats between channels, stems and master alike
    uint stem_count;
} pc;

layout(std430, set = 0, binding = 0) readonly buffer Stems { float x[]; };
layout(std430, set = 0, binding = 1) readonly buffer Params { StemParams p[]; };
layout(std430, set = 0, binding = 2) writeonly buffer Master { float master[]; };  // L then R

void main() {
    uint i = gl_GlobalInvocationID.x;
    if (i >= pc.frames) return;
    float out_l = 0.0, out_r = 0.0;
    for (uint k = 0u; k < pc.stem_count; ++k) {
        if (p[k].enabled == 0u) continue;
        uint o = p[k].data_offset;
        float l = x[o + i];
        float r = p[k].channels > 1u ? x[o + pc.stride + i] : l;
        out_l += p[k].ll * l + p[k].rl * r;
        out_r += p[k].lr * l + p[k].rr * r;
    }
    master[i] = out_l;
    master[pc.stride + i] = out_r;
}
