// The batch file: parsing, validation, job names and the frozen copy.
//
// Unlike the session parser, which stops at the first rule, this one collects
// every problem of the file: a batch file is short and written by hand, and
// fixing it in one round is worth the few lines.
#include "engine/batch/batch_spec.h"

#include <algorithm>
#include <fstream>
#include <map>
#include <set>
#include <sstream>

#include "engine/core/input_file.h"
#include "engine/core/message_name.h"

namespace sf {

namespace {

using ojson = nlohmann::ordered_json;

// Edit distance, for "did you mean" on an unknown key.
size_t edit_distance(std::string_view a, std::string_view b) {
    std::vector<size_t> row(b.size() + 1);
    for (size_t j = 0; j <= b.size(); ++j) row[j] = j;
    for (size_t i = 1; i <= a.size(); ++i) {
        size_t diag = row[0];
        row[0] = i;
        for (size_t j = 1; j <= b.size(); ++j) {
            const size_t up = row[j];
            row[j] = std::min({row[j] + 1, row[j - 1] + 1, diag + (a[i - 1] == b[j - 1] ? 0 : 1)});
            diag = up;
        }
    }
    return row[b.size()];
}

const char* type_name(const ojson& j) {
    switch (j.type()) {
        case ojson::value_t::null: return "null";
        case ojson::value_t::boolean: return "a boolean";
        case ojson::value_t::string: return "a string";
        case ojson::value_t::array: return "an array";
        case ojson::value_t::object: return "an object";
        default: return "a number";
    }
}

std::string json_quoted(const std::string& s) { return ojson(s).dump(); }

std::string join_path(const std::string& parent, const std::string& key) { return parent.empty() ? key : parent + "." + key; }

std::string sanitize_name(const std::string& raw) {
    std::string out;
    for (const char c : raw) {
        const bool ok = (c >= 'a' && c <= 'z') || (c >= 'A' && c <= 'Z') || (c >= '0' && c <= '9') || c == '.' || c == '-' || c == '_';
        out += ok ? c : '_';
    }
    if (out.size() > 100) out.resize(100);
    if (!out.empty() && out.front() == '.') out.front() = '_';
    if (out.empty()) out = "job";
    return out;
}

class Parser {
public:
    std::string origin;
    std::filesystem::path base_dir;
    std::vector<std::string> errors;

    // Escaped: a name or value from the file must not split the line.
    void error(const std::string& path, const std::string& rule) {
        errors.push_back(origin + ": " + escape_controls((path.empty() ? "(top level)" : path) + ": " + rule));
    }

    // Reports every key of `obj` not in `known`, naming the nearest known key.
    void unknown_keys(const ojson& obj, const std::string& path, std::initializer_list<std::string_view> known) {
        for (auto it = obj.begin(); it != obj.end(); ++it) {
            if (std::find(known.begin(), known.end(), it.key()) != known.end()) continue;
            std::string_view best;
            size_t best_d = 3;  // suggest only what is at most 2 edits away
            for (const auto k : known)
                if (const size_t d = edit_distance(it.key(), k); d < best_d) best_d = d, best = k;
            error(join_path(path, message_name(it.key())), best.empty() ? "unknown key" : "unknown key (did you mean \"" + std::string(best) + "\"?)");
        }
    }

    const ojson* string_at(const ojson& obj, const std::string& path, const char* key, bool required) {
        if (!obj.contains(key)) {
            if (required) error(join_path(path, key), "is required");
            return nullptr;
        }
        const ojson& v = obj[key];
        if (!v.is_string()) {
            error(join_path(path, key), std::string("must be a string, not ") + type_name(v));
            return nullptr;
        }
        if (v.get_ref<const std::string&>().empty()) {
            error(join_path(path, key), "must not be empty");
            return nullptr;
        }
        return &v;
    }

