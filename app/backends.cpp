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
    // No GPU at all is the normal case on most machines: quietly the CPU path
    // (`stemforge devices` says why). A GPU that exists but fails is logged.
    gpu::ContextOptions options;
    auto survey = gpu::survey_devices(options.with_environment());
    if (!survey || survey->selected < 0) return std::unique_ptr<MixBackend>(std::make_unique<CpuMixer>());
    auto gpu = make_gpu(false);
    if (gpu) return gpu;
    if (note) *note = "GPU unavailable (" + gpu.error().message + "); using the CPU path";
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

nlohmann::json backend_metrics(const MixBackend& backend) {
#ifdef STEMFORGE_HAS_GPU
    if (const auto* gpu = dynamic_cast<const gpu::GpuMixer*>(&backend)) {
        const gpu::GpuMixerStats st = gpu->stats();
        nlohmann::json phases = nlohmann::json::object();
        for (const auto& [phase, s] : st.gpu_time_s) phases[phase] = s;
        return {{"gpu_time_s", phases},
                {"bytes_uploaded", st.bytes_uploaded},
                {"bytes_downloaded", st.bytes_downloaded},
                {"device_bytes", st.device_bytes},
                {"submissions", st.submissions},
                {"chunk_frames", st.chunk_frames}};
    }
#endif
    (void)backend;
    return nullptr;
}

}  // namespace sf::cli
