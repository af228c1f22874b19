// Stemforge parity tests of the GPU master chain — the CPU reference, built
// from the CPU master stages exactly as engine/master/master_chain.cpp's
// pre-chain and LimiterStage use them (design_eq + FftConvolver,
// CrossoverBank + Compressor + apply_width, StereoTools, TruePeakDetector,
// LimiterGain), streamed the way its run_pass streams (latency dropped,
// zeros fed after the end), and the musical and random programmes the
// tests master.
#pragma once

#include <algorithm>
#include <cmath>
#include <memory>
#include <numbers>
#include <vector>

#include <gtest/gtest.h>

#include "engine/audio/audio_buffer.h"
#include "engine/core/random.h"
#include "engine/dsp/compressor.h"
#include "engine/dsp/delay_line.h"
#include "engine/dsp/eq_design.h"
#include "engine/dsp/fft_convolver.h"
#include "engine/master/crossover.h"
#include "engine/master/stereo_tools.h"
#include "engine/master/true_peak_limiter.h"
#include "engine/session/session.h"

namespace sf::test {

// The pre-chain's output, aligned with the mix: L, R and the envelope p[n].
struct CpuPrechain {
    AudioBuffer signal;
    std::vector<float> envelope;
};

// Streams `mix` through the CPU master stages in blocks of `block` frames.
inline CpuPrechain cpu_prechain(const MasterSpec& m, int rate, const AudioBuffer& mix, int64_t block = 65536) {
    std::unique_ptr<FftConvolver> eq;
    int64_t latency = 0;
    if (m.eq) {
        auto d = design_eq(*m.eq, rate);
        EXPECT_TRUE(d.has_value());
        if (!d->identity()) {
            auto c = FftConvolver::create(diagonal_kernels(2, d->taps));
            EXPECT_TRUE(c.has_value());
            latency += c->latency_frames() + d->latency_frames;
            eq = std::make_unique<FftConvolver>(std::move(*c));
        }
    }
    std::unique_ptr<master::CrossoverBank> bank;
    std::vector<Compressor> comps;
    std::vector<double> widths;
    if (m.multiband) {
        bank = std::make_unique<master::CrossoverBank>(master::design_crossover(m.multiband->crossovers_hz, rate), 2);
        latency += bank->latency_frames();
        for (const MultibandBand& b : m.multiband->bands) {
            CompressorSpec cs;
            cs.threshold_db = b.threshold_db;
            cs.ratio = b.ratio;
            cs.knee_db = b.knee_db;
            cs.attack_ms = b.attack_ms;
            cs.release_ms = b.release_ms;
            cs.makeup_db = b.makeup_db;
            cs.detector = Detector::Peak;
            comps.emplace_back(cs, rate);
            widths.push_back(b.width);
        }
    }
    master::StereoToolsSpec st;
    st.width = m.width.value_or(1.0);
    st.mono_below_hz = m.mono_below_hz;
    st.balance = m.balance.value_or(0.0);
    std::unique_ptr<master::StereoTools> stereo;
    if (!st.is_identity()) {
        stereo = std::make_unique<master::StereoTools>(st, rate);
        latency += stereo->latency_frames();
    }
    master::TruePeakDetector detector(2);
    DelayLine detector_delay(2, master::TruePeakDetector::latency_frames());
    latency += master::TruePeakDetector::latency_frames();

    const int64_t total = mix.frames();
    CpuPrechain out;
    out.signal.resize(2, total);
    out.envelope.assign(static_cast<size_t>(total), 0.0f);
    AudioBuffer x, scratch, o;
    std::vector<AudioBuffer> bands;
    int64_t dropped = 0, delivered = 0;
    for (int64_t fed = 0; delivered < total; fed += block) {
        x.resize(2, block);
        for (int c = 0; c < 2; ++c)
            for (int64_t i = 0; i < block; ++i) x.channel(c)[i] = fed + i < total ? mix.channel(c)[fed + i] : 0.0f;
        const int64_t n = block;
        if (eq) {
            scratch.resize(2, n);
            const float* in[2] = {x.channel(0), x.channel(1)};
            float* so[2] = {scratch.channel(0), scratch.channel(1)};
            eq->process(in, so, n);
            for (int c = 0; c < 2; ++c) std::copy_n(scratch.channel(c), n, x.channel(c));
        }
        if (bank) {
            bank->process(x, n, bands);
            for (int c = 0; c < 2; ++c) std::fill_n(x.channel(c), n, 0.0f);
            for (size_t b = 0; b < bands.size(); ++b) {
                float* ch[2] = {bands[b].channel(0), bands[b].channel(1)};
                comps[b].process(ch, 2, n);
                master::apply_width(bands[b], n, widths[b]);
                for (int c = 0; c < 2; ++c)
                    for (int64_t i = 0; i < n; ++i) x.channel(c)[i] += bands[b].channel(c)[i];
            }
        }
        if (stereo) stereo->process(x, n);
        o.resize(3, n);
        detector.process(x, n, o.channel(2));
        float* ch[2] = {x.channel(0), x.channel(1)};
        detector_delay.process(ch, n);
        for (int c = 0; c < 2; ++c) std::copy_n(x.channel(c), n, o.channel(c));
        int64_t from = 0;
        if (dropped < latency) {
            from = std::min(n, latency - dropped);
            dropped += from;
        }
        const int64_t take = std::min(n - from, total - delivered);
        for (int64_t i = 0; i < take; ++i) {
            out.signal.channel(0)[delivered + i] = o.channel(0)[from + i];
            out.signal.channel(1)[delivered + i] = o.channel(1)[from + i];
            out.envelope[static_cast<size_t>(delivered + i)] = o.channel(2)[from + i];
        }
        delivered += std::max<int64_t>(0, take);
    }
    return out;
}

// The CPU LimiterStage of the loudness loop (no CeilingGuard) over a
// pre-chain output: y[n] = x[n] · float(G g[n]); without a limiter spec,
// x · float(G).
struct CpuLimited {
    AudioBuffer signal;
    master::LimiterStats stats;
};

inline CpuLimited cpu_limit(const std::optional<LimiterSpec>& spec, double gain_db, double ceiling_dbtp, int rate, const CpuPrechain& pre) {
    const int64_t total = pre.signal.frames();
    CpuLimited out;
    out.signal.resize(2, total);
    if (!spec) {
        const float g = static_cast<float>(std::pow(10.0, gain_db / 20.0));
        for (int c = 0; c < 2; ++c)
            for (int64_t i = 0; i < total; ++i) out.signal.channel(c)[i] = pre.signal.channel(c)[i] * g;
        return out;
    }
    master::LimiterGain gain(master::LimiterSettings{ceiling_dbtp, spec->release_ms, spec->lookahead_ms, gain_db}, rate);
    gain.set_stats_limit(total);
    const int64_t latency = gain.latency_frames();
    std::vector<float> env(static_cast<size_t>(total + latency), 0.0f), g(static_cast<size_t>(total + latency));
    std::copy(pre.envelope.begin(), pre.envelope.end(), env.begin());
    gain.process(env.data(), total + latency, g.data());
    for (int c = 0; c < 2; ++c)
        for (int64_t n = 0; n < total; ++n) out.signal.channel(c)[n] = pre.signal.channel(c)[n] * g[static_cast<size_t>(n + latency)];
    out.stats = gain.stats();
    return out;
}

// A musical programme: a bass line, chords, a hi-hat of noise bursts and a
// kick, peaking above full scale (the limiter works), stereo, `seconds` long.
inline AudioBuffer musical_programme(int rate, double seconds, uint64_t seed, double level = 1.0) {
    Random rng(seed);
    const int64_t n = static_cast<int64_t>(seconds * rate);
    AudioBuffer b(2, n);
    const double beat = 0.5 * rate;   // 120 BPM
    const double base = 55.0 * std::pow(2.0, static_cast<double>(seed % 5) / 12.0);
    double hat = 0.0;
    for (int64_t i = 0; i < n; ++i) {
        const double t = static_cast<double>(i) / rate;
        const double in_beat = std::fmod(static_cast<double>(i), beat) / rate;
        const double bass = 0.45 * std::sin(2.0 * std::numbers::pi * base * t) * std::exp(-2.0 * in_beat);
        const double kick = 0.9 * std::sin(2.0 * std::numbers::pi * (50.0 + 120.0 * std::exp(-30.0 * in_beat)) * in_beat) * std::exp(-8.0 * in_beat);
        double chord = 0.0;
        for (double r : {1.0, 1.26, 1.5, 2.0}) chord += 0.08 * std::sin(2.0 * std::numbers::pi * base * 4.0 * r * t + r);
        if (std::fmod(static_cast<double>(i), beat / 2.0) < 1.0) hat = 0.35;
        hat *= 0.9995;
        const double noise = hat * rng.bipolar();
        b.channel(0)[i] = static_cast<float>(level * (bass + kick + chord * 1.2 + noise * 0.7));
        b.channel(1)[i] = static_cast<float>(level * (bass + kick + chord * 0.8 + noise * 1.1));
    }
    return b;
}

}  // namespace sf::test
