// Stemforge CLI — what `render` records in its manifest beyond the engine's
// view: the GPU's device and driver versions, the command line's options.
#pragma once

#include <map>
#include <string>

#include "app/cli.h"
#include "engine/export/manifest.h"
#include "engine/render/mix_backend.h"

namespace sf::cli {

// The manifest context of a `render` run that rendered on `backend`.
ManifestContext render_manifest_context(const RenderArgs& args, MixBackend& backend);

}  // namespace sf::cli
