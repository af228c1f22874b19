#include "engine/audio/audio_file.h"

#include <algorithm>
#include <atomic>
#include <bit>
#include <cmath>
#include <cstring>
#include <optional>
#include <span>
#include <sys/stat.h>
#include <unistd.h>

#include <sndfile.h>

#include "engine/audio/decoder_quiet.h"
#include "engine/audio/ogg_serial.h"
#include "engine/audio/peak_chunk.h"
#include "engine/audio/resampler.h"
#include "engine/audio/riff_lists.h"
#include "engine/core/fault.h"
#include "engine/core/input_file.h"

namespace sf {

namespace {

std::string container_name(int format) {
    switch (format & SF_FORMAT_TYPEMASK) {
        case SF_FORMAT_WAV: return "WAV";
        case SF_FORMAT_WAVEX: return "WAVEX";
        case SF_FORMAT_RF64: return "RF64";
        case SF_FORMAT_AIFF: return "AIFF";
        case SF_FORMAT_FLAC: return "FLAC";
        case SF_FORMAT_OGG: return "OGG";
        case SF_FORMAT_MPEG: return "MPEG";
        case SF_FORMAT_W64: return "W64";
        case SF_FORMAT_CAF: return "CAF";
        default: return "other";
    }
}

std::pair<std::string, int> encoding_name(int format) {
    switch (format & SF_FORMAT_SUBMASK) {
        case SF_FORMAT_PCM_S8: return {"PCM 8-bit", 8};
        case SF_FORMAT_PCM_U8: return {"PCM 8-bit unsigned", 8};
        case SF_FORMAT_PCM_16: return {"PCM 16-bit", 16};
        case SF_FORMAT_PCM_24: return {"PCM 24-bit", 24};
        case SF_FORMAT_PCM_32: return {"PCM 32-bit", 32};
        case SF_FORMAT_FLOAT: return {"float 32-bit", 32};
        case SF_FORMAT_DOUBLE: return {"float 64-bit", 64};
        case SF_FORMAT_VORBIS: return {"Vorbis", 0};
        case SF_FORMAT_OPUS: return {"Opus", 0};
        case SF_FORMAT_MPEG_LAYER_III: return {"MP3", 0};
        case SF_FORMAT_MPEG_LAYER_II: return {"MP2", 0};
        case SF_FORMAT_ULAW: return {"u-law", 8};
        case SF_FORMAT_ALAW: return {"A-law", 8};
        default: return {"other", 0};
    }
}

struct SndfileCloser {
    void operator()(SNDFILE* f) const {
        if (f) sf_close(f);
    }
};
using SndfilePtr = std::unique_ptr<SNDFILE, SndfileCloser>;

Result<std::pair<SndfilePtr, SF_INFO>> open_for_read(const std::filesystem::path& file) {
    std::error_code ec;
    if (!std::filesystem::exists(file, ec)) return fail(ErrorCode::FileNotFound, file.string() + ": no such file");
    if (std::filesystem::is_directory(file, ec)) return fail(ErrorCode::FileRead, file.string() + ": is a directory, not an audio file");
    if (auto ok = require_regular_file(file); !ok) return std::unexpected(ok.error());
    if (std::filesystem::file_size(file, ec) == 0 && !ec) return fail(ErrorCode::FileRead, file.string() + ": file is empty (0 bytes)");
    if (auto lists = check_riff_lists(file); !lists) return std::unexpected(lists.error());  // before libsndfile can hang on them
    SF_INFO info{};
    SndfilePtr handle;
    {
        DecoderQuietScope quiet;  // the format is known only once it is open: any file may be MP3
        handle.reset(sf_open(file.c_str(), SFM_READ, &info));
    }
    if (!handle) {
        // The file exists and is regular (checked above): libsndfile's generic
        // "File does not exist or is not a regular file" would mislead.
        std::string why = sf_strerror(nullptr);
        if (why.find("does not exist") != std::string::npos) why = "not a recognised audio format, or corrupt";
        return fail(ErrorCode::FileRead, file.string() + ": cannot read audio: " + why);
    }
    if (info.frames == SF_COUNT_MAX && info.channels > 0) {
        // "Length unknown": a FLAC whose STREAMINFO says 0 samples, as pipe
        // encoders write it. Count the frames by decoding once, then start
        // again from the top: every reader downstream needs the length.
        std::vector<float> scratch(static_cast<size_t>(info.channels) * 4096);
        sf_count_t frames = 0;
        DecoderQuietScope quiet;
        for (sf_count_t got; (got = sf_readf_float(handle.get(), scratch.data(), 4096)) > 0;) frames += got;
        if (sf_seek(handle.get(), 0, SEEK_SET) != 0) {
            handle.reset(sf_open(file.c_str(), SFM_READ, &info));
            if (!handle) return fail(ErrorCode::FileRead, file.string() + ": cannot read audio: " + sf_strerror(nullptr));
        }
        info.frames = frames;
    }
    if (info.frames <= 0) return fail(ErrorCode::FileRead, file.string() + ": contains no audio frames");
    if (info.channels <= 0 || info.samplerate <= 0)
        return fail(ErrorCode::FileRead, file.string() + ": corrupt header (channels or sample rate is zero)");
    // A rate outside what audio uses is a broken or hostile header: at 1 Hz a
    // 2 KB stem resamples into hours of audio at the session rate, and an IR
    // into a kernel no FFT plan can hold.
    if (info.samplerate < kMinInputSampleRate || info.samplerate > kMaxInputSampleRate)
        return fail(ErrorCode::FileRead, file.string() + ": sample rate " + std::to_string(info.samplerate) + " Hz is outside " +
                                             std::to_string(kMinInputSampleRate) + "–" + std::to_string(kMaxInputSampleRate) + " Hz");
    return std::pair<SndfilePtr, SF_INFO>{std::move(handle), info};
}

// libsndfile quietly clamps a WAV/RF64/AIFF data chunk that claims more bytes
// than the file holds; its log ("data : 9216000 (should be 4607978)") is the
// only trace. A truncated file must be an error, not a shorter stem.
bool log_reports_truncation(SNDFILE* handle) {
    char log[8192] = {0};
    sf_command(handle, SFC_GET_LOG_INFO, log, sizeof(log));
    std::string_view text(log);
    size_t pos = 0;
    while (pos < text.size()) {
        size_t end = text.find('\n', pos);
        if (end == std::string_view::npos) end = text.size();
        std::string_view line = text.substr(pos, end - pos);
        while (!line.empty() && (line.front() == ' ' || line.front() == '\t')) line.remove_prefix(1);
        if (line.starts_with("*** Chunk size") && line.find("> file length") != std::string_view::npos) return true;
        const bool data_chunk = line.starts_with("data") || line.starts_with("SSND");
        if (data_chunk && line.find("should be") != std::string_view::npos) return true;
        pos = end + 1;
    }
    return false;
}

static_assert(kMaxSampleMagnitude == static_cast<double>(int64_t{1} << kMaxSampleMagnitudeLog2));

std::string describe_position(int64_t frame, int rate) {
    char buf[96];
    std::snprintf(buf, sizeof(buf), "frame %lld (%.3f s)", static_cast<long long>(frame),
                  rate > 0 ? static_cast<double>(frame) / rate : 0.0);
    return buf;
}

}  // namespace

Result<AudioInfo> probe_audio(const std::filesystem::path& file) {
    auto opened = open_for_read(file);
    if (!opened) return std::unexpected(opened.error());
    const SF_INFO& si = opened->second;
    AudioInfo info;
    info.sample_rate = si.samplerate;
    info.channels = si.channels;
    info.frames = si.frames;
    info.container = container_name(si.format);
    auto [enc, bits] = encoding_name(si.format);
    info.encoding = enc;
    info.bits = bits;
    if (log_reports_truncation(opened->first.get()))
        return fail(ErrorCode::FileRead, file.string() + ": truncated: the header promises more audio than the file holds");
    return info;
}

// ---------------------------------------------------------------------------
// AudioSource

struct AudioSource::Impl {
    std::filesystem::path file;
    struct stat opened_stat {};  // of `file` at open(), for check_unchanged()
    bool have_stat = false;
    std::string label;
    SndfilePtr handle;
    AudioInfo info;
    int out_rate = 0;
    int64_t out_frames = 0;        // planned length at the output rate
    int64_t out_position = 0;      // frames handed out (real + padding)
    int64_t in_position = 0;       // frames decoded from the file
    bool input_done = false;
    bool flushed = false;
    bool is_mpeg = false;          // decoded by libmpg123, which talks on stderr (decoder_quiet.h)
    std::optional<StreamResampler> resampler;  // only when the rate changes
    std::vector<float> in_scratch;   // interleaved, decoded
    std::vector<float> out_scratch;  // interleaved, resampled
    std::vector<float> pending;      // decoded input soxr has not taken yet
    size_t pending_frames = 0, pending_offset = 0;
    static constexpr int64_t kDecodeChunk = 16384;

