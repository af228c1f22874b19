// Stemforge — a reproducible PEAK chunk.
//
// libsndfile (1.2) gives every float WAV, RF64 and AIFF file a PEAK chunk
// whose timestamp is the time of writing (time(NULL)), and its
// SFC_SET_ADD_PEAK_CHUNK switch covers WAV and AIFF only, not RF64: two
// renders of one session differ in those four bytes, so no manifest replay
// could match. After the writer has closed the file, the timestamp is set to
// 0; the peaks themselves (values and positions) stay.
#pragma once

#include <filesystem>

#include "engine/core/error.h"

namespace sf {

// Walks the chunks of a RIFF/RF64 (little-endian sizes) or FORM AIFF/AIFC
// (big-endian) file up to its audio data and, when a PEAK chunk comes first,
// zeroes its timestamp (the 4 bytes after the chunk's version). A file
// without a PEAK chunk, or of another container, is left as it is. Errors:
// FileRead/FileWrite naming the file.
Result<void> clear_peak_timestamp(const std::filesystem::path& file);

}  // namespace sf
