#include "analysis/spectrum.h"

#include <algorithm>
#include <cassert>
#include <cmath>
#include <complex>
#include <cstring>
#include <numbers>
#include <string>

#include "engine/dsp/fftw_util.h"

namespace sf::analysis {

namespace {

// One r2c transform of size n: a cached plan and its own aligned buffers.
struct R2C {
    FftPlan<float> plan;
    FftwArray<float> in;
    FftwArray<fftwf_complex> out;

    explicit R2C(int n)
        : plan(FftPlan<float>::get(FftKind::RealForward, static_cast<size_t>(n))), in(static_cast<size_t>(n)), out(static_cast<size_t>(n / 2 + 1)) {}
    void execute() { plan.r2c(in.data(), out.data()); }
};

bool valid_fft_size(int n) { return n >= 256 && n <= 262144 && (n & (n - 1)) == 0; }

}  // namespace

std::vector<double> make_window(WindowType type, int n) {
    std::vector<double> w(static_cast<size_t>(n), 1.0);
    const double tau = 2.0 * std::numbers::pi;
    for (int i = 0; i < n; ++i) {
        const double x = static_cast<double>(i) / n;   // periodic form: DFT-even
        switch (type) {
            case WindowType::Hann: w[static_cast<size_t>(i)] = 0.5 - 0.5 * std::cos(tau * x); break;
            case WindowType::BlackmanHarris:
                w[static_cast<size_t>(i)] =
                    0.35875 - 0.48829 * std::cos(tau * x) + 0.14128 * std::cos(2 * tau * x) - 0.01168 * std::cos(3 * tau * x);
                break;
            case WindowType::Rectangular: break;
        }
    }
    return w;
}

const char* window_name(WindowType type) {
    switch (type) {
        case WindowType::Hann: return "hann";
        case WindowType::BlackmanHarris: return "blackman-harris";
        case WindowType::Rectangular: return "rectangular";
    }
    return "?";
}

std::optional<double> Spectrum::db(size_t bin) const {
    if (bin >= power.size() || !(power[bin] > 0.0)) return std::nullopt;
    return 10.0 * std::log10(power[bin]);
}

size_t Spectrum::peak_bin(double lo_hz, double hi_hz) const {
    size_t best = 0;
    double best_p = -1.0;
    for (size_t k = 0; k < power.size(); ++k) {
        const double f = static_cast<double>(k) * bin_hz();
        if (f < lo_hz || f > hi_hz) continue;
        if (power[k] > best_p) {
            best_p = power[k];
            best = k;
        }
    }
    return best;
}

SmoothedSpectrum smooth_octave(const Spectrum& s, int fraction_n, double start_hz, int points_per_octave) {
    SmoothedSpectrum out;
    if (s.power.empty() || fraction_n <= 0 || points_per_octave <= 0) return out;
    const double nyquist = s.sample_rate / 2.0;
    const double half_band = std::pow(2.0, 1.0 / (2.0 * fraction_n));
    // Prefix sums make each band an O(1) mean.
    std::vector<double> prefix(s.power.size() + 1, 0.0);
    for (size_t k = 0; k < s.power.size(); ++k) prefix[k + 1] = prefix[k] + s.power[k];
    const double bin = s.bin_hz();
    for (int i = 0;; ++i) {
        const double f = start_hz * std::pow(2.0, static_cast<double>(i) / points_per_octave);
        if (f > nyquist) break;
        // Bins whose centre lies in [f/h, f·h]; at least the nearest bin.
        auto lo = static_cast<size_t>(std::ceil(f / half_band / bin));
        auto hi = static_cast<size_t>(std::floor(f * half_band / bin));
        hi = std::min(hi, s.power.size() - 1);
        if (lo > hi) lo = hi = std::min(static_cast<size_t>(std::llround(f / bin)), s.power.size() - 1);
        out.freq_hz.push_back(f);
        out.power.push_back((prefix[hi + 1] - prefix[lo]) / static_cast<double>(hi - lo + 1));
    }
    return out;
}

// ---- Welch ------------------------------------------------------------------

struct WelchAnalyzer::Impl {
    double rate = 0.0;
    int n = 0, hop = 0, inputs = 1;
    std::vector<float> window;
    double scale_dc = 0.0;                  // 1 / (Σw)²
    std::vector<std::vector<float>> buf;    // per input, n samples
    int fill = 0;
    int64_t segments = 0;
    bool any_since_segment = false;
    std::vector<R2C> fft;                   // one per input
    std::vector<std::vector<double>> auto_sum;
    std::vector<double> cross_sum;
    // Per bin max of one segment's raw |X|² (of the mean; and of the side
    // with two inputs), calibrated like the sums but not averaged.
    std::vector<double> mean_max, side_max;

