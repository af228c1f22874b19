// Shared by the fft_convolver_*.comp shaders: one push-constant block and
// the row table. Rows are the channels convolved in one batch; `row_first`
// is the first row of this group (each group has its own work buffer,
// < 128 MiB). Mirrors FftConvolver::Push and RowEntry (gpu/stages/fft_convolver.cpp).
layout(push_constant) uniform Push {
    uint frames;       // new input frames this call (<= the block capacity)
    uint row_first;    // global index of this group's row 0
    uint history;      // L - 1 samples of history per row
    uint row_stride;   // floats per row in the work buffer: 2 * (N / 2 + 1)
    uint fft_size;     // N
    uint bins;         // N / 2 + 1
    float scale;       // 1 / N (the inverse FFT is unnormalised)
} pc;

// Per row: its own kernel, the kernel applied to its partner row's input
// (row ^ 1; kNoKernel for none: true-stereo reverbs only) — both indices
// into its group's spectra buffer — and the float offset of its samples in
// the io buffer.
struct RowEntry {
    uint kernel;
    uint cross;
    uint io_offset;
    uint pad;
};
const uint kNoKernel = 0xffffffffu;
