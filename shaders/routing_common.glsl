// Shared by routing_gather.comp and routing_store.comp. Mirrors gpu/stages/routing.h.
//
// Every node of the render graph (a stem after pan, a bus after its chain)
// writes its stereo output into a ring of R frames (L at ring_offset, R at
// ring_offset + R), at position (timeline frame) mod R. R >= chunk + the
// longest compensation delay anyone reads the node with, so a read of frame
// t - delay finds it still there; rings start zeroed, so frames before the
// timeline's start read as silence.
struct GatherEdge {     // one input of a destination
    uint ring_offset;
    uint ring_frames;
    uint delay_frames;  // latency compensation
    float gain;         // fader or send level (a bus's fader is applied at its store)
    uint lane;          // NO_LANE, or the send's automation in dB (gain · 10^(lane/20))
    uint pad0, pad1, pad2;
};
struct GatherDest {     // one destination: a bus input or the master
    uint edge_first;
    uint edge_count;
    uint out_offset;    // float offset of its L row in the mix buffer (R at + stride)
    uint pad;
};
struct RingStore {      // a bus's output into its ring: width, then fader
    uint src_offset;    // its L row in the mix buffer
    uint ring_offset;
    uint ring_frames;
    float gain;         // the static fader
    float ll, rl, lr, rr;  // mode 1: the static matrix (fader × width)
    uint gain_lane;     // mode 2: NO_LANE or the fader's automation in dB (added to the static)
    uint width_lane;    // mode 2: NO_LANE or the width's (replaces `width`)
    float width;        // the static width (1: bypassed)
    uint mode;          // 0: gain · x; 1: the matrix; 2: per frame from the lanes
};
layout(push_constant) uniform Push {
    uint frames;
    uint stride;        // floats between the L and R rows of the mix buffer
    uint chunk_start;   // timeline frame of frame 0
    uint first;         // first destination / store of this dispatch
} pc;
