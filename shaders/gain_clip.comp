#version 450
// Clip gain of every stem, in place: polarity x fades x gain automation.
// The GPU twin of sf::ClipGain (engine/dsp/gain.h); one invocation per
// (frame, stem). Automation breakpoints arrive relative to the block start in
// frames (computed in double on the CPU), so float precision does not degrade
// late in a long render.
#extension GL_GOOGLE_include_directive : require
#include "gain_common.glsl"

layout(local_size_x = 256) in;

layout(push_constant) uniform Push {
    uint frames;        // frames in this block
    uint stride;        // floats between a stem's channels (the block capacity)
} pc;

layout(std430, set = 0, binding = 0) buffer Stems { float x[]; };
layout(std430, set = 0, binding = 1) readonly buffer Params { StemParams p[]; };
// Breakpoints: (position hi, position lo, gain_db, frames to the next point).
// The position relative to the chunk start is a double split into two floats
// (hi + lo), so t - position has a float error relative to the difference
// itself, not to the distance from the chunk start: steep ramps stay exact.
layout(std430, set = 0, binding = 2) readonly buffer Automation { vec4 pts[]; };

// t - position of point j, in frames
float since(uint j, float t) { return (t - pts[j].x) - pts[j].y; }

float automation_db(uint first, uint count, float t) {
    uint last = first + count - 1u;
    // Strictly before the first point: at its time a step there takes the later value (sf::automation_value_at).
    if (since(first, t) < 0.0) return pts[first].z;
    if (since(last, t) >= 0.0) return pts[last].z;
    for (uint j = first + 1u; j <= last; ++j) {
        if (since(j, t) < 0.0) {  // first breakpoint after t, as std::upper_bound on the CPU
            vec4 a = pts[j - 1u];
            if (a.w <= 0.0) return pts[j].z;
            return a.z + (pts[j].z - a.z) * since(j - 1u, t) / a.w;
        }
    }
    return pts[last].z;
}

void main() {
    uint i = gl_GlobalInvocationID.x;
    uint k = gl_WorkGroupID.y;
    if (i >= pc.frames) return;
    StemParams s = p[k];
    if (s.enabled == 0u) return;
    int n = s.rel_start + int(i);  // frame within the stem
    float g = 0.0;
    if (n >= 0 && n < s.length_frames) {
        g = s.polarity;
        if (s.fade_in_frames > 0.0) g *= min(1.0, float(n) / s.fade_in_frames);
        if (s.fade_out_frames > 0.0) g *= min(1.0, float(s.length_frames - n) / s.fade_out_frames);
        // 10^(dB/20) = 2^(dB * log2(10) / 20)
        if (s.auto_count > 0u) g *= exp2(automation_db(s.auto_first, s.auto_count, float(i)) * 0.16609640474436813);
    }
    for (uint c = 0u; c < s.channels; ++c) x[s.data_offset + c * pc.stride + i] *= g;
}
