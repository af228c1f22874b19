#include "engine/export/manifest.h"

#include <cstdlib>
#include <fstream>
#include <sstream>

#include <fftw3.h>
#include <nlohmann/json.hpp>
#include <sndfile.h>
#include <soxr.h>

#include "engine/core/input_file.h"
#include "engine/core/message_name.h"
#include "engine/core/sha256.h"
#include "engine/export/export_sink.h"

#ifndef STEMFORGE_VERSION
#error "STEMFORGE_VERSION comes from the project version (engine/CMakeLists.txt)"
#endif

namespace sf {

namespace fs = std::filesystem;
using ojson = nlohmann::ordered_json;

namespace {

fs::path absolute_normal(const fs::path& p) {
    std::error_code ec;
    fs::path a = fs::absolute(p, ec);
    return (ec ? p : a).lexically_normal();
}

// A reader that names the key of the first problem ("outputs[2].sha256: ...").
struct ManifestError {
    std::string message;
};

const ojson& need(const ojson& obj, const std::string& key, const std::string& where) {
    if (!obj.is_object() || !obj.contains(key)) throw ManifestError{where + key + ": is required"};
    return obj.at(key);
}

std::string need_string(const ojson& obj, const std::string& key, const std::string& where) {
    const ojson& v = need(obj, key, where);
    if (!v.is_string()) throw ManifestError{where + key + ": must be a string"};
    return v.get<std::string>();
}

uint64_t need_unsigned(const ojson& obj, const std::string& key, const std::string& where) {
    const ojson& v = need(obj, key, where);
    if (!v.is_number_unsigned()) throw ManifestError{where + key + ": must be a non-negative integer"};
    return v.get<uint64_t>();
}

std::string need_hash(const ojson& obj, const std::string& key, const std::string& where) {
    std::string h = need_string(obj, key, where);
    if (h.size() != 64 || h.find_first_not_of("0123456789abcdef") != std::string::npos)
        throw ManifestError{where + key + ": must be 64 lower-case hex digits (a sha256)"};
    return h;
}

std::map<std::string, std::string> string_map(const ojson& obj, const std::string& key, const std::string& where) {
    std::map<std::string, std::string> out;
    const ojson& m = need(obj, key, where);
    if (!m.is_object()) throw ManifestError{where + key + ": must be an object"};
    for (const auto& [k, v] : m.items()) {
        if (!v.is_string()) throw ManifestError{where + key + "." + message_name(k) + ": must be a string"};
        out[k] = v.get<std::string>();
    }
    return out;
}

std::vector<ManifestFile> file_list(const ojson& obj, const std::string& key) {
    const ojson& list = need(obj, key, "");
    if (!list.is_array()) throw ManifestError{key + ": must be an array"};
    std::vector<ManifestFile> out;
    for (size_t i = 0; i < list.size(); ++i) {
        const std::string where = key + "[" + std::to_string(i) + "].";
        ManifestFile f;
        f.role = need_string(list[i], "role", where);
        f.path = need_string(list[i], "path", where);
        if (!f.path.is_absolute()) throw ManifestError{where + "path: must be absolute"};
        f.sha256 = need_hash(list[i], "sha256", where);
        f.bytes = need_unsigned(list[i], "bytes", where);
        out.push_back(std::move(f));
    }
    return out;
}

ojson file_json(const ManifestFile& f) {
    return ojson{{"role", f.role}, {"path", f.path.string()}, {"sha256", f.sha256}, {"bytes", f.bytes}};
}

}  // namespace

fs::path manifest_path_for(const fs::path& first_output) {
    fs::path p = first_output;
    p += kManifestSuffix;
    return p;
}

std::vector<NamedPath> render_inputs(const Session& session) {
    std::vector<NamedPath> in;
    if (!session.file.empty()) in.push_back({session.file, "the session file"});
    for (size_t i = 0; i < session.stems.size(); ++i)
        in.push_back({session.stems[i].file, "stems[" + std::to_string(i) + "] \"" + session.stems[i].name + "\""});
    for (size_t i = 0; i < session.buses.size(); ++i)
        if (session.buses[i].reverb)
            in.push_back({session.buses[i].reverb->ir, "buses[" + std::to_string(i) + "] \"" + session.buses[i].name + "\" reverb IR"});
    if (session.master && session.master->match_eq) in.push_back({session.master->match_eq->reference, "master.match_eq.reference"});
    return in;
}

std::map<std::string, std::string> library_versions() {
    return {
        {"stemforge", STEMFORGE_VERSION},
        {"libsndfile", sf_version_string()},
        {"fftw", fftwf_version},
        {"soxr", soxr_version()},
#if defined(__clang__)
        {"compiler", "clang " __clang_version__},
#else
        {"compiler", "gcc " __VERSION__},
#endif
    };
}

std::map<std::string, std::string> render_environment() {
    std::map<std::string, std::string> env;
    if (const char* v = std::getenv("SOURCE_DATE_EPOCH")) env["SOURCE_DATE_EPOCH"] = v;
    return env;
}

Result<std::vector<ManifestFile>> hash_files(std::span<const NamedPath> files, std::span<const fs::path> read_from) {
    std::vector<ManifestFile> out;
    for (size_t i = 0; i < files.size(); ++i) {
        const fs::path& source = i < read_from.size() && !read_from[i].empty() ? read_from[i] : files[i].path;
        if (auto ok = require_regular_file(source); !ok) return std::unexpected(ok.error());
        auto hash = sha256_file(source);
        if (!hash) return fail(hash.error().code, files[i].role + ": " + hash.error().message);
        std::error_code ec;
        const auto bytes = fs::file_size(source, ec);
        if (ec) return fail(ErrorCode::FileRead, files[i].role + ": " + source.string() + ": " + ec.message());
        out.push_back({files[i].role, absolute_normal(files[i].path), *hash, static_cast<uint64_t>(bytes)});
    }
    return out;
}

Result<void> check_manifest_path(const Session& session, const std::vector<ExportSpec>& exports) {
    if (exports.empty()) return {};
    std::vector<NamedPath> inputs = render_inputs(session);
    for (size_t e = 0; e < exports.size(); ++e) {
        inputs.push_back({exports[e].file, "export[" + std::to_string(e) + "]"});
        fs::path cue = exports[e].file;
        cue.replace_extension(".cue");
        if (exports[e].cue_sheet) inputs.push_back({cue, "export[" + std::to_string(e) + "]'s CUE sheet"});
    }
    const NamedPath manifest{manifest_path_for(exports.front().file), "the render manifest"};
    return check_outputs(std::span(&manifest, 1), inputs);
}

Result<RenderManifest> stage_render_manifest(const Session& session, const std::vector<ExportSpec>& exports, const ManifestContext& context,
                                             DeliveryTransaction& transaction, const std::vector<ManifestFile>* inputs_hashed) {
    if (transaction.targets().empty()) return fail(ErrorCode::Internal, "manifest: the render staged no output");
    RenderManifest m;
    m.versions = library_versions();
    for (const auto& [k, v] : context.extra_versions) m.versions[k] = v;
    m.backend = context.backend;
    m.device = context.device;
    if (context.output_override) m.output_override = absolute_normal(*context.output_override);
    m.backend_requested = context.backend_requested;
    m.threads = context.threads;
    m.environment = render_environment();
    if (!session.file.empty()) m.session_file = absolute_normal(session.file);
    m.base_dir = absolute_normal(session.base_dir);
    m.session_canonical = to_json(session);
    m.session_canonical_sha256 = sha256_hex(m.session_canonical);

    if (inputs_hashed) {
        m.inputs = *inputs_hashed;
    } else {
        const auto inputs = render_inputs(session);
        auto hashed_inputs = hash_files(inputs);
        if (!hashed_inputs) return std::unexpected(hashed_inputs.error());
        m.inputs = std::move(*hashed_inputs);
    }

    for (size_t e = 0; e < exports.size(); ++e) {
        const ExportSpec& x = exports[e];
        const bool is_float = x.bit_depth == 32;
        m.dither.push_back({e, absolute_normal(x.file), to_string(is_float ? Dither::None : x.dither), x.bit_depth, export_dither_seed(e)});
    }

    std::vector<NamedPath> outputs;
    std::vector<fs::path> staged;
    for (const fs::path& t : transaction.targets()) {
        std::string role = t.filename().string();
        for (size_t e = 0; e < exports.size(); ++e)
            if (absolute_normal(exports[e].file) == absolute_normal(t)) role = "export[" + std::to_string(e) + "]";
        outputs.push_back({t, role});
        staged.push_back(transaction.staged_path(t));
    }
    auto hashed_outputs = hash_files(outputs, staged);
    if (!hashed_outputs) return std::unexpected(hashed_outputs.error());
    m.outputs = std::move(*hashed_outputs);

    const fs::path first = exports.empty() ? transaction.targets().front() : exports.front().file;
    if (auto ok = transaction.stage_text(manifest_path_for(first), to_json(m)); !ok) return std::unexpected(ok.error());
    return m;
}

std::string to_json(const RenderManifest& m) {
    ojson j;
    j["format"] = kManifestFormat;
    j["version"] = kManifestVersion;
    j["versions"] = ojson::object();
    for (const auto& [k, v] : m.versions) j["versions"][k] = v;
    j["backend"] = m.backend;
    j["device"] = m.device;
    j["render"] = {{"output", m.output_override ? ojson(m.output_override->string()) : ojson(nullptr)},
                   {"backend", m.backend_requested},
                   {"threads", m.threads ? ojson(*m.threads) : ojson(nullptr)}};
    j["environment"] = ojson::object();
    for (const auto& [k, v] : m.environment) j["environment"][k] = v;
    // The session as an object, readable in place, when writing it back gives
    // the canonical text byte for byte; else (a writer whose number or escape
    // style differs from nlohmann's) as the text itself.
    ojson canonical = ojson::parse(m.session_canonical, nullptr, false);
    const bool as_object = !canonical.is_discarded() && canonical.dump(2) + "\n" == m.session_canonical;
    j["session"] = {{"file", m.session_file.string()},
                    {"base_dir", m.base_dir.string()},
                    {"canonical_sha256", m.session_canonical_sha256},
                    {"canonical", as_object ? canonical : ojson(m.session_canonical)}};
    j["inputs"] = ojson::array();
    for (const ManifestFile& f : m.inputs) j["inputs"].push_back(file_json(f));
    j["dither"] = ojson::array();
    for (const ManifestDither& d : m.dither)
        j["dither"].push_back({{"export", d.export_index}, {"file", d.file.string()}, {"dither", d.dither}, {"bit_depth", d.bit_depth}, {"seed", d.seed}});
    j["outputs"] = ojson::array();
    for (const ManifestFile& f : m.outputs) j["outputs"].push_back(file_json(f));
    // File names need not be UTF-8 (POSIX names are bytes): replace what JSON cannot hold.
    return j.dump(2, ' ', false, ojson::error_handler_t::replace) + "\n";
}

Result<RenderManifest> parse_manifest(std::string_view text, const std::string& origin) {
    ojson j = ojson::parse(text.begin(), text.end(), nullptr, false);
    if (j.is_discarded() || !j.is_object()) return fail(ErrorCode::InvalidArgument, origin + ": not a JSON object (malformed manifest)");
    try {
        if (need_string(j, "format", "") != kManifestFormat)
            throw ManifestError{std::string("format: must be \"") + kManifestFormat + "\""};
        const ojson& version = need(j, "version", "");
        if (!version.is_number_integer() || version.get<int64_t>() != kManifestVersion)
            throw ManifestError{"version: unsupported (this build reads " + std::to_string(kManifestVersion) + ")"};
        RenderManifest m;
        m.versions = string_map(j, "versions", "");
        m.backend = need_string(j, "backend", "");
        m.device = need_string(j, "device", "");
        const ojson& render = need(j, "render", "");
        if (!render.is_object()) throw ManifestError{"render: must be an object"};
        for (const auto& [k, v] : render.items())
            if (k != "output" && k != "backend" && k != "threads")
                throw ManifestError{"render." + message_name(k) + ": unknown render option (written by a newer Stemforge?)"};
        if (const ojson& o = need(render, "output", "render."); !o.is_null()) {
            if (!o.is_string()) throw ManifestError{"render.output: must be a path or null"};
            m.output_override = fs::path(o.get<std::string>());
        }
        m.backend_requested = need_string(render, "backend", "render.");
        if (const ojson& t = need(render, "threads", "render."); !t.is_null()) {
            if (!t.is_number_unsigned() || t.get<uint64_t>() < 1 || t.get<uint64_t>() > 4096) throw ManifestError{"render.threads: must be 1..4096 or null"};
            m.threads = static_cast<int>(t.get<uint64_t>());
        }
        m.environment = string_map(j, "environment", "");
        const ojson& session = need(j, "session", "");
        m.session_file = need_string(session, "file", "session.");
        m.base_dir = need_string(session, "base_dir", "session.");
        if (!m.base_dir.is_absolute()) throw ManifestError{"session.base_dir: must be absolute"};
        m.session_canonical_sha256 = need_hash(session, "canonical_sha256", "session.");
        const ojson& canonical = need(session, "canonical", "session.");
        if (!canonical.is_string() && !canonical.is_object()) throw ManifestError{"session.canonical: must be a session object or its text"};
        // As written by to_json (2-space indentation, newline-terminated) when the keys kept their order.
        m.session_canonical = canonical.is_string() ? canonical.get<std::string>() : canonical.dump(2) + "\n";
        m.inputs = file_list(j, "inputs");
        const ojson& dither = need(j, "dither", "");
        if (!dither.is_array()) throw ManifestError{"dither: must be an array"};
        for (size_t i = 0; i < dither.size(); ++i) {
            const std::string where = "dither[" + std::to_string(i) + "].";
            ManifestDither d;
            d.export_index = need_unsigned(dither[i], "export", where);
            d.file = need_string(dither[i], "file", where);
            d.dither = need_string(dither[i], "dither", where);
            d.bit_depth = static_cast<int>(need_unsigned(dither[i], "bit_depth", where));
            d.seed = need_unsigned(dither[i], "seed", where);
            m.dither.push_back(std::move(d));
        }
        m.outputs = file_list(j, "outputs");
        if (m.outputs.empty()) throw ManifestError{"outputs: lists no file"};
        return m;
    } catch (const ManifestError& e) {
        return fail(ErrorCode::InvalidArgument, origin + ": " + escape_controls(e.message));
    } catch (const nlohmann::json::exception& e) {
        return fail(ErrorCode::InvalidArgument, origin + ": malformed manifest: " + e.what());
    }
}

Result<RenderManifest> load_manifest(const fs::path& file) {
    std::error_code ec;
    if (!fs::exists(file, ec)) return fail(ErrorCode::FileNotFound, file.string() + ": no such file");
    if (auto ok = require_regular_file(file); !ok) return std::unexpected(ok.error());
    std::ifstream in(file, std::ios::binary);
    std::stringstream text;
    text << in.rdbuf();
    if (!in && !in.eof()) return fail(ErrorCode::FileRead, file.string() + ": cannot read");
    return parse_manifest(text.str(), file.string());
}

}  // namespace sf
