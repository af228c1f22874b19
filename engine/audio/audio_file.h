// Stemforge — reading and writing audio files (libsndfile), resampling (libsoxr).
//
// Reading: AudioSource opens any format libsndfile reads (WAV, BWF, RF64,
// AIFF, FLAC, Ogg Vorbis, Opus, MP3), converts to float, resamples to the
// requested rate with soxr's very-high-quality filter, and hands out planar
// blocks. Truncated or corrupt data and NaN/Inf samples are errors that name
// the file and the position.
//
// Writing: AudioFileWriter writes to a temporary file beside the target and
// renames it over the target only in commit(); a writer destroyed without
// commit() removes its temporary file, so a failed render never leaves a
// partial file and never damages an existing one.
#pragma once

#include <cstdint>
#include <filesystem>
#include <memory>
#include <optional>
#include <string>

#include "engine/audio/audio_buffer.h"
#include "engine/audio/dither.h"
#include "engine/core/error.h"
#include "engine/session/session.h"

namespace sf {

inline constexpr int kMaxInputChannels = 2;  // stems; analysis opens up to 8 (7.1) via SourceOptions::max_channels
// Input files outside these rates are refused (a broken or hostile header).
inline constexpr int kMinInputSampleRate = 8000;
inline constexpr int kMaxInputSampleRate = 768000;

struct AudioInfo {
    int sample_rate = 0;
    int channels = 0;
    int64_t frames = 0;          // at the file's own rate
    std::string container;       // "WAV", "FLAC", ...
    std::string encoding;        // "PCM 24-bit", "float 32-bit", "Vorbis", ...
    int bits = 0;                // 0 when not meaningful (lossy codecs)
    double duration_s() const { return sample_rate > 0 ? static_cast<double>(frames) / sample_rate : 0.0; }
};

// Reads the header only. Errors: missing, unreadable, unknown format, no audio.
Result<AudioInfo> probe_audio(const std::filesystem::path& file);

struct SourceOptions {
    int target_rate = 0;           // 0 = keep the file's rate
    int max_channels = kMaxInputChannels;
    std::string label;             // names the source in messages, e.g. "stem \"kick\""
};

// A decoded, resampled, validated stream of planar float blocks.
class AudioSource {
public:
    static Result<AudioSource> open(const std::filesystem::path& file, const SourceOptions& options);

    AudioSource(AudioSource&&) noexcept;
    AudioSource& operator=(AudioSource&&) noexcept;
    ~AudioSource();

    const AudioInfo& info() const;   // of the file, before resampling
    int channels() const;
    int sample_rate() const;         // the output rate
    int64_t frames() const;          // length at the output rate: round(frames * out / in)

    // Reads the next `frames` frames into out[0..frames) of each channel
    // (out must have channels() channels and >= frames frames). Past the end
    // it writes zeros. Returns the number of real (non-padding) frames.
    // On error the source is unusable.
    Result<int64_t> read(AudioBuffer& out, int64_t frames);

    // Whether the file was changed in place since open() (same file, other
    // size or modification time): its blocks may then mix two versions, so a
    // render refuses it (FileRead naming the source). A file replaced
    // (renamed over) or deleted meanwhile is not an error: the open handle
    // still reads the file as it was opened.
    Result<void> check_unchanged() const;

    // Reads the whole stream (for short signals: IRs, tests).
    static Result<AudioBuffer> read_all(const std::filesystem::path& file, const SourceOptions& options);

private:
    struct Impl;
    explicit AudioSource(std::unique_ptr<Impl> impl);
    std::unique_ptr<Impl> impl_;
};

struct WriteSpec {
    ExportFormat format = ExportFormat::Wav;
    int bit_depth = 24;        // 16, 24: integer PCM; 32: IEEE float
    int sample_rate = 48000;
    int channels = 2;
    Dither dither = Dither::Tpdf;   // ignored for 32-bit float
    uint64_t dither_seed = 1;       // same seed, same input -> same bits
    std::optional<BextLoudness> bext;  // BWF only: the bext v2 loudness fields
    // Lossy formats (mp3, opus, ogg): the encoder's constant bit rate, or a
    // variable-rate quality 0..1 (1 = best). Neither: the format's default.
    std::optional<int> bitrate_kbps;
    std::optional<double> quality;
};

class AudioFileWriter {
public:
    static Result<AudioFileWriter> create(const std::filesystem::path& target, const WriteSpec& spec);

    AudioFileWriter(AudioFileWriter&&) noexcept;
    AudioFileWriter& operator=(AudioFileWriter&&) noexcept;
    ~AudioFileWriter();  // without commit(): closes and removes the temporary file

    // Appends frames [0, frames) of each channel of `block`. Samples are
    // clipped to full scale for integer formats; NaN is an error.
    Result<void> write(const AudioBuffer& block, int64_t frames);

    // Finishes the file and renames it over the target.
    Result<void> commit();

    const std::filesystem::path& target() const;
    int64_t frames_written() const;

private:
    struct Impl;
    explicit AudioFileWriter(std::unique_ptr<Impl> impl);
    std::unique_ptr<Impl> impl_;
};

}  // namespace sf
