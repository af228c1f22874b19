// Parity of the GPU meters (gpu/master/master_meter.h) with the CPU meters
// of analysis/ (LoudnessMeter: BS.1770-4 / Tech 3341 / 3342; TruePeakMeter:
// the one 8x interpolator), the definition the GPU twin must equal: within
// 0.01 LU for integrated, momentary-max, short-term-max and LRA, 0.02 dB for
// the true peak, and the sample peak exactly. Signals: the EBU Tech 3341 /
// 3342 test signals of tests/analysis/ebu_signals.h (shortened to seconds:
// lavapipe is slow, and the comparison is GPU against CPU on the same
// signal), and random programmes of different lengths in one batch, whole
// and in odd chunks (shorter than the 3 s history, and than the true peak's
// 47-frame support).
#include <gtest/gtest.h>

#include <cmath>
#include <limits>
#include <numbers>
#include <string>
#include <vector>

#include "analysis/loudness.h"
#include "analysis/true_peak.h"
#include "engine/core/random.h"
#include "gpu/master/master_meter.h"
#include "tests/analysis/ebu_signals.h"
#include "tests/gpu/gpu_fixture.h"

namespace sf::test {
namespace {

constexpr double kLuTolerance = 0.01;   // issue 15: equal to analysis/ within 0.01 LU
constexpr double kTpToleranceDb = 0.02; // ... and 0.02 dB
// What this implementation reaches (the energy is stored as float: ~1e-7 LU;
// the true peak runs the CPU's float arithmetic): far tighter than the
// promise, and tight enough to catch a K-weighting state carried across
// segments 0.1 % wrong (1e-4 LU on these signals), which the 0.01 LU
// promise alone would let through.
constexpr double kMeasuredLuBound = 1e-5;
constexpr double kMeasuredTpBoundDb = 1e-4;

using ebu::kSilence;
using ebu::stepped_sine;

// The CPU meters' reading of a whole buffer.
gpu::MasterMeterReading cpu_reading(const AudioBuffer& b, int rate) {
    analysis::LoudnessOptions o;
    o.sample_rate = rate;
    o.channels = b.channels();
    auto meter = analysis::LoudnessMeter::create(o);
    EXPECT_TRUE(meter.has_value());
    meter->add(b, b.frames());
    auto tp = analysis::TruePeakMeter::create(b.channels());
    EXPECT_TRUE(tp.has_value());
    tp->add(b, b.frames());
    const double ninf = -std::numeric_limits<double>::infinity();
    gpu::MasterMeterReading r;
    r.loudness.integrated_lufs = meter->integrated_lufs().value_or(ninf);
    r.loudness.loudness_range_lu = meter->loudness_range_lu().value_or(0.0);
    r.loudness.max_momentary_lufs = meter->momentary_max_lufs().value_or(ninf);
    r.loudness.max_short_term_lufs = meter->short_term_max_lufs().value_or(ninf);
    r.loudness.true_peak_dbtp = tp->true_peak_dbtp().value_or(ninf);
    r.true_peak = tp->true_peak();
    r.sample_peak = tp->sample_peak();
    return r;
}

// Equal within `tol`, or both -inf (undefined in both meters).
void expect_close(double gpu, double cpu, double tol, const std::string& what) {
    if (std::isinf(cpu) || std::isinf(gpu)) {
        EXPECT_EQ(gpu, cpu) << what;
        return;
    }
    EXPECT_NEAR(gpu, cpu, tol) << what;
}

struct Worst {
    double lu = 0.0, tp_db = 0.0;
};

void expect_equal(const gpu::MasterMeterReading& g, const gpu::MasterMeterReading& c, const std::string& name, Worst& worst) {
    expect_close(g.loudness.integrated_lufs, c.loudness.integrated_lufs, kLuTolerance, name + " integrated");
    expect_close(g.loudness.max_momentary_lufs, c.loudness.max_momentary_lufs, kLuTolerance, name + " momentary max");
    expect_close(g.loudness.max_short_term_lufs, c.loudness.max_short_term_lufs, kLuTolerance, name + " short-term max");
    expect_close(g.loudness.loudness_range_lu, c.loudness.loudness_range_lu, kLuTolerance, name + " LRA");
    expect_close(g.loudness.true_peak_dbtp, c.loudness.true_peak_dbtp, kTpToleranceDb, name + " true peak");
    EXPECT_EQ(g.sample_peak, c.sample_peak) << name << " sample peak";
    auto diff = [](double a, double b) { return std::isfinite(a) && std::isfinite(b) ? std::abs(a - b) : 0.0; };
    worst.lu = std::max({worst.lu, diff(g.loudness.integrated_lufs, c.loudness.integrated_lufs),
                         diff(g.loudness.max_momentary_lufs, c.loudness.max_momentary_lufs),
                         diff(g.loudness.max_short_term_lufs, c.loudness.max_short_term_lufs),
                         diff(g.loudness.loudness_range_lu, c.loudness.loudness_range_lu)});
    worst.tp_db = std::max(worst.tp_db, diff(g.loudness.true_peak_dbtp, c.loudness.true_peak_dbtp));
}

class MasterMeterParity : public GpuTest {
protected:
    // Measures `programmes` in one GPU batch per chunk size and compares each
    // with the CPU meters.
    void check(const std::vector<AudioBuffer>& programmes, const std::vector<std::string>& names, int rate,
               const std::vector<int64_t>& chunks) {
        std::vector<gpu::MasterMeterReading> cpu;
        for (const AudioBuffer& b : programmes) cpu.push_back(cpu_reading(b, rate));
        for (int64_t chunk : chunks) {
            auto gpu = gpu::measure_programmes(*ctx_, programmes, rate, chunk);
            ASSERT_TRUE(gpu.has_value()) << gpu.error().message;
            ASSERT_EQ(gpu->size(), programmes.size());
            Worst worst;
            for (size_t p = 0; p < programmes.size(); ++p)
                expect_equal((*gpu)[p], cpu[p], names[p] + " (chunk " + std::to_string(chunk) + ")", worst);
            std::printf("[ measured ] %d programmes, chunk %lld: worst |GPU - CPU| %.2e LU, true peak %.2e dB\n",
                        static_cast<int>(programmes.size()), static_cast<long long>(chunk), worst.lu, worst.tp_db);
            EXPECT_LT(worst.lu, kMeasuredLuBound) << "chunk " << chunk;
            EXPECT_LT(worst.tp_db, kMeasuredTpBoundDb) << "chunk " << chunk;
        }
    }
};

// Tech 3341 tests 1, 3, 4, 5 (gates), 13 (momentary max of a 0.4 s burst),
// Tech 3342 tests 1 and 2 (LRA) and Tech 3341 tests 15-19 (true peak),
// shortened, in one stereo batch of different lengths at 48 kHz.
TEST_F(MasterMeterParity, EbuSignalsInOneBatchMatchTheCpuMeters) {
    std::vector<AudioBuffer> p;
    std::vector<std::string> names;
    auto add = [&](std::string name, AudioBuffer b) {
        names.push_back(std::move(name));
        p.push_back(std::move(b));
    };
    add("3341-1 -23 dBFS", stepped_sine(48000, 2, {{3.0, -23.0}}));
    add("3341-3 relative gate", stepped_sine(48000, 2, {{1.5, -36.0}, {3.0, -23.0}, {1.5, -36.0}}));
    add("3341-4 both gates", stepped_sine(48000, 2, {{1.0, -72.0}, {1.0, -36.0}, {3.0, -23.0}, {1.0, -36.0}, {1.0, -72.0}}));
    add("3341-5 louder part", stepped_sine(48000, 2, {{2.0, -26.0}, {2.1, -20.0}, {2.0, -26.0}}));
    add("3341-13 burst", stepped_sine(48000, 2, {{1.13, kSilence}, {0.4, -23.0}, {0.5, kSilence}}));
    add("3342-1 LRA", stepped_sine(48000, 2, {{4.0, -20.0}, {4.0, -30.0}}));
    add("3342-2 LRA", stepped_sine(48000, 2, {{4.0, -20.0}, {4.0, -15.0}}));
    const double half = std::pow(10.0, -6.0 / 20.0);
    add("3341-15 fs/4 0", ebu::phased_sine(48000, 2, 0.5, 4.0, 0.0, half));
    add("3341-16 fs/4 45", ebu::phased_sine(48000, 2, 0.5, 4.0, 45.0, half));
    add("3341-17 fs/6 60", ebu::phased_sine(48000, 2, 0.5, 6.0, 60.0, half));
    add("3341-18 fs/8 67.5", ebu::phased_sine(48000, 2, 0.5, 8.0, 67.5, half));
    add("3341-19 over full scale", ebu::phased_sine(48000, 2, 0.5, 4.0, 45.0, std::sqrt(2.0)));
    check(p, names, 48000, {1 << 20, 40009});
}

// Noise in bursts with silences, different lengths (one shorter than a
// gating block, one silent), at 44.1 kHz; chunk sizes down to 1000 frames.
// The last programme is mostly DC and 20 Hz, which the K-weighting's
// high-pass removes with a long memory: a K-weighting state carried wrongly
// across segments or chunks shows there first (a scan that started every
// segment from zero read it 7 LU too loud, while the noise programmes moved
// by 0.001 LU).
TEST_F(MasterMeterParity, RandomProgrammesMatchTheCpuMetersWholeAndInOddChunks) {
    Random rng(1515);
    std::vector<AudioBuffer> p;
    std::vector<std::string> names;
    const int rate = 44100;
    for (int64_t len : {int64_t{5 * 44100 + 123}, int64_t{3 * 44100 + 7}, int64_t{13001}, int64_t{2 * 44100}, int64_t{3 * 44100 + 1}}) {
        AudioBuffer b(2, len);
        if (p.size() == 4) {
            for (int64_t i = 0; i < len; ++i)
                for (int c = 0; c < 2; ++c)
                    b.channel(c)[i] = static_cast<float>(0.5 + 0.4 * std::sin(2.0 * std::numbers::pi * 20.0 * static_cast<double>(i) / rate) +
                                                         0.001 * rng.bipolar());
        } else if (p.size() != 3) {
            double level = 0.3;
            for (int64_t i = 0; i < len; ++i) {
                if (i % 7919 == 0) level = rng.uniform() < 0.25 ? 0.0 : std::pow(10.0, -40.0 * rng.uniform() / 20.0);
                b.channel(0)[i] = static_cast<float>(level * rng.bipolar());
                b.channel(1)[i] = static_cast<float>(level * (0.5 * rng.bipolar() + 0.5 * b.channel(0)[i]));
            }
        }
        names.push_back("programme " + std::to_string(p.size()) + (p.size() == 3 ? " (silent)" : p.size() == 4 ? " (DC and 20 Hz)" : ""));
        p.push_back(std::move(b));
    }
    check(p, names, rate, {1 << 20, 30011, 1000});
}

// BS.1770's channel weights: 5 channels (Tech 3341 test 6) and 5.1 (LFE
// excluded), then mono at 32 kHz.
TEST_F(MasterMeterParity, ChannelWeightsAndMonoMatchTheCpuMeters) {
    check({stepped_sine(48000, 5, {{3.5, 0.0}}, 1000.0, {-28.0, -28.0, -24.0, -30.0, -30.0})}, {"3341-6 five channels"}, 48000, {50000});
    check({stepped_sine(48000, 6, {{3.5, 0.0}}, 1000.0, {-28.0, -28.0, -24.0, -6.0, -30.0, -30.0})}, {"5.1"}, 48000, {1 << 20});
    Random rng(77);
    AudioBuffer mono(1, 4 * 32000 + 5);
    for (int64_t i = 0; i < mono.frames(); ++i) mono.channel(0)[i] = static_cast<float>(0.5 * rng.bipolar() * std::sin(i * 1e-4));
    check({mono}, {"mono 32 kHz"}, 32000, {1 << 20, 9999});
}

}  // namespace
}  // namespace sf::test
