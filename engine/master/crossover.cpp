#include "engine/master/crossover.h"

#include <algorithm>
#include <bit>
#include <cassert>
#include <cmath>
#include <cstring>
#include <numbers>

#include <tbb/parallel_for.h>

#include "engine/dsp/delay_line.h"
#include "engine/dsp/fft_convolver.h"
#include "engine/dsp/fftw_util.h"

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
    FftwArray<double> spectrum(static_cast<size_t>(points)), impulse(static_cast<size_t>(points));
    const FftPlan<double> dct = FftPlan<double>::get(FftKind::CosineI, static_cast<size_t>(points));
    const int64_t taper = std::max<int64_t>(1, half / 10);  // Tukey: the outer 10 % of each side
    for (double fc : crossovers_hz) {
        for (int64_t k = 0; k < points; ++k)
            spectrum[static_cast<size_t>(k)] = lr4_lowpass_magnitude(static_cast<double>(k) * sample_rate / static_cast<double>(m), fc);
        dct.r2r(spectrum.data(), impulse.data());
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
    return d;
}

// ---------------------------------------------------------------------------

// Per channel, one FftConvolver (1 input, one output per crossover: the N
// low-passes share the channel's forward transform) and the input delayed to
// match (band N = x_d − y_N). Output k < N is written straight into band k's
// buffer, x_d into band N's; the bands then come from differences in place.
struct CrossoverBank::Impl {
    int channels = 0;
    size_t crossovers = 0;
    int64_t latency = 0;
    struct Channel {
        FftConvolver lowpasses;  // y_1 .. y_N, latency = its hop
        DelayLine direct;        // x delayed by hop + design delay
        std::vector<float*> outs;
    };
    std::vector<Channel> chans;

    void run(const AudioBuffer& in, int64_t frames, std::vector<AudioBuffer>& bands, int c) {
        Channel& ch = chans[static_cast<size_t>(c)];
        for (size_t k = 0; k < crossovers; ++k) ch.outs[k] = bands[k].channel(c);
        const float* x = in.channel(c);
        ch.lowpasses.process(&x, ch.outs.data(), frames);
        float* top = bands[crossovers].channel(c);
        std::memcpy(top, x, static_cast<size_t>(frames) * sizeof(float));
        ch.direct.process(&top, frames);
        // bands[k] holds y_{k+1} (k < N) and x_d (k = N); difference from the
        // top down so that each subtraction uses the undifferenced value.
        for (size_t k = crossovers; k >= 1; --k) {
            float* upper = bands[k].channel(c);
            const float* lower = bands[k - 1].channel(c);
            for (int64_t i = 0; i < frames; ++i) upper[i] -= lower[i];
        }
    }
};

CrossoverBank::CrossoverBank(const CrossoverDesign& design, int channels) : impl_(std::make_unique<Impl>()) {
    assert(channels > 0 && design.taps >= 3 && !design.lowpass.empty());
    Impl& m = *impl_;
    m.channels = channels;
    m.crossovers = design.lowpass.size();
    // A shorter FFT than the convolver's default: the kernels are short, and
    // 16384 points keep the latency (one hop) near a third of a second.
    const int64_t fft_size = static_cast<int64_t>(std::max<uint64_t>(16384, std::bit_ceil(static_cast<uint64_t>(4 * design.taps))));
    ConvolutionKernels k;
    k.inputs = 1;
    k.outputs = static_cast<int>(m.crossovers);
    k.kernels = design.lowpass;
    for (size_t i = 0; i < m.crossovers; ++i) k.route.push_back(static_cast<int>(i));
    for (int c = 0; c < channels; ++c) {
        auto conv = FftConvolver::create(k, fft_size);
        assert(conv && "crossover: a valid design always makes a convolver");
        const int64_t hop = conv->hop_frames();
        m.latency = hop + design.delay_frames();
        m.chans.push_back(Impl::Channel{std::move(*conv), DelayLine(1, m.latency), std::vector<float*>(m.crossovers)});
    }
}

CrossoverBank::~CrossoverBank() = default;

size_t CrossoverBank::band_count() const { return impl_->crossovers + 1; }
int CrossoverBank::channels() const { return impl_->channels; }
int64_t CrossoverBank::latency_frames() const { return impl_->latency; }

void CrossoverBank::advance_silent(int64_t frames) {
    for (auto& ch : impl_->chans) ch.lowpasses.advance_silent(frames);
}

void CrossoverBank::process(const AudioBuffer& in, int64_t frames, std::vector<AudioBuffer>& bands) {
    Impl& m = *impl_;
    assert(in.channels() >= m.channels && in.frames() >= frames);
    bands.resize(m.crossovers + 1);
    for (auto& b : bands) b.resize(m.channels, frames);
    // Channels are independent: in parallel when there is work enough to pay
    // for the fork (the result does not depend on it).
    if (m.channels > 1 && frames >= 4096)
        tbb::parallel_for(0, m.channels, [&](int c) { m.run(in, frames, bands, c); });
    else
        for (int c = 0; c < m.channels; ++c) m.run(in, frames, bands, c);
}

}  // namespace sf::master
