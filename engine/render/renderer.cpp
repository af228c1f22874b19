#include "engine/render/renderer.h"

#include <array>
#include <cmath>
#include <cstring>
#include <future>
#include <system_error>

#include <tbb/parallel_for.h>

#include "engine/audio/audio_file.h"
#include "engine/core/clock.h"
#include "engine/core/fault.h"
#include "engine/export/export_sink.h"
#include "engine/export/metadata.h"
#include "engine/export/transaction.h"
#include "engine/master/delivered_check.h"
#include "engine/master/preset.h"
#include "engine/session/session_paths.h"

namespace sf {

std::vector<ExportSpec> effective_exports(const Session& session, const RenderOptions& options) {
    if (options.output_override) {
        ExportSpec e = session.exports.empty() ? ExportSpec{} : session.exports.front();
        e.file = *options.output_override;
        e.file_as_written = options.output_override->string();
        // render_session refuses an extension that names no format (export_format_for_file).
        e.format = format_from_extension(e.file).value_or(ExportFormat::Wav);
        if (is_lossy(e.format) || (!session.exports.empty() && is_lossy(session.exports.front().format))) {
            // Another codec: its own defaults, not the first export's codec settings.
            const ExportSpec defaults;
            if (session.exports.empty() || e.format != session.exports.front().format) {
                e.bitrate_kbps = defaults.bitrate_kbps;
                e.quality = defaults.quality;
                e.sample_rate = defaults.sample_rate;
                e.bit_depth = defaults.bit_depth;
                e.dither = defaults.dither;
                e.cue_sheet = false;
            }
            if (is_lossy(e.format)) {  // as the session parser sets lossy exports: float in, no dither
                e.bit_depth = 32;
                e.dither = Dither::None;
            }
        }
        if (session.master && session.master->preset)
            if (auto p = master::preset_from_name(*session.master->preset))
                master::apply_preset_export_defaults(e, *p, false, !session.exports.empty(), !session.exports.empty(),
                                                     !session.exports.empty());
        if (e.format == ExportFormat::Flac && e.bit_depth == 32) e.bit_depth = 24;
        if (e.bit_depth == 32) e.dither = Dither::None;
        return {e};
    }
    if (!session.exports.empty()) return session.exports;
    ExportSpec e;
    std::string stem = session.file.empty() ? std::string("session") : session.file.stem().string();
    e.file = session.base_dir / (stem + "-master.wav");
    e.file_as_written = e.file.string();
    if (session.master && session.master->preset)
        if (auto p = master::preset_from_name(*session.master->preset)) master::apply_preset_export_defaults(e, *p, false, false, false, false);
    return {e};
}

Result<void> check_render_outputs(const Session& session, const std::vector<ExportSpec>& exports) {
    std::vector<NamedPath> outputs, inputs;
    for (size_t e = 0; e < exports.size(); ++e) {
        const std::string role = "export[" + std::to_string(e) + "]";
        outputs.push_back({exports[e].file, role});
        if (exports[e].cue_sheet) {
            if (auto ok = check_cue_file_name(exports[e].file, role); !ok) return ok;
            std::filesystem::path cue = exports[e].file;
            cue.replace_extension(".cue");
            outputs.push_back({cue, role + "'s CUE sheet"});
        }
    }
    if (!session.file.empty()) inputs.push_back({session.file, "the session file"});
    for (size_t i = 0; i < session.stems.size(); ++i)
        inputs.push_back({session.stems[i].file, "stems[" + std::to_string(i) + "] \"" + session.stems[i].name + "\""});
    for (size_t i = 0; i < session.buses.size(); ++i)
        if (session.buses[i].reverb)
            inputs.push_back({session.buses[i].reverb->ir, "buses[" + std::to_string(i) + "] \"" + session.buses[i].name + "\" reverb IR"});
    if (session.master && session.master->match_eq) inputs.push_back({session.master->match_eq->reference, "master.match_eq.reference"});
    if (auto ok = check_outputs(outputs, inputs); !ok) return ok;
    // Then what each export's writer can hold (a codec's rates and bit rates).
    for (size_t e = 0; e < exports.size(); ++e)
        if (auto ok = check_export(exports[e], session.sample_rate, 2, "export[" + std::to_string(e) + "]"); !ok) return ok;
    return {};
}

namespace {

// One monotone fraction over the whole render: the mix takes the first half
// when a master follows (its passes the rest, against an estimate of their
// number that grows when passes outrun it); `phase_progress` gets each
// phase's own fraction.
class RenderProgress {
public:
    RenderProgress(const RenderOptions& o, bool master, size_t targets)
        : o_(o), mix_share_(master ? 0.5 : 1.0), expected_passes_(1.0 + 6.0 * static_cast<double>(std::max<size_t>(1, targets))) {}
    void mix(double f) { report("mix", f, mix_share_ * f); }
    void master(const std::string& phase, double f) {
        if (phase != current_) {
            ++passes_;
            current_ = phase;
        }
        const double est = std::max(expected_passes_, passes_ + 1.0);
        report(phase, f, mix_share_ + (1.0 - mix_share_) * std::min(0.99, (passes_ - 1.0 + f) / est));
    }
    void done() {
        if (o_.progress) o_.progress(1.0);
    }

private:
    void report(const std::string& phase, double f, double overall) {
        overall_ = std::max(overall_, overall);
        if (o_.phase_progress) o_.phase_progress(phase, f);
        if (o_.progress) o_.progress(overall_);
    }
    const RenderOptions& o_;
    double mix_share_, expected_passes_;
    double passes_ = 0.0, overall_ = 0.0;
    std::string current_;
};

}  // namespace

Result<RenderResult> render_session(const Session& session, MixBackend& backend, const RenderOptions& options) {
    const auto t_start = Clock::now();
    if (auto ok = check_session_paths(session); !ok) return std::unexpected(ok.error());
    const auto exports = options.mix_only ? std::vector<ExportSpec>{} : effective_exports(session, options);
    if (auto ok = check_render_outputs(session, exports); !ok) return std::unexpected(ok.error());
    // `-o out.xyz` is refused, never written as a WAV under that name.
    if (options.output_override)
        if (auto f = export_format_for_file(*options.output_override); !f) return std::unexpected(f.error());
    DeliveryTransaction own_transaction;
    DeliveryTransaction& transaction = options.transaction ? *options.transaction : own_transaction;
    RenderResult result;
    result.backend = backend.name();
    result.device = backend.device();
    result.sample_rate = session.sample_rate;
    const int rate = session.sample_rate;

    // ---- open every stem (validates files before any output exists) ----
    RenderPlan plan;
    plan.sample_rate = session.sample_rate;
    plan.block_frames = options.block_frames;
    std::vector<AudioSource> sources;
    // With a cache: each stem's decoded source, whole, from an earlier render
    // (read from here instead of the file), or filled by this one.
    std::vector<std::string> audio_keys(session.stems.size());
    std::vector<std::shared_ptr<const AudioBuffer>> cached_audio(session.stems.size());
    const bool any_solo = std::any_of(session.stems.begin(), session.stems.end(), [](const StemSpec& s) { return s.solo; });
    for (size_t i = 0; i < session.stems.size(); ++i) {
        const StemSpec& s = session.stems[i];
        SourceOptions so;
        so.target_rate = session.sample_rate;
        so.label = "stems[" + std::to_string(i) + "] \"" + s.name + "\"";
        auto src = AudioSource::open(s.file, so);
        if (!src) return std::unexpected(src.error());
        if (options.cache)
            if (auto stamp = file_stamp(s.file)) {
                audio_keys[i] = stem_audio_key(*stamp, session.sample_rate);
                cached_audio[i] = options.cache->find_stem_audio(audio_keys[i]);
                if (cached_audio[i] && (cached_audio[i]->channels() != src->channels() || cached_audio[i]->frames() != src->frames()))
                    cached_audio[i].reset();
            }
        StemPlan sp;
        sp.index = i;
        sp.channels = src->channels();
        // Width is M/S: it needs two channels (known only once the file is open).
        if ((s.width || !s.automation.width.empty()) && sp.channels < 2)
            return fail(ErrorCode::InvalidSession, session.file.string() + ": stems[" + std::to_string(i) + "]." +
                                                        (s.width ? "width" : "automation.width") + ": the stem \"" + s.name +
                                                        "\" is mono (width needs a stereo source)");
        sp.start_frames = static_cast<int64_t>(std::llround(s.offset_s * session.sample_rate));
        sp.length_frames = src->frames();
        sp.audible = !s.mute && (!any_solo || s.solo);
        plan.content_frames = std::max(plan.content_frames, sp.end_frames());
        plan.stems.push_back(sp);
        sources.push_back(std::move(*src));
    }
    plan.total_frames = plan.content_frames;
    plan.bus_order = bus_processing_order(session);
    plan.cache = options.cache;
    // Stem signals are stored from, and valid for, mixes that run from frame 0.
    plan.stem_signals_allowed = !options.region || (session.master && master::master_needs_whole_timeline(*session.master, exports));
    fault::pause_at("opened");

    if (auto ok = backend.prepare(session, plan); !ok) return std::unexpected(ok.error());
    result.timeline_frames = plan.total_frames;

    // ---- a region: what to render around it ----
    // The mix runs over timeline frames [start, mix_end): the whole timeline,
    // or for a region its pre-roll (the mix's and the master's memory,
    // aligned down to the block grid so every block falls where a full
    // render's does) up to the master's look-ahead past its end.
    const int64_t block = plan.block_frames;
    int64_t start = 0, mix_end = plan.total_frames;
    std::optional<std::pair<int64_t, int64_t>> region;
    if (options.region) {
        const TimeRegion& r = *options.region;
        const int64_t from = std::llround(r.from_s * rate), to = r.to_s ? std::llround(*r.to_s * rate) : plan.total_frames;
        const std::string length = timecode(plan.total_frames, rate);
        if (!(r.from_s >= 0.0)) return fail(ErrorCode::InvalidArgument, "--from: " + timecode(from, rate) + " is before the session's start");
        if (to <= from)
            return fail(ErrorCode::InvalidArgument, "--from " + timecode(from, rate) + " must be before --to " + timecode(to, rate));
        if (from >= plan.total_frames)
            return fail(ErrorCode::InvalidArgument, "--from: " + timecode(from, rate) + " is past the end of the session (" + length + ")");
        if (to > plan.total_frames)
            return fail(ErrorCode::InvalidArgument, "--to: " + timecode(to, rate) + " is past the end of the session (" + length + ")");
        region.emplace(from, to);
        RegionResult rr;
        rr.from_frame = from;
        rr.to_frame = to;
        rr.whole_timeline = session.master && master::master_needs_whole_timeline(*session.master, exports);
        if (!rr.whole_timeline) {
            int64_t memory = mix_memory_frames(session, plan), lookahead = 0;
            if (session.master) {
                auto mt = master::master_timing(*session.master, rate);
                if (!mt) return std::unexpected(mt.error());
                memory += mt->memory_frames;
                lookahead = mt->lookahead_frames;
            }
            start = std::max<int64_t>(0, from - memory);
            start -= start % block;
            mix_end = std::min(plan.total_frames, to + lookahead);
        }
        rr.start_frame = start;
        result.region = rr;
    }
    RenderProgress progress(options, session.master.has_value(), exports.size());
    std::vector<AudioBuffer> stem_taps;
    MixDiagnostics* const diagnostics = options.diagnostics && backend.set_stem_taps(&stem_taps) ? options.diagnostics : nullptr;
    if (diagnostics) diagnostics->start(rate, region ? region->first : 0, region ? region->second : plan.total_frames);

    // ---- open the exports (temporary files; renamed on success only) ----
    // With a master block the mix is spooled and the master step writes the
    // exports (engine/master/master_chain.h).
    std::vector<ExportSink> sinks;
    std::vector<std::filesystem::path> staged;
    std::optional<master::Spool> spool;
    if (session.master && !exports.empty()) {
        const auto dir = exports.front().file.parent_path();
        auto sp = master::Spool::create(dir.empty() ? std::filesystem::path(".") : dir, 2);
        if (!sp) return std::unexpected(sp.error());
        spool.emplace(std::move(*sp));
    }
    for (size_t e = 0; e < exports.size() && !spool; ++e) {
        auto temp = transaction.stage(exports[e].file);
        if (!temp) return std::unexpected(temp.error());
        auto sink = ExportSink::create(exports[e], e, session.sample_rate, 2, *temp);
        if (!sink) return std::unexpected(sink.error());
        if (master::is_cd_audio_export(exports[e], std::nullopt, rate)) sink->pad_to_multiple(master::kCdFrameSamples);
        staged.push_back(*temp);
        sinks.push_back(std::move(*sink));
    }
    // Stems read whole from their first frame are kept in the cache (when it
    // has room); a region that starts inside a stem or ends before its end
    // reads part of it, which is not kept.
    std::vector<std::shared_ptr<AudioBuffer>> fill(plan.stems.size());
    std::vector<int64_t> filled(plan.stems.size(), 0);
    for (size_t k = 0; k < plan.stems.size() && options.cache; ++k) {
        const StemPlan& sp = plan.stems[k];
        const size_t bytes = static_cast<size_t>(sp.channels) * static_cast<size_t>(sp.length_frames) * sizeof(float);
        if (!audio_keys[k].empty() && !cached_audio[k] && !sp.input_unused && start <= sp.start_frames && options.cache->fits(bytes))
            fill[k] = std::make_shared<AudioBuffer>(sp.channels, sp.length_frames);
    }
    // A region: each stem's source moves to the render's start.
    for (size_t k = 0; k < plan.stems.size() && start > 0; ++k)
        if (start > plan.stems[k].start_frames && !cached_audio[k] && !plan.stems[k].input_unused)
            if (auto ok = sources[k].skip(std::min(start, plan.stems[k].end_frames()) - plan.stems[k].start_frames); !ok)
                return std::unexpected(ok.error());
    result.timing_s["open"] = seconds_since(t_start);

    // ---- stream the timeline in blocks ----
    // Decoding runs one block ahead on its own thread (two input sets), so
    // block k+1 is read and resampled while the backend mixes block k and
    // the exports write it: for the GPU backend, decode overlaps upload,
    // compute and download. Sources are touched by the decode thread only.
    std::array<std::vector<AudioBuffer>, 2> input_sets;
    std::vector<AudioBuffer> scratch(plan.stems.size());
    for (auto& inputs : input_sets) inputs.resize(plan.stems.size());
    for (size_t k = 0; k < plan.stems.size(); ++k) {
        for (auto& inputs : input_sets) inputs[k].resize(plan.stems[k].channels, block);
        scratch[k].resize(plan.stems[k].channels, block);
    }
    AudioBuffer master(2, block);
    std::vector<std::optional<Error>> stem_errors(plan.stems.size());
    double decode_s = 0, mix_s = 0, export_s = 0, diagnostics_s = 0;

    // The backend's graph latency: run the timeline that much longer and drop
    // as many leading master frames, so the output is aligned with the stems.
    const int64_t latency = plan.latency_frames;
    const int64_t timeline_end = mix_end + latency;
    // Fills inputs with timeline frames [b0, b0 + n) of every stem (zeros outside it).
    auto decode = [&](std::vector<AudioBuffer>& inputs, int64_t b0, int64_t n) -> Result<void> {
        const auto t0 = Clock::now();
        tbb::parallel_for(size_t{0}, plan.stems.size(), [&](size_t k) {
            const StemPlan& sp = plan.stems[k];
            if (sp.input_unused) return;  // the backend has its signal from the cache
            AudioBuffer& in = inputs[k];
            in.clear();
            const int64_t from = std::max(b0, sp.start_frames);
            const int64_t to = std::min(b0 + n, sp.end_frames());
            if (to <= from) return;
            if (cached_audio[k]) {  // what the source would give here (AudioSource::skip's contract for regions)
                for (int c = 0; c < sp.channels; ++c)
                    std::memcpy(in.channel(c) + (from - b0), cached_audio[k]->channel(c) + (from - sp.start_frames),
                                static_cast<size_t>(to - from) * sizeof(float));
                return;
            }
            // Stems are read in timeline order, so this is the next chunk of the source.
            auto got = sources[k].read(scratch[k], to - from);
            if (!got) {
                stem_errors[k] = got.error();
                return;
            }
            for (int c = 0; c < sp.channels; ++c)
                std::memcpy(in.channel(c) + (from - b0), scratch[k].channel(c), static_cast<size_t>(to - from) * sizeof(float));
            if (fill[k] && from - sp.start_frames == filled[k]) {
                for (int c = 0; c < sp.channels; ++c)
                    std::memcpy(fill[k]->channel(c) + filled[k], scratch[k].channel(c), static_cast<size_t>(to - from) * sizeof(float));
                filled[k] += to - from;
            }
        });
        decode_s += seconds_since(t0);
        for (auto& e : stem_errors)
            if (e) return std::unexpected(*e);
        return {};
    };
    if (timeline_end > start)
        if (auto ok = decode(input_sets[0], start, std::min(block, timeline_end - start)); !ok) return std::unexpected(ok.error());
    // Declared after the buffers it writes: an early return joins it before they go.
    std::future<Result<void>> ahead;
    size_t current = 0;
    for (int64_t b0 = start; b0 < timeline_end; b0 += block) {
        if (b0 > start) {  // this block was decoded during the previous one
            if (auto ok = ahead.get(); !ok) return std::unexpected(ok.error());
            current ^= 1;
        }
        if (cancel_requested(options.cancel)) return std::unexpected(cancelled_error());
        const int64_t n = std::min(block, timeline_end - b0);
        if (b0 + n < timeline_end) {
            const int64_t next = b0 + n, next_n = std::min(block, timeline_end - next);
            try {
                ahead = std::async(std::launch::async, decode, std::ref(input_sets[current ^ 1]), next, next_n);
            } catch (const std::system_error&) {  // no thread to be had: decode in step instead
                std::promise<Result<void>> done;
                done.set_value(decode(input_sets[current ^ 1], next, next_n));
                ahead = done.get_future();
            }
        }

        auto t0 = Clock::now();
        if (auto ok = backend.process(b0, n, input_sets[current], master); !ok) return std::unexpected(ok.error());
        mix_s += seconds_since(t0);

        // Drop the latency: keep timeline frames >= start, moved to the block start.
        const int64_t skip = std::clamp<int64_t>(latency - (b0 - start), 0, n);
        int64_t out_n = n - skip;
        int64_t out_first = b0 + skip - latency;  // the timeline frame of master[0] after the move
        if (diagnostics && out_n > 0) {
            const auto t_diag = Clock::now();
            diagnostics->add(master, stem_taps, skip, out_n, out_first);
            diagnostics_s += seconds_since(t_diag);
        }
        if (skip > 0 && out_n > 0)
            for (int c = 0; c < 2; ++c) std::memmove(master.channel(c), master.channel(c) + skip, static_cast<size_t>(out_n) * sizeof(float));
        progress.mix(static_cast<double>(b0 + n - start) / static_cast<double>(timeline_end - start));
        if (out_n == 0) continue;

        t0 = Clock::now();
        if (spool) {
            if (auto ok = spool->write(master, out_n); !ok) return std::unexpected(ok.error());
        } else {
            // Without a master only the region is written.
            if (region) {
                const int64_t lo = std::max(out_first, region->first), hi = std::min(out_first + out_n, region->second);
                if (hi <= lo) continue;
                if (lo > out_first)
                    for (int c = 0; c < 2; ++c) std::memmove(master.channel(c), master.channel(c) + (lo - out_first), static_cast<size_t>(hi - lo) * sizeof(float));
                out_first = lo;
                out_n = hi - lo;
            }
            if (options.master_tap) options.master_tap(master, out_n);
            if (options.export_tap)
                for (size_t e = 0; e < sinks.size(); ++e) options.export_tap(e, master, out_n);
            for (ExportSink& sink : sinks)
                if (auto ok = sink.write(master, out_n); !ok) return std::unexpected(ok.error());
        }
        export_s += seconds_since(t0);
        fault::pause_at_block((b0 - start) / block);
    }

    // A stem edited in place while it was read may have given blocks of two
    // versions: refuse the render rather than deliver a blend.
    for (const AudioSource& s : sources)
        if (auto ok = s.check_unchanged(); !ok) return std::unexpected(ok.error());
    for (size_t k = 0; k < fill.size(); ++k)
        if (fill[k] && filled[k] == plan.stems[k].length_frames) options.cache->store_stem_audio(audio_keys[k], std::move(fill[k]));

    if (spool) {
        master::MasterJob job;
        job.session = &session;
        job.exports = exports;
        job.probe = options.loudness_probe;
        job.block_frames = options.block_frames;
        job.master_tap = options.master_tap;
        job.export_tap = options.export_tap;
        job.cancel = options.cancel;
        job.transaction = &transaction;
        job.origin_frame = start;
        job.timeline_frames = plan.total_frames;
        job.region = region;
        job.progress = [&progress](const std::string& phase, double f) { progress.master(phase, f); };
        job.backend = backend.master_backend();
        job.replay = options.master_replay;
        auto mastered = master::render_master(job, *spool);
        if (!mastered) return std::unexpected(mastered.error());
        result.outputs = mastered->outputs;
        for (const auto& [k, v] : mastered->timing_s) result.timing_s[k] = v;
        for (const master::ExportReport& x : mastered->report.exports)
            result.exports.push_back({x.file, x.delivered.sample_rate, x.frames, x.clipped_samples, x.first_clipped_frame});
        result.frames = mastered->report.delivered_to_frame - mastered->report.delivered_from_frame;
        if (result.region) {
            result.region->from_frame = mastered->report.delivered_from_frame;
            result.region->to_frame = mastered->report.delivered_to_frame;
        }
        result.master = std::move(mastered->report);
    } else {
        auto t0 = Clock::now();
        std::vector<FinishedExport> finished;
        for (size_t e = 0; e < sinks.size(); ++e) {
            if (auto ok = sinks[e].finish(); !ok) return std::unexpected(ok.error());
            result.exports.push_back({exports[e].file, sinks[e].sample_rate(), sinks[e].frames_written(), sinks[e].clipped_samples(),
                                      sinks[e].first_clipped_frame()});
            FinishedExport f{exports[e], staged[e], std::nullopt};
            if (f.spec.format == ExportFormat::Bwf) {  // the bext loudness fields hold the file's own measurement
                if (!options.loudness_probe)
                    return fail(ErrorCode::InvalidArgument, f.spec.file.string() + ": a BWF export needs a loudness meter, and none was given");
                auto d = master::measure_file(staged[e], options.loudness_probe);
                if (!d) return std::unexpected(d.error());
                f.measured = BextLoudness{d->measured.integrated_lufs, d->measured.loudness_range_lu,
                                          std::max(d->measured.true_peak_dbtp, d->true_peak_8x_dbtp), d->measured.max_momentary_lufs,
                                          d->measured.max_short_term_lufs};
            }
            finished.push_back(std::move(f));
        }
        auto outputs = finish_exports(finished, session.metadata, transaction);
        if (!outputs) return std::unexpected(outputs.error());
        result.outputs = std::move(*outputs);
        export_s += seconds_since(t0);
        result.frames = region ? region->second - region->first : plan.total_frames;
    }
    if (&transaction == &own_transaction)
        if (auto ok = transaction.commit(); !ok) return std::unexpected(ok.error());

    result.timing_s["decode"] = decode_s;
    result.timing_s["mix"] = mix_s;
    result.timing_s["export"] = export_s;
    if (diagnostics) result.timing_s["diagnostics"] = diagnostics_s;  // mix (the taps) excluded
    result.timing_s["total"] = seconds_since(t_start);
    progress.done();
    return result;
}

}  // namespace sf
