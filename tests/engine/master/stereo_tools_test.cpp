// Stereo tools against their definitions: M/S width, mono below fc (the
// LR4 high-pass on the side signal), balance (the stereo pan law).
#include <gtest/gtest.h>

#include <cmath>
#include <numbers>

#include "engine/master/stereo_tools.h"
#include "tests/support/test_support.h"

namespace sf::master {
namespace {

TEST(StereoTools, WidthScalesOnlyTheSide) {
    for (double width : {0.0, 0.5, 1.0, 1.7}) {
        AudioBuffer x = test::noise(2, 1001, 3, 0.5);
        const AudioBuffer in = x;
        StereoTools tools(StereoToolsSpec{width, std::nullopt, 0.0}, 48000);
        ASSERT_EQ(tools.latency_frames(), 0);
        tools.process(x, 1001);
        for (int64_t i = 0; i < 1001; ++i) {
            const double m_in = 0.5 * (in.channel(0)[i] + in.channel(1)[i]), s_in = 0.5 * (in.channel(0)[i] - in.channel(1)[i]);
            const double m = 0.5 * (x.channel(0)[i] + x.channel(1)[i]), s = 0.5 * (x.channel(0)[i] - x.channel(1)[i]);
            ASSERT_NEAR(m, m_in, 1e-6);
            ASSERT_NEAR(s, width * s_in, 1e-6);
        }
    }
}

TEST(StereoTools, BalanceAttenuatesTheFarChannelByTheStereoPanLaw) {
    for (double balance : {-1.0, -0.3, 0.6}) {
        AudioBuffer x = test::noise(2, 257, 5, 0.5);
        const AudioBuffer in = x;
        StereoTools tools(StereoToolsSpec{1.0, std::nullopt, balance}, 48000);
        tools.process(x, 257);
        const double far = std::cos(std::abs(balance) * std::numbers::pi / 2.0);
        const double gl = balance > 0 ? far : 1.0, gr = balance < 0 ? far : 1.0;
        for (int64_t i = 0; i < 257; ++i) {
            ASSERT_NEAR(x.channel(0)[i], gl * in.channel(0)[i], 1e-6);
            ASSERT_NEAR(x.channel(1)[i], gr * in.channel(1)[i], 1e-6);
        }
    }
}

// Side tones below / above fc, a mid tone: the side is high-passed by
// HP(f) = 1 - LP(f), the mid passes delayed.
TEST(StereoTools, MonoBelowHighPassesTheSideAndDelaysTheMid) {
    const int rate = 48000;
    const double fc = 150.0;
    StereoTools tools(StereoToolsSpec{1.0, fc, 0.0}, rate);
    const int64_t lat = tools.latency_frames();
    const int64_t n = rate / 2 + lat;
    for (double f : {40.0, 150.0, 300.0, 2000.0}) {
        AudioBuffer x(2, n);
        for (int64_t i = 0; i < n; ++i) {
            const double side = 0.25 * std::sin(2 * std::numbers::pi * f * i / rate);
            const double mid = 0.25 * std::sin(2 * std::numbers::pi * 997.0 * i / rate);
            x.channel(0)[i] = static_cast<float>(mid + side);
            x.channel(1)[i] = static_cast<float>(mid - side);
        }
        const AudioBuffer in = x;
        StereoTools t(StereoToolsSpec{1.0, fc, 0.0}, rate);
        t.process(x, n);
        // Steady state: the last 0.2 s.
        double s_sq = 0.0, s_in_sq = 0.0, m_err = 0.0;
        for (int64_t i = n - rate / 5; i < n; ++i) {
            const double s = 0.5 * (x.channel(0)[i] - x.channel(1)[i]);
            const double s_in = 0.5 * (in.channel(0)[i] - in.channel(1)[i]);
            const double m = 0.5 * (x.channel(0)[i] + x.channel(1)[i]);
            const double m_in = 0.5 * (in.channel(0)[i - lat] + in.channel(1)[i - lat]);
            s_sq += s * s;
            s_in_sq += s_in * s_in;
            m_err = std::max(m_err, std::abs(m - m_in));
        }
        const double measured_db = 10.0 * std::log10(s_sq / s_in_sq);
        const double expected_db = 20.0 * std::log10(1.0 - lr4_lowpass_magnitude(f, fc));
        EXPECT_NEAR(measured_db, expected_db, 0.1) << f;
        EXPECT_LE(m_err, 1e-6) << f;
    }
}

}  // namespace
}  // namespace sf::master
