// PlaybackFeed: what the device receives is the file's samples (bit-exact ×
// gain at equal rates; soxr's one-shot API, an independent route to the same
// filter, when resampled), loops are sample-accurate, an A/B switch keeps the
// timeline and crossfades with the documented weights, seeks land on the frame.
//
// Most tests run the feed without its feeder thread (pump() before each
// render()) so every frame is decoded before it is asked for: the output is
// then deterministic. One test runs the thread.
#include <gtest/gtest.h>

#include <algorithm>
#include <atomic>
#include <chrono>
#include <cmath>
#include <thread>
#include <vector>

#include <soxr.h>

#include "engine/audio/audio_buffer.h"
#include "engine/audio/playback_feed.h"
#include "tests/support/test_support.h"

namespace sf {
namespace {

using test::TempDir;

constexpr int kRate = 48000;

// Frame i of channel c is (c ? -1 : 1) * (i + 1) / 65536: exact in float for
// the lengths used here, never zero, and it names its own frame.
AudioBuffer index_ramp(int channels, int64_t frames) {
    AudioBuffer b(channels, frames);
    for (int c = 0; c < channels; ++c)
        for (int64_t i = 0; i < frames; ++i) b.channel(c)[i] = (c % 2 ? -1.0f : 1.0f) * static_cast<float>(i + 1) / 65536.0f;
    return b;
}
int64_t frame_of(float ramp_value) { return std::llround(std::fabs(ramp_value) * 65536.0f) - 1; }

PlaybackFeed::Options pumped() {
    PlaybackFeed::Options o;
    o.feeder_thread = false;
    return o;
}

// Renders `frames` frames in blocks of `block`, pumping before each block.
std::vector<float> render(PlaybackFeed& feed, int64_t frames, int64_t block) {
    const int ch = feed.format().channels;
    std::vector<float> out(static_cast<size_t>(frames * ch));
    for (int64_t done = 0; done < frames;) {
        const int64_t n = std::min(block, frames - done);
        feed.pump();
        feed.render(out.data() + done * ch, n);
        done += n;
    }
    return out;
}

// The gain the feed is documented to apply: 10^(dB/20), as a float.
float gain_of(double gain_db) { return static_cast<float>(std::pow(10.0, gain_db / 20.0)); }

TEST(PlaybackFeed, EqualRateIsTheFileTimesGainBitExactThenSilenceAndFinished) {
    TempDir dir;
    const int64_t frames = 20011;  // odd, and not a multiple of any block below
    AudioBuffer source = test::noise(2, frames, 7, 0.5);
    test::write_wav(dir / "a.wav", source, kRate);
    PlaybackRequest request;
    request.a = {dir / "a.wav", -6.5, "A"};
    auto feed = PlaybackFeed::open(request, {kRate, 2}, pumped());
    ASSERT_TRUE(feed.has_value()) << feed.error().message;
    EXPECT_EQ((*feed)->duration_frames(), frames);
    EXPECT_FALSE((*feed)->finished());

    const int64_t extra = 1500;
    auto out = render(**feed, frames + extra, 997);
    const float g = gain_of(-6.5);
    for (int64_t i = 0; i < frames; ++i)
        for (int c = 0; c < 2; ++c)
            ASSERT_EQ(out[static_cast<size_t>(i * 2 + c)], source.channel(c)[i] * g) << "frame " << i << " channel " << c;
    for (int64_t i = frames * 2; i < (frames + extra) * 2; ++i) ASSERT_EQ(out[static_cast<size_t>(i)], 0.0f) << "after the end, sample " << i;
    EXPECT_TRUE((*feed)->finished());
    EXPECT_EQ((*feed)->position_frames(), frames);
    EXPECT_EQ((*feed)->underrun_frames(), 0);
    EXPECT_FALSE((*feed)->error().has_value());
}

TEST(PlaybackFeed, MonoFeedsTheFirstTwoDeviceChannelsAndExtraChannelsAreDropped) {
    TempDir dir;
    AudioBuffer mono = index_ramp(1, 3001);
    AudioBuffer three = index_ramp(3, 3001);
    test::write_wav(dir / "mono.wav", mono, kRate);
    test::write_wav(dir / "three.wav", three, kRate);

    PlaybackRequest m;
    m.a = {dir / "mono.wav", 0.0, ""};
    auto four = PlaybackFeed::open(m, {kRate, 4}, pumped());
    ASSERT_TRUE(four.has_value()) << four.error().message;
    auto out = render(**four, 3001, 500);
    for (int64_t i = 0; i < 3001; ++i) {
        const float* f = out.data() + i * 4;
        ASSERT_EQ(f[0], mono.channel(0)[i]);
        ASSERT_EQ(f[1], mono.channel(0)[i]);
        ASSERT_EQ(f[2], 0.0f);
        ASSERT_EQ(f[3], 0.0f);
    }

    PlaybackRequest t;
    t.a = {dir / "three.wav", 0.0, ""};
    auto stereo = PlaybackFeed::open(t, {kRate, 2}, pumped());
    ASSERT_TRUE(stereo.has_value()) << stereo.error().message;
    out = render(**stereo, 3001, 777);
    for (int64_t i = 0; i < 3001; ++i) {
        ASSERT_EQ(out[static_cast<size_t>(i * 2)], three.channel(0)[i]);
        ASSERT_EQ(out[static_cast<size_t>(i * 2 + 1)], three.channel(1)[i]);
    }
}

// soxr_oneshot at the same quality (VHQ) over the whole file, called here
// directly: a route that shares no code with the feed or StreamResampler.
std::vector<float> soxr_whole(const AudioBuffer& in, int in_rate, int out_rate, int64_t out_frames) {
    const int ch = in.channels();
    std::vector<float> inter(static_cast<size_t>(in.frames() * ch));
    for (int64_t i = 0; i < in.frames(); ++i)
        for (int c = 0; c < ch; ++c) inter[static_cast<size_t>(i * ch + c)] = in.channel(c)[i];
    std::vector<float> out(static_cast<size_t>(out_frames * ch));
    size_t done_in = 0, done_out = 0;
    soxr_io_spec_t io = soxr_io_spec(SOXR_FLOAT32_I, SOXR_FLOAT32_I);
    soxr_quality_spec_t q = soxr_quality_spec(SOXR_VHQ, 0);
    soxr_error_t e = soxr_oneshot(in_rate, out_rate, static_cast<unsigned>(ch), inter.data(), static_cast<size_t>(in.frames()), &done_in,
                                  out.data(), static_cast<size_t>(out_frames), &done_out, &io, &q, nullptr);
    EXPECT_EQ(e, nullptr) << (e ? e : "");
    EXPECT_EQ(done_out, static_cast<size_t>(out_frames));
    return out;
}

TEST(PlaybackFeed, ResampledToTheDeviceRateMatchesSoxrOneShot) {
    TempDir dir;
    const int64_t frames = 44101;
    AudioBuffer source = test::noise(2, frames, 11, 0.25);
    test::write_wav(dir / "a44.wav", source, 44100);
    PlaybackRequest request;
    request.a = {dir / "a44.wav", 0.0, ""};
    auto feed = PlaybackFeed::open(request, {kRate, 2}, pumped());
    ASSERT_TRUE(feed.has_value()) << feed.error().message;
    const int64_t out_frames = std::llround(static_cast<double>(frames) * kRate / 44100);
    ASSERT_EQ((*feed)->duration_frames(), out_frames);
    auto out = render(**feed, out_frames, 1023);
    auto oracle = soxr_whole(source, 44100, kRate, out_frames);
    // Bound: both are soxr VHQ in float32; the feed's chunked stream and the
    // one-shot call may round differently in the last bit of the filter sums.
    double worst = 0.0;
    for (size_t i = 0; i < out.size(); ++i) worst = std::max(worst, std::fabs(static_cast<double>(out[i]) - oracle[i]));
    EXPECT_LE(worst, 1e-6) << "max |feed - soxr_oneshot| over " << out_frames << " frames";
}

// The parameter is Options::max_cached_loop_s: 600 keeps the loop in memory,
// 0 decodes it again from the file at every wrap.
class PlaybackFeedLoop : public ::testing::TestWithParam<double> {};

TEST_P(PlaybackFeedLoop, WrapsSampleAccuratelyFromEndToStart) {
    TempDir dir;
    const int64_t frames = 24000;
    test::write_wav(dir / "ramp.wav", index_ramp(2, frames), kRate);
    PlaybackRequest request;
    request.a = {dir / "ramp.wav", 0.0, ""};
    request.start_s = 0.05;                    // frame 2400, before the loop
    request.loop = LoopRegion{0.1, 0.35};      // frames [4800, 16800)
    auto options = pumped();
    options.max_cached_loop_s = GetParam();
    auto feed = PlaybackFeed::open(request, {kRate, 2}, options);
    ASSERT_TRUE(feed.has_value()) << feed.error().message;

    const int64_t total = (16800 - 2400) + 3 * 12000 + 123;
    auto out = render(**feed, total, 1001);
    int64_t expected = 2400;
    for (int64_t i = 0; i < total; ++i) {
        ASSERT_EQ(frame_of(out[static_cast<size_t>(i * 2)]), expected) << "output frame " << i;
        ASSERT_EQ(out[static_cast<size_t>(i * 2 + 1)], -out[static_cast<size_t>(i * 2)]);
        expected = expected + 1 == 16800 ? 4800 : expected + 1;
    }
    EXPECT_EQ((*feed)->position_frames(), expected);
    EXPECT_FALSE((*feed)->finished());

    // A new loop continues from where playback is and wraps at the new end.
    ASSERT_TRUE((*feed)->set_loop(LoopRegion{0.0, 0.1}).has_value());
    EXPECT_EQ((*feed)->position_frames(), expected);
    out = render(**feed, 6000, 999);
    const int64_t resume = expected;  // >= 4800: past the new loop, so it plays on to the end
    for (int64_t i = 0; i < 6000; ++i) ASSERT_EQ(frame_of(out[static_cast<size_t>(i * 2)]), resume + i) << "output frame " << i;
}

INSTANTIATE_TEST_SUITE_P(CachedAndDecodedEachWrap, PlaybackFeedLoop,
                         ::testing::Values(600.0, 0.0),
                         [](const auto& info) { return std::string(info.param > 0.0 ? "cached" : "decoded"); });

TEST(PlaybackFeed, ResampledLoopRepeatsTheFirstPassExactly) {
    TempDir dir;
    AudioBuffer source = test::noise(1, 22050, 3, 0.5);
    test::write_wav(dir / "n44.wav", source, 44100);
    PlaybackRequest request;
    request.a = {dir / "n44.wav", 0.0, ""};
    auto straight = PlaybackFeed::open(request, {kRate, 2}, pumped());
    ASSERT_TRUE(straight.has_value());
    const auto whole = render(**straight, (*straight)->duration_frames(), 4096);

    request.loop = LoopRegion{0.125, 0.375};  // frames [6000, 18000) at 48 kHz
    for (double cache : {600.0, 0.0}) {
        auto options = pumped();
        options.max_cached_loop_s = cache;
        auto looped = PlaybackFeed::open(request, {kRate, 2}, options);
        ASSERT_TRUE(looped.has_value());
        const auto out = render(**looped, 18000 + 2 * 12000, 1777);
        for (int64_t i = 0; i < 18000 + 2 * 12000; ++i) {
            const int64_t t = i < 18000 ? i : 6000 + (i - 18000) % 12000;
            ASSERT_EQ(out[static_cast<size_t>(i * 2)], whole[static_cast<size_t>(t * 2)]) << "cache " << cache << " output frame " << i;
        }
    }
}

TEST(PlaybackFeed, AbSwitchKeepsTheTimelineAndCrossfadesWithEqualGainWeights) {
    TempDir dir;
    const int64_t frames = 9000;
    AudioBuffer a = index_ramp(2, frames);
    AudioBuffer b(1, frames);
    for (int64_t i = 0; i < frames; ++i) b.channel(0)[i] = 0.25f - static_cast<float>(i) / 65536.0f;
    test::write_wav(dir / "a.wav", a, kRate);
    test::write_wav(dir / "b.wav", b, kRate);
    PlaybackRequest request;
    request.a = {dir / "a.wav", -3.0, "A"};
    request.b = PlaybackSource{dir / "b.wav", 1.5, "B"};
    auto opened = PlaybackFeed::open(request, {kRate, 2}, pumped());
    ASSERT_TRUE(opened.has_value()) << opened.error().message;
    PlaybackFeed& feed = **opened;
    const int64_t n = std::llround(PlaybackFeed::kAbCrossfadeMs / 1000.0 * kRate);
    ASSERT_EQ(feed.crossfade_frames(), n);
    ASSERT_EQ(n, 480);  // 10 ms at 48 kHz

    const double ga = gain_of(-3.0), gb = gain_of(1.5);
    // weight_b(t): B's weight at output frame t; the oracle for every frame.
    auto check = [&](const std::vector<float>& out, int64_t first, auto weight_b) {
        for (size_t k = 0; k < out.size() / 2; ++k) {
            const int64_t t = first + static_cast<int64_t>(k);
            const double w = weight_b(static_cast<int64_t>(k));
            for (int c = 0; c < 2; ++c) {
                const double want = (1.0 - w) * a.channel(c)[t] * ga + w * b.channel(0)[t] * gb;
                ASSERT_NEAR(out[k * 2 + static_cast<size_t>(c)], want, 1e-6) << "frame " << t << " channel " << c << " weight " << w;
            }
        }
    };

    auto out = render(feed, 1000, 333);
    check(out, 0, [](int64_t) { return 0.0; });
    feed.select(AbSide::B);
    EXPECT_EQ(feed.selected(), AbSide::B);
    out = render(feed, 100, 37);  // inside the fade
    check(out, 1000, [&](int64_t k) { return static_cast<double>(k + 1) / n; });
    feed.select(AbSide::A);  // back mid-fade: the weight falls from 100/N
    out = render(feed, 300, 101);
    check(out, 1100, [&](int64_t k) { return std::max<double>(0.0, static_cast<double>(100 - (k + 1)) / n); });
    feed.select(AbSide::B);
    out = render(feed, 2000, 499);
    check(out, 1400, [&](int64_t k) { return static_cast<double>(std::min<int64_t>(k + 1, n)) / n; });
    EXPECT_EQ(feed.position_frames(), 3400);
    // Settled on B: exactly B × gain.
    for (size_t k = n; k < out.size() / 2; ++k)
        ASSERT_EQ(out[k * 2], b.channel(0)[1400 + static_cast<int64_t>(k)] * static_cast<float>(gb));
}

TEST(PlaybackFeed, SeekDropsWhatWasDecodedAndLandsOnTheFrame) {
    TempDir dir;
    test::write_wav(dir / "ramp.wav", index_ramp(2, 30000), kRate);
    PlaybackRequest request;
    request.a = {dir / "ramp.wav", 0.0, ""};
    auto feed = PlaybackFeed::open(request, {kRate, 2}, pumped());
    ASSERT_TRUE(feed.has_value());
    auto out = render(**feed, 500, 500);
    EXPECT_EQ(frame_of(out[499 * 2]), 499);
    (*feed)->seek(0.25);
    EXPECT_EQ((*feed)->position_frames(), 12000);  // the cursor jumps before anything plays
    out = render(**feed, 700, 300);
    for (int64_t i = 0; i < 700; ++i) ASSERT_EQ(frame_of(out[static_cast<size_t>(i * 2)]), 12000 + i);
    (*feed)->seek(0.01);  // backwards: the source is decoded again from its start
    out = render(**feed, 10, 10);
    EXPECT_EQ(frame_of(out[0]), 480);
    (*feed)->seek(1e9);  // clamped to the end
    out = render(**feed, 10, 10);
    EXPECT_EQ(out[0], 0.0f);
    EXPECT_TRUE((*feed)->finished());
    EXPECT_EQ((*feed)->position_frames(), 30000);
}

TEST(PlaybackFeed, GainChangesApplyExactlyAtTheNextRender) {
    TempDir dir;
    AudioBuffer source = test::noise(2, 4000, 5, 0.5);
    test::write_wav(dir / "a.wav", source, kRate);
    PlaybackRequest request;
    request.a = {dir / "a.wav", 0.0, ""};
    auto feed = PlaybackFeed::open(request, {kRate, 2}, pumped());
    ASSERT_TRUE(feed.has_value());
    auto out = render(**feed, 1000, 1000);
    for (int64_t i = 0; i < 1000; ++i) ASSERT_EQ(out[static_cast<size_t>(i * 2)], source.channel(0)[i]);
    (*feed)->set_gain_db(AbSide::A, -14.25);
    out = render(**feed, 1000, 1000);
    for (int64_t i = 0; i < 1000; ++i) ASSERT_EQ(out[static_cast<size_t>(i * 2)], source.channel(0)[1000 + i] * gain_of(-14.25));
}

TEST(PlaybackFeed, ShorterSourceOfAnAbPairIsPaddedWithSilence) {
    TempDir dir;
    test::write_wav(dir / "long.wav", index_ramp(2, 5000), kRate);
    test::write_wav(dir / "short.wav", index_ramp(2, 2000), kRate);
    PlaybackRequest request;
    request.a = {dir / "long.wav", 0.0, ""};
    request.b = PlaybackSource{dir / "short.wav", 0.0, ""};
    request.selected = AbSide::B;
    auto feed = PlaybackFeed::open(request, {kRate, 2}, pumped());
    ASSERT_TRUE(feed.has_value());
    EXPECT_EQ((*feed)->duration_frames(), 5000);
    auto out = render(**feed, 5000, 640);
    EXPECT_EQ(frame_of(out[1999 * 2]), 1999);
    for (int64_t i = 2000; i < 5000; ++i) ASSERT_EQ(out[static_cast<size_t>(i * 2)], 0.0f);
    EXPECT_TRUE((*feed)->finished());
}

TEST(PlaybackFeed, FeederThreadDeliversEveryFrameInOrder) {
    TempDir dir;
    const int64_t frames = 3 * kRate + 17;  // several ring refills
    AudioBuffer source = test::noise(2, frames, 9, 0.5);
    test::write_wav(dir / "a.wav", source, kRate);
    PlaybackRequest request;
    request.a = {dir / "a.wav", 0.0, ""};
    PlaybackFeed::Options options;
    options.ring_frames = 8192;
    auto feed = PlaybackFeed::open(request, {kRate, 2}, options);
    ASSERT_TRUE(feed.has_value());
    std::vector<float> out(static_cast<size_t>(frames * 2));
    const int64_t block = 441;
    for (int64_t done = 0; done < frames; done += block) {
        // Waiting stands in for the device's clock; the deadline only guards a hang.
        ASSERT_TRUE((*feed)->wait_buffered(block, 30.0)) << "the feeder stalled at frame " << done;
        (*feed)->render(out.data() + done * 2, std::min(block, frames - done));
    }
    EXPECT_EQ((*feed)->underrun_frames(), 0);
    for (int64_t i = 0; i < frames; ++i) ASSERT_EQ(out[static_cast<size_t>(i * 2 + 1)], source.channel(1)[i]) << "frame " << i;
    ASSERT_TRUE((*feed)->wait_buffered(1, 30.0));
    EXPECT_TRUE((*feed)->finished());
}

// A device thread renders while this thread seeks, loops, switches and
// changes gains. Whatever arrives must be whole frames of the source: both
// channels of a frame name the same source frame (a torn or stale-mixed frame
// would not), within the file, and in order between control calls.
TEST(PlaybackFeed, ControlFromAnotherThreadNeverTearsAFrame) {
    TempDir dir;
    const int64_t frames = 2 * kRate;
    test::write_wav(dir / "ramp.wav", index_ramp(2, frames), kRate);
    PlaybackRequest request;
    request.a = {dir / "ramp.wav", 0.0, ""};
    request.b = PlaybackSource{dir / "ramp.wav", 0.0, ""};  // same file: a switch changes nothing audible
    request.loop = LoopRegion{0.5, 1.5};
    PlaybackFeed::Options options;
    options.ring_frames = 4096;
    auto feed = PlaybackFeed::open(request, {kRate, 2}, options);
    ASSERT_TRUE(feed.has_value());

    std::atomic<bool> stop{false};
    std::atomic<int64_t> bad{-1};
    std::thread device([&] {
        std::vector<float> block(256 * 2);
        while (!stop.load()) {
            (*feed)->render(block.data(), 256);
            for (int64_t i = 0; i < 256; ++i) {
                const float l = block[static_cast<size_t>(i * 2)], r = block[static_cast<size_t>(i * 2 + 1)];
                const int64_t t = frame_of(l);
                if (l == 0.0f && r == 0.0f) continue;  // silence: a seek being decoded
                if (r != -l || t < 0 || t >= frames) bad.store(t);
            }
        }
    });
    for (int step = 0; step < 300; ++step) {
        switch (step % 5) {
            case 0: (*feed)->seek(0.001 * step); break;
            case 1: (*feed)->select(step % 2 ? AbSide::B : AbSide::A); break;
            case 2: EXPECT_TRUE((*feed)->set_loop(step % 3 ? std::optional<LoopRegion>{LoopRegion{0.25, 0.75}} : std::nullopt).has_value()); break;
            case 3: (*feed)->set_gain_db(AbSide::A, 0.0); break;  // 0 dB: frames stay exact
            default: (void)(*feed)->position_s(); (void)(*feed)->finished(); break;
        }
        std::this_thread::sleep_for(std::chrono::microseconds(300));
    }
    stop.store(true);
    device.join();
    EXPECT_EQ(bad.load(), -1) << "a frame that is not a whole source frame: " << bad.load();
    EXPECT_FALSE((*feed)->error().has_value());
}

TEST(PlaybackFeed, RefusesMissingFilesBadLoopsAndBWithoutASecondSource) {
    TempDir dir;
    test::write_wav(dir / "a.wav", index_ramp(1, 4800), kRate);
    PlaybackRequest request;
    request.a = {dir / "missing.wav", 0.0, "stem \"x\""};
    auto missing = PlaybackFeed::open(request, {kRate, 2});
    ASSERT_FALSE(missing.has_value());
    EXPECT_EQ(missing.error().code, ErrorCode::FileNotFound);
    EXPECT_NE(missing.error().message.find("missing.wav"), std::string::npos) << missing.error().message;

    request.a.file = dir / "a.wav";
    request.loop = LoopRegion{0.08, 0.02};
    auto reversed = PlaybackFeed::open(request, {kRate, 2});
    ASSERT_FALSE(reversed.has_value());
    EXPECT_EQ(reversed.error().code, ErrorCode::InvalidArgument);
    request.loop = LoopRegion{0.5, 0.9};  // the file is 0.1 s long
    EXPECT_FALSE(PlaybackFeed::open(request, {kRate, 2}).has_value());

    request.loop.reset();
    request.selected = AbSide::B;
    auto lonely = PlaybackFeed::open(request, {kRate, 2});
    ASSERT_FALSE(lonely.has_value());
    EXPECT_EQ(lonely.error().code, ErrorCode::InvalidArgument);

    request.selected = AbSide::A;
    auto ok = PlaybackFeed::open(request, {kRate, 2});
    ASSERT_TRUE(ok.has_value());
    EXPECT_FALSE((*ok)->set_loop(LoopRegion{0.05, 0.05}).has_value());
}

}  // namespace
}  // namespace sf
