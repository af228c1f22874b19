// Stemforge CLI — choosing a mix backend (--backend auto|cpu|gpu).
#pragma once

#include <memory>
#include <string>

#include "engine/core/error.h"
#include "engine/render/mix_backend.h"

namespace sf::cli {

// "cpu" always works. "gpu" needs the Vulkan backend and a device (any,
// lavapipe included; Device error otherwise). "auto" picks a hardware GPU
// when one exists, else the CPU path, and then sets `note` to one line
// saying why (the caller logs it). STEMFORGE_GPU_DEVICE,
// STEMFORGE_GPU_ALLOW_SOFTWARE and STEMFORGE_VK_VALIDATION apply to the GPU.
Result<std::unique_ptr<MixBackend>> make_backend(const std::string& which, std::string* note);

// The other backend, for --verify: the CPU reference for a GPU primary, the
// GPU (any device, lavapipe included) for a CPU primary.
Result<std::unique_ptr<MixBackend>> make_verify_backend(const MixBackend& primary);

}  // namespace sf::cli