    void segment(int valid) {
        (void)valid;
        for (int i = 0; i < inputs; ++i) {
            float* in = fft[static_cast<size_t>(i)].in.data();
            const float* b = buf[static_cast<size_t>(i)].data();
            for (int k = 0; k < n; ++k) in[k] = b[k] * window[static_cast<size_t>(k)];
            fft[static_cast<size_t>(i)].execute();
            const fftwf_complex* X = fft[static_cast<size_t>(i)].out.data();
            double* acc = auto_sum[static_cast<size_t>(i)].data();
            for (int k = 0; k <= n / 2; ++k) acc[k] += static_cast<double>(X[k][0]) * X[k][0] + static_cast<double>(X[k][1]) * X[k][1];
        }
        if (inputs == 2) {
            const fftwf_complex* A = fft[0].out.data();
            const fftwf_complex* B = fft[1].out.data();
            for (int k = 0; k <= n / 2; ++k) {
                const double ar = A[k][0], ai = A[k][1], br = B[k][0], bi = B[k][1];
                cross_sum[static_cast<size_t>(k)] += ar * br + ai * bi;
                // |(A ± B)/2|²: the mid and side of this segment.
                const double mid = ((ar + br) * (ar + br) + (ai + bi) * (ai + bi)) * 0.25;
                const double side = ((ar - br) * (ar - br) + (ai - bi) * (ai - bi)) * 0.25;
                mean_max[static_cast<size_t>(k)] = std::max(mean_max[static_cast<size_t>(k)], mid);
                side_max[static_cast<size_t>(k)] = std::max(side_max[static_cast<size_t>(k)], side);
            }
        } else {
            const fftwf_complex* X = fft[0].out.data();
            for (int k = 0; k <= n / 2; ++k) {
                const double p = static_cast<double>(X[k][0]) * X[k][0] + static_cast<double>(X[k][1]) * X[k][1];
                mean_max[static_cast<size_t>(k)] = std::max(mean_max[static_cast<size_t>(k)], p);
            }
        }
        ++segments;
    }

    // Raw |X|² sums (or maxima) to the calibration of spectrum.h, divided by
    // `count` (the segments for a mean, 1 for a max).
    std::vector<double> calibrated(const std::vector<double>& sum, double count) const {
        std::vector<double> p(sum.size(), 0.0);
        if (segments == 0) return p;
        for (size_t k = 0; k < sum.size(); ++k) {
            const bool edge = k == 0 || static_cast<int>(k) == n / 2;
            p[k] = sum[k] * scale_dc * (edge ? 1.0 : 4.0) / count;
        }
        return p;
    }
    std::vector<double> calibrated(const std::vector<double>& sum) const { return calibrated(sum, static_cast<double>(segments)); }

