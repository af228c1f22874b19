// Stemforge workstation — the platform under the views: a Vulkan device, a
// GLFW window or an offscreen target, Dear ImGui's frame loop and the
// project's own ImGui renderer (ImDrawData → vertex/index buffers → one
// pipeline, a descriptor set per texture), so that views can show images
// (the spectrogram) that Debian's imgui 1.86 Vulkan backend cannot.
//
// The app knows ImGui and this header only: no Vulkan, no GLFW. A GuiApp
// builds one frame of ImGui calls from its state; the host owns everything
// else. Keys reach ImGui as GLFW key codes in io.KeysDown (letters are their
// upper-case ASCII codes, as GLFW defines them), in the window and in tests.
#pragma once

#include <cstdint>
#include <filesystem>
#include <string>
#include <vector>

#include <imgui.h>

#include "engine/core/error.h"

namespace sf::gui {

// An RGBA8 image the app wants drawn (e.g. a spectrogram). The host uploads
// it on first use and again whenever `version` changes; pixels are row-major,
// top row first, one uint32_t per pixel (R in the low byte).
struct Image {
    int width = 0, height = 0;
    std::vector<uint32_t> rgba;
    uint64_t version = 0;
};

// Valid during GuiApp::frame only.
class Textures {
public:
    virtual ~Textures() = default;
    // The texture of `image` for ImGui::Image / ImDrawList::AddImage in this
    // frame. `key` identifies the texture across frames (one per image slot;
    // keep them few: about 250 textures can be alive at once). A replaced
    // texture is freed only after the frames in flight that drew it finish.
    virtual ImTextureID get(uint64_t key, const Image& image) = 0;
};

struct FrameInfo {
    float scale = 1.0f;          // UI scale (DPI × --scale)
    bool offscreen = false;      // a --screenshot frame: no window, no input
    double frame_time_s = 0.0;   // the previous frame's CPU+GPU time (0 in the first)
};

class GuiApp {
public:
    virtual ~GuiApp() = default;
    // One frame of ImGui calls between the host's NewFrame and Render.
    virtual void frame(const FrameInfo& info, Textures& textures) = 0;
    // The window closes after the frame in which this turned true.
    virtual bool wants_quit() const = 0;
    // True while background work runs: the window redraws at 30 Hz instead
    // of waiting for input.
    virtual bool busy() const { return false; }
    // The window's close button: return false to keep it open (e.g. to ask).
    virtual bool on_close_request() { return true; }
};

// Fonts (both loaded by the host, baked at font_px × scale pixels):
//   io.Fonts->Fonts[0] (kUiFont)   DejaVu Sans, the default font
//   io.Fonts->Fonts[1] (kMonoFont) DejaVu Sans Mono, for figures and logs: ImGui::PushFont(mono_font())
// ImGui works in framebuffer pixels: style sizes are already multiplied by
// FrameInfo::scale (ScaleAllSizes); the app multiplies its own sizes by it.
inline constexpr int kUiFont = 0;
inline constexpr int kMonoFont = 1;
inline ImFont* mono_font() { return ImGui::GetIO().Fonts->Fonts[kMonoFont]; }  // valid inside GuiApp::frame

struct HostOptions {
    std::string title = "Stemforge";  // the window title; run_window refuses one that does not start with "Stemforge"
    int width = 1600, height = 1000;  // logical pixels; the screenshot's size is width × scale by height × scale
    float scale = 0.0f;               // 0: the monitor's content scale (1 offscreen); else as given (--scale),
                                      // times the monitor's content scale in a window (so --scale is relative on HiDPI)
    float font_px = 15.0f;            // DejaVu Sans at scale 1; below 15 is raised to 15 (figures stay readable, also by tesseract)
};

// Measured by the last run_window / render_screenshot of this process (0 before).
struct HostStats {
    int frames = 0;                   // frames drawn
    double mean_frame_time_s = 0.0;   // over the frames after the first (the first compiles shaders, uploads the fonts)
    double last_frame_time_s = 0.0;
    int swapchain_builds = 0;         // run_window only: the first swapchain plus one per rebuild (resize, out of date)
};
HostStats last_host_stats();

// Validation-layer warnings and errors (STEMFORGE_VK_VALIDATION=1) captured
// since the last clear, oldest first; tests fail on any. Thread-safe.
std::vector<std::string> validation_messages();
void clear_validation_messages();

// Which Vulkan device draws: a hardware GPU when there is one, else lavapipe.
struct HostDevice {
    std::string name;
    bool software = false;
};

// Opens the window and runs frames until the app wants to quit or the
// window is closed. Errors: no display (NotSupported, naming $DISPLAY), no
// Vulkan device / surface (Device).
Result<void> run_window(GuiApp& app, const HostOptions& options);

// No display needed: runs `frames` frames offscreen at width × height ×
// scale pixels (so auto-sized windows settle) and writes the last as an
// RGB(A) PNG of exactly that size. scale 0 means 1.
Result<void> render_screenshot(GuiApp& app, const HostOptions& options, const std::filesystem::path& png, int frames = 3);

// The device run_window / render_screenshot would use (for the status bar),
// without opening a window. Errors: no Vulkan device.
Result<HostDevice> probe_device();

}  // namespace sf::gui
