// Stemforge — the codec round trip of `stemforge qc`: a master as a
// streaming service's transcode will hear it. The file's audio is encoded
// through libsndfile (MP3 at 320 kbps, Opus at 128 kbps, Vorbis at quality 6),
// decoded again and measured: the decoded true peak (the one 8× meter,
// analysis/true_peak.h), the count of decoded samples over full scale
// (|x| > 1: they clip in any fixed-point player), and the change of
// integrated loudness. A codec this libsndfile cannot write is reported as
// such (CodecMeasure::error), never skipped silently.
#pragma once

#include <cstdint>
#include <filesystem>
#include <optional>
#include <span>
#include <string>
#include <string_view>

#include "engine/audio/audio_buffer.h"
#include "engine/core/error.h"
#include "engine/session/session.h"

namespace sf::analysis {

enum class QcCodec { Mp3, Opus, Vorbis };

struct QcCodecSettings {
    QcCodec codec;
    const char* name;                  // "mp3", "opus", "vorbis": the JSON key under "codecs"
    ExportFormat format;               // how the writer names it
    std::optional<int> bitrate_kbps;   // constant bit rate, or
    std::optional<double> quality;     // variable-rate quality 0..1 (1 = best; Vorbis q6 = 0.6)
    const char* description;           // "MP3 320 kbps", ...
};

std::span<const QcCodecSettings> qc_codecs();   // mp3, opus, vorbis
const QcCodecSettings& qc_codec_settings(QcCodec codec);
std::optional<QcCodec> qc_codec_from_name(std::string_view name);

struct CodecMeasure {
    QcCodec codec = QcCodec::Mp3;
    std::optional<std::string> error;        // set when the round trip could not be made
    int sample_rate = 0;                     // of the encoded stream (Opus: 48 kHz)
    int64_t frames = 0;                      // decoded
    std::optional<double> true_peak_dbtp;    // decoded; nullopt for silence
    int64_t clipped_samples = 0;             // decoded samples with |x| > 1, over all channels
    std::optional<double> integrated_lufs;   // decoded
    std::optional<double> loudness_change_lu;   // decoded − source integrated loudness
};

// Encodes `frames` frames of `in` (at `sample_rate`) with the codec's
// settings (engine/export/codec_roundtrip.h: the export writer itself)
// into a temporary file in temp_dir (which must exist; removed afterwards), decodes
// and measures it. source_integrated_lufs is the source's integrated
// loudness (for loudness_change_lu). Never fails: an encoder or decoder
// error is returned in CodecMeasure::error with its reason.
CodecMeasure measure_codec(const AudioBuffer& in, int64_t frames, int sample_rate, QcCodec codec,
                           std::optional<double> source_integrated_lufs, const std::filesystem::path& temp_dir);

}  // namespace sf::analysis
