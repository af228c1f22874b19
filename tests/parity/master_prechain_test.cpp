// Parity of the GPU master pre-chain (gpu/master/master_chain.h, phase 1)
// with the CPU master stages (tests/parity/master_support.h composes them as
// engine/master/master_chain.cpp does), stage by stage: master EQ (linear
// and minimum phase), the linear-phase crossover with unity compressors and
// per-band widths (a linear stage), the crossover with working compressors,
// stereo width, mono below, balance, and all of them together. Two
// programmes of different lengths in one batch, whole and in odd pages
// (4099, 10007 frames: chunks shorter than the crossover's kernels and than
// the detector's and window maximum's histories).
// Bounds (issue 15): linear stages <= -100 dBFS peak; with compressors
// <= -90 dBFS peak and <= -110 dBFS RMS; the window maximum of the
// true-peak envelope within 1e-5 (-100 dBFS), the pre-limiter loudness
// within 0.01 LU of the CPU meter's.
#include <gtest/gtest.h>

#include <cstdio>
#include <string>
#include <vector>

#include "analysis/loudness.h"
#include "gpu/master/master_chain.h"
#include "tests/gpu/gpu_fixture.h"
#include "tests/parity/master_support.h"
#include "tests/parity/parity_support.h"

namespace sf::test {
namespace {

constexpr double kLinearPeakDbfs = -100.0;
constexpr double kCompressedPeakDbfs = -90.0;
constexpr double kCompressedRmsDbfs = -110.0;
constexpr double kWindowMaxTolerance = 1e-5;
constexpr double kLuTolerance = 0.01;
constexpr int kRate = 48000;

struct Worst {
    double worst_peak = -400.0, worst_rms = -400.0;
};

class MasterPrechainParity : public GpuTest {
protected:
    // Masters `programmes` with `m` on both backends and bounds the
    // residual of the pre-chain output for every page size.
    Worst check(const MasterSpec& m, const std::vector<AudioBuffer>& programmes, double peak_bound, double rms_bound,
              const std::vector<int64_t>& pages = {0, 4099, 10007}) {
        std::vector<CpuPrechain> cpu;
        for (const AudioBuffer& b : programmes) cpu.push_back(cpu_prechain(m, kRate, b, 4096));
        Worst run;
        for (int64_t page : pages) {
            gpu::GpuMasterSpec spec;
            spec.master = m;
            spec.sample_rate = kRate;
            spec.max_candidates = 1;
            spec.page_frames = page;
            for (const AudioBuffer& b : programmes) spec.lengths_frames.push_back(b.frames());
            auto chain = gpu::GpuMaster::create(*ctx_, spec);
            EXPECT_TRUE(chain.has_value()) << chain.error().message;
            if (!chain) return run;
            auto ok = (*chain)->run_prechain([&](int64_t first, int64_t frames, std::span<float* const> rows) -> Result<void> {
                for (size_t p = 0; p < programmes.size(); ++p)
                    for (int c = 0; c < 2; ++c)
                        for (int64_t i = 0; i < frames; ++i)
                            rows[2 * p + static_cast<size_t>(c)][i] = first + i < programmes[p].frames() ? programmes[p].channel(c)[first + i] : 0.0f;
                return {};
            });
            EXPECT_TRUE(ok.has_value()) << ok.error().message;
            if (!ok) return run;
            for (size_t p = 0; p < programmes.size(); ++p) {
                auto out = (*chain)->read_prechain(static_cast<int>(p));
                EXPECT_TRUE(out.has_value());
                if (!out) return run;
                const Residual r = residual(out->signal, cpu[p].signal);
                EXPECT_LE(r.peak_dbfs, peak_bound) << "programme " << p << ", page " << page;
                EXPECT_LE(r.rms_dbfs, rms_bound) << "programme " << p << ", page " << page;
                run.worst_peak = std::max(run.worst_peak, r.peak_dbfs);
                run.worst_rms = std::max(run.worst_rms, r.rms_dbfs);
                // The window maximum of the envelope over the limiter's span.
                const int64_t len = programmes[p].frames();
                const int64_t span = master::design_limiter(master::LimiterSettings{}, kRate).window - 1;
                double worst = 0.0;
                for (int64_t u = 0; u < static_cast<int64_t>(out->window_max.size()); ++u) {
                    float want = 0.0f;
                    for (int64_t j = std::max<int64_t>(0, u - span); j <= std::min(u, len - 1); ++j) want = std::max(want, cpu[p].envelope[static_cast<size_t>(j)]);
                    worst = std::max(worst, std::abs(static_cast<double>(out->window_max[static_cast<size_t>(u)]) - want));
                }
                EXPECT_LE(worst, kWindowMaxTolerance) << "window maximum, programme " << p << ", page " << page;
                // The pre-limiter loudness, measured on the GPU on the way.
                analysis::LoudnessOptions o;
                o.sample_rate = kRate;
                auto meter = analysis::LoudnessMeter::create(o);
                meter->add(cpu[p].signal, len);
                const double want = meter->integrated_lufs().value_or(-INFINITY);
                const double got = (*chain)->pre_limiter()[p].loudness.integrated_lufs;
                if (std::isfinite(want)) EXPECT_NEAR(got, want, kLuTolerance) << "pre-limiter loudness, programme " << p;
                else EXPECT_EQ(got, want);
            }
        }
        std::printf("[ measured ] residual peak %.1f dBFS, RMS %.1f dBFS\n", run.worst_peak, run.worst_rms);
        return run;
    }

