// Stemforge — the album file (`stemforge album ALBUM.json`, docs/album.md):
// tracks from sessions or premixed files, one master block for all of them,
// a loudness mode, per-track files and a whole-album image with a CUE sheet.
//
// Plain data, validated in one place (album_json.cpp). Paths resolve against
// the album file's folder; the text as written is kept beside each resolved
// path for messages. Every error names the file and the JSON path
// ("album.json: tracks[2].isrc: must be an ISRC ..."); a file with several
// errors reports each on its own line.
#pragma once

#include <filesystem>
#include <optional>
#include <string>
#include <vector>

#include "engine/core/error.h"
#include "engine/session/session.h"

namespace sf::album {

// mode track: every track on the target. mode album: the album as one
// programme (gaps excluded) on the target, the tracks' loudness differences
// kept as mixed, every track under the ceiling.
enum class LoudnessMode { Track, Album };

struct AlbumLoudness {
    LoudnessMode mode = LoudnessMode::Album;
    double target_lufs = -14.0;   // -70 .. 0
    double ceiling_dbtp = -1.0;   // -60 .. 0
};

struct AlbumTrack {
    // Exactly one of session and file.
    std::string session_as_written;
    std::filesystem::path session;   // a session file: its mix (the album's master replaces its own)
    std::string file_as_written;
    std::filesystem::path file;      // a premixed stereo or mono file
    std::string title;               // default: the file name without extension
    std::string artist;              // default: the album's
    std::string composer;
    std::string isrc;                // 12 characters, hyphens removed, upper case; empty = none
    double gap_s = 0.0;              // silence before the track in the image (its pregap: INDEX 00)
    // This track's master.fade_in_s / fade_out_s; absent: the album master's.
    std::optional<double> fade_in_s;
    std::optional<double> fade_out_s;
    bool is_session() const { return !session_as_written.empty(); }
};

// One entry of "export": `dir` (one file per track, "NN Title.ext") or
// `image` (the whole album in one file, gaps as silence, optional CUE sheet).
struct AlbumExport {
    enum class Kind { Dir, Image };
    Kind kind = Kind::Dir;
    std::string path_as_written;
    std::filesystem::path path;      // the folder (dir) or the image file
    ExportFormat format = ExportFormat::Flac;  // dir: "format" (default flac); image: from its extension
    int bit_depth = 24;              // 16, 24 or 32 (float; not flac)
    int sample_rate = 0;             // 0: the album's rate
    Dither dither = Dither::Tpdf;
    bool cue = false;                // image only: write <image>.cue
    std::optional<int> bitrate_kbps; // dir exports of a lossy format only
    std::optional<double> quality;
};

struct AlbumSpec {
    std::filesystem::path file;      // the album file (empty when parsed from text)
    std::filesystem::path base_dir;  // absolute
    std::string title, artist, composer, copyright;
    std::string catalog;             // 13 digits; empty = none
    std::string year;                // 4 digits; empty = none
    std::optional<int> sample_rate;  // the rate tracks are mastered at; default: the first track's own rate
    AlbumLoudness loudness;
    MasterSpec master;               // with the loudness block applied (target, limiter ceiling)
    std::vector<AlbumTrack> tracks;  // 1 .. 99
    std::vector<AlbumExport> exports;
};

inline constexpr int kMaxAlbumTracks = 99;   // the CUE sheet's (and Red Book's) track numbers
inline constexpr double kMaxGapS = 60.0;

// Parses and validates an album file. Errors (InvalidSession): one line per
// broken rule, "<file>: <json.path>: <rule>"; FileNotFound / FileRead for the
// file itself. Sessions and premixed files are not opened here.
Result<AlbumSpec> load_album(const std::filesystem::path& file);
Result<AlbumSpec> parse_album(const std::string& text, const std::filesystem::path& base_dir, const std::string& origin);

const char* to_string(LoudnessMode mode);

// "NN Title.ext" for track `number` (1-based) of `count`: NN has two digits
// (three from 100 tracks on); the title sanitised for every common file
// system: / \ : * ? " < > | and control characters become '_', leading and
// trailing spaces and dots are dropped, the name is cut to 120 bytes (never
// inside a UTF-8 sequence); an empty title gives "Track". `extension`
// includes its dot.
std::string track_file_name(int number, int count, const std::string& title, const std::string& extension);

// The usual extension of an export format (".wav", ".flac", ".aiff", ...).
std::string format_extension(ExportFormat format);

}  // namespace sf::album
