#include "app/gui/controls.h"

#include <algorithm>
#include <cmath>
#include <cstdio>
#include <cstdlib>

#include "app/gui/views.h"

namespace sf::gui {

namespace {

// One control at a time is dragged or typed into: their state lives here,
// keyed by the control's ID (ImGui keeps its own active-item state the same way).
struct Dragging {
    ImGuiID id = 0;
    double value = 0.0;   // unrounded, so that fine steps below the resolution add up
    bool moved = false;
};
struct Typing {
    ImGuiID id = 0;
    char text[64] = {};
    bool focus = false;       // ask for the keyboard focus once
    bool was_active = false;  // the input took the focus (a later deactivation ends the typing)
    int frames = 0;           // frames shown without ever taking the focus
};
Dragging g_drag;
Typing g_typing;

std::string text_of(const char* format, double v) {
    char buf[96];
    std::snprintf(buf, sizeof buf, format, v);
    return buf;
}

}  // namespace

// A decimal resolution divides by a whole power of ten, so that 0.3 is the
// double nearest 0.3 and is written as "0.3" (k · 0.1 is not always).
double round_to_resolution(double v, double resolution) {
    if (resolution <= 0.0) return v;
    if (resolution < 1.0) {
        const double inverse = std::round(1.0 / resolution);
        return std::round(v * inverse) / inverse;
    }
    return std::round(v / resolution) * resolution;
}

nlohmann::json DragOutcome::json() const {
    if (integer) return static_cast<long long>(std::llround(value));
    return value;
}

DragOutcome drag_number(const char* id, std::optional<double> value, const DragNumber& spec, float width) {
    DragOutcome out;
    out.integer = spec.integer;
    ImGui::PushID(id);
    const ImGuiID control = ImGui::GetID("##drag");
    const ImGuiIO& io = ImGui::GetIO();

    if (g_typing.id == control) {
        if (g_typing.focus) {
            ImGui::SetKeyboardFocusHere();
            g_typing.focus = false;
        }
        ImGui::SetNextItemWidth(width);
        const bool enter = ImGui::InputText("##type", g_typing.text, sizeof g_typing.text,
                                            ImGuiInputTextFlags_EnterReturnsTrue | ImGuiInputTextFlags_AutoSelectAll |
                                                ImGuiInputTextFlags_CharsScientific);
        g_typing.was_active |= ImGui::IsItemActive();
        if (enter) {
            char* end = nullptr;
            const double typed = std::strtod(g_typing.text, &end);
            if (end != g_typing.text && std::isfinite(typed)) {
                out.action = DragAction::Set;
                out.value = spec.integer ? std::round(typed) : typed;
            }
            g_typing.id = 0;
        } else if ((g_typing.was_active && !ImGui::IsItemActive()) || (!g_typing.was_active && ++g_typing.frames > 3)) {
            g_typing.id = 0;  // Esc, or a click elsewhere: nothing typed
        }
        ImGui::PopID();
        return out;
    }

    const ImVec2 size(width, ImGui::GetFrameHeight());
    const ImVec2 p = ImGui::GetCursorScreenPos();
    ImGui::InvisibleButton("##drag", size);
    const bool active = ImGui::IsItemActive(), hovered = ImGui::IsItemHovered();
    ImDrawList* dl = ImGui::GetWindowDrawList();
    const ImGuiCol bg = active ? ImGuiCol_FrameBgActive : hovered ? ImGuiCol_FrameBgHovered : ImGuiCol_FrameBg;
    dl->AddRectFilled(p, ImVec2(p.x + size.x, p.y + size.y), ImGui::GetColorU32(bg), ImGui::GetStyle().FrameRounding);
    const std::string text = value ? text_of(spec.format, *value) : spec.absent ? std::string(spec.absent) : text_of(spec.format, spec.start);
    const ImVec2 ts = ImGui::CalcTextSize(text.c_str());
    const ImVec4 clip(p.x, p.y, p.x + size.x, p.y + size.y);
    dl->AddText(ImGui::GetFont(), ImGui::GetFontSize(), ImVec2(p.x + std::max(2.0f, (size.x - ts.x) * 0.5f), p.y + (size.y - ts.y) * 0.5f),
                ImGui::GetColorU32(value ? ImGuiCol_Text : ImGuiCol_TextDisabled), text.c_str(), nullptr, 0.0f, &clip);

    if (ImGui::IsItemActivated() && ImGui::IsMouseDown(ImGuiMouseButton_Left)) {
        g_drag = Dragging{control, value.value_or(spec.start), false};
    }
    if (active && g_drag.id == control && io.MouseDelta.x != 0.0f) {
        const double dx = io.MouseDelta.x * ((io.KeyShift || io.KeyCtrl) ? 0.1 : 1.0);
        double v = spec.log ? std::max(g_drag.value, 1e-9) * std::pow(1.0 + spec.step, dx) : g_drag.value + dx * spec.step;
        v = std::clamp(v, spec.lo, spec.hi);
        g_drag.value = v;
        g_drag.moved = true;
        const double rounded = round_to_resolution(v, spec.integer ? std::max(1.0, spec.resolution) : spec.resolution);
        if (!value || rounded != *value) {
            out.action = DragAction::Set;
            out.value = rounded;
            out.control = control;
        }
    }
    if (hovered && ImGui::IsMouseDoubleClicked(ImGuiMouseButton_Left)) {
        out = DragOutcome{DragAction::Reset, 0.0, 0, spec.integer};
    } else if (ImGui::IsItemDeactivated() && g_drag.id == control && !g_drag.moved && io.KeyCtrl) {
        g_typing = Typing{};  // Ctrl+click: type a value
        g_typing.id = control;
    } else if (hovered && ImGui::IsMouseClicked(ImGuiMouseButton_Right)) {
        g_typing = Typing{};
        g_typing.id = control;
    }
    if (g_typing.id == control) {
        g_typing.focus = true;
        std::snprintf(g_typing.text, sizeof g_typing.text, "%g", value.value_or(spec.start));
    }
    if (ImGui::IsItemDeactivated() && g_drag.id == control) g_drag = Dragging{};
    if (hovered && !active && g_typing.id != control)
        ImGui::SetTooltip("drag (Shift/Ctrl: fine); double-click: reset; Ctrl+click or right-click: type a value");
    ImGui::PopID();
    return out;
}

bool queue_number_edit(std::vector<ViewEdit>& edits, const std::string& path, const DragOutcome& outcome, bool present) {
    switch (outcome.action) {
        case DragAction::None: return false;
        case DragAction::Set: edits.push_back({ViewEdit::Op::Set, path, outcome.json(), outcome.control}); return true;
        case DragAction::Reset:
            if (!present) return false;
            edits.push_back({ViewEdit::Op::Remove, path, nullptr, 0});
            return true;
    }
    return false;
}

void ControlMap::note(const std::string& key) { rects_[key] = Rect{ImGui::GetItemRectMin(), ImGui::GetItemRectMax()}; }

void ControlMap::note(const std::string& key, ImVec2 min, ImVec2 max) { rects_[key] = Rect{min, max}; }

const ControlMap::Rect* ControlMap::find(const std::string& key) const {
    auto it = rects_.find(key);
    return it == rects_.end() ? nullptr : &it->second;
}

}  // namespace sf::gui
