#version 450
// The limiter's true-peak detector (the GPU twin of
// sf::master::TruePeakDetector): p[m] = max over channels of the largest of
// |x(m)| and the values between m and m + 1 by the engine's one
// interpolator (engine/dsp/true_peak.h, 8x, float taps, float dot products
// tap by tap as on the CPU), samples before the programme's start reading 0.
// Chunk frame i completes the support of position m = signal frame of i − 24.
// Positions outside [0, length) read 0: the CPU's pre-chain spool holds only
// the programme's frames, and the limiter reads zeros past its end.
#extension GL_GOOGLE_include_directive : require
#include "master_common.glsl"

layout(local_size_x = 64) in;
layout(push_constant) uniform Push { PrePushData pc; };

const uint kTaps = 48u;
const uint kPhases = 7u;
const uint kHistory = 47u;

layout(std430, set = 0, binding = 0) readonly buffer Mix { float mix_rows[]; };
layout(std430, set = 0, binding = 1) readonly buffer Taps { float taps[]; };
layout(std430, set = 0, binding = 2) readonly buffer History { float hist[]; };   // per mix row: 48 floats
layout(std430, set = 0, binding = 3) writeonly buffer Envelope { float env[]; };
layout(std430, set = 0, binding = 4) readonly buffer Lengths { uint lengths[]; };

shared float xs[2][64u + kHistory];
shared float h[kPhases * kTaps];

void main() {
    uint p = gl_WorkGroupID.y;
    uint lane = gl_LocalInvocationID.x;
    int first = int(gl_WorkGroupID.x * 64u) - int(kHistory);
    for (uint c = 0u; c < 2u; ++c) {
        uint row = 2u * p + c;
        for (uint k = lane; k < 64u + kHistory; k += 64u) {
            int i = first + int(k);
            float v = 0.0;
            if (i < 0) v = hist[row * 48u + uint(int(kHistory) + i)];
            else if (uint(i) < pc.frames) v = mix_rows[row * pc.row_stride + uint(i)];
            xs[c][k] = v;
        }
    }
    for (uint k = lane; k < kPhases * kTaps; k += 64u) h[k] = taps[k];
    barrier();
    uint i = gl_WorkGroupID.x * 64u + lane;
    if (i >= pc.frames) return;
    int m = int(pc.chunk_start + i) - int(pc.delay) - 24;
    float peak = 0.0;
    if (m >= 0 && uint(m) < lengths[p])
        for (uint c = 0u; c < 2u; ++c) {
            peak = max(peak, abs(xs[c][lane + 23u]));
            for (uint k = 0u; k < kPhases; ++k) {
                float acc = 0.0;
                for (uint j = 0u; j < kTaps; ++j) acc += h[k * kTaps + j] * xs[c][lane + j];
                peak = max(peak, abs(acc));
            }
        }
    env[p * pc.row_stride + i] = peak;
}
