#include <algorithm>
#include <cctype>
#include <cmath>
#include <fstream>
#include <sstream>

#include <nlohmann/json.hpp>

#include "engine/album/album.h"
#include "engine/core/message_name.h"
#include "engine/session/session_blocks.h"

namespace sf::album {

namespace {

using json = nlohmann::json;

// The valid key nearest to an unknown one ("did you mean"): a key that starts
// with it, or the closest within an edit distance of max(2, a third of it).
std::optional<std::string> nearest(const std::string& unknown, const std::vector<std::string>& valid) {
    if (unknown.size() > 64) return std::nullopt;
    auto distance = [](const std::string& a, const std::string& b) {
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
    };
    std::optional<std::string> best;
    size_t best_d = std::max<size_t>(2, unknown.size() / 3) + 1;
    for (const auto& key : valid) {
        if (unknown.size() >= 3 && key.rfind(unknown, 0) == 0) return key;       // "thresh" -> "threshold_db"
        if (key.size() >= 3 && unknown.rfind(key + "_", 0) == 0) return key;     // "cue_sheet" -> "cue"
        if (const size_t d = distance(unknown, key); d < best_d) best_d = d, best = key;
    }
    return best;
}

std::string fmt(double v) {
    std::ostringstream os;
    os << v;
    return os.str();
}

// Reads values, collecting every broken rule as "<origin>: <path>: <rule>".
struct Reader {
    std::string origin;
    std::vector<std::string> errors;

    // Escaped: a name or value from the file must not split the line.
    void error(const std::string& path, const std::string& rule) { errors.push_back(origin + ": " + escape_controls(path + ": " + rule)); }

    static std::string at(const std::string& path, const std::string& key) { return path.empty() ? key : path + "." + key; }

