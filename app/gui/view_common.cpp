#include <algorithm>
#include <cmath>
#include <cstdio>

#include "app/gui/plot.h"
#include "app/gui/views.h"
#include "engine/session/session_edit.h"

namespace sf::gui {

void draw_view(View view, ViewContext& ctx) {
    switch (view) {
        case View::Session: draw_session_view(ctx); break;
        case View::Mixer: draw_mixer_view(ctx); break;
        case View::Render: draw_render_view(ctx); break;
        case View::Loudness: draw_loudness_view(ctx); break;
        case View::Spectrum: draw_spectrum_view(ctx); break;
        case View::Spectrogram: draw_spectrogram_view(ctx); break;
        case View::Stereo: draw_stereo_view(ctx); break;
        case View::Compare: draw_compare_view(ctx); break;
    }
}

void apply_view_edits(ViewContext& ctx, const std::vector<ViewEdit>& edits) {
    Workstation& ws = ctx.ws;
    for (const ViewEdit& e : edits) {
        if (!ws.session() || !ws.session()->session) return;
        const Session& s = *ws.session()->session;
        Result<Session> edited = e.op == ViewEdit::Op::Set   ? session_set(s, e.path, e.value)
                                 : e.op == ViewEdit::Op::Add ? session_add(s, e.path, e.value)
                                                             : session_remove(s, e.path);
        if (!edited) {
            ws.log_line(edited.error().message);
            ctx.edits.refused = EditGrouping::Refusal{e.path, edited.error().message};
            continue;
        }
        ctx.edits.refused.reset();
        // A drag is one undo step: edits from the control that made the previous one fold into it.
        ws.apply_edit(std::move(*edited), e.control != 0 && e.control == ctx.edits.last_control);
        ctx.edits.last_control = e.control;
    }
    if (!ImGui::IsAnyItemActive()) ctx.edits.last_control = 0;
}

void draw_refusal(const ViewContext& ctx, const std::string& path_prefix) {
    const auto& r = ctx.edits.refused;
    if (!r || r->path.rfind(path_prefix, 0) != 0) return;
    ImGui::PushTextWrapPos(0.0f);
    ImGui::TextColored(ImVec4(1.0f, 0.45f, 0.4f, 1.0f), "refused: %s", r->message.c_str());
    ImGui::PopTextWrapPos();
    ctx.controls.note("refused:" + r->path);
}

std::string fmt_level(std::optional<double> value, const char* unit, int decimals) {
    char buf[48];
    if (!value || !std::isfinite(*value)) {
        std::snprintf(buf, sizeof buf, "-inf %s", unit);
    } else {
        // -0.0 prints as 0.0: a level that rounds to zero has no sign.
        double v = *value;
        if (std::abs(v) < 0.5 * std::pow(10.0, -decimals)) v = 0.0;
        std::snprintf(buf, sizeof buf, "%.*f %s", decimals, v, unit);
    }
    return buf;
}

std::string fmt_linear_db(double linear, const char* unit, int decimals) {
    if (!(linear > 0.0)) return fmt_level(std::nullopt, unit, decimals);
    return fmt_level(20.0 * std::log10(linear), unit, decimals);
}

bool source_ready(const Workstation& ws, std::optional<size_t> index) {
    if (!index || *index >= ws.sources().size()) {
        ImGui::TextDisabled("Nothing to show: open a session (Ctrl+O) and render it (Ctrl+R), or open audio files.");
        return false;
    }
    const Source& s = ws.sources()[*index];
    if (s.analysis) return true;
    if (!s.error.empty()) {
        ImGui::TextColored(ImVec4(1.0f, 0.45f, 0.4f, 1.0f), "%s: %s", s.label.c_str(), s.error.c_str());
    } else if (s.job) {
        ImGui::Text("Measuring %s ...", s.label.c_str());
        ImGui::ProgressBar(static_cast<float>(s.job->progress()), ImVec2(-1, 0));
    } else {
        ImGui::TextDisabled("%s is not measured yet.", s.label.c_str());
    }
    return false;
}

std::pair<double, double> visible_time(const Workstation& ws) {
    const TimeAxis& t = ws.time();
    const double d = std::max(ws.duration_s(), 1e-3);
    if (t.view_end_s > t.view_start_s) return {t.view_start_s, std::min(t.view_end_s, d)};
    return {0.0, d};
}

void handle_time_axis_input(Workstation& ws, bool hovered, double mouse_time_s, float plot_width_px) {
    TimeAxis& t = ws.time();
    if (!hovered) return;
    t.cursor_s = mouse_time_s;
    const ImGuiIO& io = ImGui::GetIO();
    auto [lo, hi] = visible_time(ws);
    const double d = std::max(ws.duration_s(), 1e-3);
    if (io.MouseWheel != 0.0f) {  // zoom about the mouse
        const double factor = std::pow(0.8, io.MouseWheel);
        const double span = std::clamp((hi - lo) * factor, 0.01, d);
        const double u = (mouse_time_s - lo) / (hi - lo);
        lo = std::clamp(mouse_time_s - u * span, 0.0, d - span);
        hi = lo + span;
        t.view_start_s = lo;
        t.view_end_s = hi;
    }
    if (io.KeyShift && ImGui::IsMouseDragging(ImGuiMouseButton_Left)) {  // select
        const double span = hi - lo;
        const double start = mouse_time_s - (plot_width_px > 0.0f ? ImGui::GetMouseDragDelta().x / plot_width_px * span : 0.0);
        t.selection_s = std::pair{std::clamp(std::min(start, mouse_time_s), 0.0, d), std::clamp(std::max(start, mouse_time_s), 0.0, d)};
        return;
    }
    if (io.KeyShift && ImGui::IsMouseClicked(ImGuiMouseButton_Left)) t.selection_s.reset();
    if (ImGui::IsMouseDragging(ImGuiMouseButton_Left) && plot_width_px > 0.0f) {  // scroll
        const double span = hi - lo;
        const double shift = -io.MouseDelta.x / plot_width_px * span;
        lo = std::clamp(lo + shift, 0.0, d - span);
        t.view_start_s = lo;
        t.view_end_s = lo + span;
    }
    if (ImGui::IsMouseDoubleClicked(ImGuiMouseButton_Left)) t.view_start_s = t.view_end_s = 0.0;  // back to all
}

void draw_time_overlays(Plot& plot, const Workstation& ws) {
    const TimeAxis& t = ws.time();
    if (t.selection_s) {
        const float x0 = std::max(plot.min().x, plot.x_px(t.selection_s->first));
        const float x1 = std::min(plot.max().x, plot.x_px(t.selection_s->second));
        if (x1 > x0) plot.draw()->AddRectFilled(ImVec2(x0, plot.min().y), ImVec2(x1, plot.max().y), kColourSelection);
    }
    if (t.cursor_s) plot.vline(*t.cursor_s, kColourCursor);
    if (t.play_s) plot.vline(*t.play_s, kColourPlay);
}

}  // namespace sf::gui
