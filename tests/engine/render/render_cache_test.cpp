// The render cache (engine/render/render_cache.h) against its contract: a
// render through it is bit-identical to one without it (the oracle is the
// uncached render of the same session, computed independently of every
// cache entry), on the demo session and on a session with automation, a
// sidechain and every insert; what an edit re-computes (a changed EQ band
// re-designs only that stem, a fader move re-runs no stem insert, a stem
// file edited on disk is decoded again); eviction under a tiny budget;
// and a region ("render selection") equal to the same stretch of a full
// render.
#include <gtest/gtest.h>

#include <cmath>
#include <cstring>
#include <numbers>

#include "engine/render/cpu_mixer.h"
#include "engine/render/render_cache.h"
#include "engine/render/renderer.h"
#include "engine/session/session_edit.h"
#include "tests/support/test_support.h"

namespace sf::test {
namespace {

constexpr int kRate = 48000;

// The mix (no master block: the cache acts on the mix only), interleaved.
std::vector<float> render_mix(const Session& session, RenderCache* cache, std::optional<TimeRegion> region = std::nullopt,
                              int64_t block_frames = 8192) {
    CpuMixer mixer;
    RenderOptions o;
    o.mix_only = true;
    o.cache = cache;
    o.region = region;
    o.block_frames = block_frames;
    std::vector<float> out;
    o.master_tap = [&out](const AudioBuffer& b, int64_t n) {
        for (int64_t i = 0; i < n; ++i)
            for (int c = 0; c < 2; ++c) out.push_back(b.channel(c)[i]);
    };
    auto r = render_session(session, mixer, o);
    EXPECT_TRUE(r.has_value()) << (r ? "" : r.error().message);
    return out;
}

// The first differing sample, for a readable failure.
::testing::AssertionResult same_samples(const std::vector<float>& a, const std::vector<float>& b) {
    if (a.size() != b.size()) return ::testing::AssertionFailure() << "lengths " << a.size() << " vs " << b.size();
    for (size_t i = 0; i < a.size(); ++i)
        if (std::memcmp(&a[i], &b[i], sizeof(float)) != 0)
            return ::testing::AssertionFailure() << "sample " << i << ": " << a[i] << " vs " << b[i];
    return ::testing::AssertionSuccess();
}

// Stems and an IR: kick bursts (mono), a bass sine (mono), a pad (stereo
// noise at 44.1 kHz: resampled), a lead sine (mono), a decaying stereo IR.
void write_sources(const TempDir& dir, double kick_amplitude = 0.9) {
    const int64_t n = 2 * kRate;
    AudioBuffer kick(1, n);
    for (double onset : {0.1, 0.6, 1.1, 1.6}) {
        const int64_t n0 = static_cast<int64_t>(onset * kRate);
        for (int64_t i = 0; i < kRate / 20; ++i)
            kick.channel(0)[n0 + i] = static_cast<float>(kick_amplitude * std::exp(-i / 900.0) * std::sin(2.0 * std::numbers::pi * 55.0 * i / kRate));
    }
    write_wav(dir / "kick.wav", kick, kRate, 24);
    write_wav(dir / "bass.wav", sine(1, n, kRate, 110.0, 0.5), kRate, 24);
    write_wav(dir / "pad.wav", noise(2, 2 * 44100, 7, 0.2), 44100, 24);
    write_wav(dir / "lead.wav", sine(1, n, kRate, 660.0, 0.3), kRate, 24);
    AudioBuffer ir = noise(2, kRate / 4, 11, 0.5);
    for (int c = 0; c < 2; ++c)
        for (int64_t i = 0; i < ir.frames(); ++i) ir.channel(c)[i] *= static_cast<float>(std::exp(-i / 2400.0));
    write_wav(dir / "ir.wav", ir, kRate, 32);
}

// Every insert, automation of every kind, a sidechain with its EQ, a
// resampled stem, an offset stem, fades, polarity, pre- and post-fader sends.
constexpr const char* kEverything = R"({
  "format": "stemforge-session", "version": 1, "sample_rate": 48000, "tempo_bpm": 120,
  "stems": [
    {"name": "kick", "file": "kick.wav", "gain_db": -2,
     "eq": {"mode": "linear", "bands": [{"type": "bell", "freq_hz": 80, "gain_db": 3, "q": 1}]},
     "compressor": {"threshold_db": -20, "ratio": 4, "attack_ms": 5, "release_ms": 80},
     "sends": [{"bus": "verb", "level_db": -12}]},
    {"name": "bass", "file": "bass.wav", "offset_s": 0.25, "fade_in_s": 0.1, "fade_out_s": 0.3,
     "compressor": {"threshold_db": -30, "ratio": 6, "attack_ms": 2, "release_ms": 120, "sidechain": "kick",
                    "sidechain_eq": {"mode": "minimum", "bands": [{"type": "lowpass", "freq_hz": 150, "slope_db_oct": 12}]}}},
    {"name": "pad", "file": "pad.wav", "pan": -0.3, "width": 1.4, "polarity_invert": true,
     "chorus": {"rate_hz": 0.7, "depth_ms": 2, "delay_ms": 9, "voices": 3, "mix": 0.5},
     "automation": {"gain_db": [[0, -6], [1, 0], [1.8, -3]], "width": [[0, 1], [1.5, 2]]},
     "sends": [{"bus": "echo", "level_db": -9, "pre_fader": true}]},
    {"name": "lead", "file": "lead.wav", "gain_db": -4,
     "eq": {"mode": "minimum", "bands": [{"type": "highpass", "freq_hz": 200, "slope_db_oct": 24},
                                          {"type": "bell", "freq_hz": 2000, "gain_db": -4, "q": 2}]},
     "automation": {"pan": [[0, -1], [2, 1]], "send_db": {"verb": [[0, -20], [1, -6]]}},
     "sends": [{"bus": "verb", "level_db": -6}]}
  ],
  "buses": [
    {"name": "verb", "reverb": {"ir": "ir.wav", "predelay_ms": 10, "wet_db": -3},
     "eq": {"mode": "linear", "bands": [{"type": "highpass", "freq_hz": 150, "slope_db_oct": 12}]},
     "compressor": {"threshold_db": -24, "ratio": 2, "attack_ms": 20, "release_ms": 200},
     "automation": {"gain_db": [[0, -3], [1.5, 0]]}},
    {"name": "echo", "delay": {"time_ms": 180, "feedback": 0.4, "pingpong": true, "lowcut_hz": 200},
     "chorus": {"rate_hz": 1.1}, "width": 0.8, "gain_db": -3}
  ]
})";

