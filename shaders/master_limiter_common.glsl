// Shared by the master_limiter_*.comp shaders: one pass of the true-peak
// limiter's gain (the GPU twin of sf::master::LimiterGain,
// engine/master/true_peak_limiter.h) over one page of the pre-chain's output,
// for every lane (a programme at one candidate gain). Mirrors
// sf::gpu::LimiterPush (gpu/master/master_chain.cpp).
//
// Time is the limiter's arrival index u (the CPU's envelope frame j): at u
// the gain of signal frame n = u − q is known (q = W + H, its latency).
//   e[u] = W-max of p over [u − W − 2H, u] > C/G ? (C/G) / it : 1   (page row 2)
//   f[u] = min(e[u], a f[u−1] + (1 − a) e[u]),  f[−1] = 1           (release)
//   g[u] = (1 / (W + 1)) Σ f[u − W .. u],  f before 0 = 1            (attack)
//   y_c[n] = x_c[n] · float(G · g[u])
// The release recursion runs as a block-wise scan: f ↦ min(e, a f + (1 − a) e)
// composes into maps f ↦ min(c, a^k f + d) (a > 0 distributes over min), so
// each segment of kSegment frames reduces to (c, d) with k = kSegment, and
// master_limiter_scan.comp combines them (powers a^(kSegment · j) from the host).
layout(push_constant) uniform LimiterPush {
    uint frames;        // frames of this page in this pass
    uint page_stride;   // floats per page row
    uint lanes;
    uint candidates;    // lanes per programme: lane l reads programme l / candidates
    uint segments;      // ceil(frames / kSegment)
    uint max_segments;
    uint lookahead;     // W
    uint u0;            // u of the page's frame 0
    uint q;             // W + H
    uint out_stride;    // floats per output row (lane l, channel c: row 2l + c)
    uint tail_stride;   // doubles per lane in the F buffer: W + page frames
    uint groups;        // apply workgroups per lane in the Partials buffer
    uint bucket_frames; // gain-reduction bucket B in frames (0: none recorded)
    uint buckets;       // buckets per lane in the BucketMin buffer
} pc;

const uint kSegment = 1024u;
const uint kApplyGroup = 64u;

// Per lane: C / G, G (linear), the programme's length in frames, unused.
struct Lane {
    double ceiling_over_gain;
    double gain;
    double frames;
    double unused;
};

// design[0] = a, design[1] = 1 − a, design[8 + j] = a^(kSegment · j), j = 0..64.
double e_of(float window_max, double coi) {
    double p = double(window_max);
    return p > coi ? coi / p : 1.0LF;
}
