// Stemforge — the album image's CUE sheet (CDRWIN text) and the Red Book
// rules for a 16-bit 44.1 kHz image.
//
// Positions are in samples of the image; the sheet writes them as mm:ss:ff
// (75 frames a second). The album renderer lays the image out so that every
// position is a whole frame (a frame is rate/75 samples: 588 at 44.1 kHz),
// so the sheet is exact; at a rate that is not a multiple of 75 a position
// is written as its nearest frame.
//
// Quoted texts (TITLE, PERFORMER, SONGWRITER, FILE) escape a double quote as
// \" and a backslash as \\ (libcue reads these escapes); the album parser
// refuses control characters, so a text never breaks a line.
#pragma once

#include <cstdint>
#include <string>
#include <vector>

#include "engine/core/error.h"
#include "engine/session/session.h"

namespace sf::album {

inline constexpr int kCueFramesPerSecond = 75;
inline constexpr int kRedBookRate = 44100;
inline constexpr int kRedBookBits = 16;
inline constexpr int kRedBookFrameSamples = kRedBookRate / kCueFramesPerSecond;  // 588
inline constexpr int kRedBookMaxTracks = 99;
inline constexpr int64_t kRedBookMinTrackFrames = 4 * kCueFramesPerSecond;                    // 4 s
inline constexpr int64_t kRedBookMaxFrames = (79 * 60 + 57) * kCueFramesPerSecond + 74;       // 79:57:74

struct CueTrack {
    std::string label;             // for messages: tracks[2] "Title"
    std::string title, performer, songwriter, isrc;
    int64_t index00 = -1;          // the gap's first sample; −1: no gap (no INDEX 00)
    int64_t index01 = 0;           // the music's first sample
    int64_t end = 0;               // one past the track's last sample (the next track's INDEX 00/01, or the image's end)
};

struct CueDisc {
    std::string catalog, title, performer, songwriter;
    std::string file_name;         // the image's file name (the sheet lives beside it)
    ExportFormat format = ExportFormat::Wav;
    int sample_rate = 44100;
    int bit_depth = 16;
    std::vector<CueTrack> tracks;  // in order
};

// Samples per CUE frame at `rate` (rate/75, rounded down; 0 below 75 Hz).
int64_t cue_frame_samples(int sample_rate);
// A position as mm:ss:ff (nearest frame; minutes may exceed 99).
std::string cue_time(int64_t samples, int sample_rate);
// A quoted CUE text with " and \ escaped.
std::string cue_quote(const std::string& text);

// The sheet: REM COMMENT, CATALOG, PERFORMER, TITLE, SONGWRITER, FILE, then
// per track TRACK NN AUDIO, TITLE, PERFORMER, SONGWRITER, ISRC, INDEX 00 (when
// the track has a gap), INDEX 01. CRLF line ends.
std::string album_cue_text(const CueDisc& disc);

// Whether the image is a Red Book one (16-bit integer PCM at 44.1 kHz).
bool is_red_book(int sample_rate, int bit_depth);

// The Red Book rules: at most 99 tracks; each track at least 4 s (from its
// INDEX 01 to its end); at most 79:57:74 in all; every INDEX on a 588-sample
// frame. Error (InvalidSession) naming the first track that breaks one (and
// the whole album for the total length): "tracks[2] \"Intro\": 3.20 s long; ...".
Result<void> check_red_book(const CueDisc& disc);

}  // namespace sf::album
