// Parity of the routing graph (engine/render/mix_graph.* <-> gpu/stages/routing.*):
// sends (pre and post fader), stems into buses,
// a bus into a bus, bus reverbs (true-stereo, mono with predelay, stereo
// resampled from 44.1 kHz), bus EQ (linear and minimum phase), bus
// compressors, bus faders and latency compensation between EQ'd and dry
// paths, widths and automation of pan, width, send levels and bus faders:
// sf::gpu::GpuMixer vs the CPU reference sf::CpuMixer, whole-buffer,
// in odd-sized blocks and in small split chunks.
// Bounds (issue 5): linear graph (no compressor) residual peak <= -100 dBFS;
// with compressors, the full-render bounds peak <= -90, RMS <= -110 dBFS.
#include <gtest/gtest.h>

#include <cmath>
#include <cstdio>

#include "engine/core/random.h"
#include "engine/render/cpu_mixer.h"
#include "engine/render/render_plan.h"
#include "gpu/gpu_mixer.h"
#include "tests/gpu/gpu_fixture.h"
#include "tests/parity/parity_support.h"
#include "tests/support/test_support.h"

namespace sf::test {
namespace {

constexpr double kLinearBoundDbfs = -100.0;
constexpr double kPeakBoundDbfs = -90.0;
constexpr double kRmsBoundDbfs = -110.0;

// Exponentially decaying noise, each channel its own seed: an IR with a tail.
AudioBuffer decaying_ir(int channels, int64_t frames, uint64_t seed) {
    AudioBuffer ir = noise(channels, frames, seed, 0.5);
    for (int c = 0; c < channels; ++c)
        for (int64_t i = 0; i < frames; ++i) ir.channel(c)[i] *= static_cast<float>(std::exp(-6.0 * static_cast<double>(i) / static_cast<double>(frames)));
    return ir;
}

EqSpec eq(EqMode mode, std::vector<EqBand> bands) {
    EqSpec e;
    e.mode = mode;
    e.bands = std::move(bands);
    return e;
}

CompressorSpec compressor(double threshold_db, double ratio, Detector detector) {
    CompressorSpec c;
    c.threshold_db = threshold_db;
    c.ratio = ratio;
    c.attack_ms = 3.0;
    c.release_ms = 60.0;
    c.makeup_db = 2.0;
    c.detector = detector;
    return c;
}

SendSpec send(const std::string& bus, double level_db, bool pre_fader) {
    SendSpec s;
    s.bus = bus;
    s.level_db = level_db;
    s.pre_fader = pre_fader;
    return s;
}

// Six stems, four buses:
//   verb    true-stereo IR (4 ch), predelay 7 ms, wet -3 dB, fader -2 dB -> master
//   plate   mono IR, linear bell EQ [compressor]                         -> group
//   group   minimum-phase EQ, fader +1 dB [compressor]                   -> master
//   wide    stereo IR recorded at 44.1 kHz                               -> master
MixFixture make_fixture(const TempDir& dir, bool with_compressors, uint64_t seed) {
    write_wav(dir / "true_stereo.wav", decaying_ir(4, 9000, seed + 1), 48000);
    write_wav(dir / "mono.wav", decaying_ir(1, 6000, seed + 2), 48000);
    write_wav(dir / "stereo44.wav", decaying_ir(2, 7000, seed + 3), 44100);

    MixFixture f;
    f.session.sample_rate = 48000;
    f.plan.sample_rate = 48000;
    auto bus = [&](const std::string& name, const std::string& output) {
        BusSpec b;
        b.name = name;
        b.output = output;
        return b;
    };
    auto reverb = [&](const std::string& file, double predelay_ms, double wet_db) {
        ReverbSpec r;
        r.ir = dir / file;
        r.ir_as_written = file;
        r.predelay_ms = predelay_ms;
        r.wet_db = wet_db;
        return r;
    };
    BusSpec verb = bus("verb", kMasterBusName);
    verb.reverb = reverb("true_stereo.wav", 7.0, -3.0);
    verb.gain_db = -2.0;
    BusSpec plate = bus("plate", "group");
    plate.reverb = reverb("mono.wav", 0.0, 0.0);
    plate.eq = eq(EqMode::Linear, {band(EqBandType::Bell, 2500.0, -5.0, 1.5)});
    BusSpec group = bus("group", kMasterBusName);
    group.eq = eq(EqMode::Minimum, {band(EqBandType::LowShelf, 200.0, 3.0)});
    group.gain_db = 1.0;
    BusSpec wide = bus("wide", kMasterBusName);
    wide.reverb = reverb("stereo44.wav", 0.0, -6.0);
    if (with_compressors) {
        plate.compressor = compressor(-30.0, 3.0, Detector::Rms);
        group.compressor = compressor(-24.0, 4.0, Detector::Peak);
    }
    f.session.buses = {verb, plate, group, wide};

    Random rng(seed);
    for (int k = 0; k < 6; ++k) {
        StemSpec s;
        s.name = "stem" + std::to_string(k);
        s.gain_db = -8.0 + 4.0 * rng.uniform();
        s.pan = rng.bipolar();
        switch (k) {
            case 0:
                s.eq = eq(EqMode::Linear, {band(EqBandType::Highpass, 120.0)});
                s.sends = {send("verb", -6.0, false)};
                break;
            case 1:
                s.sends = {send("verb", -10.0, true), send("plate", -8.0, false)};
                s.output = "group";
                if (with_compressors) s.compressor = compressor(-28.0, 5.0, Detector::Peak);
                break;
            case 2:
                s.eq = eq(EqMode::Minimum, {band(EqBandType::Bell, 900.0, 6.0, 2.0)});
                s.sends = {send("wide", -4.0, false)};
                s.output = "group";
                break;
            case 3:
                s.eq = eq(EqMode::Linear, {band(EqBandType::Lowpass, 5000.0, 0.0, 0.7071, 24)});
                s.sends = {send("plate", -3.0, true)};
                s.output = "group";
                break;
            case 4:  // muted: its send must not be heard either
                s.mute = true;
                s.sends = {send("verb", 0.0, true)};
                break;
            default:
                s.automation.gain_db = {{0.05, 0.0}, {0.15, -12.0}, {0.3, 3.0}};
                s.sends = {send("wide", -9.0, false)};
                break;
        }
        add_stem(f, s, k, noise(fixture_channels(k), 14011 + 977 * k, seed * 31 + static_cast<uint64_t>(k), 0.7));
    }
    f.plan.bus_order = bus_processing_order(f.session);
    f.plan.total_frames = f.plan.content_frames;
    return f;
}

class RoutingParity : public GpuTest {
protected:
    void expect_parity(bool with_compressors, uint64_t seed) {
        TempDir dir;
        const MixFixture f = make_fixture(dir, with_compressors, seed);
        CpuMixer cpu;
        RenderPlan cpu_plan = f.plan;
        cpu_plan.block_frames = 4096;
        ASSERT_TRUE(cpu.prepare(f.session, cpu_plan).has_value());
        auto reference = run_backend(cpu, f.session, f.plan, f.sources, 4096);
        ASSERT_TRUE(reference) << reference.error().message;
        ASSERT_GT(peak_dbfs(reference->channel(0), reference->frames()), -30.0);
        // The tails are rendered: the output outlasts the content by the longest reverb.
        ASSERT_GT(reference->frames(), f.plan.content_frames + 7000);

        struct Run {
            int64_t block, max_chunk;
        };
        for (const Run run : {Run{reference->frames() + cpu_plan.latency_frames, 0}, Run{4099, 0}, Run{10007, 1000}}) {
            gpu::GpuMixer gpu(ctx_);
            gpu.set_max_chunk_frames(run.max_chunk);
            auto got = run_backend(gpu, f.session, f.plan, f.sources, run.block);
            ASSERT_TRUE(got) << got.error().message;
            const Residual r = residual(*got, *reference);
            std::printf("routing parity (%s) block %lld chunk<=%lld: residual peak %.1f dBFS, rms %.1f dBFS\n",
                        with_compressors ? "with compressors" : "linear", static_cast<long long>(run.block),
                        static_cast<long long>(run.max_chunk), r.peak_dbfs, r.rms_dbfs);
            if (with_compressors) {
                EXPECT_LE(r.peak_dbfs, kPeakBoundDbfs) << "block " << run.block;
                EXPECT_LE(r.rms_dbfs, kRmsBoundDbfs) << "block " << run.block;
            } else {
                EXPECT_LE(r.peak_dbfs, kLinearBoundDbfs) << "block " << run.block;
            }
        }
    }
};

TEST_F(RoutingParity, LinearGraphMatchesCpu) { expect_parity(false, 0xB05); }

TEST_F(RoutingParity, GraphWithCompressorsMatchesCpu) {
    if (!ctx_->float64()) GTEST_FAIL() << "the test device has no shaderFloat64";
    expect_parity(true, 0xB06);
}

// Random lanes over the fixture's first 0.35 s: ramps, held ends, steps
// (some on exact frames, some at a lane's first time).
AutomationLane random_lane(Random& rng, double lo, double hi) {
    AutomationLane lane;
    double t = 0.03 * rng.uniform();
    const int points = 2 + static_cast<int>(rng.uniform() * 4);
    for (int j = 0; j < points; ++j) {
        if (rng.uniform() < 0.3) t = std::round(t * 48000.0) / 48000.0;  // on a frame
        lane.push_back({t, lo + (hi - lo) * rng.uniform()});
        if (rng.uniform() < 0.3) lane.push_back({t, lo + (hi - lo) * rng.uniform()});  // a step
        t += 0.3 / points * (0.2 + rng.uniform());
    }
    return lane;
}

void automate(MixFixture& f, uint64_t seed) {
    Random rng(seed * 977 + 5);
    auto chance = [&](double p) { return rng.uniform() < p; };
    for (size_t k = 0; k < f.session.stems.size(); ++k) {
        StemSpec& s = f.session.stems[k];
        const bool stereo = f.plan.stems[k].channels == 2;
        if (chance(0.6)) s.automation.pan = random_lane(rng, -1.0, 1.0);
        if (stereo && chance(0.6)) s.width = 4.0 * rng.uniform();
        if (stereo && chance(0.5)) s.automation.width = random_lane(rng, 0.0, 4.0);
        for (const SendSpec& send : s.sends)
            if (chance(0.6) && !s.automation.send(send.bus)) s.automation.send_db.push_back(SendAutomation{send.bus, random_lane(rng, -30.0, 6.0)});
    }
    for (BusSpec& b : f.session.buses) {
        if (chance(0.6)) b.automation.gain_db = random_lane(rng, -20.0, 3.0);
        if (chance(0.5)) b.width = 4.0 * rng.uniform();
        if (chance(0.4)) b.automation.width = random_lane(rng, 0.0, 4.0);
    }
}

// A random session: 1–5 buses routed acyclically (a bus feeds master or a
// later bus), 3–7 stems into random destinations with 0–2 sends each, every
// stage switched on at random. Levels are kept modest (IRs at unit L1 norm,
// faders ≤ 0 dB) so the residual speaks of the arithmetic, not of gain.
// With `automate`: static widths on stereo stems and buses, and lanes of pan,
// width, send_db and bus gain_db at random (their own random sequence, so the
// session without them is the same); without `compressors`, a linear graph.
struct RandomOptions {
    bool automate = false;
    bool compressors = true;
};
MixFixture random_fixture(const TempDir& dir, uint64_t seed, RandomOptions options = {}) {
    Random rng(seed);
    auto chance = [&](double p) { return rng.uniform() < p; };
    auto pick = [&](int n) { return std::min(n - 1, static_cast<int>(rng.uniform() * n)); };
    const char* irs[] = {"r1.wav", "r2.wav", "r4.wav"};
    const int ir_channels[] = {1, 2, 4};
    for (int i = 0; i < 3; ++i) {
        AudioBuffer ir = decaying_ir(ir_channels[i], 1500 + 700 * i, seed * 7 + static_cast<uint64_t>(i));
        double l1 = 0;
        for (int c = 0; c < ir.channels(); ++c)
            for (int64_t n = 0; n < ir.frames(); ++n) l1 += std::abs(ir.channel(c)[n]);
        for (int c = 0; c < ir.channels(); ++c)
            for (int64_t n = 0; n < ir.frames(); ++n) ir.channel(c)[n] = static_cast<float>(ir.channel(c)[n] * ir.channels() / l1);
        write_wav(dir / irs[i], ir, 48000);
    }
    auto random_eq = [&]() {
        const EqBandType types[] = {EqBandType::Bell, EqBandType::LowShelf, EqBandType::HighShelf, EqBandType::Highpass, EqBandType::Lowpass};
        EqSpec e = eq(chance(0.5) ? EqMode::Linear : EqMode::Minimum, {});
        const int bands = 1 + pick(2);
        for (int b = 0; b < bands; ++b)
            e.bands.push_back(band(types[pick(5)], 100.0 * std::pow(80.0, rng.uniform()), -6.0 + 12.0 * rng.uniform(), 0.5 + 2.0 * rng.uniform()));
        return e;
    };
    auto random_compressor = [&]() {
        return compressor(-30.0 + 15.0 * rng.uniform(), 1.5 + 6.0 * rng.uniform(), chance(0.5) ? Detector::Rms : Detector::Peak);
    };

    MixFixture f;
    f.session.sample_rate = 48000;
    f.plan.sample_rate = 48000;
    const int nb = 1 + pick(5);
    for (int b = 0; b < nb; ++b) {
        BusSpec bus;
        bus.name = "bus" + std::to_string(b);
        bus.output = b + 1 < nb && chance(0.5) ? "bus" + std::to_string(b + 1 + pick(nb - b - 1)) : kMasterBusName;
        bus.gain_db = -6.0 * rng.uniform();
        if (chance(0.6)) {
            ReverbSpec r;
            const int which = pick(3);
            r.ir = dir / irs[which];
            r.ir_as_written = irs[which];
            r.predelay_ms = chance(0.5) ? 20.0 * rng.uniform() : 0.0;
            r.wet_db = -6.0 * rng.uniform();
            bus.reverb = r;
        }
        if (chance(0.4)) bus.eq = random_eq();
        if (chance(0.3) && options.compressors) bus.compressor = random_compressor();
        f.session.buses.push_back(bus);
    }
    auto destination = [&]() { return chance(0.4) ? std::string(kMasterBusName) : "bus" + std::to_string(pick(nb)); };
    const int ns = 3 + pick(5);
    for (int k = 0; k < ns; ++k) {
        StemSpec s;
        s.name = "stem" + std::to_string(k);
        s.gain_db = -6.0 * rng.uniform();
        s.pan = rng.bipolar();
        s.output = destination();
        s.mute = chance(0.1);
        if (chance(0.5)) s.eq = random_eq();
        if (chance(0.4) && options.compressors) s.compressor = random_compressor();
        if (chance(0.3)) s.automation.gain_db = {{0.02, 0.0}, {0.08, -9.0 * rng.uniform()}};
        const int sends = pick(3);
        for (int j = 0; j < sends; ++j) s.sends.push_back(send("bus" + std::to_string(pick(nb)), -12.0 * rng.uniform(), chance(0.5)));
        add_stem(f, s, k, noise(fixture_channels(k), 6007 + 1013 * k, seed * 131 + static_cast<uint64_t>(k), 0.5));
    }
    if (options.automate) automate(f, seed);
    f.plan.bus_order = bus_processing_order(f.session);
    f.plan.total_frames = f.plan.content_frames;
    return f;
}

TEST_F(RoutingParity, RandomGraphsMatchCpu) {
    if (!ctx_->float64()) GTEST_FAIL() << "the test device has no shaderFloat64";
    double worst_peak = -400, worst_rms = -400;
    for (uint64_t seed = 1; seed <= 6; ++seed) {
        TempDir dir;
        const MixFixture f = random_fixture(dir, seed);
        CpuMixer cpu;
        auto reference = run_backend(cpu, f.session, f.plan, f.sources, 4096);
        ASSERT_TRUE(reference) << reference.error().message;
        gpu::GpuMixer gpu(ctx_);
        gpu.set_max_chunk_frames(1000);
        auto got = run_backend(gpu, f.session, f.plan, f.sources, 3001);
        ASSERT_TRUE(got) << got.error().message;
        const Residual r = residual(*got, *reference);
        std::printf("random graph %llu (%zu stems, %zu buses): residual peak %.1f dBFS, rms %.1f dBFS (reference peak %.1f dBFS)\n",
                    static_cast<unsigned long long>(seed), f.session.stems.size(), f.session.buses.size(), r.peak_dbfs, r.rms_dbfs,
                    peak_dbfs(reference->channel(0), reference->frames()));
        EXPECT_LE(r.peak_dbfs, kPeakBoundDbfs) << "seed " << seed;
        EXPECT_LE(r.rms_dbfs, kRmsBoundDbfs) << "seed " << seed;
        worst_peak = std::max(worst_peak, r.peak_dbfs);
        worst_rms = std::max(worst_rms, r.rms_dbfs);
    }
    std::printf("random graphs: worst residual peak %.1f dBFS, rms %.1f dBFS\n", worst_peak, worst_rms);
}

TEST_F(RoutingParity, ResidualDetectsRoutingMistakes) {
    // The measure must be able to fail: each change is made on the GPU side only.
    TempDir dir;
    const MixFixture f = make_fixture(dir, false, 7);
    CpuMixer cpu;
    auto reference = run_backend(cpu, f.session, f.plan, f.sources, 8192);
    ASSERT_TRUE(reference);
    auto changed_residual = [&](auto change) {
        Session s = f.session;
        change(s);
        gpu::GpuMixer gpu(ctx_);
        auto got = run_backend(gpu, s, f.plan, f.sources, 8192);
        EXPECT_TRUE(got) << got.error().message;
        return got ? residual(*got, *reference).peak_dbfs : 0.0;
    };
    EXPECT_GT(changed_residual([](Session& s) { s.stems[0].sends[0].level_db += 0.5; }), -60.0);
    EXPECT_GT(changed_residual([](Session& s) { s.stems[1].sends[0].pre_fader = false; }), -60.0);
    EXPECT_GT(changed_residual([](Session& s) { s.buses[2].gain_db = 0.0; }), -60.0);
    EXPECT_GT(changed_residual([](Session& s) { s.buses[0].reverb->predelay_ms = 8.0; }), -60.0);
}


// Width and automation through the whole graph: random linear sessions with
// static widths and lanes of pan, width, send_db and bus gain_db, EQs on
// stems and buses (latencies that differ between the backends, so every lane
// must follow its signal's timeline frame), whole buffer, odd blocks, split chunks.
TEST_F(RoutingParity, AutomatedRandomGraphsMatchCpu) {
    double worst_peak = -400, worst_rms = -400;
    int lanes = 0;
    for (uint64_t seed = 11; seed <= 16; ++seed) {
        TempDir dir;
        const MixFixture f = random_fixture(dir, seed, RandomOptions{.automate = true, .compressors = false});
        for (const StemSpec& s : f.session.stems) lanes += !s.automation.pan.empty() + !s.automation.width.empty() + static_cast<int>(s.automation.send_db.size());
        for (const BusSpec& b : f.session.buses) lanes += !b.automation.gain_db.empty() + !b.automation.width.empty();
        CpuMixer cpu;
        RenderPlan cpu_plan = f.plan;
        cpu_plan.block_frames = 4096;
        ASSERT_TRUE(cpu.prepare(f.session, cpu_plan).has_value());
        auto reference = run_backend(cpu, f.session, f.plan, f.sources, 4096);
        ASSERT_TRUE(reference) << reference.error().message;
        ASSERT_GT(peak_dbfs(reference->channel(0), reference->frames()), -40.0);
        struct Run {
            int64_t block, max_chunk;
        };
        for (const Run run : {Run{reference->frames() + cpu_plan.latency_frames, 0}, Run{4099, 0}, Run{10007, 1000}}) {
            gpu::GpuMixer gpu(ctx_);
            gpu.set_max_chunk_frames(run.max_chunk);
            auto got = run_backend(gpu, f.session, f.plan, f.sources, run.block);
            ASSERT_TRUE(got) << got.error().message;
            const Residual r = residual(*got, *reference);
            std::printf("automated graph %llu (%zu stems, %zu buses) block %lld chunk<=%lld: residual peak %.1f dBFS, rms %.1f dBFS\n",
                        static_cast<unsigned long long>(seed), f.session.stems.size(), f.session.buses.size(), static_cast<long long>(run.block),
                        static_cast<long long>(run.max_chunk), r.peak_dbfs, r.rms_dbfs);
            EXPECT_LE(r.peak_dbfs, kLinearBoundDbfs) << "seed " << seed << " block " << run.block;
            worst_peak = std::max(worst_peak, r.peak_dbfs);
            worst_rms = std::max(worst_rms, r.rms_dbfs);
        }
    }
    EXPECT_GT(lanes, 20) << "the fixtures automate too little to test anything";
    std::printf("automated graphs (%d lanes): worst residual peak %.1f dBFS, rms %.1f dBFS\n", lanes, worst_peak, worst_rms);
}

TEST_F(RoutingParity, ResidualDetectsAutomationMistakes) {
    // Each change is made on the GPU side only: a send lane 0.5 dB off, a bus
    // fader step one frame late, a bus width dropped, a send lane 512 frames early.
    TempDir dir;
    MixFixture f = make_fixture(dir, false, 9);
    f.session.stems[0].automation.send_db = {SendAutomation{"verb", {{0.05, 0.0}, {0.15, -12.0}}}};
    f.session.buses[2].automation.gain_db = {{0.1, 0.0}, {0.1, -6.0}, {0.2, 2.0}};
    f.session.buses[3].width = 2.5;
    CpuMixer cpu;
    auto reference = run_backend(cpu, f.session, f.plan, f.sources, 8192);
    ASSERT_TRUE(reference);
    auto changed_residual = [&](auto change) {
        Session s = f.session;
        change(s);
        gpu::GpuMixer gpu(ctx_);
        auto got = run_backend(gpu, s, f.plan, f.sources, 8192);
        EXPECT_TRUE(got) << got.error().message;
        return got ? residual(*got, *reference).peak_dbfs : 0.0;
    };
    {
        gpu::GpuMixer gpu(ctx_);  // unchanged: within the bound
        auto got = run_backend(gpu, f.session, f.plan, f.sources, 8192);
        ASSERT_TRUE(got);
        EXPECT_LE(residual(*got, *reference).peak_dbfs, kLinearBoundDbfs);
    }
    EXPECT_GT(changed_residual([](Session& s) { s.stems[0].automation.send_db[0].level_db[1].value += 0.5; }), -60.0);
    EXPECT_GT(changed_residual([](Session& s) { s.buses[2].automation.gain_db[1].time_s += 1.0 / 48000; }), -60.0);
    EXPECT_GT(changed_residual([](Session& s) { s.buses[3].width.reset(); }), -60.0);
    EXPECT_GT(changed_residual([](Session& s) {
                  for (AutomationPoint& p : s.stems[0].automation.send_db[0].level_db) p.time_s -= 512.0 / 48000;
              }),
              -60.0);
}

}  // namespace
}  // namespace sf::test
