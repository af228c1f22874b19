// The CPU mix graph against oracles computed here in double precision:
// direct time-domain convolution with the stage definitions (EQ taps,
// reverb IR), the pan law and the gains. Also: block-size independence and
// latency compensation across parallel paths.
#include <gtest/gtest.h>

#include <algorithm>
#include <cmath>
#include <numbers>
#include <vector>

#include "engine/audio/audio_file.h"
#include "engine/dsp/eq_design.h"
#include "engine/render/cpu_mixer.h"
#include "engine/render/renderer.h"
#include "tests/parity/parity_support.h"  // run_backend: the renderer's block loop over in-memory stems
#include "tests/support/test_support.h"

namespace sf {
namespace {

constexpr int kRate = 48000;

struct Rendered {
    std::vector<double> l, r;
    int64_t frames = 0;
};

Rendered render(const Session& s, const test::TempDir& dir, int64_t block) {
    CpuMixer mixer;
    RenderOptions opt;
    opt.block_frames = block;
    opt.output_override = dir / "out.wav";
    Rendered out;
    opt.master_tap = [&](const AudioBuffer& m, int64_t n) {
        for (int64_t i = 0; i < n; ++i) {
            out.l.push_back(m.channel(0)[i]);
            out.r.push_back(m.channel(1)[i]);
        }
    };
    auto res = render_session(s, mixer, opt);
    EXPECT_TRUE(res.has_value()) << (res ? "" : res.error().message);
    if (res) out.frames = res->frames;
    return out;
}

// y += g · (h * x), full length (y must be long enough).
void convolve_add(const std::vector<double>& x, const std::vector<double>& h, double g, int64_t shift, std::vector<double>& y) {
    for (size_t i = 0; i < x.size(); ++i) {
        if (x[i] == 0.0) continue;
        for (size_t k = 0; k < h.size(); ++k) {
            const int64_t t = static_cast<int64_t>(i + k) + shift;
            if (t >= 0 && t < static_cast<int64_t>(y.size())) y[static_cast<size_t>(t)] += g * h[k] * x[i];
        }
    }
}

double residual_db(const std::vector<double>& want, const std::vector<double>& got) {
    double peak = 0.0, err = 0.0;
    EXPECT_EQ(want.size(), got.size());
    for (size_t i = 0; i < std::min(want.size(), got.size()); ++i) {
        peak = std::max(peak, std::abs(want[i]));
        err = std::max(err, std::abs(want[i] - got[i]));
    }
    return 20 * std::log10(std::max(err, 1e-300) / peak);
}

std::vector<double> to_double(const AudioBuffer& b, int c) { return {b.channel(c), b.channel(c) + b.frames()}; }

// A stem goes to the master directly and, through a post-fader send, to a
// group bus whose linear-phase EQ has latency; both stem and bus EQs are
// linear phase. The sum must equal the aligned oracle: no comb filtering.
TEST(CpuMixer, ParallelPathsAreLatencyCompensated) {
    test::TempDir dir;
    const int64_t n = 12001;
    AudioBuffer x = test::noise(1, n, 77, 0.5);
    test::write_wav(dir / "a.wav", x, kRate);
    const std::string text = R"({"format": "stemforge-session", "version": 1, "sample_rate": 48000,
      "stems": [{"name": "a", "file": "a.wav", "gain_db": -3, "pan": -0.5,
                 "eq": {"mode": "linear", "bands": [{"type": "highpass", "freq_hz": 200, "slope_db_oct": 12}]},
                 "sends": [{"bus": "grp", "level_db": -6}]}],
      "buses": [{"name": "grp", "gain_db": 2, "eq": {"mode": "linear", "bands": [{"type": "highshelf", "freq_hz": 3000, "gain_db": -6, "q": 0.7}]}}]})";
    auto s = parse_session(text, dir.path(), "test");
    ASSERT_TRUE(s.has_value()) << s.error().message;
    const Rendered got = render(*s, dir, 65536);