    std::string where() const { return label.empty() ? file.string() : label + " (" + file.string() + ")"; }

    // Decodes up to n frames into in_scratch; returns frames decoded.
    Result<int64_t> decode(int64_t n) {
        const int ch = info.channels;
        n = std::min<int64_t>(n, info.frames - in_position);
        if (n <= 0) {
            input_done = true;
            return 0;
        }
        in_scratch.resize(static_cast<size_t>(n * ch));
        sf_count_t got = 0;
        {
            DecoderQuietScope quiet(is_mpeg);
            got = sf_readf_float(handle.get(), in_scratch.data(), n);
        }
        if (got < n) {
            const int err = sf_error(handle.get());
            if (err != SF_ERR_NO_ERROR)
                return fail(ErrorCode::FileRead, where() + ": read error at " + describe_position(in_position + got, info.sample_rate) +
                                                     ": " + sf_strerror(handle.get()));
            return fail(ErrorCode::FileRead, where() + ": truncated: audio ends at " +
                                                 describe_position(in_position + got, info.sample_rate) + " of " +
                                                 std::to_string(info.frames) + " promised by the header");
        }
        // A sample is refused when it is NaN, Inf, or finite but at or beyond
        // kMaxSampleMagnitude: no float file holds real audio at +120 dBFS, and
        // values near FLT_MAX overflow to Inf in the resampler's sums or the
        // first gain stage (fuzz_ir: a float WAV at 3e38 gave an IR with Inf
        // taps). Fast scan first (a compare of exponent bits vectorises; the
        // per-sample branch below does not), then locate the bad sample.
        constexpr uint32_t kExponentLimit = static_cast<uint32_t>(127 + kMaxSampleMagnitudeLog2) << 23;
        uint32_t out_of_range = 0;
        for (int64_t i = 0; i < n * ch; ++i)
            out_of_range |= static_cast<uint32_t>((std::bit_cast<uint32_t>(in_scratch[static_cast<size_t>(i)]) & 0x7f800000u) >= kExponentLimit);
        for (int64_t i = 0; out_of_range && i < n * ch; ++i) {
            const float v = in_scratch[static_cast<size_t>(i)];
            if (std::isfinite(v) && std::fabs(v) < kMaxSampleMagnitude) continue;
            const int64_t frame = in_position + i / ch;
            std::string what;
            if (!std::isfinite(v)) {
                what = std::isnan(v) ? "NaN" : "Inf";
            } else {
                char buf[96];
                std::snprintf(buf, sizeof(buf), "out-of-range (%.3g, %+.0f dBFS; the limit is %+.0f dBFS)", static_cast<double>(v),
                              20.0 * std::log10(std::fabs(static_cast<double>(v))), 20.0 * std::log10(kMaxSampleMagnitude));
                what = buf;
            }
            return fail(ErrorCode::BadAudio, where() + ": " + what + " sample at " + describe_position(frame, info.sample_rate) +
                                                 ", channel " + std::to_string(i % ch + 1));
        }
        in_position += n;
        if (in_position >= info.frames) input_done = true;
        return n;
    }

