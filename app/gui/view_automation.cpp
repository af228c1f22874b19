// The automation lanes of a stem or bus (in the mixer, below the strips):
// one lane at a time, chosen in a selector (stems: gain, pan, width and one
// lane per send's bus; buses: gain and width), its breakpoints on the session
// timeline drawn as the render interpolates them (linear in the lane's unit
// between points, the first and last values held) on the lane's own range.
// Double-click adds a point, drag moves one, right-click deletes it; the
// whole lane is written back with one `set` (a drag is one undo step).
#include <algorithm>
#include <charconv>
#include <cmath>
#include <cstdio>
#include <string>
#include <vector>

#include "app/gui/plot.h"
#include "app/gui/views.h"

namespace sf::gui {

namespace {

// What a lane holds and how it is drawn. The plotted ranges are the useful
// part of each key's range (docs/session-format.md: gains −144..48 dB are
// drawn −48..12 dB, as the fader's useful travel).
struct Lane {
    std::string key;           // under "automation": "gain_db", "pan", "width", "send_db.<bus>"
    std::string title;         // in the selector
    double lo = 0.0, hi = 1.0; // the plotted and dragged range
    double tick = 1.0;         // y grid step
    int tick_decimals = 0;
    const char* unit = "";
    double resolution = 0.1;   // a point's value is written rounded to this
    double rest = 0.0;         // the neutral value (a faint line)
    const char* format = "%+.1f dB";  // a value's read-out
};

Lane gain_lane(std::string key, std::string title) {
    return Lane{std::move(key), std::move(title), -48.0, 12.0, 12.0, 0, "dB", 0.1, 0.0, "%+.1f dB"};
}

std::vector<Lane> lanes_of(const StemSpec* stem, bool stereo) {
    std::vector<Lane> lanes{gain_lane("gain_db", stem ? "gain (clip gain)" : "gain (bus fader)")};
    if (stem) lanes.push_back(Lane{"pan", "pan", -1.0, 1.0, 0.5, 1, "", 0.01, 0.0, "pan %+.2f"});
    // Width is for stereo sources (the validator refuses it on a mono stem);
    // a lane already there is offered anyway, so that it can be seen and cleared.
    if (!stem || stereo || !stem->automation.width.empty()) lanes.push_back(Lane{"width", "width", 0.0, 4.0, 1.0, 0, "", 0.01, 1.0, "width %.2f"});
    if (stem)
        for (const SendSpec& send : stem->sends)
            if (std::none_of(lanes.begin(), lanes.end(), [&](const Lane& l) { return l.key == "send_db." + send.bus; }))
                lanes.push_back(gain_lane("send_db." + send.bus, "send to " + send.bus));
    return lanes;
}

const AutomationLane* points_of(const Automation& a, const std::string& key) {
    static const AutomationLane kNone;
    if (key == "gain_db") return &a.gain_db;
    if (key == "pan") return &a.pan;
    if (key == "width") return &a.width;
    if (key.rfind("send_db.", 0) == 0) {
        const AutomationLane* l = a.send(key.substr(8));
        return l ? l : &kNone;
    }
    return &kNone;
}

nlohmann::json points_json(const std::vector<AutomationPoint>& points, double resolution) {
    nlohmann::json a = nlohmann::json::array();
    for (const AutomationPoint& p : points) a.push_back({round_to_resolution(p.time_s, 0.001), round_to_resolution(p.value, resolution)});
    return a;
}

std::string value_text(const Lane& lane, double v) {
    char buf[48];
    std::snprintf(buf, sizeof buf, lane.format, v);
    return buf;
}

}  // namespace

void draw_automation_lane(ViewContext& ctx, const std::string& prefix, std::vector<ViewEdit>& edits) {
    Workstation& ws = ctx.ws;
    const Session& s = *ws.session()->session;
    const bool is_stem = prefix.rfind("stems[", 0) == 0;
    size_t k = SIZE_MAX;  // "stems[K]" / "buses[K]": both heads are 6 characters long
    if (prefix.size() > 7 && prefix.back() == ']') std::from_chars(prefix.data() + 6, prefix.data() + prefix.size() - 1, k);
    const StemSpec* stem = is_stem && k < s.stems.size() ? &s.stems[k] : nullptr;
    const BusSpec* bus = !is_stem && k < s.buses.size() ? &s.buses[k] : nullptr;
    if (!stem && !bus) return;
    const Automation& automation = stem ? stem->automation : bus->automation;
    bool stereo = !stem;
    if (stem)
        for (const Source& src : ws.sources())
            if (src.kind == SourceKind::Stem && src.label == stem->name) stereo = src.channels == 2;

    const std::vector<Lane> lanes = lanes_of(stem, stereo);
    std::string& chosen = ws.settings().automation_lane;
    auto lane_it = std::find_if(lanes.begin(), lanes.end(), [&](const Lane& l) { return l.key == chosen; });
    if (lane_it == lanes.end()) {
        lane_it = lanes.begin();
        chosen = lane_it->key;
    }
    const Lane& lane = *lane_it;
    std::vector<AutomationPoint> points = *points_of(automation, lane.key);
    const std::string path = prefix + ".automation." + lane.key;

    ImGui::Separator();
    ImGui::Text("Automation: %s", stem ? stem->name.c_str() : ("[" + bus->name + "]").c_str());
    ImGui::SameLine();
    auto entry = [&](const Lane& l) {
        const size_t n = points_of(automation, l.key)->size();
        return n ? l.title + " (" + std::to_string(n) + (n == 1 ? " point)" : " points)") : l.title;
    };
    ImGui::SetNextItemWidth(220.0f * ctx.frame.scale);
    const bool open = ImGui::BeginCombo("##lane", entry(lane).c_str());
    ctx.controls.note(prefix + ".automation");
    if (open) {
        for (const Lane& l : lanes) {
            if (ImGui::Selectable(entry(l).c_str(), l.key == lane.key)) chosen = l.key;
            ctx.controls.note(prefix + ".automation=" + l.key);
        }
        ImGui::EndCombo();
    }
    ImGui::SameLine();
    ImGui::TextDisabled("double-click adds a point, drag moves it, right-click deletes it");
    if (!points.empty()) {
        ImGui::SameLine();
        if (ImGui::Button("Clear lane")) edits.push_back({ViewEdit::Op::Remove, path, nullptr, 0});
    }
    draw_refusal(ctx, prefix + ".automation");

    auto [t0, t1] = visible_time(ws);
    if (ws.duration_s() <= 0.0) t1 = std::max(t1, 10.0);  // nothing measured yet: a 10 s lane
    const ImVec2 avail = ImGui::GetContentRegionAvail();
    Plot plot("automation", ImVec2(avail.x, std::max(avail.y, 120.0f * ctx.frame.scale)), Axis{t0, t1, false}, Axis{lane.lo, lane.hi, false});
    ctx.controls.note(path, plot.min(), plot.max());
    plot.time_ticks();
    plot.y_ticks(lane.tick, lane.unit, lane.tick_decimals);
    plot.hline(lane.rest, kColourGrid);
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
        const ImVec2 c(plot.x_px(points[i].time_s), plot.y_px(std::clamp(points[i].value, lane.lo, lane.hi)));
        const float r = 6.0f * ctx.frame.scale;
        ImGui::SetCursorScreenPos(ImVec2(c.x - r, c.y - r));
        ImGui::PushID(static_cast<int>(i));
        ImGui::InvisibleButton("point", ImVec2(2 * r, 2 * r));
        const ImGuiID id = ImGui::GetID("point");
        const bool active = ImGui::IsItemActive(), hovered = ImGui::IsItemHovered();
        const bool remove = ImGui::IsItemClicked(ImGuiMouseButton_Right);
        ImGui::PopID();
        ctx.controls.note(path + "[" + std::to_string(i) + "]");
        on_point |= hovered || active;
        if (active && (ImGui::GetIO().MouseDelta.x != 0.0f || ImGui::GetIO().MouseDelta.y != 0.0f)) {
            // Between its neighbours: times stay non-decreasing, as the validator requires.
            const double lo = i > 0 ? points[i - 1].time_s : 0.0;
            const double hi = i + 1 < points.size() ? points[i + 1].time_s : std::max(t1, points[i].time_s);
            std::vector<AutomationPoint> moved = points;
            moved[i].time_s = std::clamp(plot.x_at(mouse.x), lo, hi);
            moved[i].value = std::clamp(plot.y_at(mouse.y), lane.lo, lane.hi);
            edits.push_back({ViewEdit::Op::Set, path, points_json(moved, lane.resolution), id});
        }
        if (remove) {
            std::vector<AutomationPoint> fewer = points;
            fewer.erase(fewer.begin() + static_cast<std::ptrdiff_t>(i));
            edits.push_back({ViewEdit::Op::Set, path, points_json(fewer, lane.resolution), 0});
        }
        plot.draw()->AddCircleFilled(c, r, active || hovered ? IM_COL32(255, 255, 255, 255) : source_colour(0));
        if (hovered) plot.readout(time_label(points[i].time_s) + "  " + value_text(lane, points[i].value));
    }
    if (!on_point && plot.hovered() && ImGui::IsMouseDoubleClicked(ImGuiMouseButton_Left)) {
        std::vector<AutomationPoint> more = points;
        const AutomationPoint p{std::max(0.0, plot.x_at(mouse.x)), std::clamp(plot.y_at(mouse.y), lane.lo, lane.hi)};
        more.insert(std::upper_bound(more.begin(), more.end(), p, [](const AutomationPoint& a, const AutomationPoint& b) { return a.time_s < b.time_s; }), p);
        edits.push_back({ViewEdit::Op::Set, path, points_json(more, lane.resolution), 0});
    }
    if (auto h = plot.hover(); h && !on_point) plot.readout(time_label(h->x) + "  " + value_text(lane, static_cast<double>(h->y)));
}

}  // namespace sf::gui