    std::vector<BatchEdit> edits(const ojson& obj, const std::string& path) {
        std::vector<BatchEdit> out;
        const std::string p = join_path(path, "set");
        const ojson& set = obj["set"];
        if (!set.is_object()) {
            error(p, std::string("must be an object of session paths and values, not ") + type_name(set));
            return out;
        }
        for (auto it = set.begin(); it != set.end(); ++it) {
            const std::string jp = p + "[" + json_quoted(it.key()) + "]";
            if (it.key().empty()) {
                error(jp, "a session path is empty");
                continue;
            }
            out.push_back({it.key(), nlohmann::json::parse(it.value().dump()), jp});
        }
        return out;
    }

    std::optional<BatchVariant> variant(const ojson& v, const std::string& path) {
        if (!v.is_object()) {
            error(path, std::string("must be an object, not ") + type_name(v));
            return std::nullopt;
        }
        unknown_keys(v, path, {"name", "set"});
        BatchVariant out;
        bool ok = true;
        if (const ojson* name = string_at(v, path, "name", true)) {
            out.name = name->get<std::string>();
            if (!is_batch_folder_name(out.name)) {
                error(join_path(path, "name"), json_quoted(out.name) + " is not a folder name (1-100 letters, digits, '.', '-', '_'; not starting with '.')");
                ok = false;
            }
        } else {
            ok = false;
        }
        if (v.contains("set")) out.set = edits(v, path);
        if (!ok) return std::nullopt;
        return out;
    }

    std::optional<BatchJob> job(const ojson& j, const std::string& path) {
        if (!j.is_object()) {
            error(path, std::string("must be an object, not ") + type_name(j));
            return std::nullopt;
        }
        unknown_keys(j, path, {"session", "album", "name", "set", "variants"});
        BatchJob out;
        bool ok = true;
        const bool has_session = j.contains("session"), has_album = j.contains("album");
        if (has_session == has_album) {
            error(path, has_session ? "has both \"session\" and \"album\": a job renders one of them" : "needs \"session\" or \"album\" (the file this job renders)");
            ok = false;
        } else {
            out.kind = has_session ? BatchJobKind::Session : BatchJobKind::Album;
            if (const ojson* f = string_at(j, path, has_session ? "session" : "album", true)) {
                out.file_as_written = f->get<std::string>();
                out.file = (base_dir / out.file_as_written).lexically_normal();
            } else {
                ok = false;
            }
        }
        if (j.contains("name")) {
            if (const ojson* n = string_at(j, path, "name", true)) {
                out.name = n->get<std::string>();
                out.name_explicit = true;
                if (!is_batch_folder_name(out.name) || out.name == kBatchSummaryName) {
                    error(join_path(path, "name"), json_quoted(out.name) + " is not a folder name (1-100 letters, digits, '.', '-', '_'; not starting with '.'; not \"summary.json\")");
                    ok = false;
                }
            } else {
                ok = false;
            }
        }
        const bool album = ok && out.kind == BatchJobKind::Album;
        if (j.contains("set")) {
            if (album) error(join_path(path, "set"), "edits apply to session jobs only (an album's tracks are edited in their own sessions)");
            else out.set = edits(j, path);
        }
        if (j.contains("variants")) {
            const std::string vp = join_path(path, "variants");
            const ojson& vs = j["variants"];
            if (album) {
                error(vp, "variants apply to session jobs only");
            } else if (!vs.is_array() || vs.empty()) {
                error(vp, vs.is_array() ? "must not be empty (leave it out for one variant, \"main\")" : std::string("must be an array, not ") + type_name(vs));
                ok = false;
            } else {
                out.variants_explicit = true;
                std::map<std::string, size_t> seen;
                for (size_t i = 0; i < vs.size(); ++i) {
                    const std::string ip = vp + "[" + std::to_string(i) + "]";
                    auto v = variant(vs[i], ip);
                    if (!v) {
                        ok = false;
                        continue;
                    }
                    if (auto [it, fresh] = seen.emplace(v->name, i); !fresh) {
                        error(ip + ".name", json_quoted(v->name) + " is also " + vp + "[" + std::to_string(it->second) + "]'s name (each variant has its own folder)");
                        ok = false;
                        continue;
                    }
                    out.variants.push_back(std::move(*v));
                }
            }
        }
        if (out.variants.empty() && !out.variants_explicit) out.variants.push_back({kBatchDefaultVariant, {}});
        if (!ok) return std::nullopt;
        return out;
    }

