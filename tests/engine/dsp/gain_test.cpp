// The gain stages against their definitions (DESIGN.md "Semantics").
#include <gtest/gtest.h>

#include <cmath>
#include <numbers>
#include <random>
#include <vector>

#include "engine/dsp/gain.h"

namespace sf {
namespace {

TEST(PanLaw, MonoIsConstantPowerWithMinus3dbCentre) {
    const PanGains c = pan_gains(0.0, 1);
    EXPECT_NEAR(20 * std::log10(c.ll), -3.0103, 1e-3);
    EXPECT_NEAR(20 * std::log10(c.lr), -3.0103, 1e-3);
    for (double p = -1.0; p <= 1.0; p += 0.125) {
        const PanGains g = pan_gains(p, 1);
        EXPECT_NEAR(g.ll * g.ll + g.lr * g.lr, 1.0, 1e-12) << p;
    }
    const PanGains left = pan_gains(-1.0, 1);
    EXPECT_NEAR(left.ll, 1.0, 1e-12);
    EXPECT_NEAR(left.lr, 0.0, 1e-12);
    const PanGains right = pan_gains(1.0, 1);
    EXPECT_NEAR(right.ll, 0.0, 1e-12);
    EXPECT_NEAR(right.lr, 1.0, 1e-12);
}

TEST(PanLaw, StereoIsABalance) {
    const PanGains c = pan_gains(0.0, 2);
    EXPECT_EQ(c.ll, 1.0);
    EXPECT_EQ(c.rr, 1.0);
    EXPECT_EQ(c.rl, 0.0);
    EXPECT_EQ(c.lr, 0.0);
    const PanGains l = pan_gains(-1.0, 2);
    EXPECT_EQ(l.ll, 1.0);  // near channel untouched
    EXPECT_NEAR(l.rr, 0.0, 1e-12);
    const PanGains half = pan_gains(0.5, 2);
    EXPECT_NEAR(half.ll, std::cos(std::numbers::pi / 4), 1e-12);
    EXPECT_EQ(half.rr, 1.0);
}

TEST(Automation, InterpolatesInDbAndHoldsTheEnds) {
    std::vector<AutomationPoint> pts{{1.0, 0.0}, {3.0, -12.0}, {4.0, -12.0}, {5.0, 6.0}};
    EXPECT_EQ(automation_value_at(pts, 0.0), 0.0);
    EXPECT_EQ(automation_value_at(pts, 1.0), 0.0);
    EXPECT_NEAR(automation_value_at(pts, 2.0), -6.0, 1e-12);
    EXPECT_NEAR(automation_value_at(pts, 2.5), -9.0, 1e-12);
    EXPECT_NEAR(automation_value_at(pts, 3.5), -12.0, 1e-12);
    EXPECT_NEAR(automation_value_at(pts, 4.5), -3.0, 1e-12);
    EXPECT_EQ(automation_value_at(pts, 100.0), 6.0);
    EXPECT_EQ(automation_value_at({}, 3.0), 0.0);
    // A step: two points at the same time.
    std::vector<AutomationPoint> step{{1.0, 0.0}, {2.0, 0.0}, {2.0, -20.0}};
    EXPECT_NEAR(automation_value_at(step, 2.5), -20.0, 1e-12);
}

TEST(ClipGain, FadesAreLinearInAmplitudeFromTheStemEdges) {
    StemSpec s;
    s.fade_in_s = 0.01;   // 480 frames at 48 kHz
    s.fade_out_s = 0.02;  // 960 frames
    const int64_t start = 1000, frames = 48000;
    ClipGain g(s, 48000, start, frames);
    std::vector<float> out(static_cast<size_t>(start + frames + 10));
    g.compute(0, out);
    EXPECT_EQ(out[999], 0.0f);                       // before the stem
    EXPECT_EQ(out[1000], 0.0f);                      // fade starts at 0
    EXPECT_NEAR(out[1000 + 240], 0.5f, 1e-6);        // half way in
    EXPECT_NEAR(out[1000 + 480], 1.0f, 1e-6);
    EXPECT_NEAR(out[1000 + 20000], 1.0f, 1e-6);
    EXPECT_NEAR(out[static_cast<size_t>(start + frames - 480)], 0.5f, 1e-6);  // half way out
    EXPECT_EQ(out[static_cast<size_t>(start + frames)], 0.0f);               // after the stem
    // Split computation equals whole computation.
    std::vector<float> a(333), b(333);
    g.compute(900, a);
    std::vector<float> whole(static_cast<size_t>(start + frames));
    g.compute(0, whole);
    for (size_t i = 0; i < a.size(); ++i) EXPECT_EQ(a[i], whole[900 + i]);
}

TEST(ClipGain, AutomationUsesTheTimelineAndPolarityFlips) {
    StemSpec s;
    s.polarity_invert = true;
    s.automation.gain_db = {{0.0, 0.0}, {1.0, -20.0}};
    ClipGain g(s, 1000, 0, 2000);
    std::vector<float> out(2000);
    g.compute(0, out);
    EXPECT_NEAR(out[0], -1.0f, 1e-6);
    EXPECT_NEAR(out[500], -std::pow(10.0, -10.0 / 20.0), 1e-6);
    EXPECT_NEAR(out[1500], -0.1f, 1e-6);
}


// ---- Session v1 additions: width, and automation of pan, width, sends and
// bus gain. Oracles: the DESIGN.md formulas evaluated here in double. ----

constexpr double kPi = std::numbers::pi;

// Breakpoints of the tests below, at 1 kHz: frame n is at n ms.
constexpr int kRate1k = 1000;

struct Stereo {
    double l = 0, r = 0;
};

// The DESIGN.md definitions, written out independently of engine/dsp/gain.cpp.
Stereo oracle_width(Stereo in, double w) {
    const double m = (in.l + in.r) / 2, s = (in.l - in.r) / 2;
    return {m + w * s, m - w * s};
}
Stereo oracle_pan_mono(double x, double pan) {
    const double th = (pan + 1) * kPi / 4;
    return {std::cos(th) * x, std::sin(th) * x};
}
Stereo oracle_balance(Stereo in, double pan) {
    const double far = std::cos(std::abs(pan) * kPi / 2);
    return {pan > 0 ? far * in.l : in.l, pan < 0 ? far * in.r : in.r};
}

// Runs a StemPanWidth over constant input (l, r) for frames [0, frames) in
// odd blocks, returning both channels.
std::pair<std::vector<float>, std::vector<float>> pan_width_run(const StemSpec& spec, int channels, float l, float r, int64_t frames,
                                                                int64_t block = 97) {
    StemPanWidth stage(spec, channels, kRate1k, block);
    std::vector<float> in_l(static_cast<size_t>(block), l), in_r(static_cast<size_t>(block), r);
    std::vector<float> out_l(static_cast<size_t>(frames)), out_r(static_cast<size_t>(frames));
    for (int64_t b0 = 0; b0 < frames; b0 += block) {
        const int64_t n = std::min(block, frames - b0);
        stage.process(in_l.data(), channels == 2 ? in_r.data() : in_l.data(), b0, n, out_l.data() + b0, out_r.data() + b0);
    }
    return {out_l, out_r};
}

TEST(Width, MatchesTheMidSideDefinition) {
    const Stereo in{0.8, 0.2};
    for (double w : {0.0, 0.5, 1.0, 2.0, 4.0}) {
        const PanGains g = width_gains(w);
        const Stereo want = oracle_width(in, w);
        EXPECT_NEAR(g.ll * in.l + g.rl * in.r, want.l, 1e-15) << w;
        EXPECT_NEAR(g.lr * in.l + g.rr * in.r, want.r, 1e-15) << w;
    }
    // Hand values: w = 0 is mono (both 0.5), w = 2 doubles the side (M 0.5, S 0.3).
    const PanGains mono = width_gains(0.0), wide = width_gains(2.0), unity = width_gains(1.0);
    EXPECT_EQ(mono.ll * 0.8 + mono.rl * 0.2, 0.5);
    EXPECT_EQ(mono.lr * 0.8 + mono.rr * 0.2, 0.5);
    EXPECT_NEAR(wide.ll * 0.8 + wide.rl * 0.2, 1.1, 1e-15);
    EXPECT_NEAR(wide.lr * 0.8 + wide.rr * 0.2, -0.1, 1e-15);
    EXPECT_EQ(unity.ll, 1.0);  // w = 1 is exactly the identity
    EXPECT_EQ(unity.rl, 0.0);
}

TEST(Width, ComesBeforePanAndIsIgnoredOnMono) {
    // Stereo (0.8, 0.2), width 2, pan +1 (balance: L silent): width first gives
    // (1.1, −0.1) → (0, −0.1); pan first would give (0, 0.2) → (−0.1, 0.3).
    const PanGains g = stem_gains(1.0, 2.0, 2);
    EXPECT_NEAR(g.ll * 0.8 + g.rl * 0.2, 0.0, 1e-15);
    EXPECT_NEAR(g.lr * 0.8 + g.rr * 0.2, -0.1, 1e-15);
    const PanGains m = stem_gains(0.3, 2.0, 1), p = pan_gains(0.3, 1);
    EXPECT_EQ(m.ll, p.ll);
    EXPECT_EQ(m.lr, p.lr);
}

TEST(AutomationCurve, ValuesAreAutomationValueAtBitForBit) {
    // Random lanes with steps (a step at the first time too, on an exact
    // frame), random blocks, negative frames: one walk must give exactly the
    // definition's values.
    std::mt19937_64 rng(42);
    std::uniform_real_distribution<double> u(0.0, 1.0);
    for (int trial = 0; trial < 200; ++trial) {
        std::vector<AutomationPoint> lane;
        double t = trial % 3 == 0 ? 0.25 : u(rng) * 0.1;
        const int points = 1 + static_cast<int>(u(rng) * 7);
        for (int j = 0; j < points; ++j) {
            lane.push_back({t, -20.0 + 40.0 * u(rng)});
            if (u(rng) < 0.3 || (trial % 3 == 0 && j == 0)) lane.push_back({t, -20.0 + 40.0 * u(rng)});  // a step
            t += u(rng) < 0.2 ? 1.0 / 48000 : u(rng) * 0.05;
        }
        const int rate = trial % 2 ? 48000 : 44100;
        const AutomationCurve curve(lane, rate);
        const int64_t first = static_cast<int64_t>(u(rng) * 6000) - 1000;
        std::vector<double> got(static_cast<size_t>(1 + u(rng) * 9000));
        curve.values(first, got);
        for (size_t i = 0; i < got.size(); ++i) {
            const int64_t n = first + static_cast<int64_t>(i);
            const double want = automation_value_at(lane, static_cast<double>(n) / rate);
            ASSERT_EQ(got[i], want) << "trial " << trial << " frame " << n;
            ASSERT_EQ(curve.value_at(n), want) << "trial " << trial << " frame " << n;
        }
        // The GPU's pieces: each starts with the exact value, and a linear
        // extension reproduces the lane within rounding; the steps land on the
        // same frames (a piece boundary at every frame where the value jumps).
        std::vector<AutomationPiece> pieces;
        curve.pieces(first, static_cast<int64_t>(got.size()), pieces);
        ASSERT_FALSE(pieces.empty());
        ASSERT_EQ(pieces.front().first_frame, first);
        ASSERT_LE(pieces.size(), lane.size() + 1);
        size_t p = 0;
        for (size_t i = 0; i < got.size(); ++i) {
            const int64_t n = first + static_cast<int64_t>(i);
            while (p + 1 < pieces.size() && pieces[p + 1].first_frame <= n) ++p;
            if (pieces[p].first_frame == n) {
                ASSERT_EQ(pieces[p].value, got[i]);
            }
            const double linear = pieces[p].value + pieces[p].slope_per_frame * static_cast<double>(n - pieces[p].first_frame);
            ASSERT_NEAR(linear, got[i], 1e-9) << "trial " << trial << " frame " << n;
        }
    }
}

TEST(Automation, AStepAtTheFirstTimeTakesEffectAtThatTime) {
    // "The later one wins from that time on" holds at the first time too
    // (the first version returned the first value at t <= the first time).
    const std::vector<AutomationPoint> lane{{0.5, 3.0}, {0.5, -7.0}, {1.0, 1.0}};
    EXPECT_EQ(automation_value_at(lane, 0.4999), 3.0);
    EXPECT_EQ(automation_value_at(lane, 0.5), -7.0);
    const AutomationCurve curve(lane, kRate1k);
    EXPECT_EQ(curve.value_at(499), 3.0);
    EXPECT_EQ(curve.value_at(500), -7.0);
    EXPECT_NEAR(curve.value_at(501), -7.0 + 8.0 * 0.001 / 0.5, 1e-12);
    EXPECT_EQ(curve.value_at(1000), 1.0);
}

TEST(PanAutomation, MonoPanLawAtBreakpointsBetweenAndAcrossAStep) {
    // pan: −1 held until 1 s, ramp to +1 at 2 s, step to −0.5 there, held.
    StemSpec s;
    s.pan = 0.7;  // replaced by the lane everywhere
    s.automation.pan = {{1.0, -1.0}, {2.0, 1.0}, {2.0, -0.5}};
    const auto [l, r] = pan_width_run(s, 1, 0.5f, 0.5f, 3000);
    struct At {
        int64_t frame;
        double pan;
    };
    for (const At at : {At{0, -1.0}, At{500, -1.0}, At{1000, -1.0}, At{1250, -0.5}, At{1500, 0.0}, At{1750, 0.5}, At{1999, 0.998},
                        At{2000, -0.5}, At{2999, -0.5}}) {
        const Stereo want = oracle_pan_mono(0.5, at.pan);
        EXPECT_NEAR(l[static_cast<size_t>(at.frame)], want.l, 2e-7) << "frame " << at.frame;
        EXPECT_NEAR(r[static_cast<size_t>(at.frame)], want.r, 2e-7) << "frame " << at.frame;
    }
    // Exact hand values: hard left is (0.5, 0); centre is 0.5·cos(π/4) in both.
    EXPECT_EQ(l[500], 0.5f);
    EXPECT_NEAR(r[500], 0.0f, 1e-9);
    EXPECT_NEAR(l[1500], 0.35355339, 1e-7);
    EXPECT_NEAR(r[1500], 0.35355339, 1e-7);
}

TEST(PanAutomation, StereoBalanceFollowsTheLaneAndBlocksDoNotMatter) {
    StemSpec s;
    s.automation.pan = {{0.0, 0.0}, {1.0, 1.0}};
    const auto [l, r] = pan_width_run(s, 2, 0.8f, 0.2f, 1500, 97);
    for (int64_t n : {0, 250, 500, 999, 1000, 1400}) {
        const double pan = std::min(1.0, n / 1000.0);
        const Stereo want = oracle_balance({0.8, 0.2}, pan);
        EXPECT_NEAR(l[static_cast<size_t>(n)], want.l, 2e-7) << n;
        EXPECT_NEAR(r[static_cast<size_t>(n)], want.r, 2e-7) << n;
    }
    EXPECT_NEAR(l[500], 0.8 * std::cos(kPi / 4), 1e-7);  // pan 0.5: L scaled by cos(π/4)
    EXPECT_EQ(r[500], 0.2f);                             // the near channel untouched
    const auto [l1, r1] = pan_width_run(s, 2, 0.8f, 0.2f, 1500, 1500);
    EXPECT_EQ(l, l1);
    EXPECT_EQ(r, r1);
}

TEST(WidthAutomation, ReplacesTheStaticWidthThenPans) {
    // width 0 → 2 over 1 s, static width 3 replaced; static pan −0.5 (balance: R scaled).
    StemSpec s;
    s.width = 3.0;
    s.pan = -0.5;
    s.automation.width = {{0.0, 0.0}, {1.0, 2.0}};
    const auto [l, r] = pan_width_run(s, 2, 0.8f, 0.2f, 1200);
    for (int64_t n : {0, 250, 500, 1000, 1100}) {
        const double w = std::min(2.0, 2.0 * n / 1000.0);
        const Stereo want = oracle_balance(oracle_width({0.8, 0.2}, w), -0.5);
        EXPECT_NEAR(l[static_cast<size_t>(n)], want.l, 2e-7) << n;
        EXPECT_NEAR(r[static_cast<size_t>(n)], want.r, 2e-7) << n;
    }
    EXPECT_EQ(l[0], 0.5f);  // width 0: mono (0.5, 0.5), then R × cos(π/4)
    EXPECT_NEAR(r[0], 0.5 * std::cos(kPi / 4), 1e-7);
    EXPECT_EQ(l[500], 0.8f);  // width 1: the identity
    EXPECT_NEAR(l[1000], 1.1, 1e-7);  // width 2: (1.1, −0.1)
    EXPECT_NEAR(r[1000], -0.1 * std::cos(kPi / 4), 1e-7);
}

TEST(SendAutomation, AddsTheLaneInDbToTheStaticGain) {
    // Edge gain 0.5 (level and fader), lane 0 dB until 0.5 s, −20 dB at 1.5 s, +6 at 2 s (step).
    const std::vector<AutomationPoint> lane{{0.5, 0.0}, {1.5, -20.0}, {2.0, -20.0}, {2.0, 6.0}};
    const LaneGain g(lane, kRate1k, 0.5f);
    std::vector<double> scratch(2500);
    std::vector<float> out(2500);
    g.compute(0, scratch, out);
    const auto want = [](double db) { return 0.5 * std::pow(10.0, db / 20.0); };
    EXPECT_EQ(out[0], 0.5f);
    EXPECT_EQ(out[500], 0.5f);
    EXPECT_NEAR(out[1000], want(-10.0), 1e-7);
    EXPECT_NEAR(out[1250], want(-15.0), 1e-7);
    EXPECT_NEAR(out[1500], 0.05, 1e-8);
    EXPECT_NEAR(out[1999], 0.05, 1e-8);
    EXPECT_NEAR(out[2000], want(6.0), 1e-7);
    // Blocks start anywhere: the value depends on the frame only.
    std::vector<float> part(333);
    g.compute(1111, scratch, part);
    for (size_t i = 0; i < part.size(); ++i) ASSERT_EQ(part[i], out[1111 + i]);
}

TEST(BusAutomation, GainActsAtTheFaderAfterTheWidth) {
    // Bus −6 dB, automation.gain_db 0 → −12 dB over 1 s (added), static width 0.5.
    BusSpec bus;
    bus.gain_db = -6.0;
    bus.width = 0.5;
    bus.automation.gain_db = {{0.0, 0.0}, {1.0, -12.0}};
    BusWidthFader stage(bus, kRate1k, 1200);
    std::vector<float> l(1200, 0.8f), r(1200, 0.2f), ol(1200), orr(1200);
    stage.process(l.data(), r.data(), 0, 1200, ol.data(), orr.data());
    for (int64_t n : {0, 500, 1000, 1199}) {
        const double db = -6.0 - 12.0 * std::min(1.0, n / 1000.0);
        const Stereo w = oracle_width({0.8, 0.2}, 0.5);  // (0.65, 0.35)
        EXPECT_NEAR(ol[static_cast<size_t>(n)], std::pow(10.0, db / 20) * w.l, 1e-7) << n;
        EXPECT_NEAR(orr[static_cast<size_t>(n)], std::pow(10.0, db / 20) * w.r, 1e-7) << n;
    }
    EXPECT_NEAR(ol[500], 0.65 * std::pow(10.0, -12.0 / 20), 1e-7);  // −6 static, −6 from the lane
    // Without automation or width, the fader alone (bit-identical to gain · x).
    BusSpec plain;
    plain.gain_db = -6.0;
    BusWidthFader fader(plain, kRate1k, 10);
    fader.process(l.data(), r.data(), 0, 10, ol.data(), orr.data());
    EXPECT_EQ(ol[3], static_cast<float>(std::pow(10.0, -6.0 / 20)) * 0.8f);
}

}  // namespace
}  // namespace sf

