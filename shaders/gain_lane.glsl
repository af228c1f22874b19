// Automation lanes on the GPU (twin of sf::AutomationCurve, engine/dsp/gain.h;
// host side sf::gpu::LaneTable, gpu/stages/gain.h), and the width / pan
// matrices of engine/dsp/gain.h in float. Include after defining
// LANE_BINDING: the lane windows are bound there, the pieces at
// LANE_BINDING + 1.
//
// Per chunk, each lane is a few linear pieces on the chunk's frame grid: the
// host decided in double on which frame each breakpoint takes effect (as the
// CPU does), and each piece's value at its first frame is the CPU's exact
// value rounded once; here only slope × (frames into the piece) is added.
// Matrices are vec4(ll, rl, lr, rr): out_L = ll·L + rl·R, out_R = lr·L + rr·R.

const uint NO_LANE = 0xffffffffu;

struct LanePiece {
    int first;    // first frame, relative to the chunk (the window's first piece: 0)
    float value;  // at `first`
    float slope;  // per frame
};
struct LaneWindow {
    uint first;   // the lane's pieces this chunk: [first, first + count)
    uint count;
};

layout(std430, set = 0, binding = LANE_BINDING) readonly buffer LaneWindows { LaneWindow lane_window[]; };
layout(std430, set = 0, binding = LANE_BINDING + 1) readonly buffer LanePieces { LanePiece lane_piece[]; };

// The lane's value at chunk frame i: the last piece starting at or before i.
float lane_value(uint lane, uint i) {
    LaneWindow w = lane_window[lane];
    uint lo = w.first, hi = w.first + w.count - 1u;
    while (lo < hi) {
        uint mid = (lo + hi + 1u) >> 1;
        if (lane_piece[mid].first <= int(i)) lo = mid;
        else hi = mid - 1u;
    }
    LanePiece p = lane_piece[lo];
    return p.value + p.slope * float(int(i) - p.first);
}

// 10^(dB/20) = 2^(dB · log2(10)/20)
float lane_db_to_gain(float db) { return exp2(db * 0.16609640474436813); }

// sf::pan_gains: mono constant power, θ = (pan + 1)·π/4; stereo a balance.
vec4 pan_gains(float pan, uint channels) {
    if (channels == 1u) {
        float theta = (pan + 1.0) * 0.78539816339744831;
        return vec4(cos(theta), 0.0, sin(theta), 0.0);
    }
    float far_gain = cos(abs(pan) * 1.5707963267948966);
    return vec4(pan > 0.0 ? far_gain : 1.0, 0.0, 0.0, pan < 0.0 ? far_gain : 1.0);
}

// sf::width_gains: L' = a·L + b·R, R' = b·L + a·R, a = (1+w)/2, b = (1−w)/2.
vec4 width_gains(float w) {
    float a = 0.5 * (1.0 + w), b = 0.5 * (1.0 - w);
    return vec4(a, b, b, a);
}

// sf::then: `first`, then `second`.
vec4 then_gains(vec4 first, vec4 second) {
    return vec4(second.x * first.x + second.y * first.z, second.x * first.y + second.y * first.w,
                second.z * first.x + second.w * first.z, second.z * first.y + second.w * first.w);
}
