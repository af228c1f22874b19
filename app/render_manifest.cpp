#include "app/render_manifest.h"

#ifdef STEMFORGE_HAS_GPU
#include "gpu/gpu_mixer.h"
#endif

namespace sf::cli {

std::map<std::string, std::string> backend_versions(MixBackend& backend) {
#ifdef STEMFORGE_HAS_GPU
    if (auto* gpu = dynamic_cast<gpu::GpuMixer*>(&backend)) {
        const gpu::DeviceInfo& info = gpu->context().info();
        return {{"vulkan_device", info.name + " (" + info.type + ")"}, {"vulkan_api", info.api_version}, {"vulkan_driver", info.driver_version}};
    }
#endif
    (void)backend;
    return {};
}

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
