// Fuzz body: the album file parser and validator (parse_album on any bytes).
//
// Contract checked (engine/album/album.h): bad text is an InvalidSession
// error whose every line names the file ("<file>: <json.path>: <rule>"),
// never an exception or a crash; an accepted album keeps the rules the
// renderer relies on (1-99 tracks, each a session or a file; bit depths a
// format can hold; an image is PCM), and written back as an album file (by
// the writer below, from the keys of docs/album.md) it parses to the same
// album.
#include <nlohmann/json.hpp>

#include <string>

#include "engine/album/album.h"
#include "engine/session/session_blocks.h"
#include "tests/fuzz/fuzz_support.h"

namespace sf::fuzz {

namespace {

constexpr const char* kOrigin = "fuzz-album.json";
constexpr const char* kBaseDir = "/stemforge-fuzz-album";

using ojson = nlohmann::ordered_json;

void check_error(const Error& e) {
    FUZZ_CHECK(e.code == ErrorCode::InvalidSession, e.message);
    FUZZ_CHECK(!e.message.empty(), "empty message");
    // `report` prints each '\n'-separated line as its own error line: each
    // must name the file, or the user cannot tell which file is wrong.
    size_t start = 0;
    while (start <= e.message.size()) {
        const size_t end = std::min(e.message.find('\n', start), e.message.size());
        const std::string_view line(e.message.data() + start, end - start);
        FUZZ_CHECK(line.starts_with(std::string(kOrigin) + ": ") && line.size() > std::string(kOrigin).size() + 2, e.message);
        start = end + 1;
    }
}

void check_model(const album::AlbumSpec& a, const std::string& text) {
    FUZZ_CHECK(!a.tracks.empty() && a.tracks.size() <= static_cast<size_t>(album::kMaxAlbumTracks), text);
    FUZZ_CHECK(!a.exports.empty(), text);
    FUZZ_CHECK(a.master.limiter.has_value() && a.master.limiter->ceiling_dbtp == a.loudness.ceiling_dbtp, text);
    FUZZ_CHECK(a.master.loudness_target_lufs == a.loudness.target_lufs, text);
    for (const album::AlbumTrack& t : a.tracks) {
        FUZZ_CHECK(t.is_session() != !t.file_as_written.empty(), text);
        FUZZ_CHECK(t.is_session() ? t.session.is_absolute() : t.file.is_absolute(), text);
        FUZZ_CHECK(t.isrc.empty() || t.isrc.size() == 12, t.isrc);
        FUZZ_CHECK(t.gap_s >= 0.0 && t.gap_s <= album::kMaxGapS, text);
        for (const std::string* tag : {&t.title, &t.artist, &t.composer})
            for (unsigned char c : *tag) FUZZ_CHECK(c >= 0x20 && c != 0x7f, "control character in a tag: " + text);
    }
    for (const album::AlbumExport& e : a.exports) {
        FUZZ_CHECK(e.path.is_absolute(), text);
        FUZZ_CHECK(e.bit_depth == 16 || e.bit_depth == 24 || e.bit_depth == 32, text);
        FUZZ_CHECK(!(e.format == ExportFormat::Flac && e.bit_depth == 32), text);
        FUZZ_CHECK(e.kind == album::AlbumExport::Kind::Dir || !is_lossy(e.format), text);
        FUZZ_CHECK(e.bit_depth != 32 || e.dither == Dither::None, text);
        FUZZ_CHECK(e.sample_rate == 0 || (e.sample_rate >= 8000 && e.sample_rate <= 384000), text);
    }
}

// The album as a file that states every value (docs/album.md's keys).
std::string write_album(const album::AlbumSpec& a) {
    ojson j;
    j["format"] = "stemforge-album";
    j["version"] = 1;
    j["title"] = a.title;
    j["artist"] = a.artist;
    j["composer"] = a.composer;
    j["copyright"] = a.copyright;
    if (!a.catalog.empty()) j["catalog"] = a.catalog;
    if (!a.year.empty()) j["year"] = a.year;
    if (a.sample_rate) j["sample_rate"] = *a.sample_rate;
    j["loudness"] = {{"mode", album::to_string(a.loudness.mode)},
                     {"target_lufs", a.loudness.target_lufs},
                     {"ceiling_dbtp", a.loudness.ceiling_dbtp}};
    j["master"] = master_block_json(a.master);
    j["tracks"] = ojson::array();
    for (const album::AlbumTrack& t : a.tracks) {
        ojson o;
        if (t.is_session()) o["session"] = t.session_as_written;
        else o["file"] = t.file_as_written;
        o["title"] = t.title;
        o["artist"] = t.artist;
        o["composer"] = t.composer;
        if (!t.isrc.empty()) o["isrc"] = t.isrc;
        o["gap_s"] = t.gap_s;
        if (t.fade_in_s) o["fade_in_s"] = *t.fade_in_s;
        if (t.fade_out_s) o["fade_out_s"] = *t.fade_out_s;
        j["tracks"].push_back(std::move(o));
    }
    j["export"] = ojson::array();
    for (const album::AlbumExport& e : a.exports) {
        ojson o;
        const bool dir = e.kind == album::AlbumExport::Kind::Dir;
        o[dir ? "dir" : "image"] = e.path_as_written;
        o["format"] = to_string(e.format);
        if (!(dir && is_lossy(e.format))) {
            o["bit_depth"] = e.bit_depth;
            o["dither"] = to_string(e.dither);
        }
        if (e.sample_rate != 0) o["sample_rate"] = e.sample_rate;
        if (!dir) o["cue"] = e.cue;
        if (e.bitrate_kbps) o["bitrate_kbps"] = *e.bitrate_kbps;
        if (e.quality) o["quality"] = *e.quality;
        j["export"].push_back(std::move(o));
    }
    return j.dump(2, ' ', false, ojson::error_handler_t::strict);
}

void check_same(const album::AlbumSpec& a, const album::AlbumSpec& b, const std::string& written) {
    auto same = [&](bool ok, const char* what) { FUZZ_CHECK(ok, std::string(what) + " differs after writing back:\n" + written); };
    same(a.base_dir == b.base_dir, "base_dir");
    same(a.title == b.title && a.artist == b.artist && a.composer == b.composer && a.copyright == b.copyright, "metadata");
    same(a.catalog == b.catalog && a.year == b.year && a.sample_rate == b.sample_rate, "catalog/year/sample_rate");
    same(a.loudness.mode == b.loudness.mode && a.loudness.target_lufs == b.loudness.target_lufs &&
             a.loudness.ceiling_dbtp == b.loudness.ceiling_dbtp,
         "loudness");
    same(a.master == b.master, "master");
    same(a.tracks.size() == b.tracks.size() && a.exports.size() == b.exports.size(), "track or export count");
    for (size_t i = 0; i < a.tracks.size(); ++i) {
        const album::AlbumTrack &x = a.tracks[i], &y = b.tracks[i];
        same(x.session_as_written == y.session_as_written && x.session == y.session && x.file_as_written == y.file_as_written &&
                 x.file == y.file,
             "a track's file");
        same(x.title == y.title && x.artist == y.artist && x.composer == y.composer && x.isrc == y.isrc, "a track's tags");
        same(x.gap_s == y.gap_s && x.fade_in_s == y.fade_in_s && x.fade_out_s == y.fade_out_s, "a track's gap or fades");
    }
    for (size_t i = 0; i < a.exports.size(); ++i) {
        const album::AlbumExport &x = a.exports[i], &y = b.exports[i];
        same(x.kind == y.kind && x.path_as_written == y.path_as_written && x.path == y.path, "an export's path");
        same(x.format == y.format && x.bit_depth == y.bit_depth && x.sample_rate == y.sample_rate && x.dither == y.dither, "an export's format");
        same(x.cue == y.cue && x.bitrate_kbps == y.bitrate_kbps && x.quality == y.quality, "an export's options");
    }
}

}  // namespace

int album_input(const uint8_t* data, size_t size) {
    const std::string text(reinterpret_cast<const char*>(data), size);
    auto parsed = album::parse_album(text, kBaseDir, kOrigin);
    if (!parsed) {
        check_error(parsed.error());
        return 0;
    }
    check_model(*parsed, text);
    const std::string written = write_album(*parsed);
    auto again = album::parse_album(written, kBaseDir, kOrigin);
    FUZZ_CHECK(again.has_value(), (again ? std::string() : again.error().message) + "\n--- written:\n" + written);
    check_same(*parsed, *again, written);
    return 0;
}

}  // namespace sf::fuzz
