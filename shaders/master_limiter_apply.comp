#version 450
// The limiter's attack and output: g[u] = mean of f[u − W .. u] (W + 1
// values, the W before the page from the previous page's tail, 1 before the
// first), y_c[n] = x_c[n] · float(G · g[u]) for signal frames n = u − q in
// [0, length), 0 elsewhere, into the output rows. Per workgroup the
// statistics of sf::master::LimiterStats over those frames: the smallest g
// (atomicMin on the bits of a positive float), and the count and dB sum of
// the frames limited by more than 0.0087 dB (g < 0.999); and the smallest g
// per gain-reduction bucket (signal frames [k B, (k + 1) B), B > 64, so one
// workgroup's frames meet at most two buckets: two shared minima).
#extension GL_GOOGLE_include_directive : require
#include "master_limiter_common.glsl"

layout(local_size_x = 64) in;

layout(std430, set = 0, binding = 0) readonly buffer Page { float page[]; };
layout(std430, set = 0, binding = 1) readonly buffer Lanes { Lane lanes[]; };
layout(std430, set = 0, binding = 2) readonly buffer F { double f_values[]; };
layout(std430, set = 0, binding = 3) writeonly buffer Out { float y[]; };
layout(std430, set = 0, binding = 4) buffer MinGain { uint min_gain[]; };   // per lane: float bits
layout(std430, set = 0, binding = 5) writeonly buffer Partials { dvec2 partials[]; };   // per lane and workgroup: (count, dB sum)
layout(std430, set = 0, binding = 6) buffer BucketMin { uint bucket_min[]; };   // per lane and bucket: float bits

const double kLn2 = 0.6931471805599453094LF;
const double kDbPerNeper = 8.6858896380650365530LF;   // 20 / ln 10

// ln in double to ~3e-8 (compressor_envelope.comp's): exponent exact, mantissa in float.
double ln_d(double v) {
    int e;
    double m = frexp(v, e);
    return double(e) * kLn2 + double(log(float(m)));
}

shared double counts[64], sums[64];
shared uint lowest[64], lowest_first[64], lowest_next[64];

void main() {
    uint i = gl_GlobalInvocationID.x;
    uint lane = gl_GlobalInvocationID.y;
    uint t = gl_LocalInvocationID.x;
    double count = 0.0LF, sum = 0.0LF;
    uint low = floatBitsToUint(1.0);
    uint low_first = low, low_next = low;
    // The bucket of the workgroup's first frame (frames before the signal
    // are not real: the first real ones then lie in bucket 0).
    int n_first = int(pc.u0 + gl_WorkGroupID.x * kApplyGroup) - int(pc.q);
    uint b_first = (pc.bucket_frames > 0u && n_first > 0) ? uint(n_first) / pc.bucket_frames : 0u;
    if (i < pc.frames && lane < pc.lanes) {
        Lane ln = lanes[lane];
        uint prog = lane / pc.candidates;
        uint base = lane * pc.tail_stride + i;
        double acc = 0.0LF;
        for (uint k = 0u; k <= pc.lookahead; ++k) acc += f_values[base + k];
        double g = acc / double(pc.lookahead + 1u);
        float gain = float(ln.gain * g);
        int n = int(pc.u0 + i) - int(pc.q);
        bool real = n >= 0 && double(n) < ln.frames;
        for (uint c = 0u; c < 2u; ++c)
            y[(2u * lane + c) * pc.out_stride + i] = real ? page[(3u * prog + c) * pc.page_stride + i] * gain : 0.0;
        if (real && g < 1.0LF) {
            low = floatBitsToUint(float(g));
            if (pc.bucket_frames > 0u) {
                if (uint(n) / pc.bucket_frames == b_first) low_first = low;
                else low_next = low;
            }
            if (g < 0.999LF) {
                count = 1.0LF;
                sum = -kDbPerNeper * ln_d(g);
            }
        }
    }
    counts[t] = count;
    sums[t] = sum;
    lowest[t] = low;
    lowest_first[t] = low_first;
    lowest_next[t] = low_next;
    barrier();
    for (uint o = 32u; o > 0u; o >>= 1u) {
        if (t < o) {
            counts[t] += counts[t + o];
            sums[t] += sums[t + o];
            lowest[t] = min(lowest[t], lowest[t + o]);
            lowest_first[t] = min(lowest_first[t], lowest_first[t + o]);
            lowest_next[t] = min(lowest_next[t], lowest_next[t + o]);
        }
        barrier();
    }
    if (t == 0u && lane < pc.lanes) {
        partials[lane * pc.groups + gl_WorkGroupID.x] = dvec2(counts[0], sums[0]);
        atomicMin(min_gain[lane], lowest[0]);
        // Only buckets that met a limited frame are touched (their index is
        // then within the programme's buckets).
        const uint one = floatBitsToUint(1.0);
        if (lowest_first[0] != one) atomicMin(bucket_min[lane * pc.buckets + b_first], lowest_first[0]);
        if (lowest_next[0] != one) atomicMin(bucket_min[lane * pc.buckets + b_first + 1u], lowest_next[0]);
    }
}
