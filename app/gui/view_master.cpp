// The master panel (in the mixer, below the strips): preset, loudness target
// and limiter, width / mono below / balance, and the multiband with its
// crossovers draggable on the master's spectrum and each band's threshold,
// ratio and width, and the match EQ (reference, amount, smoothing, limit).
// Every change is a `set` / `remove` on `master`; after a render the
// loudness loop's decisions, the limiter's gain reduction over time and the
// match-EQ curve are shown, all from the render's MasterReport (the render
// view lists the decisions too).
#include <algorithm>
#include <array>
#include <cmath>
#include <cstdio>
#include <cstring>

#include "app/gui/controls.h"
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

// The match-EQ reference as it is typed; shows the session's value while the
// field is not being edited (an edit applies on Enter, through the validator).
std::array<char, 1024> g_reference{};
bool g_reference_active = false;

void draw_match_eq(ViewContext& ctx, std::vector<ViewEdit>& edits, const MasterSpec& m, float w) {
    ImGui::TextUnformatted("Match EQ reference");
    ImGui::SameLine();
    if (!g_reference_active) {
        const std::string shown = m.match_eq ? m.match_eq->reference_as_written : std::string();
        std::snprintf(g_reference.data(), g_reference.size(), "%s", shown.c_str());
    }
    ImGui::SetNextItemWidth(3.0f * w);
    const bool enter = ImGui::InputText("##match-eq-reference", g_reference.data(), g_reference.size(), ImGuiInputTextFlags_EnterReturnsTrue);
    g_reference_active = ImGui::IsItemActive();
    ctx.controls.note("master.match_eq.reference");
    if (enter) {
        const std::string typed(g_reference.data());
        if (typed.empty()) {
            if (m.match_eq) edits.push_back({ViewEdit::Op::Remove, "master.match_eq", nullptr, 0});
        } else if (m.match_eq) {
            edits.push_back({ViewEdit::Op::Set, "master.match_eq.reference", typed, 0});
        } else {
            edits.push_back({ViewEdit::Op::Set, "master.match_eq", {{"reference", typed}}, 0});
        }
    }
    if (!m.match_eq) {
        ImGui::SameLine();
        ImGui::TextDisabled("(a file path; Enter adds the match EQ)");
        draw_refusal(ctx, "master.match_eq");
        return;
    }
    const MatchEqSpec defaults;
    auto param = [&](const char* key, double value, double fallback, const DragNumber& spec) {
        ImGui::SameLine();
        const DragOutcome o = drag_number(key, value, spec, w);
        queue_number_edit(edits, std::string("master.match_eq.") + key, o, value != fallback);
        ctx.controls.note(std::string("master.match_eq.") + key);
    };
    param("amount", m.match_eq->amount, defaults.amount, DragNumber{.lo = 0.0, .hi = 1.0, .step = 0.005, .resolution = 0.01, .format = "amount %.2f"});
    param("smoothing_oct", m.match_eq->smoothing_oct, defaults.smoothing_oct,
          DragNumber{.lo = 0.05, .hi = 2.0, .step = 0.005, .resolution = 0.01, .format = "smoothing %.2f oct"});
    param("max_db", m.match_eq->max_db, defaults.max_db, DragNumber{.lo = 0.0, .hi = 24.0, .step = 0.05, .resolution = 0.1, .format = "max %.1f dB"});
    ImGui::SameLine();
    if (ImGui::Button("Remove match EQ")) edits.push_back({ViewEdit::Op::Remove, "master.match_eq", nullptr, 0});
    draw_refusal(ctx, "master.match_eq");
}

