#include "gpu/vk/kernel.h"

#include <algorithm>
#include <cassert>
#include <cstring>

#include "shaders/shaders.h"

namespace sf::gpu {

Result<Kernel> Kernel::create(Context& ctx, std::string_view shader_name, uint32_t buffer_count, uint32_t push_bytes, uint32_t set_count) {
    return create(ctx, shader_name, shaders::spirv(shader_name), buffer_count, push_bytes, set_count);
}

Result<Kernel> Kernel::create(Context& ctx, std::string_view name, std::span<const uint32_t> spirv, uint32_t buffer_count,
                              uint32_t push_bytes, uint32_t set_count) {
    Kernel k;
    k.ctx_ = &ctx;
    k.name_ = std::string(name);
    k.buffer_count_ = buffer_count;
    k.push_bytes_ = push_bytes;
    VkDevice dev = ctx.device();
    auto module = ctx.create_shader(spirv, name);
    if (!module) return std::unexpected(module.error());
    const std::string what = "compute pipeline " + k.name_;

    std::vector<VkDescriptorSetLayoutBinding> bindings(buffer_count);
    for (uint32_t b = 0; b < buffer_count; ++b) {
        bindings[b].binding = b;
        bindings[b].descriptorType = VK_DESCRIPTOR_TYPE_STORAGE_BUFFER;
        bindings[b].descriptorCount = 1;
        bindings[b].stageFlags = VK_SHADER_STAGE_COMPUTE_BIT;
    }
    auto dl = vk_struct<VkDescriptorSetLayoutCreateInfo>(VK_STRUCTURE_TYPE_DESCRIPTOR_SET_LAYOUT_CREATE_INFO);
    dl.bindingCount = buffer_count;
    dl.pBindings = bindings.data();
    VkDescriptorSetLayout set_layout = VK_NULL_HANDLE;
    if (VkResult r = vkCreateDescriptorSetLayout(dev, &dl, nullptr, &set_layout); r != VK_SUCCESS) return std::unexpected(vk_error(r, what));
    k.set_layout_ = ctx.adopt(set_layout, vkDestroyDescriptorSetLayout);

    VkPushConstantRange range{VK_SHADER_STAGE_COMPUTE_BIT, 0, push_bytes};
    auto pl = vk_struct<VkPipelineLayoutCreateInfo>(VK_STRUCTURE_TYPE_PIPELINE_LAYOUT_CREATE_INFO);
    pl.setLayoutCount = 1;
    pl.pSetLayouts = k.set_layout_.ptr();
    pl.pushConstantRangeCount = push_bytes ? 1 : 0;
    pl.pPushConstantRanges = &range;
    VkPipelineLayout layout = VK_NULL_HANDLE;
    if (VkResult r = vkCreatePipelineLayout(dev, &pl, nullptr, &layout); r != VK_SUCCESS) return std::unexpected(vk_error(r, what));
    k.layout_ = ctx.adopt(layout, vkDestroyPipelineLayout);

    auto ci = vk_struct<VkComputePipelineCreateInfo>(VK_STRUCTURE_TYPE_COMPUTE_PIPELINE_CREATE_INFO);
    ci.stage.sType = VK_STRUCTURE_TYPE_PIPELINE_SHADER_STAGE_CREATE_INFO;
    ci.stage.stage = VK_SHADER_STAGE_COMPUTE_BIT;
    ci.stage.module = module->get();
    ci.stage.pName = "main";
    ci.layout = layout;
    VkPipeline pipeline = VK_NULL_HANDLE;
    if (VkResult r = vkCreateComputePipelines(dev, ctx.pipeline_cache(), 1, &ci, nullptr, &pipeline); r != VK_SUCCESS)
        return std::unexpected(vk_error(r, what));
    k.pipeline_ = ctx.adopt(pipeline, vkDestroyPipeline);

    VkDescriptorPoolSize size{VK_DESCRIPTOR_TYPE_STORAGE_BUFFER, std::max(1u, buffer_count * set_count)};
    auto dp = vk_struct<VkDescriptorPoolCreateInfo>(VK_STRUCTURE_TYPE_DESCRIPTOR_POOL_CREATE_INFO);
    dp.maxSets = set_count;
    dp.poolSizeCount = 1;
    dp.pPoolSizes = &size;
    VkDescriptorPool pool = VK_NULL_HANDLE;
    if (VkResult r = vkCreateDescriptorPool(dev, &dp, nullptr, &pool); r != VK_SUCCESS) return std::unexpected(vk_error(r, what));
    k.pool_ = ctx.adopt(pool, vkDestroyDescriptorPool);
    std::vector<VkDescriptorSetLayout> layouts(set_count, set_layout);
    auto ai = vk_struct<VkDescriptorSetAllocateInfo>(VK_STRUCTURE_TYPE_DESCRIPTOR_SET_ALLOCATE_INFO);
    ai.descriptorPool = pool;
    ai.descriptorSetCount = set_count;
    ai.pSetLayouts = layouts.data();
    k.sets_.resize(set_count);
    if (VkResult r = vkAllocateDescriptorSets(dev, &ai, k.sets_.data()); r != VK_SUCCESS) return std::unexpected(vk_error(r, what));
    return k;
}

void Kernel::bind(uint32_t set, std::span<const VkBuffer> buffers) {
    assert(set < sets_.size() && buffers.size() == buffer_count_);
    std::vector<VkDescriptorBufferInfo> infos(buffers.size());
    std::vector<VkWriteDescriptorSet> writes(buffers.size());
    for (size_t b = 0; b < buffers.size(); ++b) {
        infos[b] = {buffers[b], 0, VK_WHOLE_SIZE};
        writes[b] = vk_struct<VkWriteDescriptorSet>(VK_STRUCTURE_TYPE_WRITE_DESCRIPTOR_SET);
        writes[b].dstSet = sets_[set];
        writes[b].dstBinding = static_cast<uint32_t>(b);
        writes[b].descriptorCount = 1;
        writes[b].descriptorType = VK_DESCRIPTOR_TYPE_STORAGE_BUFFER;
        writes[b].pBufferInfo = &infos[b];
    }
    vkUpdateDescriptorSets(ctx_->device(), static_cast<uint32_t>(writes.size()), writes.data(), 0, nullptr);
}

void Kernel::record(VkCommandBuffer cmd, uint32_t set, const void* push, uint32_t gx, uint32_t gy, uint32_t gz) const {
    assert(set < sets_.size());
    vkCmdBindPipeline(cmd, VK_PIPELINE_BIND_POINT_COMPUTE, pipeline_.get());
    vkCmdBindDescriptorSets(cmd, VK_PIPELINE_BIND_POINT_COMPUTE, layout_.get(), 0, 1, &sets_[set], 0, nullptr);
    if (push_bytes_) vkCmdPushConstants(cmd, layout_.get(), VK_SHADER_STAGE_COMPUTE_BIT, 0, push_bytes_, push);
    if (gx && gy && gz) vkCmdDispatch(cmd, gx, gy, gz);
}

void compute_barrier(VkCommandBuffer cmd) {
    auto b = vk_struct<VkMemoryBarrier>(VK_STRUCTURE_TYPE_MEMORY_BARRIER);
    b.srcAccessMask = VK_ACCESS_SHADER_WRITE_BIT | VK_ACCESS_TRANSFER_WRITE_BIT;
    b.dstAccessMask = VK_ACCESS_SHADER_READ_BIT | VK_ACCESS_SHADER_WRITE_BIT | VK_ACCESS_TRANSFER_READ_BIT | VK_ACCESS_TRANSFER_WRITE_BIT;
    const VkPipelineStageFlags stages = VK_PIPELINE_STAGE_COMPUTE_SHADER_BIT | VK_PIPELINE_STAGE_TRANSFER_BIT;
    vkCmdPipelineBarrier(cmd, stages, stages, 0, 1, &b, 0, nullptr, 0, nullptr);
}

void host_read_barrier(VkCommandBuffer cmd) {
    auto b = vk_struct<VkMemoryBarrier>(VK_STRUCTURE_TYPE_MEMORY_BARRIER);
    b.srcAccessMask = VK_ACCESS_SHADER_WRITE_BIT | VK_ACCESS_TRANSFER_WRITE_BIT;
    b.dstAccessMask = VK_ACCESS_HOST_READ_BIT;
    vkCmdPipelineBarrier(cmd, VK_PIPELINE_STAGE_COMPUTE_SHADER_BIT | VK_PIPELINE_STAGE_TRANSFER_BIT, VK_PIPELINE_STAGE_HOST_BIT, 0, 1, &b, 0,
                         nullptr, 0, nullptr);
}

Result<GpuTimer> GpuTimer::create(Context& ctx, uint32_t max_marks) {
    GpuTimer t;
    t.ctx_ = &ctx;
    if (!ctx.timestamps()) return t;  // disabled: the device has no timestamps on this queue
    auto ci = vk_struct<VkQueryPoolCreateInfo>(VK_STRUCTURE_TYPE_QUERY_POOL_CREATE_INFO);
    ci.queryType = VK_QUERY_TYPE_TIMESTAMP;
    ci.queryCount = max_marks + 1;
    VkQueryPool pool = VK_NULL_HANDLE;
    if (VkResult r = vkCreateQueryPool(ctx.device(), &ci, nullptr, &pool); r != VK_SUCCESS) return std::unexpected(vk_error(r, "timestamp query pool"));
    t.pool_ = ctx.adopt(pool, vkDestroyQueryPool);
    t.max_ = max_marks + 1;
    auto results = ctx.create_buffer(sizeof(uint64_t) * t.max_, 0, MemoryUse::Readback, "timestamps");
    if (!results) return std::unexpected(results.error());
    t.results_ = std::move(*results);
    return t;
}

void GpuTimer::begin(VkCommandBuffer cmd) {
    used_ = 0;
    ended_ = false;
    phases_.clear();
    if (!pool_) return;
    vkCmdResetQueryPool(cmd, pool_.get(), 0, max_);
    vkCmdWriteTimestamp(cmd, VK_PIPELINE_STAGE_TOP_OF_PIPE_BIT, pool_.get(), used_++);
}

void GpuTimer::mark(VkCommandBuffer cmd, std::string phase) {
    if (!pool_ || used_ >= max_) return;
    vkCmdWriteTimestamp(cmd, VK_PIPELINE_STAGE_BOTTOM_OF_PIPE_BIT, pool_.get(), used_++);
    phases_.push_back(std::move(phase));
}

void GpuTimer::end(VkCommandBuffer cmd) {
    if (!pool_ || used_ < 2) return;
    // The timestamps are written at the bottom of the pipe: every earlier
    // command done before the copy reads them.
    auto b = vk_struct<VkMemoryBarrier>(VK_STRUCTURE_TYPE_MEMORY_BARRIER);
    b.srcAccessMask = VK_ACCESS_SHADER_WRITE_BIT | VK_ACCESS_TRANSFER_WRITE_BIT;
    b.dstAccessMask = VK_ACCESS_TRANSFER_WRITE_BIT;
    vkCmdPipelineBarrier(cmd, VK_PIPELINE_STAGE_ALL_COMMANDS_BIT, VK_PIPELINE_STAGE_TRANSFER_BIT, 0, 1, &b, 0, nullptr, 0, nullptr);
    vkCmdCopyQueryPoolResults(cmd, pool_.get(), 0, used_, results_.get(), 0, sizeof(uint64_t), VK_QUERY_RESULT_64_BIT | VK_QUERY_RESULT_WAIT_BIT);
    ended_ = true;
}

Result<void> GpuTimer::collect() {
    if (!pool_ || used_ < 2) return {};
    assert(ended_ && "GpuTimer::end() before the submission");
    if (!ended_) return {};
    std::vector<uint64_t> ticks(used_);
    std::memcpy(ticks.data(), results_.mapped(), sizeof(uint64_t) * used_);
    // Only timestampValidBits bits count; the counter may wrap between marks.
    const uint32_t bits = ctx_->timestamp_valid_bits();
    const uint64_t mask = bits >= 64 ? ~0ull : (1ull << bits) - 1;
    for (size_t i = 0; i + 1 < used_; ++i) {
        const double s = static_cast<double>((ticks[i + 1] - ticks[i]) & mask) * ctx_->timestamp_period_ns() * 1e-9;
        auto it = std::find_if(totals_.begin(), totals_.end(), [&](const auto& p) { return p.first == phases_[i]; });
        if (it == totals_.end()) totals_.emplace_back(phases_[i], s);
        else it->second += s;
    }
    return {};
}

}  // namespace sf::gpu