    auto stem_eq = design_eq(s->stems[0].eq.value(), kRate);
    auto bus_eq = design_eq(s->buses[0].eq.value(), kRate);
    ASSERT_TRUE(stem_eq && bus_eq);
    const int64_t stem_c = stem_eq->latency_frames, bus_c = bus_eq->latency_frames;
    const int64_t len = n + stem_c + bus_c;  // both symmetric FIR tails after the content
    ASSERT_EQ(got.frames, len);
    // Oracle: e = stem EQ (centred); direct = pan·fader·e; bus = pan·fader·send·busgain·(busEQ(centred) * e).
    // Computed on an extended timeline starting at −O: the linear-phase
    // pre-ringing before frame 0 of one path feeds the next path too.
    const int64_t O = stem_c + bus_c;
    std::vector<double> e(static_cast<size_t>(n + 2 * O), 0.0);
    convolve_add(to_double(x, 0), stem_eq->taps, 1.0, O - stem_c, e);
    const double fader = std::pow(10.0, -3.0 / 20), send = std::pow(10.0, -6.0 / 20), bus_gain = std::pow(10.0, 2.0 / 20);
    const double th = (-0.5 + 1.0) * std::numbers::pi / 4.0;
    std::vector<double> ext(e.size(), 0.0);
    for (size_t i = 0; i < e.size(); ++i) ext[i] += fader * e[i];
    convolve_add(e, bus_eq->taps, fader * send * bus_gain, -bus_c, ext);
    const std::vector<double> mono(ext.begin() + O, ext.begin() + O + len);
    std::vector<double> wl(mono.size()), wr(mono.size());
    for (size_t i = 0; i < mono.size(); ++i) {
        wl[i] = std::cos(th) * mono[i];
        wr[i] = std::sin(th) * mono[i];
    }
    EXPECT_LE(residual_db(wl, got.l), -100.0);
    EXPECT_LE(residual_db(wr, got.r), -100.0);
}

// Reverb bus: 4-channel (true-stereo) IR at 44.1 kHz resampled to 48 kHz,
// predelay, wet gain, a pre-fader send from a stereo stem whose fader is
// low; the full tail is rendered. Oracle: direct convolution in double.
TEST(CpuMixer, ReverbBusMatchesDirectConvolutionWithFullTail) {
    test::TempDir dir;
    const int64_t n = 9001;
    AudioBuffer x = test::noise(2, n, 5, 0.4);
    test::write_wav(dir / "s.wav", x, kRate);
    AudioBuffer ir(4, 4410);
    {
        AudioBuffer nz = test::noise(4, 4410, 99, 0.5);
        for (int c = 0; c < 4; ++c)
            for (int64_t i = 0; i < ir.frames(); ++i) ir.channel(c)[i] = nz.channel(c)[i] * static_cast<float>(std::exp(-i / 800.0));
    }
    test::write_wav(dir / "ir.wav", ir, 44100);
    const std::string text = R"({"format": "stemforge-session", "version": 1, "sample_rate": 48000,
      "stems": [{"name": "s", "file": "s.wav", "gain_db": -20, "pan": 0.25,
                 "sends": [{"bus": "verb", "level_db": -4, "pre_fader": true}]}],
      "buses": [{"name": "verb", "reverb": {"ir": "ir.wav", "predelay_ms": 7, "wet_db": -3}}]})";
    auto s = parse_session(text, dir.path(), "test");
    ASSERT_TRUE(s.has_value()) << s.error().message;
    const Rendered whole = render(*s, dir, 65536);
    const Rendered split = render(*s, dir, 4099);

    SourceOptions so;
    so.target_rate = kRate;
    so.max_channels = 4;
    auto ir48 = AudioSource::read_all(dir / "ir.wav", so);
    ASSERT_TRUE(ir48.has_value());
    const int64_t pre = 336;  // 7 ms at 48 kHz
    const int64_t len = n + pre + ir48->frames() - 1;
    ASSERT_EQ(whole.frames, len);
    // Stereo stem, pan 0.25 = balance: L scaled by cos(0.25·π/2), R untouched.
    const double bal_l = std::cos(0.25 * std::numbers::pi / 2.0);
    const double fader = std::pow(10.0, -20.0 / 20), send = std::pow(10.0, -4.0 / 20), wet = std::pow(10.0, -3.0 / 20);
    std::vector<double> pl = to_double(x, 0), pr = to_double(x, 1);
    for (auto& v : pl) v *= bal_l;
    std::vector<double> wl(static_cast<size_t>(len), 0.0), wr(static_cast<size_t>(len), 0.0);
    for (int64_t i = 0; i < n; ++i) {
        wl[static_cast<size_t>(i)] += fader * pl[static_cast<size_t>(i)];
        wr[static_cast<size_t>(i)] += fader * pr[static_cast<size_t>(i)];
    }
    const double g = send * wet;
    convolve_add(pl, to_double(*ir48, 0), g, pre, wl);  // LL
    convolve_add(pl, to_double(*ir48, 1), g, pre, wr);  // LR
    convolve_add(pr, to_double(*ir48, 2), g, pre, wl);  // RL
    convolve_add(pr, to_double(*ir48, 3), g, pre, wr);  // RR
    const double rl = residual_db(wl, whole.l), rr = residual_db(wr, whole.r);
    std::printf("reverb residual vs direct convolution: L %.1f dB, R %.1f dB (re output peak)\n", rl, rr);
    EXPECT_LE(rl, -120.0);
    EXPECT_LE(rr, -120.0);
    EXPECT_EQ(whole.l, split.l);  // block size does not change a single sample
    EXPECT_EQ(whole.r, split.r);
}

