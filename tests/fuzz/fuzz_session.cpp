// Fuzz body: the session parser and validator (parse_session on any bytes).
//
// Contract checked (engine/session/session.h): bad text is an InvalidSession
// error naming the origin on every line, bounded in length, never an
// exception or a crash; good text round-trips through the canonical writer
// (parse(to_json(s)) == s, and to_json of that is byte-identical); what the
// validator promises the renderer holds (routing resolves and is acyclic,
// every delay has a time).
#include <string>

#include "engine/render/render_plan.h"
#include "engine/session/session.h"
#include "tests/fuzz/fuzz_support.h"

namespace sf::fuzz {

namespace {

constexpr const char* kOrigin = "fuzz.json";

void check_error(const Error& e) {
    FUZZ_CHECK(e.code == ErrorCode::InvalidSession, e.message);
    FUZZ_CHECK(!e.message.empty(), "empty message");
    // The validator reports at most 50 errors and a count of the rest.
    FUZZ_CHECK(e.message.size() < 64 * 1024, std::to_string(e.message.size()) + " bytes of messages");
    size_t start = 0, lines = 0;
    while (start <= e.message.size()) {
        const size_t end = std::min(e.message.find('\n', start), e.message.size());
        const std::string_view line(e.message.data() + start, end - start);
        FUZZ_CHECK(line.starts_with(std::string(kOrigin) + ": "), e.message);
        ++lines;
        start = end + 1;
    }
    FUZZ_CHECK(lines <= 51, std::to_string(lines) + " lines");
}

void check_model(const Session& s, const std::string& text) {
    FUZZ_CHECK(s.sample_rate >= 8000 && s.sample_rate <= 384000, text);
    FUZZ_CHECK(!s.stems.empty(), text);
    for (const StemSpec& st : s.stems)
        FUZZ_CHECK(st.output == kMasterBusName || s.find_bus(st.output) != nullptr, st.output);
    for (const BusSpec& b : s.buses) {
        FUZZ_CHECK(b.output == kMasterBusName || s.find_bus(b.output) != nullptr, b.output);
        if (b.delay) FUZZ_CHECK(delay_time_s(*b.delay, s.tempo_bpm).has_value(), text);
    }
    // A routing cycle would make the order shorter than the bus list.
    FUZZ_CHECK(bus_processing_order(s).size() == s.buses.size(), text);
}

}  // namespace

int session_input(const uint8_t* data, size_t size) {
    const std::string text(reinterpret_cast<const char*>(data), size);
    auto parsed = parse_session(text, "/stemforge-fuzz-session", kOrigin);
    if (!parsed) {
        check_error(parsed.error());
        return 0;
    }
    check_model(*parsed, text);
    // The writer is canonical (session.h): parse(to_json(s)) == s, and
    // to_json of that is the same text.
    const std::string written = to_json(*parsed);
    auto again = parse_session(written, parsed->base_dir, kOrigin);
    FUZZ_CHECK(again.has_value(), (again ? std::string() : again.error().message) + "\n--- written:\n" + written);
    FUZZ_CHECK(*again == *parsed, "input:\n" + text + "\n--- written:\n" + written);
    FUZZ_CHECK(to_json(*again) == written, written);
    return 0;
}

}  // namespace sf::fuzz
