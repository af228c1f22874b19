// `stemforge demo [DIR]`: writes the demo session and renders it.
#include <cstdio>

#include "app/cli.h"
#include "app/demo_generator.h"

namespace sf::cli {

int run_demo(const DemoArgs& args) {
    if (!args.json) std::fprintf(stderr, "stemforge: writing the demo session into %s\n", args.dir.c_str());
    DemoOptions options;
    options.duration_s = args.duration_s;
    auto file = write_demo_session(args.dir, options);
    if (!file) return report(file.error());
    RenderArgs render;
    render.session = file->string();
    render.json = args.json;
    return run_render(render);
}

}  // namespace sf::cli
