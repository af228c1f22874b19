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
#include "engine/render/diagnostics.h"
#include "engine/render/mix_backend.h"
#include "engine/render/region.h"
#include "engine/render/render_cache.h"
#include "engine/session/session.h"

namespace sf {

struct RenderOptions {
    // -o: replaces the session's export list with one file (format from its
    // extension, bit depth and dither from the session's first export).
    std::optional<std::filesystem::path> output_override;
    int64_t block_frames = 65536;
    // 0..1 over the whole render (mix, master passes, delivery rounds),
    // never decreasing; called per block, and with 1 at the end.
    std::function<void(double fraction)> progress;
    // The phase now running ("mix", "master: pre-chain", "master: loudness
    // loop -14.0 LUFS / -1.0 dBTP, pass 2", "master: delivery ..., round 1",
    // "master: checking FILE", ...) and its own fraction 0..1, per block.
    std::function<void(const std::string& phase, double fraction)> phase_progress;
    // The final master at the session rate over the delivered stretch, per
    // block (with a master block: its primary target's limiter output).
    std::function<void(const AudioBuffer& master, int64_t frames)> master_tap;
    // What each export's writer was fed, at the session rate, before SRC and
    // dither, over the delivered stretch (--verify compares every export).
    std::function<void(size_t export_index, const AudioBuffer& block, int64_t frames)> export_tap;
    // render --from/--to, the workstation's "render selection": only this
    // stretch of the timeline is written, equal to the same stretch of a full
    // render (docs/mastering.md, "Region renders"). Out of the timeline, or
    // from >= to: InvalidArgument naming --from / --to.
    std::optional<TimeRegion> region;
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
    // Writes no file: the mix goes to master_tap only, block by block (the
    // album renders its sessions' mixes this way and masters them itself;
    // it hands in a session without a master block).
    bool mix_only = false;
    // Decoded stems, designs and stem signals kept from earlier renders
    // (engine/render/render_cache.h; the workstation keeps one per open
    // session). The render is bit-identical with and without it. Null: none.
    RenderCache* cache = nullptr;
    // `render --json`'s diagnostics (engine/render/diagnostics.h): started
    // and fed, per block, the bus sum into the master step and every stem's
    // contribution over the delivered stretch (the region, or the whole
    // timeline) when the backend has stem taps (MixBackend::set_stem_taps);
    // left unstarted otherwise. The caller calls finish().
    MixDiagnostics* diagnostics = nullptr;
    // `render --verify`: the master step replays the primary render's gain
    // and working ceiling (master_chain.h, MasterReplay).
    std::optional<master::MasterReplay> master_replay;
};

// A region render's frames (session rate).
struct RegionResult {
    int64_t from_frame = 0, to_frame = 0;  // the stretch written (timeline frames)
    int64_t start_frame = 0;               // where the render started (the pre-roll)
    bool whole_timeline = false;           // the mix was rendered from 0 (a loudness target or trim_silence_db)
};

struct RenderResult {
    std::vector<std::filesystem::path> outputs;
    int sample_rate = 0;
    int64_t frames = 0;           // what was delivered, at the session rate (the programme after trims, or the region)
    int64_t timeline_frames = 0;  // the whole timeline at the session rate
    std::vector<master::ExportWritten> exports;  // per export: its file's rate, length and clipped samples
    std::optional<RegionResult> region;
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
