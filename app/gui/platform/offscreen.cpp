// render_screenshot and probe_device: the UI drawn into an R8G8B8A8_UNORM
// image, no window system at all (no GLFW, no DISPLAY), read back and
// written as an RGB PNG.
#include <chrono>
#include <cmath>
#include <cstring>
#include <vector>

#include <png.h>

#include "app/gui/platform/host.h"
#include "app/gui/platform/host_common.h"
#include "app/gui/platform/ui_renderer.h"
#include "app/gui/platform/vk_device.h"

namespace sf::gui {

namespace {

using namespace platform;

constexpr VkFormat kTargetFormat = VK_FORMAT_R8G8B8A8_UNORM;  // the PNG's byte order: no swizzle on readback

Result<void> write_rgb_png(const std::filesystem::path& file, uint32_t width, uint32_t height, const uint8_t* rgba) {
    std::vector<uint8_t> rgb(static_cast<size_t>(width) * height * 3);
    for (size_t i = 0, n = static_cast<size_t>(width) * height; i < n; ++i) std::memcpy(&rgb[i * 3], &rgba[i * 4], 3);
    png_image image{};
    image.version = PNG_IMAGE_VERSION;
    image.width = width;
    image.height = height;
    image.format = PNG_FORMAT_RGB;
    if (!png_image_write_to_file(&image, file.c_str(), 0, rgb.data(), 0, nullptr)) {
        std::string why = image.message;
        png_image_free(&image);
        return fail(ErrorCode::FileWrite, file.string() + ": cannot write the PNG (" + why + ")");
    }
    return {};
}

int pixels(int logical, float scale) { return static_cast<int>(std::lround(static_cast<double>(logical) * scale)); }

}  // namespace

Result<HostDevice> probe_device() {
    auto instance = VulkanInstance::create({});
    if (!instance) return std::unexpected(instance.error());
    auto device = VulkanDevice::create(**instance, VK_NULL_HANDLE);
    if (!device) return std::unexpected(device.error());
    return (*device)->info();
}

Result<void> render_screenshot(GuiApp& app, const HostOptions& options, const std::filesystem::path& png, int frames) {
    const float scale = options.scale > 0.0f ? options.scale : 1.0f;
    const int width_px = pixels(options.width, scale), height_px = pixels(options.height, scale);
    if (options.width <= 0 || options.height <= 0 || width_px <= 0 || height_px <= 0 || width_px > 16384 || height_px > 16384)
        return fail(ErrorCode::InvalidArgument, "screenshot size " + std::to_string(width_px) + "x" + std::to_string(height_px) + " is outside 1..16384");
    if (frames < 1) return fail(ErrorCode::InvalidArgument, "a screenshot needs at least one frame");
    const auto width = static_cast<uint32_t>(width_px), height = static_cast<uint32_t>(height_px);

    // Declaration order is destruction order reversed: device objects before the device, the device before the instance.
    auto instance = VulkanInstance::create({});
    if (!instance) return std::unexpected(instance.error());
    auto device_made = VulkanDevice::create(**instance, VK_NULL_HANDLE);
    if (!device_made) return std::unexpected(device_made.error());
    VulkanDevice& device = **device_made;
    const VkDevice dev = device.get();

    auto target = device.create_image(width, height, kTargetFormat, VK_IMAGE_USAGE_COLOR_ATTACHMENT_BIT | VK_IMAGE_USAGE_TRANSFER_SRC_BIT);
    if (!target) return std::unexpected(target.error());
    auto readback = device.create_buffer(VkDeviceSize{width} * height * 4, VK_BUFFER_USAGE_TRANSFER_DST_BIT, true);
    if (!readback) return std::unexpected(readback.error());
    auto render_pass = create_ui_render_pass(device, kTargetFormat, VK_IMAGE_LAYOUT_TRANSFER_SRC_OPTIMAL);
    if (!render_pass) return std::unexpected(render_pass.error());
    auto fb_info = vk_struct<VkFramebufferCreateInfo>(VK_STRUCTURE_TYPE_FRAMEBUFFER_CREATE_INFO);
    fb_info.renderPass = render_pass->get();
    fb_info.attachmentCount = 1;
    fb_info.pAttachments = target->view.ptr();
    fb_info.width = width;
    fb_info.height = height;
    fb_info.layers = 1;
    VkFramebuffer framebuffer_handle = VK_NULL_HANDLE;
    if (auto r = device.check(vkCreateFramebuffer(dev, &fb_info, nullptr, &framebuffer_handle), "vkCreateFramebuffer"); !r) return std::unexpected(r.error());
    auto framebuffer = device.own(framebuffer_handle, vkDestroyFramebuffer);

    auto pool_info = vk_struct<VkCommandPoolCreateInfo>(VK_STRUCTURE_TYPE_COMMAND_POOL_CREATE_INFO);
    pool_info.flags = VK_COMMAND_POOL_CREATE_RESET_COMMAND_BUFFER_BIT;
    pool_info.queueFamilyIndex = device.queue_family();
    VkCommandPool pool_handle = VK_NULL_HANDLE;
    if (auto r = device.check(vkCreateCommandPool(dev, &pool_info, nullptr, &pool_handle), "vkCreateCommandPool"); !r) return std::unexpected(r.error());
    auto command_pool = device.own(pool_handle, vkDestroyCommandPool);
    auto cmd_info = vk_struct<VkCommandBufferAllocateInfo>(VK_STRUCTURE_TYPE_COMMAND_BUFFER_ALLOCATE_INFO);
    cmd_info.commandPool = command_pool.get();
    cmd_info.level = VK_COMMAND_BUFFER_LEVEL_PRIMARY;
    cmd_info.commandBufferCount = 1;
    VkCommandBuffer cmd = VK_NULL_HANDLE;  // freed with its pool
    if (auto r = device.check(vkAllocateCommandBuffers(dev, &cmd_info, &cmd), "vkAllocateCommandBuffers"); !r) return std::unexpected(r.error());
    auto fence_info = vk_struct<VkFenceCreateInfo>(VK_STRUCTURE_TYPE_FENCE_CREATE_INFO);
    VkFence fence_handle = VK_NULL_HANDLE;
    if (auto r = device.check(vkCreateFence(dev, &fence_info, nullptr, &fence_handle), "vkCreateFence"); !r) return std::unexpected(r.error());
    auto fence = device.own(fence_handle, vkDestroyFence);

    auto renderer_made = UiRenderer::create(device, render_pass->get(), 1);
    if (!renderer_made) return std::unexpected(renderer_made.error());
    UiRenderer& renderer = **renderer_made;

    ImGuiScope imgui;
    if (auto r = configure_imgui(scale, options.font_px); !r) return r;
    ImGuiIO& io = ImGui::GetIO();
    io.DisplaySize = ImVec2(static_cast<float>(width), static_cast<float>(height));
    io.DeltaTime = 1.0f / 60.0f;

    FrameStats stats;
    FrameInfo info;
    info.scale = scale;
    info.offscreen = true;
    for (int frame = 0; frame < frames; ++frame) {
        const auto started = std::chrono::steady_clock::now();
        const bool last = frame == frames - 1;
        if (auto r = device.check(vkResetCommandBuffer(cmd, 0), "vkResetCommandBuffer"); !r) return r;
        auto begin = vk_struct<VkCommandBufferBeginInfo>(VK_STRUCTURE_TYPE_COMMAND_BUFFER_BEGIN_INFO);
        begin.flags = VK_COMMAND_BUFFER_USAGE_ONE_TIME_SUBMIT_BIT;
        if (auto r = device.check(vkBeginCommandBuffer(cmd, &begin), "vkBeginCommandBuffer"); !r) return r;
        // One frame at a time: the previous frame's fence was waited on, so everything it used is free.
        renderer.begin_frame(0, static_cast<uint64_t>(frame) + 1, static_cast<uint64_t>(frame), cmd);
        if (frame == 0)
            if (auto r = renderer.upload_fonts(); !r) return r;

        ImGui::NewFrame();
        app.frame(info, renderer);
        ImGui::Render();
        if (auto e = renderer.take_error()) return std::unexpected(*e);

        auto pass_begin = vk_struct<VkRenderPassBeginInfo>(VK_STRUCTURE_TYPE_RENDER_PASS_BEGIN_INFO);
        pass_begin.renderPass = render_pass->get();
        pass_begin.framebuffer = framebuffer.get();
        pass_begin.renderArea = {{0, 0}, {width, height}};
        const VkClearValue clear{kClearColor};
        pass_begin.clearValueCount = 1;
        pass_begin.pClearValues = &clear;
        vkCmdBeginRenderPass(cmd, &pass_begin, VK_SUBPASS_CONTENTS_INLINE);
        const auto drawn = renderer.draw(*ImGui::GetDrawData(), cmd, {width, height});
        vkCmdEndRenderPass(cmd);
        if (!drawn) return drawn;
        if (last) {
            VkBufferImageCopy region{};
            region.imageSubresource = {VK_IMAGE_ASPECT_COLOR_BIT, 0, 0, 1};
            region.imageExtent = {width, height, 1};
            vkCmdCopyImageToBuffer(cmd, target->image.get(), VK_IMAGE_LAYOUT_TRANSFER_SRC_OPTIMAL, readback->buffer.get(), 1, &region);
            // The host reads the buffer after the fence: make the copy's writes visible to it.
            auto to_host = vk_struct<VkBufferMemoryBarrier>(VK_STRUCTURE_TYPE_BUFFER_MEMORY_BARRIER);
            to_host.srcAccessMask = VK_ACCESS_TRANSFER_WRITE_BIT;
            to_host.dstAccessMask = VK_ACCESS_HOST_READ_BIT;
            to_host.srcQueueFamilyIndex = to_host.dstQueueFamilyIndex = VK_QUEUE_FAMILY_IGNORED;
            to_host.buffer = readback->buffer.get();
            to_host.size = VK_WHOLE_SIZE;
            vkCmdPipelineBarrier(cmd, VK_PIPELINE_STAGE_TRANSFER_BIT, VK_PIPELINE_STAGE_HOST_BIT, 0, 0, nullptr, 1, &to_host, 0, nullptr);
        }
        if (auto r = device.check(vkEndCommandBuffer(cmd), "vkEndCommandBuffer"); !r) return r;
        auto submit = vk_struct<VkSubmitInfo>(VK_STRUCTURE_TYPE_SUBMIT_INFO);
        submit.commandBufferCount = 1;
        submit.pCommandBuffers = &cmd;
        if (auto r = device.check(vkResetFences(dev, 1, fence.ptr()), "vkResetFences"); !r) return r;
        if (auto r = device.check(vkQueueSubmit(device.queue(), 1, &submit, fence.get()), "vkQueueSubmit"); !r) return r;
        if (auto r = device.wait({fence.ptr(), 1}, "screenshot frame"); !r) return r;
        info.frame_time_s = std::chrono::duration<double>(std::chrono::steady_clock::now() - started).count();
        stats.add(info.frame_time_s);
    }
    stats.publish();
    return write_rgb_png(png, width, height, static_cast<const uint8_t*>(readback->mapped));
}

}  // namespace sf::gui
