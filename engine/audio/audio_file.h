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
// partial file and never damages an existing one. Float files carry no
// PEAK chunk (libsndfile stamps it with the clock): the same samples give the
// same bytes.
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
// A decoded sample at or beyond 2^20 (+120.4 dBFS) is refused as corrupt: a
// float file may go over full scale, but not by a million, and values near
// FLT_MAX overflow to Inf in the first sum or gain.
inline constexpr int kMaxSampleMagnitudeLog2 = 20;
inline constexpr double kMaxSampleMagnitude = 1048576.0;  // 2^kMaxSampleMagnitudeLog2

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

    // Moves on by `frames` output frames without handing them out (a region
    // render starting mid-timeline). What read() returns afterwards is
    // bit-identical to reading from the start: a file at the output rate is
    // seeked, a resampled one decoded and dropped (the resampler's state
    // carries on). Errors as read().
    Result<void> skip(int64_t frames);
    // Whether the file was changed in place since open() (same file, other
    // size or modification time): its blocks may then mix two versions, so a
    // render refuses it (FileRead naming the source). A file replaced
    // (renamed over) or deleted meanwhile is not an error: the open handle
    // still reads the file as it was opened.
    Result<void> check_unchanged() const;

    // Reads the rest of the stream, up to frames(), into one buffer (for
    // short signals: IRs, tests). In blocks: one read() of the whole stream
    // would also need an interleaved scratch as large as the result.
    Result<AudioBuffer> read_rest();
    // Opens `file` and reads the whole stream.
    static Result<AudioBuffer> read_all(const std::filesystem::path& file, const SourceOptions& options);

private:
    struct Impl;
    explicit AudioSource(std::unique_ptr<Impl> impl);
    std::unique_ptr<Impl> impl_;
};

// Lossy formats (mp3, opus, ogg Vorbis) go through libsndfile 1.2's encoders
// (LAME, libopus, libvorbis) as float: no quantisation, no dither, no clipping
// (the codec takes float; the master's limiter and the delivered-file check
// own the level). The rules, measured on libsndfile 1.2.0 (docs/delivery.md):
// - mp3: MPEG-1 Layer III at 32000 / 44100 / 48000 Hz (bit rates
//   kMp3BitratesKbps, default 320), MPEG-2 LSF at 16000 / 22050 / 24000 Hz
//   (kMp3LsfBitratesKbps, default 160); 1–2 channels. bitrate_kbps: constant
//   bit rate (LAME CBR), refused where one frame cannot hold LAME's info tag
//   (e.g. below 64 kbps at 48 kHz stereo: decoders could not remove the
//   encoder delay); quality q: LAME VBR -V 10·(1 − q).
// - opus: 8000 / 12000 / 16000 / 24000 / 48000 Hz; bitrate_kbps is libopus's
//   target (libsndfile 1.2 cannot switch Opus to hard CBR: the file's average
//   lands on the target for programme material), 6–256 kbps per channel;
//   quality q targets 6 + 250·q kbps per channel; default kDefaultOpusBitrateKbps.
// - ogg (Vorbis): 8000–192000 Hz; quality q is Vorbis -q 10·q (VBR);
//   libsndfile 1.2 has no bit-rate mode for Vorbis, so bitrate_kbps is an
//   error; default kDefaultVorbisQuality.
// - bitrate_kbps and quality together are an error.
// Decoding (AudioSource, libsndfile) gives back exactly the frames written,
// time-aligned: LAME's delay and padding are removed through its info tag,
// Opus's pre-skip and end trim through the granule positions.
inline constexpr int kMp3BitratesKbps[] = {32, 40, 48, 56, 64, 80, 96, 112, 128, 160, 192, 224, 256, 320};
inline constexpr int kMp3LsfBitratesKbps[] = {8, 16, 24, 32, 40, 48, 56, 64, 80, 96, 112, 128, 144, 160};
inline constexpr int kDefaultOpusBitrateKbps = 128;
inline constexpr double kDefaultVorbisQuality = 0.6;

// Whether `format` can be written at `sample_rate` (lossy codecs hold only
// some rates; the lossless containers hold any).
bool format_holds_rate(ExportFormat format, int sample_rate);

struct WriteSpec {
    ExportFormat format = ExportFormat::Wav;
    int bit_depth = 24;        // 16, 24: integer PCM; 32: IEEE float; ignored for lossy formats
    int sample_rate = 48000;
    int channels = 2;
    Dither dither = Dither::Tpdf;   // ignored for 32-bit float
    uint64_t dither_seed = 1;       // same seed, same input -> same bits
    std::optional<BextLoudness> bext;  // BWF only: the bext v2 loudness fields
    // Lossy formats (mp3, opus, ogg): the encoder's bit rate (whole stream,
    // all channels), or a variable-rate quality 0..1 (1 = best). Neither: the
    // format's default (above). Ignored for lossless formats.
    std::optional<int> bitrate_kbps;
    std::optional<double> quality;
};

// The writer's format rules without a file (FLAC bit depth, the lossy rules
// above): InvalidArgument whose message names the format, not a file.
Result<void> check_write_spec(const WriteSpec& spec);

class AudioFileWriter {
public:
    // Errors (InvalidArgument, naming `target`): a rate, bit rate or quality
    // the format cannot hold (see the lossy rules above); FileWrite: the
    // folder or file cannot be created.
    static Result<AudioFileWriter> create(const std::filesystem::path& target, const WriteSpec& spec);

    AudioFileWriter(AudioFileWriter&&) noexcept;
    AudioFileWriter& operator=(AudioFileWriter&&) noexcept;
    ~AudioFileWriter();  // without commit(): closes and removes the temporary file

    // Appends frames [0, frames) of each channel of `block`. Samples are
    // clipped to full scale for integer formats (float and lossy formats take
    // them as they are); NaN is an error.
    Result<void> write(const AudioBuffer& block, int64_t frames);

    // Appends `frames` frames of digital silence: exact zeros, not dithered
    // (CD padding after the programme's end).
    Result<void> write_zeros(int64_t frames);

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
