// Stemforge — delivery tags: the session's `metadata` written into finished
// files, in the place each format's readers look (docs/delivery.md has the
// table).
//
// Every writer edits a finished, staged file: tags go in after the audio is
// final, like the BWF loudness fields (metadata.h), so one step tags every
// format, and a file is tagged once, at the end of its export.
//
//   format        where                                         text
//   FLAC          VORBIS_COMMENT block                          UTF-8
//   Ogg Vorbis    comment header packet (pages rebuilt, CRCs)   UTF-8
//   Ogg Opus      OpusTags packet (pages rebuilt, CRCs)         UTF-8
//   MP3           ID3v2.4 tag at the start (replaces any other) UTF-8
//   WAV, RF64     LIST/INFO + "id3 " chunk (ID3v2.4) at the end UTF-8 (see below)
//   BWF           the same, and the bext chunk rebuilt          bext: ASCII
//   AIFF          NAME, AUTH, "(c) " + "ID3 " chunk at the end  UTF-8
//
// RIFF INFO and AIFF text chunks are ASCII (latin-1 by the RIFF spec): a
// non-ASCII value is written as UTF-8 bytes, the de-facto convention of
// today's readers (ffmpeg, libsndfile, Audacity, REAPER), which decode it as
// written; latin-1 would lose every character outside it and read back as
// mojibake there. bext text fields are ASCII by EBU Tech 3285 and read by
// strict broadcast systems: each non-ASCII character becomes '?'.
//
// Field names: title, artist, album, year, track, composer, copyright, ISRC
// as Vorbis TITLE ARTIST ALBUM DATE TRACKNUMBER COMPOSER COPYRIGHT ISRC; ID3
// TIT2 TPE1 TALB TDRC TRCK TCOM TCOP TSRC; RIFF INFO INAM IART IPRD ICRD ITRK
// IMUS ICOP (ISRC has no INFO field: INFO's "ISRC" means "source"); AIFF
// NAME AUTH "(c) ". Empty fields are left out (and a previous value of that
// name removed in Vorbis comments).
#pragma once

#include <filesystem>
#include <string>
#include <utility>
#include <vector>

#include "engine/core/error.h"
#include "engine/session/session.h"

namespace sf {

// Writes `metadata` into `file`, a finished file of `format`. BWF files get
// their bext chunk rebuilt: description (the title, else "Stemforge
// master"), originator "Stemforge", origination date/time (bext_origination),
// UMID zero, loudness fields kept, coding history with the ISRC. Errors name
// the file: not the format it claims, a layout these writers do not know,
// or a write failure; on error the file may be half-edited (it is a staged
// file: the caller's transaction discards it).
Result<void> write_tags(const std::filesystem::path& file, ExportFormat format, const DeliveryMetadata& metadata);

// Vorbis comments (FLAC, Ogg) for `metadata`, in the order of the table above.
std::vector<std::pair<std::string, std::string>> vorbis_comment_fields(const DeliveryMetadata& metadata);

// A complete ID3v2.4 tag (header + text frames, UTF-8, no padding) for
// `metadata`; empty when every field is empty. TCOP must start with a year
// and a space (ID3v2.4 frames 4.2.1): a copyright that does not is written
// behind the year (metadata.year, else the date's year) when there is one.
std::string id3v2_4_tag(const DeliveryMetadata& metadata);

// The BWF origination date ("YYYY-MM-DD") and time ("HH:MM:SS"): from
// metadata.date (a date alone: 00:00:00); else from SOURCE_DATE_EPOCH (UTC);
// else 2000-01-01 00:00:00, so a render is reproducible. Errors: a date or
// SOURCE_DATE_EPOCH that is not one.
struct Origination {
    std::string date, time;
};
Result<Origination> bext_origination(const DeliveryMetadata& metadata);

// Adds Vorbis comments for the non-empty fields of `metadata` to a FLAC file
// (the VORBIS_COMMENT block is rebuilt, the file rewritten through a copy),
// replacing earlier comments of those names.
Result<void> write_flac_tags(const std::filesystem::path& file, const DeliveryMetadata& metadata);

}  // namespace sf
