#include "app/gui/workstation_app.h"

#include <algorithm>
#include <cstdio>

#include "app/gui/plot.h"

namespace sf::gui {

namespace {

// A bar between two panes (1.86 has no docking): dragging it returns how far
// the mouse moved along the axis it splits, in pixels.
float splitter_drag(const char* id, ImVec2 size, bool vertical) {
    if (size.x < 0.0f) size.x = ImGui::GetContentRegionAvail().x;
    ImGui::InvisibleButton(id, size);
    const bool active = ImGui::IsItemActive();
    if (ImGui::IsItemHovered() || active) {
        ImGui::SetMouseCursor(vertical ? ImGuiMouseCursor_ResizeEW : ImGuiMouseCursor_ResizeNS);
        ImGui::GetWindowDrawList()->AddRectFilled(ImGui::GetItemRectMin(), ImGui::GetItemRectMax(), IM_COL32(255, 255, 255, 40));
    }
    if (!active) return 0.0f;
    const ImVec2 delta = ImGui::GetIO().MouseDelta;
    return vertical ? delta.x : delta.y;
}

}  // namespace

WorkstationApp::WorkstationApp(Workstation& ws)
    : ws_(ws), recent_(RecentFiles::default_store()), open_dialog_(recent_) {}

void WorkstationApp::show(View view) {
    ws_.settings().view = view;
    select_view_ = view;
}

void WorkstationApp::shortcuts() {
    const ImGuiIO& io = ImGui::GetIO();
    const bool ctrl = io.KeyCtrl;
    if (ctrl && ImGui::IsKeyPressed(kKeyQ, false)) quit_ = true;
    if (ctrl && ImGui::IsKeyPressed(kKeyO, false)) open_dialog_.open();
    if (ctrl && !io.KeyShift && ImGui::IsKeyPressed(kKeyR, false)) {
        if (auto r = ws_.render(); !r) ws_.log_line("render: " + r.error().message);
        else show(View::Render);
    }
    if (ctrl && io.KeyShift && ImGui::IsKeyPressed(kKeyR, false))
        if (auto r = ws_.render_selection(); !r) ws_.log_line(r.error().message);
    if (ImGui::IsKeyPressed(kKeyF1, false)) show_help_ = !show_help_;
    if (ctrl && ImGui::IsKeyPressed(kKeyZ, false)) run_command("undo");
    if (ctrl && ImGui::IsKeyPressed(kKeyY, false)) run_command("redo");
    if (ctrl && !io.KeyShift && ImGui::IsKeyPressed(kKeyS, false)) run_command("save");
    if (ctrl && io.KeyShift && ImGui::IsKeyPressed(kKeyS, false)) {  // save as: the command line, ready for a file name
        std::snprintf(command_buf_, sizeof command_buf_, "save %s", ws_.session() ? ws_.session()->file.string().c_str() : "");
        open_command_line_ = true;
    }
    if (ctrl && ImGui::IsKeyPressed(kKeyK, false)) {
        command_buf_[0] = '\0';
        open_command_line_ = true;
    }
    if (!io.WantTextInput && ImGui::IsKeyPressed(kKeySpace, false)) play_or_stop();
    if (!io.WantTextInput && !ctrl && ImGui::IsKeyPressed(kKeyB, false)) ws_.toggle_ab();
}

void WorkstationApp::run_command(const std::string& command) {
    auto r = ws_.execute(command);
    if (!r) {
        command_error_ = r.error().message;
        ws_.log_line(command + ": " + command_error_);
        return;
    }
    command_error_.clear();
    ws_.log_line("> " + command);
    if (*r) quit_ = true;
}

// Ctrl+K: the command line (set / add / remove / undo / redo / save / render / quit).
void WorkstationApp::command_line(float scale) {
    if (open_command_line_) {
        ImGui::OpenPopup("Command");
        open_command_line_ = false;
        command_error_.clear();
    }
    ImGui::SetNextWindowSize(ImVec2(900.0f * scale, 0.0f), ImGuiCond_Appearing);
    if (!ImGui::BeginPopupModal("Command", nullptr, ImGuiWindowFlags_AlwaysAutoResize)) return;
    if (ImGui::IsWindowAppearing()) ImGui::SetKeyboardFocusHere();
    ImGui::SetNextItemWidth(860.0f * scale);
    const bool enter = ImGui::InputText("##command", command_buf_, sizeof command_buf_, ImGuiInputTextFlags_EnterReturnsTrue);
    ImGui::TextDisabled("set PATH VALUE | add PATH VALUE | remove PATH | undo | redo | save [FILE] | render | quit");
    if (!command_error_.empty()) ImGui::TextColored(ImVec4(1.0f, 0.45f, 0.4f, 1.0f), "%s", command_error_.c_str());
    if (enter) {
        run_command(command_buf_);
        if (command_error_.empty()) ImGui::CloseCurrentPopup();
        else ImGui::SetKeyboardFocusHere(-1);
    }
    if (ImGui::IsKeyPressed(ImGui::GetKeyIndex(ImGuiKey_Escape))) ImGui::CloseCurrentPopup();
    ImGui::EndPopup();
}

void WorkstationApp::play_or_stop() {
    if (ws_.playing()) {
        ws_.stop_playback();
        return;
    }
    const std::optional<size_t> focus = ws_.focus_source();
    if (!focus) return;
    if (auto r = ws_.play(*focus); !r) ws_.log_line(r.error().message);
}

// Play / stop, A/B against another source (loudness-matched), the position.
// Greyed out with the reason when there is no audio output.
void WorkstationApp::transport(float scale) {
    Playback& p = ws_.playback();
    const std::optional<size_t> focus = ws_.focus_source();
    ViewSettings& vs = ws_.settings();
    const bool usable = p.available() && focus.has_value();
    if (!usable) ImGui::BeginDisabled();
    if (ImGui::Button(ws_.playing() ? "Stop (Space)" : "Play (Space)")) play_or_stop();
    ImGui::SameLine();
    // A/B: the focus source against the compare view's other one.
    size_t& other = vs.compare_b;
    if (focus && other == *focus) other = vs.compare_a != *focus ? vs.compare_a : (*focus + 1) % std::max<size_t>(1, ws_.sources().size());
    const bool can_ab = focus && other < ws_.sources().size() && other != *focus;
    if (!can_ab) ImGui::BeginDisabled();
    if (ImGui::Button("A/B")) {
        if (auto r = ws_.play(*focus, other); !r) ws_.log_line(r.error().message);
    }
    if (!can_ab) ImGui::EndDisabled();
    ImGui::SameLine();
    ImGui::SetNextItemWidth(180.0f * scale);
    const char* preview = other < ws_.sources().size() ? ws_.sources()[other].label.c_str() : "-";
    if (ImGui::BeginCombo("##b", preview)) {
        for (size_t i = 0; i < ws_.sources().size(); ++i) {
            ImGui::PushID(static_cast<int>(i));
            if (ImGui::Selectable(ws_.sources()[i].label.c_str(), i == other)) other = i;
            ImGui::PopID();
        }
        ImGui::EndCombo();
    }
    ImGui::SameLine();
    ImGui::Checkbox("match loudness", &vs.ab_loudness_match);
    if (!usable) ImGui::EndDisabled();
    ImGui::SameLine();
    if (!p.available()) {
        ImGui::TextDisabled("no audio output: %s", p.unavailable_reason().c_str());
    } else if (ws_.playing() && ws_.now_playing()) {
        const auto& [a, b] = *ws_.now_playing();
        const bool on_b = p.has_b() && p.selected() == AbSide::B;
        const size_t heard = on_b && b ? *b : a;
        ImGui::Text("%s %s / %s  on %s%s", on_b ? "B:" : (b ? "A:" : ""), ws_.sources()[heard].label.c_str(),
                    time_label(p.position_s()).c_str(), p.device_name().c_str(), b ? "  (B switches)" : "");
    } else {
        ImGui::TextDisabled("%s", p.device_name().c_str());
    }
}

void WorkstationApp::menu_bar() {
    if (!ImGui::BeginMenuBar()) return;
    if (ImGui::BeginMenu("File")) {
        if (ImGui::MenuItem("Open...", "Ctrl+O")) open_dialog_.open();
        const bool has_session = ws_.session() && ws_.session()->session;
        if (ImGui::MenuItem("Save", "Ctrl+S", false, has_session)) run_command("save");
        if (ImGui::MenuItem("Save as...", "Ctrl+Shift+S", false, has_session)) {
            std::snprintf(command_buf_, sizeof command_buf_, "save %s", ws_.session()->file.string().c_str());
            open_command_line_ = true;
        }
        if (ImGui::BeginMenu("Open recent", !recent_.files().empty())) {
            for (const auto& f : recent_.files())
                if (ImGui::MenuItem(f.string().c_str())) {
                    if (auto r = ws_.open({f}); !r) ws_.log_line(r.error().message);
                    recent_.add(f);
                }
            ImGui::EndMenu();
        }
        ImGui::Separator();
        if (ImGui::MenuItem("Quit", "Ctrl+Q")) quit_ = true;
        ImGui::EndMenu();
    }
    if (ImGui::BeginMenu("Render")) {
        const bool can = ws_.session() && ws_.session()->session && !ws_.render_run().job;
        if (ImGui::MenuItem("Render session", "Ctrl+R", false, can)) {
            if (auto r = ws_.render(); !r) ws_.log_line("render: " + r.error().message);
            show(View::Render);
        }
        if (ImGui::MenuItem("Cancel render", nullptr, false, ws_.render_run().job != nullptr)) ws_.cancel_render();
        ImGui::Separator();
        const bool selected = ws_.time().selection_s.has_value();
        if (ImGui::MenuItem("Render selection", "Ctrl+Shift+R", false, ws_.session() && ws_.session()->session && selected))
            if (auto r = ws_.render_selection(); !r) ws_.log_line(r.error().message);
        ImGui::MenuItem("Render on edit", nullptr, &ws_.settings().render_on_edit);
        ImGui::EndMenu();
    }
    if (ImGui::BeginMenu("View")) {
        for (View v : kAllViews)
            if (ImGui::MenuItem(view_name(v), nullptr, ws_.settings().view == v)) show(v);
        ImGui::Separator();
        ImGui::MenuItem("Log", nullptr, &show_log_);
        ImGui::EndMenu();
    }
    if (ImGui::BeginMenu("Help")) {
        if (ImGui::MenuItem("Shortcuts", "F1")) show_help_ = true;
        ImGui::EndMenu();
    }
    ImGui::EndMenuBar();
}

void WorkstationApp::sources_pane(float scale) {
    ImGui::TextDisabled("Sources");
    std::vector<Source>& sources = ws_.sources();
    const std::optional<size_t> focus = ws_.focus_source();
    for (size_t i = 0; i < sources.size(); ++i) {
        Source& s = sources[i];
        ImGui::PushID(static_cast<int>(i));
        if (ImGui::Checkbox("##shown", &s.shown) && s.shown) ws_.analyze(i);
        ImGui::SameLine();
        ImGui::PushStyleColor(ImGuiCol_Text, ImGui::ColorConvertU32ToFloat4(source_colour(i)));
        const char* kind = s.kind == SourceKind::Master ? "M" : s.kind == SourceKind::Stem ? "S" : "F";
        char label[256];
        std::snprintf(label, sizeof label, "[%s] %s", kind, s.label.c_str());
        if (ImGui::Selectable(label, focus == i)) {
            ws_.settings().selected_source = i;
            ws_.analyze(i);
        }
        ImGui::PopStyleColor();
        if (ImGui::IsItemHovered()) ImGui::SetTooltip("%s", s.file.string().c_str());
        if (s.job) {
            ImGui::SameLine();
            ImGui::TextDisabled("%.0f%%", 100.0 * s.job->progress());
        } else if (!s.error.empty()) {
            ImGui::SameLine();
            ImGui::TextColored(ImVec4(1.0f, 0.45f, 0.4f, 1.0f), "!");
        }
        ImGui::PopID();
    }
    (void)scale;
}

void WorkstationApp::status_bar(const FrameInfo& info) {
    const RenderRun& run = ws_.render_run();
    std::string render = "no render yet";
    if (run.job) {
        char buf[64];
        std::snprintf(buf, sizeof buf, "rendering %.0f%%", 100.0 * run.job->progress());
        render = buf;
    } else if (run.result) {
        char buf[160];
        std::snprintf(buf, sizeof buf, "last render %.2f s on %s (%s)", run.result->timing_s.count("total") ? run.result->timing_s.at("total") : 0.0,
                      run.result->backend.c_str(), run.result->device.c_str());
        render = buf;
    }
    ImGui::Separator();
    ImGui::Text("%sbackend %s  |  %s  |  undo %zu  |  UI on %s  |  frame %.1f ms", ws_.dirty() ? "modified  |  " : "", run.backend.c_str(),
                render.c_str(), ws_.undo_depth(), device_.c_str(), 1000.0 * info.frame_time_s);
}

void WorkstationApp::shortcut_help() {
    if (!show_help_) return;
    ImGui::SetNextWindowSize(ImVec2(420, 0), ImGuiCond_Appearing);
    if (ImGui::Begin("Shortcuts", &show_help_, ImGuiWindowFlags_AlwaysAutoResize)) {
        static const char* kRows[][2] = {{"Ctrl+O", "open a session or audio files"}, {"Ctrl+R", "render the open session to its exports"},
                                         {"Ctrl+Shift+R", "render the selected stretch (source \"selection\")"},
                                         {"Ctrl+Q", "quit"},  {"F1", "this list"},
                                         {"Ctrl+K", "command line: set / add / remove / undo / redo / save / render / quit"},
                                         {"Ctrl+Z / Ctrl+Y", "undo / redo"}, {"Ctrl+S / Ctrl+Shift+S", "save / save as"},
                                         {"Space", "play / stop the selected source"}, {"B", "switch A/B while an A/B plays"},
                                         {"shift+drag", "select a stretch (played in a loop)"},
                                         {"wheel / drag", "zoom / scroll a time view"}, {"double-click", "whole duration again"}};
        if (ImGui::BeginTable("keys", 2)) {
            for (const auto& row : kRows) {
                ImGui::TableNextRow();
                ImGui::TableNextColumn();
                ImGui::TextUnformatted(row[0]);
                ImGui::TableNextColumn();
                ImGui::TextUnformatted(row[1]);
            }
            ImGui::EndTable();
        }
    }
    ImGui::End();
}

void WorkstationApp::frame(const FrameInfo& info, Textures& textures) {
    ws_.poll();
    ws_.tick_render_on_edit();
    controls_.clear();
    if (!info.offscreen) shortcuts();
    const ImGuiViewport* vp = ImGui::GetMainViewport();
    ImGui::SetNextWindowPos(vp->Pos);
    ImGui::SetNextWindowSize(vp->Size);
    const ImGuiWindowFlags flags = ImGuiWindowFlags_NoDecoration | ImGuiWindowFlags_NoMove | ImGuiWindowFlags_NoSavedSettings |
                                   ImGuiWindowFlags_MenuBar | ImGuiWindowFlags_NoBringToFrontOnFocus;
    ImGui::Begin("Stemforge", nullptr, flags);
    menu_bar();
    const float scale = info.scale;
    const float status_h = ImGui::GetFrameHeightWithSpacing() + 4.0f;
    const float splitter = 6.0f * scale;
    const ImVec2 avail = ImGui::GetContentRegionAvail();
    // Pane sizes in logical pixels (so --scale keeps the layout), clamped to the window.
    sources_w_ = std::clamp(sources_w_, 120.0f, std::max(120.0f, avail.x / scale - 300.0f));
    log_h_ = std::clamp(log_h_, 40.0f, std::max(40.0f, (avail.y - status_h) / scale - 200.0f));
    const float log_h = show_log_ ? log_h_ * scale : 0.0f;
    const float body_h = avail.y - status_h - log_h - (show_log_ ? splitter : 0.0f);

    ImGui::BeginChild("sources", ImVec2(sources_w_ * scale, body_h), true);
    sources_pane(scale);
    ImGui::EndChild();
    ImGui::SameLine(0.0f, 0.0f);
    if (float d = splitter_drag("##split-sources", ImVec2(splitter, body_h), true); d != 0.0f) sources_w_ += d / scale;
    ImGui::SameLine(0.0f, 0.0f);
    ImGui::BeginChild("views", ImVec2(0, body_h), false);
    if (!info.offscreen) transport(scale);  // a screenshot starts no audio device
    if (ImGui::BeginTabBar("view-tabs")) {
        for (View v : kAllViews) {
            const ImGuiTabItemFlags f = select_view_ == v ? ImGuiTabItemFlags_SetSelected : 0;
            if (ImGui::BeginTabItem(view_name(v), nullptr, f)) {
                // A tab asked for by show() is shown from the frame after the
                // request; until then the current tab must not overwrite it.
                if (!select_view_ || select_view_ == v) {
                    ws_.settings().view = v;
                    select_view_.reset();
                }
                ImGui::BeginChild("view", ImVec2(0, 0), false);
                ViewContext ctx{ws_, textures, images_, info, edits_, controls_};
                draw_view(v, ctx);
                ImGui::EndChild();
                ImGui::EndTabItem();
            }
        }
        ImGui::EndTabBar();
    }
    ImGui::EndChild();

    if (show_log_) {
        if (float d = splitter_drag("##split-log", ImVec2(-1.0f, splitter), false); d != 0.0f) log_h_ -= d / scale;
        ImGui::BeginChild("log", ImVec2(0, log_h), true);
        if (ImGui::GetIO().Fonts->Fonts.Size > 1) ImGui::PushFont(ImGui::GetIO().Fonts->Fonts[1]);
        for (const std::string& line : ws_.log()) ImGui::TextUnformatted(line.c_str());
        if (ImGui::GetScrollY() >= ImGui::GetScrollMaxY() - 1.0f) ImGui::SetScrollHereY(1.0f);  // follow the tail
        if (ImGui::GetIO().Fonts->Fonts.Size > 1) ImGui::PopFont();
        ImGui::EndChild();
    }
    status_bar(info);
    ImGui::End();

    if (auto files = open_dialog_.draw(scale)) {
        if (auto r = ws_.open(*files); !r) ws_.log_line(r.error().message);
        else show(ws_.session() && files->size() == 1 && ws_.session()->file == files->front() ? View::Session : View::Loudness);
    }
    command_line(scale);
    shortcut_help();
    last_frame_s_ = info.frame_time_s;
}

}  // namespace sf::gui
