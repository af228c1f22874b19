#include "gpu/stages/chorus.h"

#include <algorithm>
#include <array>

#include "gpu/stages/fft_convolver.h"  // upload_now

namespace sf::gpu {

namespace {

// Mirrors ChorusNode and kChorusCoefs in shaders/chorus_common.glsl.
struct ChorusNode {
    uint32_t node, ring_offset, ring_frames, latency, voices, pad0, pad1, pad2;
};
static_assert(sizeof(ChorusNode) == 32, "must match chorus_common.glsl");
constexpr size_t kCoefs = 40;

struct Push {
    uint32_t frames, stride, chunk_start, count;
};

uint64_t ring_frames(const ChorusBinding& b, int64_t chunk_frames) {
    return static_cast<uint64_t>(chunk_frames + b.design.history_frames());
}

}  // namespace

uint64_t ChorusStage::ring_floats(const std::vector<ChorusBinding>& bindings, int64_t chunk_frames) {
    uint64_t floats = 0;
    for (const ChorusBinding& b : bindings) floats += static_cast<uint64_t>(b.channels) * ring_frames(b, chunk_frames);
    return floats;
}

Result<ChorusStage> ChorusStage::create(Context& ctx, uint32_t set_count, const std::vector<ChorusBinding>& bindings, int64_t chunk_frames) {
    if (!ctx.float64()) return fail(ErrorCode::DeviceLimit, "the GPU chorus needs shaderFloat64, which this device lacks (use --backend cpu)");
    const uint64_t floats = ring_floats(bindings, chunk_frames);
    if (sizeof(float) * floats > std::min<uint64_t>(ctx.limits().maxStorageBufferRange, 128ull << 20))
        return fail(ErrorCode::DeviceLimit, "the GPU chorus histories do not fit one storage buffer (use --backend cpu)");
    ChorusStage st;
    st.count_ = static_cast<uint32_t>(bindings.size());
    const size_t n = std::max<size_t>(1, bindings.size());
    std::vector<ChorusNode> nodes(n, ChorusNode{});
    std::vector<double> coefs(kCoefs * n, 0.0);
    uint64_t offset = 0;
    for (size_t b = 0; b < bindings.size(); ++b) {
        const ChorusBinding& in = bindings[b];
        const ChorusDesign& d = in.design;
        const auto frames = ring_frames(in, chunk_frames);
        nodes[b] = ChorusNode{in.node, static_cast<uint32_t>(offset), static_cast<uint32_t>(frames), static_cast<uint32_t>(d.latency_frames),
                              static_cast<uint32_t>(d.voices), 0, 0, 0};
        offset += static_cast<uint64_t>(in.channels) * frames;
        double* k = coefs.data() + kCoefs * b;
        k[0] = d.delay_frames;
        k[1] = d.depth_frames;
        k[2] = d.cycles_per_frame;
        k[3] = d.dry;
        k[4] = d.wet_per_voice;
        k[5] = static_cast<double>(in.offset_frames + d.latency_frames);  // output timeline frame = chunk-clock frame − this
        for (int c = 0; c < kChorusMaxChannels; ++c)
            for (int v = 0; v < kChorusMaxVoices; ++v) {
                k[8 + 8 * c + v] = d.offset_sin[c][v];
                k[24 + 8 * c + v] = d.offset_cos[c][v];
            }
    }
    const VkBufferUsageFlags storage = VK_BUFFER_USAGE_STORAGE_BUFFER_BIT;
    auto node_buf = ctx.create_buffer(nodes.size() * sizeof(ChorusNode), storage, MemoryUse::Device, "chorus nodes");
    if (!node_buf) return std::unexpected(node_buf.error());
    st.bindings_ = std::move(*node_buf);
    auto coef_buf = ctx.create_buffer(coefs.size() * sizeof(double), storage, MemoryUse::Device, "chorus coefficients");
    if (!coef_buf) return std::unexpected(coef_buf.error());
    st.coefs_ = std::move(*coef_buf);
    auto rings = ctx.create_buffer(sizeof(float) * std::max<uint64_t>(1, floats), storage, MemoryUse::Device, "chorus histories");
    if (!rings) return std::unexpected(rings.error());
    st.rings_ = std::move(*rings);
    if (auto ok = upload_now(ctx, st.bindings_, nodes.data(), nodes.size() * sizeof(ChorusNode)); !ok) return std::unexpected(ok.error());
    if (auto ok = upload_now(ctx, st.coefs_, coefs.data(), coefs.size() * sizeof(double)); !ok) return std::unexpected(ok.error());
    auto history = Kernel::create(ctx, "chorus_history", 5, sizeof(Push), set_count);
    if (!history) return std::unexpected(history.error());
    st.history_ = std::move(*history);
    auto chorus = Kernel::create(ctx, "chorus", 5, sizeof(Push), set_count);
    if (!chorus) return std::unexpected(chorus.error());
    st.chorus_ = std::move(*chorus);
    return st;
}

void ChorusStage::bind(uint32_t set, VkBuffer io, VkBuffer params) {
    const std::array<VkBuffer, 5> b{io, params, bindings_.get(), coefs_.get(), rings_.get()};
    history_.bind(set, b);
    chorus_.bind(set, b);
}

void ChorusStage::record(VkCommandBuffer cmd, uint32_t set, uint32_t frames, uint32_t stride, uint32_t chunk_start) {
    if (needs_reset_) {
        vkCmdFillBuffer(cmd, rings_.get(), 0, VK_WHOLE_SIZE, 0);  // silence before the timeline starts
        compute_barrier(cmd);
        needs_reset_ = false;
    }
    if (count_ == 0 || frames == 0) return;
    const Push push{frames, stride, chunk_start, count_};
    const uint32_t groups = (frames + 255) / 256;
    history_.record(cmd, set, &push, groups, count_);
    compute_barrier(cmd);  // pass 2 reads what pass 1 wrote
    chorus_.record(cmd, set, &push, groups, count_, kChorusMaxChannels);
    compute_barrier(cmd);
}

}  // namespace sf::gpu
