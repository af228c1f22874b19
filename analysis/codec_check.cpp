#include "analysis/codec_check.h"

#include <unistd.h>

#include <algorithm>
#include <atomic>
#include <cmath>
#include <vector>

#include "analysis/loudness.h"
#include "analysis/true_peak.h"
#include "engine/audio/audio_file.h"
#include "engine/audio/resampler.h"

namespace sf::analysis {

namespace {

constexpr QcCodecSettings kCodecs[] = {
    {QcCodec::Mp3, "mp3", ExportFormat::Mp3, 320, std::nullopt, "MP3 320 kbps CBR"},
    {QcCodec::Opus, "opus", ExportFormat::Opus, 128, std::nullopt, "Opus 128 kbps"},
    {QcCodec::Vorbis, "vorbis", ExportFormat::Ogg, std::nullopt, 0.6, "Vorbis quality 6"},
};

struct RoundTrip {
    AudioBuffer decoded;
    int sample_rate = 0;
    int64_t frames = 0;
};

// Opus streams exist at 8, 12, 16, 24 and 48 kHz only (libsndfile refuses
// other rates): other sources are resampled to 48 kHz first, as an encoder
// front end would.
bool opus_rate(int rate) { return rate == 8000 || rate == 12000 || rate == 16000 || rate == 24000 || rate == 48000; }

Result<AudioBuffer> resample(const AudioBuffer& in, int64_t frames, int from, int to) {
    auto rs = StreamResampler::create(from, to, in.channels());
    if (!rs) return std::unexpected(rs.error());
    AudioBuffer out, tail;
    if (auto r = rs->process(in, frames, out); !r) return std::unexpected(r.error());
    if (auto r = rs->finish(tail); !r) return std::unexpected(r.error());
    AudioBuffer all(in.channels(), out.frames() + tail.frames());
    for (int c = 0; c < in.channels(); ++c) {
        std::copy(out.channel(c), out.channel(c) + out.frames(), all.channel(c));
        std::copy(tail.channel(c), tail.channel(c) + tail.frames(), all.channel(c) + out.frames());
    }
    return all;
}

// Encode to a file in temp_dir through the project's one writer, decode it
// through the one reader, remove it.
Result<RoundTrip> round_trip(const AudioBuffer& in, int64_t frames, int sample_rate, const QcCodecSettings& s, const std::filesystem::path& temp_dir) {
    const AudioBuffer* src = &in;
    AudioBuffer resampled;
    int rate = sample_rate;
    if (s.codec == QcCodec::Opus && !opus_rate(rate)) {
        auto r = resample(in, frames, sample_rate, 48000);
        if (!r) return std::unexpected(r.error());
        resampled = std::move(*r);
        src = &resampled;
        frames = resampled.frames();
        rate = 48000;
    }
    static std::atomic<unsigned> counter{0};
    const auto file = temp_dir / (".stemforge-qc-" + std::to_string(::getpid()) + "-" + std::to_string(counter.fetch_add(1)) + "." +
                                  (s.codec == QcCodec::Mp3 ? "mp3" : s.codec == QcCodec::Opus ? "opus" : "ogg"));
    struct Remove {
        std::filesystem::path p;
        ~Remove() {
            std::error_code ec;
            std::filesystem::remove(p, ec);
        }
    } remove{file};
    WriteSpec spec;
    spec.format = s.format;
    spec.sample_rate = rate;
    spec.channels = src->channels();
    spec.bit_depth = 32;
    spec.bitrate_kbps = s.bitrate_kbps;
    spec.quality = s.quality;
    auto writer = AudioFileWriter::create(file, spec);
    if (!writer) return std::unexpected(writer.error());
    // Blocks: libvorbis (through libsndfile 1.2.0) crashes in
    // vorbis_analysis_wrote when one write holds a few million frames.
    constexpr int64_t kBlock = 16384;
    AudioBuffer block(src->channels(), kBlock);
    for (int64_t pos = 0; pos < frames; pos += kBlock) {
        const int64_t n = std::min(kBlock, frames - pos);
        for (int c = 0; c < src->channels(); ++c) std::copy(src->channel(c) + pos, src->channel(c) + pos + n, block.channel(c));
        if (auto r = writer->write(block, n); !r) return std::unexpected(r.error());
    }
    if (auto r = writer->commit(); !r) return std::unexpected(r.error());
    SourceOptions so;
    so.max_channels = src->channels();
    auto decoded = AudioSource::read_all(file, so);
    if (!decoded) return std::unexpected(decoded.error());
    RoundTrip out;
    out.sample_rate = rate;
    out.frames = decoded->frames();
    out.decoded = std::move(*decoded);
    return out;
}

}  // namespace

std::span<const QcCodecSettings> qc_codecs() { return kCodecs; }

const QcCodecSettings& qc_codec_settings(QcCodec codec) {
    for (const auto& c : kCodecs)
        if (c.codec == codec) return c;
    return kCodecs[0];
}

std::optional<QcCodec> qc_codec_from_name(std::string_view name) {
    for (const auto& c : kCodecs)
        if (name == c.name) return c.codec;
    return std::nullopt;
}

CodecMeasure measure_codec(const AudioBuffer& in, int64_t frames, int sample_rate, QcCodec codec, std::optional<double> source_integrated_lufs,
                           const std::filesystem::path& temp_dir) {
    CodecMeasure m;
    m.codec = codec;
    const QcCodecSettings& s = qc_codec_settings(codec);
    auto rt = round_trip(in, frames, sample_rate, s, temp_dir);
    if (!rt) {
        m.error = std::string(s.description) + " round trip failed: " + rt.error().message;
        return m;
    }
    m.sample_rate = rt->sample_rate;
    m.frames = rt->frames;
    const AudioBuffer& d = rt->decoded;
    const int ch = d.channels();
    const auto ptrs = d.channel_pointers();
    auto tp = TruePeakMeter::create(ch);
    LoudnessOptions lo;
    lo.sample_rate = rt->sample_rate;
    lo.channels = ch;
    auto loud = LoudnessMeter::create(lo);
    if (!tp || !loud) {
        m.error = std::string(s.description) + ": cannot measure the decoded stream: " + (!tp ? tp.error().message : loud.error().message);
        return m;
    }
    // Blocks keep the meters' scratch small (they size it to the block).
    constexpr int64_t kBlock = 65536;
    std::vector<const float*> at(ptrs.size());
    for (int64_t pos = 0; pos < d.frames(); pos += kBlock) {
        const int64_t n = std::min(kBlock, d.frames() - pos);
        for (size_t c = 0; c < ptrs.size(); ++c) at[c] = ptrs[c] + pos;
        tp->add(std::span<const float* const>(at), n);
        loud->add(std::span<const float* const>(at), n);
    }
    m.true_peak_dbtp = tp->true_peak_dbtp();
    for (int c = 0; c < ch; ++c) {
        const float* x = d.channel(c);
        for (int64_t i = 0; i < d.frames(); ++i) m.clipped_samples += std::abs(x[i]) > 1.0f;
    }
    m.integrated_lufs = loud->integrated_lufs();
    if (m.integrated_lufs && source_integrated_lufs) m.loudness_change_lu = *m.integrated_lufs - *source_integrated_lufs;
    return m;
}

}  // namespace sf::analysis
