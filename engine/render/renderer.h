// Stemforge — the streaming renderer: decode → mix backend → master → export.
//
// Memory is bounded by the block size, not the song: per block, each stem's
// source is decoded (in parallel), handed to the MixBackend, and the master
// block goes to every export (engine/export/export_sink.h), or, with a master
// block, to a spool for the master step (engine/master/master_chain.h).
// Before any work, an output that is an input (a stem, an IR, the session
// file) or two outputs with one path are refused. Every output is staged in
// one DeliveryTransaction and moved into place only when the whole render
// succeeded; an error or a cancel leaves every existing file untouched.
#pragma once

#include <atomic>
#include <filesystem>
#include <functional>
#include <map>
#include <optional>
#include <string>
#include <vector>

#include "engine/core/error.h"
#include "engine/export/transaction.h"
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
    // Checked per block: a set flag stops the render with cancelled_error()
    // (ErrorCode::Cancelled), every staged and spooled file removed.
    const std::atomic<bool>* cancel = nullptr;
    // The command's transaction, when the caller has more to write with the
    // render's outputs (a manifest): the exports are staged in it and the
    // caller commits. Null: render_session commits its own at the end.
    DeliveryTransaction* transaction = nullptr;
    // Makes the loudness meters of the master step (analysis::make_loudness_probe
    // in the CLI). Required when the session has a loudness target or a BWF
    // export under a master block; the engine has no meter of its own.
    LoudnessProbeFactory loudness_probe;
    // `render --verify`: the master step replays the primary render's gain
    // and working ceiling (master_chain.h, MasterReplay).
    std::optional<master::MasterReplay> master_replay;
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

// Refuses an output that is (or links to) an input of the session, and two
// outputs with one path (InvalidArgument naming both).
Result<void> check_render_outputs(const Session& session, const std::vector<ExportSpec>& exports);

Result<RenderResult> render_session(const Session& session, MixBackend& backend, const RenderOptions& options);

}  // namespace sf
