// Stem-attributed diagnostics (engine/render/diagnostics.h) against oracles
// computed here: overs found in the rendered file by the definition (|x| >
// 1 on either channel, stretches closer than 10 ms merged), shares from the
// stems' known signals at the peak; masking on band-limited noise whose
// bands are known by construction.
#include <gtest/gtest.h>

#include <algorithm>
#include <cmath>
#include <cstdio>
#include <numbers>
#include <vector>

#include "engine/dsp/fftw_util.h"
#include "engine/render/cpu_mixer.h"
#include "engine/render/diagnostics.h"
#include "engine/render/renderer.h"
#include "tests/support/test_support.h"

namespace sf {
namespace {

constexpr int kRate = 48000;

struct Diagnosed {
    MixDiagnosticsReport report;
    AudioBuffer out;  // the delivered mix (no master block: the bus sum)
};

Diagnosed render_diagnosed(const std::string& session_text, const test::TempDir& dir, std::optional<TimeRegion> region = std::nullopt,
                           int64_t block = 65536) {
    auto s = parse_session(session_text, dir.path(), "test");
    EXPECT_TRUE(s.has_value()) << (s ? "" : s.error().message);
    Diagnosed d;
    if (!s) return d;
    std::vector<std::string> names;
    for (const StemSpec& st : s->stems) names.push_back(st.name);
    MixDiagnostics diagnostics(names);
    CpuMixer mixer;
    RenderOptions opt;
    opt.block_frames = block;
    opt.output_override = dir / "out.wav";
    opt.region = region;
    opt.diagnostics = &diagnostics;
    // The delivered mix as the renderer hands it over (the file would be
    // PCM, clipped at full scale).
    std::vector<float> l, r;
    opt.master_tap = [&](const AudioBuffer& m, int64_t n) {
        l.insert(l.end(), m.channel(0), m.channel(0) + n);
        r.insert(r.end(), m.channel(1), m.channel(1) + n);
    };
    auto res = render_session(*s, mixer, opt);
    EXPECT_TRUE(res.has_value()) << (res ? "" : res.error().message);
    EXPECT_TRUE(diagnostics.started());
    d.report = diagnostics.finish();
    d.out.resize(2, static_cast<int64_t>(l.size()));
    std::copy(l.begin(), l.end(), d.out.channel(0));
    std::copy(r.begin(), r.end(), d.out.channel(1));
    return d;
}

// The overs of a stereo signal by the definition, on frames [0, n).
struct OracleOver {
    int64_t first = 0, last = 0, peak_frame = 0;
    int peak_channel = 0;
    double peak = 0.0;
};
std::vector<OracleOver> oracle_overs(const AudioBuffer& x, int64_t gap_frames) {
    std::vector<OracleOver> overs;
    for (int64_t i = 0; i < x.frames(); ++i) {
        const double l = std::abs(static_cast<double>(x.channel(0)[i])), r = std::abs(static_cast<double>(x.channel(1)[i]));
        if (l <= 1.0 && r <= 1.0) continue;
        if (overs.empty() || i - overs.back().last - 1 >= gap_frames) overs.push_back({i, i, i, 0, 0.0});
        OracleOver& o = overs.back();
        o.last = i;
        for (int c = 0; c < 2; ++c) {
            const double v = c == 0 ? l : r;
            if (v > o.peak) {
                o.peak = v;
                o.peak_frame = i;
                o.peak_channel = c;
            }
        }
    }
    return overs;
}

// A 100 Hz burst at 1.1 drives "drums" over full scale at 1.0 s for 30 ms
// over a pad (with a linear-phase EQ, so the graph has latency the taps must
// compensate) and quiet noise. The drums reach the master through a bus
// with a +2 dB fader: their attributed contribution is their post-fader
// signal into that bus (−1 dB), not the bus's output.
constexpr int64_t kBurstAt = kRate, kBurstFrames = 1440;
constexpr const char* kOverSession = R"({"format": "stemforge-session", "version": 1, "sample_rate": 48000,
  "stems": [{"name": "pad", "file": "pad.wav", "eq": {"mode": "linear", "bands": [{"type": "bell", "freq_hz": 1000, "gain_db": 3, "q": 1}]}},
            {"name": "drums", "file": "drums.wav", "gain_db": -1, "output": "drumbus"},
            {"name": "vox", "file": "vox.wav"}],
  "buses": [{"name": "drumbus", "gain_db": 2}]})";

