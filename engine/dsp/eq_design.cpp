#include "engine/dsp/eq_design.h"

#include <algorithm>
#include <cassert>
#include <cmath>
#include <complex>
#include <functional>
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

namespace {

// cos/sin of ω and 2ω and tan(ω/2) at one frequency, shared by all bands.
struct Angle {
    double c1, s1, c2, s2, t;
    bool nyquist;  // ω = π: tan(ω/2) is infinite
};

Angle angle_at(double freq_hz, double sample_rate, bool with_tan = true) {
    const double f = std::min(freq_hz, 0.5 * sample_rate);
    const double w = 2.0 * kPi * f / sample_rate;
    Angle a{std::cos(w), std::sin(w), 0.0, 0.0, 0.0, f >= 0.5 * sample_rate};
    a.c2 = 2.0 * a.c1 * a.c1 - 1.0;
    a.s2 = 2.0 * a.s1 * a.c1;
    a.t = a.nyquist ? INFINITY : with_tan ? std::tan(0.5 * w) : NAN;
    return a;
}

// One band's response, coefficients computed once (the design evaluates it
// on grids of up to millions of frequencies). squared() = |H|² (squares
// multiply without a square root per band); response() = the band's own
// rational H(e^{jω}), which is minimum phase (poles inside the unit circle,
// zeros inside or on it) with h[0] > 0.
class BandResponse {
public:
    BandResponse(const EqBand& band, double sample_rate) : type_(band.type) {
        if (is_cut(type_)) {
            order_ = band.slope_db_oct / 6;
            t0_ = std::tan(kPi * band.freq_hz / sample_rate);
        } else {
            q_ = rbj_biquad(band, sample_rate);
        }
    }

    bool needs_tan() const { return is_cut(type_); }

    double squared(const Angle& a) const {
        if (is_cut(type_)) {
            // Butterworth by the prewarped bilinear transform: |H|² = 1 / (1 + (t/t0)^2N).
            const bool low = type_ == EqBandType::Lowpass;
            if (a.nyquist) return low ? 0.0 : 1.0;
            if (a.t <= 0.0) return low ? 1.0 : 0.0;
            const double r2 = low ? (a.t / t0_) * (a.t / t0_) : (t0_ / a.t) * (t0_ / a.t);
            double r2n = 1.0;
            for (int i = 0; i < order_; ++i) r2n *= r2;
            return 1.0 / (1.0 + r2n);
        }
        const double dr = 1.0 + q_.a1 * a.c1 + q_.a2 * a.c2, di = q_.a1 * a.s1 + q_.a2 * a.s2;
        double num;
        if (type_ == EqBandType::Notch) {
            const double n = 2.0 * q_.b0 * a.c1 + q_.b1;  // b0 = b2: |N(e^{jω})| = |2b0 cos ω + b1|, exact at the zero
            num = n * n;
        } else if (type_ == EqBandType::Bandpass) {
            const double n = 2.0 * q_.b0 * a.s1;  // b = b0·(1, 0, −1): |N| = 2|b0 sin ω|
            num = n * n;
        } else {
            const double nr = q_.b0 + q_.b1 * a.c1 + q_.b2 * a.c2, ni = q_.b1 * a.s1 + q_.b2 * a.s2;
            num = nr * nr + ni * ni;
        }
        return num / (dr * dr + di * di);
    }

