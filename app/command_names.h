// Stemforge CLI — an unknown command named as such.
//
// CLI11 answers `stemforge rendr x.json` with "A subcommand is required",
// which hides the typo. This looks at the command word itself before parsing.
#pragma once

#include <optional>
#include <string>

namespace CLI {
class App;
}

namespace sf::cli {

// nullopt when argv's command word (the first argument not starting with
// '-', and for a command that only holds commands, such as `bench`, the word
// after it) names a registered command; else "unknown command 'x' (did you
// mean 'render'?); commands: render, gui, ..." (the suggestion only for a
// near miss).
std::optional<std::string> unknown_command_message(const CLI::App& app, int argc, const char* const* argv);

// Levenshtein distance (insertions, deletions, substitutions), for suggestions.
size_t edit_distance(const std::string& a, const std::string& b);

}  // namespace sf::cli
