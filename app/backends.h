// Stemforge CLI — choosing a mix backend (--backend auto|cpu|gpu).
#pragma once

#include <memory>
#include <string>

#include <nlohmann/json.hpp>

#include "engine/core/error.h"
#include "engine/render/mix_backend.h"

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

// What a backend measured about its last render, for the render report:
// for the GPU, per-phase GPU time (timestamp queries), bytes moved, device
// memory held, submissions and chunk size; null for the CPU path.
nlohmann::json backend_metrics(const MixBackend& backend);

}  // namespace sf::cli
