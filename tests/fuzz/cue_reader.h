// Stemforge tests — a strict reader of CUE sheets (CDRWIN syntax), the
// independent check of what the project's CUE writer produces. Stemforge
// itself reads no CUE sheet: the sheets it writes are read by other tools,
// so the writer must produce text every reader splits the same way.
#pragma once

#include <optional>
#include <string>
#include <string_view>
#include <vector>

namespace sf::fuzz {

struct CueCommand {
    std::string name;               // upper case: REM, FILE, TITLE, ...
    std::vector<std::string> args;  // quoted strings unquoted
    int indent = 0;                 // leading spaces
};

// Splits a sheet into commands. Lines end in CR LF (the last one too); a
// quoted string closes on its line and is followed by a space or the line's
// end; no control character other than the line ends appears. nullopt (and
// `why` set) when the text breaks one of these rules.
inline std::optional<std::vector<CueCommand>> read_cue(std::string_view text, std::string* why) {
    std::vector<CueCommand> out;
    auto bad = [&](std::string reason) {
        if (why) *why = std::move(reason);
        return std::nullopt;
    };
    if (!text.empty() && !text.ends_with("\r\n")) return bad("the last line does not end in CR LF");
    size_t pos = 0;
    int line_no = 0;
    while (pos < text.size()) {
        const size_t end = text.find("\r\n", pos);
        const std::string_view line = text.substr(pos, end - pos);
        pos = end + 2;
        ++line_no;
        const std::string where = "line " + std::to_string(line_no) + ": ";
        for (unsigned char c : line)
            if (c < 0x20 || c == 0x7f) return bad(where + "control character " + std::to_string(c));
        CueCommand cmd;
        size_t i = 0;
        while (i < line.size() && line[i] == ' ') ++i;
        cmd.indent = static_cast<int>(i);
        std::vector<std::string> tokens;
        while (i < line.size()) {
            if (line[i] == ' ') {
                ++i;
                continue;
            }
            std::string token;
            if (line[i] == '"') {
                const size_t close = line.find('"', i + 1);
                if (close == std::string_view::npos) return bad(where + "unclosed quote");
                token = std::string(line.substr(i + 1, close - i - 1));
                i = close + 1;
                if (i < line.size() && line[i] != ' ') return bad(where + "text right after a closing quote");
            } else {
                const size_t stop = line.find(' ', i);
                token = std::string(line.substr(i, stop == std::string_view::npos ? std::string_view::npos : stop - i));
                if (token.find('"') != std::string::npos) return bad(where + "a quote inside a word");
                i = stop == std::string_view::npos ? line.size() : stop;
            }
            tokens.push_back(std::move(token));
        }
        if (tokens.empty()) return bad(where + "empty line");
        cmd.name = tokens.front();
        cmd.args.assign(tokens.begin() + 1, tokens.end());
        out.push_back(std::move(cmd));
    }
    return out;
}

}  // namespace sf::fuzz
