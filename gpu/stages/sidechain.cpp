#include "gpu/stages/sidechain.h"

#include <algorithm>
#include <array>
#include <limits>

#include "gpu/stages/fft_convolver.h"  // upload_now

namespace sf::gpu {

namespace {
struct Push {
    uint32_t frames, chunk_start, count, pad;
};
}  // namespace

Result<SidechainStage> SidechainStage::create(Context& ctx, uint32_t set_count, std::vector<SidechainRow> rows, int64_t chunk) {
    SidechainStage st;
    st.count_ = static_cast<uint32_t>(rows.size());
    uint64_t at = 0;
    for (SidechainRow& r : rows) {
        const uint64_t frames = static_cast<uint64_t>(chunk) + r.delay_frames;
        if (at + frames > std::numeric_limits<uint32_t>::max())
            return fail(ErrorCode::DeviceLimit, "sidechain delays too long for the GPU backend's ring indexing (use --backend cpu)");
        r.ring_offset = static_cast<uint32_t>(at);
        r.ring_frames = static_cast<uint32_t>(frames);
        at += frames;
    }
    st.ring_floats_ = at;
    const VkBufferUsageFlags storage = VK_BUFFER_USAGE_STORAGE_BUFFER_BIT;
    if (rows.empty()) rows.emplace_back();  // a buffer is never empty
    auto rows_buf = ctx.create_buffer(rows.size() * sizeof(SidechainRow), storage, MemoryUse::Device, "sidechain rows");
    if (!rows_buf) return std::unexpected(rows_buf.error());
    st.rows_ = std::move(*rows_buf);
    if (auto ok = upload_now(ctx, st.rows_, rows.data(), rows.size() * sizeof(SidechainRow)); !ok) return std::unexpected(ok.error());
    auto rings = ctx.create_buffer(sizeof(float) * std::max<uint64_t>(1, at), storage, MemoryUse::Device,
                                   "sidechain rings");
    if (!rings) return std::unexpected(rings.error());
    st.rings_ = std::move(*rings);
    auto store = Kernel::create(ctx, "sidechain_store", 5, sizeof(Push), set_count);
    if (!store) return std::unexpected(store.error());
    st.store_ = std::move(*store);
    auto load = Kernel::create(ctx, "sidechain_load", 5, sizeof(Push), set_count);
    if (!load) return std::unexpected(load.error());
    st.load_ = std::move(*load);
    return st;
}

void SidechainStage::bind(uint32_t set, VkBuffer stems, VkBuffer mix, VkBuffer detector) {
    const std::array<VkBuffer, 5> b{stems, mix, detector, rings_.get(), rows_.get()};
    store_.bind(set, b);
    load_.bind(set, b);
}

void SidechainStage::record(VkCommandBuffer cmd, uint32_t set, uint32_t frames, uint32_t chunk_start) {
    if (needs_reset_) {
        vkCmdFillBuffer(cmd, rings_.get(), 0, VK_WHOLE_SIZE, 0);
        compute_barrier(cmd);
        needs_reset_ = false;
    }
    if (count_ == 0 || frames == 0) return;
    const Push push{frames, chunk_start, count_, 0};
    const uint32_t groups = (frames + 255) / 256;
    store_.record(cmd, set, &push, groups, count_);
    compute_barrier(cmd);
    load_.record(cmd, set, &push, groups, count_);
    compute_barrier(cmd);
}

}  // namespace sf::gpu
