#include "app/gui/platform/ui_renderer.h"

#include <algorithm>
#include <bit>
#include <cassert>
#include <cstddef>
#include <cstring>

namespace sf::gui::platform {

namespace {

// SPIR-V of shaders/ui.vert and ui.frag, compiled by glslc at build time (app/gui/CMakeLists.txt).
const uint32_t kVertexSpirv[] = {
#include "ui.vert.spv.inc"
};
const uint32_t kFragmentSpirv[] = {
#include "ui.frag.spv.inc"
};

constexpr uint32_t kMaxTextures = 256;  // descriptor sets: the font, the app's image slots, and the replaced ones waiting to be released

struct PushConstants {
    float scale[2];
    float translate[2];
};

VkDeviceSize grown_size(VkDeviceSize needed) { return std::max<VkDeviceSize>(std::bit_ceil(needed), 64 * 1024); }

}  // namespace

Result<std::unique_ptr<UiRenderer>> UiRenderer::create(VulkanDevice& device, VkRenderPass render_pass, int frames_in_flight) {
    assert(frames_in_flight >= 1 && "at least one frame in flight");
    std::unique_ptr<UiRenderer> self(new UiRenderer(device));
    const VkDevice dev = device.get();
    self->frames_.resize(static_cast<size_t>(frames_in_flight));

    auto sampler_info = vk_struct<VkSamplerCreateInfo>(VK_STRUCTURE_TYPE_SAMPLER_CREATE_INFO);
    sampler_info.magFilter = VK_FILTER_LINEAR;
    sampler_info.minFilter = VK_FILTER_LINEAR;
    sampler_info.mipmapMode = VK_SAMPLER_MIPMAP_MODE_NEAREST;
    sampler_info.addressModeU = sampler_info.addressModeV = sampler_info.addressModeW = VK_SAMPLER_ADDRESS_MODE_CLAMP_TO_EDGE;
    sampler_info.maxLod = 0.0f;
    VkSampler sampler = VK_NULL_HANDLE;
    if (auto r = device.check(vkCreateSampler(dev, &sampler_info, nullptr, &sampler), "vkCreateSampler"); !r) return std::unexpected(r.error());
    self->sampler_ = device.own(sampler, vkDestroySampler);

    VkDescriptorSetLayoutBinding binding{};
    binding.binding = 0;
    binding.descriptorType = VK_DESCRIPTOR_TYPE_COMBINED_IMAGE_SAMPLER;
    binding.descriptorCount = 1;
    binding.stageFlags = VK_SHADER_STAGE_FRAGMENT_BIT;
    binding.pImmutableSamplers = self->sampler_.ptr();
    auto layout_info = vk_struct<VkDescriptorSetLayoutCreateInfo>(VK_STRUCTURE_TYPE_DESCRIPTOR_SET_LAYOUT_CREATE_INFO);
    layout_info.bindingCount = 1;
    layout_info.pBindings = &binding;
    VkDescriptorSetLayout set_layout = VK_NULL_HANDLE;
    if (auto r = device.check(vkCreateDescriptorSetLayout(dev, &layout_info, nullptr, &set_layout), "vkCreateDescriptorSetLayout"); !r)
        return std::unexpected(r.error());
    self->set_layout_ = device.own(set_layout, vkDestroyDescriptorSetLayout);

    const VkDescriptorPoolSize pool_size{VK_DESCRIPTOR_TYPE_COMBINED_IMAGE_SAMPLER, kMaxTextures};
    auto pool_info = vk_struct<VkDescriptorPoolCreateInfo>(VK_STRUCTURE_TYPE_DESCRIPTOR_POOL_CREATE_INFO);
    pool_info.flags = VK_DESCRIPTOR_POOL_CREATE_FREE_DESCRIPTOR_SET_BIT;  // replaced textures give their set back
    pool_info.maxSets = kMaxTextures;
    pool_info.poolSizeCount = 1;
    pool_info.pPoolSizes = &pool_size;
    VkDescriptorPool pool = VK_NULL_HANDLE;
    if (auto r = device.check(vkCreateDescriptorPool(dev, &pool_info, nullptr, &pool), "vkCreateDescriptorPool"); !r) return std::unexpected(r.error());
    self->pool_ = device.own(pool, vkDestroyDescriptorPool);

    VkPushConstantRange push{VK_SHADER_STAGE_VERTEX_BIT, 0, sizeof(PushConstants)};
    auto pipeline_layout_info = vk_struct<VkPipelineLayoutCreateInfo>(VK_STRUCTURE_TYPE_PIPELINE_LAYOUT_CREATE_INFO);
    pipeline_layout_info.setLayoutCount = 1;
    pipeline_layout_info.pSetLayouts = self->set_layout_.ptr();
    pipeline_layout_info.pushConstantRangeCount = 1;
    pipeline_layout_info.pPushConstantRanges = &push;
    VkPipelineLayout pipeline_layout = VK_NULL_HANDLE;
    if (auto r = device.check(vkCreatePipelineLayout(dev, &pipeline_layout_info, nullptr, &pipeline_layout), "vkCreatePipelineLayout"); !r)
        return std::unexpected(r.error());
    self->pipeline_layout_ = device.own(pipeline_layout, vkDestroyPipelineLayout);

    auto make_module = [&](const uint32_t* words, size_t bytes) -> Result<DeviceObject<VkShaderModule>> {
        auto info = vk_struct<VkShaderModuleCreateInfo>(VK_STRUCTURE_TYPE_SHADER_MODULE_CREATE_INFO);
        info.codeSize = bytes;
        info.pCode = words;
        VkShaderModule module = VK_NULL_HANDLE;
        if (auto r = device.check(vkCreateShaderModule(dev, &info, nullptr, &module), "vkCreateShaderModule"); !r) return std::unexpected(r.error());
        return device.own(module, vkDestroyShaderModule);
    };
    auto vertex = make_module(kVertexSpirv, sizeof(kVertexSpirv));
    if (!vertex) return std::unexpected(vertex.error());
    auto fragment = make_module(kFragmentSpirv, sizeof(kFragmentSpirv));
    if (!fragment) return std::unexpected(fragment.error());

    VkPipelineShaderStageCreateInfo stages[2] = {vk_struct<VkPipelineShaderStageCreateInfo>(VK_STRUCTURE_TYPE_PIPELINE_SHADER_STAGE_CREATE_INFO),
                                                 vk_struct<VkPipelineShaderStageCreateInfo>(VK_STRUCTURE_TYPE_PIPELINE_SHADER_STAGE_CREATE_INFO)};
    stages[0].stage = VK_SHADER_STAGE_VERTEX_BIT;
    stages[0].module = vertex->get();
    stages[0].pName = "main";
    stages[1].stage = VK_SHADER_STAGE_FRAGMENT_BIT;
    stages[1].module = fragment->get();
    stages[1].pName = "main";

    const VkVertexInputBindingDescription vertex_binding{0, sizeof(ImDrawVert), VK_VERTEX_INPUT_RATE_VERTEX};
    const VkVertexInputAttributeDescription attributes[3] = {
        {0, 0, VK_FORMAT_R32G32_SFLOAT, static_cast<uint32_t>(offsetof(ImDrawVert, pos))},
        {1, 0, VK_FORMAT_R32G32_SFLOAT, static_cast<uint32_t>(offsetof(ImDrawVert, uv))},
        {2, 0, VK_FORMAT_R8G8B8A8_UNORM, static_cast<uint32_t>(offsetof(ImDrawVert, col))},  // ImU32 with R in the low byte
    };
    auto vertex_input = vk_struct<VkPipelineVertexInputStateCreateInfo>(VK_STRUCTURE_TYPE_PIPELINE_VERTEX_INPUT_STATE_CREATE_INFO);
    vertex_input.vertexBindingDescriptionCount = 1;
    vertex_input.pVertexBindingDescriptions = &vertex_binding;
    vertex_input.vertexAttributeDescriptionCount = 3;
    vertex_input.pVertexAttributeDescriptions = attributes;
    auto assembly = vk_struct<VkPipelineInputAssemblyStateCreateInfo>(VK_STRUCTURE_TYPE_PIPELINE_INPUT_ASSEMBLY_STATE_CREATE_INFO);
    assembly.topology = VK_PRIMITIVE_TOPOLOGY_TRIANGLE_LIST;
    auto viewport = vk_struct<VkPipelineViewportStateCreateInfo>(VK_STRUCTURE_TYPE_PIPELINE_VIEWPORT_STATE_CREATE_INFO);
    viewport.viewportCount = 1;
    viewport.scissorCount = 1;
    auto raster = vk_struct<VkPipelineRasterizationStateCreateInfo>(VK_STRUCTURE_TYPE_PIPELINE_RASTERIZATION_STATE_CREATE_INFO);
    raster.polygonMode = VK_POLYGON_MODE_FILL;
    raster.cullMode = VK_CULL_MODE_NONE;  // ImGui emits both windings
    raster.frontFace = VK_FRONT_FACE_COUNTER_CLOCKWISE;
    raster.lineWidth = 1.0f;
    auto multisample = vk_struct<VkPipelineMultisampleStateCreateInfo>(VK_STRUCTURE_TYPE_PIPELINE_MULTISAMPLE_STATE_CREATE_INFO);
    multisample.rasterizationSamples = VK_SAMPLE_COUNT_1_BIT;
    VkPipelineColorBlendAttachmentState blend{};
    blend.blendEnable = VK_TRUE;  // straight (non-premultiplied) alpha, as ImGui's colours are
    blend.srcColorBlendFactor = VK_BLEND_FACTOR_SRC_ALPHA;
    blend.dstColorBlendFactor = VK_BLEND_FACTOR_ONE_MINUS_SRC_ALPHA;
    blend.colorBlendOp = VK_BLEND_OP_ADD;
    blend.srcAlphaBlendFactor = VK_BLEND_FACTOR_ONE;
    blend.dstAlphaBlendFactor = VK_BLEND_FACTOR_ONE_MINUS_SRC_ALPHA;
    blend.alphaBlendOp = VK_BLEND_OP_ADD;
    blend.colorWriteMask = VK_COLOR_COMPONENT_R_BIT | VK_COLOR_COMPONENT_G_BIT | VK_COLOR_COMPONENT_B_BIT | VK_COLOR_COMPONENT_A_BIT;
    auto blending = vk_struct<VkPipelineColorBlendStateCreateInfo>(VK_STRUCTURE_TYPE_PIPELINE_COLOR_BLEND_STATE_CREATE_INFO);
    blending.attachmentCount = 1;
    blending.pAttachments = &blend;
    const VkDynamicState dynamic_states[2] = {VK_DYNAMIC_STATE_VIEWPORT, VK_DYNAMIC_STATE_SCISSOR};
    auto dynamic = vk_struct<VkPipelineDynamicStateCreateInfo>(VK_STRUCTURE_TYPE_PIPELINE_DYNAMIC_STATE_CREATE_INFO);
    dynamic.dynamicStateCount = 2;
    dynamic.pDynamicStates = dynamic_states;

    auto pipeline_info = vk_struct<VkGraphicsPipelineCreateInfo>(VK_STRUCTURE_TYPE_GRAPHICS_PIPELINE_CREATE_INFO);
    pipeline_info.stageCount = 2;
    pipeline_info.pStages = stages;
    pipeline_info.pVertexInputState = &vertex_input;
    pipeline_info.pInputAssemblyState = &assembly;
    pipeline_info.pViewportState = &viewport;
    pipeline_info.pRasterizationState = &raster;
    pipeline_info.pMultisampleState = &multisample;
    pipeline_info.pColorBlendState = &blending;
    pipeline_info.pDynamicState = &dynamic;
    pipeline_info.layout = pipeline_layout;
    pipeline_info.renderPass = render_pass;
    pipeline_info.subpass = 0;
    VkPipeline pipeline = VK_NULL_HANDLE;
    if (auto r = device.check(vkCreateGraphicsPipelines(dev, VK_NULL_HANDLE, 1, &pipeline_info, nullptr, &pipeline), "vkCreateGraphicsPipelines"); !r)
        return std::unexpected(r.error());
    self->pipeline_ = device.own(pipeline, vkDestroyPipeline);
    return self;
}

UiRenderer::~UiRenderer() = default;  // the host waited for every frame; the pool frees the sets with itself

void UiRenderer::begin_frame(int slot, uint64_t serial, uint64_t completed_serial, VkCommandBuffer cmd) {
    assert(slot >= 0 && static_cast<size_t>(slot) < frames_.size() && "frame slot out of range");
    slot_ = slot;
    serial_ = serial;
    cmd_ = cmd;
    auto finished = std::partition(retired_.begin(), retired_.end(), [&](const Retired& r) { return r.serial > completed_serial; });
    for (auto it = finished; it != retired_.end(); ++it) release(std::move(it->texture));
    retired_.erase(finished, retired_.end());
}

void UiRenderer::release(std::unique_ptr<Texture> texture) {
    if (!texture) return;
    live_sets_.erase(texture->set);
    if (!device_->faulted()) vkFreeDescriptorSets(device_->get(), pool_.get(), 1, &texture->set);
}

Result<std::unique_ptr<UiRenderer::Texture>> UiRenderer::upload(uint32_t width, uint32_t height, const void* rgba) {
    assert(cmd_ != VK_NULL_HANDLE && "upload outside begin_frame");
    auto texture = std::make_unique<Texture>();
    auto image = device_->create_image(width, height, VK_FORMAT_R8G8B8A8_UNORM, VK_IMAGE_USAGE_SAMPLED_BIT | VK_IMAGE_USAGE_TRANSFER_DST_BIT);
    if (!image) return std::unexpected(image.error());
    texture->image = std::move(*image);
    const VkDeviceSize bytes = VkDeviceSize{width} * height * 4;
    auto staging = device_->create_buffer(bytes, VK_BUFFER_USAGE_TRANSFER_SRC_BIT, true);
    if (!staging) return std::unexpected(staging.error());
    std::memcpy(staging->mapped, rgba, static_cast<size_t>(bytes));

    auto alloc = vk_struct<VkDescriptorSetAllocateInfo>(VK_STRUCTURE_TYPE_DESCRIPTOR_SET_ALLOCATE_INFO);
    alloc.descriptorPool = pool_.get();
    alloc.descriptorSetCount = 1;
    alloc.pSetLayouts = set_layout_.ptr();
    if (auto r = device_->check(vkAllocateDescriptorSets(device_->get(), &alloc, &texture->set), "vkAllocateDescriptorSets (more than 256 live textures?)"); !r)
        return std::unexpected(r.error());
    VkDescriptorImageInfo image_info{VK_NULL_HANDLE, texture->image.view.get(), VK_IMAGE_LAYOUT_SHADER_READ_ONLY_OPTIMAL};
    auto write = vk_struct<VkWriteDescriptorSet>(VK_STRUCTURE_TYPE_WRITE_DESCRIPTOR_SET);
    write.dstSet = texture->set;
    write.descriptorCount = 1;
    write.descriptorType = VK_DESCRIPTOR_TYPE_COMBINED_IMAGE_SAMPLER;
    write.pImageInfo = &image_info;
    vkUpdateDescriptorSets(device_->get(), 1, &write, 0, nullptr);

    // Before the copy: nothing to wait for (a fresh image), only the layout change.
    auto to_transfer = vk_struct<VkImageMemoryBarrier>(VK_STRUCTURE_TYPE_IMAGE_MEMORY_BARRIER);
    to_transfer.srcAccessMask = 0;
    to_transfer.dstAccessMask = VK_ACCESS_TRANSFER_WRITE_BIT;
    to_transfer.oldLayout = VK_IMAGE_LAYOUT_UNDEFINED;
    to_transfer.newLayout = VK_IMAGE_LAYOUT_TRANSFER_DST_OPTIMAL;
    to_transfer.srcQueueFamilyIndex = to_transfer.dstQueueFamilyIndex = VK_QUEUE_FAMILY_IGNORED;
    to_transfer.image = texture->image.image.get();
    to_transfer.subresourceRange = {VK_IMAGE_ASPECT_COLOR_BIT, 0, 1, 0, 1};
    vkCmdPipelineBarrier(cmd_, VK_PIPELINE_STAGE_TOP_OF_PIPE_BIT, VK_PIPELINE_STAGE_TRANSFER_BIT, 0, 0, nullptr, 0, nullptr, 1, &to_transfer);
    VkBufferImageCopy region{};
    region.imageSubresource = {VK_IMAGE_ASPECT_COLOR_BIT, 0, 0, 1};
    region.imageExtent = {width, height, 1};
    vkCmdCopyBufferToImage(cmd_, staging->buffer.get(), texture->image.image.get(), VK_IMAGE_LAYOUT_TRANSFER_DST_OPTIMAL, 1, &region);
    // After: the fragment shader of this frame's draws reads what the copy wrote.
    auto to_shader = to_transfer;
    to_shader.srcAccessMask = VK_ACCESS_TRANSFER_WRITE_BIT;
    to_shader.dstAccessMask = VK_ACCESS_SHADER_READ_BIT;
    to_shader.oldLayout = VK_IMAGE_LAYOUT_TRANSFER_DST_OPTIMAL;
    to_shader.newLayout = VK_IMAGE_LAYOUT_SHADER_READ_ONLY_OPTIMAL;
    vkCmdPipelineBarrier(cmd_, VK_PIPELINE_STAGE_TRANSFER_BIT, VK_PIPELINE_STAGE_FRAGMENT_SHADER_BIT, 0, 0, nullptr, 0, nullptr, 1, &to_shader);

    retired_.push_back(Retired{serial_, nullptr, std::move(*staging)});  // the staging buffer lives until this frame finishes
    live_sets_.insert(texture->set);
    ++uploads_;
    return texture;
}

Result<void> UiRenderer::upload_fonts() {
    ImGuiIO& io = ImGui::GetIO();
    unsigned char* pixels = nullptr;
    int width = 0, height = 0;
    io.Fonts->GetTexDataAsRGBA32(&pixels, &width, &height);
    if (!pixels || width <= 0 || height <= 0) return fail(ErrorCode::Internal, "ImGui could not build the font atlas");
    auto texture = upload(static_cast<uint32_t>(width), static_cast<uint32_t>(height), pixels);
    if (!texture) return std::unexpected(texture.error());
    if (font_) retired_.push_back(Retired{serial_, std::move(font_), {}});
    font_ = std::move(*texture);
    io.Fonts->SetTexID(reinterpret_cast<ImTextureID>(font_->set));
    io.Fonts->ClearTexData();  // the GPU holds it now
    return {};
}

ImTextureID UiRenderer::get(uint64_t key, const Image& image) {
    assert(image.width > 0 && image.height > 0 && image.rgba.size() == static_cast<size_t>(image.width) * static_cast<size_t>(image.height) &&
           "Image: rgba must hold width × height pixels");
    auto& slot = textures_[key];
    if (slot && slot->version == image.version && slot->image.width == static_cast<uint32_t>(image.width) &&
        slot->image.height == static_cast<uint32_t>(image.height))
        return reinterpret_cast<ImTextureID>(slot->set);
    auto texture = upload(static_cast<uint32_t>(image.width), static_cast<uint32_t>(image.height), image.rgba.data());
    if (!texture) {
        if (!error_) error_ = texture.error();
        return slot ? reinterpret_cast<ImTextureID>(slot->set) : ImGui::GetIO().Fonts->TexID;
    }
    (*texture)->version = image.version;
    // Frames still in flight may draw the old one: release it when this frame (the last that could name it) finishes.
    if (slot) retired_.push_back(Retired{serial_, std::move(slot), {}});
    slot = std::move(*texture);
    return reinterpret_cast<ImTextureID>(slot->set);
}

void UiRenderer::bind_state(VkCommandBuffer cmd, const ImDrawData& draw_data, VkExtent2D extent, const FrameBuffers& buffers) {
    vkCmdBindPipeline(cmd, VK_PIPELINE_BIND_POINT_GRAPHICS, pipeline_.get());
    const VkDeviceSize offset = 0;
    vkCmdBindVertexBuffers(cmd, 0, 1, buffers.vertices.buffer.ptr(), &offset);
    vkCmdBindIndexBuffer(cmd, buffers.indices.buffer.get(), 0, sizeof(ImDrawIdx) == 2 ? VK_INDEX_TYPE_UINT16 : VK_INDEX_TYPE_UINT32);
    const VkViewport viewport{0.0f, 0.0f, static_cast<float>(extent.width), static_cast<float>(extent.height), 0.0f, 1.0f};
    vkCmdSetViewport(cmd, 0, 1, &viewport);
    // ImGui's coordinates (DisplayPos .. DisplayPos + DisplaySize) onto clip space [-1, 1]; Vulkan's y points down as ImGui's does.
    PushConstants push{};
    push.scale[0] = 2.0f / draw_data.DisplaySize.x;
    push.scale[1] = 2.0f / draw_data.DisplaySize.y;
    push.translate[0] = -1.0f - draw_data.DisplayPos.x * push.scale[0];
    push.translate[1] = -1.0f - draw_data.DisplayPos.y * push.scale[1];
    vkCmdPushConstants(cmd, pipeline_layout_.get(), VK_SHADER_STAGE_VERTEX_BIT, 0, sizeof(push), &push);
}

Result<void> UiRenderer::draw(const ImDrawData& draw_data, VkCommandBuffer cmd, VkExtent2D extent) {
    if (draw_data.TotalVtxCount <= 0 || draw_data.DisplaySize.x <= 0.0f || draw_data.DisplaySize.y <= 0.0f) return {};
    FrameBuffers& buffers = frames_[static_cast<size_t>(slot_)];
    const VkDeviceSize vertex_bytes = static_cast<VkDeviceSize>(draw_data.TotalVtxCount) * sizeof(ImDrawVert);
    const VkDeviceSize index_bytes = static_cast<VkDeviceSize>(draw_data.TotalIdxCount) * sizeof(ImDrawIdx);
    // This slot's fence has signalled, so its buffers are free to replace.
    if (buffers.vertices.size < vertex_bytes) {
        auto b = device_->create_buffer(grown_size(vertex_bytes), VK_BUFFER_USAGE_VERTEX_BUFFER_BIT, true);
        if (!b) return std::unexpected(b.error());
        buffers.vertices = std::move(*b);
    }
    if (buffers.indices.size < index_bytes) {
        auto b = device_->create_buffer(grown_size(index_bytes), VK_BUFFER_USAGE_INDEX_BUFFER_BIT, true);
        if (!b) return std::unexpected(b.error());
        buffers.indices = std::move(*b);
    }
    auto* vertex_out = static_cast<ImDrawVert*>(buffers.vertices.mapped);
    auto* index_out = static_cast<ImDrawIdx*>(buffers.indices.mapped);
    for (int n = 0; n < draw_data.CmdListsCount; ++n) {
        const ImDrawList* list = draw_data.CmdLists[n];
        std::memcpy(vertex_out, list->VtxBuffer.Data, static_cast<size_t>(list->VtxBuffer.Size) * sizeof(ImDrawVert));
        std::memcpy(index_out, list->IdxBuffer.Data, static_cast<size_t>(list->IdxBuffer.Size) * sizeof(ImDrawIdx));
        vertex_out += list->VtxBuffer.Size;
        index_out += list->IdxBuffer.Size;
    }

    bind_state(cmd, draw_data, extent, buffers);
    const ImVec2 clip_offset = draw_data.DisplayPos;
    const ImVec2 clip_scale = draw_data.FramebufferScale;
    VkDescriptorSet bound = VK_NULL_HANDLE;
    uint32_t global_index = 0;
    int32_t global_vertex = 0;
    for (int n = 0; n < draw_data.CmdListsCount; ++n) {
        const ImDrawList* list = draw_data.CmdLists[n];
        for (int c = 0; c < list->CmdBuffer.Size; ++c) {
            const ImDrawCmd& command = list->CmdBuffer[c];
            if (command.UserCallback != nullptr) {
                if (command.UserCallback == ImDrawCallback_ResetRenderState) {
                    bind_state(cmd, draw_data, extent, buffers);
                    bound = VK_NULL_HANDLE;
                } else {
                    command.UserCallback(list, &command);
                }
                continue;
            }
            // The clip rectangle in framebuffer pixels, clamped to it (a negative offset is invalid in a scissor).
            const float x0 = std::max(0.0f, (command.ClipRect.x - clip_offset.x) * clip_scale.x);
            const float y0 = std::max(0.0f, (command.ClipRect.y - clip_offset.y) * clip_scale.y);
            const float x1 = std::min(static_cast<float>(extent.width), (command.ClipRect.z - clip_offset.x) * clip_scale.x);
            const float y1 = std::min(static_cast<float>(extent.height), (command.ClipRect.w - clip_offset.y) * clip_scale.y);
            if (x1 <= x0 || y1 <= y0 || command.ElemCount == 0) continue;
            const auto set = reinterpret_cast<VkDescriptorSet>(command.TextureId);
            if (!live_sets_.contains(set)) {
                assert(false && "ImTextureID not from Textures::get in this frame (or released)");
                continue;
            }
            if (set != bound) {
                vkCmdBindDescriptorSets(cmd, VK_PIPELINE_BIND_POINT_GRAPHICS, pipeline_layout_.get(), 0, 1, &set, 0, nullptr);
                bound = set;
            }
            const VkRect2D scissor{{static_cast<int32_t>(x0), static_cast<int32_t>(y0)},
                                   {static_cast<uint32_t>(x1 - x0), static_cast<uint32_t>(y1 - y0)}};
            vkCmdSetScissor(cmd, 0, 1, &scissor);
            vkCmdDrawIndexed(cmd, command.ElemCount, 1, command.IdxOffset + global_index, static_cast<int32_t>(command.VtxOffset) + global_vertex, 0);
        }
        global_index += static_cast<uint32_t>(list->IdxBuffer.Size);
        global_vertex += list->VtxBuffer.Size;
    }
    return {};
}

}  // namespace sf::gui::platform
