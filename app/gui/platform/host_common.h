// Stemforge workstation platform — what the window and the offscreen host
// share: the ImGui context (fonts, style, key map), the render pass of the
// UI, and the frame statistics behind last_host_stats().
#pragma once

#include <memory>

#include <vulkan/vulkan.h>

#include "app/gui/platform/host.h"
#include "app/gui/platform/vk_device.h"

namespace sf::gui::platform {

// A fresh ImGui context, current while this lives; the previous one (if any) is current again afterwards.
class ImGuiScope {
public:
    ImGuiScope();
    ~ImGuiScope();
    ImGuiScope(const ImGuiScope&) = delete;
    ImGuiScope& operator=(const ImGuiScope&) = delete;

private:
    ImGuiContext* previous_;
    ImGuiContext* context_;
};

// Fonts (DejaVu Sans, then DejaVu Sans Mono, at font_px × scale), the dark
// style scaled by `scale`, no imgui.ini, GLFW key codes in io.KeyMap (the
// GLFW backend sets the same ones). Errors: a font file is missing (FileNotFound).
Result<void> configure_imgui(float scale, float font_px);

// One subpass drawing into one colour attachment of `format`, cleared at the
// start; the attachment ends in `final_layout` (PRESENT_SRC or TRANSFER_SRC),
// with the dependency that makes its writes visible to what comes next.
Result<DeviceObject<VkRenderPass>> create_ui_render_pass(VulkanDevice& device, VkFormat format, VkImageLayout final_layout);

// The background behind every window (ImGui's style colours are linear
// UNORM values written as they are).
inline constexpr VkClearColorValue kClearColor{{0.075f, 0.078f, 0.086f, 1.0f}};

// Frame statistics of the running host; published by finish().
class FrameStats {
public:
    void add(double frame_time_s);
    void add_swapchain_build() { ++swapchain_builds_; }
    void publish() const;  // what last_host_stats() returns from now on
    int frames() const { return frames_; }

private:
    int frames_ = 0;
    double sum_after_first_s_ = 0.0;
    double last_s_ = 0.0;
    int swapchain_builds_ = 0;
};

}  // namespace sf::gui::platform
