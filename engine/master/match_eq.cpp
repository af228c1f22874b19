#include "engine/master/match_eq.h"

#include <algorithm>
#include <cmath>
#include <cstdio>
#include <numbers>

#include "engine/audio/audio_file.h"
#include "engine/core/cancel.h"
#include "engine/dsp/fft_convolver.h"
#include "engine/dsp/fftw_util.h"
#include "engine/master/master_chain.h"

namespace sf::master {

int match_eq_fft_size(int sample_rate) {
    int n = 1024;
    while (n < static_cast<int>(std::ceil(0.6 * sample_rate))) n *= 2;
    return n;
}

struct SpectrumAccumulator::Impl {
    int rate = 0;
    int n = 0;
    std::vector<float> window;
    double window_power = 0.0;       // Σ w², for the gate's mean square
    std::vector<float> history[2];   // the last n samples per channel (a ring filled in order)
    int64_t filled = 0;              // samples in the current frame
    FftwArray<float> in;
    FftwArray<fftwf_complex> out;
    FftPlan<float> plan;
    std::vector<double> power;
    int64_t counted = 0;
    double gate_mean_square = 0.0;
    std::unique_ptr<LoudnessProbe> probe;

    void frame() {
        // history holds n samples; analyse, then keep the second half (hop n/2).
        std::vector<double> frame_power(power.size(), 0.0);
        double mean_square = 0.0;
        for (int c = 0; c < 2; ++c) {
            const std::vector<float>& h = history[c];
            for (int i = 0; i < n; ++i) {
                in[static_cast<size_t>(i)] = h[static_cast<size_t>(i)] * window[static_cast<size_t>(i)];
                mean_square += static_cast<double>(in[static_cast<size_t>(i)]) * in[static_cast<size_t>(i)];
            }
            plan.r2c(in.data(), out.data());
            for (size_t k = 0; k < frame_power.size(); ++k)
                frame_power[k] += 0.5 * (static_cast<double>(out[k][0]) * out[k][0] + static_cast<double>(out[k][1]) * out[k][1]);
        }
        mean_square /= 2.0 * window_power;  // of the unwindowed signal, both channels
        if (mean_square >= gate_mean_square) {
            for (size_t k = 0; k < power.size(); ++k) power[k] += frame_power[k];
            ++counted;
        }
        for (int c = 0; c < 2; ++c) std::copy(history[c].begin() + n / 2, history[c].end(), history[c].begin());
        filled = n / 2;
    }
};

SpectrumAccumulator::SpectrumAccumulator(int sample_rate, std::unique_ptr<LoudnessProbe> probe) : impl_(std::make_unique<Impl>()) {
    Impl& s = *impl_;
    s.rate = sample_rate;
    s.n = match_eq_fft_size(sample_rate);
    s.window.resize(static_cast<size_t>(s.n));
    for (int i = 0; i < s.n; ++i) {
        // Periodic Hann: overlapping by half, the windows sum to a constant.
        const double w = 0.5 - 0.5 * std::cos(2.0 * std::numbers::pi * i / s.n);
        s.window[static_cast<size_t>(i)] = static_cast<float>(w);
        s.window_power += w * w;
    }
    for (auto& h : s.history) h.assign(static_cast<size_t>(s.n), 0.0f);
    s.in = FftwArray<float>(static_cast<size_t>(s.n));
    s.out = FftwArray<fftwf_complex>(static_cast<size_t>(s.n / 2 + 1));
    s.plan = FftPlan<float>::get(FftKind::RealForward, static_cast<size_t>(s.n));
    s.power.assign(static_cast<size_t>(s.n / 2 + 1), 0.0);
    s.gate_mean_square = std::pow(10.0, kMatchEqFrameGateDb / 10.0);
    s.probe = std::move(probe);
    if (s.probe) s.probe->reset(sample_rate, 2, false);
}

SpectrumAccumulator::~SpectrumAccumulator() = default;
SpectrumAccumulator::SpectrumAccumulator(SpectrumAccumulator&&) noexcept = default;
SpectrumAccumulator& SpectrumAccumulator::operator=(SpectrumAccumulator&&) noexcept = default;

void SpectrumAccumulator::add(const AudioBuffer& block, int64_t frames) {
    Impl& s = *impl_;
    const float* ch[2] = {block.channel(0), block.channel(block.channels() > 1 ? 1 : 0)};
    if (s.probe) {
        if (block.channels() >= 2) {
            s.probe->add(block, frames);
        } else {
            AudioBuffer stereo(2, frames);
            for (int c = 0; c < 2; ++c) std::copy_n(ch[0], frames, stereo.channel(c));
            s.probe->add(stereo, frames);
        }
    }
    for (int64_t i = 0; i < frames;) {
        const int64_t take = std::min<int64_t>(frames - i, s.n - s.filled);
        for (int c = 0; c < 2; ++c) std::copy_n(ch[c] + i, take, s.history[c].begin() + s.filled);
        s.filled += take;
        i += take;
        if (s.filled == s.n) s.frame();
    }
}

LongTermSpectrum SpectrumAccumulator::finish() {
    Impl& s = *impl_;
    if (s.filled > s.n / 2) {  // a partial frame with new samples: zero-padded
        for (int c = 0; c < 2; ++c) std::fill(s.history[c].begin() + s.filled, s.history[c].end(), 0.0f);
        s.frame();
    }
    LongTermSpectrum out;
    out.sample_rate = s.rate;
    out.fft_size = s.n;
    out.frames_counted = s.counted;
    out.power = s.power;
    if (s.counted > 0)
        for (double& p : out.power) p /= static_cast<double>(s.counted);
    if (s.probe) out.integrated_lufs = s.probe->stats().integrated_lufs;
    return out;
}

std::vector<double> smoothed_spectrum_db(const LongTermSpectrum& spectrum, double smoothing_oct, const std::vector<double>& freqs_hz) {
    const double bin_hz = static_cast<double>(spectrum.sample_rate) / spectrum.fft_size;
    const int64_t last = static_cast<int64_t>(spectrum.power.size()) - 1;
    // Prefix sums: the mean over any bin range in O(1).
    std::vector<double> prefix(spectrum.power.size() + 1, 0.0);
    for (size_t k = 0; k < spectrum.power.size(); ++k) prefix[k + 1] = prefix[k] + spectrum.power[k];
    std::vector<double> out;
    out.reserve(freqs_hz.size());
    for (double f : freqs_hz) {
        const double lo = f * std::exp2(-smoothing_oct / 2.0), hi = f * std::exp2(smoothing_oct / 2.0);
        int64_t k0 = static_cast<int64_t>(std::ceil(lo / bin_hz));
        int64_t k1 = static_cast<int64_t>(std::floor(hi / bin_hz));
        k0 = std::clamp<int64_t>(k0, 0, last);
        k1 = std::clamp<int64_t>(k1, 0, last);
        if (k1 < k0) k0 = k1 = std::clamp<int64_t>(std::llround(f / bin_hz), 0, last);  // narrower than a bin
        const double mean = (prefix[static_cast<size_t>(k1 + 1)] - prefix[static_cast<size_t>(k0)]) / static_cast<double>(k1 - k0 + 1);
        out.push_back(mean > 1e-30 ? 10.0 * std::log10(mean) : -300.0);
    }
    return out;
}

double MatchEqCurve::gain_db_at(double f) const {
    if (freq_hz.empty()) return 0.0;
    if (f <= freq_hz.front()) return gain_db.front();
    if (f >= freq_hz.back()) return gain_db.back();
    const auto it = std::upper_bound(freq_hz.begin(), freq_hz.end(), f);
    const size_t i = static_cast<size_t>(it - freq_hz.begin());
    const double t = std::log(f / freq_hz[i - 1]) / std::log(freq_hz[i] / freq_hz[i - 1]);
    return gain_db[i - 1] + t * (gain_db[i] - gain_db[i - 1]);
}

MatchEqCurve match_eq_curve(const LongTermSpectrum& reference, const LongTermSpectrum& programme, const MatchEqSpec& spec) {
    MatchEqCurve curve;
    const double top = std::min(kMatchEqHighHz, 0.45 * programme.sample_rate);
    for (double f = kMatchEqLowHz; f <= top * (1.0 + 1e-9); f *= std::exp2(kMatchEqGridStepOct)) curve.freq_hz.push_back(f);
    const std::vector<double> ref = smoothed_spectrum_db(reference, spec.smoothing_oct, curve.freq_hz);
    const std::vector<double> prog = smoothed_spectrum_db(programme, spec.smoothing_oct, curve.freq_hz);
    curve.gain_db.resize(curve.freq_hz.size());
    for (size_t i = 0; i < curve.freq_hz.size(); ++i) {
        const double diff = (ref[i] - reference.integrated_lufs) - (prog[i] - programme.integrated_lufs);
        curve.gain_db[i] = std::clamp(spec.amount * diff, -spec.max_db, spec.max_db);
    }
    return curve;
}

Result<EqDesign> design_match_eq(const MatchEqCurve& curve, int sample_rate) {
    return design_linear_magnitude([&](double f) { return std::pow(10.0, curve.gain_db_at(f) / 20.0); }, sample_rate,
                                   kMatchEqDesignToleranceDb, kMatchEqMaxFirLength);
}

namespace {

std::string fmt(double v, int digits = 2) {
    char buf[64];
    std::snprintf(buf, sizeof buf, "%.*f", digits, v);
    return buf;
}

// A stereo FIR stage with its latency (total: the convolver's hop and the
// design's centre tap).
struct FirStage {
    FftConvolver conv;
    int64_t latency = 0;
    static Result<FirStage> create(const EqDesign& d, const std::string& what) {
        auto conv = FftConvolver::create(diagonal_kernels(2, d.taps));
        if (!conv) return fail(conv.error().code, what + ": " + conv.error().message);
        const int64_t latency = conv->latency_frames() + d.latency_frames;
        return FirStage{std::move(*conv), latency};
    }
    void process(const AudioBuffer& in, AudioBuffer& out, int64_t n) {
        out.resize(2, n);
        const float* i[2] = {in.channel(0), in.channel(1)};
        float* o[2] = {out.channel(0), out.channel(1)};
        conv.process(i, o, n);
    }
};

// Streams the whole spool through `stages` (latency compensated: leading
// frames dropped, zeros fed past the end) into `sink`.
template <class Sink>
Result<void> stream(Spool& mix, std::vector<FirStage*> stages, int64_t block, const std::atomic<bool>* cancel, Sink&& sink) {
    if (auto ok = mix.rewind(); !ok) return ok;
    int64_t latency = 0;
    for (FirStage* s : stages) latency += s->latency;
    const int64_t total = mix.frames();
    AudioBuffer a, b;
    for (int64_t fed = 0, delivered = 0; delivered < total; fed += block) {
        if (cancel_requested(cancel)) return std::unexpected(cancelled_error());
        auto got = mix.read(a, block);  // zeros past the end: the flush
        if (!got) return std::unexpected(got.error());
        for (FirStage* s : stages) {
            s->process(a, b, block);
            std::swap(a, b);
        }
        const int64_t from = std::clamp<int64_t>(latency - fed, 0, block);
        const int64_t take = std::min(block - from, total - delivered);
        if (take <= 0) continue;
        if (from > 0)
            for (int c = 0; c < 2; ++c) std::copy_n(a.channel(c) + from, take, a.channel(c));
        sink(a, take);
        delivered += take;
    }
    return {};
}

}  // namespace

Result<MatchEqDesign> design_match_eq_for(Spool& mix, const MasterSpec& m, int rate, const LongTermSpectrum& reference,
                                          const LoudnessProbeFactory& probe, int64_t block, const std::atomic<bool>* cancel) {
    std::optional<FirStage> eq;
    if (m.eq) {
        auto design = design_eq(*m.eq, rate);
        if (!design) return fail(design.error().code, "master.eq: " + design.error().message);
        if (!design->identity()) {
            auto stage = FirStage::create(*design, "master.eq");
            if (!stage) return std::unexpected(stage.error());
            eq.emplace(std::move(*stage));
        }
    }
    std::vector<FirStage*> before_match;
    if (eq) before_match.push_back(&*eq);

    // Steps 1-3 on the programme where the stage sits.
    SpectrumAccumulator acc(rate, probe());
    if (auto ok = stream(mix, before_match, block, cancel, [&](const AudioBuffer& x, int64_t n) { acc.add(x, n); }); !ok)
        return std::unexpected(ok.error());
    const LongTermSpectrum programme = acc.finish();
    if (!std::isfinite(programme.integrated_lufs) || programme.frames_counted == 0)
        return fail(ErrorCode::BadAudio, "master.match_eq: the programme is silent (no loudness): there is nothing to match");

    MatchEqDesign out;
    out.programme_lufs = programme.integrated_lufs;
    out.curve = match_eq_curve(reference, programme, *m.match_eq);
    auto fir = design_match_eq(out.curve, rate);
    if (!fir) return fail(fir.error().code, "master.match_eq: " + fir.error().message);
    out.fir = std::move(*fir);

    // The FIR's own change of loudness, measured and taken out.
    if (!out.fir.identity()) {
        if (eq) eq->conv.reset();
        auto stage = FirStage::create(out.fir, "master.match_eq");
        if (!stage) return std::unexpected(stage.error());
        std::vector<FirStage*> with_match = before_match;
        with_match.push_back(&*stage);
        std::unique_ptr<LoudnessProbe> matched = probe();
        matched->reset(rate, 2, false);
        if (auto ok = stream(mix, with_match, block, cancel, [&](const AudioBuffer& x, int64_t n) { matched->add(x, n); }); !ok)
            return std::unexpected(ok.error());
        const double after = matched->stats().integrated_lufs;
        if (std::isfinite(after)) {
            out.makeup_db = programme.integrated_lufs - after;
            const double scale = std::pow(10.0, out.makeup_db / 20.0);
            for (double& tap : out.fir.taps) tap *= scale;
        }
    }
    const auto [lo, hi] = std::minmax_element(out.curve.gain_db.begin(), out.curve.gain_db.end());
    out.decision = "match EQ: amount " + fmt(m.match_eq->amount) + " of the difference to " + m.match_eq->reference.filename().string() +
                   " (" + fmt(reference.integrated_lufs) + " LUFS vs " + fmt(programme.integrated_lufs) + " LUFS), from " + fmt(*lo, 1) +
                   " dB at " + fmt(out.curve.freq_hz[static_cast<size_t>(lo - out.curve.gain_db.begin())], 0) + " Hz to " + fmt(*hi, 1) +
                   " dB at " + fmt(out.curve.freq_hz[static_cast<size_t>(hi - out.curve.gain_db.begin())], 0) + " Hz, " +
                   std::to_string(out.fir.taps.size()) + " taps, " + fmt(out.makeup_db) + " dB to keep the programme's loudness";
    return out;
}

Result<LongTermSpectrum> measure_reference(const std::filesystem::path& file, int sample_rate, const LoudnessProbeFactory& probe,
                                           const std::string& json_path, const std::atomic<bool>* cancel) {
    SourceOptions so;
    so.target_rate = sample_rate;
    so.label = json_path;
    auto src = AudioSource::open(file, so);
    if (!src) return fail(src.error().code, json_path + ": " + src.error().message);
    SpectrumAccumulator acc(sample_rate, probe ? probe() : nullptr);
    AudioBuffer block(src->channels(), 65536);
    for (int64_t done = 0; done < src->frames();) {
        if (cancel_requested(cancel)) return std::unexpected(cancelled_error());
        const int64_t n = std::min<int64_t>(65536, src->frames() - done);
        auto got = src->read(block, n);
        if (!got) return fail(got.error().code, json_path + ": " + got.error().message);
        acc.add(block, n);
        done += n;
    }
    LongTermSpectrum out = acc.finish();
    if (!std::isfinite(out.integrated_lufs) || out.frames_counted == 0)
        return fail(ErrorCode::BadAudio, json_path + ": " + file.string() + ": the reference is silent (no loudness to match)");
    return out;
}

}  // namespace sf::master
