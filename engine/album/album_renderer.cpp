#include "engine/album/album_renderer.h"

#include <algorithm>
#include <cassert>
#include <cmath>
#include <cstdio>
#include <deque>
#include <memory>
#include <optional>

#include "engine/album/album_cue.h"
#include "engine/audio/audio_file.h"
#include "engine/core/cancel.h"
#include "engine/core/clock.h"
#include "engine/export/export_sink.h"
#include "engine/export/metadata.h"
#include "engine/master/master_chain.h"
#include "engine/master/match_eq.h"
#include "engine/render/cpu_mixer.h"

namespace sf::album {

namespace fs = std::filesystem;

namespace {

std::string fmt(double v, int digits = 2) {
    if (!std::isfinite(v)) return v < 0 ? "-inf" : "inf";
    char buf[64];
    std::snprintf(buf, sizeof buf, "%.*f", digits, v);
    return buf;
}

// Prefixes every line of a (possibly multi-line) message.
Error prefixed(const Error& e, const std::string& prefix) {
    std::string out;
    size_t start = 0;
    do {
        const size_t end = e.message.find('\n', start);
        out += (out.empty() ? "" : "\n") + prefix + e.message.substr(start, end == std::string::npos ? std::string::npos : end - start);
        start = end == std::string::npos ? std::string::npos : end + 1;
    } while (start != std::string::npos);
    return Error{e.code, out, e.vk_result};
}

std::string label_of(const AlbumSpec& a, size_t i) { return "tracks[" + std::to_string(i) + "] \"" + a.tracks[i].title + "\""; }

ExportSpec dir_export(const AlbumSpec& a, const AlbumExport& e, size_t track) {
    ExportSpec x;
    x.file = e.path / track_file_name(static_cast<int>(track) + 1, static_cast<int>(a.tracks.size()), a.tracks[track].title,
                                      format_extension(e.format));
    x.file_as_written = x.file.string();
    x.format = e.format;
    x.bit_depth = e.bit_depth;
    x.sample_rate = e.sample_rate;
    x.dither = e.dither;
    x.bitrate_kbps = e.bitrate_kbps;
    x.quality = e.quality;
    return x;
}

const AlbumExport* image_of(const AlbumSpec& a) {
    for (const AlbumExport& e : a.exports)
        if (e.kind == AlbumExport::Kind::Image) return &e;
    return nullptr;
}

fs::path cue_path(const fs::path& image) {
    fs::path cue = image;
    cue.replace_extension(".cue");
    return cue;
}

// Moves a file staged in `from` into `to` under the same target.
Result<void> adopt(DeliveryTransaction& from, DeliveryTransaction& to, const fs::path& target) {
    const fs::path src = from.staged_path(target);
    auto dst = to.stage(target);
    if (!dst) return std::unexpected(dst.error());
    std::error_code ec;
    fs::rename(src, *dst, ec);
    if (ec) return fail(ErrorCode::FileWrite, target.string() + ": cannot move the staged file into place: " + ec.message());
    return {};
}

// One track while the album is rendered.
struct Track {
    std::optional<Session> source;        // a session track's session
    AudioInfo file_info;                  // a premixed track's header
    Session master_session;               // the album's master (with this track's fades) and metadata
    // mode album: the master in two parts, each through the one master step
    // (master_chain.h): the pre-chain (EQ, match EQ, multiband, stereo tools;
    // no limiter, loudness, fades or trims) once, its output spooled; then
    // the limiter with the fades and trims, at a given gain, over that spool,
    // as often as the album's loudness needs.
    Session pre_chain_session;
    Session limiter_session;
    std::optional<master::Spool> pre;     // the pre-chain's output
    std::vector<std::string> pre_chain_decisions;
    std::vector<ExportSpec> exports;      // dir exports, then the image piece (if any)
    double pre_lufs = -INFINITY;
    double gain_db = 0.0;                 // delivered gain into the limiter
    double makeup_db = 0.0;               // mode album: above the common gain
    double makeup_slope = 1.0;            // its loudness per dB of gain, as last measured
    bool makeup_frozen = false;           // its limiter gives no more loudness: left where it is
    double limited_fraction = 0.0;        // of the last pass's time, its limiter working
    std::unique_ptr<DeliveryTransaction> scratch;  // this track's delivered files until the album is accepted
    std::optional<master::MasterOutput> delivered;
};

}  // namespace

SplitMaster split_master(const MasterSpec& m) {
    SplitMaster parts{m, m};
    MasterSpec& pc = parts.pre_chain;
    pc.limiter.reset();
    pc.loudness_target_lufs.reset();
    pc.fade_in_s = pc.fade_out_s = pc.trim_start_s = pc.trim_end_s = 0.0;
    pc.trim_silence_db.reset();
    MasterSpec& lim = parts.limiter;
    lim.eq.reset();
    lim.match_eq.reset();
    lim.multiband.reset();
    lim.width.reset();
    lim.mono_below_hz.reset();
    lim.balance.reset();
    return parts;
}

std::vector<NamedPath> album_outputs(const AlbumSpec& a) {
    std::vector<NamedPath> out;
    for (size_t k = 0; k < a.exports.size(); ++k) {
        const AlbumExport& e = a.exports[k];
        const std::string role = "export[" + std::to_string(k) + "]";
        if (e.kind == AlbumExport::Kind::Dir) {
            for (size_t t = 0; t < a.tracks.size(); ++t) out.push_back({dir_export(a, e, t).file, role + " (" + label_of(a, t) + ")"});
        } else {
            out.push_back({e.path, role + " (the album image)"});
            if (e.cue) out.push_back({cue_path(e.path), role + "'s CUE sheet"});
        }
    }
    return out;
}

Result<AlbumReport> render_album(const AlbumSpec& a, const AlbumOptions& o) {
    assert(o.transaction && o.loudness_probe);
    const auto t_start = Clock::now();
    AlbumReport report;
    report.mode = a.loudness.mode;
    report.target_lufs = a.loudness.target_lufs;
    report.ceiling_dbtp = a.loudness.ceiling_dbtp;
    auto progress = [&](const std::string& s) {
        if (o.progress) o.progress(s);
    };

    // ---- 1. open everything, check the outputs against the inputs ----
    std::deque<Track> tracks(a.tracks.size());  // stable addresses: MasterJob points at master_session
    std::vector<NamedPath> inputs;
    if (!a.file.empty()) inputs.push_back({a.file, "the album file"});
    for (size_t i = 0; i < a.tracks.size(); ++i) {
        const AlbumTrack& t = a.tracks[i];
        const std::string at = "tracks[" + std::to_string(i) + "]";
        if (t.is_session()) {
            auto s = load_session(t.session);
            if (!s) return std::unexpected(prefixed(s.error(), at + ".session: "));
            inputs.push_back({t.session, at + " session"});
            for (size_t k = 0; k < s->stems.size(); ++k)
                inputs.push_back({s->stems[k].file, at + " stems[" + std::to_string(k) + "] \"" + s->stems[k].name + "\""});
            for (size_t k = 0; k < s->buses.size(); ++k)
                if (s->buses[k].reverb) inputs.push_back({s->buses[k].reverb->ir, at + " buses[" + std::to_string(k) + "] reverb IR"});
            tracks[i].source = std::move(*s);
        } else {
            auto info = probe_audio(t.file);
            if (!info) return std::unexpected(prefixed(info.error(), at + ".file: "));
            if (info->channels > 2)
                return fail(ErrorCode::FileRead, at + ".file: " + t.file.string() + ": " + std::to_string(info->channels) +
                                                     " channels; a premixed track is mono or stereo");
            inputs.push_back({t.file, at + " file"});
            tracks[i].file_info = *info;
        }
    }
    if (a.master.match_eq) inputs.push_back({a.master.match_eq->reference, "master.match_eq.reference"});
    const std::vector<NamedPath> outputs = album_outputs(a);
    if (auto ok = check_outputs(outputs, inputs); !ok) return std::unexpected(ok.error());

    const int rate = a.sample_rate ? *a.sample_rate
                     : tracks[0].source ? tracks[0].source->sample_rate
                                        : tracks[0].file_info.sample_rate;
    report.sample_rate = rate;
    const AlbumExport* image = image_of(a);
    const int image_rate = image ? (image->sample_rate ? image->sample_rate : rate) : 0;
    const bool red_book = image && is_red_book(image_rate, image->bit_depth);
    auto too_short = [&](size_t i, double seconds) -> Result<void> {
        if (red_book && seconds < static_cast<double>(kRedBookMinTrackFrames) / kCueFramesPerSecond)
            return fail(ErrorCode::InvalidSession, label_of(a, i) + ": " + fmt(seconds) +
                                                       " s long; a Red Book image (16-bit, 44.1 kHz) needs every track at least 4 s long");
        return {};
    };
    for (size_t i = 0; i < tracks.size(); ++i)
        if (!tracks[i].source)
            if (auto ok = too_short(i, tracks[i].file_info.duration_s()); !ok) return std::unexpected(ok.error());

    // Temporary files (spools, the image's pieces) go beside the first output.
    const fs::path work_dir = outputs.front().path.parent_path();
    const fs::path work = work_dir.empty() ? fs::path(".") : work_dir;

    std::optional<master::LongTermSpectrum> reference;
    if (a.master.match_eq) {
        progress("match EQ reference");
        auto r = master::measure_reference(a.master.match_eq->reference, rate, o.loudness_probe, "master.match_eq.reference", o.cancel);
        if (!r) return std::unexpected(r.error());
        reference = std::move(*r);
    }

    const size_t dir_count = static_cast<size_t>(std::count_if(a.exports.begin(), a.exports.end(), [](const AlbumExport& e) {
        return e.kind == AlbumExport::Kind::Dir;
    }));
    std::vector<master::MasterJob> jobs(tracks.size());
    for (size_t i = 0; i < tracks.size(); ++i) {
        const AlbumTrack& t = a.tracks[i];
        Track& tr = tracks[i];
        Session& ms = tr.master_session;
        ms.file = t.is_session() ? t.session : t.file;
        ms.base_dir = a.base_dir;
        ms.sample_rate = rate;
        ms.master = a.master;
        if (t.fade_in_s) ms.master->fade_in_s = *t.fade_in_s;
        if (t.fade_out_s) ms.master->fade_out_s = *t.fade_out_s;
        DeliveryMetadata& md = ms.metadata;
        md.title = t.title;
        md.artist = t.artist.empty() ? a.artist : t.artist;
        md.album = a.title;
        md.isrc = t.isrc;
        md.catalog = a.catalog;
        md.year = a.year;
        md.track = static_cast<int>(i) + 1;
        md.composer = t.composer.empty() ? a.composer : t.composer;
        md.copyright = a.copyright;
        for (const AlbumExport& e : a.exports)
            if (e.kind == AlbumExport::Kind::Dir) tr.exports.push_back(dir_export(a, e, i));
        if (image) {
            ExportSpec piece;
            piece.file = work / ("." + image->path.filename().string() + ".track" + std::to_string(i + 1) + ".wav");
            piece.file_as_written = piece.file.string();
            piece.format = ExportFormat::Wav;
            piece.bit_depth = image->bit_depth;
            piece.sample_rate = image_rate;
            piece.dither = image->dither;
            tr.exports.push_back(piece);
        }
        // The two parts of album mode's master (see Track).
        const SplitMaster parts = split_master(*ms.master);
        tr.pre_chain_session = ms;
        tr.pre_chain_session.master = parts.pre_chain;
        tr.limiter_session = ms;
        tr.limiter_session.master = parts.limiter;
        master::MasterJob& job = jobs[i];
        job.session = a.loudness.mode == LoudnessMode::Album ? &tr.limiter_session : &ms;
        job.exports = tr.exports;
        job.probe = o.loudness_probe;
        job.block_frames = o.block_frames;
        job.cancel = o.cancel;
        job.match_reference = reference ? &*reference : nullptr;
        job.spool_dir = work;
    }

    // ---- 2. per track: the programme (and, in mode track, its master) ----
    double mix_s = 0.0, master_s = 0.0;
    // mode album: the programmes after the pre-chain, one after another:
    // where the common gain starts (exact where no limiter works).
    std::unique_ptr<LoudnessProbe> album_pre_probe = o.loudness_probe();
    album_pre_probe->reset(rate, 2, false);
    for (size_t i = 0; i < tracks.size(); ++i) {
        const AlbumTrack& t = a.tracks[i];
        Track& tr = tracks[i];
        const std::string step = "track " + std::to_string(i + 1) + "/" + std::to_string(tracks.size()) + " \"" + t.title + "\"";
        progress(step + ": mix");
        auto t0 = Clock::now();
        auto created = master::Spool::create(work, 2);
        if (!created) return std::unexpected(created.error());
        std::optional<master::Spool> mix(std::move(*created));
        std::optional<Error> spool_error;
        if (tr.source) {
            Session mix_session = *tr.source;
            mix_session.sample_rate = rate;
            mix_session.master.reset();
            mix_session.exports.clear();
            RenderOptions ro;
            ro.mix_only = true;
            ro.block_frames = o.block_frames;
            ro.cancel = o.cancel;
            ro.loudness_probe = o.loudness_probe;
            DeliveryTransaction nothing;  // mix_only stages nothing; the fallback wants one
            ro.transaction = &nothing;
            ro.master_tap = [&](const AudioBuffer& b, int64_t n) {
                if (spool_error) return;
                if (auto ok = mix->write(b, n); !ok) spool_error = ok.error();
            };
            auto restart = [&] {
                mix.reset();
                auto again = master::Spool::create(work, 2);
                if (again) mix.emplace(std::move(*again));
                else spool_error = again.error();
            };
            Result<RenderResult> rendered = o.render_mix ? o.render_mix(mix_session, ro, restart) : [&]() -> Result<RenderResult> {
                CpuMixer cpu;
                return render_session(mix_session, cpu, ro);
            }();
            if (!rendered) return std::unexpected(prefixed(rendered.error(), label_of(a, i) + ": "));
            report.backend = rendered->backend;
            report.device = rendered->device;
        } else {
            SourceOptions so;
            so.target_rate = rate;
            so.label = "tracks[" + std::to_string(i) + "].file";
            auto src = AudioSource::open(t.file, so);
            if (!src) return std::unexpected(prefixed(src.error(), "tracks[" + std::to_string(i) + "].file: "));
            AudioBuffer block(src->channels(), o.block_frames), stereo(2, o.block_frames);
            for (int64_t done = 0; done < src->frames();) {
                if (cancel_requested(o.cancel)) return std::unexpected(cancelled_error());
                const int64_t n = std::min(o.block_frames, src->frames() - done);
                auto got = src->read(block, n);
                if (!got) return std::unexpected(got.error());
                for (int c = 0; c < 2; ++c) std::copy_n(block.channel(std::min(c, src->channels() - 1)), n, stereo.channel(c));
                if (auto ok = mix->write(stereo, n); !ok) return std::unexpected(ok.error());
                done += n;
            }
        }
        if (spool_error) return std::unexpected(*spool_error);
        mix_s += seconds_since(t0);
        if (auto ok = too_short(i, static_cast<double>(mix->frames()) / rate); !ok) return std::unexpected(ok.error());

        t0 = Clock::now();
        progress(step + ": master");
        if (a.loudness.mode == LoudnessMode::Album) {
            // The pre-chain once (album master without its limiter, loudness,
            // fades and trims): its output is what every pass limits.
            auto created_pre = master::Spool::create(work, 2);
            if (!created_pre) return std::unexpected(created_pre.error());
            tr.pre.emplace(std::move(*created_pre));
            master::MasterJob job = jobs[i];
            job.session = &tr.pre_chain_session;
            job.exports.clear();
            DeliveryTransaction nothing;
            job.transaction = &nothing;
            job.master_tap = [&](const AudioBuffer& b, int64_t n) {
                if (spool_error) return;
                album_pre_probe->add(b, n);
                if (auto ok = tr.pre->write(b, n); !ok) spool_error = ok.error();
            };
            auto out = master::render_master(job, *mix);
            if (!out) return std::unexpected(prefixed(out.error(), label_of(a, i) + ": "));
            if (spool_error) return std::unexpected(*spool_error);
            tr.pre_chain_decisions = out->report.decisions;
            tr.pre_lufs = out->report.pre_limiter.integrated_lufs;
            master_s += seconds_since(t0);
            continue;
        }
        tr.scratch = std::make_unique<DeliveryTransaction>();
        jobs[i].transaction = tr.scratch.get();
        auto out = master::render_master(jobs[i], *mix);
        if (!out) return std::unexpected(prefixed(out.error(), label_of(a, i) + ": "));
        tr.pre_lufs = out->report.pre_limiter.integrated_lufs;
        tr.gain_db = out->report.gain_db;
        tr.delivered = std::move(*out);
        master_s += seconds_since(t0);
    }
    report.timing_s["mix"] = mix_s;
    report.timing_s["master"] = master_s;

    // The album as one programme: the delivered files measured one after
    // another (gaps excluded): the first dir export's, else the image's pieces.
    auto measure_album = [&]() -> Result<double> {
        std::unique_ptr<LoudnessProbe> probe = o.loudness_probe();
        bool started = false;
        for (Track& tr : tracks) {
            const fs::path file = tr.scratch->staged_path(tr.exports.front().file);
            auto src = AudioSource::open(file, SourceOptions{});
            if (!src) return std::unexpected(src.error());
            if (!started) probe->reset(src->sample_rate(), 2, false);
            started = true;
            AudioBuffer block(src->channels(), o.block_frames), stereo(2, o.block_frames);
            for (int64_t done = 0; done < src->frames();) {
                const int64_t n = std::min(o.block_frames, src->frames() - done);
                auto got = src->read(block, n);
                if (!got) return std::unexpected(got.error());
                for (int c = 0; c < 2; ++c) std::copy_n(block.channel(std::min(c, src->channels() - 1)), n, stereo.channel(c));
                probe->add(stereo, n);
                done += n;
            }
        }
        return probe->stats().integrated_lufs;
    };

    std::optional<double> delivered_album_lufs;  // the delivered files as one programme
    // ---- 3-4. mode album: the common gain, then delivery ----
    // Each pass renders every track's master at its gain (the common one plus
    // its make-up) and measures the limiters' outputs, one after another, as
    // the album. Passes that search write nothing; once the gains hold, a
    // pass delivers (the same gains: the same audio), and the delivered
    // files are measured again.
    if (a.loudness.mode == LoudnessMode::Album) {
        auto t0 = Clock::now();
        const double target = a.loudness.target_lufs;
        const double max_gr = a.master.limiter->max_gain_reduction_db;
        const double before_limiters = album_pre_probe->stats().integrated_lufs;
        if (!std::isfinite(before_limiters))
            return fail(ErrorCode::BadAudio, "loudness.target_lufs: the album is silent (no block above the -70 LUFS gate): "
                                             "there is no gain that reaches " + fmt(target, 1) + " LUFS");
        double common = std::clamp(target - before_limiters, -60.0, 60.0);
        std::vector<std::optional<std::pair<double, double>>> track_previous(tracks.size());  // (gain, loudness)
        bool deliver = false, done = false;
        int searches = 0, deliveries = 0;
        while (!done) {
            if (deliver ? deliveries >= kMaxAlbumDeliveries : searches >= master::kMaxLoopIterations)
                return fail(ErrorCode::Internal, "loudness.target_lufs: the album's loudness did not settle on " + fmt(target, 1) + " LUFS (" +
                                                     std::to_string(searches) + " passes, " + std::to_string(deliveries) +
                                                     " deliveries; " + (report.decisions.empty() ? "" : report.decisions.back()) + ")");
            (deliver ? deliveries : searches) += 1;
            std::unique_ptr<LoudnessProbe> album_probe = o.loudness_probe();
            album_probe->reset(rate, 2, false);
            std::vector<double> shift(tracks.size(), 0.0);
            std::vector<double> out(tracks.size(), -INFINITY);
            for (size_t i = 0; i < tracks.size(); ++i) {
                Track& tr = tracks[i];
                progress("track " + std::to_string(i + 1) + "/" + std::to_string(tracks.size()) + " \"" + a.tracks[i].title + "\": " +
                         (deliver ? "deliver" : "album loudness, pass " + std::to_string(searches)));
                std::unique_ptr<LoudnessProbe> track_probe = o.loudness_probe();
                track_probe->reset(rate, 2, false);
                master::MasterJob job = jobs[i];
                const double g = common + tr.makeup_db;
                job.fixed_gain_db = g;
                // A searching pass measures the limiters' outputs; a delivering
                // one its files (below), as the album's promise is on them.
                if (!deliver)
                    job.master_tap = [&](const AudioBuffer& b, int64_t n) {
                        album_probe->add(b, n);
                        track_probe->add(b, n);
                    };
                DeliveryTransaction nothing;  // a searching pass writes no file
                if (deliver) {
                    tr.scratch = std::make_unique<DeliveryTransaction>();
                    job.transaction = tr.scratch.get();
                } else {
                    job.exports.clear();
                    job.transaction = &nothing;
                }
                auto r = master::render_master(job, *tr.pre);
                if (!r) return std::unexpected(prefixed(r.error(), label_of(a, i) + ": "));
                tr.pre_lufs = r->report.pre_limiter.integrated_lufs;
                out[i] = deliver ? r->report.delivered.front().measured.integrated_lufs : track_probe->stats().integrated_lufs;
                shift[i] = std::isfinite(out[i]) && std::isfinite(tr.pre_lufs) ? out[i] - tr.pre_lufs : 0.0;
                const double gr = r->report.limiter ? r->report.limiter->max_gain_reduction_db : 0.0;
                tr.limited_fraction = r->report.limiter ? r->report.limiter->limited_fraction : 0.0;
                if (gr > max_gr)
                    return fail(ErrorCode::InvalidSession,
                                label_of(a, i) + ": reaching " + fmt(target, 1) + " LUFS for the album under a " +
                                    fmt(a.loudness.ceiling_dbtp) + " dBTP ceiling needs more than " + fmt(max_gr, 1) +
                                    " dB of limiting on this track (" + fmt(gr, 1) + " dB at a gain of " + fmt(g) +
                                    " dB): lower loudness.target_lufs, or raise master.limiter.max_gain_reduction_db");
                tr.gain_db = g;
                if (deliver) tr.delivered = std::move(*r);
            }
            double album = album_probe->stats().integrated_lufs;
            if (deliver) {
                auto files = measure_album();
                if (!files) return std::unexpected(files.error());
                album = *files;
                delivered_album_lufs = album;
            }
            if (!std::isfinite(album))
                return fail(ErrorCode::BadAudio, "loudness.target_lufs: the album measures silent at a gain of " + fmt(common) + " dB");
            // The common shift: that of the tracks on the common gain alone (all tracks when every one has a make-up).
            double reference_shift = -INFINITY;
            for (size_t i = 0; i < tracks.size(); ++i)
                if (tracks[i].makeup_db == 0.0 && std::isfinite(out[i])) reference_shift = std::max(reference_shift, shift[i]);
            if (!std::isfinite(reference_shift))
                for (size_t i = 0; i < tracks.size(); ++i)
                    if (std::isfinite(out[i])) reference_shift = std::max(reference_shift, shift[i]);
            const double miss = target - album;
            // A silent track has no loudness to keep.
            auto counts = [&](size_t i) { return std::isfinite(out[i]) && std::isfinite(tracks[i].pre_lufs); };
            bool spread_ok = true;
            for (size_t i = 0; i < tracks.size(); ++i) {
                const double deviation = shift[i] - reference_shift;
                if (counts(i))
                    spread_ok = spread_ok && (tracks[i].makeup_frozen ? deviation >= -kAlbumMaxLagLu && deviation <= kAlbumSpreadLu
                                                                      : std::abs(deviation) <= kAlbumSpreadLu);
            }
            // A delivering pass renders the gains a search accepted; its delivery
            // rounds may have set a limiter lower, so it is held to the promise, not the loop's aim.
            const bool holds = std::abs(miss) <= (deliver ? master::kTargetToleranceLu : master::kLoopToleranceLu) && spread_ok;
            report.decisions.push_back(std::string(deliver ? "album delivery " + std::to_string(deliveries)
                                                           : "album pass " + std::to_string(searches)) +
                                       ": common gain " + fmt(common) + " dB, album " + fmt(album) + " LUFS" +
                                       (spread_ok ? "" : ", a track's loudness moved too far against the others"));
            if (holds && deliver) {
                done = true;
                break;
            }
            if (deliver && spread_ok) {
                // SRC and dither (or a limiter set lower by a delivery round) moved the files.
                report.decisions.push_back("the delivered album measures " + fmt(album, 3) + " LUFS: every track's gain corrected by " +
                                           fmt(miss, 3) + " dB");
                common += miss;
                continue;  // deliver again
            }
            if (holds) {
                deliver = true;  // the same gains, now written
                continue;
            }
            // Each track's loudness per dB of gain (1 without limiting, less
            // with it), from this pass and its last one with another gain.
            for (size_t i = 0; i < tracks.size(); ++i) {
                if (!counts(i)) continue;
                const double g = common + tracks[i].makeup_db;
                if (track_previous[i] && std::abs(g - track_previous[i]->first) >= kMinSlopeStepDb)
                    tracks[i].makeup_slope = (out[i] - track_previous[i]->second) / (g - track_previous[i]->first);
                else if (!track_previous[i])  // before a second point: the share of time its limiter leaves alone
                    tracks[i].makeup_slope = std::clamp(1.0 - tracks[i].limited_fraction, kMinMakeupSlope, 1.0);
                track_previous[i] = {g, out[i]};
            }
            for (size_t i = 0; i < tracks.size(); ++i) {
                Track& tr = tracks[i];
                if (!counts(i) || tr.makeup_frozen) continue;
                const double deviation = shift[i] - reference_shift;
                // A make-up starts once a track lags by the threshold, and then
                // follows it (back to 0 when the track no longer needs it).
                const bool wanted = tr.makeup_db != 0.0 || deviation < -kAlbumMakeupThresholdLu;
                if (!wanted || std::abs(deviation) <= kAlbumMakeupThresholdLu / 2) continue;
                if (tr.makeup_slope < kMinMakeupSlope) {
                    // A limiter that turns more gain into (almost) no more
                    // loudness: what this track lacks cannot be made up.
                    if (deviation < -kAlbumMaxLagLu)
                        return fail(ErrorCode::InvalidSession,
                                    label_of(a, i) + ": at " + fmt(target, 1) + " LUFS for the album under a " +
                                        fmt(a.loudness.ceiling_dbtp) + " dBTP ceiling, its limiter turns 1 dB more gain into " +
                                        fmt(tr.makeup_slope) + " LU more loudness: it stays " + fmt(-deviation) +
                                        " LU too quiet against the other tracks (album mode keeps their differences within 0.5 LU): "
                                        "lower loudness.target_lufs, or use loudness.mode \"track\"");
                    tr.makeup_frozen = deviation <= kAlbumSpreadLu;  // as close as its limiter lets it come
                    if (tr.makeup_frozen) continue;
                }
                const double slope = std::clamp(tr.makeup_slope, kMinMakeupSlope, 1.0);
                tr.makeup_db = std::max(0.0, tr.makeup_db + std::clamp(-deviation / slope, -kMaxMakeupStepDb, kMaxMakeupStepDb));
            }
            // The next common gain from a model of the album: each track's
            // loudness moves by its slope times its change of gain, the album
            // is their energy mean weighted by length (calibrated on the
            // measured album, which gates across track boundaries).
            auto model = [&](double next_common, double* derivative) {
                double energy = 0.0, weight = 0.0, slope_energy = 0.0;
                for (size_t i = 0; i < tracks.size(); ++i) {
                    if (!std::isfinite(out[i])) continue;
                    const double w = static_cast<double>(tracks[i].pre->frames());
                    const double s_i = std::clamp(tracks[i].makeup_slope, 0.0, 1.0);
                    const double e = w * std::pow(10.0, (out[i] + s_i * (next_common + tracks[i].makeup_db - track_previous[i]->first)) / 10.0);
                    energy += e;
                    slope_energy += e * s_i;
                    weight += w;
                }
                if (derivative) *derivative = energy > 0.0 ? slope_energy / energy : 1.0;
                return 10.0 * std::log10(energy / weight);
            };
            const double calibration = album - model(common, nullptr);
            double next = common;
            for (int k = 0; k < 30; ++k) {
                double d = 1.0;
                const double predicted = model(next, &d) + calibration;
                if (std::abs(target - predicted) < 1e-4) break;
                next = std::clamp(next + (target - predicted) / std::max(d, 0.05), -60.0, 60.0);
            }
            common = next;
            deliver = false;  // searching again until a pass holds
        }
        report.decisions.push_back("album mode: one common gain of " + fmt(common) + " dB into every track's limiter");
        for (size_t i = 0; i < tracks.size(); ++i)
            if (tracks[i].makeup_db > 0.0)
                report.decisions.push_back(label_of(a, i) + ": its limiter took its loudness down against the others': " +
                                           fmt(tracks[i].makeup_db) + " dB of make-up above the common gain");
        report.timing_s["master"] = seconds_since(t0);
        for (Track& tr : tracks) tr.pre.reset();  // the spools go
    }

    if (!delivered_album_lufs) {  // mode track: measured now
        auto album_lufs = measure_album();
        if (!album_lufs) return std::unexpected(album_lufs.error());
        delivered_album_lufs = *album_lufs;
    }
    report.album_integrated_lufs = *delivered_album_lufs;

    // ---- per-track report; the track files move into the command's transaction ----
    for (size_t i = 0; i < tracks.size(); ++i) {
        Track& tr = tracks[i];
        const master::MasterReport& mr = tr.delivered->report;
        AlbumTrackReport r;
        r.title = a.tracks[i].title;
        r.file = dir_count > 0 ? tr.exports.front().file : image->path;
        const master::DeliveredFile& d = mr.delivered.front();
        r.integrated_lufs = d.measured.integrated_lufs;
        r.true_peak_dbtp = std::max(d.measured.true_peak_dbtp, d.true_peak_8x_dbtp);
        r.gain_db = mr.gain_db;
        r.pre_limiter_lufs = tr.pre_lufs;
        r.decisions = tr.pre_chain_decisions;  // mode album: the pre-chain's own (match EQ, ...), then the delivery's
        r.decisions.insert(r.decisions.end(), mr.decisions.begin(), mr.decisions.end());
        report.tracks.push_back(std::move(r));
    }
    for (size_t k = 0; k < dir_count; ++k)
        for (size_t i = 0; i < tracks.size(); ++i)
            if (auto ok = adopt(*tracks[i].scratch, *o.transaction, tracks[i].exports[k].file); !ok) return std::unexpected(ok.error());
    for (size_t k = 0; k < dir_count; ++k)
        for (size_t i = 0; i < tracks.size(); ++i) report.outputs.push_back(tracks[i].exports[k].file);

    // ---- 5. the image ----
    if (image) {
        auto t0 = Clock::now();
        progress("image");
        const int64_t frame = image_rate % kCueFramesPerSecond == 0 ? cue_frame_samples(image_rate) : 1;
        CueDisc disc;
        disc.catalog = a.catalog;
        disc.title = a.title;
        disc.performer = a.artist;
        disc.songwriter = a.composer;
        disc.file_name = image->path.filename().string();
        disc.format = image->format;
        disc.sample_rate = image_rate;
        disc.bit_depth = image->bit_depth;
        std::vector<fs::path> pieces;
        std::vector<int64_t> piece_frames;
        int64_t at = 0;
        for (size_t i = 0; i < tracks.size(); ++i) {
            const fs::path piece = tracks[i].scratch->staged_path(tracks[i].exports.back().file);
            auto info = probe_audio(piece);
            if (!info) return std::unexpected(info.error());
            const AlbumTrack& t = a.tracks[i];
            CueTrack ct;
            ct.label = label_of(a, i);
            ct.title = t.title;
            ct.performer = t.artist.empty() ? a.artist : t.artist;
            ct.songwriter = t.composer;
            ct.isrc = t.isrc;
            const int64_t gap = frame > 1 ? std::llround(t.gap_s * kCueFramesPerSecond) * frame : std::llround(t.gap_s * image_rate);
            if (gap > 0) ct.index00 = at;
            at += gap;
            ct.index01 = at;
            at += (info->frames + frame - 1) / frame * frame;  // padded to a whole CD frame
            ct.end = at;
            report.tracks[i].duration_s = static_cast<double>(info->frames) / image_rate;
            disc.tracks.push_back(std::move(ct));
            pieces.push_back(piece);
            piece_frames.push_back(info->frames);
        }
        if (red_book)
            if (auto ok = check_red_book(disc); !ok) return std::unexpected(ok.error());

        ExportSpec spec;
        spec.file = image->path;
        spec.file_as_written = image->path_as_written;
        spec.format = image->format;
        spec.bit_depth = image->bit_depth;
        spec.sample_rate = image_rate;
        spec.dither = Dither::None;  // the pieces are dithered already: copied sample for sample
        auto staged = o.transaction->stage(image->path);
        if (!staged) return std::unexpected(staged.error());
        auto sink = ExportSink::create(spec, 0, image_rate, 2, *staged);
        if (!sink) return std::unexpected(sink.error());
        AudioBuffer block(2, o.block_frames), stereo(2, o.block_frames);
        auto silence = [&](int64_t n) -> Result<void> {
            stereo.clear();
            for (int64_t done = 0; done < n;) {
                const int64_t k = std::min(o.block_frames, n - done);
                if (auto ok = sink->write(stereo, k); !ok) return ok;
                done += k;
            }
            return {};
        };
        for (size_t i = 0; i < tracks.size(); ++i) {
            const CueTrack& ct = disc.tracks[i];
            if (ct.index00 >= 0)
                if (auto ok = silence(ct.index01 - ct.index00); !ok) return std::unexpected(ok.error());
            auto src = AudioSource::open(pieces[i], SourceOptions{});
            if (!src) return std::unexpected(src.error());
            for (int64_t done = 0; done < src->frames();) {
                if (cancel_requested(o.cancel)) return std::unexpected(cancelled_error());
                const int64_t n = std::min(o.block_frames, src->frames() - done);
                auto got = src->read(block, n);
                if (!got) return std::unexpected(got.error());
                if (auto ok = sink->write(block, n); !ok) return std::unexpected(ok.error());
                done += n;
            }
            if (auto ok = silence(ct.end - ct.index01 - piece_frames[i]); !ok) return std::unexpected(ok.error());
        }
        if (auto ok = sink->finish(); !ok) return std::unexpected(ok.error());

        auto measured = master::measure_file(*staged, o.loudness_probe);
        if (!measured) return std::unexpected(measured.error());
        const double image_peak = std::max(measured->measured.true_peak_dbtp, measured->true_peak_8x_dbtp);
        if (image_peak > a.loudness.ceiling_dbtp)
            report.decisions.push_back("image: true peak " + fmt(image_peak, 3) + " dBTP, over the ceiling at a track's edge "
                                       "(every track's own file is under it)");
        FinishedExport fin{spec, *staged, std::nullopt};
        if (spec.format == ExportFormat::Bwf)
            fin.measured = BextLoudness{measured->measured.integrated_lufs, measured->measured.loudness_range_lu, image_peak,
                                        measured->measured.max_momentary_lufs, measured->measured.max_short_term_lufs};
        DeliveryMetadata md;
        md.title = a.title;
        md.album = a.title;
        md.artist = a.artist;
        md.catalog = a.catalog;
        md.year = a.year;
        md.composer = a.composer;
        md.copyright = a.copyright;
        const FinishedExport finished[1] = {fin};
        auto done = finish_exports(finished, md, *o.transaction);
        if (!done) return std::unexpected(done.error());
        report.outputs.push_back(image->path);
        if (image->cue) {
            if (auto ok = o.transaction->stage_text(cue_path(image->path), album_cue_text(disc)); !ok) return std::unexpected(ok.error());
            report.outputs.push_back(cue_path(image->path));
        }
        if (dir_count == 0)  // the tracks were measured on their pieces of the image
            for (size_t i = 0; i < tracks.size(); ++i) report.tracks[i].file = image->path;
        report.timing_s["image"] = seconds_since(t0);
    } else {
        for (size_t i = 0; i < tracks.size(); ++i) {
            auto info = probe_audio(tracks[i].scratch->staged_path(tracks[i].exports.front().file));
            if (info) report.tracks[i].duration_s = info->duration_s();
        }
    }
    report.timing_s["total"] = seconds_since(t_start);
    return report;
}

}  // namespace sf::album
