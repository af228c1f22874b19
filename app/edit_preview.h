// Stemforge — the render behind fast feedback: what the workstation runs
// after an edit ("render on edit", "render selection") and what
// `stemforge bench edit` times. The session is rendered as `render -o FILE`
// (one file: the first export's format, bit depth and dither) on the chosen
// backend, through a RenderCache, with the master measured on the way (the
// meter values: integrated and maximum short-term loudness, true peak), so
// no second pass over the file is needed before the meters can show it.
#pragma once

#include <atomic>
#include <filesystem>
#include <functional>
#include <optional>
#include <string>

#include "engine/master/loudness_probe.h"
#include "engine/render/renderer.h"

namespace sf::cli {

struct PreviewRequest {
    std::string backend = "cpu";          // auto, cpu, gpu (render_with_fallback)
    std::filesystem::path file;           // the one file written (staged, committed whole)
    RenderCache* cache = nullptr;         // borrowed; null renders without one
    std::optional<TimeRegion> region;     // a selection: only this stretch (RenderOptions::region)
    const std::atomic<bool>* cancel = nullptr;
    std::function<void(double)> progress;
    std::function<void(const std::string&)> log;
};

struct PreviewResult {
    RenderResult render;
    LoudnessStats meters;  // the delivered master (BS.1770-4, true peak included)
};

// Errors: the render's (a cancel: ErrorCode::Cancelled, nothing written).
Result<PreviewResult> render_preview(const Session& session, const PreviewRequest& request);

}  // namespace sf::cli
