// Stemforge workstation — what is open and what is running, as plain C++.
//
// The Workstation is the model the views draw and the commands change; it
// knows no ImGui and no window, so tests drive it directly. Everything slow
// (loading a session, rendering, analysing a file, comparing two) runs as a
// Job; poll() once per frame moves finished jobs' results into the state.
// All measurement comes from analysis/, every render from the engine through
// render_with_fallback (the CLI's own path, so the files are bit-identical).
#pragma once

#include <chrono>
#include <filesystem>
#include <map>
#include <memory>
#include <optional>
#include <string>
#include <string_view>
#include <vector>

#include "analysis/analyze.h"
#include "analysis/compare.h"
#include "app/gui/jobs.h"
#include "app/gui/playback.h"
#include "app/edit_preview.h"
#include "engine/render/renderer.h"
#include "engine/session/session.h"

namespace sf::gui {

// The views of the contract (DESIGN.md "Workstation"), in tab order.
enum class View { Session, Mixer, Render, Loudness, Spectrum, Spectrogram, Stereo, Compare };
inline constexpr View kAllViews[] = {View::Session, View::Mixer,       View::Render, View::Loudness,
                                     View::Spectrum, View::Spectrogram, View::Stereo, View::Compare};
const char* view_name(View view);                       // "session", "mixer", ...
std::optional<View> view_from_name(std::string_view name);

enum class SourceKind { Master, Stem, File };

// Audio the views can show: the render's outputs, the session's stems, files
// opened on their own. Analysed once, on a worker, when first needed.
struct Source {
    std::string label;                 // "master", "kick", the file name
    std::filesystem::path file;
    SourceKind kind = SourceKind::File;
    bool shown = true;                 // drawn in the overlay views (spectrum, loudness)
    std::shared_ptr<Job> job;          // the analysis, while it runs
    std::shared_ptr<const analysis::FileAnalysis> analysis;
    std::string error;                 // the analysis failed (the message)
    int channels = 0;                  // a stem's file, from its header when added (0: unreadable)
};

struct OpenSession {
    std::filesystem::path file;
    std::optional<Session> session;    // empty when it failed to load
    std::vector<std::string> errors;   // every problem found, each naming its JSON path
};

struct RenderRun {
    std::string backend = "auto";      // what was asked for: auto, cpu, gpu
    std::shared_ptr<Job> job;
    std::optional<RenderResult> result;  // the last successful render
    std::string error;                   // the last render's failure (or "cancelled")
};

// Fast feedback: the render on edit and the render selection. Both render
// the open session as `render -o` into the private folder through the
// session's RenderCache and measure the master on the way (app/edit_preview.h);
// the file becomes the source "master (preview)" / "selection".
struct PreviewRun {
    std::shared_ptr<Job> job;          // while one runs
    bool selection = false;            // the running (or last) one is a render selection
    // The last finished one:
    std::optional<LoudnessStats> meters;
    std::optional<RegionResult> region;  // a selection's frames (and where its pre-roll started)
    double edit_to_meter_s = -1.0;     // from the edit that started it to its meters in the UI (-1: not from an edit)
    double render_s = 0.0;
    RenderCache::Stats cache;          // what the cache gave that render
    size_t stems_cached = 0, stems = 0;  // stem signals from the cache, of those looked up
    std::filesystem::path file;
    std::string error;                 // the last one's failure (or "cancelled")
    size_t finished = 0;               // previews finished so far (tests wait on it)
};

struct CompareRun {
    std::optional<size_t> a, b;        // indices into sources()
    std::shared_ptr<Job> job;
    std::shared_ptr<const analysis::CompareResult> result;
    std::string error;
};

// One time axis for every time view: a visible window, a cursor (hover or
// play position) and a selection (for looped playback, region checks).
struct TimeAxis {
    double view_start_s = 0.0, view_end_s = 0.0;  // end <= start: the whole duration
    std::optional<double> cursor_s;
    std::optional<std::pair<double, double>> selection_s;
    std::optional<double> play_s;      // the play cursor, while something plays
};

// View settings (one plain struct, as Tracy keeps its persisted settings).
struct ViewSettings {
    View view = View::Session;
    int spectrum_smoothing_n = 6;      // 1/N octave (0 = none)
    bool spectrum_peak_hold = false;
    bool spectrum_side = false;        // also draw the side spectrum (stereo sources)
    double loudness_target_lufs = -14.0;   // the line on the loudness graph (the session's target when it has one)
    double ceiling_dbtp = -1.0;
    std::optional<size_t> selected_source; // the one the single-source views show (loudness numbers, spectrogram, stereo)
    size_t compare_a = 0, compare_b = 1;    // the pair the compare view offers
    // The residual peak a comparison passes under: the loosest stage bound of
    // the GPU/CPU parity tests on a master (docs/gpu.md); editable.
    double compare_bound_dbfs = -90.0;
    // A/B playback plays both at the loudness of the quieter (each at
    // min(I_a, I_b) − I), so the louder one does not win by loudness.
    bool ab_loudness_match = true;
    std::string eq_target;      // the strip whose insert is open in the mixer: "stems[3]", "buses[0]", "master"; empty: none
    std::string insert_kind = "eq";  // which insert: "eq", "compressor", "automation", "master"
    std::optional<size_t> eq_band;  // the selected band of the EQ at eq_band_path
    std::string eq_band_path;       // "stems[3].eq", "stems[3].compressor.sidechain_eq"
    std::string fx_target;          // the strip whose FX window is open: "stems[3]", "buses[0]"; empty: none
    std::string automation_lane = "gain_db";  // the lane the automation panel edits: gain_db, pan, width, send_db.<bus>
    // Render on edit: an edit (or undo/redo) that stays untouched this long
    // renders the preview (a newer edit cancels the running one), so the
    // master's meters follow without a keypress. Off for --exec / --screenshot.
    bool render_on_edit = true;
    double render_on_edit_delay_s = 0.3;
};

class Workstation {
public:
    Workstation();
    ~Workstation();
    Workstation(const Workstation&) = delete;
    Workstation& operator=(const Workstation&) = delete;

