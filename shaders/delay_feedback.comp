#version 450
// The feedback delays of one level of buses, in place on the mix buffer: the
// GPU twin of sf::Delay (engine/dsp/delay.h), in double as on the CPU, with
// the same recursion per line (plain: a line per channel; pingpong: the two
// lines cross-coupled):
//     plain:    e_c[n] = x_c[n] + fb·s_c[n−D]                  y_c[n] = g·s_c[n−D]
//     pingpong: e_L[n] = (x_L[n] + x_R[n])/2 + fb·s_R[n−D]     y_L[n] = g·s_L[n−D]
//               e_R[n] = fb·s_L[n−D]                           y_R[n] = g·s_R[n−D]
//     s = F(e) (high-pass then low-pass biquad, transposed direct form II;
//     a filter that is off is the identity biquad {1, 0, 0, 0, 0}, exact;
//     with both off, s = e and no frame waits for another within a tile).
// State, shared by the slots and carried from chunk to chunk: each line's
// ring of D doubles (s[j] at j mod D, j the timeline frame) and its filter
// states (4 doubles per line).
layout(local_size_x = 64) in;

layout(push_constant) uniform Push {
    uint first;        // first frame of this dispatch within the chunk
    uint frames;       // frames of this dispatch (the host keeps it <= kMaxFramesPerDispatch)
    uint stride;       // floats between a bus's L and R rows
    uint count;        // delays
    uint chunk_start;  // timeline frame of the chunk's frame 0
} pc;

// Mirrors sf::gpu::DelayParams (gpu/stages/delay.h), std430, 112 bytes.
struct DelayParams {
    uint row;       // float offset of the bus's L row in the mix buffer (R at + stride)
    uint line;      // double offset of line L's ring in the state buffer (line R's at + delay)
    uint delay;     // D >= 1
    uint flags;     // 1: pingpong; 2: filtered (F is not the identity)
    double feedback, wet;
    double hp[5];   // b0 b1 b2 a1 a2
    double lp[5];
};

layout(std430, set = 0, binding = 0) buffer Mix { float x[]; };
layout(std430, set = 0, binding = 1) readonly buffer Params { DelayParams dp[]; };
// Filter states first (8 doubles per delay: per line hp z1, z2, lp z1, z2),
// then the rings. `coherent`: a tile reads ring slots other invocations of
// the workgroup wrote in the tile before (see main()).
layout(std430, set = 0, binding = 2) coherent buffer State { double st[]; };

// One workgroup per delay, over the dispatch's frames in tiles of at most
// min(kTile, D) frames. Frame n needs s only at n − D, so within a tile the
// line reads, the inputs e and the outputs y are independent: every lane
// computes them for its frames (coalesced loads), then (when filtered) lanes
// 0 and 1 run the filter recursion of lines L and R side by side over shared
// memory (the sequential part: two biquads per frame), then every lane
// stores the tile's s into the rings. Every frame sees the same double operations in the same
// order as the CPU's single loop.
const uint kTile = 512u;
shared double es[2u * kTile];  // line L at [0, kTile), line R at [kTile, 2·kTile): e, then s = F(e)

void main() {
    uint c = gl_WorkGroupID.x;
    uint lane = gl_LocalInvocationID.x;
    if (c >= pc.count) return;  // uniform over the workgroup
    DelayParams p = dp[c];
    uint D = p.delay;
    uint tile = min(kTile, D);
    uint left = p.row + pc.first;
    uint right = left + pc.stride;
    uint ring_l = p.line, ring_r = p.line + D;
    bool pingpong = (p.flags & 1u) != 0u;
    bool filtered = (p.flags & 2u) != 0u;
    uint zs = 8u * c + 4u * min(lane, 1u);
    double hz1 = 0.0LF, hz2 = 0.0LF, lz1 = 0.0LF, lz2 = 0.0LF;  // lanes 0 and 1: their line's filter state
    if (lane < 2u) {
        hz1 = st[zs];
        hz2 = st[zs + 1u];
        lz1 = st[zs + 2u];
        lz2 = st[zs + 3u];
    }
    for (uint t0 = 0u; t0 < pc.frames; t0 += tile) {
        uint n = min(tile, pc.frames - t0);
        uint base = (pc.chunk_start + pc.first + t0) % D;  // ring slot of the tile's first frame
        for (uint i = lane; i < n; i += gl_WorkGroupSize.x) {
            uint at = base + i;
            if (at >= D) at -= D;
            double sl = st[ring_l + at], sr = st[ring_r + at];  // s[n − D] of each line
            double xl = double(x[left + t0 + i]), xr = double(x[right + t0 + i]);
            double el, er;
            if (pingpong) {
                el = 0.5LF * (xl + xr) + p.feedback * sr;
                er = p.feedback * sl;
            } else {
                el = xl + p.feedback * sl;
                er = xr + p.feedback * sr;
            }
            x[left + t0 + i] = float(p.wet * sl);
            x[right + t0 + i] = float(p.wet * sr);
            es[i] = el;
            es[kTile + i] = er;
        }
        barrier();
        if (filtered && lane < 2u) {
            uint o = lane * kTile;
            for (uint i = 0u; i < n; ++i) {
                double v = es[o + i];
                double y = p.hp[0] * v + hz1;
                hz1 = p.hp[1] * v - p.hp[3] * y + hz2;
                hz2 = p.hp[2] * v - p.hp[4] * y;
                v = y;
                y = p.lp[0] * v + lz1;
                lz1 = p.lp[1] * v - p.lp[3] * y + lz2;
                lz2 = p.lp[2] * v - p.lp[4] * y;
                es[o + i] = y;
            }
        }
        barrier();
        for (uint i = lane; i < n; i += gl_WorkGroupSize.x) {
            uint at = base + i;
            if (at >= D) at -= D;
            st[ring_l + at] = es[i];
            st[ring_r + at] = es[kTile + i];
        }
        // The next tile reads slots written just now (when D < 2·tile) by
        // other invocations, and reuses the shared array.
        memoryBarrierBuffer();
        barrier();
    }
    if (lane < 2u) {
        st[zs] = hz1;
        st[zs + 1u] = hz2;
        st[zs + 2u] = lz1;
        st[zs + 3u] = lz2;
    }
}
