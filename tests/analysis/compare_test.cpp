// compare: alignment by cross-correlation and the null residual, against
// constructed pairs whose offset and residual are known.
#include <gtest/gtest.h>

#include <atomic>
#include <cmath>
#include <future>
#include <numbers>
#include <thread>

#include "analysis/compare.h"
#include "engine/core/random.h"
#include "tests/support/test_support.h"

namespace sf::analysis {
namespace {

AudioBuffer programme(int64_t frames, uint64_t seed) {
    Random rng(seed);
    AudioBuffer b(2, frames);
    double lp0 = 0.0, lp1 = 0.0;
    for (int64_t i = 0; i < frames; ++i) {
        lp0 = 0.9 * lp0 + 0.1 * rng.bipolar();
        lp1 = 0.8 * lp1 + 0.2 * rng.bipolar();
        b.channel(0)[i] = static_cast<float>(2.0 * lp0);
        b.channel(1)[i] = static_cast<float>(1.5 * lp1);
    }
    return b;
}

AudioBuffer shifted(const AudioBuffer& a, int64_t delay, double noise_amp, uint64_t seed) {
    // B[n + delay] = A[n] (+ noise): B is late by `delay` (early if negative).
    Random rng(seed);
    AudioBuffer b(a.channels(), a.frames());
    for (int c = 0; c < a.channels(); ++c)
        for (int64_t n = 0; n < a.frames(); ++n) {
            const int64_t src = n - delay;
            const float v = src >= 0 && src < a.frames() ? a.channel(c)[src] : 0.0f;
            b.channel(c)[n] = v + static_cast<float>(noise_amp * rng.bipolar());
        }
    return b;
}

TEST(Compare, IdenticalFilesNullCompletely) {
    test::TempDir dir;
    const auto a = programme(48000 * 3, 1);
    test::write_wav(dir / "a.wav", a, 48000);
    test::write_wav(dir / "b.wav", a, 48000);
    auto r = compare_files(dir / "a.wav", dir / "b.wav");
    ASSERT_TRUE(r.has_value()) << r.error().message;
    EXPECT_EQ(r->offset_samples, 0);
    const auto j = to_json(*r);
    EXPECT_TRUE(j["residual_peak_dbfs"].is_null());
    EXPECT_TRUE(j["residual_rms_dbfs"].is_null());
    EXPECT_TRUE(j["snr_db"].is_null());
    EXPECT_NEAR(j["integrated_diff_lu"].get<double>(), 0.0, 1e-12);
}

TEST(Compare, FindsOffsetAndMeasuresKnownResidual) {
    test::TempDir dir;
    const auto a = programme(48000 * 3 + 11, 2);
    const double noise = 1e-3;   // uniform ±1e-3: RMS = 1e-3/√3 → −64.77 dBFS
    for (int64_t delay : {37, -1234, 0}) {
        const auto b = shifted(a, delay, noise, 3);
        test::write_wav(dir / "a.wav", a, 48000);
        test::write_wav(dir / "b.wav", b, 48000);
        auto r = compare_files(dir / "a.wav", dir / "b.wav");
        ASSERT_TRUE(r.has_value()) << r.error().message;
        EXPECT_EQ(r->offset_samples, delay);
        const auto j = to_json(*r);
        EXPECT_NEAR(j["residual_rms_dbfs"].get<double>(), 20 * std::log10(noise / std::sqrt(3.0)), 0.1) << delay;
        EXPECT_LE(j["residual_peak_dbfs"].get<double>(), 20 * std::log10(noise) + 0.01);
        EXPECT_GE(j["residual_peak_dbfs"].get<double>(), 20 * std::log10(noise) - 0.1);
        // SNR = signal power / noise power.
        double sig = 0.0;
        for (int c = 0; c < 2; ++c)
            for (int64_t i = 0; i < a.frames(); ++i) sig += static_cast<double>(a.channel(c)[i]) * a.channel(c)[i];
        const double snr = 10 * std::log10(sig / (2.0 * a.frames()) / (noise * noise / 3.0));
        EXPECT_NEAR(j["snr_db"].get<double>(), snr, 0.2) << delay;
        EXPECT_EQ(j["frames_compared"].get<int64_t>(), a.frames() - std::abs(delay));
    }
}

TEST(Compare, MismatchedFormatsAreErrors) {
    test::TempDir dir;
    test::write_wav(dir / "a.wav", programme(4800, 1), 48000);
    test::write_wav(dir / "b.wav", programme(4410, 1), 44100);
    AudioBuffer mono(1, 4800);
    test::write_wav(dir / "m.wav", mono, 48000);
    auto r1 = compare_files(dir / "a.wav", dir / "b.wav");
    ASSERT_FALSE(r1.has_value());
    EXPECT_NE(r1.error().message.find("44100"), std::string::npos);
    auto r2 = compare_files(dir / "a.wav", dir / "m.wav");
    ASSERT_FALSE(r2.has_value());
    EXPECT_NE(r2.error().message.find("m.wav"), std::string::npos);
}

}  // namespace
}  // namespace sf::analysis

