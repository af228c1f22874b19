// Stemforge — names from input files as they go into error messages.
#pragma once

#include <cstdio>
#include <string>
#include <string_view>

namespace sf {

// A name taken from an input file (a JSON key, a session path) as it goes
// into an error message: unchanged when it holds no control character, else
// in double quotes with the controls escaped ("x\ny"). The CLI prints each
// '\n'-separated part of a message as its own error line, and each line
// must name the file: a raw line break inside a key would start a line that
// names nothing.
inline std::string message_name(std::string_view name) {
    bool plain = true;
    for (unsigned char c : name) plain = plain && c >= 0x20 && c != 0x7f;
    if (plain) return std::string(name);
    std::string out = "\"";
    for (unsigned char c : name) {
        if (c == '"' || c == '\\') {
            out += '\\';
            out += static_cast<char>(c);
        } else if (c == '\n') {
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
    return out + "\"";
}

}  // namespace sf
