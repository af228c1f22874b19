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
#include "engine/core/timecode.h"
#include "engine/dsp/compressor.h"
#include "engine/dsp/delay_line.h"
#include "engine/dsp/eq_design.h"
#include "engine/dsp/fft_convolver.h"
#include "engine/dsp/gain.h"
#include "engine/export/export_sink.h"
#include "engine/export/metadata.h"
#include "engine/master/crossover.h"
#include "engine/master/preset.h"
#include "engine/master/master_backend.h"
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
    // match: master.match_eq's FIR (null: no match EQ).
    static Result<std::unique_ptr<PreChain>> create(const MasterSpec& m, int rate, MasterReport& report,
                                                    const EqDesign* match = nullptr) {
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
        if (match && !match->identity()) {
            auto conv = FftConvolver::create(diagonal_kernels(2, match->taps));
            if (!conv) return std::unexpected(Error{conv.error().code, "master.match_eq: " + conv.error().message, 0});
            pc->match_latency_ = conv->latency_frames() + match->latency_frames;
            pc->match_ = std::make_unique<FftConvolver>(std::move(*conv));
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
                pc->max_time_constant_ms_ = std::max({pc->max_time_constant_ms_, b.attack_ms, b.release_ms});
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
        return eq_latency_ + match_latency_ + (bank_ ? bank_->latency_frames() : 0) + (stereo_ ? stereo_->latency_frames() : 0) +
               TruePeakDetector::latency_frames();
    }

    // How far back the output's state reaches: the FIRs' lengths (each at
    // most twice its compensated latency) and the band compressors' decay
    // to -120 dB (ln 10^6 = 13.8 time constants).
    int64_t memory_frames(int rate) const {
        return 2 * latency_frames() + static_cast<int64_t>(std::ceil(13.82 * max_time_constant_ms_ / 1000.0 * rate));
    }

    // Before any input: the FFT stages cut their blocks as in a render from
    // timeline frame 0 when this chain starts at frame `frames` (a region).
    void advance_silent(int64_t frames) {
        if (eq_) eq_->advance_silent(frames);
        if (bank_) bank_->advance_silent(frames);
        if (stereo_) stereo_->advance_silent(frames);
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
        if (match_) {
            scratch_.resize(2, n);
            const float* in[2] = {x.channel(0), x.channel(1)};
            float* o[2] = {scratch_.channel(0), scratch_.channel(1)};
            match_->process(in, o, n);
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
    std::unique_ptr<FftConvolver> match_;
    int64_t match_latency_ = 0;
    std::unique_ptr<CrossoverBank> bank_;
    std::vector<Compressor> compressors_;
    std::vector<double> widths_;
    double max_time_constant_ms_ = 0.0;
    std::unique_ptr<StereoTools> stereo_;
    TruePeakDetector detector_{2};
    DelayLine detector_delay_;
    AudioBuffer scratch_;
    std::vector<AudioBuffer> bands_;
};

// Streams `in` through `stage` (latency compensated: `latency` leading output
// frames dropped, zeros fed after the end) and hands the aligned frames
// [0, end) to `sink(out, n, first)`, `first` being out's first spool frame
// (end < 0: the spool's length). `progress` gets the fraction done.
template <class Stage, class Sink>
Result<void> run_pass(Spool& in, int64_t block, int64_t latency, const std::atomic<bool>* cancel, Stage&& stage, Sink&& sink,
                      int64_t end = -1, const std::function<void(double)>& progress = {}) {
    if (auto ok = in.rewind(); !ok) return ok;
    const int64_t total = end < 0 ? in.frames() : end;
    AudioBuffer buf, out;
    int64_t delivered = 0, dropped = 0;
    while (delivered < total) {
        if (cancel_requested(cancel)) return std::unexpected(cancelled_error());
        const int64_t n = block;
        auto got = in.read(buf, n);  // zeros past the end: the flush
        if (!got) return std::unexpected(got.error());
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
            if (auto ok = sink(out, take, delivered); !ok) return ok;
            delivered += take;
        }
        if (progress) progress(static_cast<double>(delivered) / static_cast<double>(std::max<int64_t>(1, total)));
    }
    return {};
}

// The part of a block (n frames from spool frame `first`) inside [from, to),
// moved to the block's start: calls inner(out, count, first frame) if any.
template <class Inner>
Result<void> within(AudioBuffer& out, int64_t n, int64_t first, int64_t from, int64_t to, Inner&& inner) {
    const int64_t lo = std::max(first, from), hi = std::min(first + n, to);
    if (hi <= lo) return {};
    if (lo > first)
        for (int c = 0; c < out.channels(); ++c) std::copy_n(out.channel(c) + (lo - first), hi - lo, out.channel(c));
    return inner(out, hi - lo, lo);
}

// Steps 2-4's stage: (L, R, envelope) -> limited stereo, times the
// programme's fades (0 outside the programme). With `exact`, the limiter's
// CeilingGuard follows (true_peak_limiter.h, part 3), so the delivered
// master's true peak is at or under the working ceiling by the one
// definition, fades included; the loudness loop's passes leave it out,
// since its corrections (about 1e-5 in gain) cannot move the integrated
// loudness.
class LimiterStage {
public:
    LimiterStage(const std::optional<LimiterSpec>& spec, double gain_db, double ceiling_dbtp, int rate, int64_t frames, bool exact,
                 const ProgrammeEdit& edit, int64_t origin)
        : edit_(edit), origin_(origin) {
        if (spec) {
            input_gain_ = db_to_gain(gain_db);
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
        g_.resize(static_cast<size_t>(n));
        int64_t at = fed_;  // the spool frame g_[0] scales
        if (gain_) {
            gain_->process(in.channel(2), n, g_.data());
            float* ch[2] = {in.channel(0), in.channel(1)};
            delay_.process(ch, n);
            at -= gain_->latency_frames();
        } else {
            std::fill(g_.begin(), g_.end(), plain_gain_);
        }
        fed_ += n;
        if (gain_ && bucket_frames_ > 0) track_gain_reduction(at, n);
        edit_.apply(origin_ + at, n, g_.data());
        for (int c = 0; c < 2; ++c) {
            const float* x = in.channel(c);
            float* y = out.channel(c);
            for (int64_t i = 0; i < n; ++i) y[i] = x[i] * g_[static_cast<size_t>(i)];
        }
        if (guard_) guard_->process(out, n);
    }
    std::optional<LimiterStats> stats() const { return gain_ ? std::optional(gain_->stats()) : std::nullopt; }
    std::optional<GuardStats> guard_stats() const { return guard_ ? std::optional(guard_->stats()) : std::nullopt; }
    // Records the limiter's gain reduction (-20 log10 g, the input gain and
    // the fades left out) over spool frames [first, end) as its maximum per
    // bucket of bucket_frames, the first bucket starting at `first`.
    void record_gain_reduction(int64_t first, int64_t end, int64_t bucket_frames) {
        gr_first_ = first;
        gr_end_ = end;
        bucket_frames_ = bucket_frames;
        // The lowest gain per bucket; the logarithm is taken once per bucket.
        min_gain_.assign(static_cast<size_t>(std::max<int64_t>(0, (end - first + bucket_frames - 1) / bucket_frames)), 1.0f);
    }
    std::vector<float> gain_reduction_db() const {
        std::vector<float> gr(min_gain_.size());
        for (size_t i = 0; i < gr.size(); ++i)
            gr[i] = static_cast<float>(std::max(0.0, -20.0 * std::log10(static_cast<double>(min_gain_[i]))));
        return gr;
    }

private:
    void track_gain_reduction(int64_t at, int64_t n) {
        const int64_t lo = std::max(at, gr_first_), hi = std::min(at + n, gr_end_);
        const float inv_gain = static_cast<float>(1.0 / input_gain_);
        for (int64_t frame = lo; frame < hi; ++frame) {
            float& lowest = min_gain_[static_cast<size_t>((frame - gr_first_) / bucket_frames_)];
            lowest = std::min(lowest, g_[static_cast<size_t>(frame - at)] * inv_gain);
        }
    }
    std::unique_ptr<LimiterGain> gain_;
    double input_gain_ = 1.0;
    int64_t gr_first_ = 0, gr_end_ = 0, bucket_frames_ = 0;
    std::vector<float> min_gain_;
    DelayLine delay_;
    std::unique_ptr<CeilingGuard> guard_;
    float plain_gain_ = 1.0f;
    std::vector<float> g_;
    const ProgrammeEdit& edit_;
    int64_t origin_ = 0;
    int64_t fed_ = 0;
};

struct PassResult {
    LoudnessStats loudness;
    std::optional<LimiterStats> limiter;
};

// Exports with one delivery target share a loop and a limiter.
struct Group {
    DeliveryTarget target;
    // With a loudness target, exports at another rate form their own group:
    // SRC removes what lies above the new Nyquist, which K-weighting counts
    // (white noise to 24 kHz reads 0.14 LU quieter at 44.1 kHz), so one gain
    // cannot put both on target. 0: any rate.
    int rate = 0;
    int session_rate = 0;
    std::string target_key;               // names the key in messages: master.loudness_target_lufs, export[1].preset, ...
    std::optional<LimiterSpec> limiter;   // with the group's ceiling
    std::vector<size_t> exports;          // into job.exports
    double gain_db = 0.0, working_ceiling = 0.0, working_ceiling_previous = 0.0;
    std::vector<LoopStep> loop;
    int loop_passes = 0;                  // a master backend's limiter passes (several gains each); 0: one per step
    std::optional<MasterReplay::Export> replay;  // render --verify: the first round's gain and working ceiling
    int rounds = 0;
    LoudnessStats master;
    std::optional<LimiterStats> limiter_stats;
    std::vector<float> gain_reduction_db;  // the delivery pass's, per kGainReductionBucketS (either limiter: the CPU stage or the backend)
    std::optional<GuardStats> guard;
    std::vector<std::string> decisions;
    std::string label() const {
        std::string l = target.loudness_lufs ? fmt(*target.loudness_lufs, 1) + " LUFS" : std::string("no loudness target");
        if (target.ceiling_dbtp) l += " / " + fmt(*target.ceiling_dbtp, 1) + " dBTP";
        if (rate > 0 && rate != session_rate) l += " at " + std::to_string(rate) + " Hz";
        return l;
    }
};

}  // namespace

bool master_needs_whole_timeline(const MasterSpec& m, const std::vector<ExportSpec>& exports) {
    // The match EQ is designed from the whole programme's spectrum.
    if (m.trim_silence_db || m.match_eq) return true;
    for (const ExportSpec& e : exports)
        if (export_target(m, e).loudness_lufs) return true;
    return exports.empty() && m.loudness_target_lufs.has_value();
}

Result<MasterTiming> master_timing(const MasterSpec& m, int rate) {
    MasterReport scratch;
    auto chain = PreChain::create(m, rate, scratch);
    if (!chain) return std::unexpected(chain.error());
    MasterTiming t;
    t.lookahead_frames = (*chain)->latency_frames() + CeilingGuard::latency_frames();
    t.memory_frames = (*chain)->memory_frames(rate);
    // Every export may carry its own ceiling: the limiter is the master's
    // (or the default one) whatever the ceiling, so one timing covers them.
    const LimiterSpec lim = m.limiter.value_or(LimiterSpec{});
    const LimiterGain gain(LimiterSettings{lim.ceiling_dbtp, lim.release_ms, lim.lookahead_ms, 0.0}, rate);
    t.lookahead_frames += gain.latency_frames();
    t.memory_frames += gain.latency_frames() + static_cast<int64_t>(std::ceil(13.82 * lim.release_ms / 1000.0 * rate));
    return t;
}

// ---------------------------------------------------------------------------

Result<MasterOutput> render_master(const MasterJob& job, Spool& mix) {
    const Session& session = *job.session;
    assert(session.master && mix.channels() == 2);
    const MasterSpec& m = *session.master;
    const int rate = session.sample_rate;
    const int64_t frames = mix.frames();
    const int64_t origin = job.origin_frame;
    const int64_t total = job.timeline_frames >= 0 ? job.timeline_frames : origin + frames;
    const bool whole = origin == 0 && frames >= total;
    MasterOutput result;
    MasterReport& report = result.report;
    report.preset = m.preset;
    auto phase = [&](const std::string& name) {
        return [&job, name](double f) {
            if (job.progress) job.progress(name, f);
        };
    };

    // ---- the groups ----
    std::vector<Group> groups;
    std::vector<size_t> group_of(job.exports.size());
    for (size_t e = 0; e < job.exports.size(); ++e) {
        const ExportSpec& x = job.exports[e];
        const DeliveryTarget t = export_target(m, x);
        // Only a loudness loop measures at the file's rate; with a given gain
        // (an album's) every export shares one group and one working ceiling.
        const int group_rate = t.loudness_lufs && !job.fixed_gain_db ? (x.sample_rate > 0 ? x.sample_rate : rate) : 0;
        auto it = std::find_if(groups.begin(), groups.end(), [&](const Group& g) { return g.target == t && g.rate == group_rate; });
        if (it == groups.end()) {
            Group g;
            g.target = t;
            g.rate = group_rate;
            g.session_rate = rate;
            const std::string at = "export[" + std::to_string(e) + "].";
            g.target_key = x.loudness_target_lufs ? at + "loudness_target_lufs"
                           : x.preset            ? at + "preset"
                                                 : std::string("master.loudness_target_lufs");
            if (t.ceiling_dbtp) {
                g.limiter = m.limiter.value_or(LimiterSpec{});
                g.limiter->ceiling_dbtp = *t.ceiling_dbtp;
            }
            groups.push_back(std::move(g));
            it = groups.end() - 1;
        }
        it->exports.push_back(e);
        group_of[e] = static_cast<size_t>(it - groups.begin());
    }
    const DeliveryTarget master_target{m.loudness_target_lufs, m.limiter ? std::optional(m.limiter->ceiling_dbtp) : std::nullopt};
    if (job.exports.empty()) {
        // No file (an album's passes): one group on the master's own target,
        // whose one pass feeds master_tap.
        Group g;
        g.target = master_target;
        g.session_rate = rate;
        g.target_key = "master.loudness_target_lufs";
        g.limiter = m.limiter;
        groups.push_back(std::move(g));
    }
    size_t primary = 0;
    for (size_t g = 0; g < groups.size(); ++g)
        if (groups[g].target == master_target && (groups[g].rate == 0 || groups[g].rate == rate)) {
            primary = g;
            break;
        }
    if (!groups.empty()) {
        report.target_lufs = groups[primary].target.loudness_lufs;
        report.ceiling_dbtp = groups[primary].target.ceiling_dbtp;
    } else {
        report.target_lufs = master_target.loudness_lufs;
        report.ceiling_dbtp = master_target.ceiling_dbtp;
    }

    const bool any_target = std::any_of(groups.begin(), groups.end(), [](const Group& g) { return g.target.loudness_lufs.has_value(); });
    const bool need_probe = any_target || m.match_eq.has_value() ||
                            std::any_of(job.exports.begin(), job.exports.end(), [](const ExportSpec& e) { return e.format == ExportFormat::Bwf; });
    if (need_probe && !job.probe)
        return fail(ErrorCode::InvalidArgument, "master: a loudness target, a match EQ or a BWF export needs a loudness meter, and none was given");
    if (!whole && master_needs_whole_timeline(m, job.exports))
        return fail(ErrorCode::Internal, "master: a loudness target or trim_silence_db needs the whole timeline's mix, and the spool holds only part");

    // Another render's decisions (render --verify), per group from its first export.
    const bool replaying = job.replay && job.replay->exports.size() == job.exports.size() && !job.exports.empty();
    if (replaying)
        for (Group& g : groups)
            if (!g.exports.empty()) g.replay = job.replay->exports[g.exports.front()];

    // A master backend (the GPU's) runs steps 1-3 when it can master this spec
    // and this job. The programme's edit (fades, trims), region renders, the
    // match EQ and an album's given gain live in the CPU chain only. Groups of
    // exports at another rate loop on the backend like the CPU chain does (at
    // the session rate, corrected by the delivered files' measurement).
    MasterBackend* backend = job.backend;
    if (backend) {
        std::optional<std::string> why = backend->unsupported(m, frames, rate);
        if (!why) {
            if (m.match_eq) why = "a match EQ";
            else if (job.fixed_gain_db) why = "a given gain into the limiter";
            else if (m.fade_in_s > 0.0 || m.fade_out_s > 0.0 || m.trim_start_s > 0.0 || m.trim_end_s > 0.0 || m.trim_silence_db)
                why = "fades or trims";
            else if (job.region || !whole) why = "a region render";
        }
        if (why) {
            report.decisions.push_back("master: on the CPU, not the " + backend->name() + " (" + *why + ")");
            backend = nullptr;
        }
    }
    // Not an owner: when render_master returns, the backend frees what it kept.
    const std::unique_ptr<MasterBackend, void (*)(MasterBackend*)> release_backend(backend, [](MasterBackend* b) { b->release(); });

    // ---- the programme, step 1: trims ----
    auto trimmed = trimmed_programme(m, rate, total);
    if (!trimmed) return std::unexpected(trimmed.error());
    ProgrammeEdit& edit = report.programme;
    edit = *trimmed;

    // ---- 1. pre-chain (the match EQ designed for this programme first; the pre-limiter measurement, the silence scan) ----
    auto t0 = Clock::now();
    std::optional<EqDesign> match;
    if (m.match_eq) {
        std::optional<LongTermSpectrum> own_reference;
        if (!job.match_reference) {
            auto r = measure_reference(m.match_eq->reference, rate, job.probe, "master.match_eq.reference", job.cancel);
            if (!r) return std::unexpected(r.error());
            own_reference = std::move(*r);
        }
        auto design = design_match_eq_for(mix, m, rate, job.match_reference ? *job.match_reference : *own_reference, job.probe,
                                          job.block_frames, job.cancel);
        if (!design) return std::unexpected(design.error());
        report.decisions.push_back(design->decision);
        report.match_eq = design->curve;
        report.match_eq_max_error_db = design->fir.max_error_db;
        match = std::move(design->fir);
        result.timing_s["master_match_eq"] = seconds_since(t0);
        t0 = Clock::now();
    }
    const std::filesystem::path spool_dir = !job.spool_dir.empty() ? job.spool_dir
                                            : job.exports.empty()  ? std::filesystem::temp_directory_path()
                                                                   : job.exports.front().file.parent_path();
    const std::filesystem::path work_dir = spool_dir.empty() ? std::filesystem::path(".") : spool_dir;
    std::optional<Spool> pre;  // the CPU chain's output (L, R, true-peak envelope)
    SilenceScanner silence(m.trim_silence_db.value_or(0.0));
    if (backend) {
        auto b = backend->prechain(m, rate, mix);
        if (!b) return std::unexpected(b.error());
        report.pre_limiter = b->pre_limiter;
        report.latency_frames = b->latency_frames;
        report.eq_max_error_db = b->eq_max_error_db;
    } else {
    auto chain = PreChain::create(m, rate, report, match ? &*match : nullptr);
    if (!chain) return std::unexpected(chain.error());
    report.latency_frames = (*chain)->latency_frames();
    (*chain)->advance_silent(origin);
    auto pre_spool = Spool::create(work_dir, 3);
    if (!pre_spool) return std::unexpected(pre_spool.error());
    pre.emplace(std::move(*pre_spool));
    std::unique_ptr<LoudnessProbe> pre_probe = job.probe ? job.probe() : nullptr;
    if (pre_probe) pre_probe->reset(rate, 2, true);
    {
        // Measured over the programme after the trims (what the region covers, on a pre-roll spool).
        const int64_t from = std::max(edit.begin_frame, job.region && !whole ? job.region->first : edit.begin_frame) - origin;
        const int64_t to = std::min(edit.end_frame, job.region && !whole ? job.region->second : edit.end_frame) - origin;
        AudioBuffer view;
        auto ok = run_pass(mix, job.block_frames, report.latency_frames, job.cancel,
                           [&](AudioBuffer& b, int64_t n, AudioBuffer& out) { (*chain)->process(b, n, out); },
                           [&](const AudioBuffer& out, int64_t n, int64_t first) -> Result<void> {
                               if (auto w = pre->write(out, n); !w) return w;
                               const int64_t lo = std::max(first, from), hi = std::min(first + n, to);
                               if (hi > lo) {
                                   view.resize(2, hi - lo);
                                   for (int c = 0; c < 2; ++c) std::copy_n(out.channel(c) + (lo - first), hi - lo, view.channel(c));
                                   if (pre_probe) pre_probe->add(view, hi - lo);
                                   if (m.trim_silence_db) {
                                       const float* ch[2] = {view.channel(0), view.channel(1)};
                                       silence.add(ch, 2, origin + lo, hi - lo);
                                   }
                               }
                               return {};
                           },
                           -1, phase("master: pre-chain"));
        if (!ok) return std::unexpected(ok.error());
    }
    if (pre_probe) report.pre_limiter = pre_probe->stats();
    chain->reset();
    }
    result.timing_s["master_prechain"] = seconds_since(t0);

    // ---- the programme, steps 2 and 3: silence trim, fades ----
    if (auto ok = apply_silence_trim(m, rate, silence, edit); !ok) return std::unexpected(ok.error());
    report.first_content_frame = silence.first_content_frame();
    report.last_content_frame = silence.last_content_frame();
    if (auto ok = set_fades(m, rate, edit); !ok) return std::unexpected(ok.error());
    if (m.trim_silence_db)
        report.decisions.push_back("trim_silence_db: the first sample at or above " + fmt(*m.trim_silence_db, 1) + " dBFS is at " +
                                   timecode(*report.first_content_frame, rate) + ", the last at " + timecode(*report.last_content_frame, rate) +
                                   "; the programme keeps " + timecode(edit.begin_frame, rate) + " to " + timecode(edit.end_frame, rate));
    // What is written: the programme, or the region within it.
    int64_t deliver_from = edit.begin_frame, deliver_to = edit.end_frame;
    if (job.region) {
        deliver_from = std::max(deliver_from, job.region->first);
        deliver_to = std::min(deliver_to, job.region->second);
        if (deliver_to <= deliver_from)
            return fail(ErrorCode::InvalidArgument, "--from/--to: the region " + timecode(job.region->first, rate) + " to " +
                                                        timecode(job.region->second, rate) + " lies outside the master's programme (" +
                                                        timecode(edit.begin_frame, rate) + " to " + timecode(edit.end_frame, rate) +
                                                        " after its trims)");
        if (deliver_from != job.region->first || deliver_to != job.region->second)
            report.warnings.push_back("the region is cut to the master's programme after its trims: " + timecode(deliver_from, rate) +
                                      " to " + timecode(deliver_to, rate));
    }
    report.delivered_from_frame = deliver_from;
    report.delivered_to_frame = deliver_to;
    // Region renders on the whole timeline are checked as a full render (into
    // scratch files), then the region is written: equal to its stretch of a full render.
    const bool region_of_whole = job.region && whole && (deliver_from != edit.begin_frame || deliver_to != edit.end_frame);

    // Vinyl: one side of a 12" LP at 33 1/3 rpm.
    if (uses_vinyl_preset(m, job.exports))
        if (auto w = vinyl_side_length_warning(static_cast<double>(edit.frames()) / rate)) report.warnings.push_back(*w);

    // One pass of step 2: the limiter (or plain gain) at `gain_db`, measured over the programme.
    const int64_t prog_from = edit.begin_frame - origin, prog_to = edit.end_frame - origin;
    int loop_passes = 0;
    auto loop_pass = [&](const Group& g, double gain_db, double ceiling_dbtp) -> Result<PassResult> {
        LimiterStage stage(g.limiter, gain_db, ceiling_dbtp, rate, frames, /*exact=*/false, edit, origin);
        std::unique_ptr<LoudnessProbe> probe = job.probe();
        probe->reset(rate, 2, false);
        ++loop_passes;
        auto r = run_pass(*pre, job.block_frames, stage.latency_frames(), job.cancel, stage,
                          [&](AudioBuffer& out, int64_t n, int64_t first) -> Result<void> {
                              return within(out, n, first, prog_from, prog_to, [&](AudioBuffer& o, int64_t k, int64_t) -> Result<void> {
                                  probe->add(o, k);
                                  return {};
                              });
                          },
                          prog_to, phase("master: loudness loop " + g.label() + ", pass " + std::to_string(g.loop.size() + 1)));
        if (!r) return std::unexpected(r.error());
        return PassResult{probe->stats(), stage.stats()};
    };

    // Step 2: the gain that puts the group's limiter output on target.
    auto normalise = [&](Group& g, double target, double ceiling_dbtp, std::optional<LoopStep>& last_round) -> Result<double> {
        if (backend) {
            auto r = backend->loudness_loop(target, ceiling_dbtp, kLoopToleranceLu);
            if (!r) return std::unexpected(r.error());
            g.loop.insert(g.loop.end(), r->steps.begin(), r->steps.end());
            g.loop_passes += r->passes;
            return r->gain_db;
        }
        const double start = report.pre_limiter.integrated_lufs;
        if (!std::isfinite(start))
            return fail(ErrorCode::BadAudio, g.target_key + ": the master is silent (no block above the -70 LUFS gate): "
                                                            "there is no gain that reaches " + fmt(target, 1) + " LUFS");
        double g_db = std::clamp(target - start, -60.0, 60.0);
        std::optional<LoopStep> prev;
        if (last_round) {
            // A lower ceiling costs about its difference in loudness where the limiter works: start there.
            g_db = last_round->gain_db + (g.working_ceiling_previous - ceiling_dbtp) * 0.5;
        }
        for (int it = 0; it < kMaxLoopIterations; ++it) {
            auto pass = loop_pass(g, g_db, ceiling_dbtp);
            if (!pass) return std::unexpected(pass.error());
            const double level = pass->loudness.integrated_lufs;
            const double gr = pass->limiter ? pass->limiter->max_gain_reduction_db : 0.0;
            g.loop.push_back(LoopStep{g_db, level, gr});
            if (!std::isfinite(level))
                return fail(ErrorCode::BadAudio, g.target_key + ": the limited master measures silent at gain " + fmt(g_db) + " dB");
            const double miss = target - level;
            if (g.limiter && gr > g.limiter->max_gain_reduction_db && miss > -kLoopToleranceLu)
                return fail(ErrorCode::InvalidSession,
                            g.target_key + ": reaching " + fmt(target, 1) + " LUFS under a " + fmt(g.limiter->ceiling_dbtp) +
                                " dBTP ceiling needs more than " + fmt(g.limiter->max_gain_reduction_db, 1) +
                                " dB of limiting (" + fmt(gr, 1) + " dB at " + fmt(level) +
                                " LUFS): lower the target, or raise master.limiter.max_gain_reduction_db");
            if (std::abs(miss) <= kLoopToleranceLu) {
                last_round = LoopStep{g_db, level, gr};
                return g_db;
            }
            // Secant on I(g): slope 1 without limiting, less as the limiter works harder.
            double slope = 1.0;
            if (prev && g_db != prev->gain_db) slope = std::clamp((level - prev->integrated_lufs) / (g_db - prev->gain_db), 0.02, 1.0);
            prev = LoopStep{g_db, level, gr};
            g_db = std::clamp(g_db + miss / slope, -60.0, 60.0);
        }
        return fail(ErrorCode::Internal, g.target_key + ": the loudness loop did not converge to " + fmt(target, 1) + " LUFS in " +
                                             std::to_string(kMaxLoopIterations) + " passes (last " + fmt(g.loop.back().integrated_lufs) + " LUFS)");
    };

    // ---- where each export is written ----
    // Every export is staged once in the command's transaction; each round
    // writes the staged files again, and the transaction moves them into
    // place (with the CUE sheets) only when the whole command succeeded.
    std::vector<std::filesystem::path> staged;
    for (const ExportSpec& e : job.exports) {
        auto t = job.transaction->stage(e.file);
        if (!t) return std::unexpected(t.error());
        staged.push_back(*t);
    }
    // A region of the whole timeline: the rounds write whole-programme
    // files here (removed with it), as a full render would.
    DeliveryTransaction scratch;
    std::vector<std::filesystem::path> round_files = staged;
    if (region_of_whole) {
        for (size_t e = 0; e < job.exports.size(); ++e) {
            auto t = scratch.stage(work_dir / (".stemforge-full-programme-" + std::to_string(::getpid()) + "-" + std::to_string(e) +
                                               job.exports[e].file.extension().string()));
            if (!t) return std::unexpected(t.error());
            round_files[e] = *t;
        }
    }

    std::vector<double> trim_db(job.exports.size(), 0.0);
    if (replaying)
        for (size_t e = 0; e < job.exports.size(); ++e) trim_db[e] = job.replay->exports[e].trim_db;
    std::vector<bool> trim_lowered(job.exports.size(), false);
    std::vector<ExportReport> exports(job.exports.size());
    double loop_s = 0.0, export_s = 0.0, verify_s = 0.0;

    // Step 3's limiter: group g's output at its gain and working ceiling over
    // timeline frames [from, to), block by block into `take` — the CPU chain
    // (fades and the ceiling guard inside LimiterStage), or the backend's
    // limiter through the CPU ceiling guard (whole programme, no edit: the
    // backend is used only then).
    auto limited_pass = [&](const Group& g, int64_t from, int64_t to, const std::string& what, std::optional<LimiterStats>* limiter_stats,
                            std::optional<GuardStats>* guard_stats, std::vector<float>* gain_reduction_db,
                            const std::function<Result<void>(const AudioBuffer&, int64_t)>& take) -> Result<void> {
        if (backend) {
            auto pass = limit_through_guard(*backend, g.limiter, g.gain_db, g.working_ceiling, frames, job.cancel, take, guard_stats);
            if (!pass) return std::unexpected(pass.error());
            if (limiter_stats) *limiter_stats = pass->limiter;
            if (gain_reduction_db) *gain_reduction_db = g.limiter ? std::move(pass->gain_reduction_db) : std::vector<float>();
            return {};
        }
        LimiterStage stage(g.limiter, g.gain_db, g.working_ceiling, rate, frames, /*exact=*/true, edit, origin);
        if (gain_reduction_db)
            stage.record_gain_reduction(from - origin, to - origin, std::max<int64_t>(1, std::llround(kGainReductionBucketS * rate)));
        auto fin = run_pass(*pre, job.block_frames, stage.latency_frames(), job.cancel, stage,
                            [&](AudioBuffer& out, int64_t n, int64_t first) -> Result<void> {
                                return within(out, n, first, from - origin, to - origin,
                                              [&](AudioBuffer& o, int64_t k, int64_t) -> Result<void> { return take(o, k); });
                            },
                            to - origin, phase(what));
        if (!fin) return std::unexpected(fin.error());
        if (limiter_stats) *limiter_stats = stage.stats();
        if (guard_stats) *guard_stats = stage.guard_stats();
        if (gain_reduction_db) *gain_reduction_db = g.limiter ? stage.gain_reduction_db() : std::vector<float>();
        return {};
    };

    // Step 3: one pass writing the group's exports marked in `which` to
    // `paths`, timeline frames [from, to). With `measure`, the limiter
    // output is measured (loudness and true peak) and its stats kept.
    auto deliver = [&](Group& g, const std::vector<std::filesystem::path>& paths, const std::vector<bool>& which, int64_t from, int64_t to,
                       bool measure, const std::string& what) -> Result<void> {
        const auto t_start = Clock::now();
        std::vector<ExportSink> sinks;
        std::vector<size_t> sink_export;
        for (size_t e : g.exports) {
            if (!which[e]) continue;
            auto sink = ExportSink::create(job.exports[e], e, rate, 2, paths[e]);
            if (!sink) return std::unexpected(sink.error());
            if (is_cd_audio_export(job.exports[e], m.preset, rate)) sink->pad_to_multiple(kCdFrameSamples);
            sinks.push_back(std::move(*sink));
            sink_export.push_back(e);
        }
        std::unique_ptr<LoudnessProbe> probe = measure && job.probe ? job.probe() : nullptr;
        if (probe) probe->reset(rate, 2, true);
        AudioBuffer trimmed_block;
        std::optional<LimiterStats> limiter_stats;
        std::optional<GuardStats> guard_stats;
        std::vector<float> gain_reduction_db;
        auto fin = limited_pass(g, from, to, what, &limiter_stats, &guard_stats, &gain_reduction_db,
                                [&](const AudioBuffer& o, int64_t k) -> Result<void> {
                                    if (probe) probe->add(o, k);
                                    // Without exports the one pass is the delivered master.
                                    if (job.exports.empty() && job.master_tap) job.master_tap(o, k);
                                    for (size_t i = 0; i < sinks.size(); ++i) {
                                        const double t = trim_db[sink_export[i]];
                                        if (t == 0.0) {
                                            if (auto r = sinks[i].write(o, k); !r) return r;
                                            continue;
                                        }
                                        const float gain = static_cast<float>(db_to_gain(t));
                                        trimmed_block.resize(2, k);
                                        for (int c = 0; c < 2; ++c)
                                            for (int64_t j = 0; j < k; ++j) trimmed_block.channel(c)[j] = o.channel(c)[j] * gain;
                                        if (auto r = sinks[i].write(trimmed_block, k); !r) return r;
                                    }
                                    return {};
                                });
        if (!fin) return std::unexpected(fin.error());
        for (size_t i = 0; i < sinks.size(); ++i) {
            if (auto r = sinks[i].finish(); !r) return std::unexpected(r.error());
            ExportReport& x = exports[sink_export[i]];
            x.clipped_samples = sinks[i].clipped_samples();
            x.first_clipped_frame = sinks[i].first_clipped_frame();
            x.frames = sinks[i].frames_written();
            x.padding_frames = sinks[i].padded_frames();
        }
        if (measure) {
            if (probe) g.master = probe->stats();
            g.limiter_stats = limiter_stats;
            g.gain_reduction_db = std::move(gain_reduction_db);
            g.guard = guard_stats;
        }
        export_s += seconds_since(t_start);
        return {};
    };

    // ---- rounds of steps 2-4, per group ----
    std::vector<std::optional<DeliveredFile>> measured(job.exports.size());
    for (Group& g : groups) {
        const double ceiling = g.limiter ? g.limiter->ceiling_dbtp : 0.0;
        double working = ceiling - kInitialCeilingMarginDb;
        std::optional<double> loop_target = g.target.loudness_lufs;
        std::optional<LoopStep> last_round;
        double last_excess_db = 0.0, last_lowering_db = 0.0;  // the previous ceiling correction and the over it answered
        bool need_loop = true, delivered = false;
        std::vector<bool> redo(job.exports.size(), false);
        for (size_t e : g.exports) redo[e] = true;
        // Rounds that rerun the loop and rounds that only re-encode lossy
        // exports are counted apart: each at most kMaxDeliveryRounds.
        int loop_rounds = 0, lossy_rounds = 0;
        for (int round = 0; !delivered; ++round) {
            if ((need_loop ? loop_rounds : lossy_rounds) == kMaxDeliveryRounds) break;
            ++(need_loop ? loop_rounds : lossy_rounds);
            g.rounds = round + 1;
            const std::string tag = (groups.size() > 1 ? "[" + g.label() + "] " : std::string()) + "round " + std::to_string(round + 1) + ": ";
            if (need_loop) {
                g.working_ceiling_previous = g.working_ceiling;
                g.working_ceiling = working;
                t0 = Clock::now();
                if (g.replay && round == 0) {
                    g.gain_db = g.replay->gain_db;  // render --verify: the other backend's decision
                    g.working_ceiling = g.replay->working_ceiling_dbtp;
                    working = g.working_ceiling;
                } else if (job.fixed_gain_db) {
                    g.gain_db = *job.fixed_gain_db;  // an album's common gain: no loop
                } else if (loop_target) {
                    auto gain = normalise(g, *loop_target, working, last_round);
                    if (!gain) return std::unexpected(gain.error());
                    g.gain_db = *gain;
                }
                loop_s += seconds_since(t0);
            }
            if (auto ok = deliver(g, round_files, redo, region_of_whole ? edit.begin_frame : deliver_from,
                                  region_of_whole ? edit.end_frame : deliver_to, need_loop,
                                  "master: delivery " + g.label() + ", round " + std::to_string(round + 1));
                !ok)
                return std::unexpected(ok.error());

            // ---- 4. check the files just written ----
            t0 = Clock::now();
            double worst_excess_db = -INFINITY;
            std::optional<double> worst_miss;
            // Lossy files: their own gain after the limiter (trim_db), by dB.
            struct LossyStep {
                size_t e;
                double delta_db;
                std::string why;
            };
            std::vector<LossyStep> lossy_steps;
            for (size_t e : g.exports) {
                if (!redo[e]) continue;
                if (cancel_requested(job.cancel)) return std::unexpected(cancelled_error());
                if (job.progress) job.progress("master: checking " + job.exports[e].file.filename().string(), 0.0);
                auto d = measure_file(round_files[e], job.probe);
                if (!d) return std::unexpected(d.error());
                d->file = job.exports[e].file;
                measured[e] = *d;
                const double tp = std::max(d->true_peak_8x_dbtp, d->measured.true_peak_dbtp);
                const double over = g.limiter ? tp - (ceiling - kVerifyGuardDb) : -INFINITY;
                if (!is_lossy(job.exports[e].format)) {
                    worst_excess_db = std::max(worst_excess_db, over);
                    if (g.target.loudness_lufs && job.probe && !job.fixed_gain_db) {
                        const double miss = *g.target.loudness_lufs - d->measured.integrated_lufs;
                        if (!worst_miss || std::abs(miss) > std::abs(*worst_miss)) worst_miss = miss;
                    }
                    continue;
                }
                // The codec's overshoot first; then its loudness, as far as the ceiling leaves room.
                const std::string name = job.exports[e].file.filename().string() + " (" + to_string(job.exports[e].format) + ")";
                if (over > 0.0) {
                    // Re-encoding moves a codec's peaks by chance as well as by the
                    // gain: the margin doubles with each further correction.
                    const double margin = kLossyMarginDb * static_cast<double>(1 << std::clamp(lossy_rounds, 0, 4));
                    lossy_steps.push_back({e, -(over + margin),
                                           name + " decodes " + fmt(over, 3) + " dB over the " + fmt(ceiling) + " dBTP ceiling (the codec's overshoot)"});
                } else if (g.target.loudness_lufs && job.probe && !job.fixed_gain_db && std::isfinite(d->measured.integrated_lufs)) {
                    const double miss = *g.target.loudness_lufs - d->measured.integrated_lufs;
                    if (std::abs(miss) > kTargetToleranceLu) {
                        // Too loud: lower by the miss. Too quiet: raise only as far as the ceiling leaves room.
                        // Never back up after an overshoot was taken back: re-encoding
                        // moves the codec's peaks by chance, and the two would oscillate.
                        const double room = trim_lowered[e] ? 0.0 : g.limiter ? -over - kLossyMarginDb : INFINITY;
                        const double delta = miss < 0.0 ? miss : std::min(miss, room);
                        if (miss < 0.0 || delta >= 0.01)
                            lossy_steps.push_back({e, delta, name + " decodes " + fmt(-miss, 3) + " LU from the target (the codec's loudness change)"});
                        else
                            g.decisions.push_back(name + " decodes " + fmt(-miss, 3) + " LU from the target: the ceiling leaves no room to raise it" +
                                                  " (its codec overshoots), so it stays (its target_error_lu says by how much)");
                    }
                }
            }
            verify_s += seconds_since(t0);
            std::fill(redo.begin(), redo.end(), false);
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
                g.decisions.push_back(tag + "a delivered file's true peak is " + fmt(worst_excess_db, 3) + " dB over the " + fmt(ceiling) +
                                      " dBTP ceiling (less its " + fmt(kVerifyGuardDb) + " dB guard): working ceiling lowered by " +
                                      fmt(lowering, 3) + " dB");
                working -= lowering;
                last_excess_db = worst_excess_db;
                last_lowering_db = lowering;
                again = true;
            }
            if (worst_miss && std::abs(*worst_miss) > kTargetToleranceLu) {
                g.decisions.push_back(tag + "a delivered file measures " + fmt(-*worst_miss, 3) + " LU from the target: loop target corrected by " +
                                      fmt(*worst_miss, 3) + " LU");
                *loop_target += *worst_miss;
                again = true;
            }
            if (again) {
                need_loop = true;
                for (size_t e : g.exports) redo[e] = true;
            } else if (!lossy_steps.empty()) {
                // Only those exports are encoded again, at their new gain.
                for (const LossyStep& st : lossy_steps) {
                    trim_db[st.e] += st.delta_db;
                    trim_lowered[st.e] = trim_lowered[st.e] || st.delta_db < 0.0;
                    redo[st.e] = true;
                    g.decisions.push_back(tag + st.why + ": its gain " + (st.delta_db < 0 ? "lowered" : "raised") + " by " + fmt(std::abs(st.delta_db), 3) +
                                          " dB (to " + fmt(trim_db[st.e], 3) + " dB after the limiter) and it alone is encoded again");
                }
                need_loop = false;
            } else {
                delivered = true;
            }
        }
        if (!delivered)
            return fail(ErrorCode::Internal, "master: the delivered files of target " + g.label() + " still miss the ceiling or the target after " +
                                                 std::to_string(kMaxDeliveryRounds) + " rounds (" +
                                                 (g.decisions.empty() ? std::string("?") : g.decisions.back()) + ")");
    }

    // ---- a region of the whole timeline: now write the region itself ----
    if (region_of_whole) {
        for (Group& g : groups) {
            std::vector<bool> all(job.exports.size(), false);
            for (size_t e : g.exports) all[e] = true;
            if (auto ok = deliver(g, staged, all, deliver_from, deliver_to, true, "master: region " + g.label()); !ok) return std::unexpected(ok.error());
            for (size_t e : g.exports) {
                auto d = measure_file(staged[e], job.probe);
                if (!d) return std::unexpected(d.error());
                d->file = job.exports[e].file;
                measured[e] = *d;
            }
            g.decisions.push_back("region " + timecode(deliver_from, rate) + " to " + timecode(deliver_to, rate) +
                                  ": written with the gain and ceiling the whole programme's loop and checks chose; its own loudness is not the target's");
        }
        scratch.abandon();
    }
    result.timing_s["master_loudness_loop"] = loop_s;
    result.timing_s["master_export"] = export_s;
    result.timing_s["master_verify"] = verify_s;

    // ---- the taps see the delivered master once ----
    if ((job.master_tap || job.export_tap) && !job.exports.empty()) {
        for (size_t gi = 0; gi < groups.size(); ++gi) {
            Group& g = groups[gi];
            const bool master_here = job.master_tap && gi == primary;
            if (!master_here && !job.export_tap) continue;
            AudioBuffer trimmed_block;
            auto tapped = limited_pass(g, deliver_from, deliver_to, "master: verify tap " + g.label(), nullptr, nullptr, nullptr,
                                                     [&](const AudioBuffer& o, int64_t k) -> Result<void> {
                                                         if (master_here) job.master_tap(o, k);
                                                         if (!job.export_tap) return {};
                                                         for (size_t e : g.exports) {
                                                             const float gain = static_cast<float>(db_to_gain(trim_db[e]));
                                                             trimmed_block.resize(2, k);
                                                             for (int c = 0; c < 2; ++c)
                                                                 for (int64_t j = 0; j < k; ++j) trimmed_block.channel(c)[j] = o.channel(c)[j] * gain;
                                                             job.export_tap(e, trimmed_block, k);
                                                         }
                                                         return {};
                                                     });
            if (!tapped) return std::unexpected(tapped.error());
        }
    }

    // ---- the report ----
    for (size_t e = 0; e < job.exports.size(); ++e) {
        const Group& g = groups[group_of[e]];
        ExportReport& x = exports[e];
        x.file = job.exports[e].file;
        x.format = job.exports[e].format;
        x.preset = job.exports[e].preset;
        x.target_lufs = g.target.loudness_lufs;
        x.ceiling_dbtp = g.target.ceiling_dbtp;
        x.group = group_of[e];
        x.gain_db = g.gain_db;
        x.working_ceiling_dbtp = g.working_ceiling;
        x.trim_db = trim_db[e];
        x.delivery_rounds = g.rounds;
        x.loop = g.loop;
        x.master = g.master;
        x.limiter = g.limiter_stats;
        x.decisions = g.decisions;
        x.delivered = *measured[e];
        report.delivered.push_back(*measured[e]);
    }
    if (!groups.empty()) {
        const Group& g = groups[primary];
        report.working_ceiling_dbtp = g.working_ceiling;
        report.working_ceiling_dbtp_previous = g.working_ceiling_previous;
        report.gain_db = g.gain_db;
        report.loop = g.loop;
        report.loop_passes = g.loop_passes;
        report.delivery_rounds = g.rounds;
        report.limiter = g.limiter_stats;
        report.gain_reduction_db_over_time = g.gain_reduction_db;
        report.master = g.master;
    }
    for (const Group& g : groups) {
        const std::string prefix = groups.size() > 1 ? "[" + g.label() + "] " : std::string();
        if (job.fixed_gain_db)
            report.decisions.push_back(prefix + "loudness: " + fmt(report.pre_limiter.integrated_lufs) + " LUFS before the limiter; the given gain " +
                                       fmt(g.gain_db) + " dB into the limiter");
        else if (g.target.loudness_lufs)
            report.decisions.push_back(prefix + "loudness: " + fmt(report.pre_limiter.integrated_lufs) + " LUFS before the limiter; gain " +
                                       fmt(g.gain_db) + " dB into the limiter reaches " + fmt(*g.target.loudness_lufs, 1) + " LUFS after " +
                                       std::to_string(g.loop_passes > 0 ? static_cast<size_t>(g.loop_passes) : g.loop.size()) + " passes" +
                                       (backend ? " on the " + backend->name() + " (" + std::to_string(g.loop.size()) + " gains measured)" : std::string()));
        report.decisions.insert(report.decisions.end(), g.decisions.begin(), g.decisions.end());
        if (g.limiter && g.limiter_stats)
            report.decisions.push_back(prefix + "limiter: working ceiling " + fmt(g.working_ceiling, 3) + " dBTP, max gain reduction " +
                                       fmt(g.limiter_stats->max_gain_reduction_db) + " dB, limiting " +
                                       fmt(100.0 * g.limiter_stats->limited_fraction, 1) + " % of the time");
        if (g.guard && g.guard->corrections > 0)
            report.decisions.push_back(prefix + "limiter: ceiling guard corrected " + std::to_string(g.guard->corrections) + " positions by at most " +
                                       fmt(g.guard->max_correction_db, 5) + " dB" +
                                       (g.guard->unverified > 0 ? " (" + std::to_string(g.guard->unverified) + " could not be re-measured)" : ""));
    }
    for (const ExportReport& x : exports)
        if (x.padding_frames > 0)
            report.decisions.push_back(x.file.filename().string() + ": CD audio, padded with " + std::to_string(x.padding_frames) +
                                       " frames of silence to " + std::to_string(x.frames / kCdFrameSamples) + " whole CD frames of 588 samples");
    report.decisions.insert(report.decisions.end(), report.warnings.begin(), report.warnings.end());
    report.exports = std::move(exports);

    // ---- 5. metadata; the caller's transaction moves everything into place ----
    std::vector<FinishedExport> finished;
    for (size_t e = 0; e < staged.size(); ++e) {
        const DeliveredFile& d = report.delivered[e];
        const BextLoudness loudness{d.measured.integrated_lufs, d.measured.loudness_range_lu,
                                    std::max(d.measured.true_peak_dbtp, d.true_peak_8x_dbtp), d.measured.max_momentary_lufs,
                                    d.measured.max_short_term_lufs};
        finished.push_back({job.exports[e], staged[e], loudness});
    }
    auto outputs = finish_exports(finished, session.metadata, *job.transaction);
    if (!outputs) return std::unexpected(outputs.error());
    result.outputs = std::move(*outputs);
    return result;
}

}  // namespace sf::master
