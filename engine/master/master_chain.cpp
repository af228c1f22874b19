#include "engine/master/master_chain.h"

#include <algorithm>
#include <cassert>
#include <cmath>
#include <cstdio>
#include <sstream>
#include <unistd.h>

#include "engine/audio/audio_file.h"
#include "engine/core/clock.h"
#include "engine/core/fault.h"
#include "engine/dsp/compressor.h"
#include "engine/dsp/delay_line.h"
#include "engine/dsp/eq_design.h"
#include "engine/dsp/fft_convolver.h"
#include "engine/dsp/gain.h"
#include "engine/export/export_sink.h"
#include "engine/export/metadata.h"
#include "engine/master/crossover.h"
#include "engine/master/stereo_tools.h"


namespace sf::master {

// ---------------------------------------------------------------------------
// Spool

struct Spool::Impl {
    std::filesystem::path path;
    std::FILE* file = nullptr;
    int channels = 0;
    int64_t frames = 0;
    std::vector<float> interleaved;
    ~Impl() {
        if (file) std::fclose(file);
        std::error_code ec;
        if (!path.empty()) std::filesystem::remove(path, ec);
    }
};

Spool::Spool(std::unique_ptr<Impl> impl) : impl_(std::move(impl)) {}
Spool::Spool(Spool&&) noexcept = default;
Spool& Spool::operator=(Spool&&) noexcept = default;
Spool::~Spool() = default;

Result<Spool> Spool::create(const std::filesystem::path& dir, int channels) {
    static std::atomic<unsigned> counter{0};
    auto impl = std::make_unique<Impl>();
    impl->channels = channels;
    std::error_code ec;
    std::filesystem::create_directories(dir, ec);
    impl->path = dir / (".stemforge-spool-" + std::to_string(::getpid()) + "-" + std::to_string(counter.fetch_add(1)) + ".f32");
    impl->file = fault::io_error(fault::IoOp::Create, impl->path) ? nullptr : std::fopen(impl->path.c_str(), "w+b");
    if (!impl->file) {
        impl->path.clear();
        return fail(ErrorCode::FileWrite, (dir / ".stemforge-spool").string() + ": cannot create the master's temporary file");
    }
    return Spool(std::move(impl));
}

int Spool::channels() const { return impl_->channels; }
int64_t Spool::frames() const { return impl_->frames; }

Result<void> Spool::write(const AudioBuffer& block, int64_t frames) {
    Impl& s = *impl_;
    const size_t ch = static_cast<size_t>(s.channels);
    s.interleaved.resize(static_cast<size_t>(frames) * ch);
    for (size_t c = 0; c < ch; ++c) {
        const float* src = block.channel(static_cast<int>(c));
        for (int64_t i = 0; i < frames; ++i) s.interleaved[static_cast<size_t>(i) * ch + c] = src[i];
    }
    if (fault::io_error(fault::IoOp::Write, s.path) || std::fwrite(s.interleaved.data(), sizeof(float), s.interleaved.size(), s.file) != s.interleaved.size())
        return fail(ErrorCode::FileWrite, s.path.string() + ": cannot write the master's temporary file (disk full?)");
    s.frames += frames;
    return {};
}

Result<void> Spool::rewind() {
    if (std::fflush(impl_->file) != 0 || std::fseek(impl_->file, 0, SEEK_SET) != 0)
        return fail(ErrorCode::FileWrite, impl_->path.string() + ": cannot rewind the master's temporary file");
    return {};
}

Result<int64_t> Spool::read(AudioBuffer& out, int64_t frames) {
    Impl& s = *impl_;
    const size_t ch = static_cast<size_t>(s.channels);
    out.resize(s.channels, frames);
    s.interleaved.resize(static_cast<size_t>(frames) * ch);
    const size_t got = std::fread(s.interleaved.data(), sizeof(float) * ch, static_cast<size_t>(frames), s.file);
    if (got < static_cast<size_t>(frames) && std::ferror(s.file))
        return fail(ErrorCode::FileRead, s.path.string() + ": cannot read the master's temporary file");
    for (size_t c = 0; c < ch; ++c) {
        float* dst = out.channel(static_cast<int>(c));
        for (size_t i = 0; i < got; ++i) dst[i] = s.interleaved[i * ch + c];
    }
    return static_cast<int64_t>(got);
}

// ---------------------------------------------------------------------------

namespace {

std::string fmt(double v, int digits = 2) {
    if (!std::isfinite(v)) return v < 0 ? "-inf" : "inf";
    char buf[64];
    std::snprintf(buf, sizeof buf, "%.*f", digits, v);
    return buf;
}

// Step 1's stages, stereo in, (L, R, true-peak envelope) out.
class PreChain {
public:
    static Result<std::unique_ptr<PreChain>> create(const MasterSpec& m, int rate, MasterReport& report) {
        auto pc = std::unique_ptr<PreChain>(new PreChain());
        if (m.eq) {
            auto design = design_eq(*m.eq, rate);
            if (!design) return std::unexpected(Error{design.error().code, "master.eq: " + design.error().message, 0});
            report.eq_max_error_db = design->max_error_db;
            if (!design->identity()) {
                auto conv = FftConvolver::create(diagonal_kernels(2, design->taps));
                if (!conv) return std::unexpected(Error{conv.error().code, "master.eq: " + conv.error().message, 0});
                pc->eq_latency_ = conv->latency_frames() + design->latency_frames;
                pc->eq_ = std::make_unique<FftConvolver>(std::move(*conv));
            }
        }
        if (m.multiband) {
            const MultibandSpec& mb = *m.multiband;
            pc->bank_ = std::make_unique<CrossoverBank>(design_crossover(mb.crossovers_hz, rate), 2);
            for (const MultibandBand& b : mb.bands) {
                CompressorSpec cs;
                cs.threshold_db = b.threshold_db;
                cs.ratio = b.ratio;
                cs.knee_db = b.knee_db;
                cs.attack_ms = b.attack_ms;
                cs.release_ms = b.release_ms;
                cs.makeup_db = b.makeup_db;
                cs.detector = Detector::Peak;
                pc->compressors_.emplace_back(cs, rate);
                pc->widths_.push_back(b.width);
            }
        }
        StereoToolsSpec st;
        st.width = m.width.value_or(1.0);
        st.mono_below_hz = m.mono_below_hz;
        st.balance = m.balance.value_or(0.0);
        if (!st.is_identity()) pc->stereo_ = std::make_unique<StereoTools>(st, rate);
        pc->detector_delay_ = DelayLine(2, TruePeakDetector::latency_frames());
        return pc;
    }

