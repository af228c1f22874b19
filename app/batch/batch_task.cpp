#include "app/batch/batch_task.h"

#include <unistd.h>

#include <chrono>
#include <csignal>
#include <cstdlib>
#include <fstream>
#include <map>
#include <sstream>

#include "app/batch/child_process.h"
#include "app/signals.h"
#include "engine/core/cancel.h"
#include "engine/core/clock.h"
#include "engine/render/renderer.h"
#include "engine/session/session.h"
#include "engine/session/session_edit.h"

namespace sf::cli {

namespace {

using nlohmann::json;
using ojson = nlohmann::ordered_json;

// Removes the task's work folder on every path out.
struct WorkDir {
    std::filesystem::path dir;
    ~WorkDir() {
        std::error_code ec;
        if (!dir.empty()) std::filesystem::remove_all(dir, ec);
    }
};

Result<void> write_file(const std::filesystem::path& file, const std::string& text) {
    std::ofstream out(file, std::ios::binary | std::ios::trunc);
    out << text;
    out.close();
    if (!out) return fail(ErrorCode::FileWrite, file.string() + ": cannot write");
    return {};
}

// The session of a session job, edited and redirected, as a file in the work folder.
Result<std::filesystem::path> prepare_session(const BatchSpec& spec, const BatchTask& task, const std::filesystem::path& work_dir) {
    const BatchJob& job = spec.jobs[task.job];
    const BatchVariant& variant = job.variants[task.variant];
    auto session = load_session(job.file);
    if (!session) return std::unexpected(session.error());
    const std::string origin = batch_origin(spec).empty() ? std::string("batch") : batch_origin(spec).string();
    for (const auto* edits : {&job.set, &variant.set}) {
        for (const BatchEdit& e : *edits) {
            auto edited = session_set(*session, e.path, e.value);
            if (!edited) return fail(edited.error().code, origin + ": " + e.json_path + ": " + edited.error().message);
            session = std::move(edited);
        }
    }
    // One folder per job/variant: the exports keep their file names, so two
    // exports with one name would collide there.
    const std::filesystem::path dir = batch_task_dir(spec, task);
    std::vector<ExportSpec> exports = effective_exports(*session, RenderOptions{});
    std::map<std::string, size_t> names;
    for (size_t i = 0; i < exports.size(); ++i) {
        const std::string name = exports[i].file.filename().string();
        if (auto [it, fresh] = names.emplace(name, i); !fresh)
            return fail(ErrorCode::InvalidArgument, job.file.string() + ": export[" + std::to_string(it->second) + "] and export[" + std::to_string(i) +
                                                        "] are both named \"" + name + "\": a batch writes every export of a variant into one folder (" +
                                                        dir.string() + ")");
        exports[i].file = dir / name;
        exports[i].file_as_written = exports[i].file.string();
    }
    session->exports = std::move(exports);
    // Absolute paths: the edited session lives in the work folder, and a
    // relative path would resolve against that.
    for (StemSpec& s : session->stems) s.file_as_written = s.file.string();
    for (BusSpec& b : session->buses)
        if (b.reverb) b.reverb->ir_as_written = b.reverb->ir.string();
    if (session->master && session->master->match_eq) session->master->match_eq->reference_as_written = session->master->match_eq->reference.string();
    const auto file = work_dir / "session.json";
    if (auto ok = write_file(file, to_json(*session)); !ok) return std::unexpected(ok.error());
    return file;
}

// The album of an album job with its paths made absolute and its exports
// redirected (the album command validates the rest).
Result<std::filesystem::path> prepare_album(const BatchSpec& spec, const BatchTask& task, const std::filesystem::path& work_dir) {
    const BatchJob& job = spec.jobs[task.job];
    std::ifstream in(job.file, std::ios::binary);
    if (!in) return fail(ErrorCode::FileNotFound, job.file.string() + ": cannot open the album file");
    std::ostringstream text;
    text << in.rdbuf();
    ojson album;
    try {
        album = ojson::parse(text.str());
    } catch (const ojson::exception& e) {
        return fail(ErrorCode::InvalidArgument, job.file.string() + ": malformed JSON: " + e.what());
    }
    if (!album.is_object()) return fail(ErrorCode::InvalidArgument, job.file.string() + ": an album file is a JSON object");
    const auto base = job.file.parent_path();
    auto absolute = [&](ojson& v) {
        if (v.is_string()) v = (base / v.get<std::string>()).lexically_normal().string();
    };
    if (album.contains("tracks") && album["tracks"].is_array())
        for (ojson& t : album["tracks"])
            if (t.is_object()) {
                if (t.contains("session")) absolute(t["session"]);
                if (t.contains("file")) absolute(t["file"]);
            }
    if (album.contains("master") && album["master"].is_object() && album["master"].contains("match_eq") &&
        album["master"]["match_eq"].is_object() && album["master"]["match_eq"].contains("reference"))
        absolute(album["master"]["match_eq"]["reference"]);
    const std::filesystem::path dir = batch_task_dir(spec, task);
    auto last_name = [](const std::string& p, const char* fallback) {
        auto name = std::filesystem::path(p).lexically_normal().filename();
        if (name.empty()) name = std::filesystem::path(p).lexically_normal().parent_path().filename();
        return name.empty() || name == "." || name == ".." ? std::string(fallback) : name.string();
    };
    if (album.contains("export") && album["export"].is_array())
        for (ojson& e : album["export"])
            if (e.is_object()) {
                if (e.contains("dir") && e["dir"].is_string()) e["dir"] = (dir / last_name(e["dir"].get<std::string>(), "tracks")).string();
                if (e.contains("image") && e["image"].is_string()) e["image"] = (dir / last_name(e["image"].get<std::string>(), "album.wav")).string();
            }
    const auto file = work_dir / "album.json";
    if (auto ok = write_file(file, album.dump(2) + "\n"); !ok) return std::unexpected(ok.error());
    return file;
}

// Whether CLI11's help text lists `name` under "Subcommands:".
bool has_subcommand(const std::string& help, const std::string& name) {
    std::istringstream in(help);
    std::string line;
    bool in_list = false;
    while (std::getline(in, line)) {
        if (line.starts_with("Subcommands:")) {
            in_list = true;
            continue;
        }
        if (!in_list) continue;
        const size_t first = line.find_first_not_of(' ');
        if (first == std::string::npos) continue;
        if (first == 0) break;  // the next section
        const size_t end = line.find(' ', first);
        if (line.substr(first, end == std::string::npos ? std::string::npos : end - first) == name) return true;
    }
    return false;
}

json entry_skeleton(const BatchSpec& spec, const BatchTask& task) {
    const BatchJob& job = spec.jobs[task.job];
    json e;
    e["index"] = task.index;
    e["name"] = job.name;
    e["variant"] = job.variants[task.variant].name;
    e["kind"] = to_string(job.kind);
    e["source"] = job.file.string();
    e["dir"] = batch_task_dir(spec, task).string();
    e["status"] = "failed";
    e["outputs"] = json::array();
    e["loudness"] = nullptr;
    e["error"] = nullptr;
    e["seconds"] = 0.0;
    e["host"] = host_name();
    // Under Slurm: which array task ran it and the GPU it was given.
    if (const char* job_id = std::getenv("SLURM_ARRAY_JOB_ID")) {
        const char* task_id = std::getenv("SLURM_ARRAY_TASK_ID");
        json s;
        s["job_id"] = std::string(job_id) + "_" + (task_id ? task_id : "?");
        const char* gpus = std::getenv("CUDA_VISIBLE_DEVICES");
        s["gpus"] = gpus ? json(gpus) : json(nullptr);
        e["slurm"] = s;
    }
    return e;
}

// Runs the prepared file through `stemforge render|album` and fills the entry.
Result<void> run_child(const BatchJob& job, const std::filesystem::path& prepared, const BatchTaskOptions& options, json& entry) {
    auto self = self_executable();
    if (!self) return std::unexpected(self.error());
    const std::string command = job.kind == BatchJobKind::Album ? "album" : "render";
    if (job.kind == BatchJobKind::Album) {
        // The album command may not exist in this build (it is newer than
        // batch): say so rather than pass on a usage error. `album --help`
        // cannot tell (CLI11 prints the top-level help for an unknown
        // word), the list of subcommands can.
        auto help = run_captured({self->string(), "--help"});
        if (!help || !has_subcommand(help->out, "album"))
            return fail(ErrorCode::NotSupported, "this stemforge has no `album` command (not in `stemforge --help`), so album jobs cannot run");
    }
    // Not "<command>.json": the prepared album file is album.json in this folder.
    const auto out_file = options.work_dir / (command + "-report.json");
    const auto err_file = options.work_dir / (command + ".err");
    auto child = ChildProcess::spawn({self->string(), command, prepared.string(), "--json", "--backend", options.backend}, out_file, err_file);
    if (!child) return std::unexpected(child.error());
    const ChildExit exit = child->wait(options.cancel, &cancel_signal);
    if (cancel_requested(options.cancel)) return std::unexpected(cancelled_error());
    if (exit.signal != 0 || exit.code != 0) {
        std::string said = child_errors(err_file);
        if (said.empty()) said = "stemforge " + command + " ended with " + exit.describe() + ": " + file_tail(err_file, 400);
        return fail(ErrorCode::Internal, said);
    }
    std::ifstream in(out_file, std::ios::binary);
    json report;
    try {
        report = json::parse(in);
    } catch (const json::exception& e) {
        return fail(ErrorCode::Internal, "stemforge " + command + " printed no JSON report: " + e.what());
    }
    if (report.contains("outputs")) entry["outputs"] = report["outputs"];
    if (job.kind == BatchJobKind::Session) {
        entry["loudness"] = report.value("loudness", json(nullptr));
    } else {
        json l;
        l["album_integrated_lufs"] = report.value("album_integrated_lufs", json(nullptr));
        l["tracks"] = report.value("tracks", json::array());
        entry["loudness"] = l;
    }
    return {};
}

}  // namespace

std::string host_name() {
    char buf[256] = {};
    if (::gethostname(buf, sizeof(buf) - 1) != 0) return "unknown";
    return buf;
}

std::filesystem::path task_result_path(const std::filesystem::path& results_dir, size_t index) {
    return results_dir / ("task-" + std::to_string(index) + ".json");
}

nlohmann::json failed_task_entry(const BatchSpec& spec, const BatchTask& task, const std::string& error) {
    json e = entry_skeleton(spec, task);
    e.erase("slurm");  // the skeleton is built here, not on the node that ran it
    e["error"] = error;
    e["host"] = nullptr;
    return e;
}

Result<nlohmann::json> run_batch_task(const BatchSpec& spec, const BatchTask& task, const BatchTaskOptions& options) {
    const auto t0 = Clock::now();
    json entry = entry_skeleton(spec, task);
    auto outcome = [&]() -> Result<void> {
        std::error_code ec;
        std::filesystem::create_directories(options.work_dir, ec);
        if (ec) return fail(ErrorCode::FileWrite, options.work_dir.string() + ": cannot create the task's work folder: " + ec.message());
        const BatchJob& job = spec.jobs[task.job];
        auto prepared = job.kind == BatchJobKind::Album ? prepare_album(spec, task, options.work_dir) : prepare_session(spec, task, options.work_dir);
        if (!prepared) return std::unexpected(prepared.error());
        return run_child(job, *prepared, options, entry);
    };
    Result<void> done;
    {
        WorkDir work{options.work_dir};
        done = outcome();
    }
    if (!done && done.error().code == ErrorCode::Cancelled) return std::unexpected(done.error());
    if (done) {
        entry["status"] = "ok";
    } else {
        entry["error"] = done.error().message;
    }
    entry["seconds"] = seconds_since(t0);
    return entry;
}

}  // namespace sf::cli
