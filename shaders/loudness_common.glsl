// Shared by the loudness_*.comp shaders (the GPU twin of the BS.1770-4 /
// EBU R128 meter, analysis/loudness.h). Mirrors sf::gpu::MeterPush
// (gpu/master/master_meter.cpp), 64 bytes.
//
// Rows: programme p, channel c is io row p * channels + c, at float
// io_offset + row * row_stride. Frames are counted from each programme's
// first frame: this record covers frames [chunk_start, chunk_start + frames).
// A programme's frames at or past its length (Lengths buffer) are padding:
// they add no energy, no block, no peak.
layout(push_constant) uniform MeterPush {
    uint chunk_start;   // programme frame of this chunk's frame 0 (gate: frames measured so far)
    uint frames;        // frames in this chunk
    uint row_stride;    // floats between two io rows
    uint io_offset;     // float index of row 0's first frame in the io buffer
    uint programmes;
    uint channels;      // per programme, 1..8
    uint segments;      // K-weighting segments in this chunk: ceil(frames / kSegment)
    uint max_segments;  // segments per row in the Zs / Start buffers
    uint estride;       // floats per programme in the energy / prefix buffers: hist + max chunk
    uint hist;          // energy history: the short-term window, frames
    uint step;          // 100 ms, frames (round(rate / 10))
    uint tiles;         // prefix tiles per programme in this chunk: ceil((hist + frames) / kTile)
    uint max_tiles;     // tiles per programme in the Totals buffer
    uint max_blocks;    // entries per programme in each gating list
    uint lra_stride;    // LRA takes every lra_stride-th short-term value
    uint partials;      // window workgroups per programme in the Partials buffer
} pc;

// K-weighting segment (frames one invocation filters) and the matrix table:
// kw[kKwMatrices + 16 * j ...] is A^(kSegment * j), j = 0..64, column-major,
// A the 4x4 zero-input state transition of the two biquads (shelf z1, z2,
// high-pass z1, z2).
const uint kSegment = 1024u;
const uint kKwMatrices = 32u;
// kw[0..5): shelf b0 b1 b2 a1 a2; kw[5..10): high-pass; kw[10..18): channel
// weights; kw[18]: the absolute gate (energy of -70 LUFS); kw[19]: the
// integrated relative gate factor (10^(-10/10)); kw[20]: LRA's (10^(-20/10)).
const uint kPrefixTile = 1024u;   // energy values per prefix tile (256 lanes x 4)
const uint kWindowGroup = 256u;   // window sums per workgroup
