// Stemforge tests — a folder's files and bytes, before and after a command:
// equal snapshots mean the command left no temporary file behind and changed,
// created or removed nothing.
#pragma once

#include <filesystem>
#include <map>
#include <string>
#include <vector>

#include "tests/support/test_support.h"

namespace sf::test {

using Snapshot = std::map<std::string, std::string>;  // relative path -> bytes

inline Snapshot snapshot(const std::filesystem::path& dir) {
    Snapshot s;
    for (const auto& e : std::filesystem::recursive_directory_iterator(dir))
        if (e.is_regular_file()) s[std::filesystem::relative(e.path(), dir).string()] = read_text(e.path());
    return s;
}

// One line per file left behind, changed or removed.
inline std::vector<std::string> differences(const Snapshot& before, const Snapshot& after) {
    std::vector<std::string> d;
    for (const auto& [name, bytes] : after) {
        auto it = before.find(name);
        if (it == before.end()) d.push_back("left behind: " + name);
        else if (it->second != bytes) d.push_back("changed: " + name);
    }
    for (const auto& [name, bytes] : before)
        if (!after.contains(name)) d.push_back("removed: " + name);
    return d;
}

}  // namespace sf::test
