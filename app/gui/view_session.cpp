// The session overview and the mixer (read-only in part 1): what the session
// file says, laid out as an engineer reads a console, with the meters of the
// last measurement of each stem.
#include <algorithm>
#include <cmath>
#include <cstdio>

#include "app/gui/plot.h"
#include "app/gui/views.h"

namespace sf::gui {

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
    return fmt("%.1f dB", c->threshold_db) + fmt(" %.1f:1", c->ratio);
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
    if (ImGui::CollapsingHeader("Stems", ImGuiTreeNodeFlags_DefaultOpen) && ImGui::BeginTable("stems", 9, flags)) {
        for (const char* h : {"stem", "file", "gain", "pan", "state", "EQ", "compressor", "sends", "out"}) ImGui::TableSetupColumn(h);
        ImGui::TableHeadersRow();
        for (const StemSpec& st : s.stems) {
            ImGui::TableNextRow();
            ImGui::TableNextColumn(); ImGui::TextUnformatted(st.name.c_str());
            ImGui::TableNextColumn(); ImGui::TextUnformatted(st.file_as_written.c_str());
            ImGui::TableNextColumn(); ImGui::Text("%+.1f dB", st.gain_db);
            ImGui::TableNextColumn(); ImGui::Text("%+.2f", st.pan);
            ImGui::TableNextColumn();
            ImGui::Text("%s%s%s%s", st.mute ? "M " : "", st.solo ? "S " : "", st.polarity_invert ? "inv " : "",
                        st.gain_automation.empty() ? "" : "auto");
            ImGui::TableNextColumn(); ImGui::TextUnformatted(eq_summary(st.eq).c_str());
            ImGui::TableNextColumn(); ImGui::TextUnformatted(compressor_summary(st.compressor).c_str());
            ImGui::TableNextColumn(); ImGui::TextUnformatted(sends_summary(st.sends).c_str());
            ImGui::TableNextColumn(); ImGui::Text("-> %s", st.output.c_str());
        }
        ImGui::EndTable();
    }
    if (!s.buses.empty() && ImGui::CollapsingHeader("Buses", ImGuiTreeNodeFlags_DefaultOpen) && ImGui::BeginTable("buses", 6, flags)) {
        for (const char* h : {"bus", "reverb", "EQ", "compressor", "gain", "out"}) ImGui::TableSetupColumn(h);
        ImGui::TableHeadersRow();
        for (const BusSpec& b : s.buses) {
            ImGui::TableNextRow();
            ImGui::TableNextColumn(); ImGui::TextUnformatted(b.name.c_str());
            ImGui::TableNextColumn();
            ImGui::TextUnformatted(b.reverb ? (b.reverb->ir_as_written + fmt(", wet %.1f dB", b.reverb->wet_db)).c_str() : "-");
            ImGui::TableNextColumn(); ImGui::TextUnformatted(eq_summary(b.eq).c_str());
            ImGui::TableNextColumn(); ImGui::TextUnformatted(compressor_summary(b.compressor).c_str());
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
    const Session& s = *ws.session()->session;
    const float scale = ctx.frame.scale;
    const float strip_w = 96.0f * scale;
    const float strip_h = std::max(200.0f * scale, ImGui::GetContentRegionAvail().y - 4.0f);
    ImGui::BeginChild("strips", ImVec2(0, 0), false, ImGuiWindowFlags_HorizontalScrollbar);
    auto strip = [&](const std::string& name, double gain_db, std::optional<double> pan, const std::string& out, const Source* meter,
                     size_t index) {
        ImGui::PushID(static_cast<int>(index));
        ImGui::BeginChild("strip", ImVec2(strip_w, strip_h), true);
        ImGui::TextUnformatted(name.c_str());
        if (pan) ImGui::TextDisabled("pan %+.2f", *pan);
        // The fader position and a peak / short-term meter (of the stem's file).
        ImDrawList* dl = ImGui::GetWindowDrawList();
        const ImVec2 p = ImGui::GetCursorScreenPos();
        const float h = strip_h - 5.0f * ImGui::GetTextLineHeightWithSpacing();
        const float w = strip_w - 2.0f * ImGui::GetStyle().WindowPadding.x;
        auto y_of_db = [&](double db) { return p.y + h * static_cast<float>(std::clamp((6.0 - db) / 66.0, 0.0, 1.0)); };  // +6 .. -60
        dl->AddRectFilled(p, ImVec2(p.x + w, p.y + h), IM_COL32(18, 18, 22, 255));
        if (meter && meter->analysis) {
            const double peak_db = meter->analysis->sample_peak > 0 ? 20.0 * std::log10(meter->analysis->sample_peak) : -120.0;
            dl->AddRectFilled(ImVec2(p.x + 2, y_of_db(peak_db)), ImVec2(p.x + w * 0.3f, p.y + h),
                              peak_db > -0.1 ? kColourCeiling : IM_COL32(80, 200, 120, 255));
            if (meter->analysis->short_term_max_lufs)
                dl->AddRectFilled(ImVec2(p.x + w * 0.32f, y_of_db(*meter->analysis->short_term_max_lufs)), ImVec2(p.x + w * 0.6f, p.y + h),
                                  IM_COL32(80, 170, 255, 255));
        }
        const float fy = y_of_db(gain_db);
        dl->AddRectFilled(ImVec2(p.x + w * 0.62f, fy - 4), ImVec2(p.x + w - 2, fy + 4), IM_COL32(230, 230, 230, 255));
        ImGui::Dummy(ImVec2(w, h));
        ImGui::Text("%+.1f dB", gain_db);
        if (meter && meter->analysis)
            ImGui::TextDisabled("%s", fmt_linear_db(meter->analysis->sample_peak, "dBFS").c_str());
        ImGui::TextDisabled("-> %s", out.c_str());
        ImGui::EndChild();
        ImGui::PopID();
        ImGui::SameLine();
    };
    size_t i = 0;
    for (const StemSpec& st : s.stems) strip(st.name, st.gain_db, st.pan, st.output, stem_source(ws, st.name), i++);
    for (const BusSpec& b : s.buses) strip("[" + b.name + "]", b.gain_db, std::nullopt, b.output, nullptr, i++);
    const Source* master = nullptr;
    for (const Source& src : ws.sources())
        if (src.kind == SourceKind::Master) {
            master = &src;
            break;
        }
    strip("MASTER", 0.0, std::nullopt, "exports", master, i++);
    ImGui::EndChild();
}

}  // namespace sf::gui
