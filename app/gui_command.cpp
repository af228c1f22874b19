// `stemforge gui [FILE...] [--screenshot OUT.png] [--view NAME] [--size WxH] [--scale S] [--backend B]`
#include <cstdio>
#include <regex>

#include "app/cli.h"

#ifdef STEMFORGE_HAS_GUI
#include "app/gui/workstation_app.h"
#endif

namespace sf::cli {

int run_gui(const GuiArgs& args) {
#ifdef STEMFORGE_HAS_GUI
    gui::GuiLaunch launch;
    launch.files.assign(args.files.begin(), args.files.end());
    if (!args.screenshot.empty()) launch.screenshot = args.screenshot;
    launch.view = args.view;
    launch.scale = static_cast<float>(args.scale);
    launch.backend = args.backend;
    launch.exec = args.exec;
    static const std::regex kSize(R"((\d{2,5})x(\d{2,5}))");
    std::smatch m;
    if (!std::regex_match(args.size, m, kSize))
        return report(Error{ErrorCode::InvalidArgument, "--size: expected WxH, e.g. 1600x1000, got \"" + args.size + "\"", 0});
    launch.width = std::stoi(m[1]);
    launch.height = std::stoi(m[2]);
    if (launch.width < 200 || launch.height < 150 || launch.width > 8192 || launch.height > 8192)
        return report(Error{ErrorCode::InvalidArgument, "--size: " + args.size + " is outside 200x150 .. 8192x8192", 0});
    if (auto r = gui::run_workstation(launch); !r) return report(r.error());
    return 0;
#else
    (void)args;
    return report(Error{ErrorCode::NotSupported, "not supported: gui (this binary was built without the workstation)", 0});
#endif
}

}  // namespace sf::cli
