// Fuzz body: the render manifest reader of `stemforge replay` (parse_manifest
// on any bytes), and the session recorded in it as replay reads it.
//
// Contract checked (engine/export/manifest.h, docs/reproducibility.md): a bad
// manifest is one InvalidArgument error line "<file>: <key>: <rule>" (replay
// reports it as one `stemforge: error:` line), never an exception or a
// crash; an accepted manifest has what replay relies on (absolute paths,
// 64-hex-digit hashes, at least one output, threads 1..4096), and written
// back by the manifest writer it reads back as the same manifest, whose
// text is then stable. The recorded session goes through the session parser
// as replay gives it (origin "<file>: session.canonical"): errors name that.
#include <string>

#include "engine/export/manifest.h"
#include "engine/session/session.h"
#include "tests/fuzz/fuzz_support.h"

namespace sf::fuzz {

namespace {

constexpr const char* kOrigin = "fuzz.manifest.json";

bool is_hash(const std::string& h) { return h.size() == 64 && h.find_first_not_of("0123456789abcdef") == std::string::npos; }

void check_model(const RenderManifest& m, const std::string& text) {
    FUZZ_CHECK(m.base_dir.is_absolute(), text);
    FUZZ_CHECK(is_hash(m.session_canonical_sha256), text);
    FUZZ_CHECK(!m.outputs.empty(), text);
    FUZZ_CHECK(!m.threads || (*m.threads >= 1 && *m.threads <= 4096), text);
    for (const auto* list : {&m.inputs, &m.outputs})
        for (const ManifestFile& f : *list) {
            FUZZ_CHECK(f.path.is_absolute(), f.path.string());
            FUZZ_CHECK(is_hash(f.sha256), f.sha256);
        }
}

}  // namespace

int manifest_input(const uint8_t* data, size_t size) {
    const std::string text(reinterpret_cast<const char*>(data), size);
    auto parsed = parse_manifest(text, kOrigin);
    if (!parsed) {
        const Error& e = parsed.error();
        FUZZ_CHECK(e.code == ErrorCode::InvalidArgument, e.message);
        FUZZ_CHECK(e.message.starts_with(std::string(kOrigin) + ": ") && e.message.size() > std::string(kOrigin).size() + 2, e.message);
        FUZZ_CHECK(e.message.find('\n') == std::string::npos, "more than one line: " + e.message);
        return 0;
    }
    check_model(*parsed, text);

    const std::string written = to_json(*parsed);
    auto again = parse_manifest(written, kOrigin);
    FUZZ_CHECK(again.has_value(), (again ? std::string() : again.error().message) + "\n--- written:\n" + written);
    FUZZ_CHECK(*again == *parsed, "input:\n" + text + "\n--- written:\n" + written);
    FUZZ_CHECK(to_json(*again) == written, written);

    // Replay's next step: the recorded session, parsed where it was rendered.
    const std::string session_origin = std::string(kOrigin) + ": session.canonical";
    auto session = parse_session(parsed->session_canonical, parsed->base_dir, session_origin);
    if (!session) {
        FUZZ_CHECK(session.error().code == ErrorCode::InvalidSession, session.error().message);
        FUZZ_CHECK(session.error().message.starts_with(session_origin + ": "), session.error().message);
    }
    return 0;
}

}  // namespace sf::fuzz