    // Produces exactly n interleaved frames at the output rate into out_scratch
    // (zeros past the end); returns how many are real.
    Result<int64_t> produce(int64_t n) {
        const int ch = info.channels;
        out_scratch.assign(static_cast<size_t>(n * ch), 0.0f);
        const int64_t real_wanted = std::clamp<int64_t>(out_frames - out_position, 0, n);
        int64_t have = 0;
        if (!resampler) {
            while (have < real_wanted) {
                auto got = decode(real_wanted - have);
                if (!got) return std::unexpected(got.error());
                if (*got == 0) break;
                std::memcpy(out_scratch.data() + have * ch, in_scratch.data(), static_cast<size_t>(*got * ch) * sizeof(float));
                have += *got;
            }
        } else {
            while (have < real_wanted && !flushed) {
                if (pending_offset >= pending_frames && !input_done) {
                    auto got = decode(kDecodeChunk);
                    if (!got) return std::unexpected(got.error());
                    pending.swap(in_scratch);
                    pending_frames = static_cast<size_t>(*got);
                    pending_offset = 0;
                }
                const bool flush_call = pending_offset >= pending_frames;  // input exhausted
                auto step = resampler->process_interleaved(flush_call ? nullptr : pending.data() + pending_offset * ch,
                                                           flush_call ? 0 : pending_frames - pending_offset,
                                                           out_scratch.data() + have * ch, static_cast<size_t>(real_wanted - have));
                if (!step) return fail(step.error().code, where() + ": " + step.error().message);
                pending_offset += step->consumed;
                have += static_cast<int64_t>(step->produced);
                if (flush_call && step->produced == 0) flushed = true;
            }
        }
        // Short by rounding at the very end: the remainder stays zero, counted real.
        out_position += n;
        return real_wanted;
    }
};

AudioSource::AudioSource(std::unique_ptr<Impl> impl) : impl_(std::move(impl)) {}
AudioSource::AudioSource(AudioSource&&) noexcept = default;
AudioSource& AudioSource::operator=(AudioSource&&) noexcept = default;
AudioSource::~AudioSource() = default;

Result<AudioSource> AudioSource::open(const std::filesystem::path& file, const SourceOptions& options) {
    auto opened = open_for_read(file);
    std::string where = options.label.empty() ? file.string() : options.label + " (" + file.string() + ")";
    if (!opened) {
        Error e = opened.error();
        if (!options.label.empty()) e.message = options.label + ": " + e.message;
        return std::unexpected(e);
    }
    auto impl = std::make_unique<Impl>();
    impl->file = file;
    impl->have_stat = ::stat(file.c_str(), &impl->opened_stat) == 0;
    impl->label = options.label;
    impl->handle = std::move(opened->first);
    const SF_INFO& si = opened->second;
    impl->info.sample_rate = si.samplerate;
    impl->info.channels = si.channels;
    impl->info.frames = si.frames;
    impl->is_mpeg = (si.format & SF_FORMAT_TYPEMASK) == SF_FORMAT_MPEG;
    impl->info.container = container_name(si.format);
    std::tie(impl->info.encoding, impl->info.bits) = encoding_name(si.format);
    if (log_reports_truncation(impl->handle.get()))
        return fail(ErrorCode::FileRead, where + ": truncated: the header promises more audio than the file holds");
    if (si.channels > options.max_channels)
        return fail(ErrorCode::NotSupported, where + ": has " + std::to_string(si.channels) +
                                                 " channels; at most " + std::to_string(options.max_channels) +
                                                 (options.max_channels == 2 ? " (mono or stereo)" : "") + " are supported here");
    // Normalised float reads: integer PCM maps to [-1, 1).
    sf_command(impl->handle.get(), SFC_SET_NORM_FLOAT, nullptr, SF_TRUE);
    impl->out_rate = options.target_rate > 0 ? options.target_rate : si.samplerate;
    if (impl->out_rate == si.samplerate) {
        impl->out_frames = si.frames;
    } else {
        impl->out_frames = static_cast<int64_t>(std::llround(static_cast<double>(si.frames) * impl->out_rate / si.samplerate));
        auto r = StreamResampler::create(si.samplerate, impl->out_rate, si.channels);
        if (!r) return fail(r.error().code, where + ": " + r.error().message);
        impl->resampler.emplace(std::move(*r));
    }
    return AudioSource(std::move(impl));
}

const AudioInfo& AudioSource::info() const { return impl_->info; }
int AudioSource::channels() const { return impl_->info.channels; }
int AudioSource::sample_rate() const { return impl_->out_rate; }
int64_t AudioSource::frames() const { return impl_->out_frames; }

Result<int64_t> AudioSource::read(AudioBuffer& out, int64_t frames) {
    assert(out.channels() == channels() && out.frames() >= frames);
    auto real = impl_->produce(frames);
    if (!real) return real;
    const int ch = channels();
    const float* src = impl_->out_scratch.data();
    for (int c = 0; c < ch; ++c) {
        float* dst = out.channel(c);
        for (int64_t i = 0; i < frames; ++i) dst[i] = src[i * ch + c];
    }
    return real;
}

Result<void> AudioSource::skip(int64_t frames) {
    Impl& s = *impl_;
    if (frames <= 0) return {};
    if (!s.resampler && s.out_position == s.in_position && frames <= s.info.frames - s.in_position &&
        sf_seek(s.handle.get(), s.in_position + frames, SEEK_SET) >= 0) {
        s.in_position += frames;
        s.out_position += frames;
        if (s.in_position >= s.info.frames) s.input_done = true;
        return {};
    }
    while (frames > 0) {
        const int64_t n = std::min<int64_t>(frames, Impl::kDecodeChunk);
        if (auto got = s.produce(n); !got) return std::unexpected(got.error());
        frames -= n;
    }
    return {};
}

Result<void> AudioSource::check_unchanged() const {
    struct stat now {};
    if (!impl_->have_stat || ::stat(impl_->file.c_str(), &now) != 0) return {};  // deleted: the handle read it whole
    const struct stat& then = impl_->opened_stat;
    if (now.st_dev != then.st_dev || now.st_ino != then.st_ino) return {};  // replaced: likewise
    if (now.st_size == then.st_size && now.st_mtim.tv_sec == then.st_mtim.tv_sec && now.st_mtim.tv_nsec == then.st_mtim.tv_nsec)
        return {};
    return fail(ErrorCode::FileRead, impl_->where() + ": changed while the render read it (" + std::to_string(then.st_size) + " bytes at open, " +
                                         std::to_string(now.st_size) + " now); render again once it is final");
}

Result<AudioBuffer> AudioSource::read_rest() {
    const int64_t total = std::max<int64_t>(0, frames() - impl_->out_position);
    AudioBuffer buffer(channels(), total);
    constexpr int64_t kBlock = int64_t{1} << 16;
    AudioBuffer block(channels(), std::min(kBlock, total));
    for (int64_t at = 0; at < total; at += kBlock) {
        const int64_t n = std::min(kBlock, total - at);
        if (auto got = read(block, n); !got) return std::unexpected(got.error());
        for (int c = 0; c < channels(); ++c) std::copy_n(block.channel(c), n, buffer.channel(c) + at);
    }
    return buffer;
}

Result<AudioBuffer> AudioSource::read_all(const std::filesystem::path& file, const SourceOptions& options) {
    auto source = AudioSource::open(file, options);
    if (!source) return std::unexpected(source.error());
    return source->read_rest();
}

// ---------------------------------------------------------------------------
// AudioFileWriter

bool format_holds_rate(ExportFormat format, int sample_rate) {
    switch (format) {
        case ExportFormat::Mp3:
            return sample_rate == 16000 || sample_rate == 22050 || sample_rate == 24000 || sample_rate == 32000 || sample_rate == 44100 ||
                   sample_rate == 48000;
        case ExportFormat::Opus:
            return sample_rate == 8000 || sample_rate == 12000 || sample_rate == 16000 || sample_rate == 24000 || sample_rate == 48000;
        case ExportFormat::Ogg: return sample_rate >= 8000 && sample_rate <= 192000;
        default: return sample_rate > 0;
    }
}

namespace {

std::string rates_held(ExportFormat format) {
    switch (format) {
        case ExportFormat::Mp3: return "16000, 22050, 24000, 32000, 44100 or 48000 Hz";
        case ExportFormat::Opus: return "8000, 12000, 16000, 24000 or 48000 Hz";
        case ExportFormat::Ogg: return "8000 to 192000 Hz";
        default: return "any rate";
    }
}

// The encoder settings of a lossy export, as libsndfile 1.2 takes them: a
// compression level (0 = best .. 1 = smallest) and, for LAME, a bit-rate mode.
struct LossySettings {
    double compression_level = 0.0;
    std::optional<int> bitrate_mode;  // SF_BITRATE_MODE_*; LAME only
};

// Errors name the format, not the file (the caller adds it).
Result<LossySettings> lossy_settings(const WriteSpec& spec) {
    const std::string where = std::string(to_string(spec.format)) + ": ";
    if (spec.bitrate_kbps && spec.quality)
        return fail(ErrorCode::InvalidArgument, where + "give bitrate_kbps or quality, not both");
    if (spec.quality && !(*spec.quality >= 0.0 && *spec.quality <= 1.0))
        return fail(ErrorCode::InvalidArgument, where + "quality " + std::to_string(*spec.quality) + " is outside 0..1");
    if (!format_holds_rate(spec.format, spec.sample_rate))
        return fail(ErrorCode::InvalidArgument, where + "cannot hold " + std::to_string(spec.sample_rate) + " Hz; it holds " +
                                                    rates_held(spec.format));
    LossySettings s;
    switch (spec.format) {
        case ExportFormat::Mp3: {
            if (spec.channels > 2) return fail(ErrorCode::InvalidArgument, where + "holds mono or stereo only");
            if (spec.quality) {
                // LAME VBR: libsndfile sets -V to 10 x level.
                s.compression_level = 1.0 - *spec.quality;
                s.bitrate_mode = SF_BITRATE_MODE_VARIABLE;
                break;
            }
            // libsndfile 1.2: kbps = (int)(top - level * (top - bottom)), with
            // [32, 320] for MPEG-1 rates and [8, 160] for the MPEG-2 LSF ones.
            const bool lsf = spec.sample_rate < 32000;
            const std::span<const int> allowed = lsf ? std::span<const int>(kMp3LsfBitratesKbps) : std::span<const int>(kMp3BitratesKbps);
            const double top = lsf ? 160.0 : 320.0, bottom = lsf ? 8.0 : 32.0;
            const int kbps = spec.bitrate_kbps.value_or(static_cast<int>(top));
            if (std::find(allowed.begin(), allowed.end(), kbps) == allowed.end()) {
                std::string list;
                for (int b : allowed) list += (list.empty() ? "" : ", ") + std::to_string(b);
                return fail(ErrorCode::InvalidArgument, where + "bitrate_kbps " + std::to_string(kbps) + " is not an " +
                                                            (lsf ? "MPEG-2 (LSF)" : "MPEG-1") + " Layer III bit rate at " +
                                                            std::to_string(spec.sample_rate) + " Hz (" + list + ")");
            }
            // LAME writes its info tag (encoder delay and padding, which make
            // decoders give back exactly the frames written) into one frame at
            // the CBR rate, and leaves it out when the frame is too small:
            // 4 header + side info + 156 bytes (measured on LAME 3.100 at every
            // rate and bit rate libsndfile writes). Without it a decode is
            // longer and late by LAME's delay, so such a bit rate is refused.
            auto holds_info_tag = [&](int b) {
                const int frame_bytes = static_cast<int>((lsf ? 72LL : 144LL) * b * 1000 / spec.sample_rate);
                const int side_info = lsf ? (spec.channels == 1 ? 9 : 17) : (spec.channels == 1 ? 17 : 32);
                return frame_bytes >= 4 + side_info + 156;
            };
            if (!holds_info_tag(kbps)) {
                const auto lowest = std::find_if(allowed.begin(), allowed.end(), holds_info_tag);
                return fail(ErrorCode::InvalidArgument, where + "bitrate_kbps " + std::to_string(kbps) + " at " +
                                                            std::to_string(spec.sample_rate) +
                                                            " Hz leaves no room for LAME's info tag (encoder delay and padding), "
                                                            "so decoders could not give back the exact length; the lowest is " +
                                                            std::to_string(*lowest) + " kbps");
            }
            // The half-kbps offset keeps the truncation on `kbps`, never one below.
            s.compression_level = std::clamp((top - kbps - 0.5) / (top - bottom), 0.0, 1.0);
            s.bitrate_mode = SF_BITRATE_MODE_CONSTANT;
            break;
        }
        case ExportFormat::Opus: {
            // libsndfile 1.2: bps = (int)((1 - level) * 250000 + 6000) * channels,
            // i.e. 6..256 kbps per channel.
            double per_channel_bps = 0.0;
            if (spec.quality) {
                per_channel_bps = 6000.0 + *spec.quality * 250000.0;
            } else {
                const int kbps = spec.bitrate_kbps.value_or(kDefaultOpusBitrateKbps);
                const int64_t bps = int64_t{kbps} * 1000;
                if (bps % spec.channels != 0 || bps / spec.channels < 6000 || bps / spec.channels > 256000)
                    return fail(ErrorCode::InvalidArgument, where + "bitrate_kbps " + std::to_string(kbps) + " is outside " +
                                                                std::to_string(6 * spec.channels) + ".." +
                                                                std::to_string(256 * spec.channels) + " for " +
                                                                std::to_string(spec.channels) + " channel(s) (6..256 kbps each)");
                per_channel_bps = static_cast<double>(bps / spec.channels) + 0.5;
            }
            s.compression_level = std::clamp(1.0 - (per_channel_bps - 6000.0) / 250000.0, 0.0, 1.0);
            break;
        }
        case ExportFormat::Ogg:
            if (spec.bitrate_kbps)
                return fail(ErrorCode::InvalidArgument, where + "Vorbis is written at a quality (variable bit rate) only: "
                                                            "use quality (0..1) instead of bitrate_kbps");
            // libsndfile 1.2: Vorbis quality = 1 - level.
            s.compression_level = 1.0 - spec.quality.value_or(kDefaultVorbisQuality);
            break;
        default: assert(false && "lossy_settings: not a lossy format");
    }
    return s;
}

}  // namespace

Result<void> check_write_spec(const WriteSpec& spec) {
    if (spec.format == ExportFormat::Flac && spec.bit_depth == 32)
        return fail(ErrorCode::InvalidArgument, "FLAC holds integer PCM only (16 or 24 bit)");
    if (is_lossy(spec.format))
        if (auto ls = lossy_settings(spec); !ls) return std::unexpected(ls.error());
    return {};
}

struct AudioFileWriter::Impl {
    std::filesystem::path target;
    std::filesystem::path temp;
    WriteSpec spec;
    SndfilePtr handle;
    std::vector<Quantizer> quantizers;
    std::vector<int32_t> ints;
    std::vector<float> floats;
    bool write_float = false;  // 32-bit float and lossy formats: no quantiser
    int64_t frames_written = 0;
    bool committed = false;

