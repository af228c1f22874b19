#include "engine/master/crossover.h"

#include <algorithm>
#include <bit>
#include <cassert>
#include <cmath>
#include <complex>
#include <cstring>
#include <numbers>

#include <fftw3.h>
#include <tbb/parallel_for.h>

namespace sf::master {

double lr4_lowpass_magnitude(double freq_hz, double crossover_hz) {
    const double r = freq_hz / crossover_hz;
    const double r2 = r * r;
    return 1.0 / (1.0 + r2 * r2);
}

double crossover_band_magnitude(std::span<const double> crossovers_hz, size_t band, double freq_hz) {
    const size_t n = crossovers_hz.size();
    assert(band <= n);
    const double upper = band < n ? lr4_lowpass_magnitude(freq_hz, crossovers_hz[band]) : 1.0;
    const double lower = band > 0 ? lr4_lowpass_magnitude(freq_hz, crossovers_hz[band - 1]) : 0.0;
    return upper - lower;
}

CrossoverDesign design_crossover(std::span<const double> crossovers_hz, int sample_rate, int64_t max_taps) {
    assert(!crossovers_hz.empty() && sample_rate > 0 && max_taps >= 3);
    for (size_t i = 0; i < crossovers_hz.size(); ++i) {
        assert(crossovers_hz[i] > 0.0 && crossovers_hz[i] < sample_rate / 2.0);
        assert(i == 0 || crossovers_hz[i] > crossovers_hz[i - 1]);
    }
    CrossoverDesign d;
    d.sample_rate = sample_rate;
    d.crossovers_hz.assign(crossovers_hz.begin(), crossovers_hz.end());

    // The LR4 zero-phase impulse response decays as exp(-2*pi*fc*|t|/sqrt(2)):
    // ln(1e5) = 11.5 time constants reach -100 dB.
    const double decay_s = std::log(1e5) * std::numbers::sqrt2 / (2.0 * std::numbers::pi * crossovers_hz.front());
    int64_t half = static_cast<int64_t>(std::ceil(decay_s * sample_rate));
    half = std::clamp<int64_t>(half, 16, (max_taps - 1) / 2);
    d.taps = 2 * half + 1;

    // Frequency sampling on M points (M >= 8 * taps keeps time aliasing of the
    // already-decayed response far below the truncation error). DCT-I of the
    // M/2 + 1 samples of the real, even response gives M * h[k], k = 0..M/2.
    const int64_t m = static_cast<int64_t>(std::bit_ceil(static_cast<uint64_t>(8 * d.taps)));
    const int64_t points = m / 2 + 1;
    std::vector<double> spectrum(static_cast<size_t>(points)), impulse(static_cast<size_t>(points));
    fftw_plan plan = fftw_plan_r2r_1d(static_cast<int>(points), spectrum.data(), impulse.data(), FFTW_REDFT00, FFTW_ESTIMATE);
    const int64_t taper = std::max<int64_t>(1, half / 10);  // Tukey: the outer 10 % of each side
    for (double fc : crossovers_hz) {
        for (int64_t k = 0; k < points; ++k)
            spectrum[static_cast<size_t>(k)] = lr4_lowpass_magnitude(static_cast<double>(k) * sample_rate / static_cast<double>(m), fc);
        fftw_execute(plan);
        std::vector<double> kernel(static_cast<size_t>(d.taps));
        for (int64_t n = 0; n <= half; ++n) {
            double w = 1.0;
            const int64_t from_end = half - n;
            if (from_end < taper) w = 0.5 - 0.5 * std::cos(std::numbers::pi * static_cast<double>(from_end) / static_cast<double>(taper));
            const double h = w * impulse[static_cast<size_t>(n)] / static_cast<double>(m);
            kernel[static_cast<size_t>(half + n)] = h;
            kernel[static_cast<size_t>(half - n)] = h;
        }
        d.lowpass.push_back(std::move(kernel));
    }
    fftw_destroy_plan(plan);
    return d;
}

// ---------------------------------------------------------------------------

namespace {

struct FloatArray {
    float* p = nullptr;
    explicit FloatArray(size_t n) : p(fftwf_alloc_real(n)) { std::fill_n(p, n, 0.0f); }
    ~FloatArray() { fftwf_free(p); }
    FloatArray(FloatArray&& o) noexcept : p(std::exchange(o.p, nullptr)) {}
    FloatArray& operator=(FloatArray&&) = delete;
};
struct ComplexArray {
    fftwf_complex* p = nullptr;
    explicit ComplexArray(size_t n) : p(fftwf_alloc_complex(n)) {}
    ~ComplexArray() { fftwf_free(p); }
    ComplexArray(ComplexArray&& o) noexcept : p(std::exchange(o.p, nullptr)) {}
    ComplexArray& operator=(ComplexArray&&) = delete;
};

// A growable FIFO of floats: append at the back, take from the front.
struct Fifo {
    std::vector<float> data;
    size_t head = 0;
    size_t size() const { return data.size() - head; }
    void take(float* out, size_t n) {
        assert(n <= size());
        std::memcpy(out, data.data() + head, n * sizeof(float));
        head += n;
        if (head > data.size() / 2) {  // compact: amortised O(1), no shrink of capacity
            data.erase(data.begin(), data.begin() + static_cast<std::ptrdiff_t>(head));
            head = 0;
        }
    }
};

}  // namespace

struct CrossoverBank::Impl {
    int channels = 0;
    int64_t taps = 0, delay = 0, fft_size = 0, hop = 0;
    size_t crossovers = 0;
    std::vector<ComplexArray> kernel_spectra;  // per crossover, scaled by 1/N
    fftwf_plan forward = nullptr, inverse = nullptr;
    struct Channel {
        FloatArray window;   // the last fft_size input samples
        ComplexArray spectrum, product;
        FloatArray result;
        std::vector<Fifo> out;  // per band
        Channel(int64_t n, size_t bands) : window(static_cast<size_t>(n)), spectrum(static_cast<size_t>(n / 2 + 1)),
                                           product(static_cast<size_t>(n / 2 + 1)), result(static_cast<size_t>(n)), out(bands) {}
    };
    std::vector<Channel> chans;
    int64_t fill = 0;  // new samples in the current hop