    std::complex<double> response(const Angle& a) const {
        using cd = std::complex<double>;
        if (is_cut(type_)) {
            // The analog Butterworth prototype, poles p_k = e^{jπ(2k+N+1)/(2N)},
            // at the analog frequency the bilinear transform maps ω to:
            // s/ωc = j·t/t0 (lowpass); highpass by s/ωc → ωc/s.
            const bool low = type_ == EqBandType::Lowpass;
            if (a.nyquist) return low ? 0.0 : 1.0;
            if (a.t <= 0.0) return low ? 1.0 : 0.0;
            const cd s = low ? cd(0.0, a.t / t0_) : cd(0.0, -t0_ / a.t);
            cd h = 1.0;
            for (int k = 0; k < order_; ++k) {
                const cd p = std::polar(1.0, kPi * (2.0 * k + order_ + 1) / (2.0 * order_));
                h *= -p / (s - p);
            }
            return h;
        }
        const cd z1(a.c1, -a.s1), z2(a.c2, -a.s2);  // e^{−jω}, e^{−2jω}
        return (q_.b0 + q_.b1 * z1 + q_.b2 * z2) / (1.0 + q_.a1 * z1 + q_.a2 * z2);
    }

private:
    EqBandType type_;
    int order_ = 0;
    double t0_ = 0.0;
    Biquad q_;
};

std::vector<BandResponse> band_responses(const EqSpec& spec, double fs) {
    std::vector<BandResponse> out;
    for (const EqBand& b : spec.bands) out.emplace_back(b, fs);
    return out;
}

bool any_needs_tan(const std::vector<BandResponse>& bands) {
    return std::any_of(bands.begin(), bands.end(), [](const BandResponse& b) { return b.needs_tan(); });
}

// |H| of the product of `bands` on the grid f_k = fs·k/K, k = 0..K/2.
std::vector<double> grid_magnitude(const std::vector<BandResponse>& bands, size_t K, double fs) {
    std::vector<double> out(K / 2 + 1);
    const bool with_tan = any_needs_tan(bands);
    for (size_t k = 0; k <= K / 2; ++k) {
        const Angle a = angle_at(fs * static_cast<double>(k) / static_cast<double>(K), fs, with_tan);
        double m2 = 1.0;
        for (const BandResponse& b : bands) m2 *= b.squared(a);
        out[k] = std::sqrt(m2);
    }
    return out;
}

}  // namespace

double eq_band_magnitude(const EqBand& band, double freq_hz, double sample_rate) {
    return std::sqrt(BandResponse(band, sample_rate).squared(angle_at(freq_hz, sample_rate)));
}

double eq_magnitude(const EqSpec& spec, double freq_hz, double sample_rate) {
    double m = 1.0;
    for (const auto& b : spec.bands) m *= eq_band_magnitude(b, freq_hz, sample_rate);
    return m;
}

std::vector<double> eq_null_frequencies(const EqBand& band, double sample_rate) {
    const bool odd_cut = is_cut(band.type) && (band.slope_db_oct / 6) % 2 == 1;
    if (band.type == EqBandType::Notch) return {band.freq_hz};
    if (band.type == EqBandType::Bandpass) return {0.0, 0.5 * sample_rate};
    if (odd_cut) return {band.type == EqBandType::Highpass ? 0.0 : 0.5 * sample_rate};
    return {};
}

double eq_null_guard_hz(int64_t fir_length, double sample_rate) {
    return kNullGuardSigmas * kNullSmoothingBins * sample_rate / static_cast<double>(fir_length);
}

