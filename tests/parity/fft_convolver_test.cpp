// The GPU FFT convolver (VkFFT, overlap-save) against direct time-domain
// convolution in double — an independent oracle — on random signals and
// kernels, whole-buffer and in odd-sized blocks, with several row groups.
// A linear stage: residual peak <= -100 dBFS.
#include <gtest/gtest.h>

#include <cmath>
#include <cstring>

#include "engine/core/random.h"
#include "gpu/stages/fft_convolver.h"
#include "tests/gpu/gpu_fixture.h"

namespace sf::test {
namespace {

constexpr double kLinearStageBoundDbfs = -100.0;

std::vector<double> random_kernel(size_t length, uint64_t seed) {
    // Decaying noise normalised to unit L1 norm: |y| <= max|x| (full scale kept).
    Random rng(seed);
    std::vector<double> h(length);
    double l1 = 0;
    for (size_t i = 0; i < length; ++i) {
        h[i] = rng.bipolar() * std::exp(-3.0 * static_cast<double>(i) / static_cast<double>(length));
        l1 += std::abs(h[i]);
    }
    for (double& v : h) v /= l1;
    return h;
}

struct Case {
    std::vector<size_t> kernel_lengths;
    std::vector<uint32_t> row_kernel;
    int64_t frames, max_block;
    std::vector<int64_t> blocks;  // cycled through
    uint64_t max_work_bytes;
    std::vector<uint32_t> row_cross = {};  // pairs: kernel from row r ^ 1's input into row r
};

class FftConvolverParity : public GpuTest {
protected:
    double run_case(const Case& tc) {
        gpu::FftConvolverSpec spec;
        for (size_t k = 0; k < tc.kernel_lengths.size(); ++k) spec.kernels.push_back(random_kernel(tc.kernel_lengths[k], 100 + k));
        spec.row_kernel = tc.row_kernel;
        spec.row_cross = tc.row_cross;
        spec.max_block_frames = tc.max_block;
        spec.max_work_bytes = tc.max_work_bytes;
        gpu::FftPlans plans(*ctx_);
        auto conv = gpu::FftConvolver::create(*ctx_, plans, spec);
        EXPECT_TRUE(conv) << conv.error().message;
        if (!conv) return 0.0;
        // Every buffer one storage-buffer binding may hold stays under the cap, spectra and history included.
        EXPECT_LE(conv->largest_group_buffer_bytes(), tc.max_work_bytes);
        const uint32_t rows = static_cast<uint32_t>(tc.row_kernel.size());
        auto io = ctx_->create_buffer(sizeof(float) * rows * static_cast<uint64_t>(tc.max_block), VK_BUFFER_USAGE_STORAGE_BUFFER_BIT,
                                      gpu::MemoryUse::Readback, "test io");
        EXPECT_TRUE(io);
        conv->bind_io(io->get());
        auto slot = ctx_->create_command_slot();
        EXPECT_TRUE(slot);

        std::vector<std::vector<float>> x(rows), y(rows);
        for (uint32_t r = 0; r < rows; ++r) {
            Random rng(0xAB + r);
            x[r].resize(static_cast<size_t>(tc.frames));
            for (auto& v : x[r]) v = static_cast<float>(0.9 * rng.bipolar());
            y[r].resize(static_cast<size_t>(tc.frames));
        }
        size_t bi = 0;
        for (int64_t at = 0; at < tc.frames;) {
            const int64_t n = std::min(tc.blocks[bi++ % tc.blocks.size()], tc.frames - at);
            for (uint32_t r = 0; r < rows; ++r)
                std::memcpy(io->floats() + static_cast<size_t>(r * tc.max_block), x[r].data() + at, sizeof(float) * static_cast<size_t>(n));
            auto begin = gpu::vk_struct<VkCommandBufferBeginInfo>(VK_STRUCTURE_TYPE_COMMAND_BUFFER_BEGIN_INFO);
            vkResetCommandBuffer(slot->cmd, 0);
            vkBeginCommandBuffer(slot->cmd, &begin);
            EXPECT_TRUE(conv->record(slot->cmd, static_cast<uint32_t>(n)));
            gpu::host_read_barrier(slot->cmd);
            vkEndCommandBuffer(slot->cmd);
            auto ok = ctx_->run(*slot);
            EXPECT_TRUE(ok) << (ok ? "" : ok.error().message);
            for (uint32_t r = 0; r < rows; ++r)
                std::memcpy(y[r].data() + at, io->floats() + static_cast<size_t>(r * tc.max_block), sizeof(float) * static_cast<size_t>(n));
            at += n;
        }
        // Oracle: direct convolution in double.
        double peak = 0, ref_peak = 0;
        auto direct = [&](uint32_t kernel, const std::vector<float>& in, int64_t i) {
            if (kernel == gpu::kNoKernel) return 0.0;
            const auto& h = spec.kernels[kernel];
            double acc = 0;
            for (size_t k = 0; k < h.size() && static_cast<int64_t>(k) <= i; ++k) acc += h[k] * in[static_cast<size_t>(i - static_cast<int64_t>(k))];
            return acc;
        };
        for (uint32_t r = 0; r < rows; ++r) {
            for (int64_t i = 0; i < tc.frames; ++i) {
                double acc = direct(tc.row_kernel[r], x[r], i);
                if (!tc.row_cross.empty()) acc += direct(tc.row_cross[r], x[r ^ 1u], i);
                peak = std::max(peak, std::abs(acc - y[r][static_cast<size_t>(i)]));
                ref_peak = std::max(ref_peak, std::abs(acc));
            }
        }
        EXPECT_GT(ref_peak, 0.01) << "the oracle output must not be silent";
        return 20 * std::log10(std::max(peak, 1e-20));
    }
};

TEST_F(FftConvolverParity, WholeBufferMatchesDirectConvolution) {
    const double r = run_case({{301, 1, 1000}, {0, 1, 2, 0, 2}, 6007, 6007, {6007}, 128ull << 20});
    std::printf("fft_convolver whole buffer: residual peak %.1f dBFS\n", r);
    EXPECT_LE(r, kLinearStageBoundDbfs);
}

TEST_F(FftConvolverParity, OddBlocksAndRowGroupsMatchDirectConvolution) {
    // 5 rows, work buffers capped so the rows split into 3 groups (2+2+1).
    const uint64_t row_bytes = 2 * (4096 / 2 + 1) * sizeof(float);  // N = 4096 for block 1999 + L 1000
    const double r = run_case({{301, 1, 1000}, {0, 1, 2, 0, 2}, 9001, 1999, {1999, 1, 777, 1013}, 2 * row_bytes});
    std::printf("fft_convolver odd blocks, 3 groups: residual peak %.1f dBFS\n", r);
    EXPECT_LE(r, kLinearStageBoundDbfs);
}

TEST_F(FftConvolverParity, StereoPairsWithCrossKernelsMatchDirectConvolution) {
    // Three pairs as the bus reverbs use them: true stereo (LL, RR + cross RL, LR),
    // plain stereo (no cross), and a pair whose left row has only a cross path;
    // buffers capped at 5 rows' worth: a pair may need two spectra per row, so
    // groups hold 2 rows (5 / 2 = 2, rounded down to whole pairs): 3 groups.
    const uint64_t row_bytes = 2 * (4096 / 2 + 1) * sizeof(float);
    constexpr uint32_t none = gpu::kNoKernel;
    const double r = run_case({{700, 1000, 300, 513}, {0, 3, 1, 1, none, 2}, 8009, 1999, {1999, 5, 1000, 1501}, 5 * row_bytes,
                               {2, 1, none, none, 3, none}});
    std::printf("fft_convolver stereo pairs with cross kernels: residual peak %.1f dBFS\n", r);
    EXPECT_LE(r, kLinearStageBoundDbfs);
}

TEST_F(FftConvolverParity, BadSpecsAreErrors) {
    gpu::FftPlans plans(*ctx_);
    gpu::FftConvolverSpec spec;
    EXPECT_FALSE(gpu::FftConvolver::create(*ctx_, plans, spec));
    spec.kernels = {{1.0}};
    spec.row_kernel = {1};
    auto bad = gpu::FftConvolver::create(*ctx_, plans, spec);
    ASSERT_FALSE(bad);
    EXPECT_EQ(bad.error().code, ErrorCode::InvalidArgument);
    spec.row_kernel = {0, 0, 0};
    spec.row_cross = {0, 0, 0};  // pairs need an even row count
    auto odd = gpu::FftConvolver::create(*ctx_, plans, spec);
    ASSERT_FALSE(odd);
    EXPECT_EQ(odd.error().code, ErrorCode::InvalidArgument);
}

}  // namespace
}  // namespace sf::test
