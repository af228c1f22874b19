// The render view: start and cancel a render of the open session (the CLI's
// path, on a worker), its progress, per-phase timing, the backend and
// device, the master's decisions and the files it wrote.
#include <algorithm>
#include <cstdio>

#include "app/gui/views.h"

namespace sf::gui {

void draw_render_view(ViewContext& ctx) {
    Workstation& ws = ctx.ws;
    const RenderRun& run = ws.render_run();
    const bool can_render = ws.session() && ws.session()->session && !run.job;

    static const char* kBackends[] = {"auto", "cpu", "gpu"};
    int current = static_cast<int>(std::find(std::begin(kBackends), std::end(kBackends), run.backend) - std::begin(kBackends));
    ImGui::SetNextItemWidth(120.0f * ctx.frame.scale);
    if (ImGui::Combo("backend", &current, kBackends, 3) && current >= 0 && current < 3) ws.set_backend(kBackends[current]);
    ImGui::SameLine();
    if (!can_render) ImGui::BeginDisabled();
    if (ImGui::Button("Render (Ctrl+R)")) {
        if (auto r = ws.render(); !r) ws.log_line("render: " + r.error().message);
    }
    if (!can_render) ImGui::EndDisabled();
    ImGui::SameLine();
    if (!run.job) ImGui::BeginDisabled();
    if (ImGui::Button("Cancel")) ws.cancel_render();
    if (!run.job) ImGui::EndDisabled();
    ImGui::SameLine();
    const bool can_premaster = ws.session() && ws.session()->session && ws.session()->session->master && !ws.backend_comparison();
    if (!can_premaster) ImGui::BeginDisabled();
    if (ImGui::Button("Render pre-master (for A/B)")) {
        if (auto r = ws.render_premaster(); !r) ws.log_line(r.error().message);
    }
    if (!can_premaster) ImGui::EndDisabled();
    if (const auto& qa = ws.backend_comparison()) {
        ImGui::ProgressBar(static_cast<float>(qa->progress()), ImVec2(-1, 0), qa->phase().c_str());
    }

    if (run.job) {
        char label[96];
        std::snprintf(label, sizeof label, "%s %.0f%%  (%.1f s)", run.job->phase().c_str(), 100.0 * run.job->progress(), run.job->elapsed_s());
        ImGui::ProgressBar(static_cast<float>(run.job->progress()), ImVec2(-1, 0), label);
    } else if (!run.error.empty()) {
        ImGui::TextColored(ImVec4(1.0f, 0.45f, 0.4f, 1.0f), "Last render: %s", run.error.c_str());
    } else if (!ws.session()) {
        ImGui::TextDisabled("Open a session to render it.");
    }

    if (!run.result) return;
    const RenderResult& r = *run.result;
    ImGui::Separator();
    const double duration = r.sample_rate > 0 ? static_cast<double>(r.frames) / r.sample_rate : 0.0;
    const double total = r.timing_s.count("total") ? r.timing_s.at("total") : 0.0;
    ImGui::Text("Rendered %.2f s of audio in %.2f s (%.1fx realtime) on %s (%s)", duration, total, duration / std::max(total, 1e-9),
                r.backend.c_str(), r.device.c_str());
    if (ImGui::BeginTable("timing", 2, ImGuiTableFlags_Borders | ImGuiTableFlags_SizingFixedFit)) {
        ImGui::TableSetupColumn("phase");
        ImGui::TableSetupColumn("seconds");
        ImGui::TableHeadersRow();
        for (const auto& [phase, s] : r.timing_s) {
            ImGui::TableNextRow();
            ImGui::TableNextColumn();
            ImGui::TextUnformatted(phase.c_str());
            ImGui::TableNextColumn();
            ImGui::Text("%.3f", s);
        }
        ImGui::EndTable();
    }
    ImGui::Text("Outputs:");
    for (const auto& f : r.outputs) ImGui::BulletText("%s", f.string().c_str());
    if (r.master) {
        ImGui::Text("Master decisions:");
        for (const std::string& d : r.master->decisions) ImGui::BulletText("%s", d.c_str());
    }
}

}  // namespace sf::gui
