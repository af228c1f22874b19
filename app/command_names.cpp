#include "app/command_names.h"

#include <CLI/CLI.hpp>

#include <algorithm>
#include <vector>

namespace sf::cli {

size_t edit_distance(const std::string& a, const std::string& b) {
    std::vector<size_t> row(b.size() + 1);
    for (size_t j = 0; j <= b.size(); ++j) row[j] = j;
    for (size_t i = 1; i <= a.size(); ++i) {
        size_t diag = row[0];
        row[0] = i;
        for (size_t j = 1; j <= b.size(); ++j) {
            const size_t up = row[j];
            row[j] = std::min({row[j] + 1, row[j - 1] + 1, diag + (a[i - 1] == b[j - 1] ? 0 : 1)});
            diag = up;
        }
    }
    return row[b.size()];
}

std::optional<std::string> unknown_command_message(const CLI::App& app, int argc, const char* const* argv) {
    const CLI::App* level = &app;
    std::string path;  // "bench " for a nested level, in messages
    int i = 1;
    while (true) {
        while (i < argc && argv[i][0] == '-') ++i;  // the top level and `bench` take only flags before the command word
        if (i >= argc) return std::nullopt;          // no command word: CLI11 says what is missing
        const std::string word = argv[i];
        const auto subs = level->get_subcommands({});
        const auto it = std::find_if(subs.begin(), subs.end(), [&](const CLI::App* s) { return s->check_name(word); });
        if (it != subs.end()) {
            const CLI::App* sub = *it;
            // Descend only into a command made of commands (no positionals of its own).
            const bool commands_only = !sub->get_subcommands({}).empty() && sub->get_options([](const CLI::Option* o) {
                                                                                    return o->get_positional();
                                                                                }).empty();
            if (!commands_only) return std::nullopt;
            path += sub->get_name() + " ";
            level = sub;
            ++i;
            continue;
        }
        std::string names, best;
        size_t best_distance = 3;  // suggest only a near miss (at most 2 edits)
        for (const CLI::App* s : subs) {
            if (!names.empty()) names += ", ";
            names += s->get_name();
            if (const size_t d = edit_distance(word, s->get_name()); d < best_distance) {
                best_distance = d;
                best = s->get_name();
            }
        }
        std::string message = "unknown command '" + path + word + "'";
        if (!best.empty()) message += " (did you mean '" + path + best + "'?)";
        message += "; " + (path.empty() ? std::string("commands") : "'" + path.substr(0, path.size() - 1) + "' takes") + ": " + names;
        return message;
    }
}

}  // namespace sf::cli
