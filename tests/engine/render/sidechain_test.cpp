// Compressor sidechains through the CPU mixer, against an independent
// evaluation of the contract: a kick keying a sustained bass (ducking) — the
// bass's gain follows the compressor recursion of engine/dsp/compressor.h
// run on the kick's samples, written again here in double — and the key
// aligned on the timeline when the key's chain has latency.
#include <gtest/gtest.h>

#include <cmath>
#include <numbers>

#include "engine/render/cpu_mixer.h"
#include "engine/render/render_plan.h"
#include "tests/parity/parity_support.h"

namespace sf::test {
namespace {

constexpr int kRate = 48000;
constexpr int64_t kLength = 48000;

// A kick: 40 ms noise-free decaying 60 Hz bursts at 0.1 s, 0.4 s and 0.7 s.
AudioBuffer kick_track() {
    AudioBuffer x(1, kLength);
    for (double onset : {0.1, 0.4, 0.7}) {
        const int64_t n0 = static_cast<int64_t>(onset * kRate);
        for (int64_t i = 0; i < kRate / 25; ++i)
            x.channel(0)[n0 + i] = static_cast<float>(0.9 * std::exp(-i / 800.0) * std::sin(2.0 * std::numbers::pi * 60.0 * i / kRate));
    }
    return x;
}

// A sustained bass: a 0.5-amplitude 110 Hz sine over the whole length.
AudioBuffer bass_track() {
    AudioBuffer x(1, kLength);
    for (int64_t i = 0; i < kLength; ++i) x.channel(0)[i] = static_cast<float>(0.5 * std::sin(2.0 * std::numbers::pi * 110.0 * i / kRate));
    return x;
}

MixFixture fixture(const CompressorSpec& comp, std::optional<EqSpec> kick_eq) {
    MixFixture f;
    f.session.sample_rate = kRate;
    f.plan.sample_rate = kRate;
    StemSpec kick, bass;
    kick.name = "kick";
    kick.mute = true;  // a muted key still keys: only the ducked bass is heard
    kick.eq = kick_eq;
    bass.name = "bass";
    bass.compressor = comp;
    for (int k = 0; k < 2; ++k) {
        StemPlan sp;
        sp.index = static_cast<size_t>(k);
        sp.channels = 1;
        sp.length_frames = kLength;
        sp.audible = k == 1;
        f.plan.stems.push_back(sp);
    }
    f.session.stems = {kick, bass};
    f.sources = {kick_track(), bass_track()};
    f.plan.content_frames = f.plan.total_frames = kLength;
    return f;
}

// The recursion of the contract (peak detector), on the key, in double.
std::vector<double> expected_gain(const CompressorSpec& c, const AudioBuffer& key) {
    const double aa = std::exp(-1.0 / (c.attack_ms / 1000.0 * kRate)), ar = std::exp(-1.0 / (c.release_ms / 1000.0 * kRate));
    std::vector<double> g(static_cast<size_t>(key.frames()));
    double s = 0.0;
    for (int64_t n = 0; n < key.frames(); ++n) {
        const double level = 20.0 * std::log10(std::max(static_cast<double>(std::abs(key.channel(0)[n])), 1e-10));
        const double over = level - c.threshold_db;  // hard knee
        const double r = over > 0.0 ? over - over / c.ratio : 0.0;
        const double a = r > s ? aa : ar;
        s = a * s + (1.0 - a) * r;
        g[static_cast<size_t>(n)] = std::pow(10.0, (c.makeup_db - s) / 20.0);
    }
    return g;
}

CompressorSpec ducker() {
    CompressorSpec c;
    c.threshold_db = -30.0;
    c.ratio = 8.0;
    c.knee_db = 0.0;
    c.attack_ms = 1.0;
    c.release_ms = 60.0;
    c.sidechain = "kick";
    return c;
}

TEST(Sidechain, AKickDucksASustainedBassByTheKeysEnvelope) {
    const CompressorSpec c = ducker();
    const MixFixture f = fixture(c, std::nullopt);
    CpuMixer cpu;
    auto out = run_backend(cpu, f.session, f.plan, f.sources, 1000);
    ASSERT_TRUE(out) << out.error().message;
    const std::vector<double> g = expected_gain(c, f.sources[0]);
    const double pan = std::cos(std::numbers::pi / 4.0);  // centre, mono: −3.01 dB
    double worst = 0.0, deepest = 1.0;
    for (int64_t n = 0; n < kLength; ++n) {
        const double expected = pan * g[static_cast<size_t>(n)] * f.sources[1].channel(0)[n];
        worst = std::max(worst, std::abs(out->channel(0)[n] - expected));
        deepest = std::min(deepest, g[static_cast<size_t>(n)]);
    }
    EXPECT_LT(worst, 1e-6);
    EXPECT_LT(deepest, 0.2) << "the kick must duck the bass by more than 14 dB";
    // Before the first kick the bass is untouched.
    for (int64_t n = 0; n < 4800; ++n) ASSERT_FLOAT_EQ(out->channel(0)[n], static_cast<float>(pan * f.sources[1].channel(0)[n]));
}

// The kick's linear-phase EQ delays its tap by the EQ's latency; the key must
// still duck the bass at the kick's own timeline position.
TEST(Sidechain, AKeyThroughALatentChainStaysAlignedOnTheTimeline) {
    const CompressorSpec c = ducker();
    EqSpec eq;  // a 5 Hz high-pass: leaves the 60 Hz kick nearly as it is, but has latency
    EqBand hp;
    hp.type = EqBandType::Highpass;
    hp.freq_hz = 5.0;
    hp.slope_db_oct = 12;
    eq.bands = {hp};
    const MixFixture plain = fixture(c, std::nullopt), latent = fixture(c, eq);
    CpuMixer a, b;
    auto ref = run_backend(a, plain.session, plain.plan, plain.sources, 1000);
    auto out = run_backend(b, latent.session, latent.plan, latent.sources, 777);
    ASSERT_TRUE(ref && out);
    // The first frame ducked by more than 1 dB, in both renders.
    auto onset = [](const AudioBuffer& x, const AudioBuffer& bass) {
        const double pan = std::cos(std::numbers::pi / 4.0);
        for (int64_t n = 0; n < kLength; ++n)
            if (std::abs(bass.channel(0)[n]) > 0.1 && std::abs(x.channel(0)[n]) < 0.89 * pan * std::abs(bass.channel(0)[n])) return n;
        return int64_t{-1};
    };
    const int64_t n_ref = onset(*ref, plain.sources[1]), n_out = onset(*out, latent.sources[1]);
    ASSERT_GT(n_ref, 4800);
    // The EQ's latency is thousands of frames (its centre tap plus the FFT
    // hop); a few frames of difference come from the high-pass itself
    // reshaping the burst's first cycle, which moves the threshold crossing.
    EXPECT_NEAR(static_cast<double>(n_out), static_cast<double>(n_ref), 8.0);
    double worst = 0.0;
    for (int64_t n = 0; n < kLength; ++n) worst = std::max(worst, static_cast<double>(std::abs(out->channel(0)[n] - ref->channel(0)[n])));
    EXPECT_LT(worst, 0.02) << "a 5 Hz high-pass barely changes the key: the ducking must be nearly the same";
}

// A sidechain EQ on the own signal (de-essing form): the detector hears only
// what the EQ passes. A low-pass at 200 Hz on a 5 kHz tone above threshold:
// the detector hears (nearly) nothing, so the tone passes unreduced; without
// the sidechain EQ it is compressed.
TEST(Sidechain, TheSidechainEqShapesOnlyWhatTheDetectorHears) {
    MixFixture f;
    f.session.sample_rate = kRate;
    f.plan.sample_rate = kRate;
    StemSpec tone;
    tone.name = "tone";
    CompressorSpec c;
    c.threshold_db = -30.0;
    c.ratio = 10.0;
    c.attack_ms = 1.0;
    EqSpec lp;
    EqBand b;
    b.type = EqBandType::Lowpass;
    b.freq_hz = 200.0;
    b.slope_db_oct = 48;
    lp.bands = {b};
    c.sidechain_eq = lp;
    tone.compressor = c;
    AudioBuffer x(1, kLength);
    for (int64_t i = 0; i < kLength; ++i) x.channel(0)[i] = static_cast<float>(0.5 * std::sin(2.0 * std::numbers::pi * 5000.0 * i / kRate));
    StemPlan sp;
    sp.channels = 1;
    sp.length_frames = kLength;
    f.plan.stems = {sp};
    f.session.stems = {tone};
    f.sources = {x};
    f.plan.content_frames = f.plan.total_frames = kLength;
    CpuMixer cpu;
    auto out = run_backend(cpu, f.session, f.plan, f.sources, 4096);
    ASSERT_TRUE(out) << out.error().message;
    auto peak = [&](const AudioBuffer& y) {
        float p = 0.0f;
        for (int64_t n = kLength / 2; n < kLength; ++n) p = std::max(p, std::abs(y.channel(0)[n]));
        return 20.0 * std::log10(p / (0.5 * std::cos(std::numbers::pi / 4.0)));
    };
    EXPECT_NEAR(peak(*out), 0.0, 0.05) << "the detector must not hear the 5 kHz tone through a 200 Hz low-pass";
    f.session.stems[0].compressor->sidechain_eq.reset();
    CpuMixer plain;
    auto squashed = run_backend(plain, f.session, f.plan, f.sources, 4096);
    ASSERT_TRUE(squashed);
    EXPECT_LT(peak(*squashed), -15.0) << "without the sidechain EQ, a −6 dBFS tone 24 dB over a 10:1 threshold is compressed";
}

}  // namespace
}  // namespace sf::test