    ~Impl() {
        if (forward) fftwf_destroy_plan(forward);
        if (inverse) fftwf_destroy_plan(inverse);
    }

    void run_hop(Channel& ch) {
        const size_t bins = static_cast<size_t>(fft_size / 2 + 1);
        fftwf_execute_dft_r2c(forward, ch.window.p, ch.spectrum.p);
        // y_k for the hop's samples; bands by differences (telescoping sum).
        const size_t base = static_cast<size_t>(taps - 1);
        const size_t h = static_cast<size_t>(hop);
        for (size_t k = 0; k <= crossovers; ++k) {
            std::vector<float>& dst = ch.out[k].data;
            const size_t at = dst.size();
            dst.resize(at + h);
            float* o = dst.data() + at;
            if (k < crossovers) {
                const fftwf_complex* a = ch.spectrum.p;
                const fftwf_complex* b = kernel_spectra[k].p;
                for (size_t i = 0; i < bins; ++i) {
                    ch.product.p[i][0] = a[i][0] * b[i][0] - a[i][1] * b[i][1];
                    ch.product.p[i][1] = a[i][0] * b[i][1] + a[i][1] * b[i][0];
                }
                fftwf_execute_dft_c2r(inverse, ch.product.p, ch.result.p);
                std::memcpy(o, ch.result.p + base, h * sizeof(float));  // y_{k+1} for now
            } else {
                // The delayed input: the kernel is centred `delay` samples back.
                std::memcpy(o, ch.window.p + base - static_cast<size_t>(delay), h * sizeof(float));
            }
        }
        // out[k] holds y_{k+1} (k < N) and x_d (k = N) for this hop; difference
        // from the top down so that each subtraction uses the undifferenced value.
        for (size_t k = crossovers; k >= 1; --k) {
            float* upper = ch.out[k].data.data() + ch.out[k].data.size() - h;
            const float* lower = ch.out[k - 1].data.data() + ch.out[k - 1].data.size() - h;
            for (size_t i = 0; i < h; ++i) upper[i] -= lower[i];
        }
        std::memmove(ch.window.p, ch.window.p + hop, base * sizeof(float));
    }
};

CrossoverBank::CrossoverBank(const CrossoverDesign& design, int channels) : impl_(std::make_unique<Impl>()) {
    assert(channels > 0 && design.taps >= 3 && !design.lowpass.empty());
    Impl& m = *impl_;
    m.channels = channels;
    m.taps = design.taps;
    m.delay = design.delay_frames();
    m.crossovers = design.lowpass.size();
    m.fft_size = static_cast<int64_t>(std::max<uint64_t>(16384, std::bit_ceil(static_cast<uint64_t>(4 * design.taps))));
    m.hop = m.fft_size - m.taps + 1;
    const size_t n = static_cast<size_t>(m.fft_size);
    const size_t bins = n / 2 + 1;

    // Kernel spectra in double, then stored as float with the 1/N of the
    // unnormalised inverse transform folded in.
    {
        std::vector<double> padded(n, 0.0);
        std::vector<std::complex<double>> spec(bins);
        fftw_plan p = fftw_plan_dft_r2c_1d(static_cast<int>(n), padded.data(), reinterpret_cast<fftw_complex*>(spec.data()),
                                           FFTW_ESTIMATE);
        for (const auto& kernel : design.lowpass) {
            std::fill(padded.begin(), padded.end(), 0.0);
            std::copy(kernel.begin(), kernel.end(), padded.begin());
            fftw_execute(p);
            ComplexArray ks(bins);
            for (size_t i = 0; i < bins; ++i) {
                ks.p[i][0] = static_cast<float>(spec[i].real() / static_cast<double>(n));
                ks.p[i][1] = static_cast<float>(spec[i].imag() / static_cast<double>(n));
            }
            m.kernel_spectra.push_back(std::move(ks));
        }
        fftw_destroy_plan(p);
    }
    for (int c = 0; c < channels; ++c) m.chans.emplace_back(m.fft_size, m.crossovers + 1);
    m.forward = fftwf_plan_dft_r2c_1d(static_cast<int>(n), m.chans[0].window.p, m.chans[0].spectrum.p, FFTW_ESTIMATE);
    m.inverse = fftwf_plan_dft_c2r_1d(static_cast<int>(n), m.chans[0].product.p, m.chans[0].result.p, FFTW_ESTIMATE);
    // The output starts one hop of zeros ahead, so every call can be answered in full.
    for (auto& ch : m.chans)
        for (auto& f : ch.out) f.data.assign(static_cast<size_t>(m.hop), 0.0f);
}

CrossoverBank::~CrossoverBank() = default;

size_t CrossoverBank::band_count() const { return impl_->crossovers + 1; }
int CrossoverBank::channels() const { return impl_->channels; }
int64_t CrossoverBank::latency_frames() const { return impl_->hop + impl_->delay; }

void CrossoverBank::process(const AudioBuffer& in, int64_t frames, std::vector<AudioBuffer>& bands) {
    Impl& m = *impl_;
    assert(in.channels() >= m.channels && in.frames() >= frames);
    bands.resize(m.crossovers + 1);
    for (auto& b : bands) b.resize(m.channels, frames);
    const size_t base = static_cast<size_t>(m.taps - 1);
    int64_t done = 0;
    while (done < frames) {
        const int64_t n = std::min(frames - done, m.hop - m.fill);
        for (int c = 0; c < m.channels; ++c)
            std::memcpy(m.chans[static_cast<size_t>(c)].window.p + base + static_cast<size_t>(m.fill), in.channel(c) + done,
                        static_cast<size_t>(n) * sizeof(float));
        m.fill += n;
        done += n;
        if (m.fill == m.hop) {
            tbb::parallel_for(0, m.channels, [&](int c) { m.run_hop(m.chans[static_cast<size_t>(c)]); });
            m.fill = 0;
        }
    }
    for (int c = 0; c < m.channels; ++c)
        for (size_t b = 0; b <= m.crossovers; ++b)
            m.chans[static_cast<size_t>(c)].out[b].take(bands[b].channel(c), static_cast<size_t>(frames));
}

}  // namespace sf::master
