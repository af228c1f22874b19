// Stemforge — blocks of the session schema read on their own, for files that
// embed them (an album's "master" block): the same tables, rules and messages
// as in a session file, so a block means one thing wherever it is written.
#pragma once

#include <filesystem>
#include <string>

#include <nlohmann/json.hpp>

#include "engine/core/error.h"
#include "engine/session/session.h"

namespace sf {

// Reads a master block. `json_path` prefixes every error's path (e.g.
// "album.json: master"); relative paths (match_eq.reference) resolve against
// base_dir; `sample_rate` bounds the frequencies (below Nyquist). Every error
// of the block is reported, one per line, like parse_session.
Result<MasterSpec> parse_master_block(const nlohmann::json& block, const std::string& json_path,
                                      const std::filesystem::path& base_dir, int sample_rate);

// The master block as a session file writes it (canonical, defaults left out).
nlohmann::ordered_json master_block_json(const MasterSpec& master);

}  // namespace sf
