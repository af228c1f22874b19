// Stemforge workstation — the views. Each draws the Workstation's state
// into the current ImGui window and issues commands on it; none measures or
// computes audio (that is analysis/'s job, run on the workstation's jobs).
// One function per view, one file per family (view_*.cpp), registered in
// draw_view() (ImHex keeps its views the same way).
#pragma once

#include <map>
#include <optional>
#include <string>

#include <nlohmann/json.hpp>

#include "app/gui/controls.h"
#include "app/gui/platform/host.h"
#include "app/gui/workstation.h"

namespace sf::gui {

// Images the views build from analysis results (the spectrogram), cached
// per source file and rebuilt when the analysis changes.
struct ImageCache {
    struct Entry {
        const analysis::FileAnalysis* from = nullptr;  // the analysis it was built from
        Image image;
    };
    std::map<std::string, Entry> spectrograms;
    uint64_t next_version = 1;
};

// Which control made the last edit, so that a drag folds into one undo step;
// and the last edit the validator refused, shown beside the controls of its
// path until an edit lands (a refusal is shown, never hidden).
struct EditGrouping {
    ImGuiID last_control = 0;
    struct Refusal {
        std::string path;      // the edit's path, e.g. "stems[0].compressor.sidechain"
        std::string message;   // the validator's message (it names the JSON path)
    };
    std::optional<Refusal> refused;
};

// An edit a view asks for while drawing; applied after it drew (an edit
// replaces the session the view is reading).
struct ViewEdit {
    enum class Op { Set, Add, Remove } op = Op::Set;
    std::string path;
    nlohmann::json value;
    ImGuiID control = 0;   // the control that made it (drags fold into one undo step); 0: a click
};

struct ViewContext {
    Workstation& ws;
    Textures& textures;
    ImageCache& images;
    FrameInfo frame;
    EditGrouping& edits;
    ControlMap& controls;
};

void draw_view(View view, ViewContext& ctx);
// Validates and applies `edits` in order (a refused one is logged, kept in
// ctx.edits.refused and skipped).
void apply_view_edits(ViewContext& ctx, const std::vector<ViewEdit>& edits);
// The validator's message for the last refused edit whose path starts with
// `path_prefix`, in red, on its own line; nothing when there is none.
void draw_refusal(const ViewContext& ctx, const std::string& path_prefix);
// The EQ editor of the EQ block at `eq_path` ("stems[3].eq", "buses[0].eq",
// "master.eq", "stems[3].compressor.sidechain_eq"), drawn in the current
// window's remaining space; queues its edits. An absent block is created by
// its first edit.
void draw_eq_editor(ViewContext& ctx, const std::string& eq_path, std::vector<ViewEdit>& edits);
// The compressor panel of the strip at `prefix` ("stems[3]", "buses[0]"): its
// parameters and static curve (engine/dsp/compressor.h's definition), the
// sidechain source and the sidechain EQ (edited with draw_eq_editor).
void draw_compressor_panel(ViewContext& ctx, const std::string& prefix, std::vector<ViewEdit>& edits);
// The FX panel of the strip at `prefix` ("stems[3]", "buses[0]"): a window
// beside the strip's FX button (`anchor`, screen pixels) with the chorus and,
// on buses, the delay (each added / removed, every key). Returns false when
// the user closed it.
bool draw_fx_panel(ViewContext& ctx, const std::string& prefix, ImVec2 anchor, std::vector<ViewEdit>& edits);
// The automation lanes of the stem or bus at `prefix` ("stems[3]",
// "buses[0]"): a lane selector (stems: gain_db, pan, width, send_db.<bus> per
// send; buses: gain_db, width) and the chosen lane's breakpoints in its unit.
void draw_automation_lane(ViewContext& ctx, const std::string& prefix, std::vector<ViewEdit>& edits);
// The master section: preset, target, limiter, width / mono below / balance, multiband.
void draw_master_panel(ViewContext& ctx, std::vector<ViewEdit>& edits);

void draw_session_view(ViewContext& ctx);
void draw_mixer_view(ViewContext& ctx);
void draw_render_view(ViewContext& ctx);
void draw_loudness_view(ViewContext& ctx);
void draw_spectrum_view(ViewContext& ctx);
void draw_spectrogram_view(ViewContext& ctx);
void draw_stereo_view(ViewContext& ctx);
void draw_compare_view(ViewContext& ctx);

// Shared by the views: "-14.0 LUFS", "-inf dBTP" (one decimal, as the
// contract prints them); a short status line for a source still measuring.
std::string fmt_level(std::optional<double> value, const char* unit, int decimals = 1);
std::string fmt_linear_db(double linear, const char* unit, int decimals = 1);  // 20·log10, "-inf" for 0
// Draws "measuring…" / the error / "open a file" when the source has no
// analysis yet; true when the caller can draw the analysis.
bool source_ready(const Workstation& ws, std::optional<size_t> index);
// The visible time window of the shared axis (the whole duration when unset).
std::pair<double, double> visible_time(const Workstation& ws);
// Zoom (wheel) and scroll (drag) of the shared time axis over a plot; the
// cursor follows the mouse.
// Shift+drag selects a stretch (played in a loop).
void handle_time_axis_input(Workstation& ws, bool hovered, double mouse_time_s, float plot_width_px);
// The shared axis' marks on a time plot: the selection, the hover cursor, the play cursor.
class Plot;
void draw_time_overlays(Plot& plot, const Workstation& ws);

}  // namespace sf::gui
