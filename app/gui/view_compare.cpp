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
    const float list_w = 300.0f * scale;
    const float plots_w = std::max(200.0f, avail.x - list_w - 8.0f);
    const float plot_h = std::max(120.0f * scale, avail.y * 0.5f - 4.0f);
    ImGui::BeginGroup();
    // ---- the residual over time (peak and RMS per bucket) against the programme
    {
        const double span = r.residual_bucket_s * static_cast<double>(r.residual_peak_over_time.size());
        Plot t("residual-time", ImVec2(plots_w, plot_h), Axis{r.residual_start_s, r.residual_start_s + std::max(span, 1e-3), false},
               Axis{-200.0, 0.0, false});
        t.time_ticks();
        t.y_ticks(40.0, "dB");
        t.hline(vs.compare_bound_dbfs, kColourCeiling, "bound");
        auto to_db = [](const std::vector<float>& v) {
            std::vector<double> d(v.size());
            for (size_t i = 0; i < v.size(); ++i) d[i] = v[i] > 0.0f ? 20.0 * std::log10(v[i]) : -INFINITY;
            return d;
        };
        const double x0 = r.residual_start_s + 0.5 * r.residual_bucket_s;
        t.series(to_db(r.signal_rms_over_time), x0, r.residual_bucket_s, IM_COL32(120, 120, 130, 255), 1.0f);
        t.series(to_db(r.residual_rms_over_time), x0, r.residual_bucket_s, source_colour(2), 1.0f);
        t.series(to_db(r.residual_peak_over_time), x0, r.residual_bucket_s, source_colour(1), 1.5f);
        if (auto h = t.hover()) {
            char buf[96];
            std::snprintf(buf, sizeof buf, "%s  %.1f dB", time_label(h->x).c_str(), static_cast<double>(h->y));
            t.readout(buf);
        }
        if (r.residual_peak <= 0.0) t.readout("identical: no residual");
    }
    // ---- its spectrum
    const double nyquist = std::max(1.0, r.residual_spectrum.sample_rate / 2.0);
    Plot plot("residual-spectrum", ImVec2(plots_w, plot_h), Axis{20.0, nyquist, true}, Axis{-200.0, 0.0, false});
    plot.frequency_ticks();
    plot.y_ticks(40.0, "dB");
    plot.hline(vs.compare_bound_dbfs, kColourCeiling, "bound");
    if (r.residual_peak > 0.0) {
        const analysis::SmoothedSpectrum sm = analysis::smooth_octave(r.residual_spectrum, 6, 20.0, 48);
        std::vector<double> db(sm.power.size());
        for (size_t i = 0; i < db.size(); ++i) db[i] = sm.power[i] > 0.0 ? 10.0 * std::log10(sm.power[i]) : -INFINITY;
        plot.trace(sm.freq_hz, db, source_colour(1));
    }
    if (auto h = plot.hover()) {
        char buf[96];
        std::snprintf(buf, sizeof buf, "%s Hz  %.1f dB", frequency_label(h->x).c_str(), static_cast<double>(h->y));
        plot.readout(buf);
    }
    ImGui::EndGroup();
    ImGui::SameLine();
    // ---- where it differs: the worst stretches; a click puts the time cursor there
    ImGui::BeginChild("worst", ImVec2(0, 0), true);
    ImGui::TextUnformatted("Where it differs");
    if (r.worst_stretches.empty()) ImGui::TextDisabled("nowhere: the files null");
    for (size_t i = 0; i < r.worst_stretches.size(); ++i) {
        const analysis::ResidualStretch& w = r.worst_stretches[i];
        char label[128];
        std::snprintf(label, sizeof label, "%s - %s  %s", time_label(w.start_s).c_str(), time_label(w.end_s).c_str(),
                      fmt_linear_db(w.peak, "dBFS").c_str());
        ImGui::PushID(static_cast<int>(i));
        if (ImGui::Selectable(label)) {
            ws.time().cursor_s = w.peak_s;
            ws.time().selection_s = std::pair{w.start_s, w.end_s};
        }
        ImGui::PopID();
    }
    ImGui::EndChild();
}

}  // namespace sf::gui