    static std::vector<AudioBuffer> programmes() {
        return {musical_programme(kRate, 1.3, 11, 0.7), musical_programme(kRate, 0.9, 12, 1.2)};
    }
};

MasterSpec with_limiter() {
    MasterSpec m;
    m.limiter = LimiterSpec{};
    return m;
}

EqSpec eq_of(EqMode mode) {
    EqSpec eq;
    eq.mode = mode;
    eq.bands = {band(EqBandType::Highpass, 30.0, 0.0, 0.7071, 24), band(EqBandType::Bell, 900.0, 3.5, 1.2),
                band(EqBandType::HighShelf, 8000.0, -2.5, 0.7071)};
    return eq;
}

TEST_F(MasterPrechainParity, LinearAndMinimumPhaseEqMatchCpu) {
    MasterSpec m = with_limiter();
    m.eq = eq_of(EqMode::Linear);
    check(m, programmes(), kLinearPeakDbfs, kLinearPeakDbfs - 15.0);
    m.eq = eq_of(EqMode::Minimum);
    check(m, programmes(), kLinearPeakDbfs, kLinearPeakDbfs - 15.0, {0, 4099});
}

// Unity compressors (ratio 1: no gain reduction, only makeup) and a width
// per band: the output depends on every band's kernel, linearly.
TEST_F(MasterPrechainParity, CrossoverBandsWithWidthsMatchCpu) {
    MasterSpec m = with_limiter();
    MultibandSpec mb;
    mb.crossovers_hz = {150.0, 1200.0, 6000.0};
    const double widths[4] = {0.0, 0.7, 1.4, 2.0};
    for (int b = 0; b < 4; ++b) {
        MultibandBand band;
        band.ratio = 1.0;
        band.makeup_db = -3.0 + 2.0 * b;
        band.width = widths[b];
        mb.bands.push_back(band);
    }
    m.multiband = mb;
    check(m, programmes(), kLinearPeakDbfs, kLinearPeakDbfs - 15.0);
}

TEST_F(MasterPrechainParity, MultibandCompressorsMatchCpu) {
    MasterSpec m = with_limiter();
    MultibandSpec mb;
    mb.crossovers_hz = {120.0, 2500.0};
    for (int b = 0; b < 3; ++b) {
        MultibandBand band;
        band.threshold_db = -30.0 + 5.0 * b;
        band.ratio = 2.0 + 2.0 * b;
        band.knee_db = b == 1 ? 0.0 : 6.0;
        band.attack_ms = b == 2 ? 0.0 : 5.0 + 10.0 * b;
        band.release_ms = 40.0 + 80.0 * b;
        band.makeup_db = 1.5 * b;
        band.width = b == 2 ? 1.3 : 1.0;
        mb.bands.push_back(band);
    }
    m.multiband = mb;
    check(m, programmes(), kCompressedPeakDbfs, kCompressedRmsDbfs);
}

TEST_F(MasterPrechainParity, StereoWidthMonoBelowAndBalanceMatchCpu) {
    MasterSpec m = with_limiter();
    m.width = 1.6;
    check(m, programmes(), kLinearPeakDbfs, kLinearPeakDbfs - 15.0, {0, 4099});
    m = with_limiter();
    m.balance = -0.35;
    check(m, programmes(), kLinearPeakDbfs, kLinearPeakDbfs - 15.0, {0});
    m = with_limiter();
    m.mono_below_hz = 150.0;
    m.width = 0.8;
    m.balance = 0.2;
    check(m, programmes(), kLinearPeakDbfs, kLinearPeakDbfs - 15.0);
}

TEST_F(MasterPrechainParity, WholePrechainMatchesCpu) {
    MasterSpec m = with_limiter();
    m.eq = eq_of(EqMode::Linear);
    MultibandSpec mb;
    mb.crossovers_hz = {200.0, 3000.0};
    for (int b = 0; b < 3; ++b) {
        MultibandBand band;
        band.threshold_db = -24.0 + 3.0 * b;
        band.ratio = 3.0;
        band.attack_ms = 10.0;
        band.release_ms = 120.0;
        band.width = 0.9 + 0.2 * b;
        mb.bands.push_back(band);
    }
    m.multiband = mb;
    m.width = 1.2;
    m.mono_below_hz = 100.0;
    m.balance = 0.1;
    check(m, programmes(), kCompressedPeakDbfs, kCompressedRmsDbfs);
}

}  // namespace
}  // namespace sf::test
