// Stemforge — delivery metadata written into finished (staged) files: the BWF bext v2
// loudness fields (EBU Tech 3285 v2), the tags of every format (tags.h), CUE sheets.
//
// These edit a finished file (bext loudness: five int16 fields at fixed
// offsets, in place; tags: see tags.h), because the loudness values are
// those measured on the file itself after it was written.
#pragma once

#include <filesystem>
#include <string>
#include <vector>

#include <optional>
#include <span>

#include "engine/audio/dither.h"
#include "engine/core/error.h"
#include "engine/export/tags.h"
#include "engine/export/transaction.h"
#include "engine/session/session.h"

namespace sf {

// Sets the loudness fields of the bext chunk (version 2) of a WAV/BWF/RF64
// file: each is round(value x 100) as int16; non-finite values are 0x7fff
// ("not measured"). Errors: no bext chunk, or the file cannot be written.
Result<void> patch_bext_loudness(const std::filesystem::path& file, const BextLoudness& loudness);

// Reads the bext loudness fields back (for tests and checks).
Result<BextLoudness> read_bext_loudness(const std::filesystem::path& file);

// The text of a one-track CUE sheet for `audio_file` (its file name only:
// the sheet lives beside it). FILE type: WAVE for WAV/BWF/RF64/FLAC, AIFF.
// CUE strings are quoted and cannot escape a quote: a double quote in a
// metadata text is written as two single quotes ('').
std::string cue_sheet_text(const std::filesystem::path& audio_file, ExportFormat format, const DeliveryMetadata& metadata);

// A CUE sheet names its audio file in quotes on one line: a file name with a
// double quote or a control character cannot be written into one. Error
// (InvalidArgument) naming `role` and the file; checked before any work.
Result<void> check_cue_file_name(const std::filesystem::path& audio_file, const std::string& role);

// One export whose audio is written (staged, not yet in place).
struct FinishedExport {
    ExportSpec spec;
    std::filesystem::path staged;          // the written file, in `transaction`
    std::optional<BextLoudness> measured;  // the file's own loudness; required for BWF exports
};

// The last step of every export: the bext loudness fields of BWF files, the
// tags of every format (write_tags: title, artist, album, year, track,
// composer, copyright, ISRC; BWF origination date/time), and the CUE sheets
// (staged in `transaction` beside their audio). Returns the command's outputs in order: the audio files, then the
// CUE sheets. On error the staged files may be half-edited: the caller's
// transaction discards them.
Result<std::vector<std::filesystem::path>> finish_exports(std::span<const FinishedExport> exports, const DeliveryMetadata& metadata,
                                                          DeliveryTransaction& transaction);

}  // namespace sf
