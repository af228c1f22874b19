// Stemforge CLI — data files from assets/, embedded in the binary at build
// time (app/CMakeLists.txt), so a command finds them from any working
// directory and after installation. Editing an asset re-runs CMake.
#pragma once

#include <optional>
#include <string_view>

namespace sf::cli {

// The bytes of assets/<name> (e.g. "demo/demo.json") as they were when the
// binary was built; nullopt for a name that was not embedded.
std::optional<std::string_view> find_asset(std::string_view name);

}  // namespace sf::cli
