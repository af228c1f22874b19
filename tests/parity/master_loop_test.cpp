// The loudness loop on the GPU (gpu/master/loudness_loop.h): candidate
// gains measured in batches converge, for every programme of the batch, to
// its target within the CPU loop's tolerance, with the true peak under the
// ceiling — checked independently: the chosen gain is applied by the CPU
// limiter to the CPU pre-chain and measured by the CPU meters — and in fewer
// passes than the CPU master step's own loop (engine/master/master_chain.cpp,
// run here through render_master on the same mixes).
#include <gtest/gtest.h>

#include <cstdio>
#include <filesystem>
#include <vector>

#include "analysis/loudness.h"
#include "analysis/loudness_probe.h"
#include "analysis/true_peak.h"
#include "engine/export/transaction.h"
#include "engine/master/master_chain.h"
#include "gpu/master/loudness_loop.h"
#include "gpu/master/master_batch.h"
#include "tests/parity/parity_support.h"
#include "tests/gpu/gpu_fixture.h"
#include "tests/parity/master_support.h"

namespace sf::test {
namespace {

constexpr int kRate = 48000;
constexpr double kCeilingDbtp = -1.0;

MasterSpec loop_spec(double target) {
    MasterSpec m;
    m.limiter = LimiterSpec{};
    m.limiter->ceiling_dbtp = kCeilingDbtp;
    m.loudness_target_lufs = target;
    MultibandSpec mb;
    mb.crossovers_hz = {250.0};
    mb.bands = {MultibandBand{}, MultibandBand{}};
    m.multiband = mb;
    return m;
}

// The CPU master step's loop passes for one programme (render_master with
// no exports: the loop, one final pass, nothing written).
int cpu_loop_passes(const MasterSpec& m, const AudioBuffer& mix) {
    Session s;
    s.sample_rate = kRate;
    s.master = m;
    auto spool = master::Spool::create(std::filesystem::temp_directory_path(), 2);
    EXPECT_TRUE(spool.has_value());
    EXPECT_TRUE(spool->write(mix, mix.frames()).has_value());
    DeliveryTransaction tx;
    master::MasterJob job;
    job.session = &s;
    job.probe = [] { return analysis::make_loudness_probe(); };
    job.transaction = &tx;
    auto out = master::render_master(job, *spool);
    EXPECT_TRUE(out.has_value()) << out.error().message;
    return out ? static_cast<int>(out->report.loop.size()) : 0;
}

class MasterLoopParity : public GpuTest {};

TEST_F(MasterLoopParity, BatchedCandidatesConvergeInFewerPassesThanTheCpuLoop) {
    const std::vector<AudioBuffer> mixes = {musical_programme(kRate, 4.5, 31, 0.35), musical_programme(kRate, 3.7, 32, 0.8),
                                            musical_programme(kRate, 4.1, 33, 0.12)};
    const std::vector<double> targets = {-14.0, -9.0, -16.0};   // light, heavy and no limiting
    gpu::GpuMasterSpec spec;
    spec.master = loop_spec(-14.0);
    spec.sample_rate = kRate;
    spec.max_candidates = 4;
    for (const AudioBuffer& b : mixes) spec.lengths_frames.push_back(b.frames());
    auto chain = gpu::GpuMaster::create(*ctx_, spec);
    ASSERT_TRUE(chain.has_value()) << chain.error().message;
    auto ok = (*chain)->run_prechain([&](int64_t first, int64_t frames, std::span<float* const> rows) -> Result<void> {
        for (size_t p = 0; p < mixes.size(); ++p)
            for (int c = 0; c < 2; ++c)
                for (int64_t i = 0; i < frames; ++i) rows[2 * p + static_cast<size_t>(c)][i] = first + i < mixes[p].frames() ? mixes[p].channel(c)[first + i] : 0.0f;
        return {};
    });
    ASSERT_TRUE(ok.has_value()) << ok.error().message;
    const std::vector<double> ceilings(mixes.size(), kCeilingDbtp);
    auto loop = gpu::gpu_loudness_loop(**chain, targets, ceilings, master::kLoopToleranceLu, 20.0, 4);
    ASSERT_TRUE(loop.has_value()) << loop.error().message;
    int cpu_passes = 0;
    for (size_t p = 0; p < mixes.size(); ++p) {
        const MasterSpec m = loop_spec(targets[p]);
        const gpu::GpuLoopOutcome& o = loop->programmes[p];
        // Independent check: the CPU chain at the chosen gain, CPU meters.
        const CpuPrechain pre = cpu_prechain(m, kRate, mixes[p]);
        const CpuLimited limited = cpu_limit(m.limiter, o.gain_db, kCeilingDbtp, kRate, pre);
        analysis::LoudnessOptions lo;
        lo.sample_rate = kRate;
        auto meter = analysis::LoudnessMeter::create(lo);
        meter->add(limited.signal, limited.signal.frames());
        auto tp = analysis::TruePeakMeter::create(2);
        tp->add(limited.signal, limited.signal.frames());
        const double level = *meter->integrated_lufs();
        const int passes = cpu_loop_passes(m, mixes[p]);
        cpu_passes = std::max(cpu_passes, passes);
        std::printf("[ measured ] programme %zu: target %.1f, gain %.3f dB, CPU meter %.4f LUFS (GPU %.4f), TP %.4f dBTP, "
                    "max GR %.2f dB; CPU loop %d passes\n",
                    p, targets[p], o.gain_db, level, o.integrated_lufs, *tp->true_peak_dbtp(), limited.stats.max_gain_reduction_db, passes);
        EXPECT_NEAR(level, targets[p], master::kLoopToleranceLu + 0.01);
        EXPECT_NEAR(o.integrated_lufs, level, 0.01);
        // The limiter's own promise before its ceiling guard (true_peak_limiter.h).
        EXPECT_LE(*tp->true_peak_dbtp(), kCeilingDbtp + 0.001);
    }
    EXPECT_GT(loop->programmes[1].steps.back().max_gain_reduction_db, 3.0) << "the -9 LUFS target must make the limiter work";
    std::printf("[ measured ] GPU loop: %d passes (%d candidates each) for 3 programmes at once; CPU loop: up to %d passes per programme\n",
                loop->passes, 4, cpu_passes);
    EXPECT_LT(loop->passes, cpu_passes);
}

// The many-masters API: three programmes in one batch, each delivered master
// against the CPU chain at the batch's gain through the CPU's ceiling guard
// (the limiter path's bound), on target by the CPU meter, under the
// ceiling by the CPU true-peak meter.
TEST_F(MasterLoopParity, ManyMastersInOneBatchMatchTheCpuChain) {
    const std::vector<AudioBuffer> mixes = {musical_programme(kRate, 2.5, 41, 0.5), musical_programme(kRate, 1.9, 42, 0.9),
                                            musical_programme(kRate, 2.2, 43, 0.2)};
    gpu::GpuMasterSpec spec;
    spec.master = loop_spec(-11.0);
    spec.sample_rate = kRate;
    for (const AudioBuffer& b : mixes) spec.lengths_frames.push_back(b.frames());
    auto batch = gpu::master_batch(*ctx_, spec, [&](int64_t first, int64_t frames, std::span<float* const> rows) -> Result<void> {
        for (size_t p = 0; p < mixes.size(); ++p)
            for (int c = 0; c < 2; ++c)
                for (int64_t i = 0; i < frames; ++i) rows[2 * p + static_cast<size_t>(c)][i] = first + i < mixes[p].frames() ? mixes[p].channel(c)[first + i] : 0.0f;
        return {};
    });
    ASSERT_TRUE(batch.has_value()) << batch.error().message;
    const double working = kCeilingDbtp - master::kInitialCeilingMarginDb;
    for (size_t p = 0; p < mixes.size(); ++p) {
        const gpu::BatchMaster& b = batch->programmes[p];
        const CpuPrechain pre = cpu_prechain(spec.master, kRate, mixes[p]);
        CpuLimited want = cpu_limit(spec.master.limiter, b.gain_db, working, kRate, pre);
        master::CeilingGuard guard(working, 2);
        AudioBuffer padded(2, want.signal.frames() + master::CeilingGuard::latency_frames());
        for (int c = 0; c < 2; ++c) std::copy_n(want.signal.channel(c), want.signal.frames(), padded.channel(c));
        guard.process(padded, padded.frames());
        for (int c = 0; c < 2; ++c) std::copy_n(padded.channel(c) + master::CeilingGuard::latency_frames(), want.signal.frames(), want.signal.channel(c));
        const Residual r = residual(b.signal, want.signal);
        analysis::LoudnessOptions lo;
        lo.sample_rate = kRate;
        auto meter = analysis::LoudnessMeter::create(lo);
        meter->add(b.signal, b.signal.frames());
        auto tp = analysis::TruePeakMeter::create(2);
        tp->add(b.signal, b.signal.frames());
        std::printf("[ measured ] batch programme %zu: residual peak %.1f dBFS, RMS %.1f dBFS; %.4f LUFS, %.4f dBTP, guard %s\n", p, r.peak_dbfs,
                    r.rms_dbfs, *meter->integrated_lufs(), *tp->true_peak_dbtp(), b.guarded ? "corrected" : "identity");
        EXPECT_LE(r.peak_dbfs, -90.0);
        EXPECT_LE(r.rms_dbfs, -110.0);
        EXPECT_NEAR(*meter->integrated_lufs(), -11.0, master::kLoopToleranceLu + 0.01);
        EXPECT_LE(*tp->true_peak_dbtp(), working);
    }
    EXPECT_LE(batch->loop_passes, 3);
}

TEST(MasterLoopPlan, CandidatesBracketAndShrink) {
    // First pass: from the no-limiting answer upwards.
    auto first = gpu::plan_candidates({}, -14.0, 3.0, 4, 0.05);
    ASSERT_EQ(first.size(), 4u);
    EXPECT_DOUBLE_EQ(first.front(), 3.0);
    EXPECT_DOUBLE_EQ(first.back(), 3.0 + gpu::kFirstSpanDb);
    // A bracket: every candidate inside it, around the interpolated answer.
    const std::vector<master::LoopStep> measured = {{3.0, -15.0, 0.5}, {5.0, -13.5, 2.0}, {7.0, -12.6, 4.0}};
    auto next = gpu::plan_candidates(measured, -14.0, 3.0, 4, 0.05);
    for (double g : next) {
        EXPECT_GT(g, 3.0);
        EXPECT_LT(g, 5.0);
    }
    // The parabola through the three points reaches -14 LUFS at this gain.
    double a = 3.0, b = 5.0;
    auto level = [](double g) { return -15.0 + 0.9 * (g - 3.0) - 0.075 * (g - 3.0) * (g - 3.0); };
    for (int it = 0; it < 60; ++it) (level(0.5 * (a + b)) < -14.0 ? a : b) = 0.5 * (a + b);
    EXPECT_LT(next.front(), a);
    EXPECT_GT(next.back(), a);
    EXPECT_LT(next.back() - next.front(), 0.5) << "candidates a few tolerances apart, not spread over the bracket";
    // All below the target: extrapolated upwards along the measured slope.
    const std::vector<master::LoopStep> low = {{0.0, -20.0, 0.0}, {1.0, -19.5, 1.0}};
    auto up = gpu::plan_candidates(low, -14.0, 0.0, 3, 0.05);
    EXPECT_GT(up.front(), 1.0);
}

}  // namespace
}  // namespace sf::test
