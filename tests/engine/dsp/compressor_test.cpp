// Compressor: static curve against the Giannoulis et al. (2012) formula,
// attack/release times against their documented definition (time constants
// of the gain reduction in dB), block splitting, stereo linking.
#include <gtest/gtest.h>

#include <cmath>
#include <numbers>
#include <vector>

#include "engine/core/random.h"
#include "engine/dsp/compressor.h"

namespace sf {
namespace {

constexpr int kRate = 48000;

// The static curve, typed from the paper (eq. 4), plus makeup.
double expected_gain_db(double x, double T, double R, double W, double makeup) {
    double y;
    if (2 * (x - T) < -W) y = x;
    else if (W > 0 && 2 * std::abs(x - T) <= W) y = x + (1 / R - 1) * (x - T + W / 2) * (x - T + W / 2) / (2 * W);
    else y = T + (x - T) / R;
    return y - x + makeup;
}

TEST(Compressor, StaticCurveMatchesFormulaPeakAndRms) {
    for (Detector det : {Detector::Peak, Detector::Rms})
        for (double knee : {0.0, 6.0, 12.0})
            for (double level : {-40.0, -27.0, -23.5, -20.0, -17.0, -12.0, -3.0, 0.0}) {
                CompressorSpec spec{-20.0, 4.0, knee, 0.0, 5.0, 2.5, det, {}, {}};
                Compressor comp(spec, kRate);
                const int64_t n = kRate / 2;
                std::vector<float> x(static_cast<size_t>(n));
                // Peak: DC at the level. RMS: a 1 kHz sine whose RMS is the level.
                for (int64_t i = 0; i < n; ++i)
                    x[static_cast<size_t>(i)] = det == Detector::Peak
                        ? static_cast<float>(std::pow(10.0, level / 20.0))
                        : static_cast<float>(std::sqrt(2.0) * std::pow(10.0, level / 20.0) *
                                             std::sin(2 * std::numbers::pi * 1000.0 * (i + 0.25) / kRate));
                std::vector<float> y = x;
                float* ch[] = {y.data()};
                comp.process(ch, 1, n);
                const size_t at = static_cast<size_t>(n - 12);  // a sine crest (i + 0.25 ≡ 0.25 period)
                const double got = 20 * std::log10(std::abs(y[at] / x[at]));
                EXPECT_NEAR(got, expected_gain_db(level, -20.0, 4.0, knee, 2.5), 0.1)
                    << (det == Detector::Peak ? "peak" : "rms") << " knee " << knee << " level " << level;
            }
}

// Time for the gain reduction (dB) to cover 1 − 1/e of a step.
double measured_time_constant_ms(const std::vector<float>& x, const std::vector<float>& y, size_t from, double r0, double r1) {
    const double target = r0 + (r1 - r0) * (1.0 - std::exp(-1.0));
    for (size_t i = from; i < x.size(); ++i) {
        const double r = -20 * std::log10(std::abs(y[i] / x[i]));
        if ((r1 > r0 && r >= target) || (r1 < r0 && r <= target)) return 1000.0 * static_cast<double>(i - from + 1) / kRate;
    }
    return -1.0;
}

TEST(Compressor, AttackAndReleaseAreTheDocumentedTimeConstants) {
    for (auto [attack, release] : {std::pair{10.0, 120.0}, std::pair{2.0, 40.0}, std::pair{30.0, 500.0}}) {
        CompressorSpec spec{-20.0, 4.0, 0.0, attack, release, 0.0, Detector::Peak, {}, {}};
        Compressor comp(spec, kRate);
        const size_t seg = static_cast<size_t>(kRate * 3);
        std::vector<float> x(3 * seg);
        for (size_t i = 0; i < x.size(); ++i) x[i] = (i >= seg && i < 2 * seg) ? 1.0f : 0.01f;  // −40 → 0 → −40 dBFS
        std::vector<float> y = x;
        float* ch[] = {y.data()};
        comp.process(ch, 1, static_cast<int64_t>(y.size()));
        const double full = 15.0;  // 0 dB in, threshold −20, ratio 4 -> 15 dB reduction
        EXPECT_NEAR(measured_time_constant_ms(x, y, seg, 0.0, full), attack, 0.05 * attack);
        EXPECT_NEAR(measured_time_constant_ms(x, y, 2 * seg, full, 0.0), release, 0.05 * release);
    }
}

TEST(Compressor, SplitBlocksEqualWholeBufferAndChannelsAreLinked) {
    CompressorSpec spec{-24.0, 3.0, 6.0, 7.0, 90.0, 3.0, Detector::Rms, {}, {}};
    const int64_t n = 40001;
    Random r(9);
    std::vector<float> l(static_cast<size_t>(n)), rr(static_cast<size_t>(n));
    for (int64_t i = 0; i < n; ++i) {
        l[static_cast<size_t>(i)] = static_cast<float>(r.bipolar() * (i % 20000 < 9000 ? 0.9 : 0.05));
        rr[static_cast<size_t>(i)] = 0.1f * l[static_cast<size_t>(i)] + 0.01f;
    }
    std::vector<float> l1 = l, r1 = rr, l2 = l, r2 = rr;
    Compressor whole(spec, kRate), split(spec, kRate);
    float* c1[] = {l1.data(), r1.data()};
    whole.process(c1, 2, n);
    int64_t pos = 0;
    for (int64_t b : {1, 2, 4093, 17, 9999, 1}) {
        float* c2[] = {l2.data() + pos, r2.data() + pos};
        split.process(c2, 2, std::min(b, n - pos));
        pos += std::min(b, n - pos);
    }
    float* c2[] = {l2.data() + pos, r2.data() + pos};
    split.process(c2, 2, n - pos);
    EXPECT_EQ(l1, l2);
    EXPECT_EQ(r1, r2);
    for (int64_t i = 0; i < n; i += 97) {  // one gain for both channels
        const size_t k = static_cast<size_t>(i);
        if (std::abs(l[k]) > 1e-3f) {
            EXPECT_NEAR(l1[k] / l[k], r1[k] / rr[k], 1e-5 * std::abs(r1[k] / rr[k]));
        }
    }
}

}  // namespace
}  // namespace sf
