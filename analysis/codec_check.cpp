#include "analysis/codec_check.h"

#include <algorithm>
#include <cmath>
#include <vector>

#include "analysis/loudness.h"
#include "analysis/true_peak.h"
#include "engine/export/codec_roundtrip.h"

namespace sf::analysis {

namespace {

constexpr QcCodecSettings kCodecs[] = {
    {QcCodec::Mp3, "mp3", ExportFormat::Mp3, 320, std::nullopt, "MP3 320 kbps CBR"},
    {QcCodec::Opus, "opus", ExportFormat::Opus, 128, std::nullopt, "Opus 128 kbps"},
    {QcCodec::Vorbis, "vorbis", ExportFormat::Ogg, std::nullopt, 0.6, "Vorbis quality 6"},
};

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
    auto rt = codec_round_trip(in, frames, sample_rate, s.format, s.bitrate_kbps, s.quality, temp_dir);
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
