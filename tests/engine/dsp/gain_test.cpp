// The gain stages against their definitions (DESIGN.md "Semantics").
#include <gtest/gtest.h>

#include <cmath>
#include <numbers>

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

}  // namespace
}  // namespace sf
