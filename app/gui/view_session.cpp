// The session overview and the mixer (read-only in part 1): what the session
// file says, laid out as an engineer reads a console, with the meters of the
// last measurement of each stem.
#include <algorithm>
#include <array>
#include <cmath>
#include <cstdio>

#include "app/gui/plot.h"
#include "app/gui/views.h"
#include "engine/session/session_edit.h"

#include <filesystem>

namespace sf::gui {

namespace fs = std::filesystem;

namespace {

const ImVec4 kError(1.0f, 0.45f, 0.4f, 1.0f);

std::string fmt(const char* f, double v) {
    char buf[64];
    std::snprintf(buf, sizeof buf, f, v);
    return buf;
}

std::string eq_summary(const std::optional<EqSpec>& eq) {
    if (!eq) return "-";
    std::string s = std::string(to_string(eq->mode)) + ":";
    for (const EqBand& b : eq->bands) s += " " + std::string(to_string(b.type)) + "@" + frequency_label(b.freq_hz);
    return eq->bands.empty() ? s + " flat" : s;
}

std::string compressor_summary(const std::optional<CompressorSpec>& c) {
    if (!c) return "-";
    return fmt("%.1f dB", c->threshold_db) + fmt(" %.1f:1", c->ratio) + (c->sidechain.empty() ? "" : ", key " + c->sidechain) +
           (c->sidechain_eq ? ", key EQ" : "");
}

// Chorus, delay and width, as the mixer's FX panel and width control set them.
std::string fx_summary(const std::optional<ChorusSpec>& chorus, const std::optional<DelaySpec>& delay, std::optional<double> width) {
    std::string s;
    auto add = [&](const std::string& part) { s += (s.empty() ? "" : ", ") + part; };
    if (delay) add(delay->note ? "delay " + *delay->note : fmt("delay %.0f ms", delay->time_ms.value_or(0.0)));
    if (chorus) add(fmt("chorus %.2f Hz", chorus->rate_hz));
    if (width) add(fmt("width %.2f", *width));
    return s.empty() ? "-" : s;
}

std::string sends_summary(const std::vector<SendSpec>& sends) {
    if (sends.empty()) return "-";
    std::string s;
    for (const SendSpec& send : sends) s += (s.empty() ? "" : ", ") + send.bus + fmt(" %.1f dB", send.level_db) + (send.pre_fader ? " pre" : "");
    return s;
}

// The source that holds a stem's file (the stems are sources in session order).
const Source* stem_source(const Workstation& ws, const std::string& name) {
    for (const Source& s : ws.sources())
        if (s.kind == SourceKind::Stem && s.label == name) return &s;
    return nullptr;
}

void draw_errors(const OpenSession& doc) {
    ImGui::TextColored(kError, "%s does not validate; it is shown as far as it could be read.", doc.file.string().c_str());
    for (const std::string& e : doc.errors) ImGui::BulletText("%s", e.c_str());
}

}  // namespace

void draw_session_view(ViewContext& ctx) {
    Workstation& ws = ctx.ws;
    if (!ws.session()) {
        ImGui::TextDisabled("No session open. Ctrl+O opens a session (.json) or audio files.");
        return;
    }
    const OpenSession& doc = *ws.session();
    ImGui::Text("%s", doc.file.string().c_str());
    if (!doc.session) {
        draw_errors(doc);
        return;
    }
    const Session& s = *doc.session;
    ImGui::TextDisabled("%d Hz, %zu stems, %zu buses%s", s.sample_rate, s.stems.size(), s.buses.size(), s.master ? ", master chain" : "");
    const ImGuiTableFlags flags = ImGuiTableFlags_Borders | ImGuiTableFlags_RowBg | ImGuiTableFlags_Resizable | ImGuiTableFlags_SizingStretchProp;
    if (ImGui::CollapsingHeader("Stems", ImGuiTreeNodeFlags_DefaultOpen) && ImGui::BeginTable("stems", 10, flags)) {
        for (const char* h : {"stem", "file", "gain", "pan", "state", "EQ", "compressor", "FX", "sends", "out"}) ImGui::TableSetupColumn(h);
        ImGui::TableHeadersRow();
        for (const StemSpec& st : s.stems) {
            ImGui::TableNextRow();
            ImGui::TableNextColumn(); ImGui::TextUnformatted(st.name.c_str());
            ImGui::TableNextColumn(); ImGui::TextUnformatted(st.file_as_written.c_str());
            ImGui::TableNextColumn(); ImGui::Text("%+.1f dB", st.gain_db);
            ImGui::TableNextColumn(); ImGui::Text("%+.2f", st.pan);
            ImGui::TableNextColumn();
            ImGui::Text("%s%s%s%s", st.mute ? "M " : "", st.solo ? "S " : "", st.polarity_invert ? "inv " : "",
                        st.automation.empty() ? "" : "auto");
            ImGui::TableNextColumn(); ImGui::TextUnformatted(eq_summary(st.eq).c_str());
            ImGui::TableNextColumn(); ImGui::TextUnformatted(compressor_summary(st.compressor).c_str());
            ImGui::TableNextColumn(); ImGui::TextUnformatted(fx_summary(st.chorus, std::nullopt, st.width).c_str());
            ImGui::TableNextColumn(); ImGui::TextUnformatted(sends_summary(st.sends).c_str());
            ImGui::TableNextColumn(); ImGui::Text("-> %s", st.output.c_str());
        }
        ImGui::EndTable();
    }
    if (!s.buses.empty() && ImGui::CollapsingHeader("Buses", ImGuiTreeNodeFlags_DefaultOpen) && ImGui::BeginTable("buses", 7, flags)) {
        for (const char* h : {"bus", "reverb", "EQ", "compressor", "FX", "gain", "out"}) ImGui::TableSetupColumn(h);
        ImGui::TableHeadersRow();
        for (const BusSpec& b : s.buses) {
            ImGui::TableNextRow();
            ImGui::TableNextColumn(); ImGui::TextUnformatted(b.name.c_str());
            ImGui::TableNextColumn();
            ImGui::TextUnformatted(b.reverb ? (b.reverb->ir_as_written + fmt(", wet %.1f dB", b.reverb->wet_db)).c_str() : "-");
            ImGui::TableNextColumn(); ImGui::TextUnformatted(eq_summary(b.eq).c_str());
            ImGui::TableNextColumn(); ImGui::TextUnformatted(compressor_summary(b.compressor).c_str());
            ImGui::TableNextColumn(); ImGui::TextUnformatted(fx_summary(b.chorus, b.delay, b.width).c_str());
            ImGui::TableNextColumn(); ImGui::Text("%+.1f dB", b.gain_db);
            ImGui::TableNextColumn(); ImGui::Text("-> %s", b.output.c_str());
        }
        ImGui::EndTable();
    }
    if (ImGui::CollapsingHeader("Master", ImGuiTreeNodeFlags_DefaultOpen)) {
        if (!s.master) {
            ImGui::TextDisabled("No master block: the mix bus is delivered as it is.");
        } else {
            const MasterSpec& m = *s.master;
            if (m.preset) ImGui::BulletText("preset %s", m.preset->c_str());
            if (m.eq) ImGui::BulletText("EQ %s", eq_summary(m.eq).c_str());
            if (m.multiband) {
                std::string x;
                for (double f : m.multiband->crossovers_hz) x += (x.empty() ? "" : " / ") + frequency_label(f);
                ImGui::BulletText("multiband: %zu bands, crossovers %s", m.multiband->bands.size(), x.c_str());
            }
            if (m.width) ImGui::BulletText("width %.2f", *m.width);
            if (m.mono_below_hz) ImGui::BulletText("mono below %.0f Hz", *m.mono_below_hz);
            if (m.balance) ImGui::BulletText("balance %+.2f", *m.balance);
            if (m.limiter) ImGui::BulletText("limiter: ceiling %.1f dBTP, release %.0f ms, look-ahead %.1f ms", m.limiter->ceiling_dbtp,
                                             m.limiter->release_ms, m.limiter->lookahead_ms);
            if (m.loudness_target_lufs) ImGui::BulletText("loudness target %.1f LUFS", *m.loudness_target_lufs);
        }
    }
    if (ImGui::CollapsingHeader("Exports", ImGuiTreeNodeFlags_DefaultOpen)) {
        for (const ExportSpec& e : effective_exports(s, RenderOptions{}))
            ImGui::BulletText("%s  (%s, %d-bit%s)", e.file.string().c_str(), to_string(e.format), e.bit_depth,
                              e.sample_rate ? fmt(", %.0f Hz", e.sample_rate).c_str() : "");
    }
}

void draw_mixer_view(ViewContext& ctx) {
    Workstation& ws = ctx.ws;
    if (!ws.session() || !ws.session()->session) {
        draw_session_view(ctx);
        return;
    }
    std::vector<ViewEdit> edits;  // applied after drawing
    for (size_t k = 0; k < ws.sources().size(); ++k)  // the strips' meters: each stem measured once, on a worker
        if (ws.sources()[k].kind == SourceKind::Stem) ws.analyze(k);
    const Session& s = *ws.session()->session;
    const float scale = ctx.frame.scale;
    const float strip_w = 104.0f * scale;
    // Snapshots: store up to eight mixes, recall one (undoable), render them for an A/B, export one.
    {
        ImGui::TextUnformatted("Snapshots");
        const auto& snaps = ws.snapshots();
        for (size_t k = 0; k < snaps.size(); ++k) {
            ImGui::SameLine();
            ImGui::PushID(static_cast<int>(k) + 1000);
            if (ImGui::Button(snaps[k].name.c_str())) {
                if (auto r = ws.recall_snapshot(k); !r) ws.log_line(r.error().message);
            }
            if (ImGui::BeginPopupContextItem("snapshot")) {
                const fs::path out = ws.session()->session->base_dir / (snaps[k].name + ".json");
                if (ImGui::MenuItem(("Export as " + out.filename().string()).c_str())) {
                    if (auto r = ws.export_snapshot(k, out); !r) ws.log_line(r.error().message);
                }
                if (ImGui::MenuItem("Delete")) ws.delete_snapshot(k);
                ImGui::EndPopup();
            }
            if (ImGui::IsItemHovered()) ImGui::SetTooltip("click: recall (undoable); right-click: export, delete");
            ImGui::PopID();
        }
        ImGui::SameLine();
        const bool full = snaps.size() >= Workstation::kMaxSnapshots;
        if (full) ImGui::BeginDisabled();
        if (ImGui::Button("Store")) {
            std::string name;
            for (int n = 1; name.empty(); ++n) {  // the first free "S<n>"
                const std::string candidate = "S" + std::to_string(n);
                if (std::none_of(snaps.begin(), snaps.end(), [&](const Workstation::Snapshot& x) { return x.name == candidate; })) name = candidate;
            }
            if (auto r = ws.store_snapshot(name); !r) ws.log_line(r.error().message);
        }
        if (full) ImGui::EndDisabled();
        ImGui::SameLine();
        const bool can_render = !snaps.empty() && !ws.backend_comparison();
        if (!can_render) ImGui::BeginDisabled();
        if (ImGui::Button("Render snapshots for A/B")) {
            if (auto r = ws.render_snapshots(); !r) ws.log_line(r.error().message);
        }
        if (!can_render) ImGui::EndDisabled();
    }
    // Fast feedback: the render on edit (through the session's render cache)
    // and the master's meter values it measured, on the snapshots' row.
    {
        ImGui::SameLine();
        ImGui::Checkbox("Render on edit", &ws.settings().render_on_edit);
        ctx.controls.note("render_on_edit");
        const PreviewRun& pv = ws.preview();
        if (pv.job || pv.meters || !pv.error.empty()) ImGui::SameLine();  // never a SameLine with nothing after it: the strips would follow
        if (pv.job) {
            ImGui::Text("%s %.0f %%", pv.selection ? "rendering the selection" : "rendering", 100.0 * pv.job->progress());
        } else if (pv.meters) {
            std::string line = std::string(pv.selection ? "selection" : "preview") + ": " + fmt_level(pv.meters->integrated_lufs, "LUFS") +
                               ", max short-term " + fmt_level(pv.meters->max_short_term_lufs, "LUFS") + ", true peak " +
                               fmt_level(pv.meters->true_peak_dbtp, "dBTP");
            char extra[120];
            if (pv.edit_to_meter_s >= 0.0)
                std::snprintf(extra, sizeof extra, "  (edit to meter %.2f s; %zu of %zu stems from the cache)", pv.edit_to_meter_s, pv.stems_cached, pv.stems);
            else
                std::snprintf(extra, sizeof extra, "  (%.2f s; %zu of %zu stems from the cache)", pv.render_s, pv.stems_cached, pv.stems);
            ImGui::TextUnformatted((line + extra).c_str());
            ctx.controls.note("preview_meters");
        } else if (!pv.error.empty()) {
            ImGui::TextDisabled("preview: %s", pv.error.c_str());
        }
    }
    draw_refusal(ctx, "");  // the last refused edit of any control, until an edit lands
    std::string& eq_target = ws.settings().eq_target;
    const float avail_h = ImGui::GetContentRegionAvail().y;
    const float strips_h = eq_target.empty() ? avail_h : std::max(240.0f * scale, avail_h * 0.5f);
    const float strip_h = std::max(240.0f * scale, strips_h - ImGui::GetStyle().ScrollbarSize - 4.0f);
    ImGui::BeginChild("strips", ImVec2(0, strips_h), false, ImGuiWindowFlags_HorizontalScrollbar);
    std::optional<ImVec2> fx_anchor;  // where the open FX window's strip has its FX button
    // The width control: drag (Shift/Ctrl fine), type (Ctrl+click), double-click removes the key (bypassed).
    auto width_control = [&](const std::string& prefix, std::optional<double> width, float w) {
        const DragOutcome o = drag_number("width", width, DragNumber{.lo = 0.0, .hi = 4.0, .step = 0.01, .resolution = 0.01,
                                                                     .format = "width %.2f", .absent = "width off", .start = 1.0}, w);
        queue_number_edit(edits, prefix + ".width", o, width.has_value());
        ctx.controls.note(prefix + ".width");
    };
    // One strip: name, pan and width, mute / solo / polarity, the fader over a
    // peak and short-term meter, the routing. `prefix` is the JSON path of the
    // strip ("stems[3]", "buses[0]"); empty for the master (nothing to edit here).
    // `width`: offered (stereo stems, buses) with its value, absent when bypassed.
    auto strip = [&](const std::string& name, const std::string& prefix, double gain_db, std::optional<double> pan,
                     std::optional<std::optional<double>> width, std::optional<std::array<bool, 3>> msp, const std::string& out,
                     const Source* meter, size_t index) {
        ImGui::PushID(static_cast<int>(index));
        ImGui::BeginChild("strip", ImVec2(strip_w, strip_h), true);
        ImGui::TextUnformatted(name.c_str());
        const float w = strip_w - 2.0f * ImGui::GetStyle().WindowPadding.x;
        // Three rows above the fader on every strip (so that the faders line
        // up): a stem's pan, width and mute / solo / polarity; a bus's width.
        if (width && !pan) {
            width_control(prefix, *width, w);
        } else if (pan) {
            float p = static_cast<float>(*pan);
            ImGui::SetNextItemWidth(w);
            if (ImGui::SliderFloat("##pan", &p, -1.0f, 1.0f, "pan %+.2f"))
                edits.push_back({ViewEdit::Op::Set, prefix + ".pan", std::round(p * 100.0) / 100.0, ImGui::GetID("##pan")});
            if (ImGui::IsItemHovered() && ImGui::IsMouseDoubleClicked(ImGuiMouseButton_Left)) edits.push_back({ViewEdit::Op::Set, prefix + ".pan", 0.0, 0});
        } else {
            ImGui::Dummy(ImVec2(w, ImGui::GetFrameHeight()));
        }
        if (width && pan) width_control(prefix, *width, w);
        else ImGui::Dummy(ImVec2(w, ImGui::GetFrameHeight()));
        if (msp) {
            static const char* kLabels[] = {"M", "S", "Ø"};
            static const char* kKeys[] = {".mute", ".solo", ".polarity_invert"};
            for (int k = 0; k < 3; ++k) {
                if (k) ImGui::SameLine();
                const bool on = (*msp)[static_cast<size_t>(k)];
                if (on) ImGui::PushStyleColor(ImGuiCol_Button, k == 0 ? ImVec4(0.75f, 0.3f, 0.25f, 1) : k == 1 ? ImVec4(0.8f, 0.7f, 0.2f, 1) : ImVec4(0.3f, 0.5f, 0.8f, 1));
                if (ImGui::Button(kLabels[k], ImVec2((w - 2.0f * ImGui::GetStyle().ItemSpacing.x) / 3.0f, 0))) edits.push_back({ViewEdit::Op::Set, prefix + kKeys[k], !on, 0});
                if (on) ImGui::PopStyleColor();
            }
        } else {
            ImGui::Dummy(ImVec2(w, ImGui::GetFrameHeight()));
        }
        // The fader: drag up/down (Shift or Ctrl: a tenth of the step), double-click: 0 dB.
        ImDrawList* dl = ImGui::GetWindowDrawList();
        const ImVec2 p = ImGui::GetCursorScreenPos();
        const float h = strip_h - 10.0f * ImGui::GetFrameHeightWithSpacing();
        constexpr double kTopDb = 6.0, kSpanDb = 66.0;   // +6 .. -60 dB
        auto y_of_db = [&](double db) { return p.y + h * static_cast<float>(std::clamp((kTopDb - db) / kSpanDb, 0.0, 1.0)); };
        dl->AddRectFilled(p, ImVec2(p.x + w, p.y + h), IM_COL32(18, 18, 22, 255));
        for (double db : {6.0, 0.0, -6.0, -12.0, -24.0, -48.0}) dl->AddLine(ImVec2(p.x + w * 0.62f, y_of_db(db)), ImVec2(p.x + w, y_of_db(db)), kColourGrid);
        if (meter && meter->analysis) {
            const double peak_db = meter->analysis->sample_peak > 0 ? 20.0 * std::log10(meter->analysis->sample_peak) : -120.0;
            dl->AddRectFilled(ImVec2(p.x + 2, y_of_db(peak_db)), ImVec2(p.x + w * 0.3f, p.y + h), peak_db > -0.1 ? kColourCeiling : IM_COL32(80, 200, 120, 255));
            if (meter->analysis->short_term_max_lufs)
                dl->AddRectFilled(ImVec2(p.x + w * 0.32f, y_of_db(*meter->analysis->short_term_max_lufs)), ImVec2(p.x + w * 0.6f, p.y + h),
                                  IM_COL32(80, 170, 255, 255));
        }
        const float fy = y_of_db(gain_db);
        ImGui::InvisibleButton("fader", ImVec2(w, h));
        const bool editable = !prefix.empty();
        const bool active = editable && ImGui::IsItemActive();
        dl->AddRectFilled(ImVec2(p.x + w * 0.62f, fy - 5), ImVec2(p.x + w - 2, fy + 5),
                          active ? IM_COL32(255, 255, 255, 255) : IM_COL32(200, 200, 205, 255));
        if (active && ImGui::GetIO().MouseDelta.y != 0.0f) {
            const ImGuiIO& io = ImGui::GetIO();
            const double step = kSpanDb / h * ((io.KeyShift || io.KeyCtrl) ? 0.1 : 1.0);
            const double g = std::clamp(gain_db - io.MouseDelta.y * step, -60.0, 12.0);
            edits.push_back({ViewEdit::Op::Set, prefix + ".gain_db", std::round(g * 100.0) / 100.0, ImGui::GetID("fader")});
        }
        if (editable && ImGui::IsItemHovered() && ImGui::IsMouseDoubleClicked(ImGuiMouseButton_Left)) edits.push_back({ViewEdit::Op::Set, prefix + ".gain_db", 0.0, 0});
        ImGui::Text("%+.1f dB", gain_db);
        if (meter && meter->analysis) ImGui::TextDisabled("%s", fmt_linear_db(meter->analysis->sample_peak, "dBFS").c_str());
        else ImGui::TextDisabled(" ");
        // Routing: where the strip's output goes (the validator refuses a cycle).
        if (prefix.empty()) {
            ImGui::TextDisabled("-> %s", out.c_str());
        } else {
            ImGui::SetNextItemWidth(w);
            if (ImGui::BeginCombo("##out", ("-> " + out).c_str())) {
                std::vector<std::string> targets{kMasterBusName};
                for (const BusSpec& b : s.buses)
                    if ("[" + b.name + "]" != name) targets.push_back(b.name);
                for (const std::string& t : targets)
                    if (ImGui::Selectable(t.c_str(), t == out) && t != out) edits.push_back({ViewEdit::Op::Set, prefix + ".output", t, 0});
                ImGui::EndCombo();
            }
        }
        // A bus: render what passes through it as a source (look at it, play it).
        if (prefix.rfind("buses[", 0) == 0) {
            const std::string bus = name.substr(1, name.size() - 2);  // "[verb]"
            if (ws.backend_comparison()) ImGui::BeginDisabled();
            if (ImGui::Button("Render as source", ImVec2(w, 0))) {
                if (auto r = ws.render_bus(bus); !r) ws.log_line(r.error().message);
            }
            if (ws.backend_comparison()) ImGui::EndDisabled();
        }
        // Sends (stems): level, dragged like a fader; pre/post on the right-click.
        if (prefix.rfind("stems[", 0) == 0) {
            const size_t k = std::stoul(prefix.substr(6, prefix.size() - 7));
            const auto& sends = s.stems[k].sends;
            for (size_t j = 0; j < sends.size(); ++j) {
                ImGui::PushID(static_cast<int>(j) + 100);
                float level = static_cast<float>(sends[j].level_db);
                ImGui::SetNextItemWidth(w);
                const std::string fmt = sends[j].bus + (sends[j].pre_fader ? " pre" : "") + " %.1f";
                if (ImGui::DragFloat("##send", &level, 0.1f, -60.0f, 12.0f, fmt.c_str()))
                    edits.push_back({ViewEdit::Op::Set, prefix + ".sends[" + std::to_string(j) + "].level_db", std::round(level * 10.0) / 10.0,
                                     ImGui::GetID("##send")});
                if (ImGui::BeginPopupContextItem("send")) {
                    if (ImGui::MenuItem("pre-fader", nullptr, sends[j].pre_fader))
                        edits.push_back({ViewEdit::Op::Set, prefix + ".sends[" + std::to_string(j) + "].pre_fader", !sends[j].pre_fader, 0});
                    if (ImGui::MenuItem("remove send")) edits.push_back({ViewEdit::Op::Remove, prefix + ".sends[" + std::to_string(j) + "]", nullptr, 0});
                    ImGui::EndPopup();
                }
                ImGui::PopID();
            }
        }
        // The strip's inserts open below the strips: EQ, and the compressor on stems and buses.
        const std::string target = prefix.empty() ? std::string("master") : prefix;
        const float half = (w - ImGui::GetStyle().ItemSpacing.x) / 2.0f;
        auto insert_button = [&](const char* label, const std::string& kind) {
            const bool open = eq_target == target && ws.settings().insert_kind == kind;
            if (open) ImGui::PushStyleColor(ImGuiCol_Button, ImVec4(0.3f, 0.5f, 0.8f, 1));
            if (ImGui::Button(label, ImVec2(half, 0))) {
                eq_target = open ? std::string() : target;
                ws.settings().insert_kind = kind;
            }
            ctx.controls.note(target + ":" + kind);
            if (open) ImGui::PopStyleColor();
        };
        insert_button("EQ", "eq");
        ImGui::SameLine();
        if (!prefix.empty()) insert_button("Comp", "compressor");
        else insert_button("Master", "master");
        if (!prefix.empty()) {
            insert_button("Auto", "automation");
            ImGui::SameLine();
            // FX: the chorus (and a bus's delay) in a window beside the strip.
            const bool open = ws.settings().fx_target == prefix;
            const bool has_fx = prefix.rfind("stems[", 0) == 0 ? s.stems[index].chorus.has_value()
                                                               : s.buses[index - s.stems.size()].chorus || s.buses[index - s.stems.size()].delay;
            if (open) ImGui::PushStyleColor(ImGuiCol_Button, ImVec4(0.3f, 0.5f, 0.8f, 1));
            if (ImGui::Button(has_fx ? "FX*###fx" : "FX###fx", ImVec2(half, 0))) ws.settings().fx_target = open ? std::string() : prefix;
            if (open) ImGui::PopStyleColor();
            ctx.controls.note(prefix + ":fx");
            if (ImGui::IsItemHovered()) ImGui::SetTooltip(has_fx ? "chorus / delay (in use)" : "chorus / delay");
            // The window opens right of the button, level with the strip's top (it covers strips, not the panel below).
            if (ws.settings().fx_target == prefix) fx_anchor = ImVec2(ImGui::GetItemRectMax().x + 4.0f, ImGui::GetWindowPos().y);
        }
        ImGui::EndChild();
        ImGui::PopID();
        ImGui::SameLine();
    };
    size_t i = 0;
    for (size_t k = 0; k < s.stems.size(); ++k) {
        const StemSpec& st = s.stems[k];
        const Source* src = stem_source(ws, st.name);
        // Width is for stereo stems (a mono stem's width is an error); one already set is shown so that it can be removed.
        const bool offers_width = (src && src->channels == 2) || st.width;
        strip(st.name, "stems[" + std::to_string(k) + "]", st.gain_db, st.pan, offers_width ? std::make_optional(st.width) : std::nullopt,
              std::array<bool, 3>{st.mute, st.solo, st.polarity_invert}, st.output, src, i++);
    }
    for (size_t k = 0; k < s.buses.size(); ++k)
        strip("[" + s.buses[k].name + "]", "buses[" + std::to_string(k) + "]", s.buses[k].gain_db, std::nullopt, std::make_optional(s.buses[k].width),
              std::nullopt, s.buses[k].output, nullptr, i++);
    // The master strip's meter: the render on edit's, once measured, else the delivered master's.
    const Source* master = nullptr;
    for (const Source& src : ws.sources())
        if (src.kind == SourceKind::Master && src.label == "master (preview)" && src.analysis) master = &src;
    for (const Source& src : ws.sources())
        if (!master && src.kind == SourceKind::Master) {
            master = &src;
            break;
        }
    strip("MASTER", "", 0.0, std::nullopt, std::nullopt, std::nullopt, "exports", master, i++);
    ImGui::EndChild();
    if (std::string& fx = ws.settings().fx_target; !fx.empty()) {
        if (!fx_anchor || !draw_fx_panel(ctx, fx, *fx_anchor, edits)) fx.clear();  // its strip is gone, or the window was closed
    }
    if (!eq_target.empty()) {
        if (eq_target == "master" && ws.settings().insert_kind == "master") draw_master_panel(ctx, edits);
        else if (eq_target == "master" && !s.master) eq_target.clear();  // no master block: no master EQ to edit
        else if (ws.settings().insert_kind == "compressor" && eq_target != "master") draw_compressor_panel(ctx, eq_target, edits);
        else if (ws.settings().insert_kind == "automation" && eq_target != "master") draw_automation_lane(ctx, eq_target, edits);
        else draw_eq_editor(ctx, eq_target + ".eq", edits);
    }

    apply_view_edits(ctx, edits);
}

}  // namespace sf::gui
