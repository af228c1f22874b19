// Stemforge — edits of a session by path: the one small language of the
// workstation's commands, batch variants and tests (DESIGN.md "Workstation":
// `set PATH VALUE`, `add PATH VALUE`, `remove PATH`).
//
// PATH is the session file's JSON path with a stem or bus named in brackets
// or indexed: `stems[lead_vox].gain_db`, `stems[2].mute`,
// `master.eq.bands[1].freq_hz`, `buses[verb].reverb.wet_db`. Brackets on
// any array of objects with a "name" key take a name; a number is an index.
//
// Every edit is applied to the session's canonical JSON (to_json) and the
// result goes through the one parser and validator (parse_session): an edit
// that breaks a rule changes nothing and returns the validator's message,
// which names the JSON path. Objects on the way that are absent are created
// (`set stems[kick].eq.mode "minimum"` on a stem without an EQ gives it one).
#pragma once

#include <string>
#include <string_view>

#include <nlohmann/json.hpp>

#include "engine/core/error.h"
#include "engine/session/session.h"

namespace sf {

// Sets the value at `path` (a key is created; an array element must exist).
Result<Session> session_set(const Session& session, std::string_view path, const nlohmann::json& value);
// Appends `value` to the array at `path` (created when absent).
Result<Session> session_add(const Session& session, std::string_view path, const nlohmann::json& value);
// Removes one array element (`stems[riser]`, `master.eq.bands[0]`) or one
// key (`stems[kick].compressor`: the block is absent again).
Result<Session> session_remove(const Session& session, std::string_view path);

}  // namespace sf