Session everything(const TempDir& dir) {
    write_text(dir / "session.json", kEverything);
    auto s = load_session(dir / "session.json");
    EXPECT_TRUE(s.has_value()) << (s ? "" : s.error().message);
    return *s;
}

Session edited(const Session& s, std::string_view path, const nlohmann::json& value) {
    auto e = session_set(s, path, value);
    EXPECT_TRUE(e.has_value()) << (e ? "" : e.error().message);
    return *e;
}

TEST(RenderCache, CachedRendersAreBitIdenticalOnASessionWithEveryInsert) {
    TempDir dir;
    write_sources(dir);
    const Session s = everything(dir);
    const std::vector<float> reference = render_mix(s, nullptr);
    ASSERT_GT(reference.size(), size_t{2 * kRate});

    RenderCache cache;
    EXPECT_TRUE(same_samples(render_mix(s, &cache), reference)) << "the render that fills the cache";
    EXPECT_EQ(cache.stats().stem_signal_hits, 0u);
    cache.reset_stats();
    EXPECT_TRUE(same_samples(render_mix(s, &cache), reference)) << "a render from the cache";
    // kick, pad and lead from the cache; bass has a sidechain (never stored).
    EXPECT_EQ(cache.stats().stem_signal_hits, 3u);
    EXPECT_EQ(cache.stats().stem_audio_hits, 4u);
    EXPECT_EQ(cache.stats().reverb_hits, 1u);
    EXPECT_EQ(cache.stats().eq_design_misses, 0u);

    // Moves after the inserts: each re-runs no insert and still renders as without a cache.
    const std::pair<const char*, nlohmann::json> moves[] = {
        {"stems[lead].gain_db", -6.0}, {"stems[pad].pan", 0.4}, {"stems[kick].mute", true},
        {"stems[pad].width", 0.5},      {"stems[kick].sends[0].level_db", -3.0}, {"stems[lead].automation.pan", nlohmann::json::parse("[[0,1],[2,-1]]")},
        {"stems[bass].solo", true}};
    for (const auto& [path, value] : moves) {
        const Session e = edited(s, path, value);
        cache.reset_stats();
        EXPECT_TRUE(same_samples(render_mix(e, &cache), render_mix(e, nullptr))) << path;
        EXPECT_EQ(cache.stats().stem_signal_misses, 0u) << path;
        EXPECT_EQ(cache.stats().eq_design_misses, 0u) << path;
    }
}

