#include "engine/session/session_paths.h"

#include <string>

namespace sf {

namespace {

bool has_nul(const std::string& s) { return s.find('\0') != std::string::npos; }

}  // namespace

Result<void> check_session_paths(const Session& session) {
    const std::string origin = session.file.empty() ? std::string("session") : session.file.string();
    auto refuse = [&](const std::string& json_path) {
        return fail(ErrorCode::InvalidSession, origin + ": " + json_path + ": contains a NUL character (\\0), which no file name can hold");
    };
    // The resolved path and the text as written: a session built in code sets either.
    auto bad = [](const std::string& as_written, const std::filesystem::path& resolved) { return has_nul(as_written) || has_nul(resolved.native()); };
    for (size_t i = 0; i < session.stems.size(); ++i)
        if (bad(session.stems[i].file_as_written, session.stems[i].file)) return refuse("stems[" + std::to_string(i) + "].file");
    for (size_t i = 0; i < session.buses.size(); ++i)
        if (session.buses[i].reverb && bad(session.buses[i].reverb->ir_as_written, session.buses[i].reverb->ir))
            return refuse("buses[" + std::to_string(i) + "].reverb.ir");
    if (session.master && session.master->match_eq && bad(session.master->match_eq->reference_as_written, session.master->match_eq->reference))
        return refuse("master.match_eq.reference");
    for (size_t i = 0; i < session.exports.size(); ++i)
        if (bad(session.exports[i].file_as_written, session.exports[i].file)) return refuse("export[" + std::to_string(i) + "].file");
    return {};
}

}  // namespace sf