    ~Impl() {
        if (!committed) {
            handle.reset();
            std::error_code ec;
            if (!temp.empty()) std::filesystem::remove(temp, ec);
        }
    }
};

AudioFileWriter::AudioFileWriter(std::unique_ptr<Impl> impl) : impl_(std::move(impl)) {}
AudioFileWriter::AudioFileWriter(AudioFileWriter&&) noexcept = default;
AudioFileWriter& AudioFileWriter::operator=(AudioFileWriter&&) noexcept = default;
AudioFileWriter::~AudioFileWriter() = default;

Result<AudioFileWriter> AudioFileWriter::create(const std::filesystem::path& target, const WriteSpec& spec) {
    assert(spec.channels > 0 && spec.sample_rate > 0);
    int major = SF_FORMAT_WAV;
    switch (spec.format) {
        case ExportFormat::Wav:
        case ExportFormat::Bwf: major = SF_FORMAT_WAV; break;
        case ExportFormat::Rf64: major = SF_FORMAT_RF64; break;
        case ExportFormat::Aiff: major = SF_FORMAT_AIFF; break;
        case ExportFormat::Flac: major = SF_FORMAT_FLAC; break;
        case ExportFormat::Mp3: major = SF_FORMAT_MPEG; break;
        case ExportFormat::Opus:
        case ExportFormat::Ogg: major = SF_FORMAT_OGG; break;
    }
    int sub = spec.bit_depth == 16 ? SF_FORMAT_PCM_16 : spec.bit_depth == 24 ? SF_FORMAT_PCM_24 : SF_FORMAT_FLOAT;
    if (spec.format == ExportFormat::Mp3) sub = SF_FORMAT_MPEG_LAYER_III;
    if (spec.format == ExportFormat::Opus) sub = SF_FORMAT_OPUS;
    if (spec.format == ExportFormat::Ogg) sub = SF_FORMAT_VORBIS;
    const bool lossy = is_lossy(spec.format);
    if (auto ok = check_write_spec(spec); !ok) return fail(ok.error().code, target.string() + ": " + ok.error().message);
    std::optional<LossySettings> lossy_config;
    if (lossy) lossy_config = *lossy_settings(spec);

    std::error_code ec;
    std::filesystem::path dir = target.parent_path();
    if (dir.empty()) dir = ".";
    if (std::filesystem::is_directory(target, ec))
        return fail(ErrorCode::FileWrite, target.string() + ": is a directory, not a file name");
    std::filesystem::create_directories(dir, ec);
    if (ec) return fail(ErrorCode::FileWrite, target.string() + ": cannot create folder " + dir.string() + ": " + ec.message());

    static std::atomic<unsigned> counter{0};
    auto impl = std::make_unique<Impl>();
    impl->target = target;
    // (built with += : GCC 12 warns falsely on "literal" + std::string&&)
    std::string temp_name = ".";
    temp_name += target.filename().string();
    temp_name += ".part-" + std::to_string(::getpid()) + "-" + std::to_string(counter.fetch_add(1));
    impl->temp = dir / temp_name;
    impl->spec = spec;
    impl->write_float = lossy || spec.bit_depth == 32;

    SF_INFO info{};
    info.samplerate = spec.sample_rate;
    info.channels = spec.channels;
    info.format = major | sub;
    if (!sf_format_check(&info))
        return fail(ErrorCode::InvalidArgument, target.string() + ": libsndfile " + sf_version_string() + " cannot write " +
                                                    to_string(spec.format) + " at " + std::to_string(spec.sample_rate) + " Hz, " +
                                                    std::to_string(spec.channels) + " channel(s)");
    if (const int e = fault::io_error(fault::IoOp::Create, impl->temp))
        return fail(ErrorCode::FileWrite, target.string() + ": cannot create output: " + std::strerror(e));
    impl->handle.reset(sf_open(impl->temp.c_str(), SFM_WRITE, &info));
    if (!impl->handle)
        return fail(ErrorCode::FileWrite, target.string() + ": cannot create output: " + sf_strerror(nullptr));
    if (lossy_config) {
        // The level first: setting the mode re-applies the saved level (LAME),
        // and both must precede the first write.
        double level = lossy_config->compression_level;
        if (sf_command(impl->handle.get(), SFC_SET_COMPRESSION_LEVEL, &level, sizeof(level)) != SF_TRUE)
            return fail(ErrorCode::FileWrite, target.string() + ": the " + to_string(spec.format) +
                                                  " encoder refused its bit rate / quality setting");
        if (lossy_config->bitrate_mode) {
            int mode = *lossy_config->bitrate_mode;
            if (sf_command(impl->handle.get(), SFC_SET_BITRATE_MODE, &mode, sizeof(mode)) != SF_TRUE)
                return fail(ErrorCode::FileWrite, target.string() + ": the " + to_string(spec.format) +
                                                      " encoder refused its bit-rate mode");
        }
    }

    if (spec.format == ExportFormat::Bwf) {
        SF_BROADCAST_INFO bext{};
        std::snprintf(bext.description, sizeof(bext.description), "%s", "Stemforge master");
        std::snprintf(bext.originator, sizeof(bext.originator), "%s", "Stemforge");
        bext.version = 2;
        // EBU Tech 3285 v2: loudness fields are value x 100; 0x7fff marks "not measured".
        auto field = [](std::optional<double> v) -> int16_t {
            if (!v || !std::isfinite(*v)) return 0x7fff;
            return static_cast<int16_t>(std::lround(std::clamp(*v, -327.0, 327.0) * 100.0));
        };
        const auto& b = spec.bext;
        bext.loudness_value = field(b ? std::optional(b->integrated_lufs) : std::nullopt);
        bext.loudness_range = field(b ? std::optional(b->loudness_range_lu) : std::nullopt);
        bext.max_true_peak_level = field(b ? std::optional(b->max_true_peak_dbtp) : std::nullopt);
        bext.max_momentary_loudness = field(b ? std::optional(b->max_momentary_lufs) : std::nullopt);
        bext.max_shortterm_loudness = field(b ? std::optional(b->max_short_term_lufs) : std::nullopt);
        bext.coding_history_size = 0;
        if (sf_command(impl->handle.get(), SFC_SET_BROADCAST_INFO, &bext, sizeof(bext)) != SF_TRUE)
            return fail(ErrorCode::FileWrite, target.string() + ": cannot write the BWF bext chunk");
    }
    if (!impl->write_float) {
        for (int c = 0; c < spec.channels; ++c)
            impl->quantizers.emplace_back(spec.bit_depth, spec.dither, spec.dither_seed * 0x9E3779B97F4A7C15ULL + static_cast<uint64_t>(c));
    }
    return AudioFileWriter(std::move(impl));
}

Result<void> AudioFileWriter::write(const AudioBuffer& block, int64_t frames) {
    Impl& w = *impl_;
    assert(block.channels() == w.spec.channels && block.frames() >= frames);
    const int ch = w.spec.channels;
    for (int c = 0; c < ch; ++c) {
        const float* src = block.channel(c);
        for (int64_t i = 0; i < frames; ++i)
            if (!std::isfinite(src[i]))
                return fail(ErrorCode::BadAudio, w.target.string() + ": refusing to write a non-finite sample at " +
                                                     describe_position(w.frames_written + i, w.spec.sample_rate));
    }
    if (const int e = fault::io_error(fault::IoOp::Write, w.temp))
        return fail(ErrorCode::FileWrite, w.target.string() + ": write failed: " + std::strerror(e));
    // libsndfile 1.2.0 with libvorbis crashes inside vorbis_analysis_wrote on
    // one write of about 2M frames or more (a 45 s stereo buffer handed over
    // whole, as codec_round_trip does): pass it bounded pieces.
    constexpr int64_t kMaxWriteFrames = 65536;
    auto write_pieces = [&](auto write_fn, const auto* data) {
        sf_count_t done = 0;
        while (done < frames) {
            const sf_count_t n = std::min<int64_t>(kMaxWriteFrames, frames - done);
            const sf_count_t got = write_fn(w.handle.get(), data + done * ch, n);
            done += got;
            if (got != n) break;
        }
        return done;
    };
    sf_count_t wrote = 0;
    if (w.write_float) {
        w.floats.resize(static_cast<size_t>(frames * ch));
        for (int c = 0; c < ch; ++c) {
            const float* src = block.channel(c);
            for (int64_t i = 0; i < frames; ++i) w.floats[static_cast<size_t>(i * ch + c)] = src[i];
        }
        wrote = write_pieces(sf_writef_float, w.floats.data());
    } else {
        w.ints.resize(static_cast<size_t>(frames * ch));
        // Interleaved (frame-major) for sf_writef_int, filled channel by channel:
        // each channel's own quantiser (dither stream, error feedback) runs in time order.
        for (int c = 0; c < ch; ++c) {
            const float* src = block.channel(c);
            Quantizer& q = w.quantizers[static_cast<size_t>(c)];
            for (int64_t i = 0; i < frames; ++i) w.ints[static_cast<size_t>(i * ch + c)] = q.quantize(src[i]);
        }
        wrote = write_pieces(sf_writef_int, w.ints.data());
    }
    if (wrote != frames)
        return fail(ErrorCode::FileWrite, w.target.string() + ": write failed: " + sf_strerror(w.handle.get()));
    w.frames_written += frames;
    return {};
}

Result<void> AudioFileWriter::write_zeros(int64_t frames) {
    Impl& w = *impl_;
    w.ints.assign(static_cast<size_t>(frames * w.spec.channels), 0);
    if (sf_writef_int(w.handle.get(), w.ints.data(), frames) != frames)
        return fail(ErrorCode::FileWrite, w.target.string() + ": write failed: " + sf_strerror(w.handle.get()));
    w.frames_written += frames;
    return {};
}

Result<void> AudioFileWriter::commit() {
    Impl& w = *impl_;
    assert(!w.committed);
    sf_write_sync(w.handle.get());
    const int close_err = sf_close(w.handle.release());
    if (close_err != 0)
        return fail(ErrorCode::FileWrite, w.target.string() + ": cannot finish the file: " + sf_error_number(close_err));
    // libsndfile's Ogg serial number comes from the clock (ogg_serial.h): one
    // from the export's seed instead, so a render is bit-identical run to run.
    if (w.spec.format == ExportFormat::Ogg || w.spec.format == ExportFormat::Opus)
        if (auto ok = set_ogg_serials(w.temp, static_cast<uint32_t>((w.spec.dither_seed * 0x9E3779B97F4A7C15ULL) >> 32)); !ok)
            return fail(ErrorCode::FileWrite, w.target.string() + ": " + ok.error().message);
    // Its float WAV/RF64/AIFF files carry a PEAK chunk stamped with the time
    // of writing (peak_chunk.h): stamped 0 instead.
    if (w.write_float && w.spec.bit_depth == 32)
        if (auto ok = clear_peak_timestamp(w.temp); !ok) return fail(ErrorCode::FileWrite, w.target.string() + ": " + ok.error().message);
    std::error_code ec;
    if (const int e = fault::io_error(fault::IoOp::Rename, w.temp, w.target)) ec.assign(e, std::generic_category());
    else std::filesystem::rename(w.temp, w.target, ec);
    if (ec) return fail(ErrorCode::FileWrite, w.target.string() + ": cannot move the finished file into place: " + ec.message());
    w.committed = true;
    return {};
}

const std::filesystem::path& AudioFileWriter::target() const { return impl_->target; }
int64_t AudioFileWriter::frames_written() const { return impl_->frames_written; }

}  // namespace sf
