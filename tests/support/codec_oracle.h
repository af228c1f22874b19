// Stemforge tests — independent readers of delivered files: ffmpeg decodes,
// ffprobe reports the container, metaflac reads FLAC tags. None of them
// shares code with the writer (libsndfile, our own tag writers).
#pragma once

#include <cstdint>
#include <filesystem>
#include <map>
#include <string>

#include <nlohmann/json.hpp>

#include "engine/audio/audio_buffer.h"

namespace sf::test {

// `ffprobe -show_format -show_streams -of json FILE`; fails the test (and
// returns null) when ffprobe fails.
nlohmann::json ffprobe(const std::filesystem::path& file);

// Every tag ffprobe reports (format and stream tags together), key lowercased.
std::map<std::string, std::string> ffprobe_tags(const std::filesystem::path& file);

// The file decoded by ffmpeg to 32-bit float at the file's own rate (no
// resampling, ffmpeg's own handling of encoder delay and padding). `rate`
// receives the decoded rate. Fails the test on an ffmpeg error.
AudioBuffer ffmpeg_decode(const std::filesystem::path& file, int* rate = nullptr);

// `metaflac --export-tags-to=- FILE`: NAME=value lines; key uppercased.
std::multimap<std::string, std::string> metaflac_tags(const std::filesystem::path& file);

// The ID3v2 tag of an MP3, or the ID3 chunk of a WAV or AIFF, as mutagen (a
// Python tag library, Debian's python3-mutagen) reads it: frame id -> text.
// "version" holds the tag's version, e.g. "2.4.0". Empty when the file has none.
std::map<std::string, std::string> mutagen_id3(const std::filesystem::path& file);

// The lag L in [-max_lag, max_lag] that maximises sum_i a[i + L] * b[i] over
// channel 0: where b's content sits in a.
int64_t best_lag(const AudioBuffer& a, const AudioBuffer& b, int64_t max_lag);

// 10 log10(sum b^2 / sum (a - b)^2) over all channels and frames [from, to).
double snr_db(const AudioBuffer& decoded, const AudioBuffer& reference, int64_t from, int64_t to);

}  // namespace sf::test
