// Stemforge CLI — choosing a mix backend (--backend auto|cpu|gpu).
#pragma once

#include <map>
#include <memory>
#include <string>

#include <nlohmann/json.hpp>

#include "engine/core/error.h"
#include "engine/render/mix_backend.h"
#include "engine/render/renderer.h"

namespace sf::cli {

// "cpu" always works. "gpu" needs the Vulkan backend and a device (any,
// lavapipe included; Device error otherwise). "auto" picks a hardware GPU
// when one exists, else the CPU path (quietly when there is no GPU; when a
// GPU exists but cannot be used, `note` gets one line saying why, which the
// caller logs). STEMFORGE_GPU_DEVICE,
// STEMFORGE_GPU_ALLOW_SOFTWARE and STEMFORGE_VK_VALIDATION apply to the GPU.
Result<std::unique_ptr<MixBackend>> make_backend(const std::string& which, std::string* note);

// The other backend, for --verify: the CPU reference for a GPU primary, the
// GPU (any device, lavapipe included) for a CPU primary.
Result<std::unique_ptr<MixBackend>> make_verify_backend(const MixBackend& primary);

// "vulkan_device", "vulkan_api", "vulkan_driver" for the GPU backend (a
// render manifest's extra versions); empty for the CPU path.
std::map<std::string, std::string> backend_versions(MixBackend& backend);

// What a backend measured about its last render, for the render report:
// for the GPU, per-phase GPU time (timestamp queries), bytes moved, device
// memory held, submissions and chunk size; null for the CPU path.
nlohmann::json backend_metrics(const MixBackend& backend);

// One render as `stemforge render` does it (the CLI and the workstation
// share it, so their files are bit-identical): the backend `which`, and
// under "auto" a GPU that fails (Device / DeviceLimit) falls back to the CPU
// path: the failed render's staged files are dropped (options.transaction
// must be set), `before_retry` runs (e.g. to rewind a verify spool) and the
// CPU path renders. `log` gets the notes a user should see.
struct BackendRender {
    RenderResult result;
    std::unique_ptr<MixBackend> backend;   // the one that rendered (metrics, verify)
    bool fell_back = false;
};
Result<BackendRender> render_with_fallback(const std::string& which, const Session& session, const RenderOptions& options,
                                           const std::function<void(const std::string&)>& log,
                                           const std::function<void()>& before_retry = {});

// True once a GPU device of this process faulted and was abandoned rather
// than destroyed (gpu/vk/handles.h): its driver's threads may still run.
bool gpu_device_abandoned();

}  // namespace sf::cli
