#include "gpu/stages/delay.h"

#include <algorithm>
#include <array>

#include "gpu/stages/compressor.h"     // kMaxFramesPerDispatch: lavapipe's loop limit
#include "gpu/stages/fft_convolver.h"  // upload_now

namespace sf::gpu {

namespace {
struct Push {
    uint32_t first, frames, stride, count, chunk_start;
};

void copy_biquad(const std::optional<Biquad>& q, double* out) {
    if (!q) return;  // stays the identity
    const double c[5] = {q->b0, q->b1, q->b2, q->a1, q->a2};
    std::copy(c, c + 5, out);
}
}  // namespace

Result<DelayStage> DelayStage::create(Context& ctx, uint32_t set_count, const std::vector<DelayBinding>& delays) {
    if (!ctx.float64())
        return fail(ErrorCode::DeviceLimit, "the GPU delay needs shaderFloat64, which this device lacks (use --backend cpu)");
    DelayStage st;
    st.count_ = static_cast<uint32_t>(delays.size());
    const size_t n = std::max<size_t>(1, delays.size());
    std::vector<DelayParams> params(n);
    uint64_t doubles = 8 * n;  // filter states, then the rings
    for (size_t i = 0; i < delays.size(); ++i) {
        const DelayDesign& d = delays[i].design;
        DelayParams& p = params[i];
        p.row = delays[i].row;
        p.line = static_cast<uint32_t>(std::min<uint64_t>(doubles, UINT32_MAX));
        p.delay = static_cast<uint32_t>(std::min<int64_t>(d.delay_frames, UINT32_MAX));
        p.flags = (d.pingpong ? kDelayPingpong : 0) | (d.highpass || d.lowpass ? kDelayFiltered : 0);
        p.feedback = d.feedback;
        p.wet = d.wet_gain;
        copy_biquad(d.highpass, p.highpass);
        copy_biquad(d.lowpass, p.lowpass);
        doubles += 2 * static_cast<uint64_t>(d.delay_frames);
    }
    const uint64_t limit = std::min<uint64_t>(ctx.limits().maxStorageBufferRange, 128ull << 20);
    if (doubles * sizeof(double) > limit)
        return fail(ErrorCode::DeviceLimit, "the GPU delay cannot hold the delay lines of one level of buses (" + std::to_string(doubles) +
                                                " doubles) in one storage buffer (use --backend cpu)");
    const VkBufferUsageFlags storage = VK_BUFFER_USAGE_STORAGE_BUFFER_BIT;
    auto params_buf = ctx.create_buffer(params.size() * sizeof(DelayParams), storage, MemoryUse::Device, "delay parameters");
    if (!params_buf) return std::unexpected(params_buf.error());
    st.params_ = std::move(*params_buf);
    auto state = ctx.create_buffer(doubles * sizeof(double), storage, MemoryUse::Device, "delay lines");
    if (!state) return std::unexpected(state.error());
    st.state_ = std::move(*state);
    if (auto ok = upload_now(ctx, st.params_, params.data(), params.size() * sizeof(DelayParams)); !ok) return std::unexpected(ok.error());
    auto kernel = Kernel::create(ctx, "delay_feedback", 3, sizeof(Push), set_count);
    if (!kernel) return std::unexpected(kernel.error());
    st.kernel_ = std::move(*kernel);
    return st;
}

void DelayStage::bind(uint32_t set, VkBuffer mix) {
    const std::array<VkBuffer, 3> b{mix, params_.get(), state_.get()};
    kernel_.bind(set, b);
}

void DelayStage::record(VkCommandBuffer cmd, uint32_t set, uint32_t frames, uint32_t stride, uint32_t chunk_start) {
    if (needs_reset_) {
        vkCmdFillBuffer(cmd, state_.get(), 0, VK_WHOLE_SIZE, 0);  // +0.0 in double: empty lines, zero filter states
        compute_barrier(cmd);
        needs_reset_ = false;
    }
    if (count_ == 0 || frames == 0) return;
    for (uint32_t first = 0; first < frames; first += kMaxFramesPerDispatch) {
        const Push push{first, std::min(kMaxFramesPerDispatch, frames - first), stride, count_, chunk_start};
        kernel_.record(cmd, set, &push, count_);  // one workgroup per delay
        compute_barrier(cmd);  // the next dispatch continues the lines this one wrote
    }
}

}  // namespace sf::gpu
