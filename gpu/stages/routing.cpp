#include "gpu/stages/routing.h"

#include <array>

#include "gpu/stages/fft_convolver.h"  // upload_now

namespace sf::gpu {

namespace {
constexpr uint32_t kGroup = 256;  // local_size_x of routing_gather.comp and routing_store.comp
struct Push {
    uint32_t frames, stride, chunk_start, first;
};

template <class T>
Result<Buffer> table(Context& ctx, const std::vector<T>& rows, const char* label) {
    auto buf = ctx.create_buffer(sizeof(T) * std::max<size_t>(1, rows.size()), VK_BUFFER_USAGE_STORAGE_BUFFER_BIT, MemoryUse::Device, label);
    if (!buf) return std::unexpected(buf.error());
    if (!rows.empty())
        if (auto ok = upload_now(ctx, *buf, rows.data(), sizeof(T) * rows.size()); !ok) return std::unexpected(ok.error());
    return buf;
}
}  // namespace

Result<RoutingStage> RoutingStage::create(Context& ctx, uint32_t set_count, const std::vector<GatherDest>& dests,
                                          const std::vector<GatherEdge>& edges, const std::vector<RingStore>& stores) {
    RoutingStage r;
    auto d = table(ctx, dests, "routing destinations");
    if (!d) return std::unexpected(d.error());
    auto e = table(ctx, edges, "routing edges");
    if (!e) return std::unexpected(e.error());
    auto s = table(ctx, stores, "routing bus stores");
    if (!s) return std::unexpected(s.error());
    r.dests_ = std::move(*d);
    r.edges_ = std::move(*e);
    r.stores_ = std::move(*s);
    auto gather = Kernel::create(ctx, "routing_gather", 6, sizeof(Push), set_count);
    if (!gather) return std::unexpected(gather.error());
    auto store = Kernel::create(ctx, "routing_store", 5, sizeof(Push), set_count);
    if (!store) return std::unexpected(store.error());
    r.gather_ = std::move(*gather);
    r.store_ = std::move(*store);
    return r;
}

void RoutingStage::bind(uint32_t set, VkBuffer mix, VkBuffer rings, VkBuffer windows, VkBuffer pieces) {
    const std::array<VkBuffer, 6> g{mix, rings, dests_.get(), edges_.get(), windows, pieces};
    const std::array<VkBuffer, 5> s{mix, rings, stores_.get(), windows, pieces};
    gather_.bind(set, g);
    store_.bind(set, s);
}

void RoutingStage::record_gather(VkCommandBuffer cmd, uint32_t set, uint32_t first, uint32_t count, uint32_t frames, uint32_t stride,
                                 uint32_t chunk_start) const {
    if (count == 0 || frames == 0) return;
    const Push push{frames, stride, chunk_start, first};
    gather_.record(cmd, set, &push, (frames + kGroup - 1) / kGroup, count);
}

void RoutingStage::record_store(VkCommandBuffer cmd, uint32_t set, uint32_t first, uint32_t count, uint32_t frames, uint32_t stride,
                                uint32_t chunk_start) const {
    if (count == 0 || frames == 0) return;
    const Push push{frames, stride, chunk_start, first};
    store_.record(cmd, set, &push, (frames + kGroup - 1) / kGroup, count);
}

}  // namespace sf::gpu
