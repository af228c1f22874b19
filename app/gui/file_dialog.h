// Stemforge workstation — the open dialog, written with ImGui (1.86 has
// none): a folder listing with filters for sessions and audio, several files
// at once, the recent files (kept in $XDG_CONFIG_HOME/stemforge/recent.txt).
// The listing is plain state (FileBrowser) testable without a window.
#pragma once

#include <filesystem>
#include <optional>
#include <string>
#include <vector>

namespace sf::gui {

enum class FileFilter { SessionsAndAudio, Sessions, Audio, All };

struct FileEntry {
    std::string name;
    bool is_dir = false;
    uintmax_t bytes = 0;
};

class FileBrowser {
public:
    explicit FileBrowser(std::filesystem::path start = std::filesystem::current_path());
    const std::filesystem::path& folder() const { return folder_; }
    // Folders first, then files passing the filter, each sorted by name;
    // hidden entries (dot files) left out. An unreadable folder lists nothing
    // and sets error().
    void enter(const std::filesystem::path& folder);
    void set_filter(FileFilter filter);
    FileFilter filter() const { return filter_; }
    const std::vector<FileEntry>& entries() const { return entries_; }
    const std::string& error() const { return error_; }
    static bool passes(const std::filesystem::path& file, FileFilter filter);

private:
    void refresh();
    std::filesystem::path folder_;
    FileFilter filter_ = FileFilter::SessionsAndAudio;
    std::vector<FileEntry> entries_;
    std::string error_;
};

// Recent files, newest first, at most `limit`, stored one path per line.
class RecentFiles {
public:
    explicit RecentFiles(std::filesystem::path store, size_t limit = 12);
    static std::filesystem::path default_store();   // $XDG_CONFIG_HOME or ~/.config, /stemforge/recent.txt
    void add(const std::filesystem::path& file);    // moves it to the front and saves (errors ignored: a convenience)
    const std::vector<std::filesystem::path>& files() const { return files_; }

private:
    std::filesystem::path store_;
    size_t limit_;
    std::vector<std::filesystem::path> files_;
};

// The modal. open() shows it; draw() each frame returns the chosen files once.
class OpenDialog {
public:
    explicit OpenDialog(RecentFiles& recent) : recent_(recent) {}
    void open();
    std::optional<std::vector<std::filesystem::path>> draw(float scale);

private:
    RecentFiles& recent_;
    FileBrowser browser_;
    std::vector<std::string> selected_;
    char path_buf_[1024] = {};
    bool want_open_ = false;
};

}  // namespace sf::gui