// ---- for the compare view: where the files differ, progress and cancel

namespace sf::analysis {
namespace {

// B = A + bursts: the residual is exactly the bursts (float WAV, B − A in
// float is exact to rounding of A + burst, ~1e-8 of A).
// 10 ms of 1 kHz at 48 kHz fading linearly to 0: the first crest (sample 12,
// a quarter period) is the one peak, kCrest of the amplitude.
double burst_shape(int64_t i, int rate) {
    return std::sin(2 * std::numbers::pi * 1000.0 * static_cast<double>(i) / rate) * (1.0 - static_cast<double>(i) / (rate / 100.0));
}
constexpr double kCrest = 1.0 - 12.0 / 480.0;
struct Burst {
    double at_s, amplitude;
};
AudioBuffer with_bursts(const AudioBuffer& a, int rate, const std::vector<Burst>& bursts) {
    AudioBuffer b(a.channels(), a.frames());
    for (int c = 0; c < a.channels(); ++c) std::copy_n(a.channel(c), a.frames(), b.channel(c));
    for (const Burst& s : bursts) {
        const auto start = static_cast<int64_t>(std::llround(s.at_s * rate));
        for (int64_t i = 0; i < rate / 100; ++i) b.channel(1)[start + i] += static_cast<float>(s.amplitude * burst_shape(i, rate));
    }
    return b;
}

TEST(CompareOverTime, APlantedBurstIsTheWorstStretchAtItsTimeWithItsPeak) {
    test::TempDir dir;
    const int rate = 48000;
    const auto a = programme(int64_t{rate} * 3, 5);
    const auto b = with_bursts(a, rate, {{2.345, 0.25}});
    test::write_wav(dir / "a.wav", a, rate);
    test::write_wav(dir / "b.wav", b, rate);
    auto r = compare_files(dir / "a.wav", dir / "b.wav");
    ASSERT_TRUE(r.has_value()) << r.error().message;
    ASSERT_EQ(r->offset_samples, 0);
    ASSERT_EQ(r->worst_stretches.size(), 1u);   // nothing else differs
    const ResidualStretch& w = r->worst_stretches[0];
    const double crest_s = 2.345 + 12.0 / rate;   // sin peaks at a quarter of 48 samples
    EXPECT_LE(w.start_s, 2.345);
    EXPECT_GE(w.end_s, 2.355);
    EXPECT_NEAR(w.end_s - w.start_s, 0.1, 1e-12);
    EXPECT_NEAR(w.peak, 0.25 * kCrest, 1e-6);
    EXPECT_NEAR(w.peak_s, crest_s, 0.5 / rate);
    // RMS of the stretch: the burst's energy over 100 ms × 2 channels.
    double energy = 0.0;
    for (int64_t i = 0; i < 480; ++i) energy += std::pow(0.25 * burst_shape(i, rate), 2);
    EXPECT_NEAR(w.rms, std::sqrt(energy / (4800.0 * 2.0)), 1e-6);
    // Over time: <= 4096 buckets covering the overlap; the burst's bucket(s) carry its peak, the rest are zero.
    ASSERT_LE(r->residual_peak_over_time.size(), static_cast<size_t>(kMaxResidualBuckets));
    ASSERT_EQ(r->residual_peak_over_time.size(), r->residual_rms_over_time.size());
    EXPECT_GE(static_cast<double>(r->residual_peak_over_time.size()) * r->residual_bucket_s, 3.0 - 1e-9);
    EXPECT_EQ(r->residual_start_s, 0.0);
    const auto crest_bucket = static_cast<size_t>(crest_s / r->residual_bucket_s);
    EXPECT_NEAR(r->residual_peak_over_time[crest_bucket], 0.25 * kCrest, 1e-6);
    for (size_t k = 0; k < r->residual_peak_over_time.size(); ++k) {
        const double t0 = static_cast<double>(k) * r->residual_bucket_s, t1 = t0 + r->residual_bucket_s;
        if (t1 <= 2.345 || t0 >= 2.355) {
            EXPECT_EQ(r->residual_peak_over_time[k], 0.0f) << k;
        }
    }
    // A's own RMS in the same buckets, summed here from the buffer.
    ASSERT_EQ(r->signal_rms_over_time.size(), r->residual_peak_over_time.size());
    const auto width = static_cast<int64_t>(std::llround(r->residual_bucket_s * rate));
    for (size_t k : {size_t{0}, crest_bucket, r->signal_rms_over_time.size() - 1}) {
        const int64_t first = static_cast<int64_t>(k) * width, last = std::min(a.frames(), first + width);
        double sq = 0.0;
        for (int c = 0; c < 2; ++c)
            for (int64_t i = first; i < last; ++i) sq += static_cast<double>(a.channel(c)[i]) * a.channel(c)[i];
        EXPECT_NEAR(r->signal_rms_over_time[k], std::sqrt(sq / static_cast<double>(2 * (last - first))), 1e-6) << k;
    }
    const auto j = to_json(*r);
    ASSERT_EQ(j["worst_stretches"].size(), 1u);
    EXPECT_EQ(j["signal_rms_dbfs_over_time"].size(), r->residual_peak_over_time.size());
    EXPECT_NEAR(j["worst_stretches"][0]["peak_dbfs"].get<double>(), 20 * std::log10(0.25 * kCrest), 1e-4);
    EXPECT_EQ(j["residual_peak_dbfs_over_time"].size(), r->residual_peak_over_time.size());
    EXPECT_TRUE(j["residual_peak_dbfs_over_time"][0].is_null());   // zero → null, never -inf
    EXPECT_NEAR(j["residual_bucket_s"].get<double>(), r->residual_bucket_s, 0.0);
}

TEST(CompareOverTime, EqualFilesHaveNoWorstStretchAndASilentResidual) {
    test::TempDir dir;
    const auto a = programme(48000 * 2 + 3, 6);
    test::write_wav(dir / "a.wav", a, 48000);
    test::write_wav(dir / "b.wav", a, 48000);
    auto r = compare_files(dir / "a.wav", dir / "b.wav");
    ASSERT_TRUE(r.has_value());
    EXPECT_TRUE(r->worst_stretches.empty());
    ASSERT_FALSE(r->residual_peak_over_time.empty());
    for (float v : r->residual_peak_over_time) ASSERT_EQ(v, 0.0f);
    const auto j = to_json(*r);
    EXPECT_TRUE(j["worst_stretches"].is_array() && j["worst_stretches"].empty());
    for (const auto& v : j["residual_rms_dbfs_over_time"]) ASSERT_TRUE(v.is_null());
}

TEST(CompareOverTime, TheTenLargestOfTwelveBurstsAreListedLargestFirstWithoutOverlap) {
    test::TempDir dir;
    const int rate = 48000;
    const auto a = programme(int64_t{rate} * 4, 7);
    std::vector<Burst> bursts;
    // Amplitudes 0.01 .. 0.12 in shuffled time order, 0.3 s apart.
    const int order[12] = {5, 11, 0, 8, 3, 10, 1, 7, 9, 2, 6, 4};
    for (int i = 0; i < 12; ++i) bursts.push_back({0.2 + 0.3 * i, 0.01 * (order[i] + 1)});
    test::write_wav(dir / "a.wav", a, rate);
    test::write_wav(dir / "b.wav", with_bursts(a, rate, bursts), rate);
    auto r = compare_files(dir / "a.wav", dir / "b.wav");
    ASSERT_TRUE(r.has_value());
    ASSERT_EQ(r->worst_stretches.size(), static_cast<size_t>(kWorstStretches));
    for (int k = 0; k < kWorstStretches; ++k) {
        const double amplitude = 0.01 * (12 - k);   // 0.12, 0.11, ... 0.03
        const Burst* burst = nullptr;
        for (const Burst& s : bursts)
            if (std::abs(s.amplitude - amplitude) < 1e-9) burst = &s;
        ASSERT_NE(burst, nullptr);
        const ResidualStretch& w = r->worst_stretches[static_cast<size_t>(k)];
        EXPECT_NEAR(w.peak, amplitude * kCrest, 1e-6) << k;
        EXPECT_NEAR(w.peak_s, burst->at_s + 12.0 / rate, 0.5 / rate) << k;
        for (int m = 0; m < k; ++m) {   // no two stretches overlap
            const ResidualStretch& o = r->worst_stretches[static_cast<size_t>(m)];
            EXPECT_TRUE(w.end_s <= o.start_s || w.start_s >= o.end_s) << k << " " << m;
        }
    }
}

TEST(CompareOverTime, ANegativeOffsetPutsTimesOnFileA) {
    // B is early by 1234 samples: the overlap starts 1234 samples into A, and
    // the burst planted at 1.5 s of A's timeline is reported at 1.5 s.
    test::TempDir dir;
    const int rate = 48000;
    const auto a = programme(int64_t{rate} * 3, 8);
    const auto a_burst = with_bursts(a, rate, {{1.5, 0.2}});
    const auto b = shifted(a_burst, -1234, 0.0, 1);
    test::write_wav(dir / "a.wav", a, rate);
    test::write_wav(dir / "b.wav", b, rate);
    auto r = compare_files(dir / "a.wav", dir / "b.wav");
    ASSERT_TRUE(r.has_value());
    ASSERT_EQ(r->offset_samples, -1234);
    EXPECT_NEAR(r->residual_start_s, 1234.0 / rate, 1e-12);
    ASSERT_FALSE(r->worst_stretches.empty());
    EXPECT_NEAR(r->worst_stretches[0].peak_s, 1.5 + 12.0 / rate, 0.5 / rate);
    EXPECT_NEAR(r->worst_stretches[0].peak, 0.2 * kCrest, 1e-6);
}

TEST(CompareProgress, IsMonotonicReachesOneAndCancelStops) {
    test::TempDir dir;
    const auto a = programme(48000 * 4, 9);
    test::write_wav(dir / "a.wav", a, 48000);
    test::write_wav(dir / "b.wav", a, 48000);
    std::vector<double> seen;
    CompareOptions o;
    o.progress = [&](double f) { seen.push_back(f); };
    ASSERT_TRUE(compare_files(dir / "a.wav", dir / "b.wav", o).has_value());
    ASSERT_GE(seen.size(), 2u);   // 192000 frames in 65536-frame blocks: 3
    for (size_t i = 1; i < seen.size(); ++i) EXPECT_GE(seen[i], seen[i - 1]);
    EXPECT_GE(seen.front(), 0.0);
    EXPECT_EQ(seen.back(), 1.0);

    // Cancel set by the first progress call (the work's own thread) ...
    std::atomic<bool> cancel{false};
    int calls = 0;
    o.cancel = &cancel;
    o.progress = [&](double) {
        ++calls;
        cancel.store(true);
    };
    auto r = compare_files(dir / "a.wav", dir / "b.wav", o);
    ASSERT_FALSE(r.has_value());
    EXPECT_EQ(r.error().code, ErrorCode::Cancelled);
    EXPECT_EQ(calls, 1);
    // ... and by another thread, handed over from the first progress call.
    cancel.store(false);
    std::promise<void> started;
    std::thread canceller([&, f = started.get_future()]() mutable {
        f.wait();
        cancel.store(true);
    });
    bool first = true;
    o.progress = [&](double) {
        if (!first) return;
        first = false;
        started.set_value();
        while (!cancel.load()) std::this_thread::yield();
    };
    auto r2 = compare_files(dir / "a.wav", dir / "b.wav", o);
    canceller.join();
    ASSERT_FALSE(r2.has_value());
    EXPECT_EQ(r2.error().code, ErrorCode::Cancelled);
}

}  // namespace
}  // namespace sf::analysis
