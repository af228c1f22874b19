// Fuzz body: the batch file parser and validator (parse_batch on any bytes),
// its frozen copy, and the `set` edits of its jobs and variants.
//
// Contract checked (engine/batch/batch_spec.h, engine/session/session_edit.h):
//  - bad text is an InvalidArgument error whose every line names the file
//    ("<file>: <json.path>: <rule>"), never an exception or a crash;
//  - an accepted batch has unique job names, unique variant names per job,
//    every name a folder name, at least one variant per job;
//  - its frozen copy (batch_to_frozen_json, what Slurm tasks read) parsed
//    from another folder gives the same jobs, variants, edits and tasks;
//  - each job's edits, applied to a session in the order the batch runs
//    them (job first, then the variant's), either edit it (the result
//    round-trips through the canonical writer) or fail with a message whose
//    every line, as the batch reports it, names the batch file or the
//    session file.
#include <algorithm>
#include <set>
#include <string>

#include "engine/batch/batch_spec.h"
#include "engine/session/session.h"
#include "engine/session/session_edit.h"
#include "tests/fuzz/fuzz_support.h"

namespace sf::fuzz {

namespace {

constexpr const char* kOrigin = "fuzz-batch.json";
constexpr const char* kBaseDir = "/stemforge-fuzz-batch";
constexpr const char* kSessionFile = "/stemforge-fuzz-batch/session.json";
// Edits applied per input at most: each one reparses and validates the session.
constexpr size_t kMaxEdits = 24;

// Stems, buses of every kind, sends, automation: something for most paths to name.
constexpr const char* kSession = R"({"format": "stemforge-session", "version": 1, "sample_rate": 48000, "tempo_bpm": 120,
 "stems": [
  {"name": "vox", "file": "v.flac", "sends": [{"bus": "verb", "level_db": -12, "pre_fader": true}, {"bus": "echo", "level_db": -18}],
   "automation": {"send_db.echo": [[0, -6], [4, 0]]}, "output": "group"},
  {"name": "bass", "file": "b.wav", "compressor": {"threshold_db": -24, "ratio": 3, "sidechain": "kick"}},
  {"name": "kick", "file": "k.wav", "eq": {"bands": [{"type": "bell", "freq_hz": 60, "gain_db": 3, "q": 1}]}}],
 "buses": [
  {"name": "group", "gain_db": -1, "output": "master", "width": 1.1},
  {"name": "verb", "reverb": {"ir": "irs/hall.wav", "predelay_ms": 20, "wet_db": -3}, "output": "group"},
  {"name": "echo", "delay": {"note": "1/8d", "feedback": 0.35, "pingpong": true}}],
 "master": {"preset": "streaming", "eq": {"bands": [{"type": "highpass", "freq_hz": 30, "slope_db_oct": 12}]}},
 "export": [{"file": "out/master.wav", "bit_depth": 24}]})";

const Session& base_session() {
    static const Session session = [] {
        auto s = parse_session(kSession, kBaseDir, kSessionFile);
        if (!s) violated("the fuzz body's own session parses", s.error().message);
        s->file = kSessionFile;
        return *s;
    }();
    return session;
}

void check_lines(const std::string& message, std::initializer_list<std::string_view> origins) {
    FUZZ_CHECK(!message.empty(), "empty message");
    size_t start = 0;
    while (start <= message.size()) {
        const size_t end = std::min(message.find('\n', start), message.size());
        const std::string_view line(message.data() + start, end - start);
        FUZZ_CHECK(std::any_of(origins.begin(), origins.end(),
                               [&](std::string_view o) { return line.starts_with(o) && line.substr(o.size()).starts_with(": ") && line.size() > o.size() + 2; }),
                   message);
        start = end + 1;
    }
}

void check_model(const BatchSpec& spec, const std::string& text) {
    FUZZ_CHECK(!spec.jobs.empty(), text);
    FUZZ_CHECK(spec.output_dir.is_absolute(), text);
    std::set<std::string> jobs;
    for (const BatchJob& j : spec.jobs) {
        FUZZ_CHECK(is_batch_folder_name(j.name) && j.name != kBatchSummaryName, "job name \"" + j.name + "\": " + text);
        FUZZ_CHECK(jobs.insert(j.name).second, "two jobs named \"" + j.name + "\": " + text);
        FUZZ_CHECK(j.file.is_absolute(), text);
        FUZZ_CHECK(!j.variants.empty(), text);
        FUZZ_CHECK(j.kind == BatchJobKind::Session || (j.set.empty() && !j.variants_explicit), text);
        std::set<std::string> variants;
        for (const BatchVariant& v : j.variants) {
            FUZZ_CHECK(is_batch_folder_name(v.name), "variant name \"" + v.name + "\": " + text);
            FUZZ_CHECK(variants.insert(v.name).second, "two variants named \"" + v.name + "\": " + text);
        }
    }
    FUZZ_CHECK(batch_tasks(spec).size() ==
                   [&] {
                       size_t n = 0;
                       for (const BatchJob& j : spec.jobs) n += j.variants.size();
                       return n;
                   }(),
               text);
}

