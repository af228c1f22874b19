// Parity of the GPU true-peak limiter (gpu/master/master_chain.h, phase 2:
// shaders/master_limiter_*.comp, the twin of sf::master::LimiterGain and the
// loudness loop's LimiterStage) with the CPU limiter over the same
// pre-chain, and of its meters with analysis/: the delivered signal
// (<= -90 dBFS peak, <= -110 dBFS RMS, issue 15's bound for the limiter
// path), its statistics, and batched candidate gains measured in one pass
// (integrated loudness within 0.01 LU of the CPU meter on the CPU's output).
// Whole and in odd pages (shorter than the look-ahead, and than the release
// scan's segments), with long and short release times; without a limiter
// spec the output is the plain gain, bit-identical.
#include <gtest/gtest.h>

#include <cstdio>
#include <string>
#include <vector>

#include "analysis/loudness.h"
#include "analysis/true_peak.h"
#include "gpu/master/master_chain.h"
#include "tests/gpu/gpu_fixture.h"
#include "tests/parity/master_support.h"
#include "tests/parity/parity_support.h"

namespace sf::test {
namespace {

constexpr double kPeakBoundDbfs = -90.0;
constexpr double kRmsBoundDbfs = -110.0;
constexpr double kLuTolerance = 0.01;
constexpr double kTpToleranceDb = 0.02;
constexpr int kRate = 48000;

class MasterLimiterParity : public GpuTest {
protected:
    std::unique_ptr<gpu::GpuMaster> prepare(const MasterSpec& m, const std::vector<AudioBuffer>& programmes, int64_t page, int candidates) {
        gpu::GpuMasterSpec spec;
        spec.master = m;
        spec.sample_rate = kRate;
        spec.max_candidates = candidates;
        spec.page_frames = page;
        for (const AudioBuffer& b : programmes) spec.lengths_frames.push_back(b.frames());
        auto chain = gpu::GpuMaster::create(*ctx_, spec);
        EXPECT_TRUE(chain.has_value()) << chain.error().message;
        if (!chain) return nullptr;
        auto ok = (*chain)->run_prechain([&](int64_t first, int64_t frames, std::span<float* const> rows) -> Result<void> {
            for (size_t p = 0; p < programmes.size(); ++p)
                for (int c = 0; c < 2; ++c)
                    for (int64_t i = 0; i < frames; ++i)
                        rows[2 * p + static_cast<size_t>(c)][i] = first + i < programmes[p].frames() ? programmes[p].channel(c)[first + i] : 0.0f;
            return {};
        });
        EXPECT_TRUE(ok.has_value()) << ok.error().message;
        return ok ? std::move(*chain) : nullptr;
    }

