// Stemforge GPU — batched FFT convolution (overlap-save, VkFFT), the GPU
// twin of the convolution behind the EQ FIRs and the convolution reverb
// (engine/dsp/fft_convolver.h on the mixing branch).
//
// Definition: for every row r (a channel of some stem or bus) with kernel
// h = kernels[row_kernel[r]] and, with pairs, the partner row p = r ^ 1 and
// its cross kernel c = kernels[row_cross[r]] (absent: zero),
//     y_r[n] = sum_k h[k] * x_r[n - k] + sum_k c[k] * x_p[n - k]
// (full linear convolution, causal) — sf::FftConvolver's definition for a
// diagonal EQ and for a 2-in/2-out reverb (L = row 2q, R = row 2q + 1).
// Computed in blocks: each record() consumes `frames` new samples of every
// row from the io buffer and overwrites them with the same frames of y
// (zero latency; history of L - 1 samples per row lives on the GPU).
// Kernel spectra are computed once, in double, and rounded to float once.
//
// All rows share one FFT size N = the power of two >= max_block + L_max - 1;
// rows are split into groups whose buffers (work rows, history, the spectra
// of the kernels the group uses) each stay under max_work_bytes (< 128 MiB,
// one storage-buffer binding), each group one batched R2C/C2R VkFFT plan.
// record() only appends commands: load, history, R2C, multiply, C2R, store.
#pragma once

#include <cstdint>
#include <utility>
#include <vector>

#include "gpu/vk/context.h"
#include "gpu/vk/kernel.h"
#include "gpu/vk/vkfft.h"

namespace sf::gpu {

inline constexpr uint32_t kNoKernel = 0xffffffffu;

struct FftConvolverSpec {
    std::vector<std::vector<double>> kernels;  // distinct kernels, each non-empty
    std::vector<uint32_t> row_kernel;          // per row: index into kernels (kNoKernel: none, pairs only)
    // Empty, or per row: the kernel applied to row r ^ 1's input, added to
    // row r's output (kNoKernel: none). Non-empty means rows come in pairs
    // (an even count), and a pair is never split between groups.
    std::vector<uint32_t> row_cross;
    // Per row: float index of its first sample in the io buffer. Empty: row r
    // at r * max_block_frames.
    std::vector<uint32_t> row_offsets;
    int64_t max_block_frames = 65536;          // most frames one record() consumes
    uint64_t max_work_bytes = (128ull << 20) - 4096;  // per group work buffer
    // Io buffers the convolver can be pointed at (one descriptor set each):
    // a backend with two in-flight slots binds each slot's buffer once
    // instead of rebinding a set a pending command buffer still uses.
    uint32_t io_sets = 1;
};

class FftConvolver {
public:
    // Errors: InvalidArgument for an empty/ill-routed spec; Device for memory, shaders, plans.
    static Result<FftConvolver> create(Context& ctx, FftPlans& plans, const FftConvolverSpec& spec);

    // The io buffer of set `io_set` (< spec.io_sets): row r's samples at
    // float offset spec.row_offsets[r], the same in every set.
    void bind_io(VkBuffer io, uint32_t io_set = 0);
    // Appends the convolution of `frames` (<= max_block_frames) new samples
    // per row of io set `io_set`, in place. History is shared by all sets:
    // consecutive calls continue one stream whichever buffer holds it.
    Result<void> record(VkCommandBuffer cmd, uint32_t frames, uint32_t io_set = 0);
    // Appends a reset of the history to silence (the state after create()).
    void record_reset(VkCommandBuffer cmd);

    int64_t fft_size() const { return n_; }
    uint32_t rows() const { return rows_; }
    size_t groups() const { return work_.size(); }
    // The largest of its group buffers (work, history, spectra): <= spec.max_work_bytes.
    uint64_t largest_group_buffer_bytes() const;

private:
    struct Push {  // mirrors shaders/fft_convolver_common.glsl
        uint32_t frames, row_first, history, row_stride, fft_size, bins;
        float scale;
    };
    Context* ctx_ = nullptr;   // borrowed
    FftPlans* plans_ = nullptr;  // borrowed
    int64_t n_ = 0, max_block_ = 0;
    uint32_t rows_ = 0, history_ = 0, io_sets_ = 1;
    bool pairs_ = false, io_bound_ = false;
    bool needs_reset_ = true;
    Kernel load_, keep_, mul_, store_;
    Buffer row_table_;
    std::vector<Buffer> work_, history_bufs_, spectra_;  // per group
    std::vector<uint32_t> group_first_, group_rows_;
};

// The face of a stage that is one batched convolver (gpu/stages/eq.h,
// gpu/stages/reverb.h): each says how its bindings become rows and kernels
// (a FftConvolverSpec); the running is the convolver's.
class ConvolverStage {
public:
    // As FftConvolver: the io buffer of set `io_set`, and in-place filtering
    // of `frames` (<= max_block_frames) new frames of every row. Ends with a barrier.
    void bind_io(VkBuffer io, uint32_t io_set) { conv_.bind_io(io, io_set); }
    Result<void> record(VkCommandBuffer cmd, uint32_t frames, uint32_t io_set) { return conv_.record(cmd, frames, io_set); }
    const FftConvolver& convolver() const { return conv_; }  // FFT size, rows (for the benchmark's floors)

protected:
    explicit ConvolverStage(FftConvolver conv) : conv_(std::move(conv)) {}
    // The convolver of `spec` for blocks of up to max_block_frames, io_sets sets.
    static Result<FftConvolver> build(Context& ctx, FftPlans& plans, FftConvolverSpec spec, int64_t max_block_frames, uint32_t io_sets) {
        spec.max_block_frames = max_block_frames;
        spec.io_sets = io_sets;
        return FftConvolver::create(ctx, plans, spec);
    }

private:
    FftConvolver conv_;
};

// Writes `bytes` into a device buffer: directly when it is mapped, else
// through a temporary staging buffer and one submission (prepare time only).
Result<void> upload_now(Context& ctx, Buffer& dst, const void* data, size_t bytes);

}  // namespace sf::gpu
