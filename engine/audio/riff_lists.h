// Stemforge — refuses the RIFF LIST chunks libsndfile cannot leave.
//
// libsndfile (1.2.0 here, 1.2.2 upstream: libsndfile issue #1118) walks the
// sub-chunks of a WAV/RF64 LIST (or top-level INFO) chunk with 32-bit byte
// counts: a sub-chunk that claims more bytes than the list has left makes it
// jump by a wrapped count, and sf_open() may never return (a 484-byte WAV
// found by fuzz_ir, tests/fuzz/regressions/ir/). A thread stuck in sf_open
// cannot be cancelled, so the file is checked before libsndfile sees it. The
// check refuses every list whose sub-chunks overrun it, also those libsndfile
// would only misread: such a list is corrupt either way, and the one line
// says where.
#pragma once

#include <filesystem>

#include "engine/core/error.h"

namespace sf {

// For a RIFF/RIFX/RF64/BW64 WAVE file, walks its top-level chunks and, in each
// LIST and INFO chunk, the sub-chunks as libsndfile reads them: every one must
// end inside its list (a last sub-chunk missing only its pad byte is
// accepted, as writers often omit it; four zero bytes end a list, as
// libsndfile treats them; at a "data" marker inside a list the walk goes on
// from that marker, where libsndfile "backs out" to). Any other file is
// accepted unread. Error:
// FileRead, one line naming the file, the list's and the sub-chunk's byte
// offsets and the sizes.
Result<void> check_riff_lists(const std::filesystem::path& file);

}  // namespace sf