struct OverStems {
    AudioBuffer pad, drums, vox;
};
OverStems write_over_stems(const test::TempDir& dir, int64_t frames) {
    OverStems s{test::sine(2, frames, kRate, 220.0, 0.3), AudioBuffer(2, frames), test::noise(2, frames, 7, 0.1)};
    for (int64_t i = 0; i < kBurstFrames; ++i) {
        const double v = std::sin(2.0 * std::numbers::pi * 100.0 * static_cast<double>(i) / kRate);
        s.drums.channel(0)[kBurstAt + i] = static_cast<float>(1.1 * v);
        s.drums.channel(1)[kBurstAt + i] = static_cast<float>(0.5 * v);  // the left channel holds the peak
    }
    test::write_wav(dir / "pad.wav", s.pad, kRate);
    test::write_wav(dir / "drums.wav", s.drums, kRate);
    test::write_wav(dir / "vox.wav", s.vox, kRate);
    return s;
}

// The shares at an over's peak by the definition: the bus sum s from the
// rendered file, the drums' and vox's contributions from their known
// signals and faders, the pad's as what remains of s (its EQ is the only
// unknown stage).
std::vector<double> oracle_shares(const OverStems& stems, const AudioBuffer& out, int64_t t, int c) {
    const double s = out.channel(c)[t];
    const double drums = std::pow(10.0, -1.0 / 20.0) * stems.drums.channel(c)[t];
    const double bus_gain = std::pow(10.0, 2.0 / 20.0);
    const double vox = stems.vox.channel(c)[t];
    const double pad = s - bus_gain * drums - vox;
    std::vector<double> p = {std::max(0.0, pad * s), std::max(0.0, drums * s), std::max(0.0, vox * s)};
    const double total = p[0] + p[1] + p[2];
    for (double& v : p) v /= total;
    return p;
}

double share_of(const MixOver& o, const std::string& name) {
    for (const OverStem& s : o.stems)
        if (s.name == name) return s.share;
    return 0.0;
}

TEST(MixDiagnostics, OverIsAttributedToTheStemThatCausedIt) {
    test::TempDir dir;
    const int64_t frames = 2 * kRate;
    const OverStems stems = write_over_stems(dir, frames);
    const Diagnosed d = render_diagnosed(kOverSession, dir);
    ASSERT_GE(d.out.frames(), frames);

    const auto want = oracle_overs(d.out, std::llround(kOverMergeGapS * kRate));
    // The burst's half cycles are 5 ms apart: one stretch, inside the burst.
    ASSERT_EQ(want.size(), 1u);
    ASSERT_GE(want[0].first, kBurstAt);
    ASSERT_LT(want[0].last, kBurstAt + kBurstFrames);
    ASSERT_EQ(d.report.overs.size(), 1u);
    const MixOver& got = d.report.overs[0];
    EXPECT_EQ(got.first_frame, want[0].first);
    EXPECT_EQ(got.last_frame, want[0].last);
    EXPECT_EQ(got.peak_frame, want[0].peak_frame);
    EXPECT_EQ(got.peak_channel, want[0].peak_channel);
    EXPECT_EQ(got.peak_channel, 0);
    EXPECT_NEAR(20.0 * std::log10(got.peak), 20.0 * std::log10(want[0].peak), 1e-6);

    const auto shares = oracle_shares(stems, d.out, want[0].peak_frame, want[0].peak_channel);
    ASSERT_FALSE(got.stems.empty());
    EXPECT_EQ(got.stems[0].name, "drums");
    EXPECT_GT(got.stems[0].share, 0.5);
    EXPECT_NEAR(share_of(got, "pad"), shares[0], 1e-4);
    EXPECT_NEAR(share_of(got, "drums"), shares[1], 1e-4);
    EXPECT_NEAR(share_of(got, "vox"), shares[2], 1e-4);
    double listed = 0.0;
    for (const OverStem& s : got.stems) listed += s.share;
    EXPECT_LE(listed, 1.0 + 1e-9);
    for (size_t j = 1; j < got.stems.size(); ++j) EXPECT_GE(got.stems[j - 1].share, got.stems[j].share);

    // Split blocks change nothing.
    test::TempDir dir2;
    write_over_stems(dir2, frames);
    const Diagnosed split = render_diagnosed(kOverSession, dir2, std::nullopt, 4099);
    ASSERT_EQ(split.report.overs.size(), 1u);
    EXPECT_EQ(split.report.overs[0].first_frame, got.first_frame);
    EXPECT_EQ(split.report.overs[0].last_frame, got.last_frame);
    EXPECT_NEAR(share_of(split.report.overs[0], "drums"), shares[1], 1e-4);
}