namespace {

// A null of the target and the band it belongs to.
struct Null {
    double freq_hz;
    size_t band;
};

std::vector<Null> nulls_of(const EqSpec& spec, double fs) {
    std::vector<Null> out;
    for (size_t i = 0; i < spec.bands.size(); ++i)
        for (double f : eq_null_frequencies(spec.bands[i], fs)) out.push_back({f, i});
    return out;
}

// f folded into [0, fs/2] (a response is even and fs-periodic in f).
double fold(double f, double fs) {
    f = std::abs(std::fmod(f, fs));
    return f > 0.5 * fs ? fs - f : f;
}

// The null rule's length class: the smallest L >= kMinFirLength whose guard
// bands lie inside their own bands' −3 dB regions, at most kMaxNullFirLength.
int64_t null_fir_length(const EqSpec& spec, const std::vector<Null>& nulls, double fs) {
    int64_t L = kMinFirLength;
    for (; L < kMaxNullFirLength; L *= 2) {
        const double g = eq_null_guard_hz(L, fs);
        bool inside = true;
        for (const Null& n : nulls) {
            const BandResponse band(spec.bands[n.band], fs);
            for (double edge : {n.freq_hz - g, n.freq_hz + g})
                inside = inside && band.squared(angle_at(fold(edge, fs), fs)) <= kNullGuardMaxBandGain * kNullGuardMaxBandGain;
        }
        if (inside) break;
    }
    return L;
}

// Multiplies the target on the grid ω_k = 2πk/K (k = 0..K/2) by, for each
// null ν and each image ν' ∈ {ν, −ν, 2π − ν} of it near [0, π],
// erf(|2 sin((ω − ν')/2)| / (√2·σ)).
void smooth_nulls(std::vector<double>& target, const std::vector<Null>& nulls, double fs, double sigma) {
    const size_t K = 2 * (target.size() - 1);
    const double reach = 10.0 * sigma;  // erf(u) is 1.0 in double for u > 5.93, i.e. |2 sin(Δ/2)| > 8.4σ
    const double step = 2.0 * kPi / static_cast<double>(K);
    for (const Null& n : nulls) {
        const double wz = 2.0 * kPi * n.freq_hz / fs;
        std::vector<double> images{wz};
        if (wz > 0.0 && wz < kPi) images.insert(images.end(), {-wz, 2.0 * kPi - wz});
        for (double wi : images) {
            const double lo = std::max(0.0, wi - reach), hi = std::min(kPi, wi + reach);
            if (lo > hi) continue;
            const size_t k1 = std::min(static_cast<size_t>(std::floor(hi / step)), K / 2);
            for (size_t k = static_cast<size_t>(std::ceil(lo / step)); k <= k1; ++k) {
                const double x = 2.0 * std::sin(0.5 * (static_cast<double>(k) * step - wi));
                target[k] *= std::erf(std::abs(x) / (std::numbers::sqrt2 * sigma));
            }
        }
    }
}

// The L+1 taps centred on tap L/2 of the zero-phase response sampled on the
// M = 2L grid (every 4th bin of the K = 8L fine grid), Tukey-tapered.
std::vector<double> linear_taps(int64_t L, const std::vector<double>& fine_target) {
    const size_t M = static_cast<size_t>(2 * L);
    std::vector<fftw_complex> spec(M / 2 + 1);
    for (size_t k = 0; k <= M / 2; ++k) {
        spec[k][0] = fine_target[4 * k];
        spec[k][1] = 0.0;
    }
    std::vector<double> h(M);
    ifft_c2r_double(spec.data(), M, h.data());  // even, centred on 0
    // h[d] and h[M − d] agree only to round-off: both halves take h[|d|], so
    // the taps are exactly symmetric (the response's imaginary part is 0).
    const size_t c = static_cast<size_t>(L / 2);
    std::vector<double> taps(static_cast<size_t>(L + 1));
    for (size_t d = 0; d <= c; ++d)
        taps[c + d] = taps[c - d] = h[d] * taper(static_cast<double>(d) / static_cast<double>(c));
    return taps;
}

// The first L samples of the impulse response of the product of the bands'
// own (minimum-phase) responses, from that product sampled on the M = 2L
// grid, the last quarter tapered.
std::vector<double> minimum_taps(int64_t L, const std::vector<BandResponse>& bands, double fs) {
    const size_t M = static_cast<size_t>(2 * L);
    const bool with_tan = any_needs_tan(bands);
    std::vector<fftw_complex> spec(M / 2 + 1);
    for (size_t k = 0; k <= M / 2; ++k) {
        const Angle a = angle_at(fs * static_cast<double>(k) / static_cast<double>(M), fs, with_tan);
        std::complex<double> h = 1.0;
        for (const BandResponse& b : bands) h *= b.response(a);
        spec[k][0] = h.real();
        spec[k][1] = (k == 0 || k == M / 2) ? 0.0 : h.imag();  // real at DC and Nyquist
    }
    std::vector<double> h(M);
    ifft_c2r_double(spec.data(), M, h.data());
    std::vector<double> taps(static_cast<size_t>(L));
    for (int64_t j = 0; j < L; ++j)
        taps[static_cast<size_t>(j)] = h[static_cast<size_t>(j)] * taper(static_cast<double>(j) / static_cast<double>(L));
    return taps;
}

// h = g ⋆ g for symmetric g (2c+1 taps): 4c+1 taps whose zero-phase
// response is G(ω)² >= 0 whatever g is.
std::vector<double> self_convolved(const std::vector<double>& g) {
    const size_t n = 2 * g.size() - 1;
    size_t N = 1;
    while (N < n) N *= 2;
    std::vector<double> padded(N, 0.0);
    std::copy(g.begin(), g.end(), padded.begin());
    std::vector<fftw_complex> G(N / 2 + 1);
    fft_r2c_double(padded.data(), N, G.data());
    for (auto& v : G) {
        const std::complex<double> z(v[0], v[1]);
        const std::complex<double> z2 = z * z;
        v[0] = z2.real();
        v[1] = z2.imag();
    }
    ifft_c2r_double(G.data(), N, padded.data());
    std::vector<double> h(n);
    const size_t c = n / 2;
    for (size_t j = 0; j <= c; ++j) h[c + j] = h[c - j] = 0.5 * (padded[c + j] + padded[c - j]);  // exactly symmetric
    return h;
}

Result<EqDesign> design_linear(const EqSpec& spec, double fs) {
    const std::vector<Null> nulls = nulls_of(spec, fs);
    const std::vector<BandResponse> bands = band_responses(spec, fs);
    const double f_lo = 20.0, f_hi = std::min(20000.0, 0.49 * fs);
    const double min_mag = std::pow(10.0, -60.0 / 20.0);
    const double tol = std::pow(10.0, kDesignToleranceDb / 20.0);
    const double sign_floor = std::pow(10.0, kSignFloorDb / 20.0);
    for (int64_t L = nulls.empty() ? kMinFirLength : null_fir_length(spec, nulls, fs);; L *= 2) {
        const size_t K = static_cast<size_t>(8 * L);
        const std::vector<double> target = grid_magnitude(bands, K, fs);
        std::vector<double> smooth = target;
        smooth_nulls(smooth, nulls, fs, 2.0 * kPi * kNullSmoothingBins / static_cast<double>(L));

        const double g = nulls.empty() ? 0.0 : eq_null_guard_hz(L, fs);
        std::vector<char> guarded(K / 2 + 1, 0);
        for (const Null& n : nulls)
            for (double centre : {n.freq_hz, -n.freq_hz, fs - n.freq_hz}) {
                const double lo = std::max(0.0, std::ceil((centre - g) * static_cast<double>(K) / fs));
                const double hi = std::min(static_cast<double>(K / 2), (centre + g) * static_cast<double>(K) / fs);
                for (double k = lo; k <= hi; k += 1.0)
                    if (std::abs(fs * k / static_cast<double>(K) - centre) < g) guarded[static_cast<size_t>(k)] = 1;
            }

        // The contract's checks of L+1 symmetric taps on the check grid.
        struct Check {
            double err_db = 0.0;       // (b), worst
            bool under_target = true;  // (c)
            double lowest = INFINITY;  // (a): min of the zero-phase response
        };
        auto check = [&](const std::vector<double>& taps) {
            const size_t c = static_cast<size_t>(L / 2);
            std::vector<double> centred(K, 0.0);  // centre tap at index 0: the DFT is the zero-phase response
            for (size_t j = 0; j <= c; ++j) {
                centred[j] = taps[c + j];
                if (j > 0) centred[K - j] = taps[c - j];
            }
            std::vector<fftw_complex> resp(K / 2 + 1);
            fft_r2c_double(centred.data(), K, resp.data());
            Check chk;
            for (size_t k = 0; k <= K / 2; ++k) {
                const double f = fs * static_cast<double>(k) / static_cast<double>(K);
                const double a = resp[k][0];  // symmetric taps: the imaginary part is round-off
                chk.lowest = std::min(chk.lowest, a);
                if (guarded[k]) {
                    chk.under_target = chk.under_target && a <= target[k] * tol + min_mag;
                } else if (f >= f_lo && f <= f_hi && target[k] > min_mag) {
                    chk.err_db = std::max(chk.err_db, std::abs(20.0 * std::log10(std::max(std::abs(a), 1e-300) / target[k])));
                }
            }
            return chk;
        };

        std::vector<double> taps = linear_taps(L, smooth);
        Check chk = check(taps);
        const bool ok = chk.err_db <= kDesignToleranceDb && chk.under_target && chk.lowest >= -sign_floor;
        if (!ok && L < kMaxFirLength) continue;
        if (chk.lowest < -sign_floor) {
            // Features too narrow even for kMaxFirLength rang through zero.
            // The sign is the contract that must hold: h = g ⋆ g, g designed
            // for √T̃ at half the length, has the response G² >= 0.
            std::vector<double> root(K / 4 + 1);
            for (size_t k = 0; k <= K / 4; ++k) root[k] = std::sqrt(smooth[2 * k]);
            taps = self_convolved(linear_taps(L / 2, root));
            chk = check(taps);
        }
        EqDesign d;
        d.mode = EqMode::Linear;
        d.latency_frames = L / 2;
        d.taps = std::move(taps);
        d.max_error_db = chk.err_db;
        d.null_guard_hz = g;
        return d;
    }
}

Result<EqDesign> design_minimum(const EqSpec& spec, double fs) {
    const std::vector<BandResponse> bands = band_responses(spec, fs);
    const double f_lo = 20.0, f_hi = std::min(20000.0, 0.49 * fs);
    const double min_mag = std::pow(10.0, -60.0 / 20.0);
    for (int64_t L = kMinFirLength;; L *= 2) {
        const size_t K = static_cast<size_t>(8 * L);
        const std::vector<double> target = grid_magnitude(bands, K, fs);
        std::vector<double> taps = minimum_taps(L, bands, fs);

        std::vector<double> padded(K, 0.0);
        std::copy(taps.begin(), taps.end(), padded.begin());
        std::vector<fftw_complex> resp(K / 2 + 1);
        fft_r2c_double(padded.data(), K, resp.data());
        double err = 0.0;
        for (size_t k = 0; k <= K / 2; ++k) {
            const double f = fs * static_cast<double>(k) / static_cast<double>(K);
            if (f < f_lo || f > f_hi || target[k] <= min_mag) continue;
            const double got = std::hypot(resp[k][0], resp[k][1]);
            err = std::max(err, std::abs(20.0 * std::log10(std::max(got, 1e-300) / target[k])));
        }
        if (err <= kDesignToleranceDb || L >= kMaxFirLength) {
            EqDesign d;
            d.mode = EqMode::Minimum;
            d.taps = std::move(taps);
            d.max_error_db = err;
            return d;
        }
    }
}

}  // namespace

