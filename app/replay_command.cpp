// `stemforge replay MANIFEST [--json] [--keep DIR]`: checks that a render can
// be made again bit for bit (docs/reproducibility.md).
//
// 1. every input of the manifest is hashed again: a changed or missing one is
//    named (exit 3) before any work;
// 2. the manifest's canonical session is rendered on the recorded backend,
//    with the recorded environment, into a temporary folder (export i into
//    <folder>/<i>/<its file name>, so CUE sheets name the same files);
// 3. every output is hashed and compared with the manifest: exit 0 when all
//    are bit-identical, 1 when one differs (named).
#include <unistd.h>

#include <cstdio>
#include <cstdlib>
#include <optional>

#include <tbb/global_control.h>

#include "analysis/loudness_probe.h"
#include "app/backends.h"
#include "app/cli.h"
#include "app/render_manifest.h"
#include "app/signals.h"
#include "engine/core/sha256.h"
#include "engine/export/manifest.h"
#include "engine/render/renderer.h"
#include "engine/session/session.h"

namespace sf::cli {

namespace fs = std::filesystem;

namespace {

// A fresh folder under the system's temporary folder, removed with everything in it.
struct TemporaryFolder {
    fs::path path;
    ~TemporaryFolder() {
        std::error_code ec;
        if (!path.empty()) fs::remove_all(path, ec);
    }
    Result<void> create(const std::string& prefix) {
        std::error_code ec;
        const fs::path base = fs::temp_directory_path(ec);
        if (ec) return fail(ErrorCode::FileWrite, "replay: no temporary folder: " + ec.message());
        for (int i = 0; i < 1000 && path.empty(); ++i) {
            fs::path d = base / (prefix + std::to_string(::getpid()) + "-" + std::to_string(i));
            if (fs::create_directory(d, ec)) path = d;
        }
        if (path.empty()) return fail(ErrorCode::FileWrite, "replay: cannot create a temporary folder in " + base.string());
        return {};
    }
};

fs::path absolute_normal(const fs::path& p) {
    std::error_code ec;
    fs::path a = fs::absolute(p, ec);
    return (ec ? p : a).lexically_normal();
}

std::string short_hash(const std::string& h) { return h.substr(0, 16) + "…"; }

}  // namespace

int run_replay(const ReplayArgs& args) {
    const auto* cancel = install_cancel_signals();
    auto manifest = load_manifest(args.manifest);
    if (!manifest) return report(manifest.error());
    const RenderManifest& m = *manifest;
    std::vector<std::string> notes;
    auto note = [&](const std::string& line) {
        notes.push_back(line);
        if (!args.json) std::fprintf(stderr, "stemforge: replay: %s\n", line.c_str());
    };

    auto session = parse_session(m.session_canonical, m.base_dir, args.manifest + ": session.canonical");
    if (!session) return report(session.error());
    session->file = m.session_file;
    // Written back canonically, the session must hash as it did at render
    // time: else it was edited, or this Stemforge reads it differently.
    if (sha256_hex(to_json(*session)) != m.session_canonical_sha256)
        return report(Error{ErrorCode::InvalidArgument,
                            args.manifest + ": session.canonical: does not match session.canonical_sha256 (edited after the render, or read "
                                            "differently by this Stemforge than by the one that wrote it, " +
                                            (m.versions.contains("stemforge") ? m.versions.at("stemforge") : std::string("?")) + ")", 0});

    // ---- 1. inputs ----
    const std::vector<NamedPath> inputs = render_inputs(*session);
    if (inputs.size() != m.inputs.size())
        return report(Error{ErrorCode::InvalidArgument, args.manifest + ": inputs: lists " + std::to_string(m.inputs.size()) +
                                                            " files but its session reads " + std::to_string(inputs.size()), 0});
    nlohmann::json input_report = nlohmann::json::array();
    std::vector<std::string> changed;
    for (size_t i = 0; i < inputs.size(); ++i) {
        const ManifestFile& rec = m.inputs[i];
        std::string status = "unchanged";
        auto hash = sha256_file(inputs[i].path);
        if (!hash) {
            status = "missing";
            changed.push_back(rec.role + " " + inputs[i].path.string() + " is missing or unreadable (" + hash.error().message + ")");
        } else if (*hash != rec.sha256) {
            status = "changed";
            changed.push_back(rec.role + " " + inputs[i].path.string() + " changed since the render (sha256 " + short_hash(*hash) +
                              ", the manifest has " + short_hash(rec.sha256) + ")");
        }
        input_report.push_back({{"role", rec.role}, {"path", inputs[i].path.string()}, {"sha256", rec.sha256}, {"status", status}});
    }
    if (!changed.empty()) {
        if (args.json) print_json({{"manifest", args.manifest}, {"identical", false}, {"inputs", input_report}, {"outputs", nlohmann::json::array()}});
        for (size_t i = 0; i + 1 < changed.size(); ++i) print_error_line("replay: " + changed[i]);
        return report(Error{ErrorCode::InvalidArgument, "replay: " + changed.back(), 0});
    }

    // ---- 2. the environment, the versions, the backend ----
    if (auto it = m.environment.find("SOURCE_DATE_EPOCH"); it != m.environment.end())
        ::setenv("SOURCE_DATE_EPOCH", it->second.c_str(), 1);
    else
        ::unsetenv("SOURCE_DATE_EPOCH");
    std::optional<tbb::global_control> thread_limit;
    if (m.threads) thread_limit.emplace(tbb::global_control::max_allowed_parallelism, static_cast<size_t>(*m.threads));
    std::string backend_note;
    auto backend = make_backend(m.backend, &backend_note);
    if (!backend) return report(backend.error());
    auto now_versions = library_versions();
    for (const auto& [k, v] : backend_versions(**backend)) now_versions[k] = v;
    for (const auto& [k, then] : m.versions) {
        const auto it = now_versions.find(k);
        const std::string now = it == now_versions.end() ? std::string("absent") : it->second;
        if (now != then) note(k + " was " + then + " at render time and is " + now + " now: outputs may differ for that reason alone");
    }
    if ((*backend)->name() == "gpu" && (*backend)->device() != m.device)
        note("rendered on " + m.device + ", replaying on " + (*backend)->device() + ": GPU renders are bit-identical only on one device and driver");

    // ---- 3. render into the temporary folder ----
    TemporaryFolder temp;
    fs::path folder = args.keep_dir;
    if (folder.empty()) {
        if (auto ok = temp.create("stemforge-replay-"); !ok) return report(ok.error());
        folder = temp.path;
    }
    RenderOptions original;
    if (m.output_override) original.output_override = *m.output_override;
    const std::vector<ExportSpec> recorded_exports = effective_exports(*session, original);
    std::vector<ExportSpec> exports = recorded_exports;
    for (size_t i = 0; i < exports.size(); ++i) {
        exports[i].file = folder / std::to_string(i) / recorded_exports[i].file.filename();
        exports[i].file_as_written = exports[i].file.string();
    }
    session->exports = exports;

    DeliveryTransaction transaction;
    RenderOptions options;
    options.transaction = &transaction;
    options.cancel = cancel;
    options.loudness_probe = [] { return analysis::make_loudness_probe(); };
    Progress progress("replaying");
    options.progress = [&](double f) { progress.update(f); };
    auto rendered = render_session(*session, **backend, options);
    if (!rendered) return report(rendered.error());

    // ---- 4. every output against the manifest ----
    // A replayed file <folder>/<i>/<name> stands for <export i's folder>/<name>.
    auto original_of = [&](const fs::path& replayed) -> fs::path {
        const fs::path rel = replayed.lexically_relative(folder);
        const std::string index = rel.begin() != rel.end() ? rel.begin()->string() : std::string();
        for (size_t i = 0; i < exports.size(); ++i)
            if (std::to_string(i) == index) return absolute_normal(recorded_exports[i].file.parent_path() / replayed.filename());
        return replayed;
    };
    nlohmann::json output_report = nlohmann::json::array();
    std::vector<std::string> differing;
    std::vector<bool> seen(m.outputs.size(), false);
    for (const fs::path& t : transaction.targets()) {
        const fs::path target = original_of(t);
        auto hash = sha256_file(transaction.staged_path(t));
        if (!hash) return report(hash.error());
        size_t k = 0;
        while (k < m.outputs.size() && m.outputs[k].path != target) ++k;
        if (k == m.outputs.size()) {
            differing.push_back(target.string() + " (the replay wrote it; the manifest does not list it)");
            output_report.push_back({{"path", target.string()}, {"sha256", nullptr}, {"replayed_sha256", *hash}, {"identical", false}});
            continue;
        }
        seen[k] = true;
        const ManifestFile& rec = m.outputs[k];
        const bool same = *hash == rec.sha256;
        if (!same) differing.push_back(rec.path.string() + " (sha256 " + short_hash(*hash) + ", the manifest has " + short_hash(rec.sha256) + ")");
        // What is on disk now, for the user's information (not the verdict).
        auto disk = sha256_file(rec.path);
        const char* on_disk = !disk ? "missing" : *disk == rec.sha256 ? "as recorded" : "changed";
        output_report.push_back({{"role", rec.role},
                                 {"path", rec.path.string()},
                                 {"sha256", rec.sha256},
                                 {"replayed_sha256", *hash},
                                 {"identical", same},
                                 {"on_disk", on_disk}});
    }
    for (size_t k = 0; k < m.outputs.size(); ++k)
        if (!seen[k]) {
            differing.push_back(m.outputs[k].path.string() + " (the replay did not write it)");
            output_report.push_back({{"role", m.outputs[k].role}, {"path", m.outputs[k].path.string()}, {"sha256", m.outputs[k].sha256},
                                     {"replayed_sha256", nullptr}, {"identical", false}});
        }
    if (!args.keep_dir.empty())
        if (auto ok = transaction.commit(); !ok) return report(ok.error());

    const bool identical = differing.empty();
    if (args.json) {
        nlohmann::json j = {{"manifest", args.manifest},
                            {"identical", identical},
                            {"backend", rendered->backend},
                            {"device", rendered->device},
                            {"inputs", input_report},
                            {"outputs", output_report},
                            {"notes", notes}};
        if (!args.keep_dir.empty()) j["kept_in"] = args.keep_dir;
        print_json(j);
    } else {
        std::printf("replay of %s on %s (%s)\n", args.manifest.c_str(), rendered->backend.c_str(), rendered->device.c_str());
        std::printf("  %zu input%s unchanged\n", inputs.size(), inputs.size() == 1 ? "" : "s");
        for (const auto& o : output_report)
            std::printf("  %-11s %s\n", o["identical"].get<bool>() ? "identical" : "DIFFERS", o["path"].get<std::string>().c_str());
    }
    if (!identical) {
        for (size_t i = 0; i + 1 < differing.size(); ++i) print_error_line("replay: differs: " + differing[i]);
        print_error_line("replay: differs: " + differing.back());
        return kFailure;
    }
    if (!args.json) std::printf("every output is bit-identical (%zu file%s)\n", m.outputs.size(), m.outputs.size() == 1 ? "" : "s");
    return kOk;
}

}  // namespace sf::cli