// A region render reports on the session's timeline, and only what lies
// in the region.
TEST(MixDiagnostics, RegionRenderReportsTimelineFrames) {
    test::TempDir full_dir, region_dir, before_dir;
    const int64_t frames = 2 * kRate;
    write_over_stems(full_dir, frames);
    write_over_stems(region_dir, frames);
    write_over_stems(before_dir, frames);
    const Diagnosed full = render_diagnosed(kOverSession, full_dir);
    // Small blocks: the render starts at a pre-roll well inside the timeline.
    const Diagnosed region = render_diagnosed(kOverSession, region_dir, TimeRegion{0.9, 1.5}, 4096);
    const Diagnosed before = render_diagnosed(kOverSession, before_dir, TimeRegion{0.2, 0.95}, 4096);
    ASSERT_EQ(region.out.frames(), std::llround(0.6 * kRate));
    ASSERT_EQ(full.report.overs.size(), 1u);
    ASSERT_EQ(region.report.overs.size(), 1u);
    EXPECT_EQ(region.report.overs[0].first_frame, full.report.overs[0].first_frame);
    EXPECT_EQ(region.report.overs[0].last_frame, full.report.overs[0].last_frame);
    EXPECT_NEAR(region.report.overs[0].peak, full.report.overs[0].peak, 1e-6);
    EXPECT_TRUE(before.report.overs.empty());
}

TEST(MixDiagnostics, NothingOverGivesEmptyLists) {
    test::TempDir dir;
    const int64_t frames = 3 * kRate;
    test::write_wav(dir / "a.wav", test::sine(2, frames, kRate, 440.0, 0.4), kRate);
    test::write_wav(dir / "b.wav", test::sine(1, frames, kRate, 5000.0, 0.4), kRate);
    const Diagnosed d = render_diagnosed(R"({"format": "stemforge-session", "version": 1, "sample_rate": 48000,
      "stems": [{"name": "a", "file": "a.wav"}, {"name": "b", "file": "b.wav", "pan": 0.5}]})",
                                         dir);
    EXPECT_TRUE(d.report.overs.empty());
    EXPECT_TRUE(d.report.masking.empty());
    ASSERT_GT(d.out.frames(), 0);
    EXPECT_TRUE(oracle_overs(d.out, 480).empty());
}

// Overs closer than 10 ms merge, farther ones do not; shares are in-phase
// projections (a stem in antiphase gets none); blocks of any size and a
// covered stretch that starts mid-signal. Fed directly, no mixer.
TEST(MixDiagnostics, OversMergeWithinTheGapAndShareByProjection) {
    const int64_t n = 10000;
    AudioBuffer bus(2, n);
    auto over = [&](int64_t at, float v) { bus.channel(1)[at] = v; };
    over(1000, 1.2f);
    over(1001, -1.5f);
    over(1002, 1.1f);
    over(1000 + 480, 1.3f);   // 477 in-range frames after 1002: merged
    over(3000, 1.05f);        // 1519 after: a new stretch
    over(3000 + 481, -1.01f); // exactly 480 after: a new stretch
    for (int64_t i = 0; i < n; ++i) bus.channel(0)[i] = 0.25f;
    std::vector<AudioBuffer> stems(3, AudioBuffer(2, n));
    for (int c = 0; c < 2; ++c)
        for (int64_t i = 0; i < n; ++i) {
            const float s = bus.channel(c)[i];
            stems[0].channel(c)[i] = 0.85f * s;
            stems[1].channel(c)[i] = 0.25f * s;
            stems[2].channel(c)[i] = -0.10f * s;
        }
    auto run = [&](int64_t block, int64_t from) {
        MixDiagnostics d({"a", "b", "c"});
        d.start(kRate, from, n);
        // Buffers shifted by `offset` frames: the block's timeline frame 0 sits at buffer frame `offset`.
        const int64_t offset = 3;
        for (int64_t b0 = 0; b0 < n; b0 += block) {
            const int64_t len = std::min(block, n - b0);
            AudioBuffer bb(2, len + offset);
            std::vector<AudioBuffer> sb(3, AudioBuffer(2, len + offset));
            for (int c = 0; c < 2; ++c) {
                std::copy_n(bus.channel(c) + b0, len, bb.channel(c) + offset);
                for (size_t k = 0; k < 3; ++k) std::copy_n(stems[k].channel(c) + b0, len, sb[k].channel(c) + offset);
            }
            d.add(bb, sb, offset, len, b0);
        }
        return d.finish();
    };
    for (int64_t block : {int64_t{10000}, int64_t{997}, int64_t{1}}) {
        const MixDiagnosticsReport r = run(block, 0);
        ASSERT_EQ(r.overs.size(), 3u) << block;
        EXPECT_EQ(r.overs[0].first_frame, 1000);
        EXPECT_EQ(r.overs[0].last_frame, 1480);
        EXPECT_EQ(r.overs[0].peak_frame, 1001);
        EXPECT_EQ(r.overs[0].peak_channel, 1);
        EXPECT_DOUBLE_EQ(r.overs[0].peak, 1.5f);
        EXPECT_EQ(r.overs[1].first_frame, 3000);
        EXPECT_EQ(r.overs[1].last_frame, 3000);
        EXPECT_EQ(r.overs[2].first_frame, 3481);
        ASSERT_EQ(r.overs[0].stems.size(), 2u);
        EXPECT_EQ(r.overs[0].stems[0].name, "a");
        EXPECT_NEAR(r.overs[0].stems[0].share, 0.85 / 1.10, 1e-6);
        EXPECT_EQ(r.overs[0].stems[1].name, "b");
        EXPECT_NEAR(r.overs[0].stems[1].share, 0.25 / 1.10, 1e-6);
    }
    const MixDiagnosticsReport late = run(997, 1002);
    ASSERT_EQ(late.overs.size(), 3u);
    EXPECT_EQ(late.overs[0].first_frame, 1002);
    EXPECT_DOUBLE_EQ(late.overs[0].peak, 1.3f);
}