Result<EqDesign> design_linear_magnitude(const std::function<double(double)>& magnitude, int sample_rate, double tolerance_db,
                                         int64_t max_length) {
    if (sample_rate <= 0) return fail(ErrorCode::InvalidArgument, "EQ design: sample rate must be > 0");
    const double fs = sample_rate;
    const double f_lo = 20.0, f_hi = std::min(20000.0, 0.49 * fs);
    max_length = std::clamp(max_length, kMinFirLength, kMaxFirLength);
    for (int64_t L = kMinFirLength;; L *= 2) {
        const size_t K = static_cast<size_t>(8 * L);
        std::vector<double> target(K / 2 + 1);
        for (size_t k = 0; k <= K / 2; ++k) {
            target[k] = magnitude(fs * static_cast<double>(k) / static_cast<double>(K));
            if (!(target[k] > 0.0) || !std::isfinite(target[k]))
                return fail(ErrorCode::InvalidArgument, "EQ design: the magnitude must be finite and > 0 at every frequency");
        }
        std::vector<double> taps = linear_taps(L, target);
        // The zero-phase response on the check grid, as design_linear checks it.
        const size_t c = static_cast<size_t>(L / 2);
        std::vector<double> centred(K, 0.0);
        for (size_t j = 0; j <= c; ++j) {
            centred[j] = taps[c + j];
            if (j > 0) centred[K - j] = taps[c - j];
        }
        std::vector<fftw_complex> resp(K / 2 + 1);
        fft_r2c_double(centred.data(), K, resp.data());
        double err_db = 0.0, lowest = INFINITY;
        for (size_t k = 0; k <= K / 2; ++k) {
            const double f = fs * static_cast<double>(k) / static_cast<double>(K);
            lowest = std::min(lowest, resp[k][0]);
            if (f >= f_lo && f <= f_hi)
                err_db = std::max(err_db, std::abs(20.0 * std::log10(std::max(std::abs(resp[k][0]), 1e-300) / target[k])));
        }
        if ((err_db > tolerance_db || lowest <= 0.0) && L < max_length) continue;
        EqDesign d;
        d.mode = EqMode::Linear;
        d.latency_frames = L / 2;
        d.taps = std::move(taps);
        d.max_error_db = err_db;
        return d;
    }
}

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
    if (spec.bands.empty()) return EqDesign{.mode = spec.mode};  // identity
    return spec.mode == EqMode::Linear ? design_linear(spec, fs) : design_minimum(spec, fs);
}

}  // namespace sf
