#include "engine/master/master_chain.h"

#include <algorithm>
#include <cassert>
#include <chrono>
#include <cmath>
#include <cstdio>
#include <fstream>
#include <sstream>
#include <unistd.h>

#include "engine/audio/audio_file.h"
#include "engine/audio/resampler.h"
#include "engine/dsp/compressor.h"
#include "engine/dsp/eq_design.h"
#include "engine/dsp/fft_convolver.h"
#include "engine/dsp/gain.h"
#include "engine/master/crossover.h"
#include "engine/master/delivery.h"
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
    impl->file = std::fopen(impl->path.c_str(), "w+b");
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
    if (std::fwrite(s.interleaved.data(), sizeof(float), s.interleaved.size(), s.file) != s.interleaved.size())
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

using Clock = std::chrono::steady_clock;
double seconds_since(Clock::time_point t0) { return std::chrono::duration<double>(Clock::now() - t0).count(); }

std::string fmt(double v, int digits = 2) {
    if (!std::isfinite(v)) return v < 0 ? "-inf" : "inf";
    char buf[64];
    std::snprintf(buf, sizeof buf, "%.*f", digits, v);
    return buf;
}

// A multichannel delay line of a fixed number of frames.
class Delay {
public:
    Delay(int channels, int64_t frames) : ring_(static_cast<size_t>(channels), std::vector<float>(static_cast<size_t>(frames), 0.0f)) {}
    // In place on channels [0, channels) of buf.
    void process(AudioBuffer& buf, int64_t frames) {
        const size_t len = ring_.empty() ? 0 : ring_[0].size();
        if (len == 0) return;
        size_t pos = pos_;
        for (size_t c = 0; c < ring_.size(); ++c) {
            pos = pos_;
            float* x = buf.channel(static_cast<int>(c));
            std::vector<float>& r = ring_[c];
            for (int64_t i = 0; i < frames; ++i) {
                const float d = r[pos];
                r[pos] = x[i];
                x[i] = d;
                pos = pos + 1 == len ? 0 : pos + 1;
            }
        }
        pos_ = pos;
    }

private:
    std::vector<std::vector<float>> ring_;
    size_t pos_ = 0;
};

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
        pc->detector_delay_ = std::make_unique<Delay>(2, TruePeakDetector::latency_frames());
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
        detector_delay_->process(x, n);  // align the signal with its envelope
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
    std::unique_ptr<Delay> detector_delay_;
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
        if (cancel && cancel->load()) return fail(ErrorCode::Internal, "render cancelled");
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

// Step 2/3's stage: (L, R, envelope) -> limited stereo.
class LimiterStage {
public:
    LimiterStage(const std::optional<LimiterSpec>& spec, double gain_db, double ceiling_dbtp, int rate, int64_t frames) {
        if (spec) {
            gain_ = std::make_unique<LimiterGain>(LimiterSettings{ceiling_dbtp, spec->release_ms, spec->lookahead_ms, gain_db}, rate);
            gain_->set_stats_limit(frames);
            delay_ = std::make_unique<Delay>(2, gain_->latency_frames());
        } else {
            plain_gain_ = static_cast<float>(db_to_gain(gain_db));
        }
    }
    int64_t latency_frames() const { return gain_ ? gain_->latency_frames() : 0; }
    void operator()(AudioBuffer& in, int64_t n, AudioBuffer& out) {
        out.resize(2, n);
        if (gain_) {
            g_.resize(static_cast<size_t>(n));
            gain_->process(in.channel(2), n, g_.data());
            delay_->process(in, n);
            for (int c = 0; c < 2; ++c) {
                const float* x = in.channel(c);
                float* y = out.channel(c);
                for (int64_t i = 0; i < n; ++i) y[i] = x[i] * g_[static_cast<size_t>(i)];
            }
        } else {
            for (int c = 0; c < 2; ++c) {
                const float* x = in.channel(c);
                float* y = out.channel(c);
                for (int64_t i = 0; i < n; ++i) y[i] = x[i] * plain_gain_;
            }
        }
    }
    std::optional<LimiterStats> stats() const { return gain_ ? std::optional(gain_->stats()) : std::nullopt; }

private:
    std::unique_ptr<LimiterGain> gain_;
    std::unique_ptr<Delay> delay_;
    float plain_gain_ = 1.0f;
    std::vector<float> g_;
};

struct PassResult {
    LoudnessStats loudness;
    std::optional<LimiterStats> limiter;
};

struct ExportTemp {
    ExportSpec spec;
    int rate = 0;
    std::filesystem::path temp;  // the finished file before it is renamed into place
    std::optional<StreamResampler> resampler;
    std::optional<AudioFileWriter> writer;
    AudioBuffer resampled;
};

