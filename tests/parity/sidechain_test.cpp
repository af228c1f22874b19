// Parity of compressor sidechains: sf::gpu::GpuMixer (keys copied through
// delay rings into detector rows, gpu/stages/sidechain.h; sidechain EQs on
// those rows; the compressor detecting on them; the render schedule's
// levels) vs the CPU reference sf::CpuMixer, end to end on random stems.
// The fixture exercises every alignment case of engine/render/mix_graph.h:
// a key behind a linear-phase EQ (the keyed stem waits), a keyed stem behind
// a longer EQ than its key (the key waits), a linear-phase sidechain EQ, a
// stem keyed by a bus, a bus keyed by its own signal through a sidechain EQ,
// a muted key (it still keys), a chorus after a keyed compressor, and a
// chain of keys (a keyed stem keying another).
// Bound (issue 5, with compressors): residual peak <= -90 dBFS, RMS <= -110 dBFS.
#include <gtest/gtest.h>

#include "engine/core/random.h"
#include "engine/render/cpu_mixer.h"
#include "engine/render/render_plan.h"
#include "gpu/gpu_mixer.h"
#include "tests/gpu/gpu_fixture.h"
#include "tests/parity/parity_support.h"
#include "tests/support/test_support.h"

namespace sf::test {
namespace {

constexpr double kPeakBoundDbfs = -90.0;
constexpr double kRmsBoundDbfs = -110.0;

EqSpec eq_of(EqMode mode, EqBandType type, double freq, int slope = 12) {
    EqBand b;
    b.type = type;
    b.freq_hz = freq;
    b.slope_db_oct = slope;
    if (type == EqBandType::Bell) b.gain_db = 4.0, b.q = 1.0;
    return EqSpec{mode, {b}};
}

CompressorSpec ducker(const std::string& key, double threshold) {
    CompressorSpec c;
    c.threshold_db = threshold;
    c.ratio = 6.0;
    c.knee_db = 3.0;
    c.attack_ms = 1.5;
    c.release_ms = 80.0;
    c.sidechain = key;
    return c;
}

MixFixture make_fixture(uint64_t seed) {
    MixFixture f;
    f.session.sample_rate = 48000;
    f.plan.sample_rate = 48000;
    std::vector<StemSpec> stems(6);
    stems[0].name = "kick";  // muted: it keys the bass all the same
    stems[0].mute = true;
    stems[0].eq = eq_of(EqMode::Linear, EqBandType::Highpass, 30.0);
    stems[1].name = "bass";  // keyed by the kick's low end (linear-phase sidechain EQ), then chorused
    stems[1].compressor = ducker("kick", -36.0);
    stems[1].compressor->sidechain_eq = eq_of(EqMode::Linear, EqBandType::Lowpass, 200.0, 24);
    stems[1].chorus = ChorusSpec{};
    stems[2].name = "pad";   // a long linear EQ before a key with none: the key waits
    stems[2].eq = eq_of(EqMode::Linear, EqBandType::Highpass, 20.0, 48);
    stems[2].compressor = ducker("bass", -40.0);  // a chain of keys: kick -> bass -> pad
    stems[2].output = "group";
    stems[3].name = "vox";   // keyed by a bus (the group), minimum-phase EQ
    stems[3].eq = eq_of(EqMode::Minimum, EqBandType::Bell, 2500.0);
    stems[3].compressor = ducker("group", -30.0);
    stems[3].compressor->detector = Detector::Rms;
    stems[4].name = "hats";  // feeds the group
    stems[4].output = "group";
    stems[4].sends = {SendSpec{"verb", -6.0, false}};
    stems[5].name = "plain"; // an unkeyed compressor beside them
    stems[5].compressor = CompressorSpec{};
    BusSpec group, verb;
    group.name = "group";    // keyed by its own signal through a minimum-phase sidechain EQ (de-essing form)
    group.compressor = CompressorSpec{};
    group.compressor->threshold_db = -28.0;
    group.compressor->sidechain_eq = eq_of(EqMode::Minimum, EqBandType::Highpass, 3000.0, 24);
    group.eq = eq_of(EqMode::Linear, EqBandType::Bell, 800.0);
    verb.name = "verb";      // keyed by the bass stem, after a linear-phase bus EQ
    verb.eq = eq_of(EqMode::Linear, EqBandType::Highpass, 150.0);
    verb.compressor = ducker("bass", -30.0);
    f.session.buses = {group, verb};
    Random rng(seed);
    for (int k = 0; k < 6; ++k) {
        const int channels = fixture_channels(k);
        const int64_t length = 14001 + 1709 * k;
        AudioBuffer x = noise(channels, length, seed * 10 + static_cast<uint64_t>(k), 0.7);
        // Bursts, so keys attack and release.
        for (int c = 0; c < channels; ++c)
            for (int64_t i = 0; i < length; ++i) x.channel(c)[i] *= ((i / (2400 + 300 * k)) % 2) ? 1.0f : 0.08f;
        stems[static_cast<size_t>(k)].pan = rng.bipolar() * 0.5;
        add_stem(f, stems[static_cast<size_t>(k)], k, std::move(x));
    }
    f.plan.bus_order = bus_processing_order(f.session);
    f.plan.total_frames = f.plan.content_frames;
    return f;
}

class SidechainParity : public GpuTest {};

TEST_F(SidechainParity, KeyedCompressorsMatchCpuWholeOddBlocksAndSplitChunks) {
    if (!ctx_->float64()) GTEST_FAIL() << "the test device has no shaderFloat64";
    const MixFixture f = make_fixture(0x51DE);
    CpuMixer cpu;
    auto reference = run_backend(cpu, f.session, f.plan, f.sources, 4096);
    ASSERT_TRUE(reference) << reference.error().message;
    ASSERT_GT(peak_dbfs(reference->channel(0), reference->frames()), -30.0);
    // The keys must act: without them the render differs far above the bound.
    Session unkeyed = f.session;
    for (StemSpec& s : unkeyed.stems)
        if (s.compressor) s.compressor->sidechain.clear(), s.compressor->sidechain_eq.reset();
    unkeyed.buses[0].compressor->sidechain_eq.reset();
    unkeyed.buses[1].compressor->sidechain.clear();
    CpuMixer plain;
    auto without = run_backend(plain, unkeyed, f.plan, f.sources, 4096);
    ASSERT_TRUE(without);
    ASSERT_GT(residual(*without, *reference).peak_dbfs, -40.0) << "the fixture's sidechains change nothing";

    struct Run {
        int64_t block, max_chunk;
    };
    for (const Run run : {Run{1 << 17, 0}, Run{4099, 0}, Run{777, 0}, Run{10007, 1000}}) {
        gpu::GpuMixer gpu(ctx_);
        gpu.set_max_chunk_frames(run.max_chunk);
        auto got = run_backend(gpu, f.session, f.plan, f.sources, run.block);
        ASSERT_TRUE(got) << got.error().message;
        const Residual r = residual(*got, *reference);
        std::printf("sidechain parity block %lld chunk<=%lld: residual peak %.1f dBFS, rms %.1f dBFS\n", static_cast<long long>(run.block),
                    static_cast<long long>(run.max_chunk), r.peak_dbfs, r.rms_dbfs);
        EXPECT_LE(r.peak_dbfs, kPeakBoundDbfs) << "block " << run.block;
        EXPECT_LE(r.rms_dbfs, kRmsBoundDbfs) << "block " << run.block;
    }
}

TEST_F(SidechainParity, ResidualDetectsAMisalignedKey) {
    // The measure must be able to fail: the bass keyed by the kick one EQ
    // latency early (the kick's EQ removed on the GPU side only).
    if (!ctx_->float64()) GTEST_FAIL() << "the test device has no shaderFloat64";
    const MixFixture f = make_fixture(7);
    CpuMixer cpu;
    auto reference = run_backend(cpu, f.session, f.plan, f.sources, 8192);
    ASSERT_TRUE(reference);
    Session changed = f.session;
    changed.stems[0].eq.reset();
    gpu::GpuMixer gpu(ctx_);
    auto got = run_backend(gpu, changed, f.plan, f.sources, 8192);
    ASSERT_TRUE(got) << got.error().message;
    EXPECT_GT(residual(*got, *reference).peak_dbfs, kPeakBoundDbfs + 20.0);
}

}  // namespace
}  // namespace sf::test
