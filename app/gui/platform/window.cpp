// run_window: a GLFW window, a Vulkan swapchain in a UNORM format, two
// frames in flight, Dear ImGui's GLFW platform backend for input, and the
// project's UiRenderer. Idle windows wait for input; busy apps redraw at 30 Hz.
#include <algorithm>
#include <array>
#include <atomic>
#include <chrono>
#include <cmath>
#include <cstdlib>
#include <string>
#include <vector>

#define GLFW_INCLUDE_VULKAN
#include <GLFW/glfw3.h>
#include <imgui_impl_glfw.h>

#include "app/gui/platform/host.h"
#include "app/gui/platform/host_common.h"
#include "app/gui/platform/ui_renderer.h"
#include "app/gui/platform/vk_device.h"

namespace sf::gui {

namespace {

using namespace platform;

constexpr int kFramesInFlight = 2;
constexpr double kBusyRedrawS = 1.0 / 30.0;
constexpr double kIdleRedrawS = 0.5;   // an idle window still redraws now and then (clocks, finished work)
constexpr int kSettleFrames = 2;       // ImGui needs a frame or two after an input to show its effect (hover, layout)

std::string& glfw_last_error() {
    static std::string e;
    return e;
}
std::atomic<uint64_t>& input_events() {
    static std::atomic<uint64_t> n{0};
    return n;
}

void on_glfw_error(int code, const char* description) {
    glfw_last_error() = "GLFW error " + std::to_string(code) + ": " + (description ? description : "(no description)");
}

// Installed before ImGui's GLFW backend, which chains to them: they only
// count input so that an idle window knows it must draw.
void count_cursor(GLFWwindow*, double, double) { ++input_events(); }
void count_button(GLFWwindow*, int, int, int) { ++input_events(); }
void count_scroll(GLFWwindow*, double, double) { ++input_events(); }
// ImGui 1.86 samples io.KeysDown once per frame: a key pressed and released
// between two frames (a quick tap while the loop waits for events, or
// xdotool) would never be seen. Presses are latched here and held down for
// the next frame (press_latch_apply), with the modifiers they came with.
struct KeyPress {
    int key;
    int mods;
};
std::vector<KeyPress>& key_presses() {
    static std::vector<KeyPress> presses;  // GLFW calls back on the main thread only
    return presses;
}
void count_key(GLFWwindow*, int key, int, int action, int mods) {
    ++input_events();
    if (action == GLFW_PRESS && key >= 0 && key < static_cast<int>(IM_ARRAYSIZE(ImGuiIO{}.KeysDown))) key_presses().push_back({key, mods});
}
// Before NewFrame: keys latched last frame are released unless really held;
// keys pressed since are down for this frame.
void press_latch_apply(GLFWwindow* window, std::vector<int>& held) {
    ImGuiIO& io = ImGui::GetIO();
    for (int key : held)
        if (glfwGetKey(window, key) == GLFW_RELEASE) io.KeysDown[key] = false;
    held.clear();
    // Modifiers as they really are now, plus those of the latched presses.
    auto down = [&](int a, int b) { return glfwGetKey(window, a) == GLFW_PRESS || glfwGetKey(window, b) == GLFW_PRESS; };
    io.KeyCtrl = down(GLFW_KEY_LEFT_CONTROL, GLFW_KEY_RIGHT_CONTROL);
    io.KeyShift = down(GLFW_KEY_LEFT_SHIFT, GLFW_KEY_RIGHT_SHIFT);
    io.KeyAlt = down(GLFW_KEY_LEFT_ALT, GLFW_KEY_RIGHT_ALT);
    io.KeySuper = down(GLFW_KEY_LEFT_SUPER, GLFW_KEY_RIGHT_SUPER);
    for (const KeyPress& p : key_presses()) {
        if (!io.KeysDown[p.key]) {
            io.KeysDown[p.key] = true;
            held.push_back(p.key);
        }
        io.KeyCtrl |= (p.mods & GLFW_MOD_CONTROL) != 0;
        io.KeyShift |= (p.mods & GLFW_MOD_SHIFT) != 0;
        io.KeyAlt |= (p.mods & GLFW_MOD_ALT) != 0;
        io.KeySuper |= (p.mods & GLFW_MOD_SUPER) != 0;
    }
    key_presses().clear();
}
void count_char(GLFWwindow*, unsigned int) { ++input_events(); }
void count_focus(GLFWwindow*, int) { ++input_events(); }
void count_enter(GLFWwindow*, int) { ++input_events(); }
void count_size(GLFWwindow*, int, int) { ++input_events(); }

class GlfwSession {
public:
    GlfwSession() {
        glfwSetErrorCallback(on_glfw_error);
        ok_ = glfwInit() == GLFW_TRUE;
    }
    ~GlfwSession() {
        if (ok_) glfwTerminate();
    }
    bool ok() const { return ok_; }

private:
    bool ok_ = false;
};

struct GlfwWindow {
    GLFWwindow* handle = nullptr;
    ~GlfwWindow() {
        if (handle) glfwDestroyWindow(handle);
    }
};

struct Surface {
    VkInstance instance = VK_NULL_HANDLE;  // borrowed
    VkSurfaceKHR handle = VK_NULL_HANDLE;
    bool abandon = false;                  // the device faulted: keep what a hung submission might present to
    ~Surface() {
        if (handle == VK_NULL_HANDLE) return;
        if (abandon) gpu::abandon_handle(handle);
        else vkDestroySurfaceKHR(instance, handle, nullptr);
    }
};

struct GlfwImGui {
    bool initialised = false;
    ~GlfwImGui() {
        if (initialised) ImGui_ImplGlfw_Shutdown();
    }
};

VkSurfaceFormatKHR choose_format(VkPhysicalDevice pd, VkSurfaceKHR surface) {
    uint32_t n = 0;
    vkGetPhysicalDeviceSurfaceFormatsKHR(pd, surface, &n, nullptr);
    std::vector<VkSurfaceFormatKHR> formats(n);
    vkGetPhysicalDeviceSurfaceFormatsKHR(pd, surface, &n, formats.data());
    if (formats.empty() || (formats.size() == 1 && formats[0].format == VK_FORMAT_UNDEFINED))
        return {VK_FORMAT_B8G8R8A8_UNORM, VK_COLOR_SPACE_SRGB_NONLINEAR_KHR};
    // UNORM: ImGui's colours are sRGB-encoded already; an _SRGB target would encode them twice (lavapipe lists _SRGB first).
    for (VkFormat wanted : {VK_FORMAT_B8G8R8A8_UNORM, VK_FORMAT_R8G8B8A8_UNORM, VK_FORMAT_A8B8G8R8_UNORM_PACK32})
        for (const auto& f : formats)
            if (f.format == wanted && f.colorSpace == VK_COLOR_SPACE_SRGB_NONLINEAR_KHR) return f;
    return formats[0];
}

// The swapchain and everything sized by it; rebuilt on resize.
struct Swapchain {
    DeviceObject<VkSwapchainKHR> swapchain;
    VkExtent2D extent{};
    std::vector<VkImage> images;  // owned by the swapchain
    std::vector<DeviceObject<VkImageView>> views;
    std::vector<DeviceObject<VkFramebuffer>> framebuffers;
    std::vector<DeviceObject<VkSemaphore>> render_finished;  // one per image: reused only once that image is acquired again
};

// Builds a swapchain for the window's current size; extent 0×0 (minimised) gives an empty one.
Result<Swapchain> create_swapchain(VulkanDevice& device, GLFWwindow* window, VkSurfaceKHR surface, VkSurfaceFormatKHR format,
                                   VkRenderPass render_pass, VkSwapchainKHR old) {
    Swapchain out;
    VkSurfaceCapabilitiesKHR caps{};
    if (auto r = device.check(vkGetPhysicalDeviceSurfaceCapabilitiesKHR(device.physical(), surface, &caps), "vkGetPhysicalDeviceSurfaceCapabilitiesKHR"); !r)
        return std::unexpected(r.error());
    if (caps.currentExtent.width != UINT32_MAX) {
        out.extent = caps.currentExtent;
    } else {
        int w = 0, h = 0;
        glfwGetFramebufferSize(window, &w, &h);
        out.extent.width = std::clamp(static_cast<uint32_t>(std::max(w, 0)), caps.minImageExtent.width, caps.maxImageExtent.width);
        out.extent.height = std::clamp(static_cast<uint32_t>(std::max(h, 0)), caps.minImageExtent.height, caps.maxImageExtent.height);
    }
    if (out.extent.width == 0 || out.extent.height == 0) return out;

    uint32_t image_count = caps.minImageCount;  // 3 on Mesa; FIFO with the minimum is enough for a UI
    if (caps.maxImageCount > 0) image_count = std::min(image_count, caps.maxImageCount);
    VkCompositeAlphaFlagBitsKHR alpha = VK_COMPOSITE_ALPHA_OPAQUE_BIT_KHR;
    if (!(caps.supportedCompositeAlpha & alpha))
        for (auto candidate : {VK_COMPOSITE_ALPHA_INHERIT_BIT_KHR, VK_COMPOSITE_ALPHA_PRE_MULTIPLIED_BIT_KHR, VK_COMPOSITE_ALPHA_POST_MULTIPLIED_BIT_KHR})
            if (caps.supportedCompositeAlpha & candidate) {
                alpha = candidate;
                break;
            }
    auto info = vk_struct<VkSwapchainCreateInfoKHR>(VK_STRUCTURE_TYPE_SWAPCHAIN_CREATE_INFO_KHR);
    info.surface = surface;
    info.minImageCount = image_count;
    info.imageFormat = format.format;
    info.imageColorSpace = format.colorSpace;
    info.imageExtent = out.extent;
    info.imageArrayLayers = 1;
    info.imageUsage = VK_IMAGE_USAGE_COLOR_ATTACHMENT_BIT;
    info.imageSharingMode = VK_SHARING_MODE_EXCLUSIVE;
    info.preTransform = caps.currentTransform;
    info.compositeAlpha = alpha;
    info.presentMode = VK_PRESENT_MODE_FIFO_KHR;  // always available; no tearing, no busy loop
    info.clipped = VK_TRUE;
    info.oldSwapchain = old;
    VkSwapchainKHR swapchain = VK_NULL_HANDLE;
    if (auto r = device.check(vkCreateSwapchainKHR(device.get(), &info, nullptr, &swapchain), "vkCreateSwapchainKHR"); !r) return std::unexpected(r.error());
    out.swapchain = device.own(swapchain, vkDestroySwapchainKHR);
    uint32_t n = 0;
    vkGetSwapchainImagesKHR(device.get(), swapchain, &n, nullptr);
    out.images.resize(n);
    if (auto r = device.check(vkGetSwapchainImagesKHR(device.get(), swapchain, &n, out.images.data()), "vkGetSwapchainImagesKHR"); !r)
        return std::unexpected(r.error());
    for (VkImage image : out.images) {
        auto view_info = vk_struct<VkImageViewCreateInfo>(VK_STRUCTURE_TYPE_IMAGE_VIEW_CREATE_INFO);
        view_info.image = image;
        view_info.viewType = VK_IMAGE_VIEW_TYPE_2D;
        view_info.format = format.format;
        view_info.subresourceRange = {VK_IMAGE_ASPECT_COLOR_BIT, 0, 1, 0, 1};
        VkImageView view = VK_NULL_HANDLE;
        if (auto r = device.check(vkCreateImageView(device.get(), &view_info, nullptr, &view), "vkCreateImageView (swapchain)"); !r)
            return std::unexpected(r.error());
        out.views.push_back(device.own(view, vkDestroyImageView));
        auto fb_info = vk_struct<VkFramebufferCreateInfo>(VK_STRUCTURE_TYPE_FRAMEBUFFER_CREATE_INFO);
        fb_info.renderPass = render_pass;
        fb_info.attachmentCount = 1;
        fb_info.pAttachments = &view;
        fb_info.width = out.extent.width;
        fb_info.height = out.extent.height;
        fb_info.layers = 1;
        VkFramebuffer fb = VK_NULL_HANDLE;
        if (auto r = device.check(vkCreateFramebuffer(device.get(), &fb_info, nullptr, &fb), "vkCreateFramebuffer (swapchain)"); !r)
            return std::unexpected(r.error());
        out.framebuffers.push_back(device.own(fb, vkDestroyFramebuffer));
        auto sem_info = vk_struct<VkSemaphoreCreateInfo>(VK_STRUCTURE_TYPE_SEMAPHORE_CREATE_INFO);
        VkSemaphore sem = VK_NULL_HANDLE;
        if (auto r = device.check(vkCreateSemaphore(device.get(), &sem_info, nullptr, &sem), "vkCreateSemaphore"); !r) return std::unexpected(r.error());
        out.render_finished.push_back(device.own(sem, vkDestroySemaphore));
    }
    return out;
}

struct FrameSlot {
    VkCommandBuffer cmd = VK_NULL_HANDLE;  // freed with the pool
    DeviceObject<VkFence> done;
    DeviceObject<VkSemaphore> image_available;
    uint64_t serial = 0;  // the frame last submitted from this slot
};

}  // namespace

Result<void> run_window(GuiApp& app, const HostOptions& options) {
    if (!options.title.starts_with("Stemforge")) return fail(ErrorCode::InvalidArgument, "window title \"" + options.title + "\" must start with \"Stemforge\"");
    const char* display = std::getenv("DISPLAY");
    const char* wayland = std::getenv("WAYLAND_DISPLAY");
    if ((!display || !*display) && (!wayland || !*wayland))
        return fail(ErrorCode::NotSupported, "no display: $DISPLAY is not set (run under X11, or use --screenshot for output without a window)");

    glfw_last_error().clear();
    GlfwSession glfw;
    if (!glfw.ok())
        return fail(ErrorCode::NotSupported, "cannot open the display $DISPLAY=\"" + std::string(display ? display : "") + "\": " + glfw_last_error());
    if (!glfwVulkanSupported()) return fail(ErrorCode::Device, "GLFW finds no Vulkan loader or no window-system support in it (" + glfw_last_error() + ")");
    uint32_t extension_count = 0;
    const char** extensions = glfwGetRequiredInstanceExtensions(&extension_count);
    if (!extensions) return fail(ErrorCode::Device, "Vulkan cannot present to this window system (" + glfw_last_error() + ")");

    // Declaration order is destruction order reversed: window-system and device objects first, the instance last.
    auto instance = VulkanInstance::create({extensions, extension_count});
    if (!instance) return std::unexpected(instance.error());

    float monitor_scale = 1.0f;
    if (GLFWmonitor* monitor = glfwGetPrimaryMonitor()) {
        float xs = 1.0f, ys = 1.0f;
        glfwGetMonitorContentScale(monitor, &xs, &ys);
        if (xs > 0.0f) monitor_scale = xs;
    }
    glfwWindowHint(GLFW_CLIENT_API, GLFW_NO_API);
    glfwWindowHint(GLFW_RESIZABLE, GLFW_TRUE);
    const float initial_scale = monitor_scale * (options.scale > 0.0f ? options.scale : 1.0f);
    GlfwWindow window;
    window.handle = glfwCreateWindow(static_cast<int>(std::lround(options.width * initial_scale)),
                                     static_cast<int>(std::lround(options.height * initial_scale)), options.title.c_str(), nullptr, nullptr);
    if (!window.handle) return fail(ErrorCode::NotSupported, "cannot create the window: " + glfw_last_error());
    // The window's own content scale: the monitor it actually opened on.
    float window_scale = monitor_scale;
    {
        float xs = 0.0f, ys = 0.0f;
        glfwGetWindowContentScale(window.handle, &xs, &ys);
        if (xs > 0.0f) window_scale = xs;
    }
    const float scale = window_scale * (options.scale > 0.0f ? options.scale : 1.0f);

    Surface surface;
    surface.instance = (*instance)->get();
    if (VkResult r = glfwCreateWindowSurface((*instance)->get(), window.handle, nullptr, &surface.handle); r != VK_SUCCESS)
        return std::unexpected(vk_failure(r, "glfwCreateWindowSurface (" + glfw_last_error() + ")"));
    auto device_made = VulkanDevice::create(**instance, surface.handle);
    if (!device_made) return std::unexpected(device_made.error());
    VulkanDevice& device = **device_made;
    const VkDevice dev = device.get();
    struct AbandonOnFault {  // runs before the device's destructor: a faulted device keeps its surface too
        VulkanDevice& device;
        Surface& surface;
        ~AbandonOnFault() { surface.abandon = device.faulted(); }
    } abandon_on_fault{device, surface};

    const VkSurfaceFormatKHR format = choose_format(device.physical(), surface.handle);
    auto render_pass = create_ui_render_pass(device, format.format, VK_IMAGE_LAYOUT_PRESENT_SRC_KHR);
    if (!render_pass) return std::unexpected(render_pass.error());

    auto pool_info = vk_struct<VkCommandPoolCreateInfo>(VK_STRUCTURE_TYPE_COMMAND_POOL_CREATE_INFO);
    pool_info.flags = VK_COMMAND_POOL_CREATE_RESET_COMMAND_BUFFER_BIT;
    pool_info.queueFamilyIndex = device.queue_family();
    VkCommandPool pool_handle = VK_NULL_HANDLE;
    if (auto r = device.check(vkCreateCommandPool(dev, &pool_info, nullptr, &pool_handle), "vkCreateCommandPool"); !r) return r;
    auto command_pool = device.own(pool_handle, vkDestroyCommandPool);
    std::array<FrameSlot, kFramesInFlight> slots;
    for (FrameSlot& slot : slots) {
        auto cmd_info = vk_struct<VkCommandBufferAllocateInfo>(VK_STRUCTURE_TYPE_COMMAND_BUFFER_ALLOCATE_INFO);
        cmd_info.commandPool = command_pool.get();
        cmd_info.level = VK_COMMAND_BUFFER_LEVEL_PRIMARY;
        cmd_info.commandBufferCount = 1;
        if (auto r = device.check(vkAllocateCommandBuffers(dev, &cmd_info, &slot.cmd), "vkAllocateCommandBuffers"); !r) return r;
        auto fence_info = vk_struct<VkFenceCreateInfo>(VK_STRUCTURE_TYPE_FENCE_CREATE_INFO);
        fence_info.flags = VK_FENCE_CREATE_SIGNALED_BIT;  // the first wait on each slot passes
        VkFence fence = VK_NULL_HANDLE;
        if (auto r = device.check(vkCreateFence(dev, &fence_info, nullptr, &fence), "vkCreateFence"); !r) return r;
        slot.done = device.own(fence, vkDestroyFence);
        auto sem_info = vk_struct<VkSemaphoreCreateInfo>(VK_STRUCTURE_TYPE_SEMAPHORE_CREATE_INFO);
        VkSemaphore sem = VK_NULL_HANDLE;
        if (auto r = device.check(vkCreateSemaphore(dev, &sem_info, nullptr, &sem), "vkCreateSemaphore"); !r) return r;
        slot.image_available = device.own(sem, vkDestroySemaphore);
    }
    // Every exit and every swapchain rebuild waits (bounded) for the queue
    // first. The slots' fences cover the command buffers, but a present that
    // waits on a render_finished semaphore is a queue operation with no fence
    // of its own: an empty submission's fence signals after everything queued
    // before it, presents included (vkQueueWaitIdle would, without a bound).
    auto drain_info = vk_struct<VkFenceCreateInfo>(VK_STRUCTURE_TYPE_FENCE_CREATE_INFO);
    VkFence drain_handle = VK_NULL_HANDLE;
    if (auto r = device.check(vkCreateFence(dev, &drain_info, nullptr, &drain_handle), "vkCreateFence"); !r) return r;
    auto drain = device.own(drain_handle, vkDestroyFence);
    auto wait_all = [&]() -> Result<void> {
        if (device.faulted()) return fail(ErrorCode::Device, "the GPU stopped answering earlier");
        if (auto r = device.check(vkResetFences(dev, 1, drain.ptr()), "vkResetFences"); !r) return r;
        if (auto r = device.check(vkQueueSubmit(device.queue(), 0, nullptr, drain.get()), "vkQueueSubmit (drain)"); !r) return r;
        std::array<VkFence, kFramesInFlight + 1> fences{};
        for (size_t i = 0; i < slots.size(); ++i) fences[i] = slots[i].done.get();
        fences[kFramesInFlight] = drain.get();
        return device.wait(fences, "window frames in flight");
    };
    struct WaitOnExit {
        decltype(wait_all)& wait;
        ~WaitOnExit() { (void)wait(); }  // a failure faults the device, whose objects are then abandoned, not freed while in use
    };

    auto renderer_made = UiRenderer::create(device, render_pass->get(), kFramesInFlight);
    if (!renderer_made) return std::unexpected(renderer_made.error());
    UiRenderer& renderer = **renderer_made;

    auto swapchain = create_swapchain(device, window.handle, surface.handle, format, render_pass->get(), VK_NULL_HANDLE);
    if (!swapchain) return std::unexpected(swapchain.error());
    FrameStats stats;
    stats.add_swapchain_build();
    WaitOnExit wait_on_exit{wait_all};  // declared after everything the frames use: runs before they are destroyed

    ImGuiScope imgui;
    if (auto r = configure_imgui(scale, options.font_px); !r) return r;
    glfwSetCursorPosCallback(window.handle, count_cursor);
    glfwSetMouseButtonCallback(window.handle, count_button);
    glfwSetScrollCallback(window.handle, count_scroll);
    glfwSetKeyCallback(window.handle, count_key);
    glfwSetCharCallback(window.handle, count_char);
    glfwSetWindowFocusCallback(window.handle, count_focus);
    glfwSetCursorEnterCallback(window.handle, count_enter);
    glfwSetFramebufferSizeCallback(window.handle, count_size);
    GlfwImGui glfw_imgui;
    glfw_imgui.initialised = ImGui_ImplGlfw_InitForVulkan(window.handle, true);
    if (!glfw_imgui.initialised) return fail(ErrorCode::Internal, "ImGui's GLFW backend did not start");

    FrameInfo info;
    info.scale = scale;
    uint64_t serial = 0, completed = 0;
    uint64_t seen_events = input_events().load();
    int settle = kSettleFrames;
    bool recreate = false;
    std::vector<int> latched_keys;
    key_presses().clear();
    for (;;) {
        if (app.busy() || settle > 0) {
            glfwWaitEventsTimeout(app.busy() ? kBusyRedrawS : 0.0);
            if (settle > 0) --settle;
        } else {
            glfwWaitEventsTimeout(kIdleRedrawS);
        }
        if (const uint64_t now = input_events().load(); now != seen_events) {
            seen_events = now;
            settle = kSettleFrames;
        }
        if (glfwWindowShouldClose(window.handle)) {
            if (app.on_close_request()) break;
            glfwSetWindowShouldClose(window.handle, GLFW_FALSE);
        }
        if (recreate || swapchain->extent.width == 0) {
            if (auto r = wait_all(); !r) return r;
            auto rebuilt = create_swapchain(device, window.handle, surface.handle, format, render_pass->get(), swapchain->swapchain.get());
            if (!rebuilt) return std::unexpected(rebuilt.error());
            // The old swapchain goes after its successor exists (as the spec allows), its views and framebuffers before it.
            swapchain->framebuffers.clear();
            swapchain->views.clear();
            *swapchain = std::move(*rebuilt);
            stats.add_swapchain_build();
            recreate = false;
            if (swapchain->extent.width == 0) continue;  // minimised: nothing to draw into
        }

        const auto started = std::chrono::steady_clock::now();
        const auto slot_index = static_cast<int>(serial % kFramesInFlight);
        FrameSlot& slot = slots[static_cast<size_t>(slot_index)];
        if (auto r = device.wait({slot.done.ptr(), 1}, "window frame"); !r) return r;
        completed = std::max(completed, slot.serial);
        ++serial;
        slot.serial = serial;
        if (auto r = device.check(vkResetCommandBuffer(slot.cmd, 0), "vkResetCommandBuffer"); !r) return r;
        auto begin = vk_struct<VkCommandBufferBeginInfo>(VK_STRUCTURE_TYPE_COMMAND_BUFFER_BEGIN_INFO);
        begin.flags = VK_COMMAND_BUFFER_USAGE_ONE_TIME_SUBMIT_BIT;
        if (auto r = device.check(vkBeginCommandBuffer(slot.cmd, &begin), "vkBeginCommandBuffer"); !r) return r;
        renderer.begin_frame(slot_index, serial, completed, slot.cmd);
        if (serial == 1)
            if (auto r = renderer.upload_fonts(); !r) return r;

        ImGui_ImplGlfw_NewFrame();
        press_latch_apply(window.handle, latched_keys);
        ImGui::NewFrame();
        app.frame(info, renderer);
        ImGui::Render();
        if (auto e = renderer.take_error()) return std::unexpected(*e);

        uint32_t image_index = 0;
        const VkResult acquired = vkAcquireNextImageKHR(dev, swapchain->swapchain.get(), device.life().fence_timeout_ns(), slot.image_available.get(), VK_NULL_HANDLE, &image_index);
        const bool have_image = acquired == VK_SUCCESS || acquired == VK_SUBOPTIMAL_KHR;
        if (!have_image && acquired != VK_ERROR_OUT_OF_DATE_KHR) {
            if (acquired == VK_TIMEOUT) device.life().record_fault(acquired);
            return std::unexpected(vk_failure(acquired, "vkAcquireNextImageKHR"));
        }
        if (have_image) {
            auto pass_begin = vk_struct<VkRenderPassBeginInfo>(VK_STRUCTURE_TYPE_RENDER_PASS_BEGIN_INFO);
            pass_begin.renderPass = render_pass->get();
            pass_begin.framebuffer = swapchain->framebuffers[image_index].get();
            pass_begin.renderArea = {{0, 0}, swapchain->extent};
            const VkClearValue clear{kClearColor};
            pass_begin.clearValueCount = 1;
            pass_begin.pClearValues = &clear;
            vkCmdBeginRenderPass(slot.cmd, &pass_begin, VK_SUBPASS_CONTENTS_INLINE);
            const auto drawn = renderer.draw(*ImGui::GetDrawData(), slot.cmd, swapchain->extent);
            vkCmdEndRenderPass(slot.cmd);
            if (!drawn) return drawn;
        }
        if (auto r = device.check(vkEndCommandBuffer(slot.cmd), "vkEndCommandBuffer"); !r) return r;
        // Submitted even without an image: the texture uploads recorded this frame must happen.
        const VkPipelineStageFlags wait_stage = VK_PIPELINE_STAGE_COLOR_ATTACHMENT_OUTPUT_BIT;
        auto submit = vk_struct<VkSubmitInfo>(VK_STRUCTURE_TYPE_SUBMIT_INFO);
        submit.commandBufferCount = 1;
        submit.pCommandBuffers = &slot.cmd;
        if (have_image) {
            submit.waitSemaphoreCount = 1;
            submit.pWaitSemaphores = slot.image_available.ptr();
            submit.pWaitDstStageMask = &wait_stage;
            submit.signalSemaphoreCount = 1;
            submit.pSignalSemaphores = swapchain->render_finished[image_index].ptr();
        }
        if (auto r = device.check(vkResetFences(dev, 1, slot.done.ptr()), "vkResetFences"); !r) return r;
        if (auto r = device.check(vkQueueSubmit(device.queue(), 1, &submit, slot.done.get()), "vkQueueSubmit"); !r) return r;
        if (have_image) {
            auto present = vk_struct<VkPresentInfoKHR>(VK_STRUCTURE_TYPE_PRESENT_INFO_KHR);
            present.waitSemaphoreCount = 1;
            present.pWaitSemaphores = swapchain->render_finished[image_index].ptr();
            present.swapchainCount = 1;
            present.pSwapchains = swapchain->swapchain.ptr();
            present.pImageIndices = &image_index;
            const VkResult presented = vkQueuePresentKHR(device.queue(), &present);
            if (presented == VK_ERROR_OUT_OF_DATE_KHR || presented == VK_SUBOPTIMAL_KHR) recreate = true;
            else if (auto r = device.check(presented, "vkQueuePresentKHR"); !r) return r;
        }
        if (acquired != VK_SUCCESS) recreate = true;  // out of date or suboptimal: rebuild before the next frame
        int fb_w = 0, fb_h = 0;
        glfwGetFramebufferSize(window.handle, &fb_w, &fb_h);
        if (static_cast<uint32_t>(fb_w) != swapchain->extent.width || static_cast<uint32_t>(fb_h) != swapchain->extent.height) recreate = true;

        info.frame_time_s = std::chrono::duration<double>(std::chrono::steady_clock::now() - started).count();
        stats.add(info.frame_time_s);
        if (app.wants_quit()) break;
    }
    stats.publish();
    return wait_all();
}

}  // namespace sf::gui