    std::optional<BatchSpec> batch(const ojson& root) {
        if (!root.is_object()) {
            error("", std::string("a batch file is a JSON object, not ") + type_name(root));
            return std::nullopt;
        }
        unknown_keys(root, "", {"format", "version", "output_dir", "jobs", "origin"});
        BatchSpec spec;
        spec.base_dir = base_dir;
        if (root.contains("origin"))
            if (const ojson* o = string_at(root, "", "origin", true)) spec.origin = o->get<std::string>();
        if (!root.contains("format")) error("format", "is required (\"stemforge-batch\")");
        else if (root["format"] != "stemforge-batch") error("format", "must be \"stemforge-batch\", not " + root["format"].dump());
        if (!root.contains("version")) error("version", "is required (1)");
        else if (!root["version"].is_number_integer() || root["version"] != 1) error("version", "must be 1, not " + root["version"].dump());
        if (root.contains("output_dir")) {
            if (const ojson* o = string_at(root, "", "output_dir", true)) spec.output_dir_as_written = o->get<std::string>();
        }
        spec.output_dir = (base_dir / spec.output_dir_as_written).lexically_normal();
        if (!root.contains("jobs")) {
            error("jobs", "is required (a list of session and album jobs)");
        } else if (!root["jobs"].is_array() || root["jobs"].empty()) {
            error("jobs", root["jobs"].is_array() ? "must not be empty" : std::string("must be an array, not ") + type_name(root["jobs"]));
        } else {
            const ojson& jobs = root["jobs"];
            for (size_t i = 0; i < jobs.size(); ++i)
                if (auto j = job(jobs[i], "jobs[" + std::to_string(i) + "]")) spec.jobs.push_back(std::move(*j));
        }
        if (!errors.empty()) return std::nullopt;
        name_jobs(spec);
        if (!errors.empty()) return std::nullopt;
        return spec;
    }

