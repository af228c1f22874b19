// The codec round trip: lossy exports decoded back, aligned sample for sample
// and full length. The oracle is the input itself (or, across a rate change,
// the analytic signal at the codec's rate): a decode shifted by one sample
// loses the SNR bound by far (a 3.1 kHz tone shifted by 1/48000 s leaves an
// error of 2 sin(pi 3100 / 48000) = 0.40 of its amplitude: SNR 8 dB).
#include <gtest/gtest.h>

#include <cmath>
#include <numbers>

#include "engine/export/codec_roundtrip.h"
#include "tests/support/codec_oracle.h"
#include "tests/support/test_support.h"

namespace sf {
namespace {

using test::TempDir;

// Three partials per channel (R with other phases): tonal programme a codec
// keeps well, so the SNR measures alignment more than coding noise.
double programme(int c, double t) {
    const double ph = c == 0 ? 0.0 : 1.3;
    return 0.20 * std::sin(2 * std::numbers::pi * 220.0 * t + ph) + 0.15 * std::sin(2 * std::numbers::pi * 1000.0 * t + 2 * ph) +
           0.10 * std::sin(2 * std::numbers::pi * 3100.0 * t + 3 * ph);
}

AudioBuffer programme_at(int channels, int64_t frames, int rate) {
    AudioBuffer b(channels, frames);
    for (int c = 0; c < channels; ++c)
        for (int64_t i = 0; i < frames; ++i) b.channel(c)[i] = static_cast<float>(programme(c, static_cast<double>(i) / rate));
    return b;
}

struct CodecCase {
    const char* name;
    ExportFormat codec;
    std::optional<int> bitrate_kbps;
    std::optional<double> quality;
    double min_snr_db;  // measured: see the test's comment
};

class CodecRoundTripCase : public ::testing::TestWithParam<std::tuple<CodecCase, int64_t>> {};

// qc --codecs' three: 320 kbps mp3, 128 kbps opus, Vorbis quality 6 (0.6).
// Measured SNR on this programme (48 kHz stereo, libsndfile 1.2.0 with LAME
// 3.100, libopus 1.3.1, libvorbis 1.3.7): mp3 320 76.9 dB, opus 128 36.7 dB,
// Vorbis q6 39.2 dB; the bounds sit 6 dB under, far above the 8 dB a
// one-sample shift leaves.
const CodecCase kCodecs[] = {
    {"mp3_320", ExportFormat::Mp3, 320, std::nullopt, 70.0},
    {"opus_128", ExportFormat::Opus, 128, std::nullopt, 30.0},
    {"vorbis_q6", ExportFormat::Ogg, std::nullopt, 0.6, 33.0},
};

TEST_P(CodecRoundTripCase, DecodesAlignedAndFullLength) {
    const auto& [cc, frames] = GetParam();
    TempDir dir;
    const AudioBuffer in = programme_at(2, frames, 48000);
    auto rt = codec_round_trip(in, frames, 48000, cc.codec, cc.bitrate_kbps, cc.quality, dir.path());
    ASSERT_TRUE(rt) << rt.error().message;
    EXPECT_EQ(rt->sample_rate, 48000);
    EXPECT_EQ(rt->frames, frames);
    ASSERT_EQ(rt->decoded.frames(), frames);
    ASSERT_EQ(rt->decoded.channels(), 2);
    EXPECT_EQ(test::best_lag(rt->decoded, in, 64), 0);
    // Skip the first and last 20 ms: the codecs' own transient at a cut-off start.
    const double snr = test::snr_db(rt->decoded, in, 960, frames - 960);
    std::printf("%s, %lld frames: SNR %.1f dB\n", cc.name, static_cast<long long>(frames), snr);
    EXPECT_GT(snr, cc.min_snr_db);
    EXPECT_TRUE(std::filesystem::is_empty(dir.path())) << "the encoded file is removed";
}

INSTANTIATE_TEST_SUITE_P(QcCodecs, CodecRoundTripCase,
                         ::testing::Combine(::testing::ValuesIn(kCodecs), ::testing::Values(int64_t{48000}, int64_t{12345})),
                         [](const auto& info) {
                             return std::string(std::get<0>(info.param).name) + "_" + std::to_string(std::get<1>(info.param));
                         });

TEST(CodecRoundTrip, OpusAt44100IsEncodedAt48kAndStaysAligned) {
    TempDir dir;
    const int64_t frames = 44100;
    const AudioBuffer in = programme_at(2, frames, 44100);
    auto rt = codec_round_trip(in, frames, 44100, ExportFormat::Opus, 128, std::nullopt, dir.path());
    ASSERT_TRUE(rt) << rt.error().message;
    EXPECT_EQ(rt->sample_rate, 48000);
    EXPECT_EQ(rt->frames, 48000);  // 1 s at either rate
    // The oracle: the same analytic programme evaluated at 48 kHz.
    const AudioBuffer expected = programme_at(2, 48000, 48000);
    EXPECT_EQ(test::best_lag(rt->decoded, expected, 64), 0);
    EXPECT_GT(test::snr_db(rt->decoded, expected, 960, 48000 - 960), 20.0);
}

TEST(CodecRoundTrip, Mp3At44100KeepsTheRate) {
    TempDir dir;
    const AudioBuffer in = programme_at(2, 30000, 44100);
    auto rt = codec_round_trip(in, 30000, 44100, ExportFormat::Mp3, 320, std::nullopt, dir.path());
    ASSERT_TRUE(rt) << rt.error().message;
    EXPECT_EQ(rt->sample_rate, 44100);
    EXPECT_EQ(rt->frames, 30000);
    EXPECT_EQ(test::best_lag(rt->decoded, in, 64), 0);
}

TEST(CodecRoundTrip, MonoRoundTrips) {
    TempDir dir;
    const AudioBuffer in = programme_at(1, 24000, 48000);
    for (ExportFormat codec : {ExportFormat::Mp3, ExportFormat::Opus, ExportFormat::Ogg}) {
        auto rt = codec_round_trip(in, 24000, 48000, codec, std::nullopt, std::nullopt, dir.path());
        ASSERT_TRUE(rt) << to_string(codec) << ": " << rt.error().message;
        EXPECT_EQ(rt->decoded.channels(), 1) << to_string(codec);
        EXPECT_EQ(rt->frames, 24000) << to_string(codec);
        EXPECT_EQ(test::best_lag(rt->decoded, in, 64), 0) << to_string(codec);
    }
}

TEST(CodecRoundTrip, RefusesWhatNoExportCouldBe) {
    TempDir dir;
    const AudioBuffer in = programme_at(2, 4800, 48000);
    auto expect_error = [&](ExportFormat codec, std::optional<int> kbps, std::optional<double> q, int64_t frames, const char* says) {
        auto rt = codec_round_trip(in, frames, 48000, codec, kbps, q, dir.path());
        ASSERT_FALSE(rt) << says;
        EXPECT_EQ(rt.error().code, ErrorCode::InvalidArgument) << rt.error().message;
        EXPECT_NE(rt.error().message.find(says), std::string::npos) << rt.error().message;
    };
    expect_error(ExportFormat::Wav, std::nullopt, std::nullopt, 4800, "not a lossy codec");
    expect_error(ExportFormat::Mp3, 100, std::nullopt, 4800, "is not an MPEG-1 Layer III bit rate at 48000 Hz (32, 40, 48");
    expect_error(ExportFormat::Ogg, 192, std::nullopt, 4800, "use quality");
    expect_error(ExportFormat::Opus, 128, 0.5, 4800, "not both");
    expect_error(ExportFormat::Opus, 600, std::nullopt, 4800, "outside 12..512");
    expect_error(ExportFormat::Mp3, std::nullopt, 1.5, 4800, "outside 0..1");
    expect_error(ExportFormat::Mp3, 320, std::nullopt, 0, "no frames");
    EXPECT_TRUE(std::filesystem::is_empty(dir.path()));
}

}  // namespace
}  // namespace sf
