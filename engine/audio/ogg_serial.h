// Stemforge — a deterministic Ogg bitstream serial number.
//
// libsndfile (1.2) starts every Ogg Vorbis and Ogg Opus stream with a serial
// number from psf_rand_int32(), seeded from the time of day: two renders of
// one session into .ogg/.opus differ in those four bytes of every page (and
// in each page's CRC), so no manifest replay could match. After the encoder
// has closed the file, every page's serial is rewritten (RFC 3533: the
// 32-bit field at byte 14 of the page header) and its CRC recomputed.
#pragma once

#include <cstdint>
#include <filesystem>
#include <span>

#include "engine/core/error.h"

namespace sf {

// Rewrites, in place, the serial of every page of an Ogg file: the i-th
// distinct serial met becomes base + i (a chained file keeps its streams
// apart); every page's CRC is recomputed. Errors: FileRead naming the file
// and the byte offset of a page that is not an Ogg page (nothing is changed
// from that page on); FileWrite.
Result<void> set_ogg_serials(const std::filesystem::path& file, uint32_t base);

// The Ogg page CRC (RFC 3533 §6: polynomial 0x04c11db7, initial value 0,
// unreflected, no final XOR) of `bytes`.
uint32_t ogg_crc(std::span<const uint8_t> bytes);

}  // namespace sf
