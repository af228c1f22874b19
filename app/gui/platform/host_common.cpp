#include "app/gui/platform/host_common.h"

#include <algorithm>
#include <filesystem>
#include <mutex>

#include <GLFW/glfw3.h>  // key codes only: offscreen frames use the same io.KeyMap as the window

namespace sf::gui::platform {

namespace {

constexpr const char* kUiFontFile = "/usr/share/fonts/truetype/dejavu/DejaVuSans.ttf";
constexpr const char* kMonoFontFile = "/usr/share/fonts/truetype/dejavu/DejaVuSansMono.ttf";

std::mutex& stats_mutex() {
    static std::mutex m;
    return m;
}
HostStats& published_stats() {
    static HostStats s;
    return s;
}

// ImGui's dark style, calmer for long sessions: a near-black neutral grey
// background (no blue cast), text slightly below white, one muted blue accent.
void apply_style(float scale) {
    ImGui::StyleColorsDark();
    ImGuiStyle& style = ImGui::GetStyle();
    style.WindowRounding = 3.0f;
    style.ChildRounding = 3.0f;
    style.FrameRounding = 3.0f;
    style.GrabRounding = 3.0f;
    style.TabRounding = 3.0f;
    style.WindowBorderSize = 1.0f;
    style.FramePadding = ImVec2(6.0f, 4.0f);
    style.ItemSpacing = ImVec2(8.0f, 5.0f);
    ImVec4* c = style.Colors;
    c[ImGuiCol_Text] = ImVec4(0.90f, 0.90f, 0.88f, 1.00f);
    c[ImGuiCol_TextDisabled] = ImVec4(0.52f, 0.52f, 0.50f, 1.00f);
    c[ImGuiCol_WindowBg] = ImVec4(0.105f, 0.108f, 0.115f, 1.00f);
    c[ImGuiCol_ChildBg] = ImVec4(0.090f, 0.092f, 0.098f, 1.00f);
    c[ImGuiCol_PopupBg] = ImVec4(0.120f, 0.122f, 0.130f, 0.98f);
    c[ImGuiCol_Border] = ImVec4(0.24f, 0.24f, 0.26f, 1.00f);
    c[ImGuiCol_FrameBg] = ImVec4(0.17f, 0.17f, 0.185f, 1.00f);
    c[ImGuiCol_FrameBgHovered] = ImVec4(0.22f, 0.23f, 0.25f, 1.00f);
    c[ImGuiCol_FrameBgActive] = ImVec4(0.26f, 0.28f, 0.31f, 1.00f);
    c[ImGuiCol_TitleBg] = ImVec4(0.085f, 0.087f, 0.093f, 1.00f);
    c[ImGuiCol_TitleBgActive] = ImVec4(0.13f, 0.14f, 0.16f, 1.00f);
    c[ImGuiCol_MenuBarBg] = ImVec4(0.12f, 0.122f, 0.13f, 1.00f);
    c[ImGuiCol_Button] = ImVec4(0.20f, 0.22f, 0.25f, 1.00f);
    c[ImGuiCol_ButtonHovered] = ImVec4(0.27f, 0.33f, 0.42f, 1.00f);
    c[ImGuiCol_ButtonActive] = ImVec4(0.30f, 0.40f, 0.54f, 1.00f);
    c[ImGuiCol_Header] = ImVec4(0.20f, 0.24f, 0.30f, 1.00f);
    c[ImGuiCol_HeaderHovered] = ImVec4(0.26f, 0.32f, 0.41f, 1.00f);
    c[ImGuiCol_HeaderActive] = ImVec4(0.30f, 0.38f, 0.50f, 1.00f);
    c[ImGuiCol_Tab] = ImVec4(0.15f, 0.16f, 0.18f, 1.00f);
    c[ImGuiCol_TabHovered] = ImVec4(0.27f, 0.33f, 0.42f, 1.00f);
    c[ImGuiCol_TabActive] = ImVec4(0.22f, 0.27f, 0.35f, 1.00f);
    c[ImGuiCol_CheckMark] = ImVec4(0.55f, 0.70f, 0.90f, 1.00f);
    c[ImGuiCol_SliderGrab] = ImVec4(0.45f, 0.58f, 0.76f, 1.00f);
    c[ImGuiCol_SliderGrabActive] = ImVec4(0.55f, 0.70f, 0.90f, 1.00f);
    c[ImGuiCol_PlotLines] = ImVec4(0.55f, 0.70f, 0.90f, 1.00f);
    c[ImGuiCol_PlotHistogram] = ImVec4(0.45f, 0.62f, 0.80f, 1.00f);
    style.ScaleAllSizes(scale);
}

void map_glfw_keys(ImGuiIO& io) {
    io.KeyMap[ImGuiKey_Tab] = GLFW_KEY_TAB;
    io.KeyMap[ImGuiKey_LeftArrow] = GLFW_KEY_LEFT;
    io.KeyMap[ImGuiKey_RightArrow] = GLFW_KEY_RIGHT;
    io.KeyMap[ImGuiKey_UpArrow] = GLFW_KEY_UP;
    io.KeyMap[ImGuiKey_DownArrow] = GLFW_KEY_DOWN;
    io.KeyMap[ImGuiKey_PageUp] = GLFW_KEY_PAGE_UP;
    io.KeyMap[ImGuiKey_PageDown] = GLFW_KEY_PAGE_DOWN;
    io.KeyMap[ImGuiKey_Home] = GLFW_KEY_HOME;
    io.KeyMap[ImGuiKey_End] = GLFW_KEY_END;
    io.KeyMap[ImGuiKey_Insert] = GLFW_KEY_INSERT;
    io.KeyMap[ImGuiKey_Delete] = GLFW_KEY_DELETE;
    io.KeyMap[ImGuiKey_Backspace] = GLFW_KEY_BACKSPACE;
    io.KeyMap[ImGuiKey_Space] = GLFW_KEY_SPACE;
    io.KeyMap[ImGuiKey_Enter] = GLFW_KEY_ENTER;
    io.KeyMap[ImGuiKey_Escape] = GLFW_KEY_ESCAPE;
    io.KeyMap[ImGuiKey_KeyPadEnter] = GLFW_KEY_KP_ENTER;
    io.KeyMap[ImGuiKey_A] = GLFW_KEY_A;
    io.KeyMap[ImGuiKey_C] = GLFW_KEY_C;
    io.KeyMap[ImGuiKey_V] = GLFW_KEY_V;
    io.KeyMap[ImGuiKey_X] = GLFW_KEY_X;
    io.KeyMap[ImGuiKey_Y] = GLFW_KEY_Y;
    io.KeyMap[ImGuiKey_Z] = GLFW_KEY_Z;
}

}  // namespace

ImGuiScope::ImGuiScope() : previous_(ImGui::GetCurrentContext()), context_(ImGui::CreateContext()) { ImGui::SetCurrentContext(context_); }

ImGuiScope::~ImGuiScope() {
    ImGui::DestroyContext(context_);
    ImGui::SetCurrentContext(previous_);
}

Result<void> configure_imgui(float scale, float font_px) {
    ImGuiIO& io = ImGui::GetIO();
    io.IniFilename = nullptr;  // the layout comes from the app, not from a file in the working directory
    io.LogFilename = nullptr;
    io.BackendRendererName = "stemforge_vulkan";
    io.BackendFlags |= ImGuiBackendFlags_RendererHasVtxOffset;
    map_glfw_keys(io);
    const float size_px = std::max(font_px, 15.0f) * scale;
    for (const char* file : {kUiFontFile, kMonoFontFile}) {
        // ImGui asserts on a missing file: check first so that it is an Error.
        std::error_code ec;
        if (!std::filesystem::is_regular_file(file, ec))
            return fail(ErrorCode::FileNotFound, std::string(file) + ": font not found (install fonts-dejavu-core)");
        if (!io.Fonts->AddFontFromFileTTF(file, size_px)) return fail(ErrorCode::FileRead, std::string(file) + ": ImGui cannot load the font");
    }
    apply_style(scale);
    return {};
}

Result<DeviceObject<VkRenderPass>> create_ui_render_pass(VulkanDevice& device, VkFormat format, VkImageLayout final_layout) {
    VkAttachmentDescription colour{};
    colour.format = format;
    colour.samples = VK_SAMPLE_COUNT_1_BIT;
    colour.loadOp = VK_ATTACHMENT_LOAD_OP_CLEAR;
    colour.storeOp = VK_ATTACHMENT_STORE_OP_STORE;
    colour.stencilLoadOp = VK_ATTACHMENT_LOAD_OP_DONT_CARE;
    colour.stencilStoreOp = VK_ATTACHMENT_STORE_OP_DONT_CARE;
    colour.initialLayout = VK_IMAGE_LAYOUT_UNDEFINED;  // cleared: the previous contents do not matter
    colour.finalLayout = final_layout;
    const VkAttachmentReference ref{0, VK_IMAGE_LAYOUT_COLOR_ATTACHMENT_OPTIMAL};
    VkSubpassDescription subpass{};
    subpass.pipelineBindPoint = VK_PIPELINE_BIND_POINT_GRAPHICS;
    subpass.colorAttachmentCount = 1;
    subpass.pColorAttachments = &ref;
    VkSubpassDependency dependencies[2]{};
    // In: the swapchain image is ours once the acquire semaphore (waited at
    // COLOR_ATTACHMENT_OUTPUT) signals; the layout change must not run before it.
    dependencies[0].srcSubpass = VK_SUBPASS_EXTERNAL;
    dependencies[0].dstSubpass = 0;
    dependencies[0].srcStageMask = VK_PIPELINE_STAGE_COLOR_ATTACHMENT_OUTPUT_BIT;
    dependencies[0].dstStageMask = VK_PIPELINE_STAGE_COLOR_ATTACHMENT_OUTPUT_BIT;
    dependencies[0].srcAccessMask = 0;
    dependencies[0].dstAccessMask = VK_ACCESS_COLOR_ATTACHMENT_WRITE_BIT;
    // Out: the offscreen copy to the host buffer reads what the subpass wrote.
    dependencies[1].srcSubpass = 0;
    dependencies[1].dstSubpass = VK_SUBPASS_EXTERNAL;
    dependencies[1].srcStageMask = VK_PIPELINE_STAGE_COLOR_ATTACHMENT_OUTPUT_BIT;
    dependencies[1].dstStageMask = VK_PIPELINE_STAGE_TRANSFER_BIT;
    dependencies[1].srcAccessMask = VK_ACCESS_COLOR_ATTACHMENT_WRITE_BIT;
    dependencies[1].dstAccessMask = VK_ACCESS_TRANSFER_READ_BIT;
    auto info = vk_struct<VkRenderPassCreateInfo>(VK_STRUCTURE_TYPE_RENDER_PASS_CREATE_INFO);
    info.attachmentCount = 1;
    info.pAttachments = &colour;
    info.subpassCount = 1;
    info.pSubpasses = &subpass;
    info.dependencyCount = 2;
    info.pDependencies = dependencies;
    VkRenderPass pass = VK_NULL_HANDLE;
    if (auto r = device.check(vkCreateRenderPass(device.get(), &info, nullptr, &pass), "vkCreateRenderPass"); !r) return std::unexpected(r.error());
    return device.own(pass, vkDestroyRenderPass);
}

void FrameStats::add(double frame_time_s) {
    if (frames_ > 0) sum_after_first_s_ += frame_time_s;
    last_s_ = frame_time_s;
    ++frames_;
}

void FrameStats::publish() const {
    std::lock_guard lock(stats_mutex());
    published_stats() = HostStats{frames_, frames_ > 1 ? sum_after_first_s_ / (frames_ - 1) : last_s_, last_s_, swapchain_builds_};
}

}  // namespace sf::gui::platform

namespace sf::gui {

HostStats last_host_stats() {
    std::lock_guard lock(platform::stats_mutex());
    return platform::published_stats();
}

}  // namespace sf::gui
