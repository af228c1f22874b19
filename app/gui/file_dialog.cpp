#include "app/gui/file_dialog.h"

#include <algorithm>
#include <cstdlib>
#include <cstring>
#include <fstream>
#include <system_error>

#include <imgui.h>

namespace sf::gui {

namespace fs = std::filesystem;

namespace {

std::string lower_ext(const fs::path& p) {
    std::string e = p.extension().string();
    std::transform(e.begin(), e.end(), e.begin(), [](unsigned char c) { return static_cast<char>(std::tolower(c)); });
    return e;
}

}  // namespace

bool FileBrowser::passes(const fs::path& file, FileFilter filter) {
    static const char* kAudio[] = {".wav", ".flac", ".aif", ".aiff", ".rf64", ".ogg", ".opus", ".mp3", ".w64", ".caf"};
    const std::string e = lower_ext(file);
    const bool session = e == ".json";
    const bool audio = std::find(std::begin(kAudio), std::end(kAudio), e) != std::end(kAudio);
    switch (filter) {
        case FileFilter::SessionsAndAudio: return session || audio;
        case FileFilter::Sessions: return session;
        case FileFilter::Audio: return audio;
        case FileFilter::All: return true;
    }
    return true;
}

FileBrowser::FileBrowser(fs::path start) { enter(start); }

void FileBrowser::enter(const fs::path& folder) {
    std::error_code ec;
    fs::path f = fs::weakly_canonical(folder, ec);
    folder_ = ec ? folder : f;
    refresh();
}

void FileBrowser::set_filter(FileFilter filter) {
    filter_ = filter;
    refresh();
}

void FileBrowser::refresh() {
    entries_.clear();
    error_.clear();
    std::error_code ec;
    fs::directory_iterator it(folder_, fs::directory_options::skip_permission_denied, ec);
    if (ec) {
        error_ = folder_.string() + ": " + ec.message();
        return;
    }
    for (const fs::directory_entry& e : it) {
        const std::string name = e.path().filename().string();
        if (name.empty() || name[0] == '.') continue;
        std::error_code ec2;
        const bool dir = e.is_directory(ec2);
        if (!dir && !passes(e.path(), filter_)) continue;
        entries_.push_back({name, dir, dir ? 0 : e.file_size(ec2)});
    }
    std::sort(entries_.begin(), entries_.end(), [](const FileEntry& a, const FileEntry& b) {
        if (a.is_dir != b.is_dir) return a.is_dir;
        return a.name < b.name;
    });
}

RecentFiles::RecentFiles(fs::path store, size_t limit) : store_(std::move(store)), limit_(limit) {
    std::ifstream in(store_);
    std::string line;
    while (files_.size() < limit_ && std::getline(in, line))
        if (!line.empty()) files_.emplace_back(line);
}

fs::path RecentFiles::default_store() {
    if (const char* x = std::getenv("XDG_CONFIG_HOME"); x && *x) return fs::path(x) / "stemforge" / "recent.txt";
    if (const char* h = std::getenv("HOME"); h && *h) return fs::path(h) / ".config" / "stemforge" / "recent.txt";
    return {};
}

void RecentFiles::add(const fs::path& file) {
    std::error_code ec;
    const fs::path abs = fs::absolute(file, ec);
    const fs::path p = ec ? file : abs;
    std::erase(files_, p);
    files_.insert(files_.begin(), p);
    if (files_.size() > limit_) files_.resize(limit_);
    if (store_.empty()) return;
    fs::create_directories(store_.parent_path(), ec);
    std::ofstream out(store_, std::ios::trunc);
    for (const fs::path& f : files_) out << f.string() << '\n';
}

void OpenDialog::open() {
    want_open_ = true;
    selected_.clear();
    browser_.enter(browser_.folder());
    std::snprintf(path_buf_, sizeof path_buf_, "%s", browser_.folder().string().c_str());
}

std::optional<std::vector<fs::path>> OpenDialog::draw(float scale) {
    if (want_open_) {
        ImGui::OpenPopup("Open");
        want_open_ = false;
    }
    std::optional<std::vector<fs::path>> chosen;
    ImGui::SetNextWindowSize(ImVec2(760.0f * scale, 520.0f * scale), ImGuiCond_Appearing);
    if (!ImGui::BeginPopupModal("Open", nullptr)) return chosen;
    if (ImGui::Button("Up")) {
        browser_.enter(browser_.folder().parent_path());
        std::snprintf(path_buf_, sizeof path_buf_, "%s", browser_.folder().string().c_str());
    }
    ImGui::SameLine();
    ImGui::SetNextItemWidth(-220.0f * scale);
    if (ImGui::InputText("##path", path_buf_, sizeof path_buf_, ImGuiInputTextFlags_EnterReturnsTrue)) {
        const fs::path typed(path_buf_);
        std::error_code ec;
        if (fs::is_directory(typed, ec)) browser_.enter(typed);
        else if (fs::is_regular_file(typed, ec)) chosen = std::vector<fs::path>{typed};
    }
    ImGui::SameLine();
    static const char* kFilters[] = {"sessions and audio", "sessions (.json)", "audio", "all files"};
    int f = static_cast<int>(browser_.filter());
    ImGui::SetNextItemWidth(200.0f * scale);
    if (ImGui::Combo("##filter", &f, kFilters, 4)) browser_.set_filter(static_cast<FileFilter>(f));

    const float footer = ImGui::GetFrameHeightWithSpacing() * 1.5f;
    ImGui::BeginChild("recent", ImVec2(220.0f * scale, -footer), true);
    ImGui::TextDisabled("Recent");
    for (const fs::path& r : recent_.files()) {
        if (ImGui::Selectable(r.filename().string().c_str())) chosen = std::vector<fs::path>{r};
        if (ImGui::IsItemHovered()) ImGui::SetTooltip("%s", r.string().c_str());
    }
    ImGui::EndChild();
    ImGui::SameLine();
    ImGui::BeginChild("listing", ImVec2(0, -footer), true);
    if (!browser_.error().empty()) ImGui::TextColored(ImVec4(1.0f, 0.45f, 0.4f, 1.0f), "%s", browser_.error().c_str());
    std::optional<fs::path> enter;
    for (const FileEntry& e : browser_.entries()) {
        const bool sel = std::find(selected_.begin(), selected_.end(), e.name) != selected_.end();
        const std::string label = e.is_dir ? e.name + "/" : e.name;
        if (ImGui::Selectable(label.c_str(), sel, ImGuiSelectableFlags_AllowDoubleClick)) {
            if (e.is_dir) {
                if (ImGui::IsMouseDoubleClicked(ImGuiMouseButton_Left)) enter = browser_.folder() / e.name;
            } else if (ImGui::GetIO().KeyCtrl) {  // Ctrl-click: several files
                if (sel) std::erase(selected_, e.name);
                else selected_.push_back(e.name);
            } else {
                selected_ = {e.name};
                if (ImGui::IsMouseDoubleClicked(ImGuiMouseButton_Left)) chosen = std::vector<fs::path>{browser_.folder() / e.name};
            }
        }
        if (!e.is_dir) {
            ImGui::SameLine(ImGui::GetContentRegionAvail().x - 80.0f * scale);
            ImGui::TextDisabled("%.1f MB", static_cast<double>(e.bytes) / 1e6);
        }
    }
    ImGui::EndChild();
    if (enter) {
        browser_.enter(*enter);
        selected_.clear();
        std::snprintf(path_buf_, sizeof path_buf_, "%s", browser_.folder().string().c_str());
    }
    if (selected_.empty()) ImGui::BeginDisabled();
    if (ImGui::Button("Open")) {
        std::vector<fs::path> files;
        for (const std::string& s : selected_) files.push_back(browser_.folder() / s);
        chosen = std::move(files);
    }
    if (selected_.empty()) ImGui::EndDisabled();
    ImGui::SameLine();
    if (ImGui::Button("Cancel") || ImGui::IsKeyPressed(ImGui::GetKeyIndex(ImGuiKey_Escape))) ImGui::CloseCurrentPopup();
    if (chosen) {
        for (const fs::path& p : *chosen) recent_.add(p);
        ImGui::CloseCurrentPopup();
    }
    ImGui::EndPopup();
    return chosen;
}

}  // namespace sf::gui
