#include "app/backends.h"

#include "engine/render/cpu_mixer.h"

#ifdef STEMFORGE_HAS_GPU
#include "gpu/gpu_mixer.h"
#endif

namespace sf::cli {

namespace {

#ifdef STEMFORGE_HAS_GPU
Result<std::unique_ptr<MixBackend>> make_gpu(bool allow_software) {
    gpu::ContextOptions options;
    options.allow_software = allow_software;
    auto mixer = gpu::GpuMixer::create(options.with_environment());
    if (!mixer) return std::unexpected(mixer.error());
    return std::unique_ptr<MixBackend>(std::move(*mixer));
}
#endif

}  // namespace

Result<std::unique_ptr<MixBackend>> make_backend(const std::string& which, std::string* note) {
    if (note) note->clear();
    if (which == "cpu") return std::unique_ptr<MixBackend>(std::make_unique<CpuMixer>());
#ifdef STEMFORGE_HAS_GPU
    // --backend gpu: any Vulkan device, lavapipe included (it was asked for).
    if (which == "gpu") return make_gpu(true);
    if (which != "auto") return fail(ErrorCode::InvalidArgument, "--backend: expected auto, cpu or gpu, got \"" + which + "\"");
    // auto: a hardware GPU, else the CPU path (lavapipe is slower than the CPU path).
    auto gpu = make_gpu(false);
    if (gpu) return gpu;
    if (note) *note = "no hardware GPU (" + gpu.error().message + "); using the CPU path";
    return std::unique_ptr<MixBackend>(std::make_unique<CpuMixer>());
#else
    if (which == "gpu") return fail(ErrorCode::NotSupported, "not supported: --backend gpu (this binary was built without the Vulkan backend)");
    return std::unique_ptr<MixBackend>(std::make_unique<CpuMixer>());
#endif
}

Result<std::unique_ptr<MixBackend>> make_verify_backend(const MixBackend& primary) {
    if (primary.name() != "cpu") return std::unique_ptr<MixBackend>(std::make_unique<CpuMixer>());
#ifdef STEMFORGE_HAS_GPU
    return make_gpu(true);
#else
    return fail(ErrorCode::NotSupported, "not supported: --verify (this binary was built without the Vulkan backend)");
#endif
}

}  // namespace sf::cli