void remove_quietly(const std::filesystem::path& p) {
    std::error_code ec;
    if (!p.empty()) std::filesystem::remove(p, ec);
}

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
        LimiterStage stage(m.limiter, gain_db, ceiling_dbtp, rate, frames);
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
    std::vector<ExportTemp> temps;
    auto discard_temps = [&] {
        for (auto& t : temps) {
            t.writer.reset();
            remove_quietly(t.temp);
        }
        temps.clear();
    };
    struct Guard {
        std::function<void()> f;
        ~Guard() { f(); }
    } guard{discard_temps};

    const double ceiling = m.limiter ? m.limiter->ceiling_dbtp : 0.0;
    double working_ceiling = ceiling - kInitialCeilingMarginDb;
    std::optional<double> loop_target = m.loudness_target_lufs;
    double loop_s = 0.0, export_s = 0.0, verify_s = 0.0;
    bool delivered = false;
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
        discard_temps();
        for (size_t e = 0; e < job.exports.size(); ++e) {
            ExportTemp t;
            t.spec = job.exports[e];
            t.rate = t.spec.sample_rate > 0 ? t.spec.sample_rate : rate;
            t.temp = t.spec.file.parent_path() / ("." + t.spec.file.filename().string() + ".stemforge-master");
            WriteSpec ws;
            ws.format = t.spec.format;
            ws.bit_depth = t.spec.bit_depth;
            ws.sample_rate = t.rate;
            ws.channels = 2;
            ws.dither = t.spec.bit_depth == 32 ? Dither::None : t.spec.dither;
            ws.dither_seed = 0x5EEDull + e;
            if (t.spec.format == ExportFormat::Bwf) ws.bext = BextLoudness{};  // measured values are patched in below
            auto w = AudioFileWriter::create(t.temp, ws);
            if (!w) {
                Error err = w.error();
                err.message = t.spec.file.string() + ": " + err.message;
                return std::unexpected(err);
            }
            t.writer.emplace(std::move(*w));
            if (t.rate != rate) {
                auto r = StreamResampler::create(rate, t.rate, 2);
                if (!r) return std::unexpected(r.error());
                t.resampler.emplace(std::move(*r));
            }
            temps.push_back(std::move(t));
        }
        LimiterStage stage(m.limiter, gain_db, working_ceiling, rate, frames);
        std::unique_ptr<LoudnessProbe> master_probe = job.probe ? job.probe() : nullptr;
        if (master_probe) master_probe->reset(rate, 2, false);  // true peak: measured on the delivered files
        auto fin = run_pass(*pre, job.block_frames, stage.latency_frames(), job.cancel, stage,
                            [&](const AudioBuffer& out, int64_t n) -> Result<void> {
                                if (master_probe) master_probe->add(out, n);
                                for (auto& t : temps) {
                                    if (t.resampler) {
                                        if (auto r = t.resampler->process(out, n, t.resampled); !r) return r;
                                        if (auto r = t.writer->write(t.resampled, t.resampled.frames()); !r) return r;
                                    } else if (auto r = t.writer->write(out, n); !r) {
                                        return r;
                                    }
                                }
                                return {};
                            });
        if (!fin) return std::unexpected(fin.error());
        for (auto& t : temps) {
            if (t.resampler) {
                if (auto r = t.resampler->finish(t.resampled); !r) return std::unexpected(r.error());
                if (auto r = t.writer->write(t.resampled, t.resampled.frames()); !r) return std::unexpected(r.error());
            }
            if (auto r = t.writer->commit(); !r) return std::unexpected(r.error());
            t.writer.reset();
        }
        report.limiter = stage.stats();
        if (master_probe) report.master = master_probe->stats();
        export_s += seconds_since(t0);

        // ---- 4. check every delivered file ----
        t0 = Clock::now();
        report.delivered.clear();
        double worst_excess_db = -INFINITY;
        std::optional<double> worst_miss;
        for (auto& t : temps) {
            auto d = measure_file(t.temp, job.probe);
            if (!d) return std::unexpected(d.error());
            d->file = t.spec.file;
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
            report.decisions.push_back("round " + std::to_string(round + 1) + ": a delivered file's true peak is " + fmt(worst_excess_db, 3) +
                                       " dB over the " + fmt(ceiling) + " dBTP ceiling (less its " + fmt(kVerifyGuardDb) +
                                       " dB guard): working ceiling lowered by " +
                                       fmt(worst_excess_db + 0.02, 3) + " dB");
            working_ceiling -= worst_excess_db + 0.02;
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
        LimiterStage stage(m.limiter, report.gain_db, report.working_ceiling_dbtp, rate, frames);
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

    // ---- 5. metadata, then everything into place together ----
    for (size_t i = 0; i < temps.size(); ++i) {
        const ExportTemp& t = temps[i];
        const DeliveredFile& d = report.delivered[i];
        if (t.spec.format == ExportFormat::Bwf) {
            const BextLoudness b{d.measured.integrated_lufs, d.measured.loudness_range_lu,
                                 std::max(d.measured.true_peak_dbtp, d.true_peak_8x_dbtp), d.measured.max_momentary_lufs,
                                 d.measured.max_short_term_lufs};
            if (auto r = patch_bext_loudness(t.temp, b); !r) return std::unexpected(r.error());
        }
        if (t.spec.format == ExportFormat::Flac) {
            if (auto r = write_flac_tags(t.temp, session.metadata); !r) return std::unexpected(r.error());
        }
    }
    for (const ExportTemp& t : temps) {
        if (!t.spec.cue_sheet) continue;
        std::filesystem::path cue = t.spec.file;
        cue.replace_extension(".cue");
        std::ofstream out(cue, std::ios::binary | std::ios::trunc);
        out << cue_sheet_text(t.spec.file, t.spec.format, session.metadata);
        if (!out) return fail(ErrorCode::FileWrite, cue.string() + ": cannot write the CUE sheet");
        result.outputs.push_back(cue);
    }
    std::vector<std::filesystem::path> audio_outputs;
    for (ExportTemp& t : temps) {
        std::error_code ec;
        std::filesystem::rename(t.temp, t.spec.file, ec);
        if (ec) return fail(ErrorCode::FileWrite, t.spec.file.string() + ": cannot move the finished file into place: " + ec.message());
        t.temp.clear();
        audio_outputs.push_back(t.spec.file);
    }
    result.outputs.insert(result.outputs.begin(), audio_outputs.begin(), audio_outputs.end());
    return result;
}

}  // namespace sf::master
