// The compare view: two sources aligned and nulled (analysis::compare_files):
// offset, residual peak / RMS, SNR, loudness and true-peak differences, the
// residual's spectrum, and pass / fail against a parity bound.
#include <algorithm>
#include <cmath>
#include <cstdio>

#include "app/gui/plot.h"
#include "app/gui/views.h"

namespace sf::gui {

namespace {

bool source_combo(const char* label, const Workstation& ws, size_t& index) {
    bool changed = false;
    const char* preview = index < ws.sources().size() ? ws.sources()[index].label.c_str() : "-";
    if (ImGui::BeginCombo(label, preview)) {
        for (size_t i = 0; i < ws.sources().size(); ++i) {
            ImGui::PushID(static_cast<int>(i));
            if (ImGui::Selectable(ws.sources()[i].label.c_str(), i == index)) {
                index = i;
                changed = true;
            }
            ImGui::PopID();
        }
        ImGui::EndCombo();
    }
    return changed;
}

}  // namespace

void draw_compare_view(ViewContext& ctx) {
    Workstation& ws = ctx.ws;
    const CompareRun& run = ws.compare_run();
    const float scale = ctx.frame.scale;
    const bool has_session = ws.session() && ws.session()->session;
    if (!has_session) ImGui::BeginDisabled();
    if (ImGui::Button("Render on GPU and CPU and compare")) {
        if (auto r = ws.compare_backends(); !r) ws.log_line(r.error().message);
    }
    if (!has_session) ImGui::EndDisabled();
    if (ws.sources().size() < 2) {
        ImGui::TextDisabled("Compare needs two sources: open two files, or render the session on both backends (above).");
        return;
    }
    ViewSettings& vs = ws.settings();
    size_t& a = vs.compare_a;
    size_t& b = vs.compare_b;
    ImGui::SetNextItemWidth(220.0f * scale);
    source_combo("A (reference)", ws, a);
    ImGui::SameLine();
    ImGui::SetNextItemWidth(220.0f * scale);
    source_combo("B", ws, b);
    ImGui::SameLine();
    if (ImGui::Button("Compare")) {
        if (auto r = ws.compare(a, b); !r) ws.log_line(r.error().message);
    }
    ImGui::SameLine();
    ImGui::SetNextItemWidth(120.0f * scale);
    ImGui::InputDouble("bound dBFS", &vs.compare_bound_dbfs, 1.0, 10.0, "%.1f");

    if (const auto& qa = ws.backend_comparison()) {
        ImGui::Text("%s ...", qa->phase().c_str());
        ImGui::ProgressBar(static_cast<float>(qa->progress()), ImVec2(-1, 0));
        return;
    }
    if (run.job) {
        ImGui::Text("Comparing ...");
        ImGui::ProgressBar(static_cast<float>(run.job->progress()), ImVec2(-1, 0));
        return;
    }
    if (!run.error.empty()) {
        ImGui::TextColored(ImVec4(1.0f, 0.45f, 0.4f, 1.0f), "%s", run.error.c_str());
        return;
    }
    if (!run.result) return;
    const analysis::CompareResult& r = *run.result;
    const double peak_db = r.residual_peak > 0 ? 20.0 * std::log10(r.residual_peak) : -INFINITY;
    const bool pass = peak_db <= vs.compare_bound_dbfs;
    ImGui::Text("%s  vs  %s", ws.sources()[*run.a].label.c_str(), ws.sources()[*run.b].label.c_str());
    ImGui::SetWindowFontScale(1.6f);
    ImGui::Text("residual peak %s", fmt_linear_db(r.residual_peak, "dBFS").c_str());
    ImGui::SameLine(0.0f, 30.0f * scale);
    ImGui::TextColored(pass ? ImVec4(0.4f, 0.85f, 0.5f, 1.0f) : ImVec4(1.0f, 0.45f, 0.4f, 1.0f), pass ? "PASS" : "FAIL");
    ImGui::SetWindowFontScale(1.0f);
    ImGui::Text("residual RMS %s    SNR %s    offset %lld samples    compared %lld frames", fmt_linear_db(r.residual_rms, "dBFS").c_str(),
                fmt_level(r.snr_db, "dB").c_str(), static_cast<long long>(r.offset_samples), static_cast<long long>(r.frames_compared));
    ImGui::Text("loudness B-A %s    true peak B-A %s", fmt_level(r.integrated_diff_lu, "LU", 2).c_str(), fmt_level(r.true_peak_diff_db, "dB", 2).c_str());

    const ImVec2 avail = ImGui::GetContentRegionAvail();
    const double nyquist = std::max(1.0, r.residual_spectrum.sample_rate / 2.0);
    Plot plot("residual-spectrum", ImVec2(avail.x, std::max(avail.y, 160.0f * scale)), Axis{20.0, nyquist, true}, Axis{-200.0, 0.0, false});
    plot.frequency_ticks();
    plot.y_ticks(20.0, "dB");
    plot.hline(vs.compare_bound_dbfs, kColourCeiling, "bound");
    if (r.residual_peak > 0.0) {
        const analysis::SmoothedSpectrum sm = analysis::smooth_octave(r.residual_spectrum, 6, 20.0, 48);
        std::vector<double> db(sm.power.size());
        for (size_t i = 0; i < db.size(); ++i) db[i] = sm.power[i] > 0.0 ? 10.0 * std::log10(sm.power[i]) : -INFINITY;
        plot.trace(sm.freq_hz, db, source_colour(1));
    } else {
        plot.readout("identical: no residual");
    }
    if (auto h = plot.hover()) {
        char buf[96];
        std::snprintf(buf, sizeof buf, "%s Hz  %.1f dB", frequency_label(h->x).c_str(), static_cast<double>(h->y));
        plot.readout(buf);
    }
}

}  // namespace sf::gui
