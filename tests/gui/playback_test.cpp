// Playback through PortAudio into ALSA's `file` and `null` plugins, with no
// sound card: each test writes its own ALSA configuration (ALSA_CONFIG_PATH)
// and names the device through STEMFORGE_AUDIO_DEVICE, then checks what the
// device received against the source file. "No device" must not be an error.
//
// The null plugin consumes as fast as PortAudio can call back (it has no
// clock), so each play here holds the whole file in the feed's ring before
// the stream starts (ring_s, prefill_s): the device can never outrun decoding.
#include <gtest/gtest.h>

#include <chrono>
#include <cmath>
#include <cstdint>
#include <cstdlib>
#include <cstring>
#include <fstream>
#include <optional>
#include <string>
#include <thread>
#include <vector>

#include <soxr.h>

#include "app/gui/playback.h"
#include "tests/support/test_support.h"

namespace sf::gui {
namespace {

using test::TempDir;

// Sets an environment variable for one test and puts the old value back.
class ScopedEnv {
public:
    ScopedEnv(const char* name, std::optional<std::string> value) : name_(name) {
        if (const char* old = std::getenv(name)) old_ = old;
        if (value) setenv(name, value->c_str(), 1);
        else unsetenv(name);
    }
    ~ScopedEnv() {
        if (old_) setenv(name_, old_->c_str(), 1);
        else unsetenv(name_);
    }
private:
    const char* name_;
    std::optional<std::string> old_;
};

// A device "stemforge_file" that writes raw interleaved `format` samples at
// 48 kHz stereo to `out` (a plug in front converts whatever the client sends),
// and the default device, a null sink.
std::string file_device_config(const std::filesystem::path& out, const char* format) {
    return "pcm.stemforge_file {\n"
           "  type plug\n"
           "  slave {\n"
           "    pcm { type file slave.pcm { type null } file \"" + out.string() + "\" format \"raw\" }\n"
           "    format " + format + "\n"
           "    rate 48000\n"
           "    channels 2\n"
           "  }\n"
           "}\n"
           "pcm.!default { type null }\n";
}

PlaybackOptions whole_file_buffered() {
    PlaybackOptions o;
    o.sample_rate = 48000;
    o.ring_s = 2.0;              // > every file played here
    o.prefill_s = 2.0;           // wait_buffered also returns once the end is in the ring
    o.prefill_timeout_s = 60.0;  // guards a hang only
    return o;
}

// Waits for the end to reach the device; the deadline only guards a hang.
bool wait_finished(const Playback& playback) {
    const auto deadline = std::chrono::steady_clock::now() + std::chrono::seconds(60);
    while (!playback.finished()) {
        if (std::chrono::steady_clock::now() > deadline) return false;
        std::this_thread::sleep_for(std::chrono::milliseconds(5));
    }
    return true;
}

template <class T>
std::vector<T> read_raw(const std::filesystem::path& file) {
    std::ifstream in(file, std::ios::binary);
    std::vector<char> bytes((std::istreambuf_iterator<char>(in)), std::istreambuf_iterator<char>());
    std::vector<T> out(bytes.size() / sizeof(T));
    std::memcpy(out.data(), bytes.data(), out.size() * sizeof(T));
    return out;
}

// The device's stream starts with PortAudio's priming silence, of a length
// that depends on the buffer sizes ALSA chose: find the first frame offset
// where the next 256 frames match the expectation within `bound`.
std::optional<size_t> align(const std::vector<double>& got, const std::vector<double>& want, double bound) {
    const size_t probe = 2 * 256;
    for (size_t lead = 0; lead + want.size() <= got.size(); lead += 2) {
        bool match = true;
        for (size_t i = 0; i < probe && match; ++i) match = std::fabs(got[lead + i] - want[i]) <= bound;
        if (match) return lead;
    }
    return std::nullopt;
}

// Everything after the priming silence: the expectation, then silence.
void expect_device_received(const std::vector<double>& got, const std::vector<double>& want, double bound) {
    auto lead = align(got, want, bound);
    ASSERT_TRUE(lead.has_value()) << "the source's start is not in the " << got.size() / 2 << " frames the device received";
    double worst = 0.0;
    for (size_t i = 0; i < want.size(); ++i) worst = std::max(worst, std::fabs(got[*lead + i] - want[i]));
    EXPECT_LE(worst, bound) << "max |device - expected| over " << want.size() / 2 << " frames";
    for (size_t i = *lead + want.size(); i < got.size(); ++i) ASSERT_EQ(got[i], 0.0) << "after the end, sample " << i;
}

std::vector<double> interleaved_times(const AudioBuffer& b, int64_t frames, double gain) {
    std::vector<double> out(static_cast<size_t>(frames * 2));
    for (int64_t i = 0; i < frames; ++i)
        for (int c = 0; c < 2; ++c) out[static_cast<size_t>(i * 2 + c)] = static_cast<double>(b.channel(c % b.channels())[i] * static_cast<float>(gain));
    return out;
}

TEST(Playback, FilePluginReceivesTheFileTimesGainBitExactAndTheSelectedSideOfAnAb) {
    TempDir dir;
    const auto raw = dir / "device.raw";
    test::write_text(dir / "asound.conf", file_device_config(raw, "FLOAT_LE"));
    ScopedEnv config("ALSA_CONFIG_PATH", (dir / "asound.conf").string());
    ScopedEnv device("STEMFORGE_AUDIO_DEVICE", "stemforge_file");

    const int64_t frames = 24007;  // 0.5 s at 48 kHz, odd
    AudioBuffer a = test::noise(2, frames, 21, 0.5);
    AudioBuffer b = test::noise(2, frames, 22, 0.5);
    test::write_wav(dir / "a.wav", a, 48000);
    test::write_wav(dir / "b.wav", b, 48000);

    Playback playback(whole_file_buffered());
    ASSERT_TRUE(playback.available()) << playback.unavailable_reason();
    EXPECT_NE(playback.device_name().find("stemforge_file"), std::string::npos) << playback.device_name();
    EXPECT_EQ(playback.format().sample_rate, 48000);
    EXPECT_EQ(playback.format().channels, 2);

    PlaybackRequest request;
    request.a = {dir / "a.wav", -3.0, "A"};
    auto played = playback.play(request);
    ASSERT_TRUE(played.has_value()) << played.error().message;
    EXPECT_TRUE(playback.playing());
    ASSERT_TRUE(wait_finished(playback));
    playback.stop();
    EXPECT_FALSE(playback.playing());
    EXPECT_EQ(playback.underrun_frames(), 0);
    EXPECT_DOUBLE_EQ(playback.position_s(), static_cast<double>(frames) / 48000);
    // float32 end to end (plug FLOAT_LE -> file): the device holds source × 10^(-3/20) exactly.
    auto got = read_raw<float>(raw);
    expect_device_received(std::vector<double>(got.begin(), got.end()), interleaved_times(a, frames, std::pow(10.0, -3.0 / 20)), 0.0);

    request.b = PlaybackSource{dir / "b.wav", 2.0, "B"};
    request.selected = AbSide::B;
    played = playback.play(request);
    ASSERT_TRUE(played.has_value()) << played.error().message;
    EXPECT_TRUE(playback.has_b());
    EXPECT_EQ(playback.selected(), AbSide::B);
    ASSERT_TRUE(wait_finished(playback));
    playback.stop();
    got = read_raw<float>(raw);
    expect_device_received(std::vector<double>(got.begin(), got.end()), interleaved_times(b, frames, std::pow(10.0, 2.0 / 20)), 0.0);
}

TEST(Playback, FilePluginAt16BitReceivesTheResampledFileWithinTwoLsb) {
    TempDir dir;
    const auto raw = dir / "device.raw";
    test::write_text(dir / "asound.conf", file_device_config(raw, "S16_LE"));
    ScopedEnv config("ALSA_CONFIG_PATH", (dir / "asound.conf").string());
    ScopedEnv device("STEMFORGE_AUDIO_DEVICE", "STEMFORGE_FILE");  // matching ignores case

    const int64_t in_frames = 22051;  // 0.5 s at 44.1 kHz
    AudioBuffer source = test::noise(2, in_frames, 23, 0.4);
    test::write_wav(dir / "a44.wav", source, 44100);

    Playback playback(whole_file_buffered());
    ASSERT_TRUE(playback.available()) << playback.unavailable_reason();
    PlaybackRequest request;
    request.a = {dir / "a44.wav", -1.0, ""};
    auto played = playback.play(request);
    ASSERT_TRUE(played.has_value()) << played.error().message;
    ASSERT_TRUE(wait_finished(playback));
    playback.stop();

    // Oracle: soxr's one-shot call at the same quality (VHQ), then the gain.
    const int64_t out_frames = std::llround(static_cast<double>(in_frames) * 48000 / 44100);
    std::vector<float> in(static_cast<size_t>(in_frames * 2)), resampled(static_cast<size_t>(out_frames * 2));
    for (int64_t i = 0; i < in_frames; ++i)
        for (int c = 0; c < 2; ++c) in[static_cast<size_t>(i * 2 + c)] = source.channel(c)[i];
    size_t used = 0, made = 0;
    soxr_io_spec_t io = soxr_io_spec(SOXR_FLOAT32_I, SOXR_FLOAT32_I);
    soxr_quality_spec_t q = soxr_quality_spec(SOXR_VHQ, 0);
    ASSERT_EQ(soxr_oneshot(44100, 48000, 2, in.data(), in.size() / 2, &used, resampled.data(), resampled.size() / 2, &made, &io, &q, nullptr),
              nullptr);
    ASSERT_EQ(made, static_cast<size_t>(out_frames));
    const double gain = std::pow(10.0, -1.0 / 20);
    std::vector<double> want(resampled.size());
    for (size_t i = 0; i < want.size(); ++i) want[i] = resampled[i] * gain;

    // ALSA's float -> S16 conversion truncates: within 1 LSB, plus float
    // rounding of the product; 2 LSB of 16-bit full scale bounds both.
    const auto samples = read_raw<int16_t>(raw);
    std::vector<double> got(samples.size());
    for (size_t i = 0; i < got.size(); ++i) got[i] = samples[i] / 32768.0;
    expect_device_received(got, want, 2.0 / 32768.0);
}

TEST(Playback, NullPluginAsTheDefaultDevicePlaysToTheEnd) {
    TempDir dir;
    test::write_text(dir / "asound.conf", "pcm.!default { type null }\n");
    ScopedEnv config("ALSA_CONFIG_PATH", (dir / "asound.conf").string());
    ScopedEnv device("STEMFORGE_AUDIO_DEVICE", std::nullopt);
    test::write_wav(dir / "a.wav", test::noise(1, 12000, 5, 0.5), 48000);

    PlaybackOptions options = whole_file_buffered();
    options.sample_rate = 0;  // the device's default rate
    Playback playback(options);
    ASSERT_TRUE(playback.available()) << playback.unavailable_reason();
    EXPECT_NE(playback.device_name().find("default"), std::string::npos) << playback.device_name();
    EXPECT_GT(playback.format().sample_rate, 0);
    PlaybackRequest request;
    request.a = {dir / "a.wav", 0.0, ""};
    request.loop = LoopRegion{0.05, 0.1};
    auto played = playback.play(request);
    ASSERT_TRUE(played.has_value()) << played.error().message;
    ASSERT_TRUE(playback.set_loop(std::nullopt).has_value());  // end the loop: it plays on to the end
    playback.toggle_ab();                                        // no B: nothing changes
    EXPECT_EQ(playback.selected(), AbSide::A);
    ASSERT_TRUE(wait_finished(playback));
    EXPECT_DOUBLE_EQ(playback.position_s(), playback.duration_s());
    EXPECT_NEAR(playback.duration_s(), 0.25, 1.0 / playback.format().sample_rate);
    EXPECT_FALSE(playback.feed_error().has_value());
    playback.stop();
}

TEST(Playback, NoUsableDeviceIsUnavailableWithAReasonNotAnError) {
    TempDir dir;
    test::write_wav(dir / "a.wav", test::noise(1, 4800, 5, 0.5), 48000);
    // A configuration whose only pcm is a sound card that does not exist.
    test::write_text(dir / "asound.conf", "pcm.stemforge_broken { type hw card 99 device 0 }\n");
    ScopedEnv config("ALSA_CONFIG_PATH", (dir / "asound.conf").string());
    {
        ScopedEnv device("STEMFORGE_AUDIO_DEVICE", std::nullopt);
        Playback playback;
        EXPECT_FALSE(playback.available());
        EXPECT_FALSE(playback.unavailable_reason().empty());
        EXPECT_TRUE(playback.device_name().empty());
        PlaybackRequest request;
        request.a = {dir / "a.wav", 0.0, ""};
        auto played = playback.play(request);
        ASSERT_FALSE(played.has_value());
        EXPECT_EQ(played.error().code, ErrorCode::Device);
        EXPECT_EQ(played.error().message, playback.unavailable_reason());
        // Every control is harmless with nothing playing.
        EXPECT_FALSE(playback.playing());
        EXPECT_FALSE(playback.finished());
        playback.toggle_ab();
        playback.seek(1.0);
        playback.set_gain_db(AbSide::A, -3.0);
        EXPECT_FALSE(playback.set_loop(LoopRegion{0.0, 0.05}).has_value());
        playback.stop();
        EXPECT_EQ(playback.position_s(), 0.0);
    }
    {
        // A device name that matches nothing, on a configuration that has devices.
        test::write_text(dir / "asound.conf", "pcm.!default { type null }\n");
        ScopedEnv device("STEMFORGE_AUDIO_DEVICE", "no_such_device_anywhere");
        Playback playback;
        EXPECT_FALSE(playback.available());
        EXPECT_NE(playback.unavailable_reason().find("no_such_device_anywhere"), std::string::npos) << playback.unavailable_reason();
    }
}

}  // namespace
}  // namespace sf::gui
