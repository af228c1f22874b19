// Stemforge GPU — one compute shader ready to dispatch: pipeline, layout,
// and descriptor sets binding storage buffers.
//
// A Kernel is built once (in a backend's prepare) from an embedded shader
// (shaders/<name>.comp) with `buffer_count` storage buffers at set 0,
// bindings 0..N-1, and `push_bytes` of push constants. Descriptor sets are
// allocated up front (`set_count`, e.g. one per ping-pong slot) and written
// once with bind(); record() only appends commands, never submits.
#pragma once

#include <span>
#include <string>
#include <vector>

#include "gpu/vk/context.h"

namespace sf::gpu {

class Kernel {
public:
    static Result<Kernel> create(Context& ctx, std::string_view shader_name, uint32_t buffer_count, uint32_t push_bytes,
                                 uint32_t set_count = 1);
    // Same, from explicit SPIR-V (tests of the failure path use this).
    static Result<Kernel> create(Context& ctx, std::string_view name, std::span<const uint32_t> spirv, uint32_t buffer_count,
                                 uint32_t push_bytes, uint32_t set_count = 1);

    // Points set `set`'s bindings at whole buffers (buffers.size() == buffer_count).
    void bind(uint32_t set, std::span<const VkBuffer> buffers);

    // Appends: bind pipeline + set, push constants, dispatch (groups_x, groups_y, groups_z).
    void record(VkCommandBuffer cmd, uint32_t set, const void* push, uint32_t groups_x, uint32_t groups_y = 1, uint32_t groups_z = 1) const;

    const std::string& name() const { return name_; }

private:
    Context* ctx_ = nullptr;  // borrowed; outlives the kernel
    std::string name_;
    uint32_t buffer_count_ = 0, push_bytes_ = 0;
    DeviceObject<VkDescriptorSetLayout> set_layout_;
    DeviceObject<VkPipelineLayout> layout_;
    DeviceObject<VkPipeline> pipeline_;
    DeviceObject<VkDescriptorPool> pool_;
    std::vector<VkDescriptorSet> sets_;  // freed with the pool
};

// Full memory barrier between compute/transfer commands of one queue: the
// hazard is a later dispatch or copy reading what an earlier one wrote.
void compute_barrier(VkCommandBuffer cmd);
// Makes transfer/compute writes visible to the host after the fence.
void host_read_barrier(VkCommandBuffer cmd);

// Per-phase GPU time from timestamp queries: mark(cmd, "phase") writes a
// timestamp at the end of the previous commands; end(cmd) has the GPU copy
// them into a host-visible buffer; after the submission's fence, collect()
// adds each interval to the named phase's total. collect() calls no Vulkan
// function: vkGetQueryPoolResults may wait inside the driver (lavapipe 22.3
// waits for the whole queue there, measured: it blocked forever behind a
// hung later submission), and no wait may be unbounded.
class GpuTimer {
public:
    static Result<GpuTimer> create(Context& ctx, uint32_t max_marks);
    void begin(VkCommandBuffer cmd);              // resets the pool, writes the first timestamp
    void mark(VkCommandBuffer cmd, std::string phase);  // end of `phase` (since the previous mark)
    void end(VkCommandBuffer cmd);                // after the last mark, before the host-read barrier
    Result<void> collect();                        // after the fence: accumulates into totals()
    const std::vector<std::pair<std::string, double>>& totals_s() const { return totals_; }
    bool enabled() const { return static_cast<bool>(pool_); }

private:
    Context* ctx_ = nullptr;
    DeviceObject<VkQueryPool> pool_;
    Buffer results_;  // max_ uint64 ticks, written by the GPU in end()
    uint32_t max_ = 0, used_ = 0;
    bool ended_ = false;
    std::vector<std::string> phases_;
    std::vector<std::pair<std::string, double>> totals_;
};

}  // namespace sf::gpu