    Spectrum make(std::vector<double> power) const {
        Spectrum sp;
        sp.sample_rate = rate;
        sp.fft_size = n;
        sp.frames_averaged = segments;
        sp.power = std::move(power);
        return sp;
    }
};

WelchAnalyzer::WelchAnalyzer(std::unique_ptr<Impl> impl) : impl_(std::move(impl)) {}
WelchAnalyzer::WelchAnalyzer(WelchAnalyzer&&) noexcept = default;
WelchAnalyzer& WelchAnalyzer::operator=(WelchAnalyzer&&) noexcept = default;
WelchAnalyzer::~WelchAnalyzer() = default;

Result<WelchAnalyzer> WelchAnalyzer::create(double sample_rate, int inputs, const SpectrumOptions& o) {
    if (!valid_fft_size(o.fft_size))
        return fail(ErrorCode::InvalidArgument, "spectrum: fft_size " + std::to_string(o.fft_size) + " must be a power of two in 256..262144");
    if (!(o.overlap >= 0.0 && o.overlap <= 0.9)) return fail(ErrorCode::InvalidArgument, "spectrum: overlap must be in [0, 0.9]");
    if (inputs != 1 && inputs != 2) return fail(ErrorCode::InvalidArgument, "spectrum: 1 or 2 inputs");
    if (!(sample_rate > 0.0)) return fail(ErrorCode::InvalidArgument, "spectrum: sample rate must be > 0");
    auto impl = std::make_unique<Impl>();
    impl->rate = sample_rate;
    impl->n = o.fft_size;
    impl->hop = std::max(1, static_cast<int>(std::lround(o.fft_size * (1.0 - o.overlap))));
    impl->inputs = inputs;
    const auto w = make_window(o.window, o.fft_size);
    double sum = 0.0;
    impl->window.resize(w.size());
    for (size_t i = 0; i < w.size(); ++i) {
        impl->window[i] = static_cast<float>(w[i]);
        sum += w[i];
    }
    impl->scale_dc = 1.0 / (sum * sum);
    impl->buf.assign(static_cast<size_t>(inputs), std::vector<float>(static_cast<size_t>(o.fft_size), 0.0f));
    for (int i = 0; i < inputs; ++i) impl->fft.emplace_back(o.fft_size);
    impl->auto_sum.assign(static_cast<size_t>(inputs), std::vector<double>(static_cast<size_t>(o.fft_size / 2 + 1), 0.0));
    impl->cross_sum.assign(static_cast<size_t>(o.fft_size / 2 + 1), 0.0);
    impl->mean_max.assign(static_cast<size_t>(o.fft_size / 2 + 1), 0.0);
    impl->side_max.assign(inputs == 2 ? static_cast<size_t>(o.fft_size / 2 + 1) : 0, 0.0);
    return WelchAnalyzer(std::move(impl));
}

void WelchAnalyzer::add(const float* const* x, int64_t frames) {
    Impl& s = *impl_;
    int64_t pos = 0;
    while (pos < frames) {
        const int take = static_cast<int>(std::min<int64_t>(s.n - s.fill, frames - pos));
        for (int i = 0; i < s.inputs; ++i) std::memcpy(s.buf[static_cast<size_t>(i)].data() + s.fill, x[i] + pos, sizeof(float) * static_cast<size_t>(take));
        s.fill += take;
        pos += take;
        s.any_since_segment = true;
        if (s.fill == s.n) {
            s.segment(s.n);
            s.any_since_segment = false;
            // Keep the overlap for the next segment.
            const int keep = s.n - s.hop;
            for (int i = 0; i < s.inputs; ++i) {
                float* b = s.buf[static_cast<size_t>(i)].data();
                std::memmove(b, b + s.hop, sizeof(float) * static_cast<size_t>(keep));
            }
            s.fill = keep;
        }
    }
}

void WelchAnalyzer::finish() {
    Impl& s = *impl_;
    const int fresh = s.segments == 0 ? s.fill : s.fill - (s.n - s.hop);
    if (s.any_since_segment && (s.segments == 0 || fresh >= s.n / 2) && s.fill > 0) {
        for (int i = 0; i < s.inputs; ++i) std::fill(s.buf[static_cast<size_t>(i)].begin() + s.fill, s.buf[static_cast<size_t>(i)].end(), 0.0f);
        s.segment(s.fill);
    }
    s.any_since_segment = false;
    s.fill = 0;
}

Spectrum WelchAnalyzer::input_spectrum(int input) const {
    return impl_->make(impl_->calibrated(impl_->auto_sum[static_cast<size_t>(input)]));
}

Spectrum WelchAnalyzer::spectrum() const {
    if (impl_->inputs == 1) return input_spectrum(0);
    // |(X0 + X1)/2|² = (|X0|² + |X1|² + 2·Re(X0·X1*)) / 4
    Spectrum sp = input_spectrum(0);
    const auto p1 = impl_->calibrated(impl_->auto_sum[1]);
    const auto c = impl_->calibrated(impl_->cross_sum);
    for (size_t k = 0; k < sp.power.size(); ++k) sp.power[k] = std::max(0.0, (sp.power[k] + p1[k] + 2.0 * c[k]) / 4.0);
    return sp;
}

Spectrum WelchAnalyzer::side_spectrum() const {
    assert(impl_->inputs == 2 && "side spectrum needs two inputs");
    // |(X0 − X1)/2|² = (|X0|² + |X1|² − 2·Re(X0·X1*)) / 4
    Spectrum sp = input_spectrum(0);
    const auto p1 = impl_->calibrated(impl_->auto_sum[1]);
    const auto c = impl_->calibrated(impl_->cross_sum);
    for (size_t k = 0; k < sp.power.size(); ++k) sp.power[k] = std::max(0.0, (sp.power[k] + p1[k] - 2.0 * c[k]) / 4.0);
    return sp;
}

Spectrum WelchAnalyzer::max_hold_spectrum() const { return impl_->make(impl_->calibrated(impl_->mean_max, 1.0)); }

Spectrum WelchAnalyzer::side_max_hold_spectrum() const {
    assert(impl_->inputs == 2 && "side spectrum needs two inputs");
    return impl_->make(impl_->calibrated(impl_->side_max, 1.0));
}

std::vector<double> WelchAnalyzer::cross_real() const { return impl_->calibrated(impl_->cross_sum); }
int WelchAnalyzer::inputs() const { return impl_->inputs; }

// ---- Spectrogram ------------------------------------------------------------

struct SpectrogramAnalyzer::Impl {
    Spectrogram out;
    int n = 0;
    int64_t hop = 0;
    std::vector<float> window;
    double scale = 0.0;
    std::vector<float> ring;     // last n samples, linear with shift on each column
    int64_t seen = 0;            // samples seen
    int64_t next_column_at = 0;  // sample count at which the next column ends
    std::optional<R2C> fft;
    int64_t max_columns = 0;

