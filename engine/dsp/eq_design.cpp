#include "engine/dsp/eq_design.h"

#include <algorithm>
#include <array>
#include <cassert>
#include <cmath>
#include <complex>
#include <numbers>

#include "engine/dsp/fftw_util.h"

namespace sf {

namespace {

constexpr double kPi = std::numbers::pi;

bool is_cut(EqBandType t) { return t == EqBandType::Highpass || t == EqBandType::Lowpass; }

// Tukey taper: 1 for r <= 0.75, a raised cosine down to 0 at r = 1 (r = distance / half-length).
double taper(double r) {
    if (r <= 0.75) return 1.0;
    if (r >= 1.0) return 0.0;
    return 0.5 * (1.0 + std::cos(kPi * (r - 0.75) / 0.25));
}

}  // namespace

Biquad rbj_biquad(const EqBand& band, double sample_rate) {
    assert(!is_cut(band.type) && band.freq_hz > 0.0 && band.freq_hz < sample_rate / 2.0 && band.q > 0.0);
    // Robert Bristow-Johnson, "Cookbook formulae for audio EQ biquad filter coefficients".
    const double A = std::pow(10.0, band.gain_db / 40.0);
    const double w0 = 2.0 * kPi * band.freq_hz / sample_rate;
    const double cw = std::cos(w0);
    const double alpha = std::sin(w0) / (2.0 * band.q);
    const double sa = 2.0 * std::sqrt(A) * alpha;
    double b0 = 1, b1 = 0, b2 = 0, a0 = 1, a1 = 0, a2 = 0;
    switch (band.type) {
        case EqBandType::Bell:
            b0 = 1 + alpha * A; b1 = -2 * cw; b2 = 1 - alpha * A;
            a0 = 1 + alpha / A; a1 = -2 * cw; a2 = 1 - alpha / A;
            break;
        case EqBandType::LowShelf:
            b0 = A * ((A + 1) - (A - 1) * cw + sa);
            b1 = 2 * A * ((A - 1) - (A + 1) * cw);
            b2 = A * ((A + 1) - (A - 1) * cw - sa);
            a0 = (A + 1) + (A - 1) * cw + sa;
            a1 = -2 * ((A - 1) + (A + 1) * cw);
            a2 = (A + 1) + (A - 1) * cw - sa;
            break;
        case EqBandType::HighShelf:
            b0 = A * ((A + 1) + (A - 1) * cw + sa);
            b1 = -2 * A * ((A - 1) + (A + 1) * cw);
            b2 = A * ((A + 1) + (A - 1) * cw - sa);
            a0 = (A + 1) - (A - 1) * cw + sa;
            a1 = 2 * ((A - 1) - (A + 1) * cw);
            a2 = (A + 1) - (A - 1) * cw - sa;
            break;
        case EqBandType::Notch:
            b0 = 1; b1 = -2 * cw; b2 = 1;
            a0 = 1 + alpha; a1 = -2 * cw; a2 = 1 - alpha;
            break;
        case EqBandType::Bandpass:  // constant 0 dB peak gain
            b0 = alpha; b1 = 0; b2 = -alpha;
            a0 = 1 + alpha; a1 = -2 * cw; a2 = 1 - alpha;
            break;
        default: break;
    }
    return Biquad{b0 / a0, b1 / a0, b2 / a0, a1 / a0, a2 / a0};
}

double eq_band_magnitude(const EqBand& band, double freq_hz, double sample_rate) {
    if (is_cut(band.type)) {
        // Butterworth by the prewarped bilinear transform: |H|² = 1 / (1 + (t/t0)^2N).
        const int order = band.slope_db_oct / 6;
        const double t = std::tan(kPi * std::min(freq_hz, 0.5 * sample_rate) / sample_rate);
        const double t0 = std::tan(kPi * band.freq_hz / sample_rate);
        double ratio = band.type == EqBandType::Lowpass ? t / t0 : (t > 0.0 ? t0 / t : INFINITY);
        if (freq_hz >= 0.5 * sample_rate) ratio = band.type == EqBandType::Lowpass ? INFINITY : 0.0;
        if (std::isinf(ratio)) return 0.0;
        return 1.0 / std::sqrt(1.0 + std::pow(ratio, 2.0 * order));
    }
    return rbj_biquad(band, sample_rate).magnitude(freq_hz, sample_rate);
}

double eq_magnitude(const EqSpec& spec, double freq_hz, double sample_rate) {
    double m = 1.0;
    for (const auto& b : spec.bands) m *= eq_band_magnitude(b, freq_hz, sample_rate);
    return m;
}

namespace {

// One design at FIR length class L from the target sampled on the fine grid
// (K = 8L points, K/2+1 bins); the design grid (M = 2L) is every 4th bin.
std::vector<double> design_taps(EqMode mode, int64_t L, const std::vector<double>& fine_target) {
    const size_t M = static_cast<size_t>(2 * L);
    const double floor_mag = std::pow(10.0, (mode == EqMode::Linear ? kMagnitudeFloorDb : kMinimumPhaseFloorDb) / 20.0);
    std::vector<fftw_complex> spec(M / 2 + 1);
    std::vector<double> h(M);
    if (mode == EqMode::Linear) {
        for (size_t k = 0; k <= M / 2; ++k) {
            spec[k][0] = std::max(fine_target[4 * k], floor_mag);
            spec[k][1] = 0.0;
        }
        ifft_c2r_double(spec.data(), M, h.data());  // zero-phase: even, centred on 0
        std::vector<double> taps(static_cast<size_t>(L + 1));
        const int64_t c = L / 2;
        for (int64_t j = 0; j <= L; ++j) {
            const int64_t d = j - c;
            const size_t idx = static_cast<size_t>((d + static_cast<int64_t>(M)) % static_cast<int64_t>(M));
            taps[static_cast<size_t>(j)] = h[idx] * taper(std::abs(static_cast<double>(d)) / static_cast<double>(c));
        }
        return taps;
    }
    // Minimum phase, cepstral method (Oppenheim & Schafer, "Discrete-Time
    // Signal Processing", 3rd ed., §5.6 / problem 13.x "homomorphic"):
    // ĉ = IFFT(ln|H|); fold onto n >= 0; H_min = exp(FFT(ĉ_folded)).
    for (size_t k = 0; k <= M / 2; ++k) {
        spec[k][0] = std::log(std::max(fine_target[4 * k], floor_mag));
        spec[k][1] = 0.0;
    }
    std::vector<double> cep(M);
    ifft_c2r_double(spec.data(), M, cep.data());
    std::vector<double> folded(M, 0.0);
    folded[0] = cep[0];
    for (size_t n = 1; n < M / 2; ++n) folded[n] = 2.0 * cep[n];
    folded[M / 2] = cep[M / 2];
    fft_r2c_double(folded.data(), M, spec.data());
    for (size_t k = 0; k <= M / 2; ++k) {
        const std::complex<double> e = std::exp(std::complex<double>(spec[k][0], spec[k][1]));
        spec[k][0] = e.real();
        spec[k][1] = e.imag();
    }
    ifft_c2r_double(spec.data(), M, h.data());
    std::vector<double> taps(static_cast<size_t>(L));
    for (int64_t j = 0; j < L; ++j)
        taps[static_cast<size_t>(j)] = h[static_cast<size_t>(j)] * taper(static_cast<double>(j) / static_cast<double>(L));
    return taps;
}

}  // namespace

Result<EqDesign> design_eq(const EqSpec& spec, int sample_rate) {
    if (sample_rate <= 0) return fail(ErrorCode::InvalidArgument, "EQ design: sample rate must be > 0");
    const double fs = sample_rate;
    for (size_t i = 0; i < spec.bands.size(); ++i) {
        const EqBand& b = spec.bands[i];
        const bool bad = !(b.freq_hz > 0.0 && b.freq_hz < fs / 2.0) ||
                         (is_cut(b.type) ? (b.slope_db_oct < 6 || b.slope_db_oct > 48 || b.slope_db_oct % 6)
                                         : !(b.q > 0.0));
        if (bad) return fail(ErrorCode::InvalidArgument, "EQ design: bands[" + std::to_string(i) + "] out of range");
    }
    EqDesign d;
    d.mode = spec.mode;
    if (spec.bands.empty()) return d;  // identity

    // A notch's numerator 1 − 2cos(ω0)·z⁻¹ + z⁻² has its zeros on the unit
    // circle: |H| has a V-shaped null that no windowed frequency-sampled FIR
    // resolves (and whose log has an unbounded cepstrum). So it is factored
    // out: the FIR is designed for the smooth rest of the magnitude, then
    // convolved with the exact 3-tap numerators (symmetric, so linear phase
    // stays linear, and causal, so minimum phase stays causal).
    EqSpec smooth = spec;
    std::vector<std::array<double, 3>> numerators;
    std::vector<Biquad> notch_denominators;
    smooth.bands.clear();
    for (const EqBand& b : spec.bands) {
        if (b.type != EqBandType::Notch) {
            smooth.bands.push_back(b);
            continue;
        }
        const Biquad q = rbj_biquad(b, fs);  // normalised: b = (1, −2cos ω0, 1)/a0
        numerators.push_back({q.b0, q.b1, q.b2});
        notch_denominators.push_back(Biquad{1.0, 0.0, 0.0, q.a1, q.a2});
    }
    auto smooth_magnitude = [&](double f) {
        double m = eq_magnitude(smooth, f, fs);
        for (const Biquad& den : notch_denominators) m *= den.magnitude(f, fs);
        return m;
    };

    const double f_lo = 20.0, f_hi = std::min(20000.0, 0.49 * fs);
    const double min_mag = std::pow(10.0, -60.0 / 20.0);
    for (int64_t L = kMinFirLength;; L *= 2) {
        const size_t K = static_cast<size_t>(8 * L);
        std::vector<double> target(K / 2 + 1), smooth_target(K / 2 + 1);
        for (size_t k = 0; k <= K / 2; ++k) {
            const double f = fs * static_cast<double>(k) / K;
            smooth_target[k] = smooth_magnitude(f);
            target[k] = eq_magnitude(spec, f, fs);
        }
        std::vector<double> taps = design_taps(spec.mode, L, smooth_target);
        for (const auto& num : numerators) {
            std::vector<double> out(taps.size() + 2, 0.0);
            for (size_t i = 0; i < taps.size(); ++i)
                for (size_t j = 0; j < 3; ++j) out[i + j] += taps[i] * num[j];
            taps = std::move(out);
        }

        // Verify the taps' own response on the fine grid.
        std::vector<double> padded(K, 0.0);
        std::copy(taps.begin(), taps.end(), padded.begin());
        std::vector<fftw_complex> resp(K / 2 + 1);
        fft_r2c_double(padded.data(), K, resp.data());
        double err = 0.0;
        for (size_t k = 0; k <= K / 2; ++k) {
            const double f = fs * static_cast<double>(k) / K;
            if (f < f_lo || f > f_hi || target[k] <= min_mag) continue;
            const double got = std::hypot(resp[k][0], resp[k][1]);
            err = std::max(err, std::abs(20.0 * std::log10(std::max(got, 1e-300) / target[k])));
        }
        if (err <= kDesignToleranceDb || L >= kMaxFirLength) {
            d.latency_frames = spec.mode == EqMode::Linear ? static_cast<int64_t>(taps.size() - 1) / 2 : 0;
            d.taps = std::move(taps);
            d.max_error_db = err;
            return d;
        }
    }
}

}  // namespace sf
