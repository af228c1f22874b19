// Stemforge — render manifests: what made a set of files, so it can be made
// again and checked bit for bit (`stemforge replay`, docs/reproducibility.md).
//
// `render` writes `<first output>.manifest.json` beside its outputs, staged
// in the command's DeliveryTransaction with them (a failed or cancelled
// render leaves no manifest either). It holds:
//   inputs      every file the render read (the session file, stems, reverb
//               IRs, match-EQ references) with its sha256 and size
//   session     the canonical session (session_json's to_json) as a JSON
//               object, the folder its relative paths resolve against, and
//               the sha256 of its canonical text
//   render      what the command line changed: -o, the backend asked for,
//               --threads
//   environment what outside the session changes the bits (SOURCE_DATE_EPOCH)
//   versions    Stemforge, libsndfile, FFTW, soxr, the compiler, and for the
//               GPU the Vulkan device, API and driver version
//   backend, device, dither (per export: the seed rule's seed)
//   outputs     every file the render delivered with its sha256 and size
// Format "stemforge-manifest", version 1; keys documented in
// docs/reproducibility.md.
#pragma once

#include <cstdint>
#include <filesystem>
#include <map>
#include <optional>
#include <span>
#include <string>
#include <string_view>
#include <vector>

#include "engine/core/error.h"
#include "engine/export/transaction.h"
#include "engine/session/session.h"

namespace sf {

inline constexpr const char* kManifestFormat = "stemforge-manifest";
inline constexpr int kManifestVersion = 1;
inline constexpr const char* kManifestSuffix = ".manifest.json";

struct ManifestFile {
    std::string role;             // "the session file", "stems[0] \"kick\"", "export[0]", "export[0]'s CUE sheet", ...
    std::filesystem::path path;   // absolute
    std::string sha256;           // 64 lower-case hex digits
    uint64_t bytes = 0;

    bool operator==(const ManifestFile&) const = default;
};

struct ManifestDither {
    size_t export_index = 0;
    std::filesystem::path file;   // the export's target (absolute)
    std::string dither;           // "none", "tpdf", "tpdf-shaped" (float exports: "none")
    int bit_depth = 24;
    uint64_t seed = 0;            // export_dither_seed(export_index)

    bool operator==(const ManifestDither&) const = default;
};

struct RenderManifest {
    std::map<std::string, std::string> versions;      // "stemforge", "libsndfile", "fftw", "soxr", "compiler", "vulkan_*"
    std::string backend, device;                      // as RenderResult reports them
    // The command line's part (render -o, --backend, --threads).
    std::optional<std::filesystem::path> output_override;  // absolute
    std::string backend_requested = "auto";
    std::optional<int> threads;
    std::map<std::string, std::string> environment;   // variables that change the bits, when set
    std::filesystem::path session_file;               // absolute
    std::filesystem::path base_dir;                   // absolute: the session's relative paths resolve here
    // to_json(session), the text; read back from a manifest, the recorded
    // session as JSON text (its keys in whatever order the file has them).
    std::string session_canonical;
    std::string session_canonical_sha256;             // of the canonical text at render time
    std::vector<ManifestFile> inputs, outputs;
    std::vector<ManifestDither> dither;

    bool operator==(const RenderManifest&) const = default;
};

// `<first output>.manifest.json` (the name appended, the extension kept).
std::filesystem::path manifest_path_for(const std::filesystem::path& first_output);

// Every file a render of `session` reads, in a fixed order: the session file
// (when it has one), stems, reverb IRs, the match-EQ reference.
std::vector<NamedPath> render_inputs(const Session& session);

// Versions of the libraries that shape the bits: "stemforge", "libsndfile",
// "fftw", "soxr", "compiler".
std::map<std::string, std::string> library_versions();

// The environment variables that change a render's bits (SOURCE_DATE_EPOCH:
// the BWF origination date when the session names none), those set now.
std::map<std::string, std::string> render_environment();

// Hashes each file (read from `read_from[i]` when given, e.g. a staged
// temporary, else from its path). Errors: the file's read error.
Result<std::vector<ManifestFile>> hash_files(std::span<const NamedPath> files, std::span<const std::filesystem::path> read_from = {});

// What the app knows that the engine does not.
struct ManifestContext {
    std::string backend, device;
    std::map<std::string, std::string> extra_versions;  // the GPU's "vulkan_device", "vulkan_api", "vulkan_driver"
    std::optional<std::filesystem::path> output_override;
    std::string backend_requested = "auto";
    std::optional<int> threads;
};

// Builds the manifest of a finished render whose outputs are staged in
// `transaction` (hashed from the staged files, recorded under their targets)
// and stages it as manifest_path_for(first target) in the same transaction.
// `exports`: the effective export list (renderer.h: effective_exports).
// Errors: a read error of an input or output, a staging error.
// `inputs_hashed`: the inputs hashed before the render read them (the
// render goes on reading a stem renamed over or deleted mid-render as it was
// opened, so hashing its path afterwards would record another file, or fail);
// null: hashed now.
Result<RenderManifest> stage_render_manifest(const Session& session, const std::vector<ExportSpec>& exports, const ManifestContext& context,
                                             DeliveryTransaction& transaction, const std::vector<ManifestFile>* inputs_hashed = nullptr);

// Refuses, before any work, a manifest path (manifest_path_for the first
// export) that is an input of the session or one of the exports (or their
// CUE sheets). Errors: InvalidArgument naming both.
Result<void> check_manifest_path(const Session& session, const std::vector<ExportSpec>& exports);

// JSON text, 2-space indented, keys in a fixed order, newline-terminated.
std::string to_json(const RenderManifest& manifest);
// Errors: InvalidArgument "<origin>: <key>: <rule>" for malformed JSON, a
// wrong format/version, a missing or mistyped key. Whether the session was
// edited is the replay's check (parse it, write it back canonically, compare
// with session_canonical_sha256): a JSON tool may reorder its keys.
Result<RenderManifest> parse_manifest(std::string_view text, const std::string& origin);
Result<RenderManifest> load_manifest(const std::filesystem::path& file);

}  // namespace sf
