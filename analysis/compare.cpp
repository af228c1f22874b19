#include "analysis/compare.h"

#include <algorithm>
#include <cmath>
#include <cassert>
#include <complex>
#include <cstdio>
#include <limits>
#include <numbers>

#include "analysis/analyze.h"
#include "analysis/levels.h"
#include "analysis/loudness.h"
#include "analysis/true_peak.h"
#include "engine/audio/audio_file.h"
#include "engine/core/cancel.h"
#include "engine/dsp/fftw_util.h"

namespace sf::analysis {

namespace {

nlohmann::json num(std::optional<double> v) {
    if (!v || !std::isfinite(*v)) return nullptr;
    return *v;
}

Result<AudioSource> open(const std::filesystem::path& f, int target_rate = 0) {
    SourceOptions so;
    so.max_channels = kMaxAnalysisChannels;
    so.target_rate = target_rate;
    return AudioSource::open(f, so);
}

// Reads and discards `frames` frames.
Result<void> skip(AudioSource& s, int64_t frames, const std::atomic<bool>* cancel) {
    AudioBuffer scratch(s.channels(), 8192);
    while (frames > 0) {
        if (cancel_requested(cancel)) return std::unexpected(cancelled_error("cancelled"));
        const int64_t n = std::min<int64_t>(frames, 8192);
        auto got = s.read(scratch, n);
        if (!got) return std::unexpected(got.error());
        frames -= n;
    }
    return {};
}

// Frames [from, from + n) of the file at `rate` (zeros before its start and
// after its end), from a source of its own.
Result<AudioBuffer> read_stretch(const std::filesystem::path& f, int rate, int64_t from, int64_t n, const std::atomic<bool>* cancel) {
    auto s = open(f, rate);
    if (!s) return std::unexpected(s.error());
    AudioBuffer out(s->channels(), std::max<int64_t>(n, 1));
    out.clear();
    const int64_t first = std::max<int64_t>(from, 0);
    const int64_t last = std::min(from + n, s->frames());
    if (last <= first) return out;
    if (auto ok = skip(*s, first, cancel); !ok) return std::unexpected(ok.error());
    AudioBuffer got(s->channels(), last - first);
    if (auto r = s->read(got, last - first); !r) return std::unexpected(r.error());
    for (int c = 0; c < s->channels(); ++c) std::copy_n(got.channel(c), last - first, out.channel(c) + (first - from));
    return out;
}

// The first frame where any channel exceeds kSilenceThreshold; nullopt for a silent file.
Result<std::optional<int64_t>> first_content(const std::filesystem::path& f, const std::atomic<bool>* cancel) {
    auto s = open(f);
    if (!s) return std::unexpected(s.error());
    constexpr int64_t kBlock = 65536;
    AudioBuffer b(s->channels(), kBlock);
    for (int64_t pos = 0; pos < s->frames(); pos += kBlock) {
        if (cancel_requested(cancel)) return std::unexpected(cancelled_error("cancelled"));
        const int64_t n = std::min(kBlock, s->frames() - pos);
        if (auto r = s->read(b, n); !r) return std::unexpected(r.error());
        for (int64_t i = 0; i < n; ++i)
            for (int c = 0; c < s->channels(); ++c)
                if (std::abs(b.channel(c)[i]) > kSilenceThreshold) return std::optional<int64_t>(pos + i);
    }
    return std::optional<int64_t>();
}

// ISO 266 octave centres 1000·2^k, k = −5..4 (31.5 Hz .. 16 kHz nominal).
std::vector<ResidualBand> octave_bands(double nyquist_hz) {
    std::vector<ResidualBand> bands;
    for (int k = -5; k <= 4; ++k) {
        const double fc = 1000.0 * std::pow(2.0, k);
        ResidualBand b{fc, fc / std::numbers::sqrt2, std::min(fc * std::numbers::sqrt2, nyquist_hz), 0.0, 0.0};
        if (b.low_hz < nyquist_hz) bands.push_back(b);
    }
    return bands;
}

// Mean square in [lo, hi) from a Welch power spectrum (calibration of
// analysis/spectrum.h: a sine of amplitude A reads A² in its bin, and its
// window spreads it over ENBW bins' worth of power, so Σ power / (2·ENBW) is
// the mean square, A²/2 for the sine).
double band_mean_square(const Spectrum& s, double enbw, double lo_hz, double hi_hz) {
    double sum = 0.0;
    for (size_t k = 0; k < s.power.size(); ++k) {
        const double f = static_cast<double>(k) * s.bin_hz();
        if (f >= lo_hz && f < hi_hz) sum += s.power[k];
    }
    return sum / (2.0 * enbw);
}

double equivalent_noise_bandwidth(const SpectrumOptions& o) {
    const auto w = make_window(o.window, o.fft_size);
    double s1 = 0.0, s2 = 0.0;
    for (double v : w) {
        s1 += v;
        s2 += v * v;
    }
    return static_cast<double>(w.size()) * s2 / (s1 * s1);
}

// Per-frame residual (max |r| and Σ r² over the channels) into fixed
// buckets for the time view, and into 100 ms stretches of which the
// kWorstStretches largest local maxima are kept: O(buckets + N) memory.
class ResidualTimeline {
public:
    ResidualTimeline(int channels, int rate, int64_t total_frames, int64_t start_frame)
        : channels_(channels), rate_(rate), start_(start_frame),
          bucket_(std::max<int64_t>(1, (total_frames + kMaxResidualBuckets - 1) / kMaxResidualBuckets)),
          stretch_(std::max<int64_t>(1, std::llround(kWorstStretchS * rate))) {
        const auto buckets = static_cast<size_t>((total_frames + bucket_ - 1) / bucket_);
        peaks_.reserve(buckets);
        rms_.reserve(buckets);
        signal_rms_.reserve(buckets);
    }