TEST(RenderCache, AChangedEqBandRedesignsOnlyThatStem) {
    TempDir dir;
    write_sources(dir);
    const Session s = everything(dir);
    RenderCache cache;
    render_mix(s, &cache);
    const Session e = edited(s, "stems[lead].eq.bands[1].gain_db", -7.5);
    cache.reset_stats();
    const std::vector<float> cached = render_mix(e, &cache);
    EXPECT_TRUE(same_samples(cached, render_mix(e, nullptr)));
    const RenderCache::Stats st = cache.stats();
    EXPECT_EQ(st.eq_design_misses, 1u);  // the lead's EQ; kick's, the bus's and the sidechain EQ come from the cache
    EXPECT_EQ(st.eq_design_hits, 3u);
    EXPECT_EQ(st.stem_signal_misses, 1u);  // the lead runs its inserts again
    EXPECT_EQ(st.stem_signal_hits, 2u);
    EXPECT_FALSE(same_samples(cached, render_mix(s, nullptr))) << "the edit must be heard";
}

TEST(RenderCache, AStemChangedOnDiskIsDecodedAgain) {
    TempDir dir;
    write_sources(dir);
    const Session s = everything(dir);
    RenderCache cache;
    const std::vector<float> before = render_mix(s, &cache);
    write_sources(dir, 0.45);  // every file rewritten; the kick at half the level
    cache.reset_stats();
    const std::vector<float> after = render_mix(s, &cache);
    EXPECT_EQ(cache.stats().stem_audio_hits, 0u);
    EXPECT_EQ(cache.stats().stem_signal_hits, 0u);
    EXPECT_EQ(cache.stats().reverb_hits, 0u);  // the IR file too
    EXPECT_TRUE(same_samples(after, render_mix(s, nullptr)));
    EXPECT_FALSE(same_samples(after, before));
}

