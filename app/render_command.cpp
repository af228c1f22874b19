// `stemforge render SESSION [-o OUT] [--backend auto|cpu|gpu] [--verify] [--json]`
#include <cmath>
#include <cstdio>
#include <unistd.h>
#include <filesystem>
#include <fstream>

#include "analysis/analyze.h"
#include "analysis/loudness_probe.h"
#include "app/backends.h"
#include "app/cli.h"
#include "app/master_report.h"
#include "app/signals.h"
#include "engine/render/renderer.h"
#include "engine/session/session.h"

namespace sf::cli {

namespace {

// The residual between two renders of the master bus (before export, so no
// dither), streamed: the primary render's master is spooled to a temporary
// float file block by block, and the verify render reads it back in step.
struct MasterSpool {
    std::filesystem::path dir;
    std::fstream file;
    double peak = 0.0, sum_sq = 0.0;
    int64_t samples = 0, frames_a = 0, frames_b = 0;
    bool io_error = false;

    ~MasterSpool() {
        file.close();
        std::error_code ec;
        if (!dir.empty()) std::filesystem::remove_all(dir, ec);
    }
    Result<void> open() {
        std::error_code ec;
        const auto base = std::filesystem::temp_directory_path(ec);
        if (ec) return fail(ErrorCode::FileWrite, "--verify: no temporary folder: " + ec.message());
        for (int i = 0; i < 100 && dir.empty(); ++i) {
            auto d = base / ("stemforge-verify-" + std::to_string(::getpid()) + "-" + std::to_string(i));
            if (std::filesystem::create_directory(d, ec)) dir = d;
        }
        if (dir.empty()) return fail(ErrorCode::FileWrite, "--verify: cannot create a temporary folder in " + base.string());
        file.open(dir / "master.f32", std::ios::in | std::ios::out | std::ios::trunc | std::ios::binary);
        if (!file) return fail(ErrorCode::FileWrite, "--verify: cannot create " + (dir / "master.f32").string());
        return {};
    }
    // Interleaved frames: the two renders may hand over blocks of different
    // sizes (each backend has its own latency, so its first block is shorter).
    void write(const AudioBuffer& m, int64_t n, std::vector<float>& scratch) {
        scratch.resize(2 * static_cast<size_t>(n));
        for (int64_t i = 0; i < n; ++i)
            for (int c = 0; c < 2; ++c) scratch[2 * static_cast<size_t>(i) + static_cast<size_t>(c)] = m.channel(c)[i];
        file.write(reinterpret_cast<const char*>(scratch.data()), static_cast<std::streamsize>(scratch.size() * sizeof(float)));
        frames_a += n;
        io_error |= !file;
    }
    void compare(const AudioBuffer& m, int64_t n, std::vector<float>& scratch) {
        scratch.resize(2 * static_cast<size_t>(n));
        file.read(reinterpret_cast<char*>(scratch.data()), static_cast<std::streamsize>(scratch.size() * sizeof(float)));
        if (!file) {
            io_error = true;
            return;
        }
        for (int64_t i = 0; i < n; ++i)
            for (int c = 0; c < 2; ++c) {
                const double d = static_cast<double>(m.channel(c)[i]) - scratch[2 * static_cast<size_t>(i) + static_cast<size_t>(c)];
                peak = std::max(peak, std::abs(d));
                sum_sq += d * d;
            }
        samples += 2 * n;
        frames_b += n;
    }
};

nlohmann::json db_or_null(double linear_amplitude) {
    if (!(linear_amplitude > 0.0)) return nullptr;  // identical renders: -inf dBFS
    return 20.0 * std::log10(linear_amplitude);
}

}  // namespace

int run_render(const RenderArgs& args) {
    auto session = load_session(args.session);
    if (!session) return report(session.error());

    RenderOptions options;
    options.cancel = install_cancel_signals();
    // Everything this command writes is staged here and committed together
    // after the verify render (a failed verify changes no file).
    DeliveryTransaction transaction;
    options.transaction = &transaction;
    if (!args.output.empty()) options.output_override = args.output;
    options.loudness_probe = [] { return analysis::make_loudness_probe(); };
    Progress progress("rendering");
    options.progress = [&](double f) { progress.update(f); };
    MasterSpool spool;
    if (args.verify) {
        if (auto ok = spool.open(); !ok) return report(ok.error());
        options.master_tap = [&spool, scratch = std::vector<float>()](const AudioBuffer& m, int64_t n) mutable { spool.write(m, n, scratch); };
    }
    auto rendered = render_with_fallback(args.backend, *session, options,
                                         [](const std::string& note) { std::fprintf(stderr, "stemforge: %s\n", note.c_str()); },
                                         [&] {
                                             if (args.verify) {
                                                 spool.file.clear();
                                                 spool.file.seekp(0);
                                                 spool.frames_a = 0;
                                             }
                                         });
    if (!rendered) return report(rendered.error());
    const bool fell_back = rendered->fell_back;
    const std::unique_ptr<MixBackend>& backend = rendered->backend;
    const RenderResult& result = rendered->result;
    if (spool.io_error) return report(Error{ErrorCode::FileWrite, "--verify: writing the temporary master failed", 0});
    nlohmann::json out;
    nlohmann::json outputs = nlohmann::json::array();
    for (const auto& f : result.outputs) outputs.push_back(f.string());
    out["outputs"] = outputs;
    out["backend"] = result.backend;
    out["device"] = result.device;
    out["duration_s"] = static_cast<double>(result.frames) / result.sample_rate;
    nlohmann::json timing;
    for (const auto& [phase, s] : result.timing_s) timing[phase] = s;
    out["timing"] = timing;
    if (auto metrics = backend_metrics(*backend); !metrics.is_null()) out["gpu"] = metrics;
    if (result.master) out["master"] = master_report_json(*result.master);

    // The master's measurements: the analyze keys of the first output.
    if (!result.outputs.empty()) {
        auto measured = analysis::analyze_file(transaction.staged_path(result.outputs.front()));
        if (!measured) return report(measured.error());
        measured->file = result.outputs.front().string();
        out["loudness"] = analysis::to_json(*measured);
    }

    if (args.verify && fell_back) {
        // The GPU just failed: there is no second backend to compare with. The
        // render itself succeeded on the CPU path and is committed.
        std::fprintf(stderr, "stemforge: --verify skipped: the GPU failed, so only the CPU path rendered\n");
        out["verify"] = {{"skipped", "the GPU failed; only the CPU path rendered"}, {"residual_peak_dbfs", nullptr}, {"residual_rms_dbfs", nullptr}};
    } else if (args.verify) {
        auto other = make_verify_backend(*backend);
        if (!other) return report(other.error());
        spool.file.flush();
        spool.file.seekg(0);
        RenderOptions verify_options;
        verify_options.output_override = spool.dir / "verify.wav";  // discarded; the master tap is what counts
        verify_options.loudness_probe = options.loudness_probe;
        verify_options.cancel = options.cancel;
        if (result.master) verify_options.master_replay = master::MasterReplay{result.master->gain_db, result.master->working_ceiling_dbtp};
        std::vector<float> scratch;
        verify_options.master_tap = [&](const AudioBuffer& m, int64_t n) { spool.compare(m, n, scratch); };
        auto verified = render_session(*session, **other, verify_options);
        if (!verified) return report(verified.error());
        if (spool.io_error || spool.frames_a != spool.frames_b)
            return report(Error{ErrorCode::Internal, "--verify: the " + verified->backend + " render has " + std::to_string(spool.frames_b) +
                                                         " frames, the " + result.backend + " render " + std::to_string(spool.frames_a), 0});
        nlohmann::json v;
        v["backend"] = verified->backend;
        v["device"] = verified->device;
        v["residual_peak_dbfs"] = db_or_null(spool.peak);
        v["residual_rms_dbfs"] = db_or_null(std::sqrt(spool.sum_sq / static_cast<double>(std::max<int64_t>(1, spool.samples))));
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

    if (auto ok = transaction.commit(); !ok) return report(ok.error());
    if (args.json) {
        print_json(out);
    } else {
        for (const auto& f : result.outputs) std::printf("wrote %s\n", f.string().c_str());
        std::printf("backend %s (%s), %.2f s of audio in %.2f s (%.1fx realtime)\n", result.backend.c_str(),
                    result.device.c_str(), out["duration_s"].get<double>(), result.timing_s.at("total"),
                    out["duration_s"].get<double>() / std::max(1e-9, result.timing_s.at("total")));
        auto show = [](const nlohmann::json& x) {
            if (!x.is_number()) return std::string("-inf");
            char buf[32];
            std::snprintf(buf, sizeof(buf), "%.2f", x.get<double>());
            return std::string(buf);
        };
        const auto& l = out["loudness"];
        if (l.is_object()) {
            std::printf("master: %s LUFS integrated, LRA %s LU, true peak %s dBTP, sample peak %s dBFS\n",
                        show(l.value("integrated_lufs", nlohmann::json())).c_str(), show(l.value("lra_lu", nlohmann::json())).c_str(),
                        show(l.value("true_peak_dbtp", nlohmann::json())).c_str(), show(l["sample_peak_dbfs"]).c_str());
        }
        if (out.contains("verify")) {
            const auto& v = out["verify"];
            std::printf("verify (%s): residual peak %s dBFS, RMS %s dBFS\n", v["backend"].get<std::string>().c_str(),
                        show(v["residual_peak_dbfs"]).c_str(), show(v["residual_rms_dbfs"]).c_str());
        }
    }
    return kOk;
}

}  // namespace sf::cli