// Band-limited noise: white noise with every bin outside [lo_hz, hi_hz]
// removed (one FFT over the whole signal), scaled to the RMS `rms`.
AudioBuffer band_noise(int64_t frames, double lo_hz, double hi_hz, double rms, uint64_t seed) {
    const AudioBuffer white = test::noise(1, frames, seed, 1.0);
    const size_t n = static_cast<size_t>(frames);
    std::vector<double> x(white.channel(0), white.channel(0) + frames), y(n);
    std::vector<fftw_complex> spectrum(n / 2 + 1);
    fft_r2c_double(x.data(), n, spectrum.data());
    for (size_t k = 0; k < spectrum.size(); ++k) {
        const double f = static_cast<double>(k) * kRate / static_cast<double>(n);
        if (f < lo_hz || f > hi_hz) spectrum[k][0] = spectrum[k][1] = 0.0;
    }
    ifft_c2r_double(spectrum.data(), n, y.data());
    double sum_sq = 0.0;
    for (double v : y) sum_sq += v * v;
    const double g = rms / std::sqrt(sum_sq / static_cast<double>(frames));
    AudioBuffer b(1, frames);
    for (size_t i = 0; i < n; ++i) b.channel(0)[i] = static_cast<float>(g * y[i]);
    return b;
}

// Two stems with noise in 60–120 Hz at equal level mask each other there
// all the time; a third in 4–8 kHz masks nothing.
TEST(MixDiagnostics, KickAndBassMaskInTheirSharedBandOnly) {
    test::TempDir dir;
    const int64_t frames = 4 * kRate;
    test::write_wav(dir / "kick.wav", band_noise(frames, 60.0, 120.0, 0.05, 1), kRate);
    test::write_wav(dir / "bass.wav", band_noise(frames, 60.0, 120.0, 0.05, 2), kRate);
    test::write_wav(dir / "hats.wav", band_noise(frames, 4000.0, 8000.0, 0.05, 3), kRate);
    const Diagnosed d = render_diagnosed(R"({"format": "stemforge-session", "version": 1, "sample_rate": 48000,
      "stems": [{"name": "kick", "file": "kick.wav"}, {"name": "bass", "file": "bass.wav"}, {"name": "hats", "file": "hats.wav"}]})",
                                         dir);
    EXPECT_TRUE(d.report.overs.empty());
    ASSERT_FALSE(d.report.masking.empty());
    const MaskingPair& top = d.report.masking.front();
    for (const MaskingPair& m : d.report.masking)
        std::printf("masking: %s/%s %.0f-%.0f Hz %.1f %%\n", m.stems[0].c_str(), m.stems[1].c_str(), m.band_lo_hz, m.band_hi_hz, m.overlap_percent);
    EXPECT_EQ(top.stems[0], "kick");
    EXPECT_EQ(top.stems[1], "bass");
    EXPECT_LE(top.band_lo_hz, 60.0);
    EXPECT_GE(top.band_hi_hz, 120.0);
    EXPECT_LE(top.band_hi_hz, 300.0);
    EXPECT_GE(top.overlap_percent, 90.0);
    for (const MaskingPair& m : d.report.masking) {
        EXPECT_NE(m.stems[0], "hats");
        EXPECT_NE(m.stems[1], "hats");
        EXPECT_LE(m.band_hi_hz, 300.0) << "kick/bass reported outside their band";
    }

    // The same kick against a bass 10 dB lower: not within 3 dB, no masking.
    test::TempDir dir2;
    test::write_wav(dir2 / "kick.wav", band_noise(frames, 60.0, 120.0, 0.05, 1), kRate);
    test::write_wav(dir2 / "bass.wav", band_noise(frames, 60.0, 120.0, 0.05 * std::pow(10.0, -10.0 / 20.0), 2), kRate);
    const Diagnosed apart = render_diagnosed(R"({"format": "stemforge-session", "version": 1, "sample_rate": 48000,
      "stems": [{"name": "kick", "file": "kick.wav"}, {"name": "bass", "file": "bass.wav"}]})",
                                             dir2);
    EXPECT_TRUE(apart.report.masking.empty());
}

}  // namespace
}  // namespace sf
