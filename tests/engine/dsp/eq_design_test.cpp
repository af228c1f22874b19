// EQ: the designed FIR, run through the FFT convolver in float, measured
// against an independent evaluation of the specification: the RBJ cookbook
// biquads' freqz, and the Butterworth analog prototype's poles evaluated
// through the bilinear map (not the closed-form tan formula the design uses).
#include <gtest/gtest.h>

#include <cmath>
#include <complex>
#include <numbers>
#include <vector>

#include "engine/dsp/eq_design.h"
#include "engine/dsp/fft_convolver.h"
#include "engine/dsp/fftw_util.h"

namespace sf {
namespace {

constexpr double kPi = std::numbers::pi;
constexpr int kRate = 48000;
using cd = std::complex<double>;

// Oracle: cookbook coefficients typed from the cookbook, freqz by polynomial evaluation.
double oracle_biquad(const EqBand& b, double f) {
    const double A = std::pow(10.0, b.gain_db / 40.0), w0 = 2 * kPi * b.freq_hz / kRate, c = std::cos(w0);
    const double al = std::sin(w0) / (2 * b.q), s = 2 * std::sqrt(A) * al;
    double B[3], D[3];
    switch (b.type) {
        case EqBandType::Bell: B[0] = 1 + al * A; B[1] = -2 * c; B[2] = 1 - al * A; D[0] = 1 + al / A; D[1] = -2 * c; D[2] = 1 - al / A; break;
        case EqBandType::LowShelf:
            B[0] = A * ((A + 1) - (A - 1) * c + s); B[1] = 2 * A * ((A - 1) - (A + 1) * c); B[2] = A * ((A + 1) - (A - 1) * c - s);
            D[0] = (A + 1) + (A - 1) * c + s; D[1] = -2 * ((A - 1) + (A + 1) * c); D[2] = (A + 1) + (A - 1) * c - s; break;
        case EqBandType::HighShelf:
            B[0] = A * ((A + 1) + (A - 1) * c + s); B[1] = -2 * A * ((A - 1) + (A + 1) * c); B[2] = A * ((A + 1) + (A - 1) * c - s);
            D[0] = (A + 1) - (A - 1) * c + s; D[1] = 2 * ((A - 1) - (A + 1) * c); D[2] = (A + 1) - (A - 1) * c - s; break;
        case EqBandType::Notch: B[0] = 1; B[1] = -2 * c; B[2] = 1; D[0] = 1 + al; D[1] = -2 * c; D[2] = 1 - al; break;
        default: B[0] = al; B[1] = 0; B[2] = -al; D[0] = 1 + al; D[1] = -2 * c; D[2] = 1 - al; break;  // bandpass 0 dB peak
    }
    const cd z = std::polar(1.0, -2 * kPi * f / kRate);
    return std::abs(B[0] + B[1] * z + B[2] * z * z) / std::abs(D[0] + D[1] * z + D[2] * z * z);
}

// Oracle: Butterworth analog prototype poles, prewarped, evaluated at the
// analog frequency the bilinear transform maps f to (what scipy.signal.butter does).
double oracle_butterworth(const EqBand& b, double f) {
    const int N = b.slope_db_oct / 6;
    const double wc = 2.0 * kRate * std::tan(kPi * b.freq_hz / kRate);
    const cd s = cd(0.0, 2.0 * kRate * std::tan(kPi * f / kRate));
    const cd sp = b.type == EqBandType::Lowpass ? s / wc : wc / s;
    cd h = 1.0;
    for (int k = 0; k < N; ++k) {
        const cd p = std::polar(1.0, kPi * (2.0 * k + N + 1) / (2.0 * N));
        h *= -p / (sp - p);
    }
    return std::abs(h);
}

double oracle(const EqSpec& spec, double f) {
    double m = 1.0;
    for (const auto& b : spec.bands)
        m *= (b.type == EqBandType::Highpass || b.type == EqBandType::Lowpass) ? oracle_butterworth(b, f) : oracle_biquad(b, f);
    return m;
}

// The stage's impulse response as the renderer computes it: float FFT convolution.
std::vector<float> measured_ir(const EqDesign& d) {
    auto conv = FftConvolver::create(diagonal_kernels(1, d.taps));
    EXPECT_TRUE(conv.has_value());
    const int64_t n = conv->latency_frames() + static_cast<int64_t>(d.taps.size());
    std::vector<float> x(static_cast<size_t>(n), 0.0f), y(static_cast<size_t>(n));
    x[0] = 1.0f;
    const float* in[] = {x.data()};
    float* out[] = {y.data()};
    conv->process(in, out, n);
    return {y.begin() + conv->latency_frames(), y.end()};
}

// Worst |measured − specified| in dB over [20 Hz, 20 kHz] where the spec is above −60 dB.
double worst_error_db(const EqSpec& spec, const std::vector<float>& h) {
    size_t K = 1;
    while (K < 4 * h.size()) K *= 2;
    K = std::max<size_t>(K, 65536);
    std::vector<double> padded(K, 0.0);
    for (size_t i = 0; i < h.size(); ++i) padded[i] = h[i];
    std::vector<fftw_complex> H(K / 2 + 1);
    fft_r2c_double(padded.data(), K, H.data());
    double worst = 0.0;
    for (size_t k = 1; k <= K / 2; ++k) {
        const double f = static_cast<double>(k) * kRate / static_cast<double>(K);
        if (f < 20.0 || f > 20000.0) continue;
        const double want = oracle(spec, f);
        if (20 * std::log10(want) < -60.0) continue;
        worst = std::max(worst, std::abs(20 * std::log10(std::hypot(H[k][0], H[k][1]) / want)));
    }
    return worst;
}

std::vector<EqBand> band_grid() {
    std::vector<EqBand> out;
    // Grid kept small so the suite stays fast under ASan; the narrow cases
    // (Q 10 at low frequencies) have their own test below.
    const double freqs[] = {40.0, 1000.0, 12000.0, 19000.0};
    for (EqBandType t : {EqBandType::Bell, EqBandType::LowShelf, EqBandType::HighShelf})
        for (double f : freqs)
            for (double g : {-15.0, 6.0})
                for (double q : {0.5, 3.0}) out.push_back(EqBand{t, f, g, q, 12});
    for (EqBandType t : {EqBandType::Notch, EqBandType::Bandpass})
        for (double f : freqs)
            for (double q : {0.5, 3.0}) out.push_back(EqBand{t, f, 0.0, q, 12});
    for (EqBandType t : {EqBandType::Highpass, EqBandType::Lowpass})
        for (double f : {20.0, 1000.0, 18000.0})
            for (int slope : {6, 24, 48}) out.push_back(EqBand{t, f, 0.0, 0.707, slope});
    return out;
}

TEST(EqDesign, EveryBandTypeWithinTenthOfDbInBothModes) {
    double worst_all = 0.0;
    for (EqMode mode : {EqMode::Linear, EqMode::Minimum}) {
        for (const EqBand& b : band_grid()) {
            EqSpec spec{mode, {b}};
            auto d = design_eq(spec, kRate);
            ASSERT_TRUE(d.has_value());
            const double err = worst_error_db(spec, measured_ir(*d));
            worst_all = std::max(worst_all, err);
            EXPECT_LE(err, 0.1) << to_string(b.type) << " f=" << b.freq_hz << " g=" << b.gain_db << " q=" << b.q
                                << " slope=" << b.slope_db_oct << (mode == EqMode::Linear ? " linear" : " minimum");
        }
    }
    RecordProperty("worst_error_db", std::to_string(worst_all));
    std::printf("EQ worst-case magnitude error over the grid: %.4f dB\n", worst_all);
}

TEST(EqDesign, NarrowLowFrequencyBandsWithinTenthOfDb) {
    for (const EqBand& b : {EqBand{EqBandType::Bell, 40.0, 6.0, 10.0, 12}, EqBand{EqBandType::Notch, 250.0, 0.0, 10.0, 12},
                            EqBand{EqBandType::LowShelf, 60.0, -12.0, 8.0, 12}})
        for (EqMode mode : {EqMode::Linear, EqMode::Minimum}) {
            EqSpec spec{mode, {b}};
            auto d = design_eq(spec, kRate);
            ASSERT_TRUE(d.has_value());
            EXPECT_LE(worst_error_db(spec, measured_ir(*d)), 0.1) << to_string(b.type) << " q=" << b.q;
        }
}

TEST(EqDesign, MultiBandProductWithinTenthOfDb) {
    EqSpec spec{EqMode::Linear,
                {{EqBandType::Highpass, 30.0, 0, 0.707, 24}, {EqBandType::Bell, 100.0, 3.0, 1.0, 12},
                 {EqBandType::Notch, 3150.0, 0, 4.0, 12}, {EqBandType::HighShelf, 9000.0, -4.5, 0.8, 12},
                 {EqBandType::Lowpass, 17000.0, 0, 0.707, 12}}};
    for (EqMode mode : {EqMode::Linear, EqMode::Minimum}) {
        spec.mode = mode;
        auto d = design_eq(spec, kRate);
        ASSERT_TRUE(d.has_value());
        EXPECT_LE(worst_error_db(spec, measured_ir(*d)), 0.1);
    }
}

TEST(EqDesign, LinearIsSymmetricAboutTheImpulseAndLatencyCompensated) {
    EqSpec spec{EqMode::Linear, {{EqBandType::Highpass, 60.0, 0, 0.707, 24}, {EqBandType::Bell, 800.0, 6.0, 2.0, 12}}};
    auto d = design_eq(spec, kRate);
    ASSERT_TRUE(d.has_value());
    ASSERT_EQ(d->latency_frames * 2 + 1, static_cast<int64_t>(d->taps.size()));
    const std::vector<float> h = measured_ir(*d);  // h[latency] is the response at the impulse
    const size_t c = static_cast<size_t>(d->latency_frames);
    float peak = 0.0f;
    for (float v : h) peak = std::max(peak, std::abs(v));
    EXPECT_EQ(std::max_element(h.begin(), h.end(), [](float a, float b) { return std::abs(a) < std::abs(b); }) - h.begin(),
              static_cast<ptrdiff_t>(c));
    double worst = 0.0;
    for (size_t j = 1; j <= c; ++j) worst = std::max(worst, static_cast<double>(std::abs(h[c + j] - h[c - j])));
    EXPECT_LE(worst / peak, 1e-5);  // float FFT round-off only (≈ −100 dB)
}

TEST(EqDesign, MinimumPhaseHasNoEnergyBeforeTheImpulse) {
    EqSpec spec{EqMode::Minimum, {{EqBandType::Highpass, 40.0, 0, 0.707, 48}, {EqBandType::Bell, 2000.0, 9.0, 4.0, 12}}};
    auto d = design_eq(spec, kRate);
    ASSERT_TRUE(d.has_value());
    EXPECT_EQ(d->latency_frames, 0);
    auto conv = FftConvolver::create(diagonal_kernels(1, d->taps));
    ASSERT_TRUE(conv.has_value());
    const int64_t pre = 3001, n = conv->latency_frames() + pre + static_cast<int64_t>(d->taps.size());
    std::vector<float> x(static_cast<size_t>(n), 0.0f), y(static_cast<size_t>(n));
    x[static_cast<size_t>(pre)] = 1.0f;
    const float* in[] = {x.data()};
    float* out[] = {y.data()};
    conv->process(in, out, n);
    double before = 0.0, total = 0.0;
    for (int64_t i = conv->latency_frames(); i < n; ++i) {
        const double e = static_cast<double>(y[static_cast<size_t>(i)]) * y[static_cast<size_t>(i)];
        total += e;
        if (i - conv->latency_frames() < pre) before += e;
    }
    EXPECT_LE(10 * std::log10(std::max(before, 1e-300) / total), -100.0);
}

TEST(EqDesign, EmptyBandListIsIdentityAndBadRateFails) {
    auto d = design_eq(EqSpec{EqMode::Linear, {}}, kRate);
    ASSERT_TRUE(d.has_value());
    EXPECT_TRUE(d->identity());
    EXPECT_EQ(d->latency_frames, 0);
    EXPECT_FALSE(design_eq(EqSpec{}, 0).has_value());
}

}  // namespace
}  // namespace sf