    // The delivered output of one gain per programme, compared with the CPU's.
    void check_output(const MasterSpec& m, const std::vector<AudioBuffer>& programmes, const std::vector<double>& gains_db, double ceiling_dbtp,
                      int64_t page) {
        auto chain = prepare(m, programmes, page, 1);
        ASSERT_TRUE(chain);
        std::vector<AudioBuffer> got(programmes.size());
        for (size_t p = 0; p < programmes.size(); ++p) got[p].resize(2, programmes[p].frames());
        std::vector<int64_t> next(programmes.size(), 0);
        const gpu::MasterSink sink = [&](int p, int64_t first, int64_t frames, const float* l, const float* r) -> Result<void> {
            EXPECT_EQ(first, next[static_cast<size_t>(p)]) << "frames arrive in order";
            next[static_cast<size_t>(p)] = first + frames;
            std::copy_n(l, frames, got[static_cast<size_t>(p)].channel(0) + first);
            std::copy_n(r, frames, got[static_cast<size_t>(p)].channel(1) + first);
            return {};
        };
        const std::vector<double> ceilings(programmes.size(), ceiling_dbtp);
        auto lanes = chain->run_limiter(gains_db, 1, ceilings, true, &sink);
        ASSERT_TRUE(lanes.has_value()) << lanes.error().message;
        for (size_t p = 0; p < programmes.size(); ++p) {
            EXPECT_EQ(next[p], programmes[p].frames()) << "every frame delivered";
            const CpuPrechain pre = cpu_prechain(m, kRate, programmes[p], 4096);
            const CpuLimited want = cpu_limit(m.limiter, gains_db[p], ceiling_dbtp, kRate, pre);
            const Residual res = residual(got[p], want.signal);
            std::printf("[ measured ] page %lld, programme %zu: residual peak %.1f dBFS, RMS %.1f dBFS; max gain reduction %.3f dB (CPU %.3f)\n",
                        static_cast<long long>(page), p, res.peak_dbfs, res.rms_dbfs, (*lanes)[p].limiter.max_gain_reduction_db,
                        want.stats.max_gain_reduction_db);
            EXPECT_LE(res.peak_dbfs, kPeakBoundDbfs) << "programme " << p;
            EXPECT_LE(res.rms_dbfs, kRmsBoundDbfs) << "programme " << p;
            if (m.limiter) {
                const master::LimiterStats& s = (*lanes)[p].limiter;
                EXPECT_NEAR(s.max_gain_reduction_db, want.stats.max_gain_reduction_db, 1e-4);
                EXPECT_NEAR(s.limited_fraction, want.stats.limited_fraction, 2.0 / static_cast<double>(programmes[p].frames()));
                EXPECT_NEAR(s.mean_gain_reduction_db, want.stats.mean_gain_reduction_db, 1e-4);
                EXPECT_GT(s.max_gain_reduction_db, 1.0) << "the fixture must make the limiter work";
            } else {
                if (!m.multiband && !m.eq) {
                    EXPECT_EQ(res.peak_dbfs, -400.0) << "plain gain is bit-identical";
                }
            }
            // The delivered master's meters (true peak included).
            analysis::LoudnessOptions o;
            o.sample_rate = kRate;
            auto meter = analysis::LoudnessMeter::create(o);
            meter->add(want.signal, want.signal.frames());
            auto tp = analysis::TruePeakMeter::create(2);
            tp->add(want.signal, want.signal.frames());
            EXPECT_NEAR((*lanes)[p].meter.loudness.integrated_lufs, *meter->integrated_lufs(), kLuTolerance);
            EXPECT_NEAR((*lanes)[p].meter.loudness.true_peak_dbtp, *tp->true_peak_dbtp(), kTpToleranceDb);
        }
    }
};

MasterSpec limiter_spec(double release_ms, double lookahead_ms) {
    MasterSpec m;
    LimiterSpec l;
    l.release_ms = release_ms;
    l.lookahead_ms = lookahead_ms;
    m.limiter = l;
    m.multiband = MultibandSpec{{300.0}, {MultibandBand{}, MultibandBand{}}};
    return m;
}

std::vector<AudioBuffer> hot_programmes() { return {musical_programme(kRate, 1.4, 21, 1.1), musical_programme(kRate, 0.8, 22, 0.6)}; }

TEST_F(MasterLimiterParity, DeliveredOutputMatchesCpuWholeAndInOddPages) {
    const MasterSpec m = limiter_spec(50.0, 5.0);
    for (int64_t page : {int64_t{0}, int64_t{4099}, int64_t{173}})   // 173 < W + H: every page carries the whole look-ahead
        check_output(m, hot_programmes(), {4.0, 7.5}, -1.0, page);
}

TEST_F(MasterLimiterParity, SlowReleaseAndLongLookaheadMatchCpu) {
    check_output(limiter_spec(800.0, 20.0), hot_programmes(), {9.0, 12.0}, -0.3, 2999);
}

TEST_F(MasterLimiterParity, WithoutALimiterTheGainIsExact) {
    MasterSpec m = limiter_spec(50.0, 5.0);
    m.limiter.reset();
    m.multiband.reset();   // nothing before the gain rounds: the output must be bit-identical
    check_output(m, hot_programmes(), {-2.5, 3.0}, 0.0, 4099);
}

// The loudness loop's batch: four candidate gains per programme in one pass,
// each lane measured on the GPU against the CPU meter on the CPU limiter's
// output at that gain.
TEST_F(MasterLimiterParity, BatchedCandidateGainsMatchCpuLoudness) {
    const MasterSpec m = limiter_spec(60.0, 4.0);
    const std::vector<AudioBuffer> programmes = hot_programmes();
    auto chain = prepare(m, programmes, 5003, 4);
    ASSERT_TRUE(chain);
    const std::vector<double> gains = {-3.0, 2.0, 6.0, 10.0, 0.0, 5.0, 9.0, 14.0};
    const std::vector<double> ceilings = {-1.0, -2.0};
    auto lanes = chain->run_limiter(gains, 4, ceilings, false, nullptr);
    ASSERT_TRUE(lanes.has_value()) << lanes.error().message;
    double worst = 0.0;
    for (size_t l = 0; l < gains.size(); ++l) {
        const size_t p = l / 4;
        const CpuPrechain pre = cpu_prechain(m, kRate, programmes[p], 4096);
        const CpuLimited want = cpu_limit(m.limiter, gains[l], ceilings[p], kRate, pre);
        analysis::LoudnessOptions o;
        o.sample_rate = kRate;
        auto meter = analysis::LoudnessMeter::create(o);
        meter->add(want.signal, want.signal.frames());
        const double got = (*lanes)[l].meter.loudness.integrated_lufs;
        EXPECT_NEAR(got, *meter->integrated_lufs(), kLuTolerance) << "lane " << l;
        EXPECT_NEAR((*lanes)[l].limiter.max_gain_reduction_db, want.stats.max_gain_reduction_db, 1e-4) << "lane " << l;
        worst = std::max(worst, std::abs(got - *meter->integrated_lufs()));
    }
    std::printf("[ measured ] 8 lanes in one pass: worst integrated |GPU - CPU| %.2e LU\n", worst);
    // Fewer candidates than the pass was made for: the lanes are padded.
    auto two = chain->run_limiter(std::vector<double>{2.0, 6.0, 5.0, 9.0}, 2, ceilings, false, nullptr);
    ASSERT_TRUE(two.has_value()) << two.error().message;
    EXPECT_NEAR((*two)[1].meter.loudness.integrated_lufs, (*lanes)[2].meter.loudness.integrated_lufs, 1e-9);
    EXPECT_NEAR((*two)[3].meter.loudness.integrated_lufs, (*lanes)[6].meter.loudness.integrated_lufs, 1e-9);
}

}  // namespace
}  // namespace sf::test
