// The master's match EQ (engine/master/match_eq.h) through a real render:
// against a reference with a known spectral tilt, the output's 1/3-octave
// spectrum (loudness-normalised) must come within 1 dB RMS of the
// reference's over 40 Hz - 16 kHz at amount 1.
//
// Oracles (tests/support/third_octave.h): the band levels are a periodogram
// of the whole signal summed over the third-octave bands, normalised by
// libebur128's integrated loudness; libebur128 also serves as the render's
// loudness meter (a LoudnessProbe over it), so nothing of the engine's own
// spectrum code measures its own output.
#include <gtest/gtest.h>

#include <cmath>
#include <complex>
#include <numbers>

#include "engine/core/random.h"
#include "engine/master/match_eq.h"
#include "engine/render/cpu_mixer.h"
#include "engine/render/renderer.h"
#include "tests/support/ebur128_probe.h"
#include "tests/support/test_support.h"
#include "tests/support/third_octave.h"

namespace sf::test {
namespace {

constexpr int kRate = 48000;

AudioBuffer noise_at(uint64_t seed, double seconds, double amplitude) {
    AudioBuffer b(2, static_cast<int64_t>(seconds * kRate));
    Random rng(seed);
    for (int c = 0; c < 2; ++c)
        for (int64_t i = 0; i < b.frames(); ++i) b.channel(c)[i] = static_cast<float>(amplitude * rng.bipolar());
    return b;
}

// Pink (-3 dB per octave): the long-term balance of most music, whose
// loudness (K-weighted) then sits in the midrange like a mix's.
double pink_db(double f) { return -10.0 * std::log10(f / 1000.0); }
// The reference's tilt against it: +1.5 dB per octave about 1 kHz (-7 dB at
// 40 Hz, +6 dB at 16 kHz), within the default max_db of 12 after the
// loudness normalisation moves the pivot.
double tilt_db(double f) { return 1.5 * std::log2(f / 1000.0); }

struct Rendered {
    AudioBuffer out;
    std::optional<master::MasterReport> report;
};

Rendered render_with_match(const TempDir& dir, const MatchEqSpec& spec, const AudioBuffer& programme) {
    write_wav(dir / "programme.wav", programme, kRate);
    Session s;
    s.base_dir = dir.path();
    s.sample_rate = kRate;
    StemSpec stem;
    stem.name = "programme";
    stem.file_as_written = "programme.wav";
    stem.file = dir / "programme.wav";
    s.stems.push_back(stem);
    s.master = MasterSpec{};
    s.master->match_eq = spec;
    ExportSpec e;
    e.file = dir / "out.wav";
    e.file_as_written = "out.wav";
    e.bit_depth = 32;
    e.dither = Dither::None;
    s.exports.push_back(e);
    CpuMixer cpu;
    RenderOptions o;
    o.loudness_probe = ebur128_probe();
    auto r = render_session(s, cpu, o);
    EXPECT_TRUE(r) << (r ? "" : r.error().message);
    Rendered out;
    if (!r) return out;
    out.out = read_audio(dir / "out.wav");
    out.report = r->master;
    return out;
}

TEST(MatchEq, OutputMatchesATiltedReferenceWithin1DbRms) {
    TempDir dir;
    const AudioBuffer programme = zero_phase_filtered(noise_at(11, 20.0, 0.1), kRate, pink_db);
    // The reference: other noise, tilted, at another level (loudness normalisation removes it).
    write_wav(dir / "reference.wav", zero_phase_filtered(noise_at(29, 15.0, 0.03), kRate, [](double f) { return pink_db(f) + tilt_db(f); }), kRate);
    MatchEqSpec spec;
    spec.reference_as_written = "reference.wav";
    spec.reference = dir / "reference.wav";
    spec.amount = 1.0;
    const std::vector<double> ref = third_octave_levels(read_audio(dir / "reference.wav"), kRate);
    const double before = rms_difference_db(third_octave_levels(programme, kRate), ref);
    EXPECT_GT(before, 3.0);  // the tilt is there to be matched

    const Rendered r = render_with_match(dir, spec, programme);
    ASSERT_EQ(r.out.frames(), programme.frames());  // latency compensated
    const double after = rms_difference_db(third_octave_levels(r.out, kRate), ref);
    EXPECT_LE(after, 1.0) << "before " << before;
    ASSERT_TRUE(r.report && r.report->match_eq);
    EXPECT_LE(*r.report->match_eq_max_error_db, master::kMatchEqDesignToleranceDb);
    std::printf("match EQ: 1/3-octave difference to the reference %.2f dB RMS before, %.3f dB RMS after (FIR error %.3f dB)\n", before,
                after, *r.report->match_eq_max_error_db);

    // amount 0.5: half the difference (in dB) is corrected.
    spec.amount = 0.5;
    const double half = rms_difference_db(third_octave_levels(render_with_match(dir, spec, programme).out, kRate), ref);
    EXPECT_NEAR(half, before / 2.0, 0.15 * before) << "after " << after;

    // max_db 3: no band moves by more than 3 dB (plus the measurement's spread).
    spec.amount = 1.0;
    spec.max_db = 3.0;
    const std::vector<double> in_bands = third_octave_levels(programme, kRate);
    const std::vector<double> limited = third_octave_levels(render_with_match(dir, spec, programme).out, kRate);
    double largest = 0.0;
    for (size_t i = 0; i < limited.size(); ++i) largest = std::max(largest, std::abs(limited[i] - in_bands[i]));
    EXPECT_LE(largest, 3.3);
    EXPECT_GT(largest, 2.5);  // the clamp is reached: the tilt asks for more
}

// Loudness normalisation: a reference that is the programme itself at
// another level asks for no EQ.
TEST(MatchEq, ScaledCopyGivesAFlatCurve) {
    const AudioBuffer x = noise_at(5, 12.0, 0.2);
    AudioBuffer quiet = x;
    for (float& v : quiet.raw()) v *= 0.1f;
    master::SpectrumAccumulator a(kRate, std::make_unique<Ebur128Probe>()), b(kRate, std::make_unique<Ebur128Probe>());
    for (int64_t i = 0; i < x.frames(); i += 10007) {  // odd blocks
        const int64_t n = std::min<int64_t>(10007, x.frames() - i);
        AudioBuffer xa(2, n), xb(2, n);
        for (int c = 0; c < 2; ++c) {
            std::copy_n(x.channel(c) + i, n, xa.channel(c));
            std::copy_n(quiet.channel(c) + i, n, xb.channel(c));
        }
        a.add(xa, n);
        b.add(xb, n);
    }
    const master::LongTermSpectrum sa = a.finish(), sb = b.finish();
    EXPECT_NEAR(sa.integrated_lufs - sb.integrated_lufs, 20.0, 1e-3);
    MatchEqSpec spec;
    const master::MatchEqCurve curve = master::match_eq_curve(sb, sa, spec);
    ASSERT_FALSE(curve.gain_db.empty());
    for (double g : curve.gain_db) EXPECT_NEAR(g, 0.0, 0.01);
    EXPECT_NEAR(curve.freq_hz.front(), 20.0, 1e-9);
    EXPECT_LE(curve.freq_hz.back(), 20000.0);
}

// The reference is an input: an export over it is refused before any work.
TEST(MatchEq, AnExportOverTheReferenceIsRefused) {
    Session s;
    s.master = MasterSpec{};
    s.master->match_eq = MatchEqSpec{};
    s.master->match_eq->reference = "/music/ref.flac";
    ExportSpec e;
    e.file = "/music/./ref.flac";
    s.exports = {e};
    auto r = check_render_outputs(s, s.exports);
    ASSERT_FALSE(r);
    EXPECT_NE(r.error().message.find("is master.match_eq.reference"), std::string::npos) << r.error().message;
    s.exports[0].file = "/music/out.flac";
    EXPECT_TRUE(check_render_outputs(s, s.exports));
}

TEST(MatchEq, SilentReferenceIsAnError) {
    TempDir dir;
    write_wav(dir / "silence.wav", AudioBuffer(2, kRate * 2), kRate);
    auto r = master::measure_reference(dir / "silence.wav", kRate, ebur128_probe(), "master.match_eq.reference");
    ASSERT_FALSE(r);
    EXPECT_EQ(r.error().message.rfind("master.match_eq.reference: ", 0), 0u) << r.error().message;
    EXPECT_NE(r.error().message.find("silent"), std::string::npos);
}

}  // namespace
}  // namespace sf::test
