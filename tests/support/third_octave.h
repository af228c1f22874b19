// Test oracles for spectral balance: third-octave band levels of a whole
// signal (a periodogram: one FFT per channel in double, summed over the IEC
// 61260 base-2 bands, centres 1000·2^(k/3) Hz, edges ·2^(±1/6)), normalised
// by the signal's integrated loudness from libebur128; and a zero-phase
// filter of any magnitude over the whole signal (to make test material).
// Written here, independent of the engine's spectrum and EQ code.
#pragma once

#include <ebur128.h>
#include <fftw3.h>

#include <cmath>
#include <complex>
#include <functional>
#include <vector>

#include "engine/audio/audio_buffer.h"

namespace sf::test {

inline double ebur128_integrated(const AudioBuffer& x, int rate) {
    ebur128_state* st = ebur128_init(static_cast<unsigned>(x.channels()), static_cast<unsigned long>(rate), EBUR128_MODE_I);
    std::vector<float> inter(static_cast<size_t>(x.frames() * x.channels()));
    for (int64_t i = 0; i < x.frames(); ++i)
        for (int c = 0; c < x.channels(); ++c) inter[static_cast<size_t>(i * x.channels() + c)] = x.channel(c)[i];
    ebur128_add_frames_float(st, inter.data(), static_cast<size_t>(x.frames()));
    double v = -INFINITY;
    ebur128_loudness_global(st, &v);
    ebur128_destroy(&st);
    return v;
}

// Applies |H(f)| = 10^(gain_db(f)/20) to the whole signal (zero phase, circular).
inline AudioBuffer zero_phase_filtered(const AudioBuffer& x, int rate, const std::function<double(double)>& gain_db) {
    AudioBuffer y(x.channels(), x.frames());
    const int n = static_cast<int>(x.frames());
    std::vector<double> in(static_cast<size_t>(n));
    std::vector<std::complex<double>> spec(static_cast<size_t>(n / 2 + 1));
    for (int c = 0; c < x.channels(); ++c) {
        for (int i = 0; i < n; ++i) in[static_cast<size_t>(i)] = x.channel(c)[i];
        fftw_plan p = fftw_plan_dft_r2c_1d(n, in.data(), reinterpret_cast<fftw_complex*>(spec.data()), FFTW_ESTIMATE);
        fftw_execute(p);
        fftw_destroy_plan(p);
        for (int k = 0; k <= n / 2; ++k)
            spec[static_cast<size_t>(k)] *= std::pow(10.0, gain_db(std::max(1.0, static_cast<double>(k) * rate / n)) / 20.0) / n;
        fftw_plan q = fftw_plan_dft_c2r_1d(n, reinterpret_cast<fftw_complex*>(spec.data()), in.data(), FFTW_ESTIMATE);
        fftw_execute(q);
        fftw_destroy_plan(q);
        for (int i = 0; i < n; ++i) y.channel(c)[i] = static_cast<float>(in[static_cast<size_t>(i)]);
    }
    return y;
}

// Third-octave band levels (dB, power summed over channels), 40 Hz .. 16 kHz
// (27 bands), minus the signal's integrated loudness.
inline std::vector<double> third_octave_levels(const AudioBuffer& x, int rate) {
    const int n = static_cast<int>(x.frames());
    std::vector<double> power(static_cast<size_t>(n / 2 + 1), 0.0);
    std::vector<double> in(static_cast<size_t>(n));
    std::vector<std::complex<double>> spec(static_cast<size_t>(n / 2 + 1));
    for (int c = 0; c < x.channels(); ++c) {
        for (int i = 0; i < n; ++i) in[static_cast<size_t>(i)] = x.channel(c)[i];
        fftw_plan p = fftw_plan_dft_r2c_1d(n, in.data(), reinterpret_cast<fftw_complex*>(spec.data()), FFTW_ESTIMATE);
        fftw_execute(p);
        fftw_destroy_plan(p);
        for (size_t k = 0; k < power.size(); ++k) power[k] += std::norm(spec[k]);
    }
    const double loudness = ebur128_integrated(x, rate);
    std::vector<double> bands;
    for (int k = -14; k <= 12; ++k) {  // 39.7 Hz .. 16 kHz
        const double fc = 1000.0 * std::exp2(k / 3.0);
        double sum = 0.0;
        for (size_t b = 0; b < power.size(); ++b) {
            const double f = static_cast<double>(b) * rate / n;
            if (f >= fc * std::exp2(-1.0 / 6.0) && f < fc * std::exp2(1.0 / 6.0)) sum += power[b];
        }
        // Parseval: the band's mean power is 2·Σ|X|²/N² (independent of the length).
        bands.push_back(10.0 * std::log10(2.0 * sum / (static_cast<double>(n) * n)) - loudness);
    }
    return bands;
}

inline double rms_difference_db(const std::vector<double>& a, const std::vector<double>& b) {
    double s = 0.0;
    for (size_t i = 0; i < a.size(); ++i) s += (a[i] - b[i]) * (a[i] - b[i]);
    return std::sqrt(s / static_cast<double>(a.size()));
}

}  // namespace sf::test