    bool is_object(const json& j, const std::string& path) {
        if (j.is_object()) return true;
        error(path, "must be an object");
        return false;
    }
    void known_keys(const json& obj, const std::string& path, const std::vector<std::string>& valid) {
        for (const auto& [key, value] : obj.items()) {
            if (std::find(valid.begin(), valid.end(), key) != valid.end()) continue;
            const auto near = nearest(key, valid);
            error(at(path, message_name(key)), near ? "unknown key (did you mean \"" + *near + "\"?)" : "unknown key");
        }
    }
    const json* find(const json& obj, const std::string& key) {
        const auto it = obj.find(key);
        return it == obj.end() ? nullptr : &*it;
    }
    std::optional<std::string> text(const json& obj, const std::string& key, const std::string& path) {
        const json* v = find(obj, key);
        if (!v) return std::nullopt;
        if (!v->is_string()) {
            error(at(path, key), "must be a string");
            return std::nullopt;
        }
        return v->get<std::string>();
    }
    // A metadata text: no control characters (they would break the CUE sheet and the tags).
    std::string tag(const json& obj, const std::string& key, const std::string& path) {
        auto v = text(obj, key, path);
        if (!v) return {};
        for (unsigned char c : *v)
            if (c < 0x20 || c == 0x7f) {
                error(at(path, key), "must not contain control characters (line breaks, tabs, ESC, NUL)");
                return {};
            }
        return *v;
    }
    std::optional<double> number(const json& obj, const std::string& key, const std::string& path, double lo, double hi,
                                 const std::string& unit = "") {
        const json* v = find(obj, key);
        if (!v) return std::nullopt;
        if (!v->is_number()) {
            error(at(path, key), "must be a number");
            return std::nullopt;
        }
        const double x = v->get<double>();
        if (!std::isfinite(x) || x < lo || x > hi) {
            error(at(path, key), "must be in " + fmt(lo) + " .. " + fmt(hi) + (unit.empty() ? "" : " " + unit) + " (is " + fmt(x) + ")");
            return std::nullopt;
        }
        return x;
    }
    std::optional<int> integer(const json& obj, const std::string& key, const std::string& path, int lo, int hi) {
        const json* v = find(obj, key);
        if (!v) return std::nullopt;
        if (!v->is_number_integer() && !(v->is_number_float() && std::nearbyint(v->get<double>()) == v->get<double>())) {
            error(at(path, key), "must be an integer");
            return std::nullopt;
        }
        const double x = v->get<double>();
        if (x < lo || x > hi) {
            error(at(path, key), "must be in " + std::to_string(lo) + " .. " + std::to_string(hi) + " (is " + fmt(x) + ")");
            return std::nullopt;
        }
        return static_cast<int>(x);
    }
    std::optional<bool> boolean(const json& obj, const std::string& key, const std::string& path) {
        const json* v = find(obj, key);
        if (!v) return std::nullopt;
        if (!v->is_boolean()) {
            error(at(path, key), "must be true or false");
            return std::nullopt;
        }
        return v->get<bool>();
    }
    template <class E>
    std::optional<E> name(const json& obj, const std::string& key, const std::string& path) {
        auto v = text(obj, key, path);
        if (!v) return std::nullopt;
        if (auto e = enum_from_name<E>(*v)) return e;
        std::string list;
        for (auto n : enum_names<E>()) list += (list.empty() ? "" : ", ") + std::string(n);
        error(at(path, key), "must be one of " + list + " (is " + json(*v).dump() + ")");  // dump: quoted, controls escaped
        return std::nullopt;
    }
    std::optional<std::filesystem::path> path_value(const json& obj, const std::string& key, const std::string& path,
                                                    const std::filesystem::path& base, std::string* as_written) {
        auto v = text(obj, key, path);
        if (!v) return std::nullopt;
        if (v->empty()) {
            error(at(path, key), "must not be empty");
            return std::nullopt;
        }
        *as_written = *v;
        std::filesystem::path p(*v);
        return (p.is_absolute() ? p : base / p).lexically_normal();
    }
};

std::string isrc_code(Reader& r, const json& obj, const std::string& key, const std::string& path) {
    auto text = r.text(obj, key, path);
    if (!text) return {};
    std::string v;
    for (char c : *text)
        if (c != '-') v += static_cast<char>(std::toupper(static_cast<unsigned char>(c)));
    bool ok = v.size() == 12 && std::isalpha(static_cast<unsigned char>(v[0])) && std::isalpha(static_cast<unsigned char>(v[1]));
    for (size_t i = 2; ok && i < 5; ++i) ok = std::isalnum(static_cast<unsigned char>(v[i])) != 0;
    for (size_t i = 5; ok && i < 12; ++i) ok = std::isdigit(static_cast<unsigned char>(v[i])) != 0;
    if (!ok) {
        r.error(Reader::at(path, key), "must be an ISRC: CC-XXX-YY-NNNNN (2 letters, 3 letters or digits, 7 digits)");
        return {};
    }
    return v;
}

AlbumTrack read_track(Reader& r, const json& j, const std::string& path, const std::filesystem::path& base) {
    AlbumTrack t;
    if (!r.is_object(j, path)) return t;
    r.known_keys(j, path, {"session", "file", "title", "artist", "composer", "isrc", "gap_s", "fade_in_s", "fade_out_s"});
    const bool has_session = j.contains("session"), has_file = j.contains("file");
    if (has_session == has_file)
        r.error(path, has_session ? "has both \"session\" and \"file\": a track is one or the other"
                                  : "needs \"session\" (a session file) or \"file\" (a premixed file)");
    if (auto p = r.path_value(j, "session", path, base, &t.session_as_written)) t.session = *p;
    if (auto p = r.path_value(j, "file", path, base, &t.file_as_written)) t.file = *p;
    t.title = r.tag(j, "title", path);
    if (t.title.empty() && !j.contains("title")) {
        const std::string& w = has_session ? t.session_as_written : t.file_as_written;
        t.title = std::filesystem::path(w).stem().string();
        if (has_session && t.title == "session") t.title = std::filesystem::path(w).parent_path().filename().string();
        // A title goes into tags and the CUE sheet, which hold no control character.
        if (std::any_of(t.title.begin(), t.title.end(), [](unsigned char c) { return c < 0x20 || c == 0x7f; })) {
            r.error(Reader::at(path, "title"), "absent, and the file name it defaults to holds control characters: give the track a \"title\"");
            t.title.clear();
        }
    }
    t.artist = r.tag(j, "artist", path);
    t.composer = r.tag(j, "composer", path);
    t.isrc = isrc_code(r, j, "isrc", path);
    t.gap_s = r.number(j, "gap_s", path, 0.0, kMaxGapS, "s").value_or(0.0);
    t.fade_in_s = r.number(j, "fade_in_s", path, 0.0, 3600.0, "s");
    t.fade_out_s = r.number(j, "fade_out_s", path, 0.0, 3600.0, "s");
    return t;
}

AlbumExport read_export(Reader& r, const json& j, const std::string& path, const std::filesystem::path& base) {
    AlbumExport e;
    if (!r.is_object(j, path)) return e;
    const bool is_dir = j.contains("dir"), is_image = j.contains("image");
    if (is_dir == is_image) {
        r.error(path, is_dir ? "has both \"dir\" and \"image\": an export is one or the other"
                             : "needs \"dir\" (a folder for the track files) or \"image\" (one file for the whole album)");
        return e;
    }
    e.kind = is_dir ? AlbumExport::Kind::Dir : AlbumExport::Kind::Image;
    if (is_dir) {
        r.known_keys(j, path, {"dir", "format", "bit_depth", "sample_rate", "dither", "bitrate_kbps", "quality"});
        if (auto p = r.path_value(j, "dir", path, base, &e.path_as_written)) e.path = *p;
        if (auto f = r.name<ExportFormat>(j, "format", path)) e.format = *f;
    } else {
        r.known_keys(j, path, {"image", "format", "bit_depth", "sample_rate", "dither", "cue"});
        if (auto p = r.path_value(j, "image", path, base, &e.path_as_written)) e.path = *p;
        if (auto f = r.name<ExportFormat>(j, "format", path)) {
            e.format = *f;
        } else if (!j.contains("format") && !e.path.empty()) {
            if (auto inferred = format_from_extension(e.path)) e.format = *inferred;
            else r.error(Reader::at(path, "image"), std::string("the extension names no format (") + kExportExtensions + "), and \"format\" is absent");
        }
        if (is_lossy(e.format))
            r.error(Reader::at(path, j.contains("format") ? "format" : "image"),
                    std::string("an album image is PCM (wav, bwf, flac, aiff, rf64): a lossy file cannot hold the gaps and "
                                "indexes of a CUE sheet exactly (is ") + to_string(e.format) + ")");
        e.cue = r.boolean(j, "cue", path).value_or(false);
    }
    if (auto b = r.integer(j, "bit_depth", path, 16, 32)) {
        if (*b != 16 && *b != 24 && *b != 32) r.error(Reader::at(path, "bit_depth"), "must be 16, 24 or 32 (is " + std::to_string(*b) + ")");
        else e.bit_depth = *b;
    }
    if (e.format == ExportFormat::Flac && e.bit_depth == 32)
        r.error(Reader::at(path, "bit_depth"), "FLAC holds 16 or 24 bits (32 is float, for wav, bwf, aiff or rf64)");
    if (is_lossy(e.format) && is_dir) {
        if (j.contains("bit_depth")) r.error(Reader::at(path, "bit_depth"), std::string("does not apply to ") + to_string(e.format));
        if (j.contains("dither")) r.error(Reader::at(path, "dither"), std::string("does not apply to ") + to_string(e.format));
        e.bitrate_kbps = r.integer(j, "bitrate_kbps", path, 6, 510);
        e.quality = r.number(j, "quality", path, 0.0, 1.0);
    } else if (is_dir) {
        for (const char* k : {"bitrate_kbps", "quality"})
            if (j.contains(k)) r.error(Reader::at(path, k), std::string("applies to mp3, opus and ogg only (is ") + to_string(e.format) + ")");
    }
    if (auto rate = r.integer(j, "sample_rate", path, 8000, 384000)) e.sample_rate = *rate;
    if (auto d = r.name<Dither>(j, "dither", path)) e.dither = *d;
    if (e.bit_depth == 32) e.dither = Dither::None;
    return e;
}

}  // namespace

const char* to_string(LoudnessMode mode) { return mode == LoudnessMode::Track ? "track" : "album"; }

Result<AlbumSpec> parse_album(const std::string& text, const std::filesystem::path& base_dir, const std::string& origin) {
    json j;
    try {
        j = json::parse(text);
    } catch (const json::exception& e) {
        std::string what = e.what();
        if (auto p = what.find("] "); p != std::string::npos) what = what.substr(p + 2);
        return fail(ErrorCode::InvalidSession, origin + ": not valid JSON: " + what);
    }
    Reader r{origin, {}};
    AlbumSpec a;
    std::error_code ec;
    a.base_dir = base_dir.empty() ? std::filesystem::current_path(ec) : std::filesystem::absolute(base_dir, ec);
    if (!j.is_object()) return fail(ErrorCode::InvalidSession, origin + ": must be a JSON object (an album file)");
    r.known_keys(j, "", {"format", "version", "title", "artist", "composer", "copyright", "catalog", "year", "sample_rate",
                         "loudness", "master", "tracks", "export"});
    if (auto f = r.text(j, "format", ""); !f || *f != "stemforge-album")
        r.error("format", j.contains("format") ? "must be \"stemforge-album\"" : "is required (\"stemforge-album\")");
    if (const json* v = r.find(j, "version"); !v || !v->is_number_integer() || v->get<int64_t>() != 1)
        r.error("version", v ? "must be 1" : "is required (1)");
    a.title = r.tag(j, "title", "");
    a.artist = r.tag(j, "artist", "");
    a.composer = r.tag(j, "composer", "");
    a.copyright = r.tag(j, "copyright", "");
    if (auto c = r.text(j, "catalog", "")) {
        const bool ok = c->size() == 13 && std::all_of(c->begin(), c->end(), [](unsigned char ch) { return std::isdigit(ch) != 0; });
        if (ok) a.catalog = *c;
        else r.error("catalog", "must be a 13-digit UPC/EAN catalogue number");
    }
    if (const json* y = r.find(j, "year")) {
        const std::string v = y->is_number_integer() ? std::to_string(y->get<int64_t>()) : y->is_string() ? y->get<std::string>() : "";
        if (v.size() == 4 && std::all_of(v.begin(), v.end(), [](unsigned char ch) { return std::isdigit(ch) != 0; })) a.year = v;
        else r.error("year", "must be a year of 4 digits, e.g. \"2026\"");
    }
    a.sample_rate = r.integer(j, "sample_rate", "", 8000, 384000);

    // loudness: explicit keys win over the master block's (its own or its preset's).
    std::optional<LoudnessMode> mode;
    std::optional<double> target, ceiling;
    if (const json* l = r.find(j, "loudness"); l && r.is_object(*l, "loudness")) {
        r.known_keys(*l, "loudness", {"mode", "target_lufs", "ceiling_dbtp"});
        if (auto m = r.text(*l, "mode", "loudness")) {
            if (*m == "track") mode = LoudnessMode::Track;
            else if (*m == "album") mode = LoudnessMode::Album;
            else r.error("loudness.mode", "must be \"track\" or \"album\" (is " + json(*m).dump() + ")");
        }
        target = r.number(*l, "target_lufs", "loudness", -70.0, 0.0, "LUFS");
        ceiling = r.number(*l, "ceiling_dbtp", "loudness", -60.0, 0.0, "dBTP");
    }
    if (const json* m = r.find(j, "master")) {
        auto master = parse_master_block(*m, "master", a.base_dir, a.sample_rate.value_or(48000));
        if (!master) {
            std::istringstream lines(master.error().message);
            for (std::string line; std::getline(lines, line);) r.errors.push_back(origin + ": " + line);
        } else {
            a.master = std::move(*master);
        }
    }
    a.loudness.mode = mode.value_or(LoudnessMode::Album);
    a.loudness.target_lufs = target.value_or(a.master.loudness_target_lufs.value_or(-14.0));
    a.loudness.ceiling_dbtp = ceiling.value_or(a.master.limiter ? a.master.limiter->ceiling_dbtp : -1.0);
    // Every track is limited: the album promises each one under the ceiling.
    a.master.loudness_target_lufs = a.loudness.target_lufs;
    if (!a.master.limiter) a.master.limiter = LimiterSpec{};
    a.master.limiter->ceiling_dbtp = a.loudness.ceiling_dbtp;

    if (const json* t = r.find(j, "tracks"); !t) {
        r.error("tracks", "is required (a list of {\"session\": ...} or {\"file\": ...})");
    } else if (!t->is_array() || t->empty()) {
        r.error("tracks", "must be a non-empty list");
    } else if (t->size() > static_cast<size_t>(kMaxAlbumTracks)) {
        r.error("tracks[" + std::to_string(kMaxAlbumTracks) + "]", "track " + std::to_string(kMaxAlbumTracks + 1) + " of " +
                                                                      std::to_string(t->size()) + ": an album holds at most " +
                                                                      std::to_string(kMaxAlbumTracks) +
                                                                      " tracks (the CUE sheet's and Red Book's track numbers)");
    } else {
        for (size_t i = 0; i < t->size(); ++i) a.tracks.push_back(read_track(r, (*t)[i], "tracks[" + std::to_string(i) + "]", a.base_dir));
    }
    if (const json* e = r.find(j, "export"); !e) {
        r.error("export", "is required (a list of {\"dir\": ...} and/or {\"image\": ...})");
    } else if (!e->is_array() || e->empty()) {
        r.error("export", "must be a non-empty list");
    } else {
        for (size_t i = 0; i < e->size(); ++i) a.exports.push_back(read_export(r, (*e)[i], "export[" + std::to_string(i) + "]", a.base_dir));
    }
    if (!r.errors.empty()) {
        std::string all;
        for (const auto& line : r.errors) all += (all.empty() ? "" : "\n") + line;
        return fail(ErrorCode::InvalidSession, all);
    }
    return a;
}

Result<AlbumSpec> load_album(const std::filesystem::path& file) {
    std::error_code ec;
    if (!std::filesystem::exists(file, ec)) return fail(ErrorCode::FileNotFound, file.string() + ": no such file");
    if (!std::filesystem::is_regular_file(file, ec)) return fail(ErrorCode::FileRead, file.string() + ": not a regular file (an album file)");
    std::ifstream in(file, std::ios::binary);
    if (!in) return fail(ErrorCode::FileRead, file.string() + ": cannot open for reading");
    std::ostringstream text;
    text << in.rdbuf();
    if (in.bad()) return fail(ErrorCode::FileRead, file.string() + ": read error");
    auto album = parse_album(text.str(), std::filesystem::absolute(file, ec).parent_path(), file.string());
    if (album) album->file = std::filesystem::absolute(file, ec).lexically_normal();
    return album;
}

std::string format_extension(ExportFormat format) {
    switch (format) {
        case ExportFormat::Wav:
        case ExportFormat::Bwf: return ".wav";
        case ExportFormat::Flac: return ".flac";
        case ExportFormat::Aiff: return ".aiff";
        case ExportFormat::Rf64: return ".rf64";
        case ExportFormat::Mp3: return ".mp3";
        case ExportFormat::Opus: return ".opus";
        case ExportFormat::Ogg: return ".ogg";
    }
    return ".wav";
}

std::string track_file_name(int number, int count, const std::string& title, const std::string& extension) {
    std::string clean;
    for (unsigned char c : title) {
        const bool bad = c < 0x20 || c == 0x7f || std::string_view("/\\:*?\"<>|").find(static_cast<char>(c)) != std::string_view::npos;
        clean += bad ? '_' : static_cast<char>(c);
    }
    auto trim = [](unsigned char c) { return c == ' ' || c == '.'; };
    while (!clean.empty() && trim(static_cast<unsigned char>(clean.back()))) clean.pop_back();
    size_t first = 0;
    while (first < clean.size() && trim(static_cast<unsigned char>(clean[first]))) ++first;
    clean = clean.substr(first);
    constexpr size_t kMaxTitleBytes = 120;
    if (clean.size() > kMaxTitleBytes) {
        size_t cut = kMaxTitleBytes;
        while (cut > 0 && (static_cast<unsigned char>(clean[cut]) & 0xC0) == 0x80) --cut;  // not inside a UTF-8 sequence
        clean.resize(cut);
        while (!clean.empty() && trim(static_cast<unsigned char>(clean.back()))) clean.pop_back();
    }
    if (clean.empty()) clean = "Track";
    const int digits = count >= 100 ? 3 : 2;
    std::string nn = std::to_string(number);
    if (static_cast<int>(nn.size()) < digits) nn.insert(0, static_cast<size_t>(digits) - nn.size(), '0');
    return nn + " " + clean + extension;
}

}  // namespace sf::album
