// Shared by the gain_*.comp shaders. Mirrors sf::gpu::StemParams
// (gpu/stages/gain.h), std430, 64 bytes.
struct StemParams {
    uint data_offset;      // first float of the stem's channel 0 in the stem buffer
    uint channels;         // 1 or 2
    uint enabled;          // 0: contributes nothing this block
    uint auto_first;       // first automation point
    uint auto_count;       // number of automation points (0: none)
    int rel_start;         // block start - stem start, frames
    int length_frames;           // stem length, frames
    float polarity;        // +1 or -1
    float fade_in_frames;  // 0: no fade
    float fade_out_frames;
    float ll, rl, lr, rr;  // width then pan: out_L = ll*L + rl*R, out_R = lr*L + rr*R (faders are edge gains)
    uint ring_offset;      // first float of the stem's output ring (L, then R at + ring_frames)
    uint ring_frames;      // ring length; 0: the stem feeds nothing
};
