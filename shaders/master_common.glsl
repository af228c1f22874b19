// Shared by the master_*.comp shaders of the GPU master chain
// (gpu/master/master_chain.h). Mirrors sf::gpu::PrePush and LimiterPush
// (gpu/master/master_chain.cpp).
//
// Chunk buffers hold rows of row_stride floats: the mix rows (programme p,
// channel c at row 2p + c), the band rows ((p · bands + b) · 2 + c), the M/S
// rows (2p: M, 2p + 1: S), the envelope and window-max rows (p).
struct PrePushData {
    uint frames;       // frames in this chunk
    uint row_stride;   // floats per chunk row
    uint programmes;
    uint bands;        // multiband: crossovers + 1
    uint chunk_start;  // input frame of the chunk's frame 0
    uint delay;        // pre-chain signal latency D_s: chunk frame i holds signal frame chunk_start + i − delay
    uint window;       // the limiter's look-ahead minimum span − 1: W + 2H
    uint mode;         // master_stereo: 0 width and balance in place, 1 width then M/S split, 2 join and balance
    float width;
    float gain_l;      // balance gains
    float gain_r;
    uint flags;        // bit 0: width applies (width != 1); bit 1: balance applies
};
