// Shared by chorus_history.comp and chorus.comp. Mirrors gpu/stages/chorus.cpp.
//
// Per binding (a chorused stem, or a chorused bus of one level): its node's
// StemParams (data offset, channels, enabled) and its input history rings,
// one per channel: channel c's ring at ring_offset + c·ring_frames holds the
// input of chunk-clock frame t at t mod ring_frames.
struct ChorusNode {
    uint node;          // index into the StemParams buffer
    uint ring_offset;
    uint ring_frames;   // chunk + history frames
    uint latency;       // 0, or 1 when the delay can fall below one frame
    uint voices;
    uint pad0, pad1, pad2;
};

// Per binding, kChorusCoefs doubles (sf::ChorusDesign): delay_frames,
// depth_frames, cycles_per_frame, dry, wet_per_voice, the output's frame
// offset (timeline frame = chunk-clock frame − this), 2 unused, then the
// voices' LFO offsets: sin at [8 + 8c + v], cos at [24 + 8c + v].
const uint kChorusCoefs = 40u;

layout(push_constant) uniform Push {
    uint frames;
    uint stride;       // floats between a node's channels
    uint chunk_start;  // chunk-clock frame of frame 0
    uint count;        // bindings
} pc;

layout(std430, set = 0, binding = 1) readonly buffer Params { StemParams p[]; };
layout(std430, set = 0, binding = 2) readonly buffer Nodes { ChorusNode nodes[]; };
layout(std430, set = 0, binding = 3) readonly buffer Coefs { double k[]; };