// Every stage at once (min-phase EQ, compressor, sends, a bus feeding a bus,
// reverb, a stem starting late): odd block sizes give bit-identical output.
TEST(CpuMixer, FullGraphIsIndependentOfBlockSize) {
    test::TempDir dir;
    test::write_wav(dir / "a.wav", test::noise(1, 30011, 1, 0.5), kRate);
    test::write_wav(dir / "b.wav", test::sine(2, 20003, kRate, 440.0, 0.7), kRate);
    test::write_wav(dir / "ir.wav", test::noise(1, 3001, 4, 0.1), kRate);
    const std::string text = R"({"format": "stemforge-session", "version": 1, "sample_rate": 48000,
      "stems": [{"name": "a", "file": "a.wav", "eq": {"mode": "minimum", "bands": [{"type": "bell", "freq_hz": 900, "gain_db": 4, "q": 2}]},
                 "compressor": {"threshold_db": -20, "ratio": 3, "attack_ms": 3, "release_ms": 50, "detector": "rms"},
                 "sends": [{"bus": "verb", "level_db": -6}], "output": "grp"},
                {"name": "b", "file": "b.wav", "offset_s": 0.3, "fade_in_s": 0.05, "pan": 0.4,
                 "eq": {"mode": "linear", "bands": [{"type": "lowpass", "freq_hz": 5000, "slope_db_oct": 24}]},
                 "sends": [{"bus": "verb", "level_db": -10, "pre_fader": true}]}],
      "buses": [{"name": "verb", "reverb": {"ir": "ir.wav", "predelay_ms": 3}, "output": "grp",
                 "compressor": {"threshold_db": -30, "ratio": 2, "knee_db": 0}},
                {"name": "grp", "eq": {"mode": "linear", "bands": [{"type": "lowshelf", "freq_hz": 120, "gain_db": 2}]}, "gain_db": -1}]})";
    auto s = parse_session(text, dir.path(), "test");
    ASSERT_TRUE(s.has_value()) << s.error().message;
    const Rendered a = render(*s, dir, 65536);
    const Rendered b = render(*s, dir, 1237);
    ASSERT_GT(a.frames, 30011 + 3001);
    EXPECT_EQ(a.l, b.l);
    EXPECT_EQ(a.r, b.r);
    double energy = 0;
    for (double v : a.l) energy += v * v;
    EXPECT_GT(energy, 1.0);
}

