// The master panel (in the mixer, below the strips): preset, loudness target
// and limiter, width / mono below / balance, and the multiband with its
// crossovers draggable on the master's spectrum and each band's threshold,
// ratio and width. Every change is a `set` / `remove` on `master`; after a
// render the loudness loop's decisions are listed (the render view has them too).
#include <algorithm>
#include <cmath>
#include <cstdio>

#include "app/gui/plot.h"
#include "app/gui/views.h"

namespace sf::gui {

namespace {

constexpr double kLowHz = 20.0;

// An optional number with a checkbox: off removes the key (the stage is bypassed).
// `off_path` is what unchecking removes (the value itself, or its block).
void optional_param(std::vector<ViewEdit>& edits, const char* label, const std::string& path, const std::optional<double>& value,
                    double off_default, float speed, float lo, float hi, const char* format, float width, const std::string& off_path = {}) {
    ImGui::PushID(label);
    bool on = value.has_value();
    if (ImGui::Checkbox("##on", &on)) {
        if (on) edits.push_back({ViewEdit::Op::Set, path, off_default, 0});
        else edits.push_back({ViewEdit::Op::Remove, off_path.empty() ? path : off_path, nullptr, 0});
    }
    ImGui::SameLine();
    float v = static_cast<float>(value.value_or(off_default));
    if (!on) ImGui::BeginDisabled();
    ImGui::SetNextItemWidth(width);
    if (ImGui::DragFloat(label, &v, speed, lo, hi, format)) edits.push_back({ViewEdit::Op::Set, path, std::round(v * 100.0) / 100.0, ImGui::GetID(label)});
    if (!on) ImGui::EndDisabled();
    ImGui::PopID();
}

}  // namespace

void draw_master_panel(ViewContext& ctx, std::vector<ViewEdit>& edits) {
    Workstation& ws = ctx.ws;
    const Session& s = *ws.session()->session;
    const float scale = ctx.frame.scale;
    const float w = 110.0f * scale;
    ImGui::Separator();
    if (!s.master) {
        ImGui::TextUnformatted("Master: no master chain (the mix bus is delivered as it is).");
        ImGui::SameLine();
        if (ImGui::Button("Add a master chain")) edits.push_back({ViewEdit::Op::Set, "master", nlohmann::json::object(), 0});
        return;
    }
    const MasterSpec& m = *s.master;
    ImGui::TextUnformatted("Master");
    ImGui::SameLine();
    // Preset: fills target, ceiling and export defaults; explicit keys win.
    static const char* kPresets[] = {"none", "streaming", "apple", "ebu-r128", "atsc-a85", "cd"};
    int preset = 0;
    for (int i = 1; i < 6; ++i)
        if (m.preset && *m.preset == kPresets[i]) preset = i;
    ImGui::SetNextItemWidth(w);
    if (ImGui::Combo("preset", &preset, kPresets, 6)) {
        if (preset == 0) edits.push_back({ViewEdit::Op::Remove, "master.preset", nullptr, 0});
        else edits.push_back({ViewEdit::Op::Set, "master.preset", kPresets[preset], 0});
    }
    ImGui::SameLine();
    optional_param(edits, "target LUFS", "master.loudness_target_lufs", m.loudness_target_lufs, -14.0, 0.1f, -70.0f, 0.0f, "%.1f", w);
    ImGui::SameLine();
    const std::optional<double> ceiling = m.limiter ? std::optional(m.limiter->ceiling_dbtp) : std::nullopt;
    optional_param(edits, "ceiling dBTP", "master.limiter.ceiling_dbtp", ceiling, -1.0, 0.05f, -60.0f, 0.0f, "%.2f", w, "master.limiter");
    if (m.limiter) {
        ImGui::SameLine();
        float release = static_cast<float>(m.limiter->release_ms);
        ImGui::SetNextItemWidth(w);
        if (ImGui::DragFloat("release", &release, 1.0f, 1.0f, 2000.0f, "%.0f ms"))
            edits.push_back({ViewEdit::Op::Set, "master.limiter.release_ms", std::round(release), ImGui::GetID("release")});
        ImGui::SameLine();
        float look = static_cast<float>(m.limiter->lookahead_ms);
        ImGui::SetNextItemWidth(w);
        if (ImGui::DragFloat("look-ahead", &look, 0.1f, 0.0f, 100.0f, "%.1f ms"))
            edits.push_back({ViewEdit::Op::Set, "master.limiter.lookahead_ms", std::round(look * 10.0) / 10.0, ImGui::GetID("look-ahead")});
    }
    optional_param(edits, "width", "master.width", m.width, 1.0, 0.01f, 0.0f, 4.0f, "%.2f", w);
    ImGui::SameLine();
    optional_param(edits, "mono below Hz", "master.mono_below_hz", m.mono_below_hz, 120.0, 1.0f, 20.0f, 1000.0f, "%.0f", w);
    ImGui::SameLine();
    optional_param(edits, "balance", "master.balance", m.balance, 0.0, 0.01f, -1.0f, 1.0f, "%+.2f", w);
    ImGui::SameLine();
    if (!m.multiband) {
        if (ImGui::Button("Add multiband"))
            edits.push_back({ViewEdit::Op::Set, "master.multiband", {{"crossovers_hz", {150.0, 3500.0}}, {"bands", {nlohmann::json::object(), nlohmann::json::object(), nlohmann::json::object()}}}, 0});
        return;
    }
    if (ImGui::Button("Remove multiband")) edits.push_back({ViewEdit::Op::Remove, "master.multiband", nullptr, 0});
    const MultibandSpec& mb = *m.multiband;
    // Each band's compressor and width, in columns under the spectrum.
    const double nyquist = s.sample_rate / 2.0;
    const ImVec2 avail = ImGui::GetContentRegionAvail();
    const float controls_h = 4.0f * ImGui::GetFrameHeightWithSpacing();
    Plot plot("multiband", ImVec2(avail.x, std::max(120.0f * scale, avail.y - controls_h)), Axis{kLowHz, nyquist, true}, Axis{-100.0, 0.0, false});
    plot.frequency_ticks();
    plot.y_ticks(20.0, "dB");
    for (size_t i = 0; i < ws.sources().size(); ++i)
        if (ws.sources()[i].kind == SourceKind::Master && ws.sources()[i].analysis) {
            const analysis::SmoothedSpectrum sm = analysis::smooth_octave(ws.sources()[i].analysis->spectrum, 6, kLowHz, 48);
            std::vector<double> db(sm.power.size());
            for (size_t k = 0; k < db.size(); ++k) db[k] = sm.power[k] > 0.0 ? 10.0 * std::log10(sm.power[k]) : -INFINITY;
            plot.trace(sm.freq_hz, db, IM_COL32(120, 120, 140, 200), 1.0f);
            break;
        }
    // Crossovers: drag sideways; they keep their order (the validator refuses otherwise).
    const ImVec2 mouse = ImGui::GetIO().MousePos;
    for (size_t c = 0; c < mb.crossovers_hz.size(); ++c) {
        const float x = plot.x_px(mb.crossovers_hz[c]);
        ImGui::SetCursorScreenPos(ImVec2(x - 4.0f * scale, plot.min().y));
        ImGui::PushID(static_cast<int>(c));
        ImGui::InvisibleButton("crossover", ImVec2(8.0f * scale, plot.max().y - plot.min().y));
        const bool active = ImGui::IsItemActive(), hovered = ImGui::IsItemHovered();
        const ImGuiID id = ImGui::GetID("crossover");
        ImGui::PopID();
        if (hovered || active) ImGui::SetMouseCursor(ImGuiMouseCursor_ResizeEW);
        if (active && ImGui::GetIO().MouseDelta.x != 0.0f) {
            const double f = std::clamp(plot.x_at(mouse.x), kLowHz, nyquist * 0.95);
            edits.push_back({ViewEdit::Op::Set, "master.multiband.crossovers_hz[" + std::to_string(c) + "]", std::round(f), id});
        }
        plot.draw()->AddLine(ImVec2(x, plot.min().y), ImVec2(x, plot.max().y), active || hovered ? IM_COL32(255, 255, 255, 255) : source_colour(c + 1), 2.0f);
        char label[32];
        std::snprintf(label, sizeof label, "%s Hz", frequency_label(mb.crossovers_hz[c]).c_str());
        plot.draw()->AddText(ImVec2(x + 4.0f, plot.min().y + 4.0f), kColourText, label);
    }
    ImGui::SetCursorScreenPos(ImVec2(plot.min().x, plot.max().y + ImGui::GetTextLineHeightWithSpacing()));
    const float col = (plot.max().x - plot.min().x) / static_cast<float>(mb.bands.size());
    for (size_t b = 0; b < mb.bands.size(); ++b) {
        const MultibandBand& band = mb.bands[b];
        const std::string bp = "master.multiband.bands[" + std::to_string(b) + "]";
        ImGui::SetCursorScreenPos(ImVec2(plot.min().x + col * static_cast<float>(b), plot.max().y + ImGui::GetTextLineHeightWithSpacing()));
        ImGui::BeginGroup();
        ImGui::PushID(static_cast<int>(b) + 200);
        auto param = [&](const char* label, const char* key, double value, float speed, float lo, float hi, const char* format) {
            float v = static_cast<float>(value);
            ImGui::SetNextItemWidth(col * 0.6f);
            if (ImGui::DragFloat(label, &v, speed, lo, hi, format))
                edits.push_back({ViewEdit::Op::Set, bp + "." + key, std::round(v * 100.0) / 100.0, ImGui::GetID(label)});
        };
        param("threshold", "threshold_db", band.threshold_db, 0.1f, -96.0f, 0.0f, "%.1f dB");
        param("ratio", "ratio", band.ratio, 0.05f, 1.0f, 20.0f, "%.2f:1");
        param("band width", "width", band.width, 0.01f, 0.0f, 4.0f, "%.2f");
        ImGui::PopID();
        ImGui::EndGroup();
    }
}

}  // namespace sf::gui
