#include "gpu/stages/compressor.h"

#include <algorithm>
#include <array>

#include "gpu/stages/fft_convolver.h"  // upload_now

namespace sf::gpu {

namespace {
struct Push {
    uint32_t first, frames, stride, count;
};
}  // namespace

Result<CompressorStage> CompressorStage::create(Context& ctx, uint32_t set_count, const std::vector<CompressorBinding>& compressors) {
    if (!ctx.float64())
        return fail(ErrorCode::DeviceLimit, "the GPU compressor needs shaderFloat64, which this device lacks (use --backend cpu)");
    CompressorStage st;
    st.count_ = static_cast<uint32_t>(compressors.size());
    const size_t n = std::max<size_t>(1, compressors.size());
    std::vector<double> coefs(8 * n, 0.0);
    std::vector<uint32_t> info(4 * n, 0);
    for (size_t c = 0; c < compressors.size(); ++c) {
        const CompressorCoefficients& k = compressors[c].coefficients;
        const double row[8] = {k.threshold_db, k.ratio, k.knee_db, k.makeup_db, k.attack_coef, k.release_coef, k.rms_coef, k.rms ? 1.0 : 0.0};
        std::copy(row, row + 8, coefs.begin() + static_cast<std::ptrdiff_t>(8 * c));
        info[4 * c] = compressors[c].stem;
        info[4 * c + 1] = compressors[c].detector_offset;
        info[4 * c + 2] = compressors[c].detector_channels;
    }
    const VkBufferUsageFlags storage = VK_BUFFER_USAGE_STORAGE_BUFFER_BIT;
    auto coef_buf = ctx.create_buffer(coefs.size() * sizeof(double), storage, MemoryUse::Device, "compressor coefficients");
    if (!coef_buf) return std::unexpected(coef_buf.error());
    st.coefs_ = std::move(*coef_buf);
    auto info_buf = ctx.create_buffer(info.size() * sizeof(uint32_t), storage, MemoryUse::Device, "compressor nodes");
    if (!info_buf) return std::unexpected(info_buf.error());
    st.info_ = std::move(*info_buf);
    auto state = ctx.create_buffer(2 * n * sizeof(double), storage, MemoryUse::Device, "compressor state");
    if (!state) return std::unexpected(state.error());
    st.state_ = std::move(*state);
    if (auto ok = upload_now(ctx, st.coefs_, coefs.data(), coefs.size() * sizeof(double)); !ok) return std::unexpected(ok.error());
    if (auto ok = upload_now(ctx, st.info_, info.data(), info.size() * sizeof(uint32_t)); !ok) return std::unexpected(ok.error());
    auto kernel = Kernel::create(ctx, "compressor_envelope", 6, sizeof(Push), set_count);
    if (!kernel) return std::unexpected(kernel.error());
    st.kernel_ = std::move(*kernel);
    return st;
}

void CompressorStage::bind(uint32_t set, VkBuffer stems, VkBuffer params, VkBuffer detector) {
    const std::array<VkBuffer, 6> b{stems, params, coefs_.get(), info_.get(), state_.get(), detector};
    kernel_.bind(set, b);
}

void CompressorStage::record(VkCommandBuffer cmd, uint32_t set, uint32_t frames, uint32_t stride) {
    if (needs_reset_) {
        vkCmdFillBuffer(cmd, state_.get(), 0, VK_WHOLE_SIZE, 0);  // +0.0 in double: p = s = 0
        compute_barrier(cmd);
        needs_reset_ = false;
    }
    if (count_ == 0 || frames == 0) return;
    for (uint32_t first = 0; first < frames; first += kMaxFramesPerDispatch) {
        const Push push{first, std::min(kMaxFramesPerDispatch, frames - first), stride, count_};
        kernel_.record(cmd, set, &push, count_);  // one workgroup per compressor
        compute_barrier(cmd);  // the next dispatch continues the state this one wrote
    }
}

}  // namespace sf::gpu
