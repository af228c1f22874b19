// `stemforge render SESSION [-o OUT] [--from T] [--to T] [--backend auto|cpu|gpu] [--verify] [--json]`
#include <cmath>
#include <cstdio>
#include <cstdlib>
#include <unistd.h>
#include <filesystem>
#include <fstream>
#include <memory>
#include <optional>

#include <tbb/global_control.h>
#include <tbb/task_arena.h>

#include "analysis/analyze.h"
#include "analysis/loudness_probe.h"
#include "app/backends.h"
#include "app/cli.h"
#include "app/master_report.h"
#include "app/render_manifest.h"
#include "app/signals.h"
#include "engine/core/clock.h"
#include "engine/core/timecode.h"
#include "engine/render/cpu_mixer.h"
#include "engine/render/diagnostics.h"
#include "engine/render/region.h"
#include "engine/render/renderer.h"
#include "engine/session/session.h"

namespace sf::cli {

namespace {

// --verify's verdict: every export's residual between the two backends
// within the bounds docs/gpu.md gives for full renders (the GPU's float
// rounding against the CPU reference, compressors included).
constexpr double kVerifyPeakBoundDbfs = -90.0;
constexpr double kVerifyRmsBoundDbfs = -110.0;

// The residual between two renders of every export, compared on what each
// export's writer was fed (the session rate, before SRC, dither and
// encoding: the backends' difference, not the quantiser's), streamed: the
// primary render's signals are spooled to temporary float files block by
// block, and the verify render reads them back in step.
struct VerifySpools {
    struct Export {
        std::fstream file;
        double peak = 0.0, sum_sq = 0.0;
        int64_t samples = 0, frames_a = 0, frames_b = 0;
        bool io_error = false;
    };
    std::filesystem::path dir;
    std::vector<std::unique_ptr<Export>> exports;
    std::vector<float> scratch;