    void add(double frame_peak, double frame_sq, double signal_sq) {
        bucket_signal_sq_ += signal_sq;
        bucket_acc_.add(frame_peak, frame_sq, frames_);
        if (bucket_acc_.frames == bucket_) close_bucket();
        stretch_acc_.add(frame_peak, frame_sq, frames_);
        if (stretch_acc_.frames == stretch_) close_stretch();
        ++frames_;
    }

    void finish(CompareResult& r) {
        if (bucket_acc_.frames > 0) close_bucket();
        if (stretch_acc_.frames > 0) close_stretch();
        if (have_prev_) decide(prev_, -1.0);   // the last stretch has no right neighbour
        have_prev_ = false;
        r.residual_start_s = static_cast<double>(start_) / rate_;
        r.residual_bucket_s = frames_ > 0 ? static_cast<double>(bucket_) / rate_ : 0.0;
        r.residual_peak_over_time = std::move(peaks_);
        r.residual_rms_over_time = std::move(rms_);
        r.signal_rms_over_time = std::move(signal_rms_);
        r.worst_stretches = std::move(worst_);
    }

private:
    struct Acc {
        int64_t first = 0, frames = 0, peak_at = 0;
        double peak = 0.0, sq = 0.0;
        void add(double p, double q, int64_t at) {
            if (frames == 0) first = at;
            if (p > peak) {
                peak = p;
                peak_at = at;
            }
            sq += q;
            ++frames;
        }
        double rms(int channels) const { return std::sqrt(sq / static_cast<double>(frames * channels)); }
    };

    void close_bucket() {
        peaks_.push_back(static_cast<float>(bucket_acc_.peak));
        rms_.push_back(static_cast<float>(bucket_acc_.rms(channels_)));
        signal_rms_.push_back(static_cast<float>(std::sqrt(bucket_signal_sq_ / static_cast<double>(bucket_acc_.frames * channels_))));
        bucket_acc_ = {};
        bucket_signal_sq_ = 0.0;
    }

    // Stretch k is a candidate once k + 1 is known: a local maximum,
    // >= its left neighbour and > its right one (a plateau counts once).
    void close_stretch() {
        if (have_prev_) decide(prev_, stretch_acc_.peak);
        prev_left_peak_ = have_prev_ ? prev_.peak : -1.0;
        prev_ = stretch_acc_;
        have_prev_ = true;
        stretch_acc_ = {};
    }