    void column() {
        float* in = fft->in.data();
        for (int k = 0; k < n; ++k) in[k] = ring[static_cast<size_t>(k)] * window[static_cast<size_t>(k)];
        fft->execute();
        const fftwf_complex* X = fft->out.data();
        for (int k = 0; k <= n / 2; ++k) {
            const bool edge = k == 0 || k == n / 2;
            const double p = (static_cast<double>(X[k][0]) * X[k][0] + static_cast<double>(X[k][1]) * X[k][1]) * scale * (edge ? 1.0 : 4.0);
            out.db.push_back(p > 1e-20 ? static_cast<float>(10.0 * std::log10(p)) : -200.0f);
        }
    }
};

SpectrogramAnalyzer::SpectrogramAnalyzer(std::unique_ptr<Impl> impl) : impl_(std::move(impl)) {}
SpectrogramAnalyzer::SpectrogramAnalyzer(SpectrogramAnalyzer&&) noexcept = default;
SpectrogramAnalyzer& SpectrogramAnalyzer::operator=(SpectrogramAnalyzer&&) noexcept = default;
SpectrogramAnalyzer::~SpectrogramAnalyzer() = default;

Result<SpectrogramAnalyzer> SpectrogramAnalyzer::create(double sample_rate, int64_t total_frames, const SpectrogramOptions& o) {
    if (!valid_fft_size(o.fft_size))
        return fail(ErrorCode::InvalidArgument, "spectrogram: fft_size " + std::to_string(o.fft_size) + " must be a power of two in 256..262144");
    if (o.max_columns < 1) return fail(ErrorCode::InvalidArgument, "spectrogram: max_columns must be >= 1");
    auto impl = std::make_unique<Impl>();
    impl->n = o.fft_size;
    impl->hop = std::max<int64_t>(o.fft_size / 4, (std::max<int64_t>(total_frames, 1) + o.max_columns - 1) / o.max_columns);
    impl->max_columns = o.max_columns;
    const auto w = make_window(o.window, o.fft_size);
    double sum = 0.0;
    for (double v : w) {
        impl->window.push_back(static_cast<float>(v));
        sum += v;
    }
    impl->scale = 1.0 / (sum * sum);
    impl->ring.assign(static_cast<size_t>(o.fft_size), 0.0f);
    impl->fft.emplace(o.fft_size);
    impl->next_column_at = std::min<int64_t>(o.fft_size, std::max<int64_t>(total_frames, 1));
    impl->out.sample_rate = sample_rate;
    impl->out.fft_size = o.fft_size;
    impl->out.hop_s = static_cast<double>(impl->hop) / sample_rate;
    impl->out.bins = o.fft_size / 2 + 1;
    return SpectrogramAnalyzer(std::move(impl));
}

void SpectrogramAnalyzer::add(const float* x, int64_t frames) {
    Impl& s = *impl_;
    int64_t pos = 0;
    while (pos < frames) {
        const int64_t take = std::min(frames - pos, s.next_column_at - s.seen);
        // Shift the last-n-samples window left by `take` and append.
        if (take >= s.n) {
            std::memcpy(s.ring.data(), x + pos + take - s.n, sizeof(float) * static_cast<size_t>(s.n));
        } else if (take > 0) {
            std::memmove(s.ring.data(), s.ring.data() + take, sizeof(float) * static_cast<size_t>(s.n - take));
            std::memcpy(s.ring.data() + (s.n - take), x + pos, sizeof(float) * static_cast<size_t>(take));
        }
        pos += take;
        s.seen += take;
        if (s.seen == s.next_column_at) {
            if (s.out.columns() < s.max_columns) s.column();
            s.next_column_at += s.hop;
        }
    }
}

const Spectrogram& SpectrogramAnalyzer::result() const { return impl_->out; }

}  // namespace sf::analysis