TEST(RenderCache, EvictionUnderATinyBudgetStillRendersBitIdentically) {
    TempDir dir;
    write_sources(dir);
    const Session s = everything(dir);
    const std::vector<float> reference = render_mix(s, nullptr);
    // Room for about one stem's signal (2 s mono float = 384 kB): entries evict one another.
    RenderCache cache(600'000);
    for (int round = 0; round < 3; ++round) {
        EXPECT_TRUE(same_samples(render_mix(s, &cache), reference)) << "round " << round;
        EXPECT_LE(cache.bytes(), cache.budget_bytes());
    }
    EXPECT_GT(cache.stats().evictions, 0u);
    const Session e = edited(s, "stems[lead].gain_db", 2.0);
    EXPECT_TRUE(same_samples(render_mix(e, &cache), render_mix(e, nullptr)));
    // A budget below every entry: nothing stored, the render streams as without a cache.
    RenderCache none(16);
    EXPECT_TRUE(same_samples(render_mix(s, &none), reference));
    EXPECT_EQ(none.entries(), 0u);
}

TEST(RenderCache, RenderSelectionEqualsTheSameStretchOfAFullRender) {
    TempDir dir;
    write_sources(dir);
    const Session s = everything(dir);
    const std::vector<float> full = render_mix(s, nullptr);
    RenderCache cache;
    render_mix(s, &cache);  // as the workstation: the session rendered once, then a selection
    const TimeRegion region{1.25, 1.75};
    const std::vector<float> cached = render_mix(s, &cache, region);
    const std::vector<float> uncached = render_mix(s, nullptr, region);
    EXPECT_TRUE(same_samples(cached, uncached));
    const size_t from = static_cast<size_t>(std::llround(1.25 * kRate)), to = static_cast<size_t>(std::llround(1.75 * kRate));
    ASSERT_EQ(cached.size(), 2 * (to - from));
    // docs/mastering.md: on the CPU path a region is bit-identical to the full render's stretch.
    EXPECT_TRUE(same_samples(cached, std::vector<float>(full.begin() + static_cast<std::ptrdiff_t>(2 * from),
                                                        full.begin() + static_cast<std::ptrdiff_t>(2 * to))));
    EXPECT_GT(cache.stats().stem_audio_hits, 0u);  // the region reads its stems from the cache
}

TEST(RenderCache, DemoSessionRendersBitIdenticallyThroughTheCache) {
    TempDir dir;
    const CommandResult demo = run_stemforge({"demo", (dir / "demo").string(), "--duration", "8"});
    ASSERT_EQ(demo.exit_code, 0) << demo.err;
    auto loaded = load_session(dir / "demo" / "session.json");
    ASSERT_TRUE(loaded.has_value()) << loaded.error().message;
    Session s = *loaded;
    s.master.reset();
    const std::vector<float> reference = render_mix(s, nullptr, std::nullopt, 65536);
    RenderCache cache;
    EXPECT_TRUE(same_samples(render_mix(s, &cache, std::nullopt, 65536), reference));
    const StemSpec* lead = &s.stems.back();
    for (const StemSpec& st : s.stems)
        if (st.name == "lead") lead = &st;
    const Session e = edited(s, "stems[" + lead->name + "].gain_db", lead->gain_db - 2.0);
    cache.reset_stats();
    EXPECT_TRUE(same_samples(render_mix(e, &cache, std::nullopt, 65536), render_mix(e, nullptr, std::nullopt, 65536)));
    EXPECT_GT(cache.stats().stem_signal_hits, 0u);
    EXPECT_EQ(cache.stats().stem_signal_misses, 0u);
    EXPECT_EQ(cache.stats().stem_audio_misses, 0u);
}

TEST(RenderCache, KeysSeparateWhatFeedsAStemFromWhatFollowsIt) {
    TempDir dir;
    write_sources(dir);
    const Session s = everything(dir);
    const auto keys = stem_signal_keys(s, 8192);
    ASSERT_EQ(keys.size(), 4u);
    EXPECT_TRUE(keys[1].empty()) << "a keyed compressor hears another stem: never stored";
    EXPECT_EQ(stem_signal_keys(edited(s, "stems[pad].pan", 0.9), 8192)[2], keys[2]);
    EXPECT_EQ(stem_signal_keys(edited(s, "stems[lead].automation.send_db.verb", nlohmann::json::parse("[[0,-3]]")), 8192)[3], keys[3]);
    EXPECT_NE(stem_signal_keys(edited(s, "stems[pad].automation.gain_db", nlohmann::json::parse("[[0,-1]]")), 8192)[2], keys[2]);
    EXPECT_NE(stem_signal_keys(edited(s, "stems[kick].compressor.ratio", 5), 8192)[0], keys[0]);
    EXPECT_NE(stem_signal_keys(s, 4096)[0], keys[0]);
    EqSpec a = *s.stems[0].eq, b = a;
    b.bands[0].q = std::nextafter(b.bands[0].q, 2.0);
    EXPECT_NE(eq_design_key(a, kRate), eq_design_key(b, kRate));
    EXPECT_NE(eq_design_key(a, kRate), eq_design_key(a, 44100));
}

}  // namespace
}  // namespace sf::test
