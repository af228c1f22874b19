// Stemforge workstation — the window: menu, sources, view tabs, log and
// status bar around the views, the contract's shortcuts, and the two ways
// to run it (a window, or one headless screenshot).
#pragma once

#include <filesystem>
#include <optional>
#include <string>
#include <vector>

#include "app/gui/file_dialog.h"
#include "app/gui/platform/host.h"
#include "app/gui/views.h"
#include "app/gui/workstation.h"

namespace sf::gui {

// Key codes as the host hands them to ImGui (GLFW's: letters are their
// upper-case ASCII codes).
inline constexpr int kKeySpace = 32;
inline constexpr int kKeyB = 'B', kKeyK = 'K', kKeyO = 'O', kKeyQ = 'Q', kKeyR = 'R', kKeyS = 'S', kKeyY = 'Y', kKeyZ = 'Z';
inline constexpr int kKeyF1 = 290;

class WorkstationApp final : public GuiApp {
public:
    explicit WorkstationApp(Workstation& ws);
    void frame(const FrameInfo& info, Textures& textures) override;
    bool wants_quit() const override { return quit_; }
    bool busy() const override { return ws_.busy(); }

    // Shows `view` (its tab selected in the next frame).
    void show(View view);
    void quit() { quit_ = true; }
    float sources_width() const { return sources_w_; }  // logical pixels
    const std::string& device_name() const { return device_; }
    // Where the views' editing controls were drawn in the last frame (tests, screenshot checks).
    const ControlMap& controls() const { return controls_; }
    void set_device_name(std::string name) { device_ = std::move(name); }

private:
    void shortcuts();
    void menu_bar();
    void sources_pane(float scale);
    void status_bar(const FrameInfo& info);
    void shortcut_help();
    void transport(float scale);
    void play_or_stop();
    void command_line(float scale);
    void run_command(const std::string& command);

    Workstation& ws_;
    ImageCache images_;
    EditGrouping edits_;
    ControlMap controls_;
    RecentFiles recent_;
    OpenDialog open_dialog_;
    std::optional<View> select_view_;
    bool quit_ = false;
    bool show_help_ = false;
    bool show_log_ = true;
    bool open_command_line_ = false;
    char command_buf_[1024] = {};
    std::string command_error_;
    std::string device_;
    double last_frame_s_ = 0.0;
    float sources_w_ = 240.0f, log_h_ = 120.0f;  // resizable panes, logical pixels
};

// `stemforge gui [FILE...] [--screenshot OUT.png --view NAME --size WxH --scale S]`
struct GuiLaunch {
    std::vector<std::filesystem::path> files;
    std::optional<std::filesystem::path> screenshot;
    std::string view = "session";
    int width = 1600, height = 1000;
    float scale = 0.0f;            // 0: the monitor's (1 for a screenshot)
    std::string backend = "auto";
    std::string exec;              // --exec "CMD; CMD": run before the screenshot, or instead of the window
};

// Runs the workstation. Errors: a FILE that does not exist, an unknown
// view, no display for a window (NotSupported), Vulkan failures (Device),
// a screenshot that cannot be written (FileWrite).
Result<void> run_workstation(const GuiLaunch& launch);

}  // namespace sf::gui
