// Master fades and trims (engine/master/fades.h): each curve against its
// formula evaluated here in double, the fades' gain frame by frame, trims
// rounded to the frame, the silence trim's level test at the threshold,
// and the errors that name the key. Plus the per-export delivery target and
// the CD-audio rule of engine/master/preset.h.
#include <gtest/gtest.h>

#include <cmath>
#include <numbers>

#include "engine/master/fades.h"
#include "engine/master/preset.h"

namespace sf::master {
namespace {

// The documented formulas, written out again (docs/mastering.md).
double curve_oracle(FadeCurve c, double x) {
    switch (c) {
        case FadeCurve::Linear: return x;
        case FadeCurve::EqualPower: return std::sin(std::numbers::pi * x / 2.0);
        case FadeCurve::Exponential: return (std::pow(10.0, 3.0 * x) - 1.0) / 999.0;
    }
    return -1.0;
}

constexpr FadeCurve kCurves[] = {FadeCurve::Linear, FadeCurve::EqualPower, FadeCurve::Exponential};

TEST(Fades, CurvesAreTheirFormulas) {
    for (FadeCurve c : kCurves) {
        EXPECT_EQ(fade_gain(c, 0.0), 0.0) << to_string(c);
        EXPECT_NEAR(fade_gain(c, 1.0), 1.0, 1e-15) << to_string(c);
        double prev = -1.0;
        for (int i = 0; i <= 1000; ++i) {
            const double x = i / 1000.0;
            EXPECT_NEAR(fade_gain(c, x), curve_oracle(c, x), 1e-15) << to_string(c) << " x=" << x;
            EXPECT_GT(fade_gain(c, x), prev) << to_string(c) << " must increase";
            prev = fade_gain(c, x);
        }
        EXPECT_EQ(fade_gain(c, -0.5), 0.0);  // clamped
        EXPECT_NEAR(fade_gain(c, 1.5), 1.0, 1e-15);
    }
    // Equal power: the fade-in and the fade-out of a crossfade sum to unit power.
    for (int i = 0; i <= 100; ++i) {
        const double x = i / 100.0;
        EXPECT_NEAR(std::pow(fade_gain(FadeCurve::EqualPower, x), 2) + std::pow(fade_gain(FadeCurve::EqualPower, 1 - x), 2), 1.0, 1e-14);
    }
    // Exponential: 60 dB of range, linear in dB away from the silent end (x = 2/3 is -20 dB to within the -1/999 offset).
    EXPECT_NEAR(20 * std::log10(fade_gain(FadeCurve::Exponential, 2.0 / 3.0)), 20 * std::log10((100.0 - 1.0) / 999.0), 1e-12);
}

// Every frame of a faded programme against g(i/F) (fade-in) and g(j/F)
// (fade-out, j frames before the last), in double.
TEST(Fades, GainFrameByFrameMatchesTheDefinition) {
    for (FadeCurve c : kCurves) {
        ProgrammeEdit e;
        e.begin_frame = 1000;
        e.end_frame = 1000 + 48000;
        e.fade_in_frames = 4801;   // odd lengths: no symmetry to hide an off-by-one
        e.fade_out_frames = 12345;
        e.curve = c;
        for (int64_t t = 900; t < e.end_frame + 100; ++t) {
            double want = 0.0;
            if (t >= e.begin_frame && t < e.end_frame) {
                want = 1.0;
                const int64_t i = t - e.begin_frame, j = e.end_frame - 1 - t;
                if (i < e.fade_in_frames) want *= curve_oracle(c, static_cast<double>(i) / e.fade_in_frames);
                if (j < e.fade_out_frames) want *= curve_oracle(c, static_cast<double>(j) / e.fade_out_frames);
            }
            ASSERT_NEAR(e.gain(t), want, 1e-15) << to_string(c) << " frame " << t;
        }
        // The first and the last kept frames are silent; the frame after the fade-in is at full level.
        EXPECT_EQ(e.gain(e.begin_frame), 0.0);
        EXPECT_EQ(e.gain(e.end_frame - 1), 0.0);
        EXPECT_EQ(e.gain(e.begin_frame + e.fade_in_frames), 1.0);
        EXPECT_EQ(e.gain(e.end_frame - 1 - e.fade_out_frames), 1.0);
        EXPECT_LT(e.gain(e.end_frame - e.fade_out_frames), 1.0);

        // apply() in blocks of odd sizes equals gain() in float.
        std::vector<float> g(static_cast<size_t>(e.end_frame + 100), 1.0f);
        for (int64_t at = 0; at < static_cast<int64_t>(g.size()); at += 777)
            e.apply(at, std::min<int64_t>(777, static_cast<int64_t>(g.size()) - at), g.data() + at);
        for (int64_t t = 0; t < static_cast<int64_t>(g.size()); ++t) ASSERT_EQ(g[static_cast<size_t>(t)], static_cast<float>(e.gain(t))) << t;
    }
}

TEST(Trims, CutRoundedFramesFromBothEnds) {
    MasterSpec m;
    m.trim_start_s = 0.0123;  // 590.4 frames at 48 kHz -> 590
    m.trim_end_s = 24000.6 / 48000.0;  // -> 24001
    auto e = trimmed_programme(m, 48000, 480000);
    ASSERT_TRUE(e.has_value()) << e.error().message;
    EXPECT_EQ(e->begin_frame, 590);
    EXPECT_EQ(e->end_frame, 480000 - 24001);

    m.trim_start_s = 6.0;
    m.trim_end_s = 4.0;
    auto none = trimmed_programme(m, 48000, 480000);
    ASSERT_FALSE(none.has_value());
    EXPECT_NE(none.error().message.find("master.trim_start_s"), std::string::npos) << none.error().message;
    EXPECT_EQ(none.error().code, ErrorCode::InvalidSession);
}

TEST(Trims, SilenceTrimKeepsThePrerollAroundTheFirstAndLastContent) {
    MasterSpec m;
    m.trim_silence_db = -40.0;  // 0.01
    m.trim_silence_preroll_s = 0.01;  // 480 frames
    const int rate = 48000;
    auto e = trimmed_programme(m, rate, 100000);
    ASSERT_TRUE(e.has_value());
    // Content: one sample exactly at the threshold at frame 20000 (it counts),
    // one just below it at 10000 (it does not), the last at 70123 in the right channel.
    std::vector<float> l(100000, 0.0f), r(100000, 0.0f);
    l[10000] = 0.0099f;
    l[20000] = static_cast<float>(std::pow(10.0, -40.0 / 20.0));
    r[70123] = -0.5f;
    SilenceScanner scan(-40.0);
    const float* ch[2] = {l.data(), r.data()};
    for (int64_t at = 0; at < 100000; at += 4096) {
        const float* part[2] = {ch[0] + at, ch[1] + at};
        scan.add(part, 2, at, std::min<int64_t>(4096, 100000 - at));
    }
    EXPECT_EQ(scan.first_content_frame(), 20000);
    EXPECT_EQ(scan.last_content_frame(), 70123);
    ASSERT_TRUE(apply_silence_trim(m, rate, scan, *e).has_value());
    EXPECT_EQ(e->begin_frame, 20000 - 480);
    EXPECT_EQ(e->end_frame, 70123 + 1 + 480);

    // The preroll never reaches past what the trims left.
    MasterSpec trimmed = m;
    trimmed.trim_start_s = 19800.0 / rate;
    auto t = trimmed_programme(trimmed, rate, 100000);
    ASSERT_TRUE(apply_silence_trim(trimmed, rate, scan, *t).has_value());
    EXPECT_EQ(t->begin_frame, 19800);

    // All of it below the threshold: an error naming the key.
    SilenceScanner quiet(-20.0);
    quiet.add(ch, 2, 0, 100000);
    MasterSpec loud = m;
    loud.trim_silence_db = -3.0;
    auto q = trimmed_programme(loud, rate, 100000);
    SilenceScanner none(-3.0);
    none.add(ch, 2, 0, 100000);
    auto err = apply_silence_trim(loud, rate, none, *q);
    ASSERT_FALSE(err.has_value());
    EXPECT_NE(err.error().message.find("master.trim_silence_db"), std::string::npos) << err.error().message;
}

TEST(Fades, FadesLongerThanTheProgrammeAreAnErrorNamingTheKey) {
    MasterSpec m;
    m.fade_in_s = 1.0;
    m.fade_out_s = 2.5;
    auto e = trimmed_programme(m, 48000, 48000 * 3);
    ASSERT_TRUE(e.has_value());
    auto err = set_fades(m, 48000, *e);
    ASSERT_FALSE(err.has_value());
    EXPECT_NE(err.error().message.find("master.fade_out_s"), std::string::npos) << err.error().message;
    m.fade_out_s = 2.0;  // exactly the programme: allowed
    auto e2 = trimmed_programme(m, 48000, 48000 * 3);
    ASSERT_TRUE(set_fades(m, 48000, *e2).has_value());
    EXPECT_EQ(e2->fade_in_frames, 48000);
    EXPECT_EQ(e2->fade_out_frames, 96000);
}

TEST(DeliveryTarget, ExportKeysWinOverItsPresetWhichWinsOverTheMaster) {
    MasterSpec m;
    m.loudness_target_lufs = -14.0;
    m.limiter = LimiterSpec{};
    m.limiter->ceiling_dbtp = -1.0;
    ExportSpec plain, own, preset, both, vinyl;
    own.loudness_target_lufs = -16.0;
    preset.preset = "ebu-r128";
    both.preset = "ebu-r128";
    both.ceiling_dbtp = -2.0;
    vinyl.preset = "vinyl";
    EXPECT_EQ(export_target(m, plain), (DeliveryTarget{-14.0, -1.0}));
    EXPECT_EQ(export_target(m, own), (DeliveryTarget{-16.0, -1.0}));
    EXPECT_EQ(export_target(m, preset), (DeliveryTarget{-23.0, -1.0}));
    EXPECT_EQ(export_target(m, both), (DeliveryTarget{-23.0, -2.0}));
    EXPECT_EQ(export_target(m, vinyl), (DeliveryTarget{std::nullopt, -3.0}));  // no normalisation
    MasterSpec bare;  // no limiter, no target
    EXPECT_EQ(export_target(bare, plain), (DeliveryTarget{}));
}

TEST(DeliveryTarget, CdAudioIs441Khz16BitLosslessWithPresetCdOrACueSheet) {
    ExportSpec e;
    e.sample_rate = 44100;
    e.bit_depth = 16;
    EXPECT_FALSE(is_cd_audio_export(e, std::nullopt, 48000));
    EXPECT_TRUE(is_cd_audio_export(e, std::string("cd"), 48000));
    e.cue_sheet = true;
    EXPECT_TRUE(is_cd_audio_export(e, std::nullopt, 48000));
    e.bit_depth = 24;
    EXPECT_FALSE(is_cd_audio_export(e, std::string("cd"), 48000));
    e.bit_depth = 16;
    e.sample_rate = 0;  // the session rate
    EXPECT_TRUE(is_cd_audio_export(e, std::nullopt, 44100));
    EXPECT_FALSE(is_cd_audio_export(e, std::nullopt, 48000));
    e.preset = "streaming";  // its own preset replaces the master's cd
    e.cue_sheet = false;
    EXPECT_FALSE(is_cd_audio_export(e, std::string("cd"), 44100));
}

TEST(Vinyl, SideLengthWarnsPast22Minutes) {
    EXPECT_FALSE(vinyl_side_length_warning(22 * 60.0).has_value());
    auto w = vinyl_side_length_warning(22 * 60.0 + 0.5);
    ASSERT_TRUE(w.has_value());
    EXPECT_NE(w->find("22:00.500"), std::string::npos) << *w;
    MasterSpec m;
    ExportSpec e;
    EXPECT_FALSE(uses_vinyl_preset(m, {e}));
    e.preset = "vinyl";
    EXPECT_TRUE(uses_vinyl_preset(m, {e}));
    m.preset = "vinyl";
    EXPECT_TRUE(uses_vinyl_preset(m, {}));
}

}  // namespace
}  // namespace sf::master