    // ---- commands -------------------------------------------------------
    // Opens sessions (.json) and audio files. A session replaces the open
    // one (its stems and existing exports become sources); audio files are
    // added. A session that fails validation still opens, with its errors.
    // Errors: a path that does not exist (FileNotFound, naming it).
    Result<void> open(const std::vector<std::filesystem::path>& paths);
    // Renders the open session to its exports on a worker. Errors: no
    // session, a session with errors, a render already running.
    Result<void> render();
    void cancel_render();
    // Renders the selected time range (time().selection_s) through
    // RenderOptions::region into the source "selection", with the pre-roll
    // the engine computes (docs/gui.md, "Render selection"). Errors: no valid
    // session, no selection.
    Result<void> render_selection();
    // The render on edit, now (what tick_render_on_edit starts once an edit
    // settled); a running preview is cancelled first.
    Result<void> render_preview();
    // Once per frame in the window: starts the render on edit when an edit
    // has settled (settings().render_on_edit).
    void tick_render_on_edit();
    const PreviewRun& preview() const { return preview_; }
    // The open session's cache (dropped when another session opens); null
    // before a session is open.
    const RenderCache* render_cache() const { return cache_.get(); }
    // Starts the analysis of a source unless it ran or runs.
    void analyze(size_t source);
    // Compares two sources on a worker (alignment, residual, differences).
    Result<void> compare(size_t a, size_t b);
    // QA of the open session: renders it on the GPU (any Vulkan device,
    // lavapipe included) and on the CPU path into a private temporary
    // folder, adds both as sources ("GPU render", "CPU render") and compares
    // them. Errors: no valid session, a render or comparison running.
    Result<void> compare_backends();
    // The open session's mix without its master chain, rendered like
    // compare_backends' renders and added as the source "pre-master" (for a
    // loudness-matched pre- vs post-master A/B).
    Result<void> render_premaster();
    // A bus as a source: the open session rendered with only what reaches the
    // master through bus `name` (no master chain), added as "[name]". Paths
    // that bypass the bus go to a silent sink bus at the session's lowest
    // gain (−144 dB: below a 24-bit LSB), so the result is the bus's output
    // to within that. Errors: no such bus, a comparison render running.
    Result<void> render_bus(const std::string& name);
    void set_backend(std::string backend) { render_.backend = std::move(backend); }
    // Playback through the system's output (created, and PortAudio started,
    // on first use). Plays source `a` (and `b` for an A/B, loudness-matched
    // when both are measured) from the selection's start, looping the
    // selection when there is one, else from the time cursor or the start.
    // Errors: a bad index, no audio device (the reason), the feed's errors.
    Result<void> play(size_t a, std::optional<size_t> b = std::nullopt);
    void stop_playback();
    void toggle_ab();
    bool playing() const { return playback_ && playback_->playing(); }
    Playback& playback();
    const std::optional<std::pair<size_t, std::optional<size_t>>>& now_playing() const { return now_playing_; }

    // ---- edits (DESIGN.md "Workstation": the command language) -------------
    // One command: `set PATH VALUE`, `add PATH VALUE`, `remove PATH`, `undo`,
    // `redo`, `save [FILE]`, `render`, `quit` (VALUE a JSON literal). Every
    // edit passes the session validator; a refused one changes nothing and
    // returns the validator's message. Returns true for `quit`.
    Result<bool> execute(std::string_view command);
    // "CMD; CMD; ..." in order (a ';' inside a JSON string or brackets does
    // not split). `render` waits for its render here. Stops at the first
    // refused command: the error names it and its position (1-based).
    // Returns true when a `quit` was reached.
    Result<bool> execute_script(std::string_view script);
    // An edited session from a control: replaces the open one as one undo
    // step, or, with `coalesce`, folds into the previous step (a drag).
    void apply_edit(Session edited, bool coalesce);
    Result<void> undo();
    Result<void> redo();
    // Writes the session (to_json) to `file`, or back to its own file; a
    // file in another folder gets its stem and IR paths rewritten relative
    // to it. Staged and committed like every output: an existing file is
    // replaced whole or not at all. Refuses a path that is one of the
    // session's inputs.
    Result<void> save(std::optional<std::filesystem::path> file = std::nullopt);
    bool dirty() const { return dirty_; }

