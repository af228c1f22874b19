// Stemforge CLI — choosing a mix backend (--backend auto|cpu|gpu).
#pragma once

#include <memory>
#include <string>

#include "engine/core/error.h"
#include "engine/render/mix_backend.h"

namespace sf::cli {

// "cpu" always works. "gpu" needs the Vulkan backend and a device (any,
// lavapipe included). "auto" picks a hardware GPU when one exists, else
// the CPU path. `note` receives a line about a fallback, if any.
Result<std::unique_ptr<MixBackend>> make_backend(const std::string& which, std::string* note);

// The other backend, for --verify.
Result<std::unique_ptr<MixBackend>> make_verify_backend(const MixBackend& primary);

}  // namespace sf::cli
