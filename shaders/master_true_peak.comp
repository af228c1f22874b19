#version 450
// True peak (ITU-R BS.1770-4 Annex 2) with the engine's one interpolator
// (engine/dsp/true_peak.h: 8x polyphase, 48 taps per phase, float taps and
// float dot products accumulated tap by tap as on the CPU) and the
// analysis meter's edge rule (analysis/true_peak.h): the value between
// samples m and m + 1 counts only where its support x[m − 23 .. m + 24] lies
// inside the programme; every sample counts as itself. One invocation per
// new frame i of the chunk: the position whose support ends at i. The 47
// frames before the chunk come from the row's history
// (master_true_peak_history.comp). Per row the maxima are kept as the bits
// of a non-negative float (which order like uints) with atomicMax.
#extension GL_GOOGLE_include_directive : require
#include "loudness_common.glsl"

layout(local_size_x = 64) in;

const uint kTaps = 48u;        // kTruePeakTapsPerPhase
const uint kPhases = 7u;       // kTruePeakOversampling − 1 (phase 0 is the sample)
const uint kHistory = 47u;     // kTaps − 1

layout(std430, set = 0, binding = 0) readonly buffer Io { float x[]; };
layout(std430, set = 0, binding = 1) readonly buffer Taps { float taps[]; };   // [phase − 1][tap]
layout(std430, set = 0, binding = 2) readonly buffer History { float hist[]; };  // per row: 48 floats, the last 47 frames before the chunk
layout(std430, set = 0, binding = 3) buffer Peaks { uint peaks[]; };            // per row: (true-peak bits, sample-peak bits)
layout(std430, set = 0, binding = 4) readonly buffer Lengths { uint lengths[]; };

shared float xs[64u + kHistory];
shared float h[kPhases * kTaps];
shared float best_tp[64], best_sp[64];

void main() {
    uint row = gl_WorkGroupID.y;
    uint lane = gl_LocalInvocationID.x;
    uint p = row / pc.channels;
    uint len = lengths[p];
    int first = int(gl_WorkGroupID.x * 64u) - int(kHistory);   // chunk index of xs[0]
    uint io0 = pc.io_offset + row * pc.row_stride;
    for (uint k = lane; k < 64u + kHistory; k += 64u) {
        int i = first + int(k);
        float v = 0.0;
        if (i < 0) v = hist[row * 48u + uint(int(kHistory) + i)];
        else if (uint(i) < pc.frames) v = x[io0 + uint(i)];
        xs[k] = v;
    }
    for (uint k = lane; k < kPhases * kTaps; k += 64u) h[k] = taps[k];
    barrier();
    uint i = gl_WorkGroupID.x * 64u + lane;   // the chunk frame that completes the support
    uint frame = pc.chunk_start + i;
    float tp = 0.0, sp = 0.0;
    if (i < pc.frames && frame < len) {
        sp = abs(xs[lane + kHistory]);
        if (frame >= kHistory) {   // m = frame − 24 >= 23: the support starts at or after frame 0
            float peak = 0.0;
            for (uint k = 0u; k < kPhases; ++k) {
                float acc = 0.0;
                for (uint j = 0u; j < kTaps; ++j) acc += h[k * kTaps + j] * xs[lane + j];
                peak = max(peak, abs(acc));
            }
            tp = peak;
        }
    }
    best_tp[lane] = max(tp, sp);
    best_sp[lane] = sp;
    barrier();
    for (uint o = 32u; o > 0u; o >>= 1u) {
        if (lane < o) {
            best_tp[lane] = max(best_tp[lane], best_tp[lane + o]);
            best_sp[lane] = max(best_sp[lane], best_sp[lane + o]);
        }
        barrier();
    }
    if (lane == 0u) {
        atomicMax(peaks[2u * row], floatBitsToUint(best_tp[0]));
        atomicMax(peaks[2u * row + 1u], floatBitsToUint(best_sp[0]));
    }
}