// What a task renders: the file, the folder, the edits. (How a name or path
// was written is not: the frozen copy writes every one out in full.)
void check_frozen(const BatchSpec& spec, const BatchSpec& frozen, const std::string& text) {
    FUZZ_CHECK(frozen.output_dir == spec.output_dir, text);
    FUZZ_CHECK(frozen.jobs.size() == spec.jobs.size(), text);
    // Messages of the frozen copy name the user's batch file (or the origin it was frozen from).
    FUZZ_CHECK(batch_origin(frozen) == std::filesystem::absolute(batch_origin(spec)).lexically_normal(), batch_origin(frozen).string());
    for (size_t i = 0; i < spec.jobs.size(); ++i) {
        const BatchJob &a = spec.jobs[i], &b = frozen.jobs[i];
        FUZZ_CHECK(a.kind == b.kind && a.file == b.file && a.name == b.name, "job " + std::to_string(i) + ": " + text);
        FUZZ_CHECK(a.variants_explicit == b.variants_explicit && a.variants.size() == b.variants.size(), text);
        FUZZ_CHECK(a.set.size() == b.set.size(), text);
        for (size_t e = 0; e < a.set.size(); ++e) FUZZ_CHECK(a.set[e].path == b.set[e].path && a.set[e].value == b.set[e].value, text);
        for (size_t v = 0; v < a.variants.size(); ++v) {
            FUZZ_CHECK(a.variants[v].name == b.variants[v].name && a.variants[v].set.size() == b.variants[v].set.size(), text);
            for (size_t e = 0; e < a.variants[v].set.size(); ++e)
                FUZZ_CHECK(a.variants[v].set[e].path == b.variants[v].set[e].path && a.variants[v].set[e].value == b.variants[v].set[e].value, text);
        }
    }
    const auto ta = batch_tasks(spec), tb = batch_tasks(frozen);
    FUZZ_CHECK(ta.size() == tb.size(), text);
    for (size_t t = 0; t < ta.size(); ++t) FUZZ_CHECK(batch_task_dir(spec, ta[t]) == batch_task_dir(frozen, tb[t]), text);
}

// The edits of one task, applied as app/batch/batch_task.cpp applies them.
void check_edits(const BatchSpec& spec, const BatchTask& task, size_t& budget) {
    const BatchJob& job = spec.jobs[task.job];
    Session session = base_session();
    for (const auto* edits : {&job.set, &job.variants[task.variant].set}) {
        for (const BatchEdit& e : *edits) {
            if (budget == 0) return;
            --budget;
            auto edited = session_set(session, e.path, e.value);
            if (!edited) {
                FUZZ_CHECK(edited.error().code == ErrorCode::InvalidArgument || edited.error().code == ErrorCode::InvalidSession,
                           edited.error().message);
                // The batch's message: "<batch file>: <entry>: <the edit's error>".
                check_lines(std::string(kOrigin) + ": " + e.json_path + ": " + edited.error().message, {kOrigin, kSessionFile});
                return;  // the task fails here
            }
            const std::string written = to_json(*edited);
            auto again = parse_session(written, edited->base_dir, kSessionFile);
            FUZZ_CHECK(again.has_value(), (again ? std::string() : again.error().message) + "\n--- written:\n" + written);
            again->file = edited->file;  // text parses have no file
            FUZZ_CHECK(*again == *edited, "edit " + e.path + " = " + e.value.dump() + ":\n" + written);
            session = std::move(*edited);
        }
    }
}

}  // namespace

int batch_input(const uint8_t* data, size_t size) {
    const std::string text(reinterpret_cast<const char*>(data), size);
    auto parsed = parse_batch(text, kBaseDir, kOrigin);
    if (!parsed) {
        FUZZ_CHECK(parsed.error().code == ErrorCode::InvalidArgument, parsed.error().message);
        check_lines(parsed.error().message, {kOrigin});
        return 0;
    }
    check_model(*parsed, text);

    parsed->file = std::string(kBaseDir) + "/" + kOrigin;
    const std::string frozen_text = batch_to_frozen_json(*parsed);
    auto frozen = parse_batch(frozen_text, "/elsewhere/run", "frozen.json");
    FUZZ_CHECK(frozen.has_value(), (frozen ? std::string() : frozen.error().message) + "\n--- frozen:\n" + frozen_text);
    check_frozen(*parsed, *frozen, frozen_text);

    size_t budget = kMaxEdits;
    for (const BatchTask& task : batch_tasks(*parsed))
        if (parsed->jobs[task.job].kind == BatchJobKind::Session) check_edits(*parsed, task, budget);
    return 0;
}

}  // namespace sf::fuzz