    // Mix snapshots (the UI face of batch variants): up to kMaxSnapshots
    // named copies of the session in memory. Recalling one is an undoable
    // edit; exporting writes it as its own session file (as save does);
    // render_snapshots renders each (as compare_backends does) into a source
    // "snapshot NAME", for a loudness-matched A/B between them.
    struct Snapshot {
        std::string name;
        Session session;
    };
    static constexpr size_t kMaxSnapshots = 8;
    Result<void> store_snapshot(std::string name);   // the same name replaces
    Result<void> recall_snapshot(size_t index);
    void delete_snapshot(size_t index);
    Result<void> export_snapshot(size_t index, const std::filesystem::path& file);
    Result<void> render_snapshots();
    const std::vector<Snapshot>& snapshots() const { return snapshots_; }
    size_t undo_depth() const { return undo_.size(); }
    size_t redo_depth() const { return redo_.size(); }
    static constexpr size_t kUndoLimit = 256;   // steps kept (the contract asks for at least 200)

    // ---- once per frame ---------------------------------------------------
    void poll();
    bool busy() const;        // any job running
    void wait_idle();         // blocks until no job runs (tests, --screenshot; never the UI)
    // Analyses every source, compares the two first ones when asked, and
    // waits: what --screenshot does before it draws.
    void measure_everything_for(View view);

    // ---- state the views draw -------------------------------------------
    const std::optional<OpenSession>& session() const { return session_; }
    const std::vector<Source>& sources() const { return sources_; }
    std::vector<Source>& sources() { return sources_; }
    const RenderRun& render_run() const { return render_; }
    const CompareRun& compare_run() const { return compare_; }
    const std::shared_ptr<Job>& backend_comparison() const { return qa_job_; }  // compare_backends' renders, while they run
    TimeAxis& time() { return time_; }
    const TimeAxis& time() const { return time_; }
    ViewSettings& settings() { return settings_; }
    const ViewSettings& settings() const { return settings_; }
    const std::vector<std::string>& log() const { return log_; }
    void log_line(std::string line);
    // The longest analysed source, for the time axis (0 before any analysis).
    double duration_s() const;
    // The source the single-source views show: the selected one, else the
    // master, else the first.
    std::optional<size_t> focus_source() const;

private:
    void open_session(const std::filesystem::path& file);
    void replace_session(Session edited);   // the edit lands: sources follow the stems
    Result<void> start_preview(std::optional<TimeRegion> region);
    void finish_preview();
    std::shared_ptr<RenderCache> cache_;   // shared with the render jobs that use it
    PreviewRun preview_;
    std::optional<std::chrono::steady_clock::time_point> edit_pending_;  // an edit not yet rendered on edit
    std::optional<std::chrono::steady_clock::time_point> preview_edit_;  // the edit the running preview renders
    std::vector<std::shared_ptr<Job>> retired_;  // cancelled jobs left to stop on their own (never joined on the UI thread)
    std::vector<Session> undo_, redo_;
    std::vector<Snapshot> snapshots_;
    bool dirty_ = false;
    size_t add_source(std::string label, std::filesystem::path file, SourceKind kind);

    std::optional<OpenSession> session_;
    std::vector<Source> sources_;
    RenderRun render_;
    CompareRun compare_;
    TimeAxis time_;
    ViewSettings settings_;
    std::vector<std::string> log_;
    size_t render_log_seen_ = 0;
    // Renders for comparison, into a private temporary folder.
    struct PrivateRender {
        std::string label;          // the source's name
        std::string backend;        // auto, cpu, gpu
        bool without_master = false;
        std::filesystem::path file; // a name in the folder, then the full path
        std::optional<Session> session;  // this session instead of the open one (a snapshot)
    };
    Result<std::filesystem::path> private_dir();
    Result<void> start_private_renders(std::vector<PrivateRender> renders, bool compare_first_two);
    std::vector<PrivateRender> private_renders_;
    bool compare_private_ = false;
    std::unique_ptr<Playback> playback_;
    std::optional<std::pair<size_t, std::optional<size_t>>> now_playing_;  // source indices
    std::filesystem::path qa_dir_;             // compare_backends' renders; removed with the workstation
    std::shared_ptr<Job> qa_job_;   // lines of the running render's log already copied
};

}  // namespace sf::gui
