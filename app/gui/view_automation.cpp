// The automation lane of a stem (in the mixer, below the strips): its gain
// automation breakpoints on the session timeline, drawn as the render
// interpolates them (linear in dB between points, the first and last values
// held). Double-click adds a point, drag moves one, right-click deletes it;
// the whole list is written back with one `set` (a drag is one undo step).
#include <algorithm>
#include <charconv>
#include <cmath>
#include <cstdio>

#include "app/gui/plot.h"
#include "app/gui/views.h"

namespace sf::gui {

namespace {

nlohmann::json points_json(const std::vector<AutomationPoint>& points) {
    nlohmann::json a = nlohmann::json::array();
    for (const AutomationPoint& p : points) a.push_back({std::round(p.time_s * 1000.0) / 1000.0, std::round(p.value * 10.0) / 10.0});
    return a;
}

}  // namespace

void draw_automation_lane(ViewContext& ctx, const std::string& prefix, std::vector<ViewEdit>& edits) {
    Workstation& ws = ctx.ws;
    const Session& s = *ws.session()->session;
    size_t k = SIZE_MAX;
    if (prefix.rfind("stems[", 0) == 0 && prefix.back() == ']') std::from_chars(prefix.data() + 6, prefix.data() + prefix.size() - 1, k);
    if (k >= s.stems.size()) return;
    const StemSpec& stem = s.stems[k];
    std::vector<AutomationPoint> points = stem.automation.gain_db;
    const std::string path = prefix + ".automation.gain_db";
    ImGui::Separator();
    ImGui::Text("Gain automation: %s  (double-click adds a point, drag moves it, right-click deletes it)", stem.name.c_str());
    if (!points.empty()) {
        ImGui::SameLine();
        if (ImGui::Button("Clear")) edits.push_back({ViewEdit::Op::Remove, prefix + ".automation", nullptr, 0});
    }

    auto [t0, t1] = visible_time(ws);
    if (ws.duration_s() <= 0.0) t1 = std::max(t1, 10.0);  // nothing measured yet: a 10 s lane
    const ImVec2 avail = ImGui::GetContentRegionAvail();
    Plot plot("automation", ImVec2(avail.x, std::max(avail.y, 120.0f * ctx.frame.scale)), Axis{t0, t1, false}, Axis{-48.0, 12.0, false});
    plot.time_ticks();
    plot.y_ticks(12.0, "dB");
    plot.hline(0.0, kColourGrid);
    // The curve as the render applies it: held before the first and after the last point.
    if (!points.empty()) {
        std::vector<double> xs{t0}, ys{points.front().value};
        for (const AutomationPoint& p : points) {
            xs.push_back(p.time_s);
            ys.push_back(p.value);
        }
        xs.push_back(t1);
        ys.push_back(points.back().value);
        plot.trace(xs, ys, source_colour(0), 2.0f);
    }
    draw_time_overlays(plot, ws);
    const ImVec2 mouse = ImGui::GetIO().MousePos;
    bool on_point = false;
    for (size_t i = 0; i < points.size(); ++i) {
        const ImVec2 c(plot.x_px(points[i].time_s), plot.y_px(std::clamp(points[i].value, -48.0, 12.0)));
        const float r = 6.0f * ctx.frame.scale;
        ImGui::SetCursorScreenPos(ImVec2(c.x - r, c.y - r));
        ImGui::PushID(static_cast<int>(i));
        ImGui::InvisibleButton("point", ImVec2(2 * r, 2 * r));
        const ImGuiID id = ImGui::GetID("point");
        const bool active = ImGui::IsItemActive(), hovered = ImGui::IsItemHovered();
        const bool remove = ImGui::IsItemClicked(ImGuiMouseButton_Right);
        ImGui::PopID();
        on_point |= hovered || active;
        if (active && (ImGui::GetIO().MouseDelta.x != 0.0f || ImGui::GetIO().MouseDelta.y != 0.0f)) {
            // Between its neighbours: times stay non-decreasing, as the validator requires.
            const double lo = i > 0 ? points[i - 1].time_s : 0.0;
            const double hi = i + 1 < points.size() ? points[i + 1].time_s : std::max(t1, points[i].time_s);
            std::vector<AutomationPoint> moved = points;
            moved[i].time_s = std::clamp(plot.x_at(mouse.x), lo, hi);
            moved[i].value = std::clamp(plot.y_at(mouse.y), -48.0, 12.0);
            edits.push_back({ViewEdit::Op::Set, path, points_json(moved), id});
        }
        if (remove) {
            std::vector<AutomationPoint> fewer = points;
            fewer.erase(fewer.begin() + static_cast<std::ptrdiff_t>(i));
            edits.push_back({ViewEdit::Op::Set, path, points_json(fewer), 0});
        }
        plot.draw()->AddCircleFilled(c, r, active || hovered ? IM_COL32(255, 255, 255, 255) : source_colour(0));
        if (hovered) {
            char buf[64];
            std::snprintf(buf, sizeof buf, "%s  %+.1f dB", time_label(points[i].time_s).c_str(), points[i].value);
            plot.readout(buf);
        }
    }
    if (!on_point && plot.hovered() && ImGui::IsMouseDoubleClicked(ImGuiMouseButton_Left)) {
        std::vector<AutomationPoint> more = points;
        const AutomationPoint p{std::max(0.0, plot.x_at(mouse.x)), std::clamp(plot.y_at(mouse.y), -48.0, 12.0)};
        more.insert(std::upper_bound(more.begin(), more.end(), p, [](const AutomationPoint& a, const AutomationPoint& b) { return a.time_s < b.time_s; }), p);
        edits.push_back({ViewEdit::Op::Set, path, points_json(more), 0});
    }
    if (auto h = plot.hover(); h && !on_point) {
        char buf[64];
        std::snprintf(buf, sizeof buf, "%s  %+.1f dB", time_label(h->x).c_str(), static_cast<double>(h->y));
        plot.readout(buf);
    }
}

}  // namespace sf::gui