// MixBackend contract: prepare() may only extend plan.total_frames. A caller
// that asks for silence past the content (here 333 frames) must get it; a
// backend shrinking the length left such callers reading unwritten frames
// (the gain parity test saw garbage there).
TEST(CpuMixer, PrepareExtendsButNeverShrinksTheRenderLength) {
    Session session;
    session.sample_rate = kRate;
    StemSpec spec;
    spec.name = "a";
    session.stems.push_back(spec);
    RenderPlan plan;
    plan.sample_rate = kRate;
    plan.block_frames = 1000;
    StemPlan sp;
    sp.channels = 1;
    sp.length_frames = 4001;
    plan.stems.push_back(sp);
    plan.content_frames = sp.end_frames();
    plan.total_frames = plan.content_frames + 333;
    CpuMixer mixer;
    ASSERT_TRUE(mixer.prepare(session, plan).has_value());
    EXPECT_EQ(plan.total_frames, 4001 + 333);
    EXPECT_EQ(plan.latency_frames, 0);

    // A graph with a tail longer than the requested length extends it.
    spec.eq = EqSpec{};
    spec.eq->mode = EqMode::Linear;
    spec.eq->bands.push_back(EqBand{});
    spec.eq->bands.back().type = EqBandType::Lowpass;
    spec.eq->bands.back().freq_hz = 1000;
    spec.eq->bands.back().slope_db_oct = 12;
    session.stems[0] = spec;
    RenderPlan plan2 = plan;
    plan2.total_frames = plan2.content_frames;
    CpuMixer mixer2;
    ASSERT_TRUE(mixer2.prepare(session, plan2).has_value());
    EXPECT_GT(plan2.total_frames, plan2.content_frames);
}


// ---- Width and automation of pan, width, sends and bus gain (DESIGN.md
// "Session v1 additions"), end to end through CpuMixer on constant signals:
// every output value at the chosen frames is computed here by hand. ----

AudioBuffer constant(std::vector<float> channel_values, int64_t frames) {
    AudioBuffer b(static_cast<int>(channel_values.size()), frames);
    for (int c = 0; c < b.channels(); ++c) std::fill_n(b.channel(c), frames, channel_values[static_cast<size_t>(c)]);
    return b;
}

void add_constant_stem(test::MixFixture& f, StemSpec spec, AudioBuffer source) {
    StemPlan sp;
    sp.index = f.session.stems.size();
    sp.channels = source.channels();
    sp.length_frames = source.frames();
    f.plan.content_frames = std::max(f.plan.content_frames, sp.end_frames());
    f.plan.stems.push_back(sp);
    f.session.stems.push_back(std::move(spec));
    f.sources.push_back(std::move(source));
}

SendSpec send_to(const std::string& bus, double level_db, bool pre_fader) {
    SendSpec s;
    s.bus = bus;
    s.level_db = level_db;
    s.pre_fader = pre_fader;
    return s;
}

double db(double x) { return std::pow(10.0, x / 20.0); }

