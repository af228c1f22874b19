// The compressor panel (in the mixer, below the strips): the parameters of a
// stem's or bus's compressor and its static curve, output level against
// input level, from the stage's own definition (compressor_static_gain_db);
// the sidechain key (none, another stem or a bus) and the sidechain EQ,
// edited with the EQ editor. Every change is a `set` on the session;
// "remove" drops the block.
#include <algorithm>
#include <charconv>
#include <cstdint>
#include <cmath>
#include <cstdio>
#include <string>
#include <utility>
#include <vector>

#include "app/gui/plot.h"
#include "app/gui/views.h"
#include "engine/dsp/compressor.h"

namespace sf::gui {

void draw_compressor_panel(ViewContext& ctx, const std::string& prefix, std::vector<ViewEdit>& edits) {
    Workstation& ws = ctx.ws;
    const Session& s = *ws.session()->session;
    const float scale = ctx.frame.scale;
    const CompressorSpec* spec = nullptr;
    std::string name;
    const bool stem = prefix.rfind("stems[", 0) == 0;
    size_t k = SIZE_MAX;  // "stems[K]" / "buses[K]": both heads are 6 characters long
    if (prefix.size() > 7 && prefix.back() == ']')
        std::from_chars(prefix.data() + 6, prefix.data() + prefix.size() - 1, k);
    if (stem && k < s.stems.size()) {
        name = s.stems[k].name;
        if (s.stems[k].compressor) spec = &*s.stems[k].compressor;
    } else if (!stem && k < s.buses.size()) {
        name = "[" + s.buses[k].name + "]";
        if (s.buses[k].compressor) spec = &*s.buses[k].compressor;
    }
    if (name.empty()) return;  // no such strip
    ImGui::Separator();
    ImGui::Text("Compressor: %s", name.c_str());
    if (!spec) {
        ImGui::SameLine();
        if (ImGui::Button("Add compressor")) edits.push_back({ViewEdit::Op::Set, prefix + ".compressor", nlohmann::json::object(), 0});
        return;
    }
    ImGui::SameLine();
    if (ImGui::Button("Remove")) edits.push_back({ViewEdit::Op::Remove, prefix + ".compressor", nullptr, 0});
    // Parameters (drag; Ctrl+click types a value), each a `set` on the block.
    auto param = [&](const char* label, const char* key, double value, float speed, float lo, float hi, const char* format) {
        float v = static_cast<float>(value);
        ImGui::SameLine();
        ImGui::SetNextItemWidth(95.0f * scale);
        if (ImGui::DragFloat(label, &v, speed, lo, hi, format))
            edits.push_back({ViewEdit::Op::Set, prefix + ".compressor." + key, std::round(v * 100.0) / 100.0, ImGui::GetID(label)});
    };
    param("threshold", "threshold_db", spec->threshold_db, 0.1f, -60.0f, 0.0f, "%.1f dB");
    param("ratio", "ratio", spec->ratio, 0.05f, 1.0f, 20.0f, "%.2f:1");
    param("knee", "knee_db", spec->knee_db, 0.1f, 0.0f, 24.0f, "%.1f dB");
    param("attack", "attack_ms", spec->attack_ms, 0.5f, 0.0f, 500.0f, "%.1f ms");
    param("release", "release_ms", spec->release_ms, 1.0f, 1.0f, 5000.0f, "%.0f ms");
    param("makeup", "makeup_db", spec->makeup_db, 0.1f, 0.0f, 24.0f, "%.1f dB");
    ImGui::SameLine();
    const bool rms = spec->detector == Detector::Rms;
    if (ImGui::RadioButton("peak", !rms) && rms) edits.push_back({ViewEdit::Op::Set, prefix + ".compressor.detector", "peak", 0});
    ImGui::SameLine();
    if (ImGui::RadioButton("RMS", rms) && !rms) edits.push_back({ViewEdit::Op::Set, prefix + ".compressor.detector", "rms", 0});

    // The sidechain: which signal drives the detector. Every stem and bus but
    // this one is offered; a choice the validator refuses (a cycle, a name
    // that is both a stem and a bus) stays unapplied and its message shows below.
    const std::string sc_path = prefix + ".compressor.sidechain";
    ImGui::TextUnformatted("Sidechain key");
    ImGui::SameLine();
    std::vector<std::pair<std::string, std::string>> keys;  // (label, name)
    for (const StemSpec& st : s.stems)
        if (!(stem && st.name == name)) keys.emplace_back(st.name, st.name);
    for (const BusSpec& b : s.buses)
        if (stem || "[" + b.name + "]" != name) keys.emplace_back("[" + b.name + "]", b.name);
    std::string preview = "none (own signal)";
    if (!spec->sidechain.empty()) {
        preview = spec->sidechain;
        for (const auto& [label, key] : keys)
            if (key == spec->sidechain) preview = label;
    }
    ImGui::SetNextItemWidth(200.0f * scale);
    const bool open = ImGui::BeginCombo("##sidechain", preview.c_str());
    ctx.controls.note(sc_path);
    if (open) {
        if (ImGui::Selectable("none (own signal)", spec->sidechain.empty()) && !spec->sidechain.empty())
            edits.push_back({ViewEdit::Op::Remove, sc_path, nullptr, 0});
        ctx.controls.note(sc_path + "=");
        for (const auto& [label, key] : keys) {
            if (ImGui::Selectable(label.c_str(), key == spec->sidechain) && key != spec->sidechain)
                edits.push_back({ViewEdit::Op::Set, sc_path, key, 0});
            ctx.controls.note(sc_path + "=" + key);
        }
        ImGui::EndCombo();
    }
    ImGui::SameLine();
    const std::string eq_path = prefix + ".compressor.sidechain_eq";
    if (!spec->sidechain_eq) {
        if (ImGui::Button("Add sidechain EQ")) edits.push_back({ViewEdit::Op::Set, eq_path, nlohmann::json::object(), 0});
    } else if (ImGui::Button("Remove sidechain EQ")) {
        edits.push_back({ViewEdit::Op::Remove, eq_path, nullptr, 0});
    }
    ctx.controls.note(eq_path);
    ImGui::SameLine();
    ImGui::TextDisabled(spec->sidechain.empty() ? "(the detector hears the compressor's own input)"
                                                : "(the detector hears the key after its inserts)");
    draw_refusal(ctx, sc_path);  // also the sidechain EQ's refusals: the path shares the prefix

    // The static curve: output level against input level (makeup included), the 1:1 line, the threshold.
    // With a sidechain EQ the curve keeps the left part and the EQ editor takes the rest.
    const ImVec2 avail = ImGui::GetContentRegionAvail();
    const float curve_w = spec->sidechain_eq ? avail.x * 0.4f : avail.x;
    const float side = std::max(140.0f * scale, std::min(curve_w / 1.2f, avail.y));
    const ImVec2 curve_at = ImGui::GetCursorScreenPos();
    Plot plot("compressor-curve", ImVec2(side * 1.2f, side), Axis{-60.0, 0.0, false}, Axis{-60.0, 12.0, false});
    plot.y_ticks(12.0, "dB");
    for (double x = -60.0; x <= 0.0; x += 12.0) {
        const float px = plot.x_px(x);
        plot.draw()->AddLine(ImVec2(px, plot.min().y), ImVec2(px, plot.max().y), kColourGrid);
        char buf[16];
        std::snprintf(buf, sizeof buf, "%.0f", x);
        plot.draw()->AddText(ImVec2(px - ImGui::CalcTextSize(buf).x / 2, plot.max().y + 3.0f), kColourText, buf);
    }
    std::vector<double> in(241), out(241), unity(241);
    for (size_t i = 0; i < in.size(); ++i) {
        in[i] = -60.0 + 0.25 * static_cast<double>(i);
        out[i] = in[i] + compressor_static_gain_db(*spec, in[i]) + spec->makeup_db;
        unity[i] = in[i];
    }
    plot.trace(in, unity, kColourGrid, 1.0f);
    plot.vline(spec->threshold_db, kColourTarget);
    plot.trace(in, out, source_colour(0), 2.0f);
    if (auto h = plot.hover()) {
        const double l = h->x;
        char buf[96];
        std::snprintf(buf, sizeof buf, "in %.1f dB -> out %.1f dB (gain %+.1f dB)", l, l + compressor_static_gain_db(*spec, l) + spec->makeup_db,
                      compressor_static_gain_db(*spec, l) + spec->makeup_db);
        plot.readout(buf);
    }
    if (spec->sidechain_eq) {
        ImGui::SetCursorScreenPos(ImVec2(curve_at.x + side * 1.2f + ImGui::GetStyle().ItemSpacing.x, curve_at.y));
        ImGui::BeginChild("sidechain-eq", ImVec2(0, std::max(side, avail.y)), false);
        draw_eq_editor(ctx, eq_path, edits);
        ImGui::EndChild();
    }
}

}  // namespace sf::gui
