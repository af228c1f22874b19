// The loudness view: the focus source's BS.1770 / EBU R128 figures as
// numbers and meters, and momentary / short-term loudness of every shown
// source over the shared time axis, with the target line and the ceiling.
#include <algorithm>
#include <cmath>

#include "app/gui/plot.h"
#include "app/gui/views.h"

namespace sf::gui {

namespace {

constexpr double kFloorLufs = -60.0, kTopLufs = 0.0;

// A vertical bar meter from the floor to `value`, with its figure below.
void bar(const char* label, std::optional<double> value, double lo, double hi, ImU32 colour, const char* unit, float scale,
         std::optional<double> red_above = std::nullopt) {
    ImGui::BeginGroup();
    ImGui::TextUnformatted(label);
    ImDrawList* dl = ImGui::GetWindowDrawList();
    const ImVec2 p = ImGui::GetCursorScreenPos();
    const float w = 34.0f * scale, h = 160.0f * scale;
    dl->AddRectFilled(p, ImVec2(p.x + w, p.y + h), IM_COL32(18, 18, 22, 255));
    if (value && std::isfinite(*value)) {
        const float y = p.y + h * static_cast<float>(1.0 - std::clamp((*value - lo) / (hi - lo), 0.0, 1.0));
        const bool over = red_above && *value > *red_above;
        dl->AddRectFilled(ImVec2(p.x + 2, y), ImVec2(p.x + w - 2, p.y + h), over ? kColourCeiling : colour);
    }
    ImGui::Dummy(ImVec2(w, h));
    ImGui::TextUnformatted(fmt_level(value, unit).c_str());
    ImGui::EndGroup();
}

}  // namespace

void draw_loudness_view(ViewContext& ctx) {
    Workstation& ws = ctx.ws;
    const std::optional<size_t> focus = ws.focus_source();
    if (!source_ready(ws, focus)) return;
    const Source& src = ws.sources()[*focus];
    const analysis::FileAnalysis& a = *src.analysis;
    const ViewSettings& vs = ws.settings();
    const float scale = ctx.frame.scale;

    // ---- numbers: what a loudness report states, large enough to read across the room
    ImGui::Text("%s  (%s)", src.label.c_str(), src.file.filename().string().c_str());
    ImGui::BeginGroup();
    ImGui::SetWindowFontScale(1.6f);
    ImGui::Text("Integrated  %s", fmt_level(a.integrated_lufs, "LUFS").c_str());
    ImGui::Text("True peak   %s", fmt_level(a.true_peak_dbtp, "dBTP").c_str());
    ImGui::SetWindowFontScale(1.0f);
    ImGui::Text("LRA %s    sample peak %s    max momentary %s    max short-term %s", fmt_level(a.lra_lu, "LU").c_str(),
                fmt_linear_db(a.sample_peak, "dBFS").c_str(), fmt_level(a.momentary_max_lufs, "LUFS").c_str(),
                fmt_level(a.short_term_max_lufs, "LUFS").c_str());
    ImGui::TextDisabled("true-peak maximum at %s, loudest 3 s end at %s", a.true_peak_max_s ? time_label(*a.true_peak_max_s).c_str() : "-",
                        a.short_term_max_s ? time_label(*a.short_term_max_s).c_str() : "-");
    if (a.integrated_lufs)
        ImGui::Text("Target %s: %+.1f LU    ceiling %s: margin %s", fmt_level(vs.loudness_target_lufs, "LUFS").c_str(),
                    *a.integrated_lufs - vs.loudness_target_lufs, fmt_level(vs.ceiling_dbtp, "dBTP").c_str(),
                    a.true_peak_dbtp ? fmt_level(vs.ceiling_dbtp - *a.true_peak_dbtp, "dB").c_str() : "-");
    ImGui::EndGroup();
    ImGui::SameLine(0.0f, 40.0f * scale);
    bar("M max", a.momentary_max_lufs, kFloorLufs, kTopLufs, IM_COL32(80, 170, 255, 255), "LUFS", scale);
    ImGui::SameLine();
    bar("S max", a.short_term_max_lufs, kFloorLufs, kTopLufs, IM_COL32(120, 230, 140, 255), "LUFS", scale);
    ImGui::SameLine();
    bar("I", a.integrated_lufs, kFloorLufs, kTopLufs, IM_COL32(255, 200, 40, 255), "LUFS", scale);
    ImGui::SameLine();
    bar("TP", a.true_peak_dbtp, -30.0, 3.0, IM_COL32(200, 200, 200, 255), "dBTP", scale, vs.ceiling_dbtp);

    // ---- over time: momentary (thin) and short-term (thick) of every shown source
    auto [t0, t1] = visible_time(ws);
    const ImVec2 avail = ImGui::GetContentRegionAvail();
    Plot plot("loudness-time", ImVec2(avail.x, std::max(avail.y, 160.0f * scale)), Axis{t0, t1, false}, Axis{kFloorLufs, kTopLufs + 3.0, false});
    plot.time_ticks();
    plot.y_ticks(6.0, "LUFS");
    plot.hline(vs.loudness_target_lufs, kColourTarget, "target " + fmt_level(vs.loudness_target_lufs, "LUFS"));
    plot.hline(vs.ceiling_dbtp, kColourCeiling, "ceiling " + fmt_level(vs.ceiling_dbtp, "dBTP"));
    for (size_t i = 0; i < ws.sources().size(); ++i) {
        const Source& s = ws.sources()[i];
        if (!s.analysis || (!s.shown && i != *focus)) continue;
        const analysis::LoudnessSeries& series = s.analysis->series;
        plot.series(series.momentary_lufs, series.hop_s, series.hop_s, (source_colour(i) & 0x00FFFFFF) | 0x70000000, 1.0f);
        plot.series(series.short_term_lufs, series.hop_s, series.hop_s, source_colour(i), 2.0f);
    }
    // Where the maxima are (engineers look for the loudest passage first).
    auto marker = [&](std::optional<double> at_s, ImU32 colour, const char* label) {
        if (!at_s || *at_s < t0 || *at_s > t1) return;
        const float x = plot.x_px(*at_s);
        plot.draw()->AddTriangleFilled(ImVec2(x - 5, plot.min().y), ImVec2(x + 5, plot.min().y), ImVec2(x, plot.min().y + 8), colour);
        plot.draw()->AddText(ImVec2(x + 6, plot.min().y), colour, label);
    };
    marker(a.true_peak_max_s, kColourCeiling, "TP max");
    marker(a.short_term_max_s, source_colour(*focus), "S max");
    draw_time_overlays(plot, ws);
    if (auto h = plot.hover()) {
        // Read-out: the short-term loudness of the focus source under the mouse.
        const analysis::LoudnessSeries& series = a.series;
        std::string text = time_label(h->x);
        if (series.hop_s > 0.0) {
            const auto k = static_cast<size_t>(std::max(0.0, h->x / series.hop_s - 1.0));
            if (k < series.short_term_lufs.size()) text += "   S " + fmt_level(series.short_term_lufs[k], "LUFS");
            if (k < series.momentary_lufs.size()) text += "   M " + fmt_level(series.momentary_lufs[k], "LUFS");
        }
        plot.readout(text);
    }
    handle_time_axis_input(ws, plot.hovered(), plot.hover() ? plot.hover()->x : 0.0, plot.max().x - plot.min().x);
}

}  // namespace sf::gui
