#include "analysis/compare.h"

#include <algorithm>
#include <cmath>
#include <complex>

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

Result<AudioSource> open(const std::filesystem::path& f) {
    SourceOptions so;
    so.max_channels = kMaxAnalysisChannels;
    return AudioSource::open(f, so);
}

// The channel mean of the first `frames` frames.
Result<std::vector<float>> read_mean(const std::filesystem::path& f, int64_t frames) {
    auto s = open(f);
    if (!s) return std::unexpected(s.error());
    const int64_t n = std::min(frames, s->frames());
    AudioBuffer b(s->channels(), std::max<int64_t>(n, 1));
    if (n > 0) {
        auto got = s->read(b, n);
        if (!got) return std::unexpected(got.error());
    }
    std::vector<float> m(static_cast<size_t>(n), 0.0f);
    for (int c = 0; c < s->channels(); ++c)
        for (int64_t i = 0; i < n; ++i) m[static_cast<size_t>(i)] += b.channel(c)[i] / static_cast<float>(s->channels());
    return m;
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

int64_t best_lag(const std::vector<float>& a, const std::vector<float>& b, int64_t max_lag) {
    if (a.empty() || b.empty()) return 0;
    size_t n = 1;
    while (n < a.size() + b.size()) n <<= 1;
    FftwArray<float> xs(n), ys(n);  // zero-filled: the padding
    FftwArray<fftwf_complex> Xs(n / 2 + 1), Ys(n / 2 + 1);
    float* x = xs.data();
    fftwf_complex* X = Xs.data();
    fftwf_complex* Y = Ys.data();
    std::copy(a.begin(), a.end(), xs.data());
    std::copy(b.begin(), b.end(), ys.data());
    const auto forward = FftPlan<float>::get(FftKind::RealForward, n);
    forward.r2c(xs.data(), X);
    forward.r2c(ys.data(), Y);
    // c[lag] = Σ a[n]·b[n + lag]  ⇔  C = conj(A)·B, circular with lag < 0 wrapped.
    for (size_t k = 0; k <= n / 2; ++k) {
        const std::complex<double> A(X[k][0], X[k][1]), B(Y[k][0], Y[k][1]);
        const std::complex<double> c = std::conj(A) * B;
        X[k][0] = static_cast<float>(c.real());
        X[k][1] = static_cast<float>(c.imag());
    }
    FftPlan<float>::get(FftKind::RealInverse, n).c2r(X, x);
    int64_t best = 0;
    double best_v = -1e300;
    const auto ni = static_cast<int64_t>(n);
    for (int64_t lag = -max_lag; lag <= max_lag; ++lag) {
        if (lag >= ni || -lag >= ni) continue;
        const double v = x[static_cast<size_t>((lag + ni) % ni)];
        if (v > best_v) {
            best_v = v;
            best = lag;
        }
    }
    return best;
}

Result<CompareResult> compare_files(const std::filesystem::path& fa, const std::filesystem::path& fb, const CompareOptions& o) {
    if (!(o.max_offset_s >= 0.0 && o.max_offset_s <= 10.0)) return fail(ErrorCode::InvalidArgument, "compare: max offset must be in [0, 10] s");
    if (!(o.align_s > 0.0 && o.align_s <= 60.0)) return fail(ErrorCode::InvalidArgument, "compare: alignment window must be in (0, 60] s");
    auto sa = open(fa);
    if (!sa) return std::unexpected(sa.error());
    auto sb = open(fb);
    if (!sb) return std::unexpected(sb.error());
    if (sa->sample_rate() != sb->sample_rate())
        return fail(ErrorCode::InvalidArgument, "compare: " + fa.string() + " is " + std::to_string(sa->sample_rate()) + " Hz but " + fb.string() +
                                                    " is " + std::to_string(sb->sample_rate()) + " Hz");
    if (sa->channels() != sb->channels())
        return fail(ErrorCode::InvalidArgument, "compare: " + fa.string() + " has " + std::to_string(sa->channels()) + " channels but " +
                                                    fb.string() + " has " + std::to_string(sb->channels()));
    CompareResult r;
    r.file_a = fa.string();
    r.file_b = fb.string();
    r.sample_rate = sa->sample_rate();
    r.channels = sa->channels();
    const int rate = r.sample_rate, ch = r.channels;
    if (cancel_requested(o.cancel)) return std::unexpected(cancelled_error("cancelled"));

    // Alignment on the channel means of the first align_s seconds.
    const auto max_lag = static_cast<int64_t>(std::llround(o.max_offset_s * rate));
    const auto window = static_cast<int64_t>(std::llround(o.align_s * rate));
    auto ma = read_mean(fa, window);
    if (!ma) return std::unexpected(ma.error());
    auto mb = read_mean(fb, window + max_lag);
    if (!mb) return std::unexpected(mb.error());
    r.offset_samples = best_lag(*ma, *mb, max_lag);

    if (r.offset_samples > 0) {
        if (auto s = skip(*sb, r.offset_samples, o.cancel); !s) return std::unexpected(s.error());
    } else if (r.offset_samples < 0) {
        if (auto s = skip(*sa, -r.offset_samples, o.cancel); !s) return std::unexpected(s.error());
    }
    const int64_t left_a = sa->frames() - std::max<int64_t>(0, -r.offset_samples);
    const int64_t left_b = sb->frames() - std::max<int64_t>(0, r.offset_samples);
    const int64_t total = std::max<int64_t>(0, std::min(left_a, left_b));
    r.frames_compared = total;

    LoudnessOptions lo;
    lo.sample_rate = rate;
    lo.channels = ch;
    auto la = LoudnessMeter::create(lo), lb = LoudnessMeter::create(lo);
    if (!la) return std::unexpected(la.error());
    auto ta = TruePeakMeter::create(ch), tb = TruePeakMeter::create(ch);
    auto welch = WelchAnalyzer::create(rate, 1, o.spectrum);
    if (!welch) return std::unexpected(welch.error());
    LevelMeter res_levels(ch);
    ResidualTimeline timeline(ch, rate, total, std::max<int64_t>(0, -r.offset_samples));
    double sig = 0.0, res = 0.0;

    constexpr int64_t kBlock = 65536;
    AudioBuffer ba(ch, kBlock), bb(ch, kBlock), diff(ch, kBlock);
    std::vector<float> mean(kBlock);
    for (int64_t pos = 0; pos < total; pos += kBlock) {
        if (cancel_requested(o.cancel)) return std::unexpected(cancelled_error("cancelled"));
        const int64_t n = std::min(kBlock, total - pos);
        if (auto g = sa->read(ba, n); !g) return std::unexpected(g.error());
        if (auto g = sb->read(bb, n); !g) return std::unexpected(g.error());
        std::fill_n(mean.begin(), n, 0.0f);
        for (int c = 0; c < ch; ++c) {
            const float* x = ba.channel(c);
            const float* y = bb.channel(c);
            float* d = diff.channel(c);
            for (int64_t i = 0; i < n; ++i) {
                d[i] = y[i] - x[i];
                sig += static_cast<double>(x[i]) * x[i];
                res += static_cast<double>(d[i]) * d[i];
                mean[static_cast<size_t>(i)] += d[i] / static_cast<float>(ch);
            }
        }
        res_levels.add(diff, n);
        la->add(ba, n);
        lb->add(bb, n);
        ta->add(ba, n);
        tb->add(bb, n);
        const float* m = mean.data();
        welch->add(&m, n);
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
    if (o.progress && total == 0) o.progress(1.0);   // nothing compared: still report the end
    welch->finish();
    timeline.finish(r);
    r.residual_peak = res_levels.sample_peak();
    r.residual_rms = res_levels.rms();
    if (res > 0.0 && sig > 0.0) r.snr_db = 10.0 * std::log10(sig / res);
    const auto ia = la->integrated_lufs(), ib = lb->integrated_lufs();
    if (ia && ib) r.integrated_diff_lu = *ib - *ia;
    const auto pa = ta->true_peak_dbtp(), pb = tb->true_peak_dbtp();
    if (pa && pb) r.true_peak_diff_db = *pb - *pa;
    r.residual_spectrum = welch->spectrum();
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
    };
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
        worst.push_back({{"start_s", w.start_s}, {"end_s", w.end_s}, {"peak_s", w.peak_s}, {"peak_dbfs", db(w.peak)}, {"rms_dbfs", db(w.rms)}});
    j["worst_stretches"] = worst;
    return j;
}

}  // namespace sf::analysis
