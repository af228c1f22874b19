// Delivery QC checks: each against a signal built to fail it by a known
// amount (a DC offset of known size, a clipped run of known length, an
// inter-sample over of known height, out-of-phase stretches of known
// length, 3 s of leading silence, a loudness off target by a known amount),
// the figure compared with the construction (or libebur128 for loudness),
// and the same signal just inside the limit to show the check can pass.
#include <gtest/gtest.h>

#include <ebur128.h>

#include <cmath>
#include <numbers>

#include "analysis/qc.h"
#include "tests/support/test_support.h"

namespace sf::analysis {
namespace {

constexpr int kRate = 48000;

struct Qc {
    test::TempDir dir;
    QcReport report;
};

// Writes b as 32-bit float WAV (no quantisation: the figures are the construction's) and runs qc without codecs.
std::unique_ptr<Qc> qc_of(const AudioBuffer& b, const QcTarget& target, int rate = kRate, int bits = 32) {
    auto q = std::make_unique<Qc>();
    test::write_wav(q->dir / "master.wav", b, rate, bits);
    QcOptions o;
    o.target = target;
    o.codecs.clear();
    auto r = run_qc(q->dir / "master.wav", o);
    EXPECT_TRUE(r.has_value()) << r.error().message;
    if (r) q->report = std::move(*r);
    return q;
}

const QcCheck& check(const QcReport& r, const std::string& name) {
    for (const auto& c : r.checks)
        if (c.name == name) return c;
    ADD_FAILURE() << "no check " << name;
    static QcCheck none;
    return none;
}

QcTarget target(const char* preset) {
    auto t = qc_target(std::string_view(preset), std::nullopt, std::nullopt);
    EXPECT_TRUE(t.has_value());
    return *t;
}

double libebur128_integrated(const AudioBuffer& b, int rate) {
    ebur128_state* st = ebur128_init(static_cast<unsigned>(b.channels()), static_cast<unsigned long>(rate), EBUR128_MODE_I);
    std::vector<float> inter(static_cast<size_t>(b.frames() * b.channels()));
    for (int64_t i = 0; i < b.frames(); ++i)
        for (int c = 0; c < b.channels(); ++c) inter[static_cast<size_t>(i * b.channels() + c)] = b.channel(c)[i];
    ebur128_add_frames_float(st, inter.data(), static_cast<size_t>(b.frames()));
    double out = 0.0;
    ebur128_loudness_global(st, &out);
    ebur128_destroy(&st);
    return out;
}

TEST(QcChecks, DcOffsetOfKnownSize) {
    // A 1 kHz sine (whole periods: mean 0) plus a constant on channel 1.
    for (double dc : {0.005, 0.02, 0.0005}) {
        auto b = test::sine(2, 5 * kRate, kRate, 1000.0, 0.1);
        for (int64_t i = 0; i < b.frames(); ++i) b.channel(0)[i] += static_cast<float>(dc);
        auto q = qc_of(b, {});
        const QcCheck& c = check(q->report, "dc_offset");
        EXPECT_NEAR(c.value.get<double>(), 20.0 * std::log10(dc), 0.01) << dc;
        const CheckStatus want = dc > 0.01 ? CheckStatus::Fail : dc > 0.001 ? CheckStatus::Warn : CheckStatus::Pass;   // -40 / -60 dBFS
        EXPECT_EQ(c.status, want) << dc << ": " << c.message;
        EXPECT_NE(c.message.find("channel 1"), std::string::npos) << c.message;
    }
}

TEST(QcChecks, ClippedRunOfKnownLength) {
    auto b = test::sine(2, 4 * kRate, kRate, 440.0, 0.5);
    const int64_t at = kRate * 5 / 2;   // 2.5 s
    for (int64_t i = at; i < at + 37; ++i) b.channel(1)[i] = 1.0f;
    auto q = qc_of(b, {});
    const QcCheck& c = check(q->report, "clipping");
    EXPECT_EQ(c.status, CheckStatus::Fail);
    EXPECT_EQ(c.value.get<int64_t>(), 37);
    EXPECT_NE(c.message.find("longest 37 samples at 2.500 s on channel 2"), std::string::npos) << c.message;

    // Two full-scale samples are not a run (N = 3).
    auto b2 = test::sine(2, 4 * kRate, kRate, 440.0, 0.5);
    b2.channel(0)[at] = b2.channel(0)[at + 1] = -1.0f;
    auto q2 = qc_of(b2, {});
    EXPECT_EQ(check(q2->report, "clipping").status, CheckStatus::Pass);
    EXPECT_EQ(check(q2->report, "clipping").value.get<int64_t>(), 0);
}

TEST(QcChecks, InterSampleOverOfKnownHeight) {
    // A sine at fs/4 with phase 45°: every sample is A·sin(45°) = 0.84 (no
    // sample reaches full scale), the crests fall half-way between samples
    // at A = +1.5 dBTP. 12 kHz is inside the meter's accurate band.
    const double height_db = 1.5, a = std::pow(10.0, height_db / 20.0);
    AudioBuffer b(2, 2 * kRate);
    for (int c = 0; c < 2; ++c)
        for (int64_t i = 0; i < b.frames(); ++i) b.channel(c)[i] = static_cast<float>(a * std::sin(std::numbers::pi / 2.0 * static_cast<double>(i) + std::numbers::pi / 4.0));
    auto q = qc_of(b, target("streaming"));
    const QcCheck& over = check(q->report, "inter_sample_overs");
    EXPECT_EQ(over.status, CheckStatus::Fail);
    // One over per crest: 2 per period of 4 samples, on both channels, less the meter's edges (23 + 24 samples).
    const int64_t crests = 2 * (b.frames() / 4) * 2;
    EXPECT_NEAR(static_cast<double>(over.value.get<int64_t>()), static_cast<double>(crests), 2 * 26.0);
    EXPECT_NE(over.message.find("+1.50 dBTP"), std::string::npos) << over.message;
    const QcCheck& tp = check(q->report, "true_peak");
    EXPECT_EQ(tp.status, CheckStatus::Fail);
    EXPECT_NEAR(tp.value.get<double>(), height_db, 0.02);
    EXPECT_DOUBLE_EQ(tp.limit.get<double>(), -1.0);
    EXPECT_EQ(check(q->report, "clipping").status, CheckStatus::Pass);   // no sample at full scale

    // The same crests at -1.5 dBTP: no over.
    for (int c = 0; c < 2; ++c)
        for (int64_t i = 0; i < b.frames(); ++i) b.channel(c)[i] *= static_cast<float>(1.0 / (a * a));
    auto q2 = qc_of(b, {});
    EXPECT_EQ(check(q2->report, "inter_sample_overs").status, CheckStatus::Pass);
    EXPECT_EQ(check(q2->report, "true_peak").status, CheckStatus::Pass);
}

TEST(QcChecks, ThreeSecondsOfLeadingSilence) {
    AudioBuffer b(2, 7 * kRate);
    const auto tone = test::sine(2, 4 * kRate, kRate, 1000.0, 0.1);
    for (int c = 0; c < 2; ++c) std::copy(tone.channel(c), tone.channel(c) + tone.frames(), b.channel(c) + 3 * kRate);
    auto q = qc_of(b, {});
    const QcCheck& lead = check(q->report, "leading_silence");
    EXPECT_EQ(lead.status, CheckStatus::Warn);
    // The tone's first sample is sin(0) = 0: the first sound is one sample later.
    EXPECT_NEAR(lead.value.get<double>(), 3.0 + 1.0 / kRate, 0.5 / kRate);
    EXPECT_EQ(check(q->report, "trailing_silence").status, CheckStatus::Pass);

    auto q2 = qc_of(tone, {});
    EXPECT_EQ(check(q2->report, "leading_silence").status, CheckStatus::Pass);
    auto q3 = qc_of(AudioBuffer(2, kRate), {});
    EXPECT_EQ(check(q3->report, "leading_silence").status, CheckStatus::Fail);   // all silent
}

TEST(QcChecks, LoudnessAgainstEachPresetsTolerance) {
    // A 1 kHz stereo sine at -16 dBFS reads about -16 LUFS (libebur128 is the figure).
    const auto b = test::sine(2, 12 * kRate, kRate, 1000.0, std::pow(10.0, -16.0 / 20.0));
    const double integrated = libebur128_integrated(b, kRate);
    struct Case {
        const char* preset;
        std::optional<double> target;
        CheckStatus want;
    } cases[] = {
        {"streaming", std::nullopt, CheckStatus::Warn},   // 2 LU below -14: platforms normalise, a warning
        {"apple", std::nullopt, CheckStatus::Pass},       // -16 +- 1
        {"ebu-r128", std::nullopt, CheckStatus::Fail},    // 7 LU above -23
        {"atsc-a85", std::nullopt, CheckStatus::Fail},
        {"cd", std::nullopt, CheckStatus::Pass},          // no target
        {"ebu-r128", -16.8, CheckStatus::Pass},           // explicit target, the preset's +-1 LU
    };
    for (const auto& k : cases) {
        auto t = qc_target(std::string_view(k.preset), k.target, std::nullopt);
        ASSERT_TRUE(t.has_value());
        auto q = qc_of(b, *t);
        const QcCheck& c = check(q->report, "loudness");
        EXPECT_NEAR(c.value.get<double>(), integrated, 0.05) << k.preset;
        EXPECT_EQ(c.status, k.want) << k.preset << ": " << c.message;
    }
    // No preset, an explicit target: pass within 0.5 LU, warn within 1 LU, fail beyond.
    for (auto [offset, want] : {std::pair{0.4, CheckStatus::Pass}, {0.8, CheckStatus::Warn}, {1.3, CheckStatus::Fail}}) {
        auto t = qc_target(std::nullopt, integrated + offset, std::nullopt);
        auto q = qc_of(b, *t);
        EXPECT_EQ(check(q->report, "loudness").status, want) << offset;
    }
}

TEST(QcChecks, OutOfPhaseStretchesOfKnownLength) {
    // Correlated noise (L = R) with a stretch where R = -L.
    for (auto [stretch_s, want] : {std::pair{4.0, CheckStatus::Fail}, {1.0, CheckStatus::Warn}, {0.0, CheckStatus::Pass}}) {
        auto b = test::noise(1, 12 * kRate, 7, 0.2);
        AudioBuffer s(2, b.frames());
        for (int64_t i = 0; i < b.frames(); ++i) {
            const double t = static_cast<double>(i) / kRate;
            s.channel(0)[i] = b.channel(0)[i];
            s.channel(1)[i] = t >= 5.0 && t < 5.0 + stretch_s ? -b.channel(0)[i] : b.channel(0)[i];
        }
        auto q = qc_of(s, {});
        const QcCheck& c = check(q->report, "phase");
        EXPECT_EQ(c.status, want) << stretch_s << ": " << c.message;
        EXPECT_NEAR(c.value.get<double>(), stretch_s, 0.1 + 1e-9) << c.message;   // 100 ms windows
    }
}

TEST(QcChecks, MonoCompatibilityOfKnownLoss) {
    // R = -0.6 L + 0.8 C (independent noise, same power): the fold (L+R)/2
    // holds 0.4 L + 0.8 C over 2, i.e. (0.16 + 0.64)/4 of the power on each
    // speaker against 1 + 1: a loss of 10·log10(2 / 0.4) = 6.99 LU.
    const auto l = test::noise(1, 10 * kRate, 11, 0.2), c = test::noise(1, 10 * kRate, 12, 0.2);
    AudioBuffer s(2, l.frames());
    for (int64_t i = 0; i < l.frames(); ++i) {
        s.channel(0)[i] = l.channel(0)[i];
        s.channel(1)[i] = -0.6f * l.channel(0)[i] + 0.8f * c.channel(0)[i];
    }
    auto q = qc_of(s, {});
    const QcCheck& m = check(q->report, "mono_compatibility");
    EXPECT_NEAR(m.value.get<double>(), 10.0 * std::log10(2.0 / 0.4), 0.1);
    EXPECT_EQ(m.status, CheckStatus::Fail);
    // Independent channels lose 3 dB: a pass.
    for (int64_t i = 0; i < l.frames(); ++i) s.channel(1)[i] = c.channel(0)[i];
    auto q2 = qc_of(s, {});
    EXPECT_NEAR(check(q2->report, "mono_compatibility").value.get<double>(), 10.0 * std::log10(2.0), 0.1);
    EXPECT_EQ(check(q2->report, "mono_compatibility").status, CheckStatus::Pass);
    // R = -L cancels: fail, and the phase check fails too.
    for (int64_t i = 0; i < l.frames(); ++i) s.channel(1)[i] = -l.channel(0)[i];
    auto q3 = qc_of(s, {});
    EXPECT_EQ(check(q3->report, "mono_compatibility").status, CheckStatus::Fail);
    EXPECT_TRUE(check(q3->report, "mono_compatibility").value.is_null());
    EXPECT_EQ(check(q3->report, "phase").status, CheckStatus::Fail);
}

TEST(QcChecks, FormatAgainstThePreset) {
    const auto b = test::sine(2, 2 * 44100, 44100, 1000.0, 0.1);
    auto cd = qc_of(b, target("cd"), 44100, 16);
    EXPECT_EQ(check(cd->report, "format").status, CheckStatus::Pass) << check(cd->report, "format").message;
    auto cd24 = qc_of(b, target("cd"), 44100, 24);
    EXPECT_EQ(check(cd24->report, "format").status, CheckStatus::Fail);
    auto cd48 = qc_of(test::sine(2, 2 * kRate, kRate, 1000.0, 0.1), target("cd"), kRate, 16);
    EXPECT_EQ(check(cd48->report, "format").status, CheckStatus::Fail);
    EXPECT_NE(check(cd48->report, "format").message.find("44100 Hz"), std::string::npos);
    auto ebu = qc_of(b, target("ebu-r128"), 44100, 24);
    EXPECT_EQ(check(ebu->report, "format").status, CheckStatus::Warn);   // broadcast is 48 kHz
    auto mono = qc_of(test::sine(1, kRate, kRate, 1000.0, 0.1), target("cd"), 44100, 16);
    EXPECT_EQ(check(mono->report, "format").status, CheckStatus::Fail);
}

TEST(QcChecks, ReportOrderJsonKeysAndWorstStatus) {
    auto q = qc_of(test::sine(2, 3 * kRate, kRate, 1000.0, 0.1), target("streaming"));
    const std::vector<std::string> names = {"loudness",         "true_peak", "clipping",           "inter_sample_overs", "dc_offset",
                                            "leading_silence", "trailing_silence", "phase", "mono_compatibility", "format"};
    ASSERT_EQ(q->report.checks.size(), names.size());
    for (size_t i = 0; i < names.size(); ++i) EXPECT_EQ(q->report.checks[i].name, names[i]);
    EXPECT_EQ(q->report.status, worst_status(q->report.checks));
    const auto j = to_json(q->report);
    for (const char* k : {"file", "integrated_lufs", "true_peak_dbtp", "lra_lu", "sample_peak_dbfs", "correlation", "duration_s", "sample_rate", "channels"})
        EXPECT_TRUE(j.contains(k)) << k;
    ASSERT_TRUE(j["checks"].is_array());
    for (const auto& c : j["checks"])
        for (const char* k : {"name", "status", "value", "limit", "message"}) EXPECT_TRUE(c.contains(k)) << k;
    EXPECT_EQ(j["status"], to_string(q->report.status));
    EXPECT_TRUE(j["codecs"].is_object());
    EXPECT_FALSE(j.contains("series"));
    EXPECT_TRUE(j["file_checks"].is_object());
    EXPECT_EQ(j["qc"]["preset"], "streaming");
    EXPECT_EQ(j["qc"]["target_lufs"], -14.0);
    EXPECT_EQ(j["qc"]["ceiling_dbtp"], -1.0);

    EXPECT_EQ(worst_status({}), CheckStatus::Pass);
    std::vector<QcCheck> mixed(3);
    mixed[1].status = CheckStatus::Warn;
    EXPECT_EQ(worst_status(mixed), CheckStatus::Warn);
    mixed[2].status = CheckStatus::Fail;
    EXPECT_EQ(worst_status(mixed), CheckStatus::Fail);
}

TEST(QcChecks, TargetsFromPresetsAndOverrides) {
    auto s = qc_target(std::string_view("streaming"), std::nullopt, std::nullopt);
    ASSERT_TRUE(s.has_value());
    EXPECT_EQ(*s->target_lufs, -14.0);
    EXPECT_EQ(*s->ceiling_dbtp, -1.0);
    EXPECT_FALSE(s->loudness_fail_beyond);
    auto a = qc_target(std::string_view("atsc-a85"), std::nullopt, -3.0);
    EXPECT_EQ(*a->target_lufs, -24.0);
    EXPECT_EQ(*a->ceiling_dbtp, -3.0);
    EXPECT_EQ(a->loudness_pass_lu, 2.0);
    auto v = qc_target(std::string_view("vinyl"), std::nullopt, std::nullopt);
    EXPECT_FALSE(v->target_lufs.has_value());
    EXPECT_EQ(*v->ceiling_dbtp, -3.0);
    EXPECT_FALSE(qc_target(std::string_view("spotify"), std::nullopt, std::nullopt).has_value());
    EXPECT_FALSE(qc_target(std::nullopt, 3.0, std::nullopt).has_value());
    EXPECT_FALSE(qc_target(std::nullopt, std::nullopt, 1.0).has_value());
}

TEST(QcChecks, MissingFileNamesIt) {
    QcOptions o;
    o.codecs.clear();
    auto r = run_qc("/nonexistent/master.wav", o);
    ASSERT_FALSE(r.has_value());
    EXPECT_NE(r.error().message.find("/nonexistent/master.wav"), std::string::npos);
}

}  // namespace
}  // namespace sf::analysis