// After a render: the loudness loop's decisions, the limiter's gain reduction
// over time (one value per bucket, the report's) and the match-EQ curve as
// applied. Plots are noted in the control map ("master:gain-reduction",
// "master:match-eq-curve") only when they have data.
void draw_last_render(ViewContext& ctx) {
    const RenderRun& run = ctx.ws.render_run();
    if (!run.result || !run.result->master) return;
    const master::MasterReport& r = *run.result->master;
    const int rate = run.result->sample_rate;
    const float scale = ctx.frame.scale;
    if (!ImGui::CollapsingHeader("Last render: loudness loop, gain reduction, match EQ", ImGuiTreeNodeFlags_DefaultOpen)) return;
    for (const std::string& d : r.decisions) ImGui::BulletText("%s", d.c_str());
    const float width = ImGui::GetContentRegionAvail().x;
    if (!r.gain_reduction_db_over_time.empty() && rate > 0) {
        std::vector<double> minus_gr(r.gain_reduction_db_over_time.size());
        double deepest = 0.0;
        for (size_t k = 0; k < minus_gr.size(); ++k) {
            minus_gr[k] = -static_cast<double>(r.gain_reduction_db_over_time[k]);
            deepest = std::max(deepest, -minus_gr[k]);
        }
        const double x0 = static_cast<double>(r.delivered_from_frame) / rate;
        const double x1 = x0 + static_cast<double>(minus_gr.size()) * r.gain_reduction_bucket_s;
        // Reduction drawn downwards from 0 dB, as a gain-reduction meter reads.
        const double floor_db = -std::max(3.0, std::ceil(deepest + 1.0));
        Plot plot("gain reduction", ImVec2(width, 110.0f * scale), Axis{x0, x1, false}, Axis{floor_db, 0.0, false});
        plot.time_ticks();
        plot.y_ticks(floor_db < -12.0 ? 6.0 : 1.0, "dB");
        plot.series(minus_gr, x0, r.gain_reduction_bucket_s, kColourCeiling, 1.5f);
        char text[96];
        std::snprintf(text, sizeof text, "limiter gain reduction per %.0f ms, max %.2f dB", 1000.0 * r.gain_reduction_bucket_s, deepest);
        plot.readout(text);
        ctx.controls.note("master:gain-reduction", plot.min(), plot.max());
    } else if (r.limiter) {
        ImGui::TextDisabled("Gain reduction over time: not recorded by the backend that ran the limiter.");
    }
    if (r.match_eq && !r.match_eq->freq_hz.empty()) {
        double extent = 3.0;
        for (double g : r.match_eq->gain_db) extent = std::max(extent, std::ceil(std::abs(g) + 1.0));
        Plot plot("match eq", ImVec2(width, 110.0f * scale), Axis{kLowHz, std::max(kLowHz * 2.0, rate / 2.0), true}, Axis{-extent, extent, false});
        plot.frequency_ticks();
        plot.y_ticks(extent > 12.0 ? 6.0 : 3.0, "dB");
        plot.hline(0.0, kColourGrid);
        plot.trace(r.match_eq->freq_hz, r.match_eq->gain_db, source_colour(2), 1.5f);
        plot.readout("match EQ as applied");
        ctx.controls.note("master:match-eq-curve", plot.min(), plot.max());
    }
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
    // The names are the session schema's (to_string(MasterPreset)).
    static constexpr MasterPreset kAllPresets[] = {MasterPreset::Streaming, MasterPreset::Apple, MasterPreset::EbuR128,
                                                   MasterPreset::AtscA85,   MasterPreset::Cd,    MasterPreset::Youtube,
                                                   MasterPreset::Radio,     MasterPreset::Vinyl};
    constexpr int kPresetCount = static_cast<int>(std::size(kAllPresets)) + 1;
    static const std::array<const char*, kPresetCount> kPresets = [] {
        std::array<const char*, kPresetCount> names{"none"};
        for (size_t i = 0; i < std::size(kAllPresets); ++i) names[i + 1] = to_string(kAllPresets[i]);
        return names;
    }();
    int preset = 0;
    for (int i = 1; i < kPresetCount; ++i)
        if (m.preset && *m.preset == kPresets[static_cast<size_t>(i)]) preset = i;
    ImGui::SetNextItemWidth(w);
    const bool preset_changed = ImGui::Combo("preset", &preset, kPresets.data(), kPresetCount);
    ctx.controls.note("master.preset");
    if (preset_changed) {
        if (preset == 0) edits.push_back({ViewEdit::Op::Remove, "master.preset", nullptr, 0});
        else edits.push_back({ViewEdit::Op::Set, "master.preset", kPresets[static_cast<size_t>(preset)], 0});
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
    draw_match_eq(ctx, edits, m, w);
    draw_last_render(ctx);
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