    void decide(const Acc& s, double right_peak) {
        if (!(s.peak > 0.0) || s.peak < prev_left_peak_ || !(s.peak > right_peak)) return;
        const double to_s = 1.0 / rate_;
        const ResidualStretch c{static_cast<double>(start_ + s.first) * to_s, static_cast<double>(start_ + s.first + s.frames) * to_s,
                                static_cast<double>(start_ + s.peak_at) * to_s, s.peak, s.rms(channels_)};
        // Largest first; among equal peaks the earlier stays ahead.
        const auto at = std::upper_bound(worst_.begin(), worst_.end(), c.peak, [](double p, const ResidualStretch& e) { return p > e.peak; });
        if (at - worst_.begin() >= kWorstStretches) return;
        worst_.insert(at, c);
        if (static_cast<int>(worst_.size()) > kWorstStretches) worst_.pop_back();
    }

    int channels_, rate_;
    int64_t start_, bucket_, stretch_;
    int64_t frames_ = 0;
    Acc bucket_acc_, stretch_acc_, prev_;
    bool have_prev_ = false;
    double prev_left_peak_ = -1.0;   // the peak of the stretch before prev_
    double bucket_signal_sq_ = 0.0;
    std::vector<float> peaks_, rms_, signal_rms_;
    std::vector<ResidualStretch> worst_;
};

}  // namespace

std::string timecode(double seconds) {
    const auto ms_total = static_cast<int64_t>(std::llround(std::max(0.0, seconds) * 1000.0));
    const int64_t ms = ms_total % 1000, s = ms_total / 1000 % 60, m = ms_total / 60000 % 60, h = ms_total / 3600000;
    char buf[48];
    if (h > 0)
        std::snprintf(buf, sizeof(buf), "%lld:%02lld:%02lld.%03lld", static_cast<long long>(h), static_cast<long long>(m), static_cast<long long>(s),
                      static_cast<long long>(ms));
    else
        std::snprintf(buf, sizeof(buf), "%02lld:%02lld.%03lld", static_cast<long long>(m), static_cast<long long>(s), static_cast<long long>(ms));
    return buf;
}

Alignment align(const AudioBuffer& a, const AudioBuffer& b, int64_t max_lag) {
    assert(a.channels() == b.channels() && b.frames() >= a.frames() + 2 * max_lag);
    Alignment out;
    out.searched = true;
    const int ch = a.channels();
    const int64_t w = a.frames(), m = b.frames();
    size_t n = 1;
    while (n < static_cast<size_t>(w + m)) n <<= 1;
    // c[k] = Σ_c Σ_i a_c[i]·b_c[i + k] for k = 0 .. 2·max_lag (lag k − max_lag):
    // C = Σ_c conj(A_c)·B_c, no wrap-around since n >= w + m.
    FftwArray<double> x(n), y(n);
    FftwArray<fftw_complex> X(n / 2 + 1), Y(n / 2 + 1), acc(n / 2 + 1);
    std::fill_n(&acc.data()[0][0], 2 * (n / 2 + 1), 0.0);
    const auto forward = FftPlan<double>::get(FftKind::RealForward, n);
    double energy_a = 0.0;
    std::vector<double> b_frame_sq(static_cast<size_t>(m), 0.0);
    for (int c = 0; c < ch; ++c) {
        std::fill_n(x.data(), n, 0.0);
        std::fill_n(y.data(), n, 0.0);
        for (int64_t i = 0; i < w; ++i) {
            x.data()[i] = a.channel(c)[i];
            energy_a += x.data()[i] * x.data()[i];
        }
        for (int64_t i = 0; i < m; ++i) {
            y.data()[i] = b.channel(c)[i];
            b_frame_sq[static_cast<size_t>(i)] += y.data()[i] * y.data()[i];
        }
        forward.r2c(x.data(), X.data());
        forward.r2c(y.data(), Y.data());
        for (size_t k = 0; k <= n / 2; ++k) {
            const std::complex<double> p = std::conj(std::complex<double>(X.data()[k][0], X.data()[k][1])) *
                                           std::complex<double>(Y.data()[k][0], Y.data()[k][1]);
            acc.data()[k][0] += p.real();
            acc.data()[k][1] += p.imag();
        }
    }
    FftPlan<double>::get(FftKind::RealInverse, n).c2r(acc.data(), x.data());
    const int64_t lags = 2 * max_lag + 1;
    std::vector<double> corr(static_cast<size_t>(lags));
    for (int64_t k = 0; k < lags; ++k) corr[static_cast<size_t>(k)] = x.data()[k] / static_cast<double>(n);
    // B's energy under A's window at each lag (prefix sums).
    std::vector<double> prefix(static_cast<size_t>(m) + 1, 0.0);
    for (int64_t i = 0; i < m; ++i) prefix[static_cast<size_t>(i) + 1] = prefix[static_cast<size_t>(i)] + b_frame_sq[static_cast<size_t>(i)];
    auto energy_b = [&](int64_t k) { return prefix[static_cast<size_t>(k + w)] - prefix[static_cast<size_t>(k)]; };

    if (!(energy_a > 0.0)) {
        out.credible = false;
        out.reason = "A is silent in the alignment window";
        return out;
    }
    if (!(prefix.back() > 0.0)) {
        out.correlation = 0.0;
        out.credible = false;
        out.reason = "B is silent where A plays";
        return out;
    }
    int64_t best = 0;
    for (int64_t k = 1; k < lags; ++k)
        if (std::abs(corr[static_cast<size_t>(k)]) > std::abs(corr[static_cast<size_t>(best)])) best = k;
    // Periodic material peaks at many lags: the one nearest 0 among equals.
    const double top = std::abs(corr[static_cast<size_t>(best)]);
    for (int64_t k = 0; k < lags; ++k)
        if (std::abs(corr[static_cast<size_t>(k)]) >= top * (1.0 - 1e-6) && std::abs(k - max_lag) < std::abs(best - max_lag)) best = k;
    out.offset_samples = best - max_lag;
    if (!(top > 0.0)) {  // e.g. side-only A against mid-only B: orthogonal at every lag
        out.offset_samples = 0;
        out.correlation = 0.0;
        out.credible = false;
        out.reason = "A and B do not correlate at any offset";
        return out;
    }
    const double eb = energy_b(best);
    if (!(eb > 0.0)) {
        out.correlation = 0.0;
        out.credible = false;
        out.reason = "B is silent where A plays";
        return out;
    }
    out.correlation = corr[static_cast<size_t>(best)] / std::sqrt(energy_a * eb);
    // The main lobe: the lags around the peak above half of it.
    const double peak = std::abs(corr[static_cast<size_t>(best)]);
    int64_t lo = best, hi = best;
    while (lo > 0 && std::abs(corr[static_cast<size_t>(lo - 1)]) >= 0.5 * peak) --lo;
    while (hi + 1 < lags && std::abs(corr[static_cast<size_t>(hi + 1)]) >= 0.5 * peak) ++hi;
    double other = 0.0;
    bool any_other = false;
    for (int64_t k = 0; k < lags; ++k)
        if (k < lo || k > hi) {
            other = std::max(other, std::abs(corr[static_cast<size_t>(k)]));
            any_other = true;
        }
    if (any_other) out.peak_ratio = other > 0.0 ? peak / other : std::numeric_limits<double>::infinity();
    const double rho = std::abs(*out.correlation);
    const double ratio = out.peak_ratio.value_or(std::numeric_limits<double>::infinity());
    out.credible = rho >= kCredibleCorrelation || (rho >= kWeakCorrelation && ratio >= kCrediblePeakRatio);
    if (!out.credible) {
        char buf[256];
        std::snprintf(buf, sizeof(buf), "the best offset (%lld samples) correlates at %.3f, its peak %.2f times the next",
                      static_cast<long long>(out.offset_samples), *out.correlation, ratio);
        out.reason = buf;
    }
    return out;
}

Result<CompareResult> compare_files(const std::filesystem::path& fa, const std::filesystem::path& fb, const CompareOptions& o) {
    if (!(o.max_offset_s >= 0.0 && o.max_offset_s <= 10.0)) return fail(ErrorCode::InvalidArgument, "compare: max offset must be in [0, 10] s");
    if (!(o.align_s > 0.0 && o.align_s <= 60.0)) return fail(ErrorCode::InvalidArgument, "compare: alignment window must be in (0, 60] s");
    auto sa = open(fa);
    if (!sa) return std::unexpected(sa.error());
    const int rate = sa->sample_rate();
    auto sb = open(fb, rate);  // B at A's rate (soxr) when they differ
    if (!sb) return std::unexpected(sb.error());
    if (sa->channels() != sb->channels())
        return fail(ErrorCode::InvalidArgument, "compare: " + fa.string() + " has " + std::to_string(sa->channels()) + " channels but " +
                                                    fb.string() + " has " + std::to_string(sb->channels()));
    CompareResult r;
    r.file_a = fa.string();
    r.file_b = fb.string();
    r.sample_rate = rate;
    r.b_sample_rate = sb->info().sample_rate;
    r.channels = sa->channels();
    const int ch = r.channels;
    if (cancel_requested(o.cancel)) return std::unexpected(cancelled_error("cancelled"));

    // ---- alignment ----
    const std::string pair = "compare: cannot align " + fb.string() + " with " + fa.string() + ": ";
    const std::string hint = " (--max-offset 0 compares them sample by sample, without aligning)";
    if (o.max_offset_s > 0.0) {
        auto start = first_content(fa, o.cancel);
        if (!start) return std::unexpected(start.error());
        if (!*start) return fail(ErrorCode::InvalidArgument, pair + "A is silent throughout (below -100 dBFS): there is nothing to align on" + hint);
        const auto max_lag = static_cast<int64_t>(std::llround(o.max_offset_s * rate));
        const int64_t window = std::min<int64_t>(std::llround(o.align_s * rate), sa->frames() - **start);
        auto wa = read_stretch(fa, 0, **start, window, o.cancel);
        if (!wa) return std::unexpected(wa.error());
        auto wb = read_stretch(fb, rate, **start - max_lag, window + 2 * max_lag, o.cancel);
        if (!wb) return std::unexpected(wb.error());
        if (cancel_requested(o.cancel)) return std::unexpected(cancelled_error("cancelled"));
        r.alignment = align(*wa, *wb, max_lag);
        r.alignment.window_start_s = static_cast<double>(**start) / rate;
        r.alignment.window_s = static_cast<double>(window) / rate;
        if (!r.alignment.credible) {
            char where[96];
            std::snprintf(where, sizeof(where), " (alignment window %s-%s)", timecode(r.alignment.window_start_s).c_str(),
                          timecode(r.alignment.window_start_s + r.alignment.window_s).c_str());
            return fail(ErrorCode::InvalidArgument, pair + r.alignment.reason + where +
                                                        "; an alignment needs a correlation of at least 0.5, or 0.1 with a peak 3 times any other" + hint);
        }
    }
    r.offset_samples = r.alignment.offset_samples;

    if (r.offset_samples > 0) {
        if (auto s = skip(*sb, r.offset_samples, o.cancel); !s) return std::unexpected(s.error());
    } else if (r.offset_samples < 0) {
        if (auto s = skip(*sa, -r.offset_samples, o.cancel); !s) return std::unexpected(s.error());
    }
    const int64_t left_a = sa->frames() - std::max<int64_t>(0, -r.offset_samples);
    const int64_t left_b = sb->frames() - std::max<int64_t>(0, r.offset_samples);
    const int64_t total = std::max<int64_t>(0, std::min(left_a, left_b));
    r.frames_compared = total;
    if (total == 0)
        return fail(ErrorCode::InvalidArgument, "compare: " + fa.string() + " and " + fb.string() + " do not overlap at offset " +
                                                    std::to_string(r.offset_samples) + " samples: nothing to compare");

    LoudnessOptions lo;
    lo.sample_rate = rate;
    lo.channels = ch;
    auto la = LoudnessMeter::create(lo), lb = LoudnessMeter::create(lo);
    if (!la) return std::unexpected(la.error());
    auto ta = TruePeakMeter::create(ch), tb = TruePeakMeter::create(ch);
    // Per channel, for the spectrum and the bands: every channel counts (a
    // side-only residual too, which the channel mean would cancel).
    std::vector<WelchAnalyzer> res_welch, sig_welch;
    for (int c = 0; c < ch; ++c) {
        auto x = WelchAnalyzer::create(rate, 1, o.spectrum);
        auto y = WelchAnalyzer::create(rate, 1, o.spectrum);
        if (!x || !y) return std::unexpected(x ? y.error() : x.error());
        res_welch.push_back(std::move(*x));
        sig_welch.push_back(std::move(*y));
    }
    LevelMeter res_levels(ch);
    ResidualTimeline timeline(ch, rate, total, std::max<int64_t>(0, -r.offset_samples));
    double sig = 0.0, res = 0.0, res_sig = 0.0;   // Σ A², Σ r², Σ r·A

    constexpr int64_t kBlock = 65536;
    AudioBuffer ba(ch, kBlock), bb(ch, kBlock), diff(ch, kBlock);
    for (int64_t pos = 0; pos < total; pos += kBlock) {
        if (cancel_requested(o.cancel)) return std::unexpected(cancelled_error("cancelled"));
        const int64_t n = std::min(kBlock, total - pos);
        if (auto g = sa->read(ba, n); !g) return std::unexpected(g.error());
        if (auto g = sb->read(bb, n); !g) return std::unexpected(g.error());
        for (int c = 0; c < ch; ++c) {
            const float* x = ba.channel(c);
            const float* y = bb.channel(c);
            float* d = diff.channel(c);
            for (int64_t i = 0; i < n; ++i) {
                d[i] = y[i] - x[i];
                sig += static_cast<double>(x[i]) * x[i];
                res += static_cast<double>(d[i]) * d[i];
                res_sig += static_cast<double>(d[i]) * x[i];
            }
            const float* dp = d;
            res_welch[static_cast<size_t>(c)].add(&dp, n);
            sig_welch[static_cast<size_t>(c)].add(&x, n);
        }
        res_levels.add(diff, n);
        la->add(ba, n);
        lb->add(bb, n);
        ta->add(ba, n);
        tb->add(bb, n);
        for (int64_t i = 0; i < n; ++i) {
            double peak = 0.0, sq = 0.0, signal_sq = 0.0;
            for (int c = 0; c < ch; ++c) {
                const double d = diff.channel(c)[i];
                const double x = ba.channel(c)[i];
                peak = std::max(peak, std::abs(d));
                sq += d * d;
                signal_sq += x * x;
            }
            timeline.add(peak, sq, signal_sq);
        }
        if (o.progress) o.progress(static_cast<double>(pos + n) / static_cast<double>(total));
    }
    timeline.finish(r);
    r.residual_peak = res_levels.sample_peak();
    r.residual_rms = res_levels.rms();
    if (res > 0.0 && sig > 0.0) r.snr_db = 10.0 * std::log10(sig / res);
    // B = A + r: g = Σ A·B / Σ A² = 1 + Σ r·A / Σ A², and Σ (B − g·A)² = Σ r² − (Σ r·A)² / Σ A²,
    // computed from r so that a tiny residual keeps its digits.
    if (sig > 0.0) {
        r.gain = 1.0 + res_sig / sig;
        const double left = std::max(0.0, res - res_sig * res_sig / sig);
        r.residual_rms_gain_matched = std::sqrt(left / (static_cast<double>(total) * ch));
    }
    const auto ia = la->integrated_lufs(), ib = lb->integrated_lufs();
    if (ia && ib) r.integrated_diff_lu = *ib - *ia;
    const auto pa = ta->true_peak_dbtp(), pb = tb->true_peak_dbtp();
    if (pa && pb) r.true_peak_diff_db = *pb - *pa;
    const double enbw = equivalent_noise_bandwidth(o.spectrum);
    r.bands = octave_bands(rate / 2.0);
    for (int c = 0; c < ch; ++c) {
        res_welch[static_cast<size_t>(c)].finish();
        sig_welch[static_cast<size_t>(c)].finish();
        const Spectrum rs = res_welch[static_cast<size_t>(c)].spectrum();
        const Spectrum ss = sig_welch[static_cast<size_t>(c)].spectrum();
        if (c == 0) {
            r.residual_spectrum = rs;
            std::fill(r.residual_spectrum.power.begin(), r.residual_spectrum.power.end(), 0.0);
        }
        for (size_t k = 0; k < rs.power.size(); ++k) r.residual_spectrum.power[k] += rs.power[k] / ch;
        for (ResidualBand& b : r.bands) {
            b.residual_ms += band_mean_square(rs, enbw, b.low_hz, b.high_hz) / ch;
            b.signal_ms += band_mean_square(ss, enbw, b.low_hz, b.high_hz) / ch;
        }
    }
    return r;
}

nlohmann::json to_json(const CompareResult& r) {
    nlohmann::json j = {
        {"file_a", r.file_a},
        {"file_b", r.file_b},
        {"sample_rate", r.sample_rate},
        {"channels", r.channels},
        {"offset_samples", r.offset_samples},
        {"frames_compared", r.frames_compared},
        {"residual_peak_dbfs", num(to_dbfs(r.residual_peak))},
        {"residual_rms_dbfs", num(to_dbfs(r.residual_rms))},
        {"snr_db", num(r.snr_db)},
        {"integrated_diff_lu", num(r.integrated_diff_lu)},
        {"true_peak_diff_db", num(r.true_peak_diff_db)},
        {"b_sample_rate", r.b_sample_rate},
        {"b_resampled", r.b_sample_rate != r.sample_rate},
    };
    const Alignment& al = r.alignment;
    j["alignment"] = {{"searched", al.searched},
                      {"offset_samples", al.offset_samples},
                      {"correlation", num(al.correlation)},
                      {"peak_ratio", num(al.peak_ratio)},
                      {"credible", al.credible},
                      {"window_start_s", al.window_start_s},
                      {"window_s", al.window_s}};
    if (r.gain) {
        j["gain_diff_db"] = num(to_dbfs(std::abs(*r.gain)));
        j["gain_polarity_inverted"] = *r.gain < 0.0;
        j["residual_rms_gain_matched_dbfs"] = num(to_dbfs(r.residual_rms_gain_matched));
        const double sig_ms = r.residual_rms > 0.0 && r.snr_db ? r.residual_rms * r.residual_rms * std::pow(10.0, *r.snr_db / 10.0) : 0.0;
        j["snr_gain_matched_db"] = r.residual_rms_gain_matched > 0.0 && sig_ms > 0.0
                                       ? num(10.0 * std::log10(sig_ms / (r.residual_rms_gain_matched * r.residual_rms_gain_matched)))
                                       : nlohmann::json(nullptr);
    } else {
        j["gain_diff_db"] = nullptr;
        j["gain_polarity_inverted"] = nullptr;
        j["residual_rms_gain_matched_dbfs"] = nullptr;
        j["snr_gain_matched_db"] = nullptr;
    }
    nlohmann::json bands = nlohmann::json::array();
    auto ms_db = [](double ms) { return num(ms > 0.0 ? std::optional<double>(10.0 * std::log10(ms)) : std::nullopt); };
    for (const ResidualBand& b : r.bands)
        bands.push_back({{"center_hz", b.center_hz},
                         {"low_hz", b.low_hz},
                         {"high_hz", b.high_hz},
                         {"residual_dbfs", ms_db(b.residual_ms)},
                         {"signal_dbfs", ms_db(b.signal_ms)},
                         {"snr_db", b.residual_ms > 0.0 && b.signal_ms > 0.0 ? num(10.0 * std::log10(b.signal_ms / b.residual_ms))
                                                                             : nlohmann::json(nullptr)}});
    j["bands"] = bands;
    const auto sm = smooth_octave(r.residual_spectrum, 3, 20.0, 3);
    nlohmann::json f = nlohmann::json::array(), p = nlohmann::json::array();
    for (size_t i = 0; i < sm.freq_hz.size(); ++i) {
        f.push_back(sm.freq_hz[i]);
        p.push_back(num(sm.power[i] > 0.0 ? std::optional<double>(10.0 * std::log10(sm.power[i])) : std::nullopt));
    }
    j["residual_spectrum"] = {{"third_octave_hz", f}, {"third_octave_db", p}};
    auto db = [](double linear) { return num(to_dbfs(linear)); };
    nlohmann::json peaks = nlohmann::json::array(), rms = nlohmann::json::array();
    for (float v : r.residual_peak_over_time) peaks.push_back(db(v));
    for (float v : r.residual_rms_over_time) rms.push_back(db(v));
    j["residual_start_s"] = r.residual_start_s;
    j["residual_bucket_s"] = r.residual_bucket_s;
    j["residual_peak_dbfs_over_time"] = peaks;
    j["residual_rms_dbfs_over_time"] = rms;
    nlohmann::json signal = nlohmann::json::array();
    for (float v : r.signal_rms_over_time) signal.push_back(db(v));
    j["signal_rms_dbfs_over_time"] = signal;
    nlohmann::json worst = nlohmann::json::array();
    for (const ResidualStretch& w : r.worst_stretches)
        worst.push_back({{"start_s", w.start_s},
                         {"end_s", w.end_s},
                         {"peak_s", w.peak_s},
                         {"start_timecode", timecode(w.start_s)},
                         {"peak_timecode", timecode(w.peak_s)},
                         {"peak_dbfs", db(w.peak)},
                         {"rms_dbfs", db(w.rms)}});
    j["worst_stretches"] = worst;
    return j;
}

}  // namespace sf::analysis
