// The FX panel of a strip (the mixer's "FX" button): a small window beside
// the strip with its chorus (stems and buses) and, on buses, its delay. Each
// block is added and removed whole; every key is a drag_number (drag, type,
// double-click: back to the key's default by removing it). A delay's time is
// milliseconds or a note value at the session's tempo; the panel offers to
// set the tempo a note needs. Every change is a command on the session.
#include <algorithm>
#include <array>
#include <charconv>
#include <cmath>
#include <cstdio>
#include <string>
#include <vector>

#include "app/gui/views.h"

namespace sf::gui {

namespace {

// The note values a delay takes, in the order a musician reads them.
constexpr std::array<const char*, 18> kNotes = {"1/1", "1/1d", "1/1t", "1/2",  "1/2d",  "1/2t",  "1/4",  "1/4d",  "1/4t",
                                                "1/8", "1/8d", "1/8t", "1/16", "1/16d", "1/16t", "1/32", "1/32d", "1/32t"};
constexpr double kDefaultTempoBpm = 120.0;  // what "Set tempo" starts from

double note_ms(const char* note, double tempo_bpm) { return *note_whole_notes(note) * 240.0 / tempo_bpm * 1000.0; }

// The note value whose length at `tempo_bpm` is nearest `ms` (by ratio).
const char* nearest_note(double ms, double tempo_bpm) {
    const char* best = "1/8";
    double best_distance = INFINITY;
    for (const char* n : kNotes) {
        const double d = std::abs(std::log(note_ms(n, tempo_bpm) / ms));
        if (d < best_distance) best_distance = d, best = n;
    }
    return best;
}

// The delay block as JSON with its time given as `time` (a time_ms number or a note string).
nlohmann::json delay_json(const DelaySpec& d, const char* time_key, nlohmann::json time) {
    return {{time_key, std::move(time)}, {"feedback", d.feedback}, {"pingpong", d.pingpong}, {"lowcut_hz", d.lowcut_hz},
            {"highcut_hz", d.highcut_hz}, {"wet_db", d.wet_db}};
}

// A labelled cell of the panel's grid: the label at `x` (0: a new row), the
// control `column` pixels right of it.
void label(const char* text, float x, float column) {
    if (x > 0.0f) ImGui::SameLine(x);
    ImGui::AlignTextToFramePadding();
    ImGui::TextUnformatted(text);
    ImGui::SameLine(x + column);
}

}  // namespace

bool draw_fx_panel(ViewContext& ctx, const std::string& prefix, ImVec2 anchor, std::vector<ViewEdit>& edits) {
    Workstation& ws = ctx.ws;
    const Session& s = *ws.session()->session;
    const bool is_stem = prefix.rfind("stems[", 0) == 0;
    size_t k = SIZE_MAX;  // "stems[K]" / "buses[K]": both heads are 6 characters long
    if (prefix.size() > 7 && prefix.back() == ']') std::from_chars(prefix.data() + 6, prefix.data() + prefix.size() - 1, k);
    const StemSpec* stem = is_stem && k < s.stems.size() ? &s.stems[k] : nullptr;
    const BusSpec* bus = !is_stem && k < s.buses.size() ? &s.buses[k] : nullptr;
    if (!stem && !bus) return false;
    const std::optional<ChorusSpec>& chorus = stem ? stem->chorus : bus->chorus;
    const std::string name = stem ? stem->name : "[" + bus->name + "]";
    const float scale = ctx.frame.scale;
    const float column = 110.0f * scale, w = 150.0f * scale;
    const float second = column + w + 24.0f * scale;  // the grid's second label column

    // Beside the strip, kept inside the display.
    const ImVec2 display = ImGui::GetIO().DisplaySize;
    ImGui::SetNextWindowPos(ImVec2(std::clamp(anchor.x, 0.0f, std::max(0.0f, display.x - 2.0f * (column + w) - 40.0f * scale)),
                                   std::clamp(anchor.y, 0.0f, std::max(0.0f, display.y - 420.0f * scale))),
                            ImGuiCond_Appearing);
    bool open = true;
    const std::string title = "FX: " + name + "###fx-" + prefix;  // one window per strip: it appears at that strip
    if (ImGui::Begin(title.c_str(), &open, ImGuiWindowFlags_AlwaysAutoResize | ImGuiWindowFlags_NoSavedSettings | ImGuiWindowFlags_NoCollapse)) {
        ctx.controls.note(prefix + ".fx-panel", ImGui::GetWindowPos(),
                          ImVec2(ImGui::GetWindowPos().x + ImGui::GetWindowSize().x, ImGui::GetWindowPos().y + ImGui::GetWindowSize().y));
        // ---- chorus ----
        ImGui::TextUnformatted("Chorus");
        ImGui::SameLine(column);
        const std::string cp = prefix + ".chorus";
        if (!chorus) {
            if (ImGui::Button("Add chorus")) edits.push_back({ViewEdit::Op::Set, cp, nlohmann::json::object(), 0});
        } else if (ImGui::Button("Remove chorus")) {
            edits.push_back({ViewEdit::Op::Remove, cp, nullptr, 0});
        }
        ctx.controls.note(cp);
        if (chorus) {
            const ChorusSpec defaults;
            auto param = [&](const char* text, float x, const char* key, double value, double fallback, const DragNumber& spec) {
                label(text, x, column);
                const DragOutcome o = drag_number(key, value, spec, w);
                queue_number_edit(edits, cp + "." + key, o, value != fallback);  // a default is not written: nothing to remove
                ctx.controls.note(cp + "." + key);
            };
            param("rate", 0.0f, "rate_hz", chorus->rate_hz, defaults.rate_hz,
                  DragNumber{.lo = 0.01, .hi = 20.0, .step = 0.01, .resolution = 0.01, .log = true, .format = "%.2f Hz"});
            param("depth", second, "depth_ms", chorus->depth_ms, defaults.depth_ms,
                  DragNumber{.lo = 0.0, .hi = 20.0, .step = 0.02, .resolution = 0.01, .format = "%.2f ms"});
            param("delay", 0.0f, "delay_ms", chorus->delay_ms, defaults.delay_ms,
                  DragNumber{.lo = 0.5, .hi = 50.0, .step = 0.05, .resolution = 0.1, .format = "%.1f ms"});
            param("voices", second, "voices", chorus->voices, defaults.voices,
                  DragNumber{.lo = 1.0, .hi = 8.0, .step = 0.05, .resolution = 1.0, .integer = true, .format = "%.0f"});
            param("mix", 0.0f, "mix", chorus->mix, defaults.mix, DragNumber{.lo = 0.0, .hi = 1.0, .step = 0.005, .resolution = 0.01, .format = "%.2f"});
            param("stereo phase", second, "stereo_phase_deg", chorus->stereo_phase_deg, defaults.stereo_phase_deg,
                  DragNumber{.lo = 0.0, .hi = 360.0, .step = 0.5, .resolution = 1.0, .format = "%.0f deg"});
        }
        draw_refusal(ctx, cp);

        // ---- delay (buses) ----
        if (bus) {
            ImGui::Separator();
            const std::string dp = prefix + ".delay";
            const std::optional<DelaySpec>& delay = bus->delay;
            ImGui::TextUnformatted("Delay");
            ImGui::SameLine(column);
            if (!delay) {
                if (ImGui::Button("Add delay")) edits.push_back({ViewEdit::Op::Set, dp, {{"time_ms", 375.0}}, 0});
            } else if (ImGui::Button("Remove delay")) {
                edits.push_back({ViewEdit::Op::Remove, dp, nullptr, 0});
            }
            ctx.controls.note(dp);
            if (delay) {
                const DelaySpec defaults;
                const std::optional<double> tempo = s.tempo_bpm;
                const std::optional<double> time_s = delay_time_s(*delay, tempo);
                // Time: milliseconds, or a note value at the session's tempo.
                label("time", 0.0f, column);
                const bool in_note = delay->note.has_value();
                if (ImGui::RadioButton("ms", !in_note) && in_note && time_s)
                    edits.push_back({ViewEdit::Op::Set, dp, delay_json(*delay, "time_ms", round_to_resolution(*time_s * 1000.0, 0.1)), 0});
                ctx.controls.note(dp + ".mode=ms");
                ImGui::SameLine();
                if (!tempo) ImGui::BeginDisabled();
                if (ImGui::RadioButton("note", in_note) && !in_note && tempo && delay->time_ms)
                    edits.push_back({ViewEdit::Op::Set, dp, delay_json(*delay, "note", nearest_note(*delay->time_ms, *tempo)), 0});
                if (!tempo) ImGui::EndDisabled();
                ctx.controls.note(dp + ".mode=note");
                ImGui::SameLine();
                if (in_note) {
                    ImGui::SetNextItemWidth(90.0f * scale);
                    const bool combo = ImGui::BeginCombo("##note", delay->note->c_str());
                    ctx.controls.note(dp + ".note");
                    if (combo) {
                        for (const char* n : kNotes) {
                            if (ImGui::Selectable(n, *delay->note == n) && *delay->note != n) edits.push_back({ViewEdit::Op::Set, dp + ".note", n, 0});
                            ctx.controls.note(dp + ".note=" + n);
                        }
                        ImGui::EndCombo();
                    }
                    ImGui::SameLine();
                    if (time_s) ImGui::TextDisabled("= %.1f ms", *time_s * 1000.0);
                } else {
                    const DragOutcome o = drag_number("time_ms", delay->time_ms, DragNumber{.lo = 1.0, .hi = 2000.0, .step = 0.005, .resolution = 0.1,
                                                                                             .log = true, .format = "%.1f ms"}, w);
                    queue_number_edit(edits, dp + ".time_ms", o, false);  // no default to go back to
                    ctx.controls.note(dp + ".time_ms");
                }
                // Tempo: a note value needs it; offer to set it where it is missing.
                label("tempo", 0.0f, column);
                if (tempo) {
                    const DragOutcome o = drag_number("tempo_bpm", tempo, DragNumber{.lo = 20.0, .hi = 400.0, .step = 0.1, .resolution = 0.1,
                                                                                     .format = "%.1f BPM"}, w);
                    queue_number_edit(edits, "tempo_bpm", o, true);
                    ctx.controls.note("tempo_bpm");
                } else {
                    if (ImGui::Button("Set tempo 120 BPM")) edits.push_back({ViewEdit::Op::Set, "tempo_bpm", kDefaultTempoBpm, 0});
                    ctx.controls.note("tempo_bpm");
                    ImGui::SameLine();
                    ImGui::TextDisabled("(note values need the session's tempo)");
                }
                auto param = [&](const char* text, float x, const char* key, std::optional<double> value, bool present, const DragNumber& spec) {
                    label(text, x, column);
                    queue_number_edit(edits, dp + "." + key, drag_number(key, value, spec, w), present);
                    ctx.controls.note(dp + "." + key);
                };
                param("feedback", 0.0f, "feedback", delay->feedback, delay->feedback != defaults.feedback,
                      DragNumber{.lo = 0.0, .hi = 0.95, .step = 0.005, .resolution = 0.01, .format = "%.2f"});
                ImGui::SameLine(second);
                bool pingpong = delay->pingpong;
                if (ImGui::Checkbox("ping-pong", &pingpong)) edits.push_back({ViewEdit::Op::Set, dp + ".pingpong", pingpong, 0});
                ctx.controls.note(dp + ".pingpong");
                // The cuts: 0 is off (shown as "off"; a drag from off starts at the band's end, a double-click turns it off).
                const double top = std::min(20000.0, s.sample_rate * 0.49);
                auto cut = [](double hz) { return hz > 0.0 ? std::optional(hz) : std::nullopt; };
                param("low cut", 0.0f, "lowcut_hz", cut(delay->lowcut_hz), delay->lowcut_hz != 0.0,
                      DragNumber{.lo = 20.0, .hi = top, .step = 0.01, .resolution = 1.0, .log = true, .format = "%.0f Hz", .absent = "off", .start = 20.0});
                param("high cut", second, "highcut_hz", cut(delay->highcut_hz), delay->highcut_hz != 0.0,
                      DragNumber{.lo = 20.0, .hi = top, .step = 0.01, .resolution = 1.0, .log = true, .format = "%.0f Hz", .absent = "off", .start = top});
                param("wet", 0.0f, "wet_db", delay->wet_db, delay->wet_db != defaults.wet_db,
                      DragNumber{.lo = -60.0, .hi = 12.0, .step = 0.1, .resolution = 0.1, .format = "%+.1f dB"});
            }
            draw_refusal(ctx, dp);
            draw_refusal(ctx, "tempo_bpm");
        }
    }
    ImGui::End();
    return open;
}

}  // namespace sf::gui
