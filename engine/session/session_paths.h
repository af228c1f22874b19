// Stemforge — the file paths a session names, checked as paths.
//
// JSON strings may hold any code point, "\u0000" included; a path with a NUL
// inside reaches open(2) cut at the NUL, so an export would be written under
// the truncated name and an input read from another file. Such a path is
// refused, naming its JSON path, before any file is opened.
#pragma once

#include "engine/core/error.h"
#include "engine/session/session.h"

namespace sf {

// Errors: InvalidSession "<session file>: <json.path>: contains a NUL
// character (\0), which no file name can hold", for the first such path
// (stems[i].file, buses[i].reverb.ir, master.match_eq.reference,
// export[i].file).
Result<void> check_session_paths(const Session& session);

}  // namespace sf
