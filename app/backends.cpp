#include "app/backends.h"

#include "engine/render/cpu_mixer.h"

namespace sf::cli {

Result<std::unique_ptr<MixBackend>> make_backend(const std::string& which, std::string* note) {
    if (which == "cpu") return std::unique_ptr<MixBackend>(std::make_unique<CpuMixer>());
    if (which == "gpu") return fail(ErrorCode::NotSupported, "not supported yet: --backend gpu (the Vulkan backend is not built into this binary)");
    if (note) *note = "";
    return std::unique_ptr<MixBackend>(std::make_unique<CpuMixer>());  // auto: no GPU backend yet
}

Result<std::unique_ptr<MixBackend>> make_verify_backend(const MixBackend& /*primary*/) {
    return fail(ErrorCode::NotSupported, "not supported yet: --verify (needs the Vulkan backend)");
}

}  // namespace sf::cli