// Stem a: mono 0.5, fader −6 dB, pan lane −1 → +1 over 0.25..0.75 s, a
// post-fader send −3 dB to fx whose send_db steps 0 → −60 dB at 0.5 s.
// Stem b: stereo (0.6, −0.2), static width 3 replaced by a lane 0 → 2 over
// 1 s, pan 0.25 (balance), into fx. Bus fx: width 0.5, fader −2 dB plus a
// lane 0 → −10 dB over 0.2..0.6 s, into the master.
TEST(CpuMixerAutomation, ConstantSignalsGiveTheHandComputedValues) {
    test::MixFixture f;
    f.session.sample_rate = kRate;
    f.plan.sample_rate = kRate;
    StemSpec a;
    a.name = "a";
    a.gain_db = -6.0;
    a.automation.pan = {{0.25, -1.0}, {0.75, 1.0}};
    a.sends = {send_to("fx", -3.0, false)};
    a.automation.send_db = {SendAutomation{"fx", {{0.5, 0.0}, {0.5, -60.0}}}};
    add_constant_stem(f, a, constant({0.5f}, kRate));
    StemSpec b;
    b.name = "b";
    b.pan = 0.25;
    b.width = 3.0;
    b.automation.width = {{0.0, 0.0}, {1.0, 2.0}};
    b.output = "fx";
    add_constant_stem(f, b, constant({0.6f, -0.2f}, kRate));
    BusSpec fx;
    fx.name = "fx";
    fx.gain_db = -2.0;
    fx.width = 0.5;
    fx.automation.gain_db = {{0.2, 0.0}, {0.6, -10.0}};
    f.session.buses = {fx};
    f.plan.bus_order = bus_processing_order(f.session);
    f.plan.total_frames = f.plan.content_frames;

    CpuMixer mixer;
    auto got = test::run_backend(mixer, f.session, f.plan, f.sources, 4099);
    ASSERT_TRUE(got) << got.error().message;
    auto ramp = [](double t, double t0, double v0, double t1, double v1) {
        return t <= t0 ? v0 : t >= t1 ? v1 : v0 + (v1 - v0) * (t - t0) / (t1 - t0);
    };
    double worst = 0.0;
    for (int64_t n : {0, 6000, 12000, 18000, 23999, 24000, 28800, 36000, 40000, 47999}) {
        const double t = static_cast<double>(n) / kRate;
        // a: pan law (mono, constant power), fader, the send with its lane.
        const double th = (ramp(t, 0.25, -1.0, 0.75, 1.0) + 1.0) * std::numbers::pi / 4.0;
        const double a_l = 0.5 * std::cos(th), a_r = 0.5 * std::sin(th);
        const double send = db(-6.0) * db(-3.0 + (t < 0.5 ? 0.0 : -60.0));
        // b: width (M/S) then balance 0.25 (L scaled by cos(π/8)).
        const double w = ramp(t, 0.0, 0.0, 1.0, 2.0), m = (0.6f + -0.2f) / 2.0, sd = (0.6f - -0.2f) / 2.0;
        const double b_l = (m + w * sd) * std::cos(0.25 * std::numbers::pi / 2.0), b_r = m - w * sd;
        // fx: sum, width 0.5, fader −2 dB + lane.
        const double in_l = send * a_l + b_l, in_r = send * a_r + b_r;
        const double fx_m = (in_l + in_r) / 2.0, fx_s = (in_l - in_r) / 2.0;
        const double fader = db(-2.0 + ramp(t, 0.2, 0.0, 0.6, -10.0));
        const double want_l = db(-6.0) * a_l + fader * (fx_m + 0.5 * fx_s);
        const double want_r = db(-6.0) * a_r + fader * (fx_m - 0.5 * fx_s);
        EXPECT_NEAR(got->channel(0)[n], want_l, 2e-6) << "frame " << n;
        EXPECT_NEAR(got->channel(1)[n], want_r, 2e-6) << "frame " << n;
        worst = std::max({worst, std::abs(got->channel(0)[n] - want_l), std::abs(got->channel(1)[n] - want_r)});
    }
    std::printf("automation end to end: worst error vs the hand-computed values %.2e (bound 2e-6)\n", worst);
    // Whole buffer and odd blocks agree bit for bit (every lane is a function of the frame).
    CpuMixer whole;
    auto one = test::run_backend(whole, f.session, f.plan, f.sources, f.plan.total_frames);
    ASSERT_TRUE(one);
    for (int c = 0; c < 2; ++c)
        for (int64_t i = 0; i < one->frames(); ++i) ASSERT_EQ(one->channel(c)[i], got->channel(c)[i]) << c << " " << i;
}

