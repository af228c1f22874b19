// Stemforge workstation — controls shared by the views that edit numbers of
// the session, and the map of where each editing control was drawn.
//
// drag_number is the one way a view edits a number beside the fader and the
// plot handles: drag sideways (Shift or Ctrl: a tenth of the step, as the
// fader), type a value (Ctrl+click or right-click; Enter applies, Esc or a
// click elsewhere cancels), double-click to reset (the caller decides what a
// reset is: usually `remove` of the key, so the default applies again). It
// returns what the user did; the caller turns it into a ViewEdit, so every
// change still goes through the session validator.
#pragma once

#include <map>
#include <optional>
#include <string>
#include <vector>

#include <imgui.h>
#include <nlohmann/json.hpp>

namespace sf::gui {

struct ViewEdit;

// What a dragged number looks like and how it moves.
struct DragNumber {
    double lo = 0.0, hi = 1.0;     // a drag stays in [lo, hi]; a typed value is the validator's to judge
    double step = 0.01;            // per pixel of mouse travel; with `log`, the relative step (×(1+step) per pixel)
    double resolution = 0.01;      // dragged values are rounded to a multiple of this
    bool log = false;              // frequencies: equal ratios per pixel
    bool integer = false;          // the key holds an integer (written as a JSON integer)
    const char* format = "%.2f";   // printf of the value, e.g. "width %.2f"
    const char* absent = nullptr;  // the text while the key is absent ("width off"); null: format of `start`
    double start = 0.0;            // the value a drag of an absent key starts from
};

enum class DragAction { None, Set, Reset };

struct DragOutcome {
    DragAction action = DragAction::None;
    double value = 0.0;            // Set: the new value
    ImGuiID control = 0;           // the control (a drag's edits fold into one undo step); 0 for a typed value
    nlohmann::json json() const;   // the value as the key's JSON (an integer for integer keys)
    bool integer = false;
};

// `v` rounded to a multiple of `resolution` (a decimal resolution such as
// 0.01 gives the double nearest the decimal, so that it is written as such).
double round_to_resolution(double v, double resolution);

// Draws the control (`id` unique in the current ID scope) `width` pixels wide.
// `value` empty: the key is absent.
DragOutcome drag_number(const char* id, std::optional<double> value, const DragNumber& spec, float width);

// The usual mapping of a drag_number outcome onto the session: Set → `set
// path value`, Reset → `remove path` when the key is present (its default
// applies again). Returns true when it queued an edit.
bool queue_number_edit(std::vector<ViewEdit>& edits, const std::string& path, const DragOutcome& outcome, bool present);

// Where the controls that edit the session were drawn in the last frame, by
// what they edit: "stems[0].width", "stems[0].compressor.sidechain" (the
// combo), "stems[0].compressor.sidechain=kick" (an entry of its open list),
// "stems[0]:fx" (a strip's insert buttons: ":eq", ":compressor",
// ":automation", ":fx"), "refused:PATH" (a shown refusal). Tests drive the UI through it and
// screenshot checks crop the picture to a label: a control is found by its
// meaning, not by searching pixels. Rebuilt every frame.
class ControlMap {
public:
    struct Rect {
        ImVec2 min, max;
        ImVec2 centre() const { return ImVec2((min.x + max.x) * 0.5f, (min.y + max.y) * 0.5f); }
    };
    void clear() { rects_.clear(); }
    void note(const std::string& key);                          // the last item's rectangle
    void note(const std::string& key, ImVec2 min, ImVec2 max);  // an explicit one (a plot's area)
    const Rect* find(const std::string& key) const;             // null when it was not drawn; valid until the next frame
    const std::map<std::string, Rect>& rects() const { return rects_; }

private:
    std::map<std::string, Rect> rects_;
};

}  // namespace sf::gui
