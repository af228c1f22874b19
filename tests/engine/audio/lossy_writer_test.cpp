// Lossy writing (mp3, opus, ogg Vorbis through libsndfile), checked by ffmpeg
// and ffprobe: the container's rate, channels and length, the delivered bit
// rate against the asked one, the alignment of ffmpeg's own decode (which
// handles encoder delay and padding itself), and the rules that refuse what
// a codec cannot hold.
#include <gtest/gtest.h>

#include <cmath>
#include <numbers>

#include "engine/audio/audio_file.h"
#include "engine/core/random.h"
#include "tests/support/codec_oracle.h"
#include "tests/support/test_support.h"

namespace sf {
namespace {

using test::TempDir;

// Programme-like content: tones plus a noise floor at -30 dBFS, so a VBR
// encoder has something to spend its bits on (silence would undershoot any
// target), R different from L.
AudioBuffer programme(int channels, int64_t frames, int rate) {
    AudioBuffer b(channels, frames);
    Random rng(42);
    for (int c = 0; c < channels; ++c)
        for (int64_t i = 0; i < frames; ++i) {
            const double t = static_cast<double>(i) / rate, ph = 0.9 * c;
            b.channel(c)[i] = static_cast<float>(0.2 * std::sin(2 * std::numbers::pi * 220.0 * t + ph) +
                                                 0.12 * std::sin(2 * std::numbers::pi * 1500.0 * t + 2 * ph) + 0.03 * rng.bipolar());
        }
    return b;
}

std::filesystem::path write(const TempDir& dir, const std::string& name, const WriteSpec& ws, const AudioBuffer& b) {
    const auto file = dir / name;
    auto w = AudioFileWriter::create(file, ws);
    EXPECT_TRUE(w) << w.error().message;
    if (!w) return file;
    // In odd-sized blocks, as a render writes.
    for (int64_t at = 0; at < b.frames();) {
        const int64_t n = std::min<int64_t>(4097, b.frames() - at);
        AudioBuffer block(b.channels(), n);
        for (int c = 0; c < b.channels(); ++c) std::copy_n(b.channel(c) + at, n, block.channel(c));
        EXPECT_TRUE(w->write(block, n));
        at += n;
    }
    EXPECT_TRUE(w->commit());
    return file;
}

WriteSpec lossy(ExportFormat f, int rate, std::optional<int> kbps, std::optional<double> q, int channels = 2) {
    WriteSpec ws;
    ws.format = f;
    ws.sample_rate = rate;
    ws.channels = channels;
    ws.bitrate_kbps = kbps;
    ws.quality = q;
    return ws;
}

// What ffprobe says of the first stream, and ffmpeg's decode against the input.
struct Probe {
    std::string codec;
    int sample_rate = 0, channels = 0;
    int64_t stream_bit_rate = 0, format_bit_rate = 0;
    int64_t decoded_frames = 0, lag = 0;
};

Probe probe(const std::filesystem::path& file, const AudioBuffer& input) {
    Probe p;
    const auto j = test::ffprobe(file);
    if (j.is_null()) return p;
    const auto& st = j["streams"][0];
    p.codec = st["codec_name"].get<std::string>();
    p.sample_rate = std::stoi(st["sample_rate"].get<std::string>());
    p.channels = st["channels"].get<int>();
    if (st.contains("bit_rate")) p.stream_bit_rate = std::stoll(st["bit_rate"].get<std::string>());
    if (j["format"].contains("bit_rate")) p.format_bit_rate = std::stoll(j["format"]["bit_rate"].get<std::string>());
    int rate = 0;
    const AudioBuffer d = test::ffmpeg_decode(file, &rate);
    p.decoded_frames = d.frames();
    if (rate == p.sample_rate && d.frames() > 0) p.lag = test::best_lag(d, input, 64);
    return p;
}

struct CbrCase {
    int rate, kbps;
};

class Mp3Cbr : public ::testing::TestWithParam<CbrCase> {};

// LAME CBR: every frame carries the asked bit rate; ffprobe reads it from
// the frame headers. The file's average (format bit_rate) adds only the
// LAME info frame.
TEST_P(Mp3Cbr, DeliversTheAskedBitRateAtTheRateAndLength) {
    const auto [rate, kbps] = GetParam();
    TempDir dir;
    const int64_t frames = 3 * rate + 777;
    const AudioBuffer in = programme(2, frames, rate);
    const auto file = write(dir, "x.mp3", lossy(ExportFormat::Mp3, rate, kbps, std::nullopt), in);
    const Probe p = probe(file, in);
    EXPECT_EQ(p.codec, "mp3");
    EXPECT_EQ(p.sample_rate, rate);
    EXPECT_EQ(p.channels, 2);
    EXPECT_EQ(p.stream_bit_rate, kbps * 1000);
    EXPECT_NEAR(static_cast<double>(p.format_bit_rate), kbps * 1000.0, kbps * 1000.0 * 0.02);
    EXPECT_EQ(p.decoded_frames, frames) << "ffmpeg removes LAME's delay and padding";
    EXPECT_EQ(p.lag, 0);
}

INSTANTIATE_TEST_SUITE_P(Rates, Mp3Cbr,
                         ::testing::Values(CbrCase{48000, 320}, CbrCase{44100, 320}, CbrCase{48000, 128}, CbrCase{32000, 48}, CbrCase{48000, 64},
                                           CbrCase{22050, 64}, CbrCase{16000, 160}),
                         [](const auto& info) {
                             return std::to_string(info.param.rate) + "_" + std::to_string(info.param.kbps) + "kbps";
                         });

TEST(LossyWriter, Mp3QualityIsVariableBitRate) {
    TempDir dir;
    const AudioBuffer in = programme(2, 3 * 48000, 48000);
    const Probe hi = probe(write(dir, "hi.mp3", lossy(ExportFormat::Mp3, 48000, std::nullopt, 0.9), in), in);
    const Probe lo = probe(write(dir, "lo.mp3", lossy(ExportFormat::Mp3, 48000, std::nullopt, 0.2), in), in);
    // -V1 spends clearly more than -V8 on the same programme.
    EXPECT_GT(hi.format_bit_rate, lo.format_bit_rate * 3 / 2);
    EXPECT_EQ(hi.decoded_frames, 3 * 48000);
    EXPECT_EQ(hi.lag, 0);
}

// Opus through libsndfile 1.2 is libopus's VBR at the asked target: the
// file's average, Ogg overhead included, lands within 10 % on programme.
TEST(LossyWriter, OpusDeliversItsTargetBitRate) {
    TempDir dir;
    const AudioBuffer in = programme(2, 5 * 48000, 48000);
    for (int kbps : {64, 128, 256}) {
        const Probe p = probe(write(dir, "x" + std::to_string(kbps) + ".opus", lossy(ExportFormat::Opus, 48000, kbps, std::nullopt), in), in);
        EXPECT_EQ(p.codec, "opus");
        EXPECT_EQ(p.sample_rate, 48000);
        EXPECT_EQ(p.channels, 2);
        std::printf("opus %d kbps: file average %.1f kbps\n", kbps, p.format_bit_rate / 1000.0);
        EXPECT_NEAR(static_cast<double>(p.format_bit_rate), kbps * 1000.0, kbps * 1000.0 * 0.10) << kbps;
        EXPECT_EQ(p.decoded_frames, 5 * 48000) << "ffmpeg removes the pre-skip and end trim";
        EXPECT_EQ(p.lag, 0);
    }
}

// Vorbis quality q is libvorbis -q 10q: its nominal bit rate (in the
// identification header) is libvorbis's table for that q: at 48 kHz stereo
// q3 = 112, q6 = 192, q9 = 320 kbps (vorbisenc's setup_44 table, which
// serves 48 kHz too).
TEST(LossyWriter, VorbisQualityIsLibvorbisQ) {
    TempDir dir;
    const AudioBuffer in = programme(2, 3 * 48000, 48000);
    const std::pair<double, int> cases[] = {{0.3, 112000}, {0.6, 192000}, {0.9, 320000}};
    for (const auto& [q, nominal] : cases) {
        const Probe p = probe(write(dir, "x.ogg", lossy(ExportFormat::Ogg, 48000, std::nullopt, q), in), in);
        EXPECT_EQ(p.codec, "vorbis");
        EXPECT_EQ(p.stream_bit_rate, nominal) << q;
        EXPECT_EQ(p.decoded_frames, 3 * 48000);
        EXPECT_EQ(p.lag, 0);
    }
}

// The encoders take float: a programme over full scale is not clipped by
// the writer (the ceiling is the master's business), and one far below a
// 16-bit LSB is not quantised away.
TEST(LossyWriter, FloatGoesInUnquantisedAndUnclipped) {
    TempDir dir;
    AudioBuffer loud = test::sine(2, 48000, 48000, 440.0, 1.25);
    const AudioBuffer quiet = test::sine(2, 48000, 48000, 440.0, 1e-6);  // -120 dBFS: under half a 16-bit LSB
    for (ExportFormat f : {ExportFormat::Opus, ExportFormat::Ogg}) {
        const std::string ext = f == ExportFormat::Opus ? ".opus" : ".ogg";
        const AudioBuffer a = test::ffmpeg_decode(write(dir, "loud" + ext, lossy(f, 48000, std::nullopt, std::nullopt), loud));
        EXPECT_GT(test::peak_dbfs(a.channel(0), a.frames()), 1.0) << to_string(f) << ": peak above 0 dBFS survives";
        const AudioBuffer b = test::ffmpeg_decode(write(dir, "quiet" + ext, lossy(f, 48000, std::nullopt, std::nullopt), quiet));
        EXPECT_NEAR(test::rms_dbfs(b.channel(0) + 4800, 38400), -123.0, 3.0) << to_string(f) << ": a -120 dBFS tone (RMS -123) survives";
    }
}

TEST(LossyWriter, MonoAndDefaultsWrite) {
    TempDir dir;
    const AudioBuffer in = programme(1, 48000, 48000);
    const Probe mp3 = probe(write(dir, "m.mp3", lossy(ExportFormat::Mp3, 48000, std::nullopt, std::nullopt, 1), in), in);
    EXPECT_EQ(mp3.channels, 1);
    EXPECT_EQ(mp3.stream_bit_rate, 320000) << "mp3 default: 320 kbps CBR";
    const Probe opus = probe(write(dir, "m.opus", lossy(ExportFormat::Opus, 48000, std::nullopt, std::nullopt, 1), in), in);
    EXPECT_EQ(opus.channels, 1);
    EXPECT_EQ(opus.decoded_frames, 48000);
    const Probe ogg = probe(write(dir, "m.ogg", lossy(ExportFormat::Ogg, 48000, std::nullopt, std::nullopt, 1), in), in);
    EXPECT_EQ(ogg.channels, 1);
    EXPECT_EQ(ogg.decoded_frames, 48000);
}

// What a codec cannot hold is an error naming the file and the reason,
// never a silent change of rate, bit rate or format; nothing is left behind.
TEST(LossyWriter, WhatTheCodecCannotHoldIsAClearError) {
    TempDir dir;
    struct Bad {
        WriteSpec spec;
        const char* says;
    };
    const Bad cases[] = {
        {lossy(ExportFormat::Opus, 44100, 128, std::nullopt), "opus: cannot hold 44100 Hz; it holds 8000, 12000, 16000, 24000 or 48000 Hz"},
        {lossy(ExportFormat::Mp3, 96000, 320, std::nullopt), "mp3: cannot hold 96000 Hz"},
        {lossy(ExportFormat::Mp3, 11025, std::nullopt, std::nullopt), "mp3: cannot hold 11025 Hz"},
        {lossy(ExportFormat::Ogg, 384000, std::nullopt, 0.5), "ogg: cannot hold 384000 Hz"},
        {lossy(ExportFormat::Mp3, 48000, 100, std::nullopt), "bitrate_kbps 100 is not an MPEG-1 Layer III bit rate at 48000 Hz"},
        {lossy(ExportFormat::Mp3, 22050, 320, std::nullopt), "bitrate_kbps 320 is not an MPEG-2 (LSF) Layer III bit rate at 22050 Hz"},
        {lossy(ExportFormat::Opus, 48000, 11, std::nullopt), "bitrate_kbps 11 is outside 12..512"},
        {lossy(ExportFormat::Ogg, 48000, 192, std::nullopt), "use quality (0..1) instead of bitrate_kbps"},
        {lossy(ExportFormat::Opus, 48000, 96, 0.5), "give bitrate_kbps or quality, not both"},
        {lossy(ExportFormat::Mp3, 48000, 320, std::nullopt, 3), "mp3: holds mono or stereo only"},
        {lossy(ExportFormat::Mp3, 48000, 56, std::nullopt), "bitrate_kbps 56 at 48000 Hz leaves no room for LAME's info tag"},
        {lossy(ExportFormat::Mp3, 32000, 40, std::nullopt), "the lowest is 48 kbps"},
        {lossy(ExportFormat::Mp3, 24000, 56, std::nullopt), "the lowest is 64 kbps"},
    };
    for (const Bad& b : cases) {
        const auto file = dir / "bad.out";
        auto w = AudioFileWriter::create(file, b.spec);
        ASSERT_FALSE(w) << b.says;
        EXPECT_EQ(w.error().code, ErrorCode::InvalidArgument);
        EXPECT_TRUE(w.error().message.starts_with(file.string() + ": ")) << w.error().message;
        EXPECT_NE(w.error().message.find(b.says), std::string::npos) << w.error().message;
    }
    EXPECT_TRUE(std::filesystem::is_empty(dir.path()));
}

}  // namespace
}  // namespace sf
