// Vinyl pre-check: the RIAA curve and the groove-speed model against their
// formulas written out here, the HF level against a sine of known level,
// the LF checks against a side-only and a partly-side bass tone, the side
// length against the table.
#include <gtest/gtest.h>

#include <cmath>
#include <complex>
#include <numbers>

#include "analysis/qc.h"
#include "tests/support/test_support.h"

namespace sf::analysis {
namespace {

// The RIAA recording characteristic from its time constants (IEC 60098:
// 3180, 318, 75 µs; the cutting amplifier's 3.18 µs pole), re 1 kHz, written
// out independently of analysis/vinyl.cpp.
double riaa_oracle_db(double f) {
    auto h = [](double hz) {
        const double w = 2.0 * std::numbers::pi * hz;
        const double num = std::hypot(1.0, w * 3180e-6) * std::hypot(1.0, w * 75e-6);
        const double den = std::hypot(1.0, w * 318e-6) * std::hypot(1.0, w * 3.18e-6);
        return num / den;
    };
    return 20.0 * std::log10(h(f) / h(1000.0));
}

const QcCheck& check(const QcReport& r, const std::string& name) {
    for (const auto& c : r.checks)
        if (c.name == name) return c;
    ADD_FAILURE() << "no check " << name;
    static QcCheck none;
    return none;
}

QcReport vinyl_qc(const test::TempDir& dir, const AudioBuffer& b, int rate, VinylFormat format = VinylFormat::In12Rpm33) {
    test::write_wav(dir / "side.wav", b, rate);
    QcOptions o;
    o.codecs.clear();
    auto t = qc_target(std::string_view("vinyl"), std::nullopt, std::nullopt, format);
    EXPECT_TRUE(t.has_value());
    o.target = *t;
    auto r = run_qc(dir / "side.wav", o);
    EXPECT_TRUE(r.has_value()) << r.error().message;
    return r ? std::move(*r) : QcReport{};
}

TEST(Vinyl, RiaaCurveMatchesTheTimeConstants) {
    // The published table of the recording curve re 1 kHz (IEC 60098, to 0.1 dB): -19.3 dB at 20 Hz,
    // +13.7 dB at 10 kHz, from which the cutting amplifier's 3.18 µs pole takes 0.17 dB.
    EXPECT_NEAR(riaa_recording_db(20.0), -19.3, 0.05);
    const double pole_db = 10.0 * std::log10(1.0 + std::pow(2.0 * std::numbers::pi * 10000.0 * 3.18e-6, 2.0));
    EXPECT_NEAR(riaa_recording_db(10000.0), 13.7 - pole_db, 0.06);
    for (double f : {20.0, 50.0, 100.0, 500.0, 1000.0, 2122.0, 5000.0, 7000.0, 15000.0, 20000.0}) EXPECT_NEAR(riaa_recording_db(f), riaa_oracle_db(f), 1e-9) << f;
}

TEST(Vinyl, GrooveSpeedLossFollowsTheRadius) {
    const auto& s = vinyl_format_spec(VinylFormat::In12Rpm33);
    EXPECT_DOUBLE_EQ(groove_speed_loss_db(s, 0.0, 600.0), 0.0);
    // A full side reaches the innermost groove: 40·log10(20.1 / 8.5) = 14.95 dB.
    EXPECT_NEAR(groove_speed_loss_db(s, s.max_side_s, s.max_side_s), 40.0 * std::log10(20.1 / 8.5), 1e-9);
    // Half-way through a side of half the maximum: a quarter of the band.
    const double rho2 = (8.5 / 20.1) * (8.5 / 20.1);
    EXPECT_NEAR(groove_speed_loss_db(s, s.max_side_s / 4.0, s.max_side_s / 2.0), -20.0 * std::log10(1.0 - (1.0 - rho2) * 0.25), 1e-9);
}

TEST(Vinyl, HfLevelOfASineBurst) {
    // A 1 kHz bed at -20 dBFS and a 1 s burst at 7 kHz: the HF level is the burst's amplitude plus the RIAA gain at 7 kHz.
    for (double burst_dbfs : {-12.0, -5.0, -20.0}) {
        test::TempDir dir;
        auto b = test::sine(2, 8 * 48000, 48000, 1000.0, 0.1);
        const double a = std::pow(10.0, burst_dbfs / 20.0);
        for (int64_t i = 2 * 48000; i < 3 * 48000; ++i)
            for (int c = 0; c < 2; ++c) b.channel(c)[i] += static_cast<float>(a * std::sin(2.0 * std::numbers::pi * 7000.0 * static_cast<double>(i) / 48000.0));
        const auto r = vinyl_qc(dir, b, 48000);
        ASSERT_TRUE(r.vinyl.has_value());
        const double want = burst_dbfs + riaa_oracle_db(7000.0);
        EXPECT_NEAR(*r.vinyl->hf_max_db, want, 0.05) << burst_dbfs;
        EXPECT_NEAR(r.vinyl->hf_max_s, 2.5, 0.55);
        const QcCheck& c = check(r, "vinyl_hf_level");
        const CheckStatus expect = want > kVinylHfFailDb ? CheckStatus::Fail : want > kVinylHfWarnDb ? CheckStatus::Warn : CheckStatus::Pass;
        EXPECT_EQ(c.status, expect) << c.message;
    }
}

TEST(Vinyl, SideOnlyLowFrequencyToneFails) {
    // L = s, R = -s at 60 Hz over a centred 1 kHz tone: everything below
    // 150 Hz is side, the 62.5 Hz octave's correlation is -1.
    test::TempDir dir;
    auto b = test::sine(2, 6 * 48000, 48000, 1000.0, 0.1);
    const auto lf = test::sine(1, b.frames(), 48000, 60.0, 0.3);
    for (int64_t i = 0; i < b.frames(); ++i) {
        b.channel(0)[i] += lf.channel(0)[i];
        b.channel(1)[i] -= lf.channel(0)[i];
    }
    const auto r = vinyl_qc(dir, b, 48000);
    ASSERT_TRUE(r.vinyl.has_value());
    EXPECT_NEAR(*r.vinyl->lf_side_share_db, 0.0, 0.01);
    EXPECT_NEAR(*r.vinyl->lf_level_db, 20.0 * std::log10(0.3), 0.05);   // the mean channel energy of a sine of 0.3
    EXPECT_NEAR(*r.vinyl->lf_min_correlation, -1.0, 1e-3);
    EXPECT_EQ(r.vinyl->lf_min_correlation_hz, 62.5);
    EXPECT_EQ(check(r, "vinyl_lf_side").status, CheckStatus::Fail);
    EXPECT_EQ(check(r, "vinyl_lf_correlation").status, CheckStatus::Fail);
}

TEST(Vinyl, PartlySideBassWarnsByItsShare) {
    // L = (m + s)·sin, R = (m − s)·sin: mid m, side s; side share s²/(m² + s²),
    // correlation (m² − s²)/(m² + s²).
    const double m = 0.3, s = 0.06;
    test::TempDir dir;
    AudioBuffer b(2, 6 * 48000);
    const auto lf = test::sine(1, b.frames(), 48000, 60.0, 1.0);
    for (int64_t i = 0; i < b.frames(); ++i) {
        b.channel(0)[i] = static_cast<float>((m + s) * lf.channel(0)[i]);
        b.channel(1)[i] = static_cast<float>((m - s) * lf.channel(0)[i]);
    }
    const auto r = vinyl_qc(dir, b, 48000);
    ASSERT_TRUE(r.vinyl.has_value());
    const double share = 10.0 * std::log10(s * s / (m * m + s * s));
    EXPECT_NEAR(*r.vinyl->lf_side_share_db, share, 0.01);
    EXPECT_NEAR(*r.vinyl->lf_min_correlation, (m * m - s * s) / (m * m + s * s), 1e-3);
    EXPECT_EQ(check(r, "vinyl_lf_side").status, CheckStatus::Warn);          // -14.1 dB: between -20 and -10
    EXPECT_EQ(check(r, "vinyl_lf_correlation").status, CheckStatus::Pass);   // +0.92
    // Mono bass passes both.
    test::TempDir dir2;
    for (int64_t i = 0; i < b.frames(); ++i) b.channel(1)[i] = b.channel(0)[i];
    const auto r2 = vinyl_qc(dir2, b, 48000);
    EXPECT_EQ(check(r2, "vinyl_lf_side").status, CheckStatus::Pass);
    EXPECT_EQ(check(r2, "vinyl_lf_correlation").status, CheckStatus::Pass);
}

TEST(Vinyl, SideLengthAgainstTheTable) {
    VinylMeasures v;
    v.format = VinylFormat::In12Rpm33;
    for (auto [minutes, want] : {std::pair{17.0, CheckStatus::Pass}, {20.0, CheckStatus::Warn}, {23.0, CheckStatus::Fail}}) {
        v.side_s = minutes * 60.0;
        const auto checks = vinyl_checks(v);
        ASSERT_EQ(checks.front().name, "vinyl_side_length");
        EXPECT_EQ(checks.front().status, want) << minutes;
        EXPECT_DOUBLE_EQ(checks.front().limit.get<double>(), 22 * 60.0);
    }
    v.format = VinylFormat::In7Rpm45;
    v.side_s = 4 * 60.0;
    EXPECT_EQ(vinyl_checks(v).front().status, CheckStatus::Warn);   // 3:30 ideal, 5:00 at most
    EXPECT_EQ(vinyl_format_from_name("7-45"), VinylFormat::In7Rpm45);
    EXPECT_FALSE(vinyl_format_from_name("12-78").has_value());
}

TEST(Vinyl, LoudHighsNearTheEndOfALongSide) {
    // A 4-minute 7" 45 side (16 kHz, mono) with a 2 s burst at 7 kHz, -15
    // dBFS, at 230 s: the HF level alone warns; 77 % into the band the groove
    // has lost 40·log10(r_o/r) of tracing headroom and the inner-groove check fails.
    const int rate = 16000;
    test::TempDir dir;
    auto b = test::sine(1, 240 * rate, rate, 1000.0, 0.05);
    const double a = std::pow(10.0, -15.0 / 20.0);
    for (int64_t i = 230 * rate; i < 232 * rate; ++i) b.channel(0)[i] += static_cast<float>(a * std::sin(2.0 * std::numbers::pi * 7000.0 * static_cast<double>(i) / rate));
    const auto r = vinyl_qc(dir, b, rate, VinylFormat::In7Rpm45);
    ASSERT_TRUE(r.vinyl.has_value());
    const double hf = -15.0 + riaa_oracle_db(7000.0);
    EXPECT_NEAR(*r.vinyl->hf_max_db, hf, 0.05);
    const double rho2 = (10.2 / 15.5) * (10.2 / 15.5);
    const double t = r.vinyl->inner_groove_max_s;
    EXPECT_NEAR(t, 231.0, 1.1);
    const double loss = -20.0 * std::log10(1.0 - (1.0 - rho2) * t / 300.0);
    EXPECT_NEAR(*r.vinyl->inner_groove_max_db, hf + loss, 0.05);
    EXPECT_EQ(check(r, "vinyl_hf_level").status, CheckStatus::Warn);
    EXPECT_EQ(check(r, "vinyl_inner_groove").status, CheckStatus::Fail);
    EXPECT_EQ(check(r, "vinyl_side_length").status, CheckStatus::Warn);
}

}  // namespace
}  // namespace sf::analysis
