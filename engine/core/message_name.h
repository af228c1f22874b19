// Stemforge — text from input files as it goes into error messages.
//
// The CLI prints each '\n'-separated part of an error message as its own
// `stemforge: error:` line, and every line must name the file it is about.
// A key, a name or a value copied from a file may hold a line break (JSON
// writes it "\n"): copied raw, it would start a line that names nothing.
#pragma once

#include <cstdio>
#include <string>
#include <string_view>

namespace sf {

// `text` with its control characters written as JSON escapes (\n, \t,
// \u001b); everything else unchanged.
inline std::string escape_controls(std::string_view text) {
    std::string out;
    out.reserve(text.size());
    for (unsigned char c : text) {
        if (c == '\n') {
            out += "\\n";
        } else if (c == '\t') {
            out += "\\t";
        } else if (c < 0x20 || c == 0x7f) {
            char buf[8];
            std::snprintf(buf, sizeof(buf), "\\u%04x", c);
            out += buf;
        } else {
            out += static_cast<char>(c);
        }
    }
    return out;
}

// A name from an input file (a JSON key, a session path) for a message:
// unchanged when it holds no control character, else in double quotes with
// the controls escaped ("x\ny"), so that it reads as one name.
inline std::string message_name(std::string_view name) {
    const std::string escaped = escape_controls(name);
    return escaped.size() == name.size() ? escaped : "\"" + escaped + "\"";
}

}  // namespace sf
