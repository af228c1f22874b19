// Helpers shared by the end-to-end tests: build a session folder, render it
// with the real binary, read what came out.
#pragma once

#include <gtest/gtest.h>

#include <nlohmann/json.hpp>

#include "tests/support/test_support.h"

namespace sf::test {

inline nlohmann::json session_with(nlohmann::json stems) {
    return {{"format", "stemforge-session"}, {"version", 1}, {"sample_rate", 48000}, {"stems", std::move(stems)}};
}

inline nlohmann::json float_export(const std::string& file) {
    return nlohmann::json::array({{{"file", file}, {"bit_depth", 32}}});
}

// Counts the lines of a text (a trailing newline ends the last line).
inline int line_count(const std::string& s) {
    int n = 0;
    for (char c : s) n += c == '\n';
    if (!s.empty() && s.back() != '\n') ++n;
    return n;
}

}  // namespace sf::test
