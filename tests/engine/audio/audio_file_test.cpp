// Audio I/O: every readable format round-trips, resampling is accurate,
// dither is TPDF and seeded, bad files fail with the file named, and a
// failed write never leaves or damages a file.
#include <gtest/gtest.h>

#include <algorithm>
#include <cmath>
#include <numbers>
#include <vector>

#include <sndfile.h>

#include "engine/audio/audio_file.h"
#include "engine/audio/dither.h"
#include "engine/audio/resampler.h"
#include "engine/core/random.h"
#include "tests/support/test_support.h"

namespace sf {
namespace {

using test::TempDir;

// Lossy and 8-bit formats are written here with libsndfile directly: the
// point is that AudioSource reads them.
void write_with_sndfile(const std::filesystem::path& file, int format, const AudioBuffer& b, int rate) {
    SF_INFO info{};
    info.samplerate = rate;
    info.channels = b.channels();
    info.format = format;
    ASSERT_TRUE(sf_format_check(&info)) << file;
    SNDFILE* f = sf_open(file.c_str(), SFM_WRITE, &info);
    ASSERT_NE(f, nullptr) << sf_strerror(nullptr);
    std::vector<float> inter(static_cast<size_t>(b.frames() * b.channels()));
    for (int64_t i = 0; i < b.frames(); ++i)
        for (int c = 0; c < b.channels(); ++c) inter[static_cast<size_t>(i * b.channels() + c)] = b.channel(c)[i];
    ASSERT_EQ(sf_writef_float(f, inter.data(), b.frames()), b.frames());
    sf_close(f);
}


// One least significant bit of a `bits`-bit PCM word, full scale = 1
// (libsndfile and our Quantizer map code k to k / 2^(bits-1)).
double lsb(int bits) { return std::ldexp(1.0, 1 - bits); }

// The largest |output - input| a round trip through our writer may show,
// in LSBs, derived from the word length and the dither's definition
// (engine/audio/dither.h), not from what the code produces:
// - no dither: rounding to the nearest code, e <= 1/2 LSB;
// - TPDF: the dither d is the difference of two uniform [0, 1) LSB
//   variates, |d| < 1, so e = |round(x + d) - x| < 1/2 + 1 = 3/2;
// - shaped: the output error is NTF applied to the quantiser's own error
//   q[n] = round(w + d) - w (|q| < 3/2 as above, no clipping here), so
//   |e| <= (1 + 1 + 0.5) * 3/2 = 15/4 (NTF(z) = 1 - z^-1 + 0.5 z^-2).
// - 32-bit float: the samples themselves, e = 0.
constexpr double kRoundingLsb = 0.5, kTpdfLsb = 1.5, kShapedLsb = 3.75;

struct FormatCase {
    const char* name;
    ExportFormat format;
    int bits;
    Dither dither;
    double max_error_lsb;  // 0 for float: bit-exact
};

class RoundTrip : public ::testing::TestWithParam<FormatCase> {};

TEST_P(RoundTrip, PreservesSamplesWithinTheWordLength) {
    const FormatCase& fc = GetParam();
    TempDir dir;
    const int rate = 44100;
    AudioBuffer in = test::noise(2, 12345, 7, 0.5);  // |x| <= 0.5: no code clips
    WriteSpec ws;
    ws.format = fc.format;
    ws.bit_depth = fc.bits;
    ws.sample_rate = rate;
    ws.channels = 2;
    ws.dither = fc.dither;
    auto file = dir / (std::string("x.") + fc.name);
    {
        auto w = AudioFileWriter::create(file, ws);
        ASSERT_TRUE(w.has_value()) << w.error().message;
        // Odd-sized blocks: the writer must not care.
        for (int64_t pos = 0; pos < in.frames(); pos += 1001) {
            const int64_t n = std::min<int64_t>(1001, in.frames() - pos);
            AudioBuffer block(2, n);
            for (int c = 0; c < 2; ++c) std::copy_n(in.channel(c) + pos, n, block.channel(c));
            ASSERT_TRUE(w->write(block, n).has_value());
        }
        ASSERT_TRUE(w->commit().has_value());
    }
    auto info = probe_audio(file);
    ASSERT_TRUE(info.has_value()) << info.error().message;
    EXPECT_EQ(info->sample_rate, rate);
    EXPECT_EQ(info->channels, 2);
    EXPECT_EQ(info->frames, in.frames());
    auto out = AudioSource::read_all(file, {});
    ASSERT_TRUE(out.has_value()) << out.error().message;
    ASSERT_EQ(out->frames(), in.frames());
    // Float differences in double are exact here: no slack beyond the bound.
    const double bound = fc.bits == 32 ? 0.0 : fc.max_error_lsb * lsb(fc.bits);
    double max_err = 0;
    for (int c = 0; c < 2; ++c)
        for (int64_t i = 0; i < in.frames(); ++i) max_err = std::max(max_err, std::abs(static_cast<double>(out->channel(c)[i]) - in.channel(c)[i]));
    EXPECT_LE(max_err, bound) << fc.name << ": " << max_err / lsb(fc.bits) << " LSB";
    if (fc.dither != Dither::None && fc.bits != 32) {
        // The bound must not be loose: a dithered error reaches past 1/2 LSB.
        EXPECT_GT(max_err, kRoundingLsb * lsb(fc.bits)) << fc.name << ": no dither applied?";
    }
}

INSTANTIATE_TEST_SUITE_P(Formats, RoundTrip,
                         ::testing::Values(FormatCase{"wav16", ExportFormat::Wav, 16, Dither::None, kRoundingLsb},
                                           FormatCase{"wav24", ExportFormat::Wav, 24, Dither::None, kRoundingLsb},
                                           FormatCase{"wavf", ExportFormat::Wav, 32, Dither::None, 0.0},
                                           FormatCase{"flac16", ExportFormat::Flac, 16, Dither::None, kRoundingLsb},
                                           FormatCase{"flac24", ExportFormat::Flac, 24, Dither::None, kRoundingLsb},
                                           FormatCase{"aiff", ExportFormat::Aiff, 24, Dither::None, kRoundingLsb},
                                           FormatCase{"rf64", ExportFormat::Rf64, 32, Dither::None, 0.0},
                                           FormatCase{"bwf", ExportFormat::Bwf, 24, Dither::None, kRoundingLsb},
                                           FormatCase{"wav16tpdf", ExportFormat::Wav, 16, Dither::Tpdf, kTpdfLsb},
                                           FormatCase{"flac24tpdf", ExportFormat::Flac, 24, Dither::Tpdf, kTpdfLsb},
                                           FormatCase{"wav16shaped", ExportFormat::Wav, 16, Dither::TpdfShaped, kShapedLsb},
                                           FormatCase{"wavfdither", ExportFormat::Wav, 32, Dither::Tpdf, 0.0}),  // float ignores dither
                         [](const auto& info) { return std::string(info.param.name); });

// Integer PCM read back: the reader must map code k of a `bits`-bit word to
// exactly k / 2^(bits-1). The codes are written with libsndfile's int
// interface (left-justified in int32), so libsndfile's own float-to-int
// scaling (0x7F.. on write, 0x80.. on read) plays no part.
struct PcmCase {
    const char* name;
    int format;
    int bits;
};

class ReadsPcm : public ::testing::TestWithParam<PcmCase> {};

TEST_P(ReadsPcm, MapsEveryCodeToItsValue) {
    const PcmCase& pc = GetParam();
    TempDir dir;
    const int64_t frames = 5003;
    const int64_t top = int64_t{1} << (pc.bits - 1);  // 2^(bits-1)
    // Both extremes, zero, ±1 LSB, then pseudo-random codes over the range.
    std::vector<int64_t> codes = {-top, top - 1, 0, 1, -1};
    Random rng(17);
    while (static_cast<int64_t>(codes.size()) < 2 * frames) {
        const double u = rng.uniform();  // [0, 1)
        codes.push_back(std::clamp<int64_t>(static_cast<int64_t>(std::floor((2.0 * u - 1.0) * static_cast<double>(top))), -top, top - 1));
    }
    std::vector<int32_t> words(codes.size());
    for (size_t i = 0; i < codes.size(); ++i) words[i] = static_cast<int32_t>(static_cast<uint32_t>(codes[i]) << (32 - pc.bits));
    {
        SF_INFO info{};
        info.samplerate = 48000;
        info.channels = 2;
        info.format = pc.format;
        ASSERT_TRUE(sf_format_check(&info)) << pc.name;
        SNDFILE* f = sf_open((dir / "pcm").c_str(), SFM_WRITE, &info);
        ASSERT_NE(f, nullptr) << sf_strerror(nullptr);
        ASSERT_EQ(sf_writef_int(f, words.data(), frames), frames);
        sf_close(f);
    }
    auto out = AudioSource::read_all(dir / "pcm", {});
    ASSERT_TRUE(out.has_value()) << out.error().message;
    ASSERT_EQ(out->channels(), 2);
    ASSERT_EQ(out->frames(), frames);
    int64_t wrong = 0;
    for (int64_t i = 0; i < frames; ++i)
        for (int c = 0; c < 2; ++c) {
            const double want = static_cast<double>(codes[static_cast<size_t>(i * 2 + c)]) / static_cast<double>(top);
            const double got = out->channel(c)[i];
            // Up to 24 bits the value is a float exactly; a 32-bit code
            // rounds to float's 24-bit significand: half an ulp, 2^-24 |x|.
            const double bound = pc.bits <= 24 ? 0.0 : std::ldexp(std::abs(want), -24);
            if (std::abs(got - want) > bound && wrong++ < 5)
                ADD_FAILURE() << pc.name << " frame " << i << " channel " << c << ": got " << got << ", want " << want;
        }
    EXPECT_EQ(wrong, 0) << pc.name;
}

INSTANTIATE_TEST_SUITE_P(Formats, ReadsPcm,
                         ::testing::Values(PcmCase{"u8wav", SF_FORMAT_WAV | SF_FORMAT_PCM_U8, 8},
                                           PcmCase{"s8aiff", SF_FORMAT_AIFF | SF_FORMAT_PCM_S8, 8},
                                           PcmCase{"wav16", SF_FORMAT_WAV | SF_FORMAT_PCM_16, 16},
                                           PcmCase{"flac16", SF_FORMAT_FLAC | SF_FORMAT_PCM_16, 16},
                                           PcmCase{"aiff24", SF_FORMAT_AIFF | SF_FORMAT_PCM_24, 24},
                                           PcmCase{"wav32i", SF_FORMAT_WAV | SF_FORMAT_PCM_32, 32}),
                         [](const auto& info) { return std::string(info.param.name); });

// Lossy codecs: no sample-exact bound exists, so the decoded tone is held to
// a declared signal-to-noise ratio. The codec's delay and padding do not
// matter: a 1 kHz sinusoid of free phase is fitted (least squares) to a
// stretch in the middle; everything else in it is noise and distortion.
struct CodecCase {
    const char* name;
    int format;
    // At libsndfile's default quality for the codec: what libsndfile 1.2.0
    // measured here (Vorbis 44.0, Opus 43.3, MP3 61.9 dB) less 6 dB for other
    // encoder versions. A dropped or repeated frame, a wrong delay inside
    // the stretch or decoding at the wrong rate costs far more.
    double min_snr_db;
};

class ReadsCodec : public ::testing::TestWithParam<CodecCase> {};

TEST_P(ReadsCodec, DecodesAToneWithinItsSnr) {
    const CodecCase& cc = GetParam();
    TempDir dir;
    const int rate = 48000;
    const double freq_hz = 1000.0, amplitude = 0.5;
    AudioBuffer tone = test::sine(1, rate, rate, freq_hz, amplitude);
    auto file = dir / (std::string("t.") + cc.name);
    write_with_sndfile(file, cc.format, tone, rate);
    auto out = AudioSource::read_all(file, {});
    ASSERT_TRUE(out.has_value()) << out.error().message;
    ASSERT_GE(out->frames(), 3 * rate / 4);
    // [rate/4, 3 rate/4): 500 whole periods, so sin and cos are orthogonal
    // over it and the fit is two sums.
    const float* x = out->channel(0) + rate / 4;
    const int64_t n = rate / 2;
    const double w = 2.0 * std::numbers::pi * freq_hz / rate;
    double a = 0, b = 0;
    for (int64_t i = 0; i < n; ++i) {
        a += x[i] * std::sin(w * static_cast<double>(i));
        b += x[i] * std::cos(w * static_cast<double>(i));
    }
    a *= 2.0 / static_cast<double>(n);
    b *= 2.0 / static_cast<double>(n);
    double noise_power = 0;
    for (int64_t i = 0; i < n; ++i) {
        const double r = x[i] - a * std::sin(w * static_cast<double>(i)) - b * std::cos(w * static_cast<double>(i));
        noise_power += r * r;
    }
    noise_power /= static_cast<double>(n);
    const double fitted = std::hypot(a, b);
    const double snr_db = 10.0 * std::log10((fitted * fitted / 2.0) / std::max(noise_power, 1e-300));
    EXPECT_GE(snr_db, cc.min_snr_db) << cc.name;
    // Level: the codecs move a pure tone's level by up to 0.07 dB at their
    // defaults (Vorbis +0.07, MP3 -0.07, Opus +0.01 with libsndfile 1.2.0);
    // 0.25 dB leaves room for that and still fails a wrong gain stage (a
    // channel fold or pan law costs 3 or 6 dB).
    const double level_db = 20.0 * std::log10(fitted / amplitude);
    EXPECT_NEAR(level_db, 0.0, 0.25) << cc.name << " (SNR " << snr_db << " dB)";
    RecordProperty(std::string(cc.name) + "_snr_db", std::to_string(snr_db));
    RecordProperty(std::string(cc.name) + "_level_error_db", std::to_string(level_db));
}

INSTANTIATE_TEST_SUITE_P(Codecs, ReadsCodec,
                         ::testing::Values(CodecCase{"ogg", SF_FORMAT_OGG | SF_FORMAT_VORBIS, 38},
                                           CodecCase{"opus", SF_FORMAT_OGG | SF_FORMAT_OPUS, 37},
                                           CodecCase{"mp3", SF_FORMAT_MPEG | SF_FORMAT_MPEG_LAYER_III, 55}),
                         [](const auto& info) { return std::string(info.param.name); });

TEST(AudioSource, ResamplesToTheTargetRateAccurately) {
    TempDir dir;
    const int in_rate = 44100, out_rate = 48000;
    AudioBuffer tone = test::sine(1, in_rate * 2 + 17, in_rate, 997.0, 0.5);
    test::write_wav(dir / "t.wav", tone, in_rate, 32);
    SourceOptions so;
    so.target_rate = out_rate;
    auto src = AudioSource::open(dir / "t.wav", so);
    ASSERT_TRUE(src.has_value());
    const int64_t expected = std::llround(static_cast<double>(tone.frames()) * out_rate / in_rate);
    EXPECT_EQ(src->frames(), expected);
    // Read in odd blocks, compare with the analytic tone at the new rate.
    AudioBuffer out(1, src->frames());
    AudioBuffer block(1, 777);
    for (int64_t pos = 0; pos < src->frames(); pos += 777) {
        const int64_t n = std::min<int64_t>(777, src->frames() - pos);
        auto got = src->read(block, n);
        ASSERT_TRUE(got.has_value());
        std::copy_n(block.channel(0), n, out.channel(0) + pos);
    }
    double max_err = 0;
    for (int64_t i = 2000; i < out.frames() - 2000; ++i) {  // away from the filter's edges
        const double ref = 0.5 * std::sin(2 * std::numbers::pi * 997.0 * static_cast<double>(i) / out_rate);
        max_err = std::max(max_err, std::abs(out.channel(0)[i] - ref));
    }
    EXPECT_LT(20 * std::log10(max_err), -90.0) << "resampling error too high (soxr VHQ should reach ~-120 dB)";
}

TEST(AudioSource, RefusesNaNAndNamesTheFrame) {
    TempDir dir;
    AudioBuffer b = test::noise(2, 1000, 1, 0.1);
    b.channel(1)[500] = std::numeric_limits<float>::quiet_NaN();
    write_with_sndfile(dir / "nan.wav", SF_FORMAT_WAV | SF_FORMAT_FLOAT, b, 48000);
    SourceOptions so;
    so.label = "stems[0] \"x\"";
    auto all = AudioSource::read_all(dir / "nan.wav", so);
    ASSERT_FALSE(all.has_value());
    EXPECT_EQ(all.error().code, ErrorCode::BadAudio);
    EXPECT_NE(all.error().message.find("stems[0] \"x\""), std::string::npos) << all.error().message;
    EXPECT_NE(all.error().message.find("NaN sample at frame 500"), std::string::npos) << all.error().message;
    EXPECT_NE(all.error().message.find("channel 2"), std::string::npos) << all.error().message;
}

TEST(AudioSource, RefusesInfinity) {
    TempDir dir;
    AudioBuffer b = test::noise(1, 100, 1, 0.1);
    b.channel(0)[99] = std::numeric_limits<float>::infinity();
    write_with_sndfile(dir / "inf.wav", SF_FORMAT_WAV | SF_FORMAT_FLOAT, b, 48000);
    auto all = AudioSource::read_all(dir / "inf.wav", {});
    ASSERT_FALSE(all.has_value());
    EXPECT_NE(all.error().message.find("Inf sample at frame 99"), std::string::npos) << all.error().message;
}

// A finite float near FLT_MAX overflowed to Inf in the resampler (fuzz_ir:
// an IR with Inf taps); the reader refuses samples at or beyond 2^20
// (+120.4 dBFS) and keeps everything below, over-full-scale included.
TEST(AudioSource, RefusesOutOfRangeFloatSamplesAndKeepsLoudOnes) {
    TempDir dir;
    AudioBuffer loud = test::noise(2, 400, 1, 0.1);
    loud.channel(0)[10] = 1000.0f;                                                     // +60 dBFS: kept
    loud.channel(1)[20] = -std::nextafter(static_cast<float>(kMaxSampleMagnitude), 0.0f);  // just under the limit: kept
    write_with_sndfile(dir / "loud.wav", SF_FORMAT_WAV | SF_FORMAT_FLOAT, loud, 48000);
    auto kept = AudioSource::read_all(dir / "loud.wav", {});
    ASSERT_TRUE(kept.has_value()) << kept.error().message;
    EXPECT_EQ(kept->channel(0)[10], 1000.0f);

    for (float bad : {static_cast<float>(kMaxSampleMagnitude), -3.0e38f, std::numeric_limits<float>::max()}) {
        AudioBuffer b = test::noise(2, 400, 1, 0.1);
        b.channel(1)[300] = bad;
        write_with_sndfile(dir / "huge.wav", SF_FORMAT_WAV | SF_FORMAT_FLOAT, b, 44100);
        SourceOptions so;
        so.label = "buses[0].reverb";
        so.target_rate = 48000;  // through the resampler, where the overflow happened
        auto all = AudioSource::read_all(dir / "huge.wav", so);
        ASSERT_FALSE(all.has_value()) << bad;
        EXPECT_EQ(all.error().code, ErrorCode::BadAudio);
        EXPECT_NE(all.error().message.find("out-of-range"), std::string::npos) << all.error().message;
        EXPECT_NE(all.error().message.find("sample at frame 300"), std::string::npos) << all.error().message;
        EXPECT_NE(all.error().message.find("channel 2"), std::string::npos) << all.error().message;
        EXPECT_NE(all.error().message.find("the limit is +120 dBFS"), std::string::npos) << all.error().message;
        EXPECT_EQ(all.error().message.find('\n'), std::string::npos) << all.error().message;
    }
}

TEST(AudioSource, BadFilesNameTheFile) {
    TempDir dir;
    auto expect_bad = [&](const std::filesystem::path& f, ErrorCode code, const std::string& what) {
        auto r = AudioSource::open(f, {});
        ASSERT_FALSE(r.has_value()) << f;
        EXPECT_EQ(r.error().code, code) << r.error().message;
        EXPECT_NE(r.error().message.find(f.string()), std::string::npos) << r.error().message;
        EXPECT_NE(r.error().message.find(what), std::string::npos) << r.error().message;
    };
    expect_bad(dir / "missing.wav", ErrorCode::FileNotFound, "no such file");
    test::write_text(dir / "empty.wav", "");
    expect_bad(dir / "empty.wav", ErrorCode::FileRead, "empty");
    test::write_text(dir / "junk.wav", std::string(1000, 'x'));
    expect_bad(dir / "junk.wav", ErrorCode::FileRead, "cannot read audio");
    expect_bad(dir.path(), ErrorCode::FileRead, "is a directory");

    // Truncated: cut a valid 24-bit WAV in the middle of its data.
    test::write_wav(dir / "full.wav", test::noise(2, 48000, 3, 0.3), 48000, 24);
    std::string bytes = test::read_text(dir / "full.wav");
    test::write_text(dir / "cut.wav", bytes.substr(0, bytes.size() / 2 + 1));
    expect_bad(dir / "cut.wav", ErrorCode::FileRead, "truncated");
    test::write_wav(dir / "full.aiff", test::noise(2, 48000, 3, 0.3), 48000, 24, ExportFormat::Aiff);
    bytes = test::read_text(dir / "full.aiff");
    test::write_text(dir / "cut.aiff", bytes.substr(0, bytes.size() * 2 / 3));
    expect_bad(dir / "cut.aiff", ErrorCode::FileRead, "truncated");

    // A header with no audio frames.
    test::write_text(dir / "hdr.wav", bytes.substr(0, 0));
    test::write_wav(dir / "one.wav", test::noise(1, 1, 3, 0.3), 48000, 16);
    bytes = test::read_text(dir / "one.wav");
    test::write_text(dir / "noframes.wav", bytes.substr(0, 44));
    auto r = AudioSource::open(dir / "noframes.wav", {});
    ASSERT_FALSE(r.has_value());
    EXPECT_NE(r.error().message.find("noframes.wav"), std::string::npos);
}

TEST(AudioSource, TruncatedFlacFailsWhileReading) {
    TempDir dir;
    test::write_wav(dir / "n.flac", test::noise(2, 96000, 3, 0.3), 48000, 24, ExportFormat::Flac);
    std::string bytes = test::read_text(dir / "n.flac");
    test::write_text(dir / "cut.flac", bytes.substr(0, bytes.size() / 2));
    auto r = AudioSource::read_all(dir / "cut.flac", {});
    ASSERT_FALSE(r.has_value());
    EXPECT_EQ(r.error().code, ErrorCode::FileRead);
    EXPECT_NE(r.error().message.find("cut.flac"), std::string::npos) << r.error().message;
}

TEST(AudioSource, MoreThanTwoChannelsIsAClearError) {
    TempDir dir;
    test::write_wav(dir / "six.wav", test::noise(6, 100, 3, 0.3), 48000, 24);
    auto r = AudioSource::open(dir / "six.wav", {});
    ASSERT_FALSE(r.has_value());
    EXPECT_EQ(r.error().code, ErrorCode::NotSupported);
    EXPECT_NE(r.error().message.find("has 6 channels"), std::string::npos) << r.error().message;
}

TEST(AudioFileWriter, FailedWriteLeavesNoFileAndKeepsTheOldOne) {
    TempDir dir;
    const auto target = dir / "master.wav";
    test::write_text(target, "precious");
    {
        WriteSpec ws;
        ws.channels = 1;
        auto w = AudioFileWriter::create(target, ws);
        ASSERT_TRUE(w.has_value());
        AudioBuffer b = test::noise(1, 100, 1, 0.5);
        ASSERT_TRUE(w->write(b, 100).has_value());
        b.channel(0)[3] = std::numeric_limits<float>::quiet_NaN();
        auto bad = w->write(b, 100);
        ASSERT_FALSE(bad.has_value());
        EXPECT_NE(bad.error().message.find("non-finite"), std::string::npos);
        // destroyed without commit
    }
    EXPECT_EQ(test::read_text(target), "precious");
    int files = 0;
    for ([[maybe_unused]] const auto& e : std::filesystem::directory_iterator(dir.path())) ++files;
    EXPECT_EQ(files, 1) << "a temporary file was left behind";
}

TEST(AudioFileWriter, UnwritablePathIsAnError) {
    TempDir dir;
    test::write_text(dir / "file", "x");
    WriteSpec ws;
    auto w = AudioFileWriter::create(dir / "file" / "out.wav", ws);  // a file used as a folder
    ASSERT_FALSE(w.has_value());
    EXPECT_EQ(w.error().code, ErrorCode::FileWrite);
    EXPECT_NE(w.error().message.find("out.wav"), std::string::npos) << w.error().message;
}

// Programmer-error asserts stay on in the test builds (STEMFORGE_ASSERTS in
// Release, Debug for ASan): this one lives in the engine library, so the
// test also proves the library was compiled without NDEBUG.
TEST(AudioFileWriterDeathTest, ProgrammerErrorsAssertInTestBuilds) {
#ifdef NDEBUG
#ifdef STEMFORGE_ASSERTS_REQUIRED
    FAIL() << "configured with STEMFORGE_ASSERTS=ON, yet NDEBUG is defined";
#else
    GTEST_SKIP() << "assert() is off in this build (configure with -DSTEMFORGE_ASSERTS=ON)";
#endif
#else
    GTEST_FLAG_SET(death_test_style, "threadsafe");
    TempDir dir;
    WriteSpec ws;
    ws.channels = 0;  // no caller passes this: the session validator fixes channels
    EXPECT_DEATH((void)AudioFileWriter::create(dir / "x.wav", ws), "Assertion .*channels > 0.* failed");
#endif
}

TEST(Dither, TpdfOnSilenceHasQuarterLsbPower) {
    // Rounding silence + TPDF(±1 LSB) gives codes -1, 0, +1 with P(±1) = 1/8:
    // power 1/4 LSB², i.e. RMS 0.5 LSB.
    Quantizer q(16, Dither::Tpdf, 99);
    double sum = 0;
    const int n = 400000;
    int max_code = 0;
    for (int i = 0; i < n; ++i) {
        const int code = q.quantize(0.0f) / 65536;
        sum += static_cast<double>(code) * code;
        max_code = std::max(max_code, std::abs(code));
    }
    EXPECT_NEAR(std::sqrt(sum / n), 0.5, 0.01);
    EXPECT_EQ(max_code, 1);
}

TEST(Dither, IsUnbiasedAndDecorrelatesTheError) {
    // With TPDF the mean of the output equals the input even below 1 LSB.
    Quantizer q(16, Dither::Tpdf, 5);
    const double x = 0.3 / 32768.0;
    double sum = 0;
    const int n = 400000;
    for (int i = 0; i < n; ++i) sum += q.quantize(static_cast<float>(x)) / 65536.0;
    EXPECT_NEAR(sum / n, 0.3, 0.01);
    Quantizer plain(16, Dither::None, 5);
    EXPECT_EQ(plain.quantize(static_cast<float>(x)), 0);  // undithered: the signal vanishes
}

TEST(Dither, SameSeedSameBits) {
    Quantizer a(24, Dither::TpdfShaped, 42), b(24, Dither::TpdfShaped, 42), c(24, Dither::TpdfShaped, 43);
    bool differs = false;
    for (int i = 0; i < 1000; ++i) {
        const float x = static_cast<float>(0.25 * std::sin(i * 0.01));
        const int32_t qa = a.quantize(x), qb = b.quantize(x), qc = c.quantize(x);
        ASSERT_EQ(qa, qb);
        differs |= qa != qc;
    }
    EXPECT_TRUE(differs);
}

TEST(Dither, ShapedNoiseFollowsItsTransferFunction) {
    // NTF(z) = 1 - z^-1 + 0.5 z^-2: at DC |NTF| = 0.5, at Nyquist 2.5.
    // Measure the error spectrum at both ends with simple DFT bins.
    Quantizer q(16, Dither::TpdfShaped, 11);
    const int n = 1 << 16;
    std::vector<double> err(n);
    for (int i = 0; i < n; ++i) {
        const double x = 0.1 * std::sin(i * 0.001);
        err[static_cast<size_t>(i)] = q.quantize(static_cast<float>(x)) / 65536.0 - x * 32768.0;
    }
    // Power in the lowest and highest 1/16 of the band (periodogram by blocks).
    auto band_power = [&](bool high) {
        double p = 0;
        for (int i = 1; i < n; ++i) {
            const double d = high ? err[static_cast<size_t>(i)] + err[static_cast<size_t>(i - 1)]   // ~ high-pass removed
                                  : err[static_cast<size_t>(i)] - err[static_cast<size_t>(i - 1)];
            p += d * d;
        }
        return p / n;
    };
    // (1 + z^-1) keeps lows, (1 - z^-1) keeps highs; compare their ratio with
    // the white-noise case: shaped noise must put clearly more power high.
    const double lows = band_power(true), highs = band_power(false);
    EXPECT_GT(highs / lows, 4.0);
    Quantizer flat(16, Dither::Tpdf, 11);
    for (int i = 0; i < n; ++i) {
        const double x = 0.1 * std::sin(i * 0.001);
        err[static_cast<size_t>(i)] = flat.quantize(static_cast<float>(x)) / 65536.0 - x * 32768.0;
    }
    EXPECT_NEAR(band_power(false) / band_power(true), 1.0, 0.1);
}

TEST(StreamResampler, ChangesRateAndKeepsLevel) {
    auto r = StreamResampler::create(48000, 44100, 2);
    ASSERT_TRUE(r.has_value());
    AudioBuffer tone = test::sine(2, 48000, 48000, 1000.0, 0.5);
    AudioBuffer out, all(2, 0);
    std::vector<float> l;
    for (int64_t pos = 0; pos < tone.frames(); pos += 4999) {
        const int64_t n = std::min<int64_t>(4999, tone.frames() - pos);
        AudioBuffer block(2, n);
        for (int c = 0; c < 2; ++c) std::copy_n(tone.channel(c) + pos, n, block.channel(c));
        ASSERT_TRUE(r->process(block, n, out).has_value());
        l.insert(l.end(), out.channel(0), out.channel(0) + out.frames());
    }
    ASSERT_TRUE(r->finish(out).has_value());
    l.insert(l.end(), out.channel(0), out.channel(0) + out.frames());
    EXPECT_NEAR(static_cast<double>(l.size()), 44100.0, 2.0);
    EXPECT_NEAR(test::rms_dbfs(l.data() + 5000, 30000), 20 * std::log10(0.5 / std::sqrt(2.0)), 0.01);
}

}  // namespace
}  // namespace sf