// Lanes follow the music through latency: a stem behind a linear-phase EQ
// (its centre delay plus the CPU's FFT hop) pans at the timeline frame of
// its signal; a send's step and a bus fader's step (behind the bus's own
// EQ) land on their timeline frames in the output too.
TEST(CpuMixerAutomation, LanesLandOnTheirTimelineFramesBehindLatency) {
    test::MixFixture f;
    f.session.sample_rate = kRate;
    f.plan.sample_rate = kRate;
    auto bell = [](double freq_hz, double gain_db) {
        EqSpec e;
        e.mode = EqMode::Linear;
        EqBand band;
        band.type = EqBandType::Bell;
        band.freq_hz = freq_hz;
        band.gain_db = gain_db;
        band.q = 1.0;
        e.bands = {band};
        return e;
    };
    StemSpec p;  // pan step −1 → +1 at 0.5 s
    p.name = "p";
    p.eq = bell(8000.0, 1.0);
    p.automation.pan = {{0.5, -1.0}, {0.5, 1.0}};
    add_constant_stem(f, p, constant({0.5f}, kRate));
    StemSpec s;  // hard left; send_db to dry steps at 0.3 s; into wet, whose fader steps at 0.7 s
    s.name = "s";
    s.eq = bell(8000.0, 1.0);
    s.pan = -1.0;
    s.sends = {send_to("dry", 0.0, true), send_to("wet", 0.0, true)};
    s.automation.send_db = {SendAutomation{"dry", {{0.3, 0.0}, {0.3, -40.0}}}};
    add_constant_stem(f, s, constant({0.25f}, kRate));
    BusSpec dry;
    dry.name = "dry";
    BusSpec wet;
    wet.name = "wet";
    wet.eq = bell(6000.0, -1.0);
    wet.automation.gain_db = {{0.7, 0.0}, {0.7, -40.0}};
    f.session.buses = {dry, wet};
    f.plan.bus_order = bus_processing_order(f.session);
    f.plan.total_frames = f.plan.content_frames;

    CpuMixer mixer;
    auto got = test::run_backend(mixer, f.session, f.plan, f.sources, 4096);
    ASSERT_TRUE(got) << got.error().message;
    // The EQs' DC gains (their taps' sums): the level of a constant after them.
    auto dc = [](const EqSpec& e) {
        auto d = design_eq(e, kRate);
        EXPECT_TRUE(d.has_value());
        double sum = 0.0;
        for (double t : d->taps) sum += t;
        return sum;
    };
    const double g_stem = dc(p.eq.value()), g_wet = dc(wet.eq.value());
    auto want = [&](int64_t n) {
        const double t = static_cast<double>(n) / kRate;
        const double p_l = t < 0.5 ? 0.5 * g_stem : 0.0, p_r = t < 0.5 ? 0.0 : 0.5 * g_stem;
        const double s_l = 0.25 * g_stem;  // hard left
        const double l = p_l + s_l + s_l * (t < 0.3 ? 1.0 : db(-40.0)) + s_l * g_wet * (t < 0.7 ? 1.0 : db(-40.0));
        return std::pair<double, double>{l, p_r};
    };
    double worst = 0.0;
    for (int64_t step : {14400, 24000, 33600}) {
        for (int64_t n : {step - 1, step}) {
            const auto [l, r] = want(n);
            EXPECT_NEAR(got->channel(0)[n], l, 1e-5) << "frame " << n;
            EXPECT_NEAR(got->channel(1)[n], r, 1e-5) << "frame " << n;
            worst = std::max({worst, std::abs(got->channel(0)[n] - l), std::abs(got->channel(1)[n] - r)});
        }
    }
    std::printf("automation behind latency: worst error at the step frames %.2e (bound 1e-5)\n", worst);
}

}  // namespace
}  // namespace sf
