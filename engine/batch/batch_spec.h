// Stemforge — the batch file (format "stemforge-batch" v1): the model, its
// parser and validator, and the expansion into tasks (one per job/variant).
//
//   {"format": "stemforge-batch", "version": 1, "output_dir": "out",
//    "jobs": [{"session": "a/session.json"},
//             {"album": "b/album.json", "name": "b-album"},
//             {"session": "c/session.json", "set": {"master.loudness_target_lufs": -16},
//              "variants": [{"name": "instrumental", "set": {"stems[lead_vox].mute": true}},
//                           {"name": "main"}]}]}
//
// Paths are relative to the batch file's folder. A job renders a session or
// an album; a session job's `set` (every variant) and each variant's `set`
// are edits in the session-edit language (engine/session/session_edit.h),
// applied in the order written, job first. They are checked when the job
// runs, so a bad path fails that job alone. A job without `variants` has one
// variant, `main`. Each job/variant writes under output_dir/<job>/<variant>/.
//
// Job names: the `name` key, else derived from the file: its stem, or for a
// file named session.json / album.json its folder's name ("a/session.json"
// gives "a"); characters other than letters, digits, '.', '-', '_' become
// '_'; a name already taken (by an earlier job or any explicit name) gets
// "-2", "-3", ... The names are folder names, so an explicit one must be one
// already (and not "summary.json", the summary's place).
//
// The parser reports every error of the file, one line each
// "<file>: <json.path>: <rule>", an unknown key with the nearest known one.
#pragma once

#include <filesystem>
#include <string>
#include <utility>
#include <vector>

#include <nlohmann/json.hpp>

#include "engine/core/error.h"

namespace sf {

enum class BatchJobKind { Session, Album };

// One edit of a `set` block: the session path and the JSON value, with the
// batch file's JSON path of the entry (for messages).
struct BatchEdit {
    std::string path;
    nlohmann::json value;
    std::string json_path;  // e.g. jobs[2].variants[0].set["stems[vox].mute"]

    bool operator==(const BatchEdit&) const = default;
};

struct BatchVariant {
    std::string name;
    std::vector<BatchEdit> set;  // in the order written

    bool operator==(const BatchVariant&) const = default;
};

struct BatchJob {
    BatchJobKind kind = BatchJobKind::Session;
    std::string file_as_written;
    std::filesystem::path file;        // absolute
    std::string name;                  // unique in the batch (explicit or derived)
    bool name_explicit = false;
    std::vector<BatchEdit> set;        // applied to every variant, first
    std::vector<BatchVariant> variants;  // never empty after parsing ("main" when none was written)
    bool variants_explicit = false;

    bool operator==(const BatchJob&) const = default;
};

struct BatchSpec {
    std::filesystem::path file;        // the batch file as given (empty when parsed from text)
    std::filesystem::path base_dir;    // absolute
    // A frozen copy's "origin": the user's batch file, which messages name
    // (empty in a batch file as written).
    std::filesystem::path origin;
    std::string output_dir_as_written = "out";
    std::filesystem::path output_dir;  // absolute
    std::vector<BatchJob> jobs;

    bool operator==(const BatchSpec&) const = default;
};

// One unit of work: a job with one of its variants. Indexes count from 0 in
// job order, then variant order.
struct BatchTask {
    size_t index = 0;
    size_t job = 0;      // index into BatchSpec::jobs
    size_t variant = 0;  // index into that job's variants
};

inline constexpr const char* kBatchDefaultVariant = "main";
inline constexpr const char* kBatchSummaryName = "summary.json";

// Parses and validates a batch file. Errors: FileNotFound / FileRead for the
// file, InvalidArgument for its content, with one line per problem
// ("<file>: <json.path>: <rule>") joined by '\n'.
Result<BatchSpec> load_batch(const std::filesystem::path& file);
// The same from text; relative paths resolve against base_dir (made absolute).
Result<BatchSpec> parse_batch(const std::string& text, const std::filesystem::path& base_dir, const std::string& origin);

// Writes the spec back with every path absolute and every name explicit: a
// frozen copy that parses to the same tasks wherever it is stored (the
// Slurm tasks read it from shared storage). Its key "origin" holds the
// batch file it came from.
std::string batch_to_frozen_json(const BatchSpec& spec);
// The file that messages about a spec name: the origin of a frozen copy,
// else the file itself.
std::filesystem::path batch_origin(const BatchSpec& spec);

std::vector<BatchTask> batch_tasks(const BatchSpec& spec);

// output_dir/<job>/<variant>
std::filesystem::path batch_task_dir(const BatchSpec& spec, const BatchTask& task);

// True when `name` may be a job or variant folder: 1-100 characters from
// letters, digits, '.', '-', '_', not starting with '.'.
bool is_batch_folder_name(std::string_view name);

const char* to_string(BatchJobKind kind);

}  // namespace sf
