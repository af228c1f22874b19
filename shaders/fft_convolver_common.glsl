// Shared by the fft_convolver_*.comp shaders: one push-constant block.
// Rows are the channels convolved in one batch; `row_first` is the first
// row of this group (each group has its own work buffer, < 128 MiB).
layout(push_constant) uniform Push {
    uint frames;       // new input frames this call (<= the block capacity)
    uint io_stride;    // floats between rows in the io buffer
    uint row_first;    // global index of this group's row 0
    uint history;      // L - 1 samples of history per row
    uint row_stride;   // floats per row in the work buffer: 2 * (N / 2 + 1)
    uint fft_size;     // N
    uint bins;         // N / 2 + 1
    float scale;       // 1 / N (the inverse FFT is unnormalised)
} pc;
