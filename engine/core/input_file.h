// Stemforge — what an input file must be before it is opened.
#pragma once

#include <filesystem>
#include <string>

#include "engine/core/error.h"

namespace sf {

// An input (a session, a stem, an IR, a file to analyze) must be a regular
// file: opening a FIFO blocks in open(2) until a writer comes, a device may
// never end, and a render reads its inputs more than once. A missing file
// passes here (the caller names that error).
inline Result<void> require_regular_file(const std::filesystem::path& file) {
    std::error_code ec;
    const auto st = std::filesystem::status(file, ec);
    if (ec || !std::filesystem::exists(st) || std::filesystem::is_regular_file(st) || std::filesystem::is_directory(st)) return {};
    const char* what = std::filesystem::is_fifo(st)     ? "a FIFO (named pipe)"
                       : std::filesystem::is_socket(st) ? "a socket"
                       : std::filesystem::is_block_file(st) || std::filesystem::is_character_file(st) ? "a device"
                                                                                                          : "not a regular file";
    return fail(ErrorCode::FileRead, file.string() + ": is " + what + "; inputs must be regular files");
}

}  // namespace sf
