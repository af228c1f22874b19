#include "app/gui/workstation.h"

#include <algorithm>
#include <cstdio>
#include <system_error>

#include <unistd.h>

#include "analysis/loudness_probe.h"
#include "app/backends.h"
#include "engine/audio/audio_file.h"
#include "engine/session/session_edit.h"
#include "engine/export/manifest.h"
#include "engine/export/transaction.h"

namespace sf::gui {

namespace fs = std::filesystem;

const char* view_name(View view) {
    switch (view) {
        case View::Session: return "session";
        case View::Mixer: return "mixer";
        case View::Render: return "render";
        case View::Loudness: return "loudness";
        case View::Spectrum: return "spectrum";
        case View::Spectrogram: return "spectrogram";
        case View::Stereo: return "stereo";
        case View::Compare: return "compare";
    }
    return "?";
}

std::optional<View> view_from_name(std::string_view name) {
    for (View v : kAllViews)
        if (name == view_name(v)) return v;
    return std::nullopt;
}

namespace {

// What the views need from one file: the analyze pass with its series,
// spectrogram and vectorscope (all bounded in memory by analysis/).
analysis::AnalyzeOptions view_analysis_options() {
    analysis::AnalyzeOptions o;
    o.series = true;
    o.spectrogram = true;
    o.vectorscope = true;
    o.waveform = true;
    return o;
}

bool is_session_file(const fs::path& p) {
    std::string ext = p.extension().string();
    std::transform(ext.begin(), ext.end(), ext.begin(), [](unsigned char c) { return static_cast<char>(std::tolower(c)); });
    return ext == ".json";
}

}  // namespace

Workstation::Workstation() = default;

Workstation::~Workstation() {
    playback_.reset();  // the stream stops before the files it reads can go
    // Jobs cancel and join in their destructors; cancel them all first so
    // they stop in parallel rather than one after another.
    if (render_.job) render_.job->cancel();
    if (preview_.job) preview_.job->cancel();
    for (auto& j : retired_) j->cancel();
    if (qa_job_) qa_job_->cancel();
    if (compare_.job) compare_.job->cancel();
    for (Source& s : sources_)
        if (s.job) s.job->cancel();
    // Join them (a Job's destructor waits) before the QA renders' folder goes.
    render_.job.reset();
    preview_.job.reset();
    retired_.clear();
    qa_job_.reset();
    compare_.job.reset();
    for (Source& s : sources_) s.job.reset();
    if (!qa_dir_.empty()) {
        std::error_code ec;
        fs::remove_all(qa_dir_, ec);
    }
}

void Workstation::log_line(std::string line) { log_.push_back(std::move(line)); }

Result<void> Workstation::open(const std::vector<fs::path>& paths) {
    for (const fs::path& p : paths) {
        std::error_code ec;
        if (!fs::exists(p, ec)) return fail(ErrorCode::FileNotFound, p.string() + ": no such file");
    }
    for (const fs::path& p : paths) {
        if (is_session_file(p)) {
            open_session(p);
        } else {
            const size_t i = add_source(p.filename().string(), p, SourceKind::File);
            analyze(i);
            log_line("opened " + p.string());
        }
    }
    return {};
}

void Workstation::open_session(const fs::path& file) {
    if (render_.job && render_.job->running()) render_.job->cancel();
    stop_playback();  // source indices change
    // The previous session's stems and masters go; files opened on their own stay.
    std::erase_if(sources_, [](const Source& s) { return s.kind != SourceKind::File; });
    compare_ = CompareRun{};
    settings_.selected_source.reset();
    render_.result.reset();
    render_.error.clear();
    // A new session: a new cache (the old one goes with the last job using it).
    cache_ = std::make_shared<RenderCache>();
    if (preview_.job) {
        preview_.job->cancel();
        retired_.push_back(std::move(preview_.job));
    }
    preview_ = PreviewRun{};
    edit_pending_.reset();
    preview_edit_.reset();

    undo_.clear();
    redo_.clear();
    dirty_ = false;
    OpenSession doc;
    doc.file = file;
    auto loaded = load_session(file);
    if (!loaded) {
        doc.errors.push_back(loaded.error().message);
        log_line("session " + file.string() + " has errors: " + loaded.error().message);
        session_ = std::move(doc);
        return;
    }
    doc.session = std::move(*loaded);
    const Session& s = *doc.session;
    if (s.master && s.master->loudness_target_lufs) settings_.loudness_target_lufs = *s.master->loudness_target_lufs;
    if (s.master && s.master->limiter) settings_.ceiling_dbtp = s.master->limiter->ceiling_dbtp;
    // The session's deliveries already on disk are the master until the next render.
    for (const ExportSpec& e : effective_exports(s, RenderOptions{})) {
        std::error_code ec;
        if (fs::is_regular_file(e.file, ec)) {
            const size_t i = add_source(sources_.empty() ? "master" : e.file.filename().string(), e.file, SourceKind::Master);
            analyze(i);
        }
    }
    for (const StemSpec& stem : s.stems) {
        const size_t i = add_source(stem.name, stem.file, SourceKind::Stem);
        sources_[i].shown = false;  // analysed when looked at, not all at once
    }
    const std::string counts = std::to_string(s.stems.size()) + " stems, " + std::to_string(s.buses.size()) + " buses";
    session_ = std::move(doc);  // `s` refers into doc: not used past here
    log_line("opened session " + file.string() + " (" + counts + ")");
}

size_t Workstation::add_source(std::string label, fs::path file, SourceKind kind) {
    Source s;
    s.label = std::move(label);
    s.file = std::move(file);
    s.kind = kind;
    // A stem's channel count decides what the mixer offers (width is for stereo stems only).
    if (kind == SourceKind::Stem)
        if (auto info = probe_audio(s.file)) s.channels = info->channels;
    sources_.push_back(std::move(s));
    return sources_.size() - 1;
}

void Workstation::analyze(size_t index) {
    if (index >= sources_.size()) return;
    Source& s = sources_[index];
    if (s.job || s.analysis) return;
    s.error.clear();
    s.job = std::make_shared<Job>("analyze " + s.label, [file = s.file](JobControl& jc) -> Result<void> {
        jc.set_phase("analyze");
        analysis::AnalyzeOptions options = view_analysis_options();
        options.progress = [&jc](double f) { jc.set_progress(f); };
        options.cancel = jc.cancel_flag();
        auto a = analysis::analyze_file(file, options);
        if (!a) return std::unexpected(a.error());
        jc.set_output(std::make_shared<const analysis::FileAnalysis>(std::move(*a)));
        return {};
    });
}

Result<void> Workstation::render() {
    if (!session_) return fail(ErrorCode::InvalidArgument, "render: no session is open");
    if (!session_->session) return fail(ErrorCode::InvalidSession, "render: the session has errors: " + session_->errors.front());
    if (render_.job && render_.job->running()) return fail(ErrorCode::InvalidArgument, "render: a render is already running");
    auto session = std::make_shared<const Session>(*session_->session);
    render_.error.clear();
    render_log_seen_ = 0;
    log_line("render " + session_->file.string() + " (backend " + render_.backend + ")");
    render_.job = std::make_shared<Job>("render", [session, backend = render_.backend, cache = cache_](JobControl& jc) -> Result<void> {
        // As `stemforge render`: one transaction for every output, committed
        // only when the whole render succeeded; the cancel button's flag
        // stops it at the next block and removes every temporary.
        DeliveryTransaction transaction;
        RenderOptions options;
        options.cancel = jc.cancel_flag();
        options.transaction = &transaction;
        options.loudness_probe = [] { return analysis::make_loudness_probe(); };
        options.progress = [&jc](double f) { jc.set_progress(f); };
        options.cache = cache.get();  // bit-identical with or without it
        // The manifest too, so `stemforge replay` proves a UI render as it
        // does a CLI one: its path is checked first, the inputs hashed as
        // the render opens them, and it is committed with the outputs.
        const std::vector<ExportSpec> exports = effective_exports(*session, options);
        if (auto ok = check_manifest_path(*session, exports); !ok) return std::unexpected(ok.error());
        const auto inputs_hashed = hash_files(render_inputs(*session));
        jc.set_phase("render");
        auto rendered = cli::render_with_fallback(backend, *session, options, [&jc](const std::string& note) { jc.log(note); });
        if (!rendered) return std::unexpected(rendered.error());
        ManifestContext context;
        context.backend = rendered->backend->name();
        context.device = rendered->backend->device();
        context.extra_versions = cli::backend_versions(*rendered->backend);
        context.backend_requested = backend;
        if (auto m = stage_render_manifest(*session, exports, context, transaction, inputs_hashed ? &*inputs_hashed : nullptr); !m)
            return std::unexpected(m.error());
        jc.set_phase("commit");
        if (auto ok = transaction.commit(); !ok) return std::unexpected(ok.error());
        for (const fs::path& f : rendered->result.outputs) jc.log("wrote " + f.string());
        jc.set_output(std::make_shared<const RenderResult>(std::move(rendered->result)));
        return {};
    });
    return {};
}

void Workstation::cancel_render() {
    if (render_.job && render_.job->running()) render_.job->cancel();
}

namespace {

// A preview's output: the render and what the cache gave it.
struct PreviewOutput {
    cli::PreviewResult preview;
    RenderCache::Stats cache;
};

RenderCache::Stats stats_since(const RenderCache::Stats& a, const RenderCache::Stats& b) {
    RenderCache::Stats d;
    d.stem_audio_hits = b.stem_audio_hits - a.stem_audio_hits;
    d.stem_audio_misses = b.stem_audio_misses - a.stem_audio_misses;
    d.eq_design_hits = b.eq_design_hits - a.eq_design_hits;
    d.eq_design_misses = b.eq_design_misses - a.eq_design_misses;
    d.reverb_hits = b.reverb_hits - a.reverb_hits;
    d.reverb_misses = b.reverb_misses - a.reverb_misses;
    d.stem_signal_hits = b.stem_signal_hits - a.stem_signal_hits;
    d.stem_signal_misses = b.stem_signal_misses - a.stem_signal_misses;
    d.evictions = b.evictions - a.evictions;
    return d;
}

}  // namespace

Result<void> Workstation::render_selection() {
    if (!time_.selection_s || !(time_.selection_s->second > time_.selection_s->first))
        return fail(ErrorCode::InvalidArgument, "render selection: select a stretch first (Shift+drag on a time view)");
    preview_edit_.reset();
    return start_preview(TimeRegion{time_.selection_s->first, time_.selection_s->second});
}

Result<void> Workstation::render_preview() {
    preview_edit_.reset();
    edit_pending_.reset();
    return start_preview(std::nullopt);
}

void Workstation::tick_render_on_edit() {
    if (!edit_pending_ || !settings_.render_on_edit) return;
    const double settled_s = std::chrono::duration<double>(std::chrono::steady_clock::now() - *edit_pending_).count();
    if (settled_s < settings_.render_on_edit_delay_s) return;
    const auto edit = *edit_pending_;
    edit_pending_.reset();
    if (!session_ || !session_->session) return;
    if (auto r = start_preview(std::nullopt); !r) {
        log_line("render on edit: " + r.error().message);
        return;
    }
    preview_edit_ = edit;
}

Result<void> Workstation::start_preview(std::optional<TimeRegion> region) {
    if (!session_ || !session_->session) return fail(ErrorCode::InvalidArgument, "render: no valid session is open");
    auto dir = private_dir();
    if (!dir) return std::unexpected(dir.error());
    if (preview_.job) {  // the previous one is outdated: it stops at its next block, on its own
        preview_.job->cancel();
        retired_.push_back(std::move(preview_.job));
    }
    if (!cache_) cache_ = std::make_shared<RenderCache>();
    preview_.selection = region.has_value();
    const fs::path file = *dir / (region ? "selection.wav" : "preview.wav");
    auto session = std::make_shared<const Session>(*session_->session);
    preview_.job = std::make_shared<Job>(region ? "render selection" : "render on edit",
                                         [session, cache = cache_, backend = render_.backend, file, region](JobControl& jc) -> Result<void> {
        cli::PreviewRequest req;
        req.backend = backend;
        req.file = file;
        req.cache = cache.get();
        req.region = region;
        req.cancel = jc.cancel_flag();
        req.progress = [&jc](double f) { jc.set_progress(f); };
        req.log = [&jc](const std::string& note) { jc.log(note); };
        jc.set_phase(region ? "render selection" : "render on edit");
        const RenderCache::Stats before = cache->stats();
        auto p = cli::render_preview(*session, req);
        if (!p) return std::unexpected(p.error());
        jc.set_output(std::make_shared<const PreviewOutput>(PreviewOutput{std::move(*p), stats_since(before, cache->stats())}));
        return {};
    });
    return {};
}

// A finished preview: its meters into the state, its file as a source.
void Workstation::finish_preview() {
    std::shared_ptr<Job> job = std::move(preview_.job);
    preview_.job.reset();
    auto out = job->output<PreviewOutput>();
    if (!out) {
        preview_.error = job->error().message;
        if (job->state() != JobState::Cancelled) log_line(std::string(preview_.selection ? "render selection" : "render on edit") + ": " + preview_.error);
        preview_edit_.reset();
        return;
    }
    const RenderResult& r = out->preview.render;
    preview_.meters = out->preview.meters;
    preview_.region = r.region;
    preview_.render_s = r.timing_s.count("total") ? r.timing_s.at("total") : job->elapsed_s();
    preview_.cache = out->cache;
    preview_.stems_cached = out->cache.stem_signal_hits;
    preview_.stems = out->cache.stem_signal_hits + out->cache.stem_signal_misses;
    preview_.file = r.outputs.empty() ? fs::path() : r.outputs.front();
    preview_.error.clear();
    preview_.edit_to_meter_s = preview_edit_ ? std::chrono::duration<double>(std::chrono::steady_clock::now() - *preview_edit_).count() : -1.0;
    preview_edit_.reset();
    ++preview_.finished;
    // The source: replaced in place (indices of the others stay), else appended.
    const std::string label = preview_.selection ? "selection" : "master (preview)";
    size_t i = sources_.size();
    for (size_t k = 0; k < sources_.size(); ++k)
        if (sources_[k].label == label && sources_[k].kind == SourceKind::Master) i = k;
    if (i < sources_.size()) {
        if (now_playing_ && (now_playing_->first == i || now_playing_->second == i)) stop_playback();
        if (sources_[i].job) {
            sources_[i].job->cancel();
            retired_.push_back(std::move(sources_[i].job));
        }
        sources_[i] = Source{};
        sources_[i].label = label;
        sources_[i].file = preview_.file;
        sources_[i].kind = SourceKind::Master;
    } else {
        i = add_source(label, preview_.file, SourceKind::Master);
    }
    analyze(i);
    char line[200];
    std::snprintf(line, sizeof line, "%s: %.1f LUFS, true peak %.1f dBTP in %.2f s (%zu of %zu stem signals from the cache)", label.c_str(),
                  preview_.meters->integrated_lufs, preview_.meters->true_peak_dbtp, preview_.render_s, preview_.stems_cached, preview_.stems);
    log_line(line);
}

Result<void> Workstation::compare(size_t a, size_t b) {
    if (a >= sources_.size() || b >= sources_.size() || a == b) return fail(ErrorCode::InvalidArgument, "compare: choose two different sources");
    if (compare_.job && compare_.job->running()) compare_.job->cancel();
    compare_ = CompareRun{};
    compare_.a = a;
    compare_.b = b;
    compare_.job = std::make_shared<Job>("compare", [fa = sources_[a].file, fb = sources_[b].file](JobControl& jc) -> Result<void> {
        jc.set_phase("compare");
        analysis::CompareOptions options;
        options.progress = [&jc](double f) { jc.set_progress(f); };
        options.cancel = jc.cancel_flag();
        auto r = analysis::compare_files(fa, fb, options);
        if (!r) return std::unexpected(r.error());
        jc.set_output(std::make_shared<const analysis::CompareResult>(std::move(*r)));
        return {};
    });
    return {};
}

Result<fs::path> Workstation::private_dir() {
    if (!qa_dir_.empty()) return qa_dir_;
    std::error_code ec;
    const fs::path base = fs::temp_directory_path(ec);
    if (ec) return fail(ErrorCode::FileWrite, "no temporary folder: " + ec.message());
    for (int i = 0; i < 100 && qa_dir_.empty(); ++i) {
        fs::path d = base / ("stemforge-qa-" + std::to_string(::getpid()) + "-" + std::to_string(i));
        if (fs::create_directory(d, ec)) qa_dir_ = d;
    }
    if (qa_dir_.empty()) return fail(ErrorCode::FileWrite, "cannot create a folder in " + base.string());
    return qa_dir_;
}

Result<void> Workstation::start_private_renders(std::vector<PrivateRender> renders, bool compare_first_two) {
    if (!session_ || !session_->session) return fail(ErrorCode::InvalidArgument, "no valid session is open");
    if (qa_job_ || (compare_.job && compare_.job->running())) return fail(ErrorCode::InvalidArgument, "a comparison render is already running");
    auto dir = private_dir();
    if (!dir) return std::unexpected(dir.error());
    auto session = std::make_shared<const Session>(*session_->session);
    for (PrivateRender& r : renders) r.file = *dir / r.file;
    private_renders_ = renders;
    compare_private_ = compare_first_two;
    qa_job_ = std::make_shared<Job>("private renders", [session, renders](JobControl& jc) -> Result<void> {
        // One file each with -o semantics (the first export's format and
        // dither), so a residual between them is the renders' own.
        for (size_t k = 0; k < renders.size(); ++k) {
            const PrivateRender& pr = renders[k];
            Session variant = pr.session ? *pr.session : *session;
            if (pr.without_master) variant.master.reset();
            RenderOptions options;
            options.cancel = jc.cancel_flag();
            options.output_override = pr.file;
            options.loudness_probe = [] { return analysis::make_loudness_probe(); };
            const double base = static_cast<double>(k) / static_cast<double>(renders.size());
            options.progress = [&jc, base, n = renders.size()](double f) { jc.set_progress(base + f / static_cast<double>(n)); };
            jc.set_phase("render " + pr.label);
            auto r = cli::render_with_fallback(pr.backend, variant, options, [&jc](const std::string& note) { jc.log(note); });
            if (!r) return std::unexpected(r.error());
            jc.log(pr.label + ": " + r->result.backend + " (" + r->result.device + ")");
        }
        return {};
    });
    return {};
}

Result<void> Workstation::compare_backends() {
    log_line("compare GPU and CPU renders" + (session_ ? " of " + session_->file.string() : std::string()));
    return start_private_renders({{"GPU render", "gpu", false, "gpu.wav", std::nullopt}, {"CPU render", "cpu", false, "cpu.wav", std::nullopt}}, true);
}

namespace {

// The session with only the signal that passes through bus `name` reaching
// the master (see Workstation::render_bus).
Result<Session> bus_listen_session(const Session& session, const std::string& name) {
    if (!session.find_bus(name)) return fail(ErrorCode::InvalidArgument, "listen: no bus named \"" + name + "\"");
    Session v = session;
    v.master.reset();
    // Where a signal entering `target` ends up: does its output chain pass `name`?
    auto reaches = [&](std::string target) {
        for (size_t guard = 0; guard <= v.buses.size() && target != kMasterBusName; ++guard) {
            if (target == name) return true;
            const BusSpec* b = session.find_bus(target);
            if (!b) return false;
            target = b->output;
        }
        return false;
    };
    std::string sink = "listen_sink";
    while (session.find_bus(sink)) sink += "_";
    BusSpec silent;
    silent.name = sink;
    silent.gain_db = -144.0;  // the session's lowest gain: below a 24-bit LSB
    for (BusSpec& b : v.buses) {
        if (b.name == name) b.output = kMasterBusName;
        else if (!reaches(b.output)) b.output = sink;
    }
    for (StemSpec& st : v.stems)
        if (!reaches(st.output)) st.output = sink;
    v.buses.push_back(silent);
    return v;
}

}  // namespace

Result<void> Workstation::render_bus(const std::string& name) {
    if (!session_ || !session_->session) return fail(ErrorCode::InvalidArgument, "listen: no valid session is open");
    auto v = bus_listen_session(*session_->session, name);
    if (!v) return std::unexpected(v.error());
    log_line("render bus " + name + " as a source");
    return start_private_renders({{"[" + name + "]", render_.backend, false, "bus-" + name + ".wav", std::move(*v)}}, false);
}

Result<void> Workstation::render_premaster() {
    log_line("render the mix without its master chain");
    return start_private_renders({{"pre-master", render_.backend, true, "premaster.wav", std::nullopt}}, false);
}

// ---- edits --------------------------------------------------------------

namespace {

// Splits "CMD; CMD" at the semicolons that are outside JSON strings and brackets.
std::vector<std::string> split_commands(std::string_view script) {
    std::vector<std::string> out;
    std::string cur;
    int depth = 0;
    bool in_string = false, escaped = false;
    for (char c : script) {
        if (in_string) {
            cur += c;
            if (escaped) escaped = false;
            else if (c == '\\') escaped = true;
            else if (c == '"') in_string = false;
            continue;
        }
        if (c == '"') in_string = true;
        if (c == '[' || c == '{') ++depth;
        if (c == ']' || c == '}') --depth;
        if (c == ';' && depth <= 0) {
            out.push_back(cur);
            cur.clear();
            continue;
        }
        cur += c;
    }
    out.push_back(cur);
    return out;
}

std::string_view trim(std::string_view s) {
    while (!s.empty() && std::isspace(static_cast<unsigned char>(s.front()))) s.remove_prefix(1);
    while (!s.empty() && std::isspace(static_cast<unsigned char>(s.back()))) s.remove_suffix(1);
    return s;
}

// The first word of `s` and what follows it (trimmed).
std::pair<std::string_view, std::string_view> first_word(std::string_view s) {
    s = trim(s);
    size_t i = 0;
    while (i < s.size() && !std::isspace(static_cast<unsigned char>(s[i]))) ++i;
    return {s.substr(0, i), trim(s.substr(i))};
}

}  // namespace

void Workstation::replace_session(Session edited) {
    const Session& before = *session_->session;
    // The stems' sources follow the stem list (a renamed or re-pointed stem is a new source).
    bool stems_changed = before.stems.size() != edited.stems.size();
    for (size_t i = 0; !stems_changed && i < edited.stems.size(); ++i)
        stems_changed = before.stems[i].name != edited.stems[i].name || before.stems[i].file != edited.stems[i].file;
    if (stems_changed) {
        stop_playback();
        std::vector<Source> kept;
        for (Source& src : sources_)
            if (src.kind != SourceKind::Stem) kept.push_back(std::move(src));
        sources_ = std::move(kept);
        for (const StemSpec& stem : edited.stems) {
            const size_t i = add_source(stem.name, stem.file, SourceKind::Stem);
            sources_[i].shown = false;
        }
        settings_.selected_source.reset();
    }
    if (edited.master && edited.master->loudness_target_lufs) settings_.loudness_target_lufs = *edited.master->loudness_target_lufs;
    if (edited.master && edited.master->limiter) settings_.ceiling_dbtp = edited.master->limiter->ceiling_dbtp;
    session_->session = std::move(edited);
    dirty_ = true;
    if (settings_.render_on_edit) {
        // The running render on edit is outdated: cancelled now, the next one starts once the edits settle.
        edit_pending_ = std::chrono::steady_clock::now();
        if (preview_.job && !preview_.selection) {
            preview_.job->cancel();
            retired_.push_back(std::move(preview_.job));
            preview_.job.reset();
        }
    }
}

void Workstation::apply_edit(Session edited, bool coalesce) {
    if (!session_ || !session_->session) return;
    if (!coalesce || undo_.empty()) {
        undo_.push_back(*session_->session);
        if (undo_.size() > kUndoLimit) undo_.erase(undo_.begin());
    }
    redo_.clear();
    replace_session(std::move(edited));
}

Result<void> Workstation::undo() {
    if (undo_.empty()) return fail(ErrorCode::InvalidArgument, "undo: nothing to undo");
    redo_.push_back(*session_->session);
    Session previous = std::move(undo_.back());
    undo_.pop_back();
    replace_session(std::move(previous));
    return {};
}

Result<void> Workstation::redo() {
    if (redo_.empty()) return fail(ErrorCode::InvalidArgument, "redo: nothing to redo");
    undo_.push_back(*session_->session);
    Session next = std::move(redo_.back());
    redo_.pop_back();
    replace_session(std::move(next));
    return {};
}

namespace {

// Writes `s` as a session file at `target` (staged, committed whole, never
// over an input); in another folder its stem and IR paths are rewritten
// relative to it. Returns the session as written.
Result<Session> write_session_file(Session s, const fs::path& file) {
    std::error_code ec;
    const fs::path target = fs::absolute(file, ec);
    const fs::path folder = target.parent_path();
    if (fs::weakly_canonical(folder, ec) != fs::weakly_canonical(s.base_dir, ec)) {
        // Another folder: stems and IRs keep pointing at the same files.
        for (StemSpec& st : s.stems) st.file_as_written = fs::proximate(st.file, folder, ec).generic_string();
        for (BusSpec& b : s.buses)
            if (b.reverb) b.reverb->ir_as_written = fs::proximate(b.reverb->ir, folder, ec).generic_string();
        s.base_dir = folder;
    }
    std::vector<NamedPath> inputs;
    for (size_t i = 0; i < s.stems.size(); ++i) inputs.push_back({s.stems[i].file, "stems[" + std::to_string(i) + "] \"" + s.stems[i].name + "\""});
    for (size_t i = 0; i < s.buses.size(); ++i)
        if (s.buses[i].reverb) inputs.push_back({s.buses[i].reverb->ir, "buses[" + std::to_string(i) + "] reverb IR"});
    const std::vector<NamedPath> outputs{{target, "save"}};
    if (auto ok = check_outputs(outputs, inputs); !ok) return std::unexpected(ok.error());
    DeliveryTransaction transaction;
    if (auto st = transaction.stage_text(target, to_json(s)); !st) return std::unexpected(st.error());
    if (auto ok = transaction.commit(); !ok) return std::unexpected(ok.error());
    s.file = target;
    return s;
}

}  // namespace

Result<void> Workstation::save(std::optional<fs::path> file) {
    if (!session_ || !session_->session) return fail(ErrorCode::InvalidArgument, "save: no valid session is open");
    auto written = write_session_file(*session_->session, file ? *file : session_->file);
    if (!written) return std::unexpected(written.error());
    session_->file = written->file;
    session_->session = std::move(*written);
    dirty_ = false;
    log_line("saved " + session_->file.string());
    return {};
}

Result<void> Workstation::store_snapshot(std::string name) {
    if (!session_ || !session_->session) return fail(ErrorCode::InvalidArgument, "snapshot: no valid session is open");
    for (Snapshot& s : snapshots_)
        if (s.name == name) {  // the same name: replaced
            s.session = *session_->session;
            return {};
        }
    if (snapshots_.size() >= kMaxSnapshots)
        return fail(ErrorCode::InvalidArgument, "snapshot: " + std::to_string(kMaxSnapshots) + " are kept; delete one first");
    snapshots_.push_back({std::move(name), *session_->session});
    log_line("snapshot \"" + snapshots_.back().name + "\" stored");
    return {};
}

Result<void> Workstation::recall_snapshot(size_t index) {
    if (index >= snapshots_.size()) return fail(ErrorCode::InvalidArgument, "snapshot: no such snapshot");
    if (!session_ || !session_->session) return fail(ErrorCode::InvalidArgument, "snapshot: no valid session is open");
    apply_edit(snapshots_[index].session, false);  // undoable, like any edit
    log_line("snapshot \"" + snapshots_[index].name + "\" recalled");
    return {};
}

void Workstation::delete_snapshot(size_t index) {
    if (index < snapshots_.size()) snapshots_.erase(snapshots_.begin() + static_cast<std::ptrdiff_t>(index));
}

Result<void> Workstation::export_snapshot(size_t index, const fs::path& file) {
    if (index >= snapshots_.size()) return fail(ErrorCode::InvalidArgument, "snapshot: no such snapshot");
    auto written = write_session_file(snapshots_[index].session, file);
    if (!written) return std::unexpected(written.error());
    log_line("snapshot \"" + snapshots_[index].name + "\" written to " + written->file.string());
    return {};
}

Result<void> Workstation::render_snapshots() {
    if (snapshots_.empty()) return fail(ErrorCode::InvalidArgument, "snapshot: none stored");
    std::vector<PrivateRender> renders;
    for (size_t i = 0; i < snapshots_.size(); ++i)
        renders.push_back({"snapshot " + snapshots_[i].name, render_.backend, false, "snapshot-" + std::to_string(i) + ".wav", snapshots_[i].session});
    log_line("render " + std::to_string(renders.size()) + " snapshots for A/B");
    return start_private_renders(std::move(renders), false);
}

Result<bool> Workstation::execute(std::string_view command) {
    auto [verb, rest] = first_word(command);
    auto need_session = [&]() -> Result<void> {
        if (!session_ || !session_->session) return fail(ErrorCode::InvalidArgument, "no valid session is open");
        return {};
    };
    if (verb == "quit") return true;
    if (verb == "undo") {
        if (auto r = undo(); !r) return std::unexpected(r.error());
        return false;
    }
    if (verb == "redo") {
        if (auto r = redo(); !r) return std::unexpected(r.error());
        return false;
    }
    if (verb == "save") {
        if (auto r = save(rest.empty() ? std::nullopt : std::optional<fs::path>(fs::path(std::string(rest)))); !r) return std::unexpected(r.error());
        return false;
    }
    if (verb == "render") {
        if (auto r = render(); !r) return std::unexpected(r.error());
        return false;
    }
    if (verb == "set" || verb == "add" || verb == "remove") {
        if (auto ok = need_session(); !ok) return std::unexpected(ok.error());
        auto [path, value_text] = first_word(rest);
        if (path.empty()) return fail(ErrorCode::InvalidArgument, std::string(verb) + ": a PATH is missing");
        Result<Session> edited = std::unexpected(Error{});
        if (verb == "remove") {
            if (!value_text.empty()) return fail(ErrorCode::InvalidArgument, "remove takes only a PATH");
            edited = session_remove(*session_->session, path);
        } else {
            if (value_text.empty()) return fail(ErrorCode::InvalidArgument, std::string(verb) + " " + std::string(path) + ": a VALUE (JSON) is missing");
            nlohmann::json value = nlohmann::json::parse(value_text, nullptr, false);
            if (value.is_discarded()) return fail(ErrorCode::InvalidArgument, std::string(verb) + " " + std::string(path) + ": the VALUE is not JSON: " + std::string(value_text));
            edited = verb == "set" ? session_set(*session_->session, path, value) : session_add(*session_->session, path, value);
        }
        if (!edited) return std::unexpected(edited.error());
        apply_edit(std::move(*edited), false);
        return false;
    }
    return fail(ErrorCode::InvalidArgument, "unknown command \"" + std::string(verb) + "\" (set, add, remove, undo, redo, save, render, quit)");
}

Result<bool> Workstation::execute_script(std::string_view script) {
    const std::vector<std::string> commands = split_commands(script);
    int position = 0;
    for (const std::string& c : commands) {
        if (trim(c).empty()) continue;
        ++position;
        auto r = execute(c);
        if (r && first_word(c).first == "render") {
            wait_idle();
            if (!render_.error.empty()) r = fail(ErrorCode::Internal, "render: " + render_.error);
        }
        if (!r) {
            Error e = r.error();
            e.message = "command " + std::to_string(position) + " (" + std::string(trim(c)) + "): " + e.message;
            return std::unexpected(e);
        }
        log_line("> " + std::string(trim(c)));
        if (*r) return true;
    }
    return false;
}

Playback& Workstation::playback() {
    if (!playback_) playback_ = std::make_unique<Playback>();
    return *playback_;
}

Result<void> Workstation::play(size_t a, std::optional<size_t> b) {
    if (a >= sources_.size() || (b && (*b >= sources_.size() || *b == a))) return fail(ErrorCode::InvalidArgument, "play: no such source");
    Playback& p = playback();
    if (!p.available()) return fail(ErrorCode::Device, "playback unavailable: " + p.unavailable_reason());
    PlaybackRequest request;
    request.a = {sources_[a].file, 0.0, sources_[a].label};
    if (b) {
        request.b = PlaybackSource{sources_[*b].file, 0.0, sources_[*b].label};
        const auto& ia = sources_[a].analysis, & ib = sources_[*b].analysis;
        if (settings_.ab_loudness_match && ia && ib && ia->integrated_lufs && ib->integrated_lufs) {
            const double quieter = std::min(*ia->integrated_lufs, *ib->integrated_lufs);
            request.a.gain_db = quieter - *ia->integrated_lufs;
            request.b->gain_db = quieter - *ib->integrated_lufs;
        }
    }
    if (time_.selection_s && time_.selection_s->second > time_.selection_s->first) {
        request.start_s = time_.selection_s->first;
        request.loop = LoopRegion{time_.selection_s->first, time_.selection_s->second};
    } else if (time_.play_s) {
        request.start_s = *time_.play_s;  // resume where it stopped
    }
    if (auto r = p.play(request); !r) return r;
    now_playing_ = {a, b};
    log_line("playing " + sources_[a].label + (b ? " / " + sources_[*b].label + " (A/B" +
                                                       (settings_.ab_loudness_match ? ", loudness-matched)" : ")")
                                                 : std::string()) +
             " on " + p.device_name());
    return {};
}

void Workstation::stop_playback() {
    if (playback_) playback_->stop();
    now_playing_.reset();
}

void Workstation::toggle_ab() {
    if (playback_ && playback_->has_b()) playback_->toggle_ab();
}

void Workstation::poll() {
    if (playback_ && now_playing_) {
        time_.play_s = playback_->position_s();
        if (auto e = playback_->feed_error()) {
            log_line("playback stopped: " + e->message);
            stop_playback();
        } else if (playback_->finished()) {
            stop_playback();
            time_.play_s.reset();
        }
    }
    if (qa_job_ && !qa_job_->running()) {
        std::shared_ptr<Job> job = std::move(qa_job_);
        qa_job_.reset();
        for (const std::string& line : job->log()) log_line(line);
        if (job->state() == JobState::Succeeded) {
            stop_playback();
            std::vector<size_t> added;
            for (const PrivateRender& r : private_renders_) {
                std::erase_if(sources_, [&](const Source& s) { return s.file == r.file; });
                added.push_back(add_source(r.label, r.file, SourceKind::File));
            }
            for (size_t i : added) analyze(i);
            if (compare_private_ && added.size() >= 2) {
                // The reference is the CPU path: the second of compare_backends' pair.
                settings_.compare_a = added[1];
                settings_.compare_b = added[0];
                (void)compare(added[1], added[0]);
            }
        } else {
            compare_.error = job->error().message;
            log_line("render for comparison: " + compare_.error);
        }
    }
    std::erase_if(retired_, [](const std::shared_ptr<Job>& j) { return !j->running(); });
    if (preview_.job && !preview_.job->running()) finish_preview();
    // The render: its log as it grows, then its result.
    if (render_.job) {
        const std::vector<std::string> lines = render_.job->log();
        for (size_t i = render_log_seen_; i < lines.size(); ++i) log_line(lines[i]);
        render_log_seen_ = lines.size();
        if (!render_.job->running()) {
            std::shared_ptr<Job> job = std::move(render_.job);
            render_.job.reset();
            if (auto r = job->output<RenderResult>()) {
                stop_playback();  // the masters it may play are replaced
                render_.result = *r;
                log_line("render done in " + std::to_string(r->timing_s.count("total") ? r->timing_s.at("total") : job->elapsed_s()) +
                         " s on " + r->backend + " (" + r->device + ")");
                // The new deliveries replace the master sources (their files changed).
                std::erase_if(sources_, [](const Source& s) { return s.kind == SourceKind::Master; });
                compare_ = CompareRun{};
                settings_.selected_source.reset();
                std::vector<Source> masters;
                for (const fs::path& f : r->outputs) {
                    Source s;
                    s.label = masters.empty() ? "master" : f.filename().string();
                    s.file = f;
                    s.kind = SourceKind::Master;
                    masters.push_back(std::move(s));
                }
                sources_.insert(sources_.begin(), std::make_move_iterator(masters.begin()), std::make_move_iterator(masters.end()));
                for (size_t i = 0; i < masters.size(); ++i) analyze(i);
            } else {
                render_.error = job->error().message;
                log_line(std::string("render ") + to_string(job->state()) + ": " + render_.error);
            }
        }
    }
    for (Source& s : sources_) {
        if (!s.job || s.job->running()) continue;
        if (auto a = s.job->output<analysis::FileAnalysis>()) {
            s.analysis = std::move(a);
        } else {
            s.error = s.job->error().message;
            log_line("analysis of " + s.label + " failed: " + s.error);
        }
        s.job.reset();
    }
    if (compare_.job && !compare_.job->running()) {
        if (auto r = compare_.job->output<analysis::CompareResult>()) {
            compare_.result = std::move(r);
        } else {
            compare_.error = compare_.job->error().message;
            log_line("compare failed: " + compare_.error);
        }
        compare_.job.reset();
    }
}

bool Workstation::busy() const {
    if (render_.job || compare_.job || qa_job_ || preview_.job || !retired_.empty()) return true;
    return std::any_of(sources_.begin(), sources_.end(), [](const Source& s) { return s.job != nullptr; });
}

void Workstation::wait_idle() {
    while (busy()) {
        if (render_.job) render_.job->wait();
        if (preview_.job) preview_.job->wait();
        for (auto& j : retired_) j->wait();
        if (qa_job_) qa_job_->wait();
        if (compare_.job) compare_.job->wait();
        for (Source& s : sources_)
            if (s.job) s.job->wait();
        poll();  // may start new jobs (the analysis of a fresh render)
    }
}

void Workstation::measure_everything_for(View view) {
    if (auto f = focus_source()) analyze(*f);
    if (view == View::Mixer)  // the strips' meters
        for (size_t i = 0; i < sources_.size(); ++i)
            if (sources_[i].kind != SourceKind::File) analyze(i);
    for (size_t i = 0; i < sources_.size(); ++i)
        if (sources_[i].shown) analyze(i);
    if (view == View::Compare && !compare_.result && !compare_.job) {
        // A session: its GPU and CPU renders; otherwise the first two files.
        if (session_ && session_->session) (void)compare_backends();
        else if (sources_.size() >= 2) (void)compare(0, 1);
    }
    wait_idle();
}

double Workstation::duration_s() const {
    double d = 0.0;
    for (const Source& s : sources_)
        if (s.analysis) d = std::max(d, s.analysis->duration_s);
    return d;
}

std::optional<size_t> Workstation::focus_source() const {
    if (settings_.selected_source && *settings_.selected_source < sources_.size()) return settings_.selected_source;
    for (size_t i = 0; i < sources_.size(); ++i)
        if (sources_[i].kind == SourceKind::Master) return i;
    if (!sources_.empty()) return size_t{0};
    return std::nullopt;
}

}  // namespace sf::gui