    // Explicit names first (they win), then the derived ones, made unique in job order.
    void name_jobs(BatchSpec& spec) {
        std::map<std::string, size_t> taken;
        for (size_t i = 0; i < spec.jobs.size(); ++i) {
            const BatchJob& j = spec.jobs[i];
            if (!j.name_explicit) continue;
            if (auto [it, fresh] = taken.emplace(j.name, i); !fresh)
                error("jobs[" + std::to_string(i) + "].name", json_quoted(j.name) + " is also jobs[" + std::to_string(it->second) + "]'s name (each job has its own folder)");
        }
        std::set<std::string> used;
        for (const auto& [name, i] : taken) used.insert(name);
        used.insert(kBatchSummaryName);
        for (BatchJob& j : spec.jobs) {
            if (j.name_explicit) continue;
            std::string stem = j.file.stem().string();
            if (stem == "session" || stem == "album") stem = j.file.parent_path().filename().string();
            const std::string base = sanitize_name(stem);
            std::string name = base;
            // The suffix fits in the folder name's 100 characters (the base may use all of them).
            for (int n = 2; used.count(name); ++n) {
                const std::string suffix = "-" + std::to_string(n);
                name = base.substr(0, 100 - suffix.size()) + suffix;
            }
            used.insert(name);
            j.name = name;
        }
    }
};

}  // namespace

bool is_batch_folder_name(std::string_view name) {
    if (name.empty() || name.size() > 100 || name.front() == '.') return false;
    return std::all_of(name.begin(), name.end(), [](char c) {
        return (c >= 'a' && c <= 'z') || (c >= 'A' && c <= 'Z') || (c >= '0' && c <= '9') || c == '.' || c == '-' || c == '_';
    });
}

const char* to_string(BatchJobKind kind) { return kind == BatchJobKind::Album ? "album" : "session"; }

Result<BatchSpec> parse_batch(const std::string& text, const std::filesystem::path& base_dir, const std::string& origin) {
    ojson root;
    try {
        root = ojson::parse(text);
    } catch (const ojson::exception& e) {
        std::string what = e.what();
        if (const auto close = what.find("] "); what.starts_with("[json.exception") && close != std::string::npos) what = what.substr(close + 2);
        return fail(ErrorCode::InvalidArgument, origin + ": malformed JSON: " + what);
    }
    std::error_code ec;
    const auto base = base_dir.empty() ? std::filesystem::current_path(ec) : std::filesystem::absolute(base_dir, ec);
    if (ec) return fail(ErrorCode::InvalidArgument, origin + ": cannot resolve the batch folder " + base_dir.string() + ": " + ec.message());
    Parser parser;
    parser.origin = origin;
    parser.base_dir = base.lexically_normal();
    auto spec = parser.batch(root);
    if (!spec) {
        std::string all;
        for (const auto& e : parser.errors) all += (all.empty() ? "" : "\n") + e;
        return fail(ErrorCode::InvalidArgument, all);
    }
    return std::move(*spec);
}

Result<BatchSpec> load_batch(const std::filesystem::path& file) {
    std::error_code ec;
    if (!std::filesystem::exists(file, ec)) return fail(ErrorCode::FileNotFound, file.string() + ": no such file");
    if (std::filesystem::is_directory(file, ec)) return fail(ErrorCode::FileRead, file.string() + ": is a directory, not a batch file");
    if (auto ok = require_regular_file(file); !ok) return std::unexpected(ok.error());
    std::ifstream in(file, std::ios::binary);
    if (!in) return fail(ErrorCode::FileRead, file.string() + ": cannot open for reading");
    std::ostringstream text;
    text << in.rdbuf();
    if (in.bad()) return fail(ErrorCode::FileRead, file.string() + ": read error");
    auto spec = parse_batch(text.str(), std::filesystem::absolute(file, ec).parent_path(), file.string());
    if (spec) spec->file = file;
    return spec;
}

std::string batch_to_frozen_json(const BatchSpec& spec) {
    ojson j = ojson::object();
    j["format"] = "stemforge-batch";
    j["version"] = 1;
    j["output_dir"] = spec.output_dir.string();
    std::error_code ec;
    j["origin"] = std::filesystem::absolute(batch_origin(spec), ec).lexically_normal().string();
    ojson jobs = ojson::array();
    auto write_set = [](const std::vector<BatchEdit>& set) {
        ojson s = ojson::object();
        for (const BatchEdit& e : set) s[e.path] = ojson::parse(e.value.dump());
        return s;
    };
    for (const BatchJob& job : spec.jobs) {
        ojson o = ojson::object();
        o[to_string(job.kind)] = job.file.string();
        o["name"] = job.name;
        if (!job.set.empty()) o["set"] = write_set(job.set);
        if (job.variants_explicit) {
            ojson vs = ojson::array();
            for (const BatchVariant& v : job.variants) {
                ojson vo = {{"name", v.name}};
                if (!v.set.empty()) vo["set"] = write_set(v.set);
                vs.push_back(std::move(vo));
            }
            o["variants"] = std::move(vs);
        }
        jobs.push_back(std::move(o));
    }
    j["jobs"] = std::move(jobs);
    return j.dump(2) + "\n";
}

std::filesystem::path batch_origin(const BatchSpec& spec) { return spec.origin.empty() ? spec.file : spec.origin; }

std::vector<BatchTask> batch_tasks(const BatchSpec& spec) {
    std::vector<BatchTask> tasks;
    for (size_t j = 0; j < spec.jobs.size(); ++j)
        for (size_t v = 0; v < spec.jobs[j].variants.size(); ++v) tasks.push_back({tasks.size(), j, v});
    return tasks;
}

std::filesystem::path batch_task_dir(const BatchSpec& spec, const BatchTask& task) {
    const BatchJob& job = spec.jobs[task.job];
    return spec.output_dir / job.name / job.variants[task.variant].name;
}

}  // namespace sf
