// Stemforge — the streaming renderer: decode → mix backend → master → export.
//
// Memory is bounded by the block size, not the song: per block, each stem's
// source is decoded (in parallel), handed to the MixBackend, and the master
// block goes to every export writer (resampled when the export rate differs).
// Exports are committed together only when the whole render succeeded.
#pragma once

#include <atomic>
#include <filesystem>
#include <functional>
#include <map>
#include <optional>
#include <string>
#include <vector>

#include "engine/core/error.h"
#include "engine/master/loudness_probe.h"
#include "engine/master/master_chain.h"
#include "engine/render/mix_backend.h"
#include "engine/session/session.h"

namespace sf {

struct RenderOptions {
    // -o: replaces the session's export list with one file (format from its
    // extension, bit depth and dither from the session's first export).
    std::optional<std::filesystem::path> output_override;
    int64_t block_frames = 65536;
    std::function<void(double fraction)> progress;            // 0..1, called per block
    std::function<void(const AudioBuffer& master, int64_t frames)> master_tap;  // the final master, per block
    const std::atomic<bool>* cancel = nullptr;                // checked per block
    // Makes the loudness meters of the master step (analysis::make_loudness_probe
    // in the CLI). Required when the session has a loudness target or a BWF
    // export under a master block; the engine has no meter of its own.
    LoudnessProbeFactory loudness_probe;
};

struct RenderResult {
    std::vector<std::filesystem::path> outputs;
    int sample_rate = 0;
    int64_t frames = 0;           // master length at the session rate
    std::string backend, device;
    std::map<std::string, double> timing_s;   // "open", "decode", "mix", "export", "total", "master_*"
    std::optional<master::MasterReport> master;  // when the session has a master block
};

// The export list a render will write, after applying options.output_override.
std::vector<ExportSpec> effective_exports(const Session& session, const RenderOptions& options);

Result<RenderResult> render_session(const Session& session, MixBackend& backend, const RenderOptions& options);

}  // namespace sf
