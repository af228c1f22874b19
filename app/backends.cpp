#include "app/backends.h"

#include "engine/export/transaction.h"
#include "engine/render/cpu_mixer.h"

#ifdef STEMFORGE_HAS_GPU
#include "gpu/gpu_mixer.h"
#include "gpu/vk/handles.h"
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

Result<BackendRender> render_with_fallback(const std::string& which, const Session& session, const RenderOptions& options,
                                           const std::function<void(const std::string&)>& log,
                                           const std::function<void()>& before_retry) {
    std::string note;
    auto backend = make_backend(which, &note);
    if (!backend) return std::unexpected(backend.error());
    if (!note.empty() && log) log(note);
    auto result = render_session(session, **backend, options);
    if (!result && which == "auto" && (*backend)->name() == "gpu" &&
        (result.error().code == ErrorCode::Device || result.error().code == ErrorCode::DeviceLimit)) {
        // A GPU failure (lost device, out of memory) or a session this device
        // cannot render (no shaderFloat64 for compressors, ...): the CPU path.
        // The failed render committed nothing (its exports were staged only).
        if (log) log("GPU render failed (" + result.error().message + "); rendering on the CPU path");
        if (options.transaction) options.transaction->abandon();
        if (before_retry) before_retry();
        backend = make_backend("cpu", nullptr);
        if (!backend) return std::unexpected(backend.error());
        result = render_session(session, **backend, options);
        if (!result) return std::unexpected(result.error());
        return BackendRender{std::move(*result), std::move(*backend), true};
    }
    if (!result) return std::unexpected(result.error());
    return BackendRender{std::move(*result), std::move(*backend), false};
}

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

bool gpu_device_abandoned() {
#ifdef STEMFORGE_HAS_GPU
    return gpu::abandoned_count() > 0;
#else
    return false;
#endif
}

}  // namespace sf::cli