    ~VerifySpools() {
        exports.clear();
        std::error_code ec;
        if (!dir.empty()) std::filesystem::remove_all(dir, ec);
    }
    Result<void> open(size_t count) {
        std::error_code ec;
        const auto base = std::filesystem::temp_directory_path(ec);
        if (ec) return fail(ErrorCode::FileWrite, "--verify: no temporary folder: " + ec.message());
        for (int i = 0; i < 100 && dir.empty(); ++i) {
            auto d = base / ("stemforge-verify-" + std::to_string(::getpid()) + "-" + std::to_string(i));
            if (std::filesystem::create_directory(d, ec)) dir = d;
        }
        if (dir.empty()) return fail(ErrorCode::FileWrite, "--verify: cannot create a temporary folder in " + base.string());
        for (size_t e = 0; e < count; ++e) {
            auto x = std::make_unique<Export>();
            const auto path = dir / ("export-" + std::to_string(e) + ".f32");
            x->file.open(path, std::ios::in | std::ios::out | std::ios::trunc | std::ios::binary);
            if (!x->file) return fail(ErrorCode::FileWrite, "--verify: cannot create " + path.string());
            exports.push_back(std::move(x));
        }
        return {};
    }
    void rewind_for_writing() {
        for (auto& x : exports) {
            x->file.clear();
            x->file.seekp(0);
            x->frames_a = 0;
        }
    }
    void rewind_for_reading() {
        for (auto& x : exports) {
            x->file.flush();
            x->file.seekg(0);
        }
    }
    // Interleaved frames: the two renders may hand over blocks of different
    // sizes (each backend has its own latency, so its first block is shorter).
    void write(size_t e, const AudioBuffer& m, int64_t n) {
        Export& x = *exports[e];
        scratch.resize(2 * static_cast<size_t>(n));
        for (int64_t i = 0; i < n; ++i)
            for (int c = 0; c < 2; ++c) scratch[2 * static_cast<size_t>(i) + static_cast<size_t>(c)] = m.channel(c)[i];
        x.file.write(reinterpret_cast<const char*>(scratch.data()), static_cast<std::streamsize>(scratch.size() * sizeof(float)));
        x.frames_a += n;
        x.io_error |= !x.file;
    }
    void compare(size_t e, const AudioBuffer& m, int64_t n) {
        Export& x = *exports[e];
        x.frames_b += n;
        if (x.frames_b > x.frames_a) return;  // longer than the primary: the frame counts differ, reported as such
        scratch.resize(2 * static_cast<size_t>(n));
        x.file.read(reinterpret_cast<char*>(scratch.data()), static_cast<std::streamsize>(scratch.size() * sizeof(float)));
        if (!x.file) {
            x.io_error = true;
            return;
        }
        for (int64_t i = 0; i < n; ++i)
            for (int c = 0; c < 2; ++c) {
                const double d = static_cast<double>(m.channel(c)[i]) - scratch[2 * static_cast<size_t>(i) + static_cast<size_t>(c)];
                x.peak = std::max(x.peak, std::abs(d));
                x.sum_sq += d * d;
            }
        x.samples += 2 * n;
    }
};

nlohmann::json db_or_null(double linear_amplitude) {
    if (!(linear_amplitude > 0.0)) return nullptr;  // identical renders: -inf dBFS
    return 20.0 * std::log10(linear_amplitude);
}

double to_db(double linear) { return linear > 0.0 ? 20.0 * std::log10(linear) : -INFINITY; }

std::string show(const nlohmann::json& x, int digits = 2) {
    if (!x.is_number()) return "-inf";
    char buf[32];
    std::snprintf(buf, sizeof(buf), "%.*f", digits, x.get<double>());
    return buf;
}

std::string format_name(const ExportSpec& e) {
    std::string s = to_string(e.format);
    if (!is_lossy(e.format)) s += e.bit_depth == 32 ? " float" : " " + std::to_string(e.bit_depth) + "-bit";
    return s;
}

// `diagnostics` of the render report (docs/diagnostics.md). `source`:
// "render" when the render's own backend fed them, "cpu_pass" when a CPU
// mix pass did (a backend without stem taps).
nlohmann::json diagnostics_json(const MixDiagnosticsReport& d, const std::string& source) {
    const double rate = d.sample_rate > 0 ? d.sample_rate : 1.0;
    nlohmann::json overs = nlohmann::json::array();
    for (const MixOver& o : d.overs) {
        nlohmann::json stems = nlohmann::json::array();
        for (const OverStem& s : o.stems) stems.push_back({{"name", s.name}, {"share", s.share}});
        overs.push_back({{"time_s", static_cast<double>(o.first_frame) / rate},
                         {"timecode", timecode(o.first_frame, d.sample_rate)},
                         {"duration_s", static_cast<double>(o.last_frame - o.first_frame + 1) / rate},
                         {"peak_dbfs", 20.0 * std::log10(o.peak)},
                         {"peak_time_s", static_cast<double>(o.peak_frame) / rate},
                         {"peak_channel", o.peak_channel == 0 ? "left" : "right"},
                         {"stems", stems}});
    }
    nlohmann::json masking = nlohmann::json::array();
    for (const MaskingPair& m : d.masking)
        masking.push_back({{"stems", {m.stems[0], m.stems[1]}}, {"band_hz", {m.band_lo_hz, m.band_hi_hz}}, {"overlap_percent", m.overlap_percent}});
    return {{"source", source}, {"overs", overs}, {"masking", masking}};
}

// The diagnostics when the render's backend has no stem taps (the GPU
// mixer): the CPU reference mixes the same stretch once more, writing
// nothing, and its bus sum and stems are analysed. The GPU's mix equals
// the CPU's within float rounding (docs/gpu.md), so the overs are the same
// but for samples within that rounding of full scale.
Result<MixDiagnosticsReport> diagnostics_from_cpu_pass(const Session& session, const RenderOptions& render_options,
                                                       std::vector<std::string> names) {
    Session twin = session;
    twin.master.reset();  // the bus sum into the master step is the mix alone
    MixDiagnostics diagnostics(std::move(names));
    RenderOptions o;
    o.mix_only = true;
    o.region = render_options.region;
    o.block_frames = render_options.block_frames;
    o.cancel = render_options.cancel;
    o.diagnostics = &diagnostics;
    CpuMixer cpu;
    if (auto r = render_session(twin, cpu, o); !r) return std::unexpected(r.error());
    return diagnostics.finish();
}

}  // namespace

int render_command(const RenderArgs& args);

int run_render(const RenderArgs& args) {
    if (args.threads <= 0) return render_command(args);
    // --threads N: exactly N threads work (an arena of N, even beyond the
    // core count); the CPU path is bit-identical for every N (docs/reproducibility.md).
    tbb::global_control limit(tbb::global_control::max_allowed_parallelism, static_cast<size_t>(args.threads));
    tbb::task_arena arena(args.threads);
    return arena.execute([&] { return render_command(args); });
}

int render_command(const RenderArgs& args) {
    const auto* cancel = install_cancel_signals();
    auto session = load_session(args.session);
    if (!session) return report(session.error());

    RenderOptions options;
    options.cancel = cancel;
    // Everything this command writes is staged here and committed together
    // after the verify render (a failed verify changes no file).
    DeliveryTransaction transaction;
    options.transaction = &transaction;
    if (!args.output.empty()) options.output_override = args.output;
    if (auto ok = check_manifest_path(*session, effective_exports(*session, options)); !ok) return report(ok.error());
    options.loudness_probe = [] { return analysis::make_loudness_probe(); };
    if (!args.from.empty() || !args.to.empty()) {
        TimeRegion region;
        if (!args.from.empty()) {
            auto t = parse_time_s(args.from, "--from");
            if (!t) return report(t.error());
            region.from_s = *t;
        }
        if (!args.to.empty()) {
            auto t = parse_time_s(args.to, "--to");
            if (!t) return report(t.error());
            region.to_s = *t;
        }
        options.region = region;
    }
    const std::vector<ExportSpec> exports = effective_exports(*session, options);

    // One progress line for the whole render: overall fraction, the phase and its own.
    Progress progress("render");
    std::string phase = "mix";
    double phase_fraction = 0.0;
    options.phase_progress = [&](const std::string& p, double f) {
        phase = p;
        phase_fraction = f;
    };
    options.progress = [&](double f) { progress.update(f, phase, phase_fraction); };

    std::vector<std::string> stem_names;
    for (const StemSpec& st : session->stems) stem_names.push_back(st.name);
    MixDiagnostics diagnostics(stem_names);
    if (args.json) options.diagnostics = &diagnostics;

    VerifySpools spools;
    if (args.verify) {
        if (auto ok = spools.open(exports.size()); !ok) return report(ok.error());
        options.export_tap = [&spools](size_t e, const AudioBuffer& m, int64_t n) { spools.write(e, m, n); };
    }
    // The inputs as the render opens them (the manifest records these). One
    // that cannot be read is the render's to report, naming its stem.
    const auto inputs_hashed = hash_files(render_inputs(*session));
    auto rendered = render_with_fallback(args.backend, *session, options, [&](const std::string& note) { progress.note("stemforge: " + note); },
                                         [&] {
                                             if (args.verify) spools.rewind_for_writing();
                                         });
    if (!rendered) return report(rendered.error());
    const bool fell_back = rendered->fell_back;
    const std::unique_ptr<MixBackend>& backend = rendered->backend;
    const RenderResult& result = rendered->result;
    for (const auto& x : spools.exports)
        if (x->io_error) return report(Error{ErrorCode::FileWrite, "--verify: writing the temporary master failed", 0});
    const int rate = result.sample_rate;

    nlohmann::json out;
    nlohmann::json outputs = nlohmann::json::array();
    for (const auto& f : result.outputs) outputs.push_back(f.string());
    out["outputs"] = outputs;
    out["backend"] = result.backend;
    out["device"] = result.device;
    out["duration_s"] = static_cast<double>(result.frames) / rate;
    nlohmann::json timing;
    for (const auto& [p, s] : result.timing_s) timing[p] = s;
    out["timing"] = timing;
    if (auto metrics = backend_metrics(*backend); !metrics.is_null()) out["gpu"] = metrics;
    if (result.master) out["master"] = master_report_json(*result.master, rate);
    if (args.json) {
        if (diagnostics.started()) {
            out["diagnostics"] = diagnostics_json(diagnostics.finish(), "render");
        } else {
            const auto t0 = Clock::now();
            auto d = diagnostics_from_cpu_pass(*session, options, stem_names);
            if (!d) return report(d.error());
            out["diagnostics"] = diagnostics_json(*d, "cpu_pass");
            out["timing"]["diagnostics_pass"] = seconds_since(t0);
        }
    }
    if (result.region) {
        const RegionResult& r = *result.region;
        out["region"] = {{"from_s", static_cast<double>(r.from_frame) / rate},
                         {"to_s", static_cast<double>(r.to_frame) / rate},
                         {"from_frame", r.from_frame},
                         {"to_frame", r.to_frame},
                         {"render_start_s", static_cast<double>(r.start_frame) / rate},
                         {"preroll_s", static_cast<double>(r.from_frame - r.start_frame) / rate},
                         {"whole_timeline", r.whole_timeline}};
    }

    // Every export: its figures and what the writer had to clip.
    std::vector<std::string> warnings;
    if (result.master) warnings = result.master->warnings;
    nlohmann::json export_list = nlohmann::json::array();
    int64_t clipped_total = 0;
    for (size_t e = 0; e < result.exports.size() && e < exports.size(); ++e) {
        const master::ExportWritten& w = result.exports[e];
        const ExportSpec& spec = exports[e];
        nlohmann::json x;
        x["file"] = w.file.string();
        x["format"] = to_string(spec.format);
        x["bit_depth"] = is_lossy(spec.format) ? nlohmann::json(nullptr) : nlohmann::json(spec.bit_depth);
        x["sample_rate"] = w.sample_rate;
        x["frames"] = w.frames;
        x["duration_s"] = w.sample_rate > 0 ? static_cast<double>(w.frames) / w.sample_rate : 0.0;
        if (result.master && e < result.master->exports.size()) {
            const master::ExportReport& r = result.master->exports[e];
            x["integrated_lufs"] = number_or_null(r.delivered.measured.integrated_lufs);
            x["true_peak_dbtp"] = number_or_null(std::max(r.delivered.measured.true_peak_dbtp, r.delivered.true_peak_8x_dbtp));
            x["target_lufs"] = number_or_null(r.target_lufs);
            x["ceiling_dbtp"] = number_or_null(r.ceiling_dbtp);
        } else {
            auto measured = analysis::analyze_file(transaction.staged_path(w.file));
            if (!measured) return report(measured.error());
            x["integrated_lufs"] = number_or_null(measured->integrated_lufs);
            x["true_peak_dbtp"] = number_or_null(measured->true_peak_dbtp);
            x["target_lufs"] = nullptr;
            x["ceiling_dbtp"] = nullptr;
        }
        x["clipped_samples"] = w.clipped_samples;
        clipped_total += w.clipped_samples;
        if (w.clipped_samples > 0) {
            const std::string tc = timecode(w.first_clipped_frame, w.sample_rate);
            x["first_clip"] = {{"frame", w.first_clipped_frame},
                               {"time_s", static_cast<double>(w.first_clipped_frame) / w.sample_rate},
                               {"timecode", tc}};
            std::string where = tc + " (frame " + std::to_string(w.first_clipped_frame) + ")";
            if (result.region) {
                const int64_t on_timeline =
                    result.region->from_frame + static_cast<int64_t>(std::llround(static_cast<double>(w.first_clipped_frame) * rate / w.sample_rate));
                where += ", timeline " + timecode(on_timeline, rate);
            }
            warnings.push_back(w.file.string() + ": " + std::to_string(w.clipped_samples) + " samples clipped (at or over full scale, where " +
                               std::to_string(spec.bit_depth) + "-bit PCM holds at most 1 LSB less); the first at " + where);
        } else {
            x["first_clip"] = nullptr;
        }
        export_list.push_back(x);
    }
    out["exports"] = export_list;
    out["clipped_samples"] = clipped_total;
    out["warnings"] = warnings;

    // The master's measurements: the analyze keys of the first output.
    if (!result.outputs.empty()) {
        auto measured = analysis::analyze_file(transaction.staged_path(result.outputs.front()));
        if (!measured) return report(measured.error());
        measured->file = result.outputs.front().string();
        out["loudness"] = analysis::to_json(*measured);
    }

    std::optional<std::string> verify_failure;
    if (args.verify && fell_back) {
        // The GPU just failed: there is no second backend to compare with. The
        // render itself succeeded on the CPU path and is committed.
        progress.note("stemforge: --verify skipped: the GPU failed, so only the CPU path rendered");
        out["verify"] = {{"skipped", "the GPU failed; only the CPU path rendered"},
                         {"pass", nullptr},
                         {"residual_peak_dbfs", nullptr},
                         {"residual_rms_dbfs", nullptr}};
    } else if (args.verify) {
        auto other = make_verify_backend(*backend);
        if (!other) return report(other.error());
        spools.rewind_for_reading();
        // The same export list (the same dither seeds, targets and rates),
        // written into the temporary folder and discarded: the taps are what count.
        Session twin = *session;
        twin.exports = exports;
        for (size_t e = 0; e < twin.exports.size(); ++e) {
            ExportSpec& x = twin.exports[e];
            x.file = spools.dir / ("verify-" + std::to_string(e) + x.file.extension().string());
            x.file_as_written = x.file.string();
        }
        RenderOptions verify_options;
        verify_options.loudness_probe = options.loudness_probe;
        verify_options.cancel = options.cancel;
        verify_options.region = options.region;
        verify_options.block_frames = options.block_frames;
        verify_options.phase_progress = [&](const std::string& p, double f) {
            phase = "verify " + p;
            phase_fraction = f;
        };
        verify_options.progress = [&](double f) { progress.update(f, phase, phase_fraction); };
        // Fault injection for the tests of the verdict: the verify render's
        // signals scaled by this many dB (docs/cli.md).
        float fault_gain = 1.0f;
        if (const char* f = std::getenv("STEMFORGE_VERIFY_FAULT_GAIN_DB"); f && *f)
            fault_gain = static_cast<float>(std::pow(10.0, std::strtod(f, nullptr) / 20.0));
        verify_options.export_tap = [&spools, fault_gain, scaled = AudioBuffer()](size_t e, const AudioBuffer& m, int64_t n) mutable {
            if (fault_gain == 1.0f) return spools.compare(e, m, n);
            scaled.resize(2, n);
            for (int c = 0; c < 2; ++c)
                for (int64_t i = 0; i < n; ++i) scaled.channel(c)[i] = m.channel(c)[i] * fault_gain;
            spools.compare(e, scaled, n);
        };
        // The other backend masters at this render's decisions (gain, working
        // ceiling and lossy trims per export), so the residual measures the
        // two chains, not two loudness loops' answers within their tolerance.
        if (result.master) {
            master::MasterReplay replay;
            for (const master::ExportReport& x : result.master->exports)
                replay.exports.push_back({x.gain_db, x.working_ceiling_dbtp, x.trim_db});
            verify_options.master_replay = std::move(replay);
        }
        auto verified = render_session(twin, **other, verify_options);
        if (!verified) return report(verified.error());
        nlohmann::json v, per = nlohmann::json::array();
        double worst_peak = 0.0, worst_rms = 0.0;
        bool pass = true;
        for (size_t e = 0; e < spools.exports.size(); ++e) {
            const VerifySpools::Export& x = *spools.exports[e];
            if (x.io_error) return report(Error{ErrorCode::FileWrite, "--verify: reading the temporary master failed", 0});
            const double rms = std::sqrt(x.sum_sq / static_cast<double>(std::max<int64_t>(1, x.samples)));
            const bool same_length = x.frames_a == x.frames_b;
            const bool ok = same_length && to_db(x.peak) <= kVerifyPeakBoundDbfs && to_db(rms) <= kVerifyRmsBoundDbfs;
            worst_peak = std::max(worst_peak, x.peak);
            worst_rms = std::max(worst_rms, rms);
            const std::string file = exports[e].file.string();
            per.push_back({{"file", file},
                           {"residual_peak_dbfs", db_or_null(x.peak)},
                           {"residual_rms_dbfs", db_or_null(rms)},
                           {"frames", x.frames_a},
                           {"frames_other", x.frames_b},
                           {"pass", ok}});
            if (!ok && !verify_failure) {
                verify_failure = !same_length ? file + ": the " + verified->backend + " render has " + std::to_string(x.frames_b) + " frames, the " +
                                                    result.backend + " render " + std::to_string(x.frames_a)
                                              : file + ": residual peak " + show(db_or_null(x.peak), 1) + " dBFS, RMS " + show(db_or_null(rms), 1) +
                                                    " dBFS between the " + result.backend + " and " + verified->backend + " renders (bounds " +
                                                    show(kVerifyPeakBoundDbfs, 0) + " / " + show(kVerifyRmsBoundDbfs, 0) + " dBFS)";
            }
            pass &= ok;
        }
        v["backend"] = verified->backend;
        v["device"] = verified->device;
        v["residual_peak_dbfs"] = db_or_null(worst_peak);
        v["residual_rms_dbfs"] = db_or_null(worst_rms);
        v["bound_peak_dbfs"] = kVerifyPeakBoundDbfs;
        v["bound_rms_dbfs"] = kVerifyRmsBoundDbfs;
        v["pass"] = pass;
        v["exports"] = per;
        v["timing"] = {{"total", verified->timing_s.at("total")}};
        if (result.master && verified->master && !result.master->delivered.empty() && !verified->master->delivered.empty()) {
            // The delivered masters' own measurements, both backends (the verify render replays the gain and ceiling).
            const auto& a = result.master->delivered.front().measured;
            const auto& b = verified->master->delivered.front().measured;
            const double tp_a = std::max(a.true_peak_dbtp, result.master->delivered.front().true_peak_8x_dbtp);
            const double tp_b = std::max(b.true_peak_dbtp, verified->master->delivered.front().true_peak_8x_dbtp);
            v["integrated_lufs"] = number_or_null(b.integrated_lufs);
            v["integrated_lufs_difference_lu"] = number_or_null(a.integrated_lufs - b.integrated_lufs);
            v["true_peak_dbtp"] = number_or_null(tp_b);
            v["true_peak_difference_db"] = number_or_null(tp_a - tp_b);
        }
        out["verify"] = v;
    }

    // The manifest is staged with the outputs: a failed or cancelled render leaves none.
    auto manifest = stage_render_manifest(*session, effective_exports(*session, options), render_manifest_context(args, *backend), transaction,
                                          inputs_hashed ? &*inputs_hashed : nullptr);
    if (!manifest) return report(manifest.error());
    out["manifest"] = manifest_path_for(effective_exports(*session, options).front().file).string();
    if (cancel_requested(cancel)) return report(cancelled_error());
    // A failed verdict commits nothing: the report still says what differed.
    if (!verify_failure)
        if (auto ok = transaction.commit(); !ok) return report(ok.error());
    progress.done();
    for (const std::string& w : warnings) std::fprintf(stderr, "stemforge: warning: %s\n", w.c_str());
    if (args.json) {
        print_json(out);
    } else {
        for (size_t e = 0; e < export_list.size(); ++e) {
            const auto& x = export_list[e];
            std::string line = (verify_failure ? "rendered (not written) " : "wrote ") + x["file"].get<std::string>() + " (" + format_name(exports[e]) +
                               ", " + std::to_string(x["sample_rate"].get<int>()) + " Hz): " + show(x["integrated_lufs"]) + " LUFS, true peak " +
                               show(x["true_peak_dbtp"]) + " dBTP";
            if (x["target_lufs"].is_number() || x["ceiling_dbtp"].is_number())
                line += " (target " + (x["target_lufs"].is_number() ? show(x["target_lufs"], 1) + " LUFS" : std::string("none")) + ", ceiling " +
                        (x["ceiling_dbtp"].is_number() ? show(x["ceiling_dbtp"], 1) + " dBTP" : std::string("none")) + ")";
            if (x["clipped_samples"].get<int64_t>() > 0) line += ", " + std::to_string(x["clipped_samples"].get<int64_t>()) + " samples clipped";
            std::printf("%s\n", line.c_str());
        }
        for (size_t i = export_list.size(); i < result.outputs.size(); ++i)
            std::printf("%s %s\n", verify_failure ? "rendered (not written)" : "wrote", result.outputs[i].string().c_str());
        std::printf("backend %s (%s), %.2f s of audio in %.2f s (%.1fx realtime)\n", result.backend.c_str(), result.device.c_str(),
                    out["duration_s"].get<double>(), result.timing_s.at("total"),
                    out["duration_s"].get<double>() / std::max(1e-9, result.timing_s.at("total")));
        if (out.contains("region"))
            std::printf("region %s to %s (rendered from %s)\n", timecode(result.region->from_frame, rate).c_str(),
                        timecode(result.region->to_frame, rate).c_str(), timecode(result.region->start_frame, rate).c_str());
        const auto& l = out["loudness"];
        if (l.is_object()) {
            std::printf("master: %s LUFS integrated, LRA %s LU, true peak %s dBTP, sample peak %s dBFS\n",
                        show(l.value("integrated_lufs", nlohmann::json())).c_str(), show(l.value("lra_lu", nlohmann::json())).c_str(),
                        show(l.value("true_peak_dbtp", nlohmann::json())).c_str(), show(l["sample_peak_dbfs"]).c_str());
        }
        if (out.contains("verify")) {
            const auto& v = out["verify"];
            if (v.contains("skipped")) {
                std::printf("verify: skipped (%s)\n", v["skipped"].get<std::string>().c_str());
            } else {
                std::printf("verify (%s): %s: %zu export%s, worst residual peak %s dBFS (bound %s), RMS %s dBFS (bound %s)\n",
                            v["backend"].get<std::string>().c_str(), v["pass"].get<bool>() ? "PASS" : "FAIL", v["exports"].size(),
                            v["exports"].size() == 1 ? "" : "s", show(v["residual_peak_dbfs"], 1).c_str(), show(v["bound_peak_dbfs"], 0).c_str(),
                            show(v["residual_rms_dbfs"], 1).c_str(), show(v["bound_rms_dbfs"], 0).c_str());
            }
        }
    }
    if (verify_failure)
        return report(Error{ErrorCode::Internal, "--verify failed: " + *verify_failure + "; no file was written", 0});
    return kOk;
}

}  // namespace sf::cli