namespace sf {
namespace {

// The recurrences that turn a lane into gains and mono pan laws: equal to the
// direct evaluation (10^(v/20), cos/sin of (v + 1)·π/4 at automation_value_at)
// within 1e-12 relative, and the same bits however a render is cut into blocks.
TEST(AutomationCurve, GainsAndMonoPanFollowTheLaneExactlyEnoughAndIgnoreBlockCuts) {
    const int rate = 48000;
    const AutomationLane db{{0.01, -30.0}, {0.5, 6.0}, {0.5, -12.0}, {1.3, 0.0}, {2.0, -80.0}};
    const AutomationLane pan{{0.0, -1.0}, {0.7, 1.0}, {0.7, -0.25}, {1.9, 0.6}};
    const AutomationCurve g(db, rate), p(pan, rate);
    const int64_t frames = 2 * rate + 977;
    std::vector<double> whole_g(frames), whole_c(frames), whole_s(frames);
    g.gains(0, whole_g);
    p.mono_pan(0, whole_c, whole_s);
    double worst_g = 0.0, worst_p = 0.0;
    for (int64_t n = 0; n < frames; ++n) {
        const double t = static_cast<double>(n) / rate;
        const double exact = std::pow(10.0, automation_value_at(db, t) / 20.0);
        worst_g = std::max(worst_g, std::abs(whole_g[n] - exact) / exact);
        const double theta = (automation_value_at(pan, t) + 1.0) * std::numbers::pi / 4.0;
        worst_p = std::max({worst_p, std::abs(whole_c[n] - std::cos(theta)), std::abs(whole_s[n] - std::sin(theta))});
    }
    EXPECT_LT(worst_g, 1e-12);
    EXPECT_LT(worst_p, 1e-12);
    // Cut into odd blocks: bit-identical.
    for (int64_t block : {1, 63, 64, 65, 1531, 4096}) {
        std::vector<double> bg(frames), bc(frames), bs(frames);
        for (int64_t at = 0; at < frames; at += block) {
            const size_t len = static_cast<size_t>(std::min(block, frames - at));
            g.gains(at, std::span<double>(bg.data() + at, len));
            p.mono_pan(at, std::span<double>(bc.data() + at, len), std::span<double>(bs.data() + at, len));
        }
        EXPECT_EQ(bg, whole_g) << "block " << block;
        EXPECT_EQ(bc, whole_c) << "block " << block;
        EXPECT_EQ(bs, whole_s) << "block " << block;
    }
}

}  // namespace
}  // namespace sf