    int64_t latency_frames() const {
        return eq_latency_ + (bank_ ? bank_->latency_frames() : 0) + (stereo_ ? stereo_->latency_frames() : 0) +
               TruePeakDetector::latency_frames();
    }

    // x: 2 channels (modified); out: 3 channels.
    void process(AudioBuffer& x, int64_t n, AudioBuffer& out) {
        if (eq_) {
            scratch_.resize(2, n);
            const float* in[2] = {x.channel(0), x.channel(1)};
            float* o[2] = {scratch_.channel(0), scratch_.channel(1)};
            eq_->process(in, o, n);
            for (int c = 0; c < 2; ++c) std::copy_n(scratch_.channel(c), n, x.channel(c));
        }
        if (bank_) {
            bank_->process(x, n, bands_);
            for (int c = 0; c < 2; ++c) std::fill_n(x.channel(c), n, 0.0f);
            for (size_t b = 0; b < bands_.size(); ++b) {
                float* ch[2] = {bands_[b].channel(0), bands_[b].channel(1)};
                compressors_[b].process(ch, 2, n);
                apply_width(bands_[b], n, widths_[b]);
                for (int c = 0; c < 2; ++c) {
                    float* dst = x.channel(c);
                    const float* src = bands_[b].channel(c);
                    for (int64_t i = 0; i < n; ++i) dst[i] += src[i];
                }
            }
        }
        if (stereo_) stereo_->process(x, n);
        out.resize(3, n);
        detector_.process(x, n, out.channel(2));
        {  // align the signal with its envelope
            float* ch[2] = {x.channel(0), x.channel(1)};
            detector_delay_.process(ch, n);
        }
        for (int c = 0; c < 2; ++c) std::copy_n(x.channel(c), n, out.channel(c));
    }

private:
    PreChain() = default;
    std::unique_ptr<FftConvolver> eq_;
    int64_t eq_latency_ = 0;
    std::unique_ptr<CrossoverBank> bank_;
    std::vector<Compressor> compressors_;
    std::vector<double> widths_;
    std::unique_ptr<StereoTools> stereo_;
    TruePeakDetector detector_{2};
    DelayLine detector_delay_;
    AudioBuffer scratch_;
    std::vector<AudioBuffer> bands_;
};

// Streams `in` through `stage` (latency compensated: `latency` leading output
// frames dropped, zeros fed after the end) and hands exactly in.frames()
// aligned frames to `sink`.
template <class Stage, class Sink>
Result<void> run_pass(Spool& in, int64_t block, int64_t latency, const std::atomic<bool>* cancel, Stage&& stage, Sink&& sink) {
    if (auto ok = in.rewind(); !ok) return ok;
    const int64_t total = in.frames();
    AudioBuffer buf, out;
    int64_t fed = 0, delivered = 0, dropped = 0;
    while (delivered < total) {
        if (cancel_requested(cancel)) return std::unexpected(cancelled_error());
        const int64_t n = block;
        auto got = in.read(buf, n);  // zeros past the end: the flush
        if (!got) return std::unexpected(got.error());
        fed += n;
        stage(buf, n, out);
        int64_t from = 0;
        if (dropped < latency) {
            from = std::min(n, latency - dropped);
            dropped += from;
        }
        const int64_t take = std::min(n - from, total - delivered);
        if (take > 0) {
            if (from > 0)
                for (int c = 0; c < out.channels(); ++c) std::copy_n(out.channel(c) + from, take, out.channel(c));
            if (auto ok = sink(out, take); !ok) return ok;
            delivered += take;
        }
    }
    return {};
}

// Step 2/3's stage: (L, R, envelope) -> limited stereo. With `exact`, the
// limiter's CeilingGuard follows the gain (true_peak_limiter.h, part 3), so
// the delivered master's true peak is at or under the working ceiling by the
// one definition; the loudness loop's passes leave it out, since its
// corrections (about 1e-5 in gain) cannot move the integrated loudness.
class LimiterStage {
public:
    LimiterStage(const std::optional<LimiterSpec>& spec, double gain_db, double ceiling_dbtp, int rate, int64_t frames, bool exact) {
        if (spec) {
            gain_ = std::make_unique<LimiterGain>(LimiterSettings{ceiling_dbtp, spec->release_ms, spec->lookahead_ms, gain_db}, rate);
            gain_->set_stats_limit(frames);
            delay_ = DelayLine(2, gain_->latency_frames());
            if (exact) guard_ = std::make_unique<CeilingGuard>(ceiling_dbtp, 2);
        } else {
            plain_gain_ = static_cast<float>(db_to_gain(gain_db));
        }
    }
    int64_t latency_frames() const {
        return (gain_ ? gain_->latency_frames() : 0) + (guard_ ? CeilingGuard::latency_frames() : 0);
    }
    void operator()(AudioBuffer& in, int64_t n, AudioBuffer& out) {
        out.resize(2, n);
        if (gain_) {
            g_.resize(static_cast<size_t>(n));
            gain_->process(in.channel(2), n, g_.data());
            float* ch[2] = {in.channel(0), in.channel(1)};
            delay_.process(ch, n);
            for (int c = 0; c < 2; ++c) {
                const float* x = in.channel(c);
                float* y = out.channel(c);
                for (int64_t i = 0; i < n; ++i) y[i] = x[i] * g_[static_cast<size_t>(i)];
            }
            if (guard_) guard_->process(out, n);
        } else {
            for (int c = 0; c < 2; ++c) {
                const float* x = in.channel(c);
                float* y = out.channel(c);
                for (int64_t i = 0; i < n; ++i) y[i] = x[i] * plain_gain_;
            }
        }
    }
    std::optional<LimiterStats> stats() const { return gain_ ? std::optional(gain_->stats()) : std::nullopt; }
    std::optional<GuardStats> guard_stats() const { return guard_ ? std::optional(guard_->stats()) : std::nullopt; }

private:
    std::unique_ptr<LimiterGain> gain_;
    DelayLine delay_;
    std::unique_ptr<CeilingGuard> guard_;
    float plain_gain_ = 1.0f;
    std::vector<float> g_;
};

struct PassResult {
    LoudnessStats loudness;
    std::optional<LimiterStats> limiter;
};

}  // namespace

// ---------------------------------------------------------------------------

Result<MasterOutput> render_master(const MasterJob& job, Spool& mix) {
    const Session& session = *job.session;
    assert(session.master && mix.channels() == 2);
    const MasterSpec& m = *session.master;
    const int rate = session.sample_rate;
    const int64_t frames = mix.frames();
    MasterOutput result;
    MasterReport& report = result.report;
    report.preset = m.preset;
    report.target_lufs = m.loudness_target_lufs;
    if (m.limiter) report.ceiling_dbtp = m.limiter->ceiling_dbtp;

    const bool need_probe = m.loudness_target_lufs.has_value() ||
                            std::any_of(job.exports.begin(), job.exports.end(), [](const ExportSpec& e) { return e.format == ExportFormat::Bwf; });
    if (need_probe && !job.probe)
        return fail(ErrorCode::InvalidArgument, "master: a loudness target or a BWF export needs a loudness meter, and none was given");

    // ---- 1. pre-chain ----
    auto t0 = Clock::now();
    auto chain = PreChain::create(m, rate, report);
    if (!chain) return std::unexpected(chain.error());
    report.latency_frames = (*chain)->latency_frames();
    const std::filesystem::path spool_dir = job.exports.empty() ? std::filesystem::temp_directory_path()
                                                                 : job.exports.front().file.parent_path();
    auto pre = Spool::create(spool_dir.empty() ? std::filesystem::path(".") : spool_dir, 3);
    if (!pre) return std::unexpected(pre.error());
    std::unique_ptr<LoudnessProbe> pre_probe = job.probe ? job.probe() : nullptr;
    if (pre_probe) pre_probe->reset(rate, 2, false);
    auto ok = run_pass(mix, job.block_frames, report.latency_frames, job.cancel,
                       [&](AudioBuffer& b, int64_t n, AudioBuffer& out) { (*chain)->process(b, n, out); },
                       [&](const AudioBuffer& out, int64_t n) -> Result<void> {
                           if (pre_probe) pre_probe->add(out, n);
                           return pre->write(out, n);
                       });
    if (!ok) return std::unexpected(ok.error());
    if (pre_probe) report.pre_limiter = pre_probe->stats();
    result.timing_s["master_prechain"] = seconds_since(t0);
    chain->reset();

    // One pass of step 2: the limiter (or plain gain) at `gain_db`, measured.
    auto loop_pass = [&](double gain_db, double ceiling_dbtp) -> Result<PassResult> {
        LimiterStage stage(m.limiter, gain_db, ceiling_dbtp, rate, frames, /*exact=*/false);
        std::unique_ptr<LoudnessProbe> probe = job.probe();
        probe->reset(rate, 2, false);
        auto r = run_pass(*pre, job.block_frames, stage.latency_frames(), job.cancel, stage,
                          [&](const AudioBuffer& out, int64_t n) -> Result<void> {
                              probe->add(out, n);
                              return {};
                          });
        if (!r) return std::unexpected(r.error());
        return PassResult{probe->stats(), stage.stats()};
    };

    // Step 2: the gain that puts the limiter's output on target.
    std::optional<LoopStep> last_round;  // the previous round's answer: the next round starts there
    auto normalise = [&](double target, double ceiling_dbtp) -> Result<double> {
        const double start = report.pre_limiter.integrated_lufs;
        if (!std::isfinite(start))
            return fail(ErrorCode::BadAudio, "master.loudness_target_lufs: the master is silent (no block above the -70 LUFS gate): "
                                             "there is no gain that reaches " + fmt(target, 1) + " LUFS");
        double g = std::clamp(target - start, -60.0, 60.0);
        std::optional<LoopStep> prev;
        if (last_round) {
            // A lower ceiling costs about its difference in loudness where the limiter works: start there.
            g = last_round->gain_db + (report.working_ceiling_dbtp_previous - ceiling_dbtp) * 0.5;
        }
        for (int it = 0; it < kMaxLoopIterations; ++it) {
            auto pass = loop_pass(g, ceiling_dbtp);
            if (!pass) return std::unexpected(pass.error());
            const double level = pass->loudness.integrated_lufs;
            const double gr = pass->limiter ? pass->limiter->max_gain_reduction_db : 0.0;
            report.loop.push_back(LoopStep{g, level, gr});
            if (!std::isfinite(level))
                return fail(ErrorCode::BadAudio, "master.loudness_target_lufs: the limited master measures silent at gain " + fmt(g) + " dB");
            const double miss = target - level;
            if (m.limiter && gr > m.limiter->max_gain_reduction_db && miss > -kLoopToleranceLu)
                return fail(ErrorCode::InvalidSession,
                            "master.loudness_target_lufs: reaching " + fmt(target, 1) + " LUFS under a " + fmt(m.limiter->ceiling_dbtp) +
                                " dBTP ceiling needs more than " + fmt(m.limiter->max_gain_reduction_db, 1) +
                                " dB of limiting (" + fmt(gr, 1) + " dB at " + fmt(level) +
                                " LUFS): lower the target, or raise master.limiter.max_gain_reduction_db");
            if (std::abs(miss) <= kLoopToleranceLu) {
                last_round = LoopStep{g, level, gr};
                return g;
            }
            // Secant on I(g): slope 1 without limiting, less as the limiter works harder.
            double slope = 1.0;
            if (prev && g != prev->gain_db) slope = std::clamp((level - prev->integrated_lufs) / (g - prev->gain_db), 0.02, 1.0);
            prev = LoopStep{g, level, gr};
            g = std::clamp(g + miss / slope, -60.0, 60.0);
        }
        return fail(ErrorCode::Internal, "master.loudness_target_lufs: the loudness loop did not converge to " + fmt(target, 1) +
                                             " LUFS in " + std::to_string(kMaxLoopIterations) + " passes (last " +
                                             fmt(report.loop.back().integrated_lufs) + " LUFS)");
    };

    // ---- rounds of steps 2-4 ----
    // Every export is staged once in the command's transaction; each round
    // writes the staged files again, and the transaction moves them into
    // place (with the CUE sheets) only when the whole command succeeded.
    std::vector<std::filesystem::path> staged;
    for (const ExportSpec& e : job.exports) {
        auto t = job.transaction->stage(e.file);
        if (!t) return std::unexpected(t.error());
        staged.push_back(*t);
    }

    const double ceiling = m.limiter ? m.limiter->ceiling_dbtp : 0.0;
    double working_ceiling = ceiling - kInitialCeilingMarginDb;
    std::optional<double> loop_target = m.loudness_target_lufs;
    double loop_s = 0.0, export_s = 0.0, verify_s = 0.0;
    bool delivered = false;
    std::optional<GuardStats> guard;  // the last round's ceiling guard
    double last_excess_db = 0.0, last_lowering_db = 0.0;  // the previous ceiling correction and the over it answered
    for (int round = 0; round < kMaxDeliveryRounds && !delivered; ++round) {
        report.delivery_rounds = round + 1;
        report.working_ceiling_dbtp_previous = report.working_ceiling_dbtp;
        report.working_ceiling_dbtp = working_ceiling;
        t0 = Clock::now();
        double gain_db = 0.0;
        if (loop_target) {
            auto g = normalise(*loop_target, working_ceiling);
            if (!g) return std::unexpected(g.error());
            gain_db = *g;
        }
        report.gain_db = gain_db;
        loop_s += seconds_since(t0);

        // ---- 3. one final pass into every export ----
        t0 = Clock::now();
        std::vector<ExportSink> sinks;
        for (size_t e = 0; e < job.exports.size(); ++e) {
            auto sink = ExportSink::create(job.exports[e], e, rate, 2, staged[e]);
            if (!sink) return std::unexpected(sink.error());
            sinks.push_back(std::move(*sink));
        }
        LimiterStage stage(m.limiter, gain_db, working_ceiling, rate, frames, /*exact=*/true);
        std::unique_ptr<LoudnessProbe> master_probe = job.probe ? job.probe() : nullptr;
        if (master_probe) master_probe->reset(rate, 2, false);  // true peak: measured on the delivered files
        auto fin = run_pass(*pre, job.block_frames, stage.latency_frames(), job.cancel, stage,
                            [&](const AudioBuffer& out, int64_t n) -> Result<void> {
                                if (master_probe) master_probe->add(out, n);
                                for (ExportSink& sink : sinks)
                                    if (auto r = sink.write(out, n); !r) return r;
                                return {};
                            });
        if (!fin) return std::unexpected(fin.error());
        for (ExportSink& sink : sinks)
            if (auto r = sink.finish(); !r) return std::unexpected(r.error());
        report.limiter = stage.stats();
        guard = stage.guard_stats();
        if (master_probe) report.master = master_probe->stats();
        export_s += seconds_since(t0);

        // ---- 4. check every delivered file ----
        t0 = Clock::now();
        report.delivered.clear();
        double worst_excess_db = -INFINITY;
        std::optional<double> worst_miss;
        for (size_t e = 0; e < staged.size(); ++e) {
            if (cancel_requested(job.cancel)) return std::unexpected(cancelled_error());
            auto d = measure_file(staged[e], job.probe);
            if (!d) return std::unexpected(d.error());
            d->file = job.exports[e].file;
            const double tp = std::max(d->true_peak_8x_dbtp, d->measured.true_peak_dbtp);
            if (m.limiter) worst_excess_db = std::max(worst_excess_db, tp - (ceiling - kVerifyGuardDb));
            if (m.loudness_target_lufs && job.probe) {
                const double miss = *m.loudness_target_lufs - d->measured.integrated_lufs;
                if (!worst_miss || std::abs(miss) > std::abs(*worst_miss)) worst_miss = miss;
            }
            report.delivered.push_back(*d);
        }
        verify_s += seconds_since(t0);
        bool again = false;
        if (worst_excess_db > 0.0) {
            // Lowering the working ceiling by Δ lowers the delivered over by
            // about s·Δ: s = 1 where nothing else moves, less under a loudness
            // target (the loop gives the gain back, the limiter works harder,
            // SRC re-creates part of the over). The first correction assumes
            // s = 1; later ones use the s the previous correction measured.
            double response = 1.0;
            if (last_lowering_db > 0.0 && last_excess_db > worst_excess_db)
                response = std::clamp((last_excess_db - worst_excess_db) / last_lowering_db, 0.2, 1.0);
            const double lowering = worst_excess_db / response + 0.02;
            report.decisions.push_back("round " + std::to_string(round + 1) + ": a delivered file's true peak is " + fmt(worst_excess_db, 3) +
                                       " dB over the " + fmt(ceiling) + " dBTP ceiling (less its " + fmt(kVerifyGuardDb) +
                                       " dB guard): working ceiling lowered by " + fmt(lowering, 3) + " dB");
            working_ceiling -= lowering;
            last_excess_db = worst_excess_db;
            last_lowering_db = lowering;
            again = true;
        }
        if (worst_miss && std::abs(*worst_miss) > kTargetToleranceLu) {
            report.decisions.push_back("round " + std::to_string(round + 1) + ": a delivered file measures " + fmt(-*worst_miss, 3) +
                                       " LU from the target: loop target corrected by " + fmt(*worst_miss, 3) + " LU");
            *loop_target += *worst_miss;
            again = true;
        }
        delivered = !again;
    }
    result.timing_s["master_loudness_loop"] = loop_s;
    result.timing_s["master_export"] = export_s;
    result.timing_s["master_verify"] = verify_s;
    if (!delivered)
        return fail(ErrorCode::Internal, "master: the delivered files still miss the ceiling or the target after " +
                                             std::to_string(kMaxDeliveryRounds) + " rounds (" +
                                             (report.decisions.empty() ? std::string("?") : report.decisions.back()) + ")");

    // The tap sees the delivered master once (a round may have been redone).
    if (job.master_tap) {
        LimiterStage stage(m.limiter, report.gain_db, report.working_ceiling_dbtp, rate, frames, /*exact=*/true);
        auto tapped = run_pass(*pre, job.block_frames, stage.latency_frames(), job.cancel, stage,
                               [&](const AudioBuffer& out, int64_t n) -> Result<void> {
                                   job.master_tap(out, n);
                                   return {};
                               });
        if (!tapped) return std::unexpected(tapped.error());
    }

    // Decisions, for the report.
    if (m.loudness_target_lufs)
        report.decisions.insert(report.decisions.begin(),
                                "loudness: " + fmt(report.pre_limiter.integrated_lufs) + " LUFS before the limiter; gain " + fmt(report.gain_db) +
                                    " dB into the limiter reaches " + fmt(*m.loudness_target_lufs, 1) + " LUFS after " +
                                    std::to_string(report.loop.size()) + " passes");
    if (m.limiter && report.limiter)
        report.decisions.push_back("limiter: working ceiling " + fmt(report.working_ceiling_dbtp, 3) + " dBTP, max gain reduction " +
                                   fmt(report.limiter->max_gain_reduction_db) + " dB, limiting " +
                                   fmt(100.0 * report.limiter->limited_fraction, 1) + " % of the time");
    if (guard && guard->corrections > 0)
        report.decisions.push_back("limiter: ceiling guard corrected " + std::to_string(guard->corrections) + " positions by at most " +
                                   fmt(guard->max_correction_db, 5) + " dB" +
                                   (guard->unverified > 0 ? " (" + std::to_string(guard->unverified) + " could not be re-measured)" : ""));

    // ---- 5. metadata; the caller's transaction moves everything into place ----
    std::vector<FinishedExport> finished;
    for (size_t e = 0; e < staged.size(); ++e) {
        const DeliveredFile& d = report.delivered[e];
        const BextLoudness measured{d.measured.integrated_lufs, d.measured.loudness_range_lu,
                                    std::max(d.measured.true_peak_dbtp, d.true_peak_8x_dbtp), d.measured.max_momentary_lufs,
                                    d.measured.max_short_term_lufs};
        finished.push_back({job.exports[e], staged[e], measured});
    }
    auto outputs = finish_exports(finished, session.metadata, *job.transaction);
    if (!outputs) return std::unexpected(outputs.error());
    result.outputs = std::move(*outputs);
    return result;
}

}  // namespace sf::master
