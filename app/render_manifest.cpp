#include "app/render_manifest.h"

#include "app/backends.h"

namespace sf::cli {

ManifestContext render_manifest_context(const RenderArgs& args, MixBackend& backend) {
    ManifestContext c;
    c.backend = backend.name();
    c.device = backend.device();
    c.extra_versions = backend_versions(backend);
    if (!args.output.empty()) c.output_override = args.output;
    c.backend_requested = args.backend;
    if (args.threads > 0) c.threads = args.threads;
    return c;
}

}  // namespace sf::cli
