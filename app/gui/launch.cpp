// `stemforge gui`: a window, or one headless screenshot of one view.
#include "app/gui/workstation_app.h"

namespace sf::gui {

Result<void> run_workstation(const GuiLaunch& launch) {
    const std::optional<View> view = view_from_name(launch.view);
    if (!view) return fail(ErrorCode::InvalidArgument, "--view: unknown view \"" + launch.view +
                                                           "\" (session, mixer, render, loudness, spectrum, spectrogram, stereo, compare)");
    Workstation ws;
    ws.set_backend(launch.backend);
    // Headless runs do what they are told: their `render` renders, no render on edit.
    if (launch.screenshot || !launch.exec.empty()) ws.settings().render_on_edit = false;
    if (!launch.files.empty())
        if (auto r = ws.open(launch.files); !r) return r;
    if (!launch.exec.empty()) {
        // Edits run with no display; a refused one stops here (exit 3 naming it).
        auto r = ws.execute_script(launch.exec);
        if (!r) return fail(ErrorCode::InvalidArgument, "--exec: " + r.error().message);
        if (*r || !launch.screenshot) return {};  // `quit`, or nothing to show
    }
    WorkstationApp app(ws);
    app.show(*view);
    if (auto dev = probe_device()) app.set_device_name(dev->name + (dev->software ? " (software)" : ""));
    HostOptions options;
    options.width = launch.width;
    options.height = launch.height;
    options.scale = launch.scale;
    std::string title = "Stemforge";
    if (ws.session()) title += " - " + ws.session()->file.filename().string();
    options.title = title;
    if (launch.screenshot) {
        // Everything the view shows is measured before the frame is drawn.
        ws.measure_everything_for(*view);
        if (options.scale <= 0.0f) options.scale = 1.0f;
        return render_screenshot(app, options, *launch.screenshot, 3);
    }
    return run_window(app, options);
}

}  // namespace sf::gui
