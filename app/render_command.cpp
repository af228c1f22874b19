// `stemforge render SESSION [-o OUT] [--backend auto|cpu|gpu] [--verify] [--json]`
#include <cstdio>

#include "analysis/analyze.h"
#include "analysis/loudness_probe.h"
#include "app/backends.h"
#include "app/cli.h"
#include "app/master_report.h"
#include "engine/render/renderer.h"
#include "engine/session/session.h"

namespace sf::cli {

int run_render(const RenderArgs& args) {
    auto session = load_session(args.session);
    if (!session) return report(session.error());

    std::string note;
    auto backend = make_backend(args.backend, &note);
    if (!backend) return report(backend.error());
    if (!note.empty()) std::fprintf(stderr, "stemforge: %s\n", note.c_str());

    RenderOptions options;
    if (!args.output.empty()) options.output_override = args.output;
    options.loudness_probe = [] { return analysis::make_loudness_probe(); };
    Progress progress("rendering");
    options.progress = [&](double f) { progress.update(f); };
    auto result = render_session(*session, **backend, options);
    if (!result) return report(result.error());

    nlohmann::json out;
    nlohmann::json outputs = nlohmann::json::array();
    for (const auto& f : result->outputs) outputs.push_back(f.string());
    out["outputs"] = outputs;
    out["backend"] = result->backend;
    out["device"] = result->device;
    out["duration_s"] = static_cast<double>(result->frames) / result->sample_rate;
    nlohmann::json timing;
    for (const auto& [phase, s] : result->timing_s) timing[phase] = s;
    out["timing"] = timing;
    if (result->master) out["master"] = master_report_json(*result->master);

    // The master's measurements: the analyze keys of the first output.
    if (!result->outputs.empty()) {
        auto measured = analysis::analyze_file(result->outputs.front());
        if (!measured) return report(measured.error());
        out["loudness"] = analysis::to_json(*measured);
    }

    if (args.verify) {
        auto other = make_verify_backend(**backend);
        if (!other) return report(other.error());
    }

    if (args.json) {
        print_json(out);
    } else {
        for (const auto& f : result->outputs) std::printf("wrote %s\n", f.string().c_str());
        std::printf("backend %s (%s), %.2f s of audio in %.2f s (%.1fx realtime)\n", result->backend.c_str(),
                    result->device.c_str(), out["duration_s"].get<double>(), result->timing_s.at("total"),
                    out["duration_s"].get<double>() / std::max(1e-9, result->timing_s.at("total")));
        const auto& l = out["loudness"];
        if (!l.is_null()) {
            auto show = [](const nlohmann::json& v) { return v.is_null() ? std::string("-inf") : std::to_string(v.get<double>()); };
            std::printf("master: sample peak %s dBFS, RMS %s dBFS\n", show(l["sample_peak_dbfs"]).c_str(), show(l["rms_dbfs"]).c_str());
        }
    }
    return kOk;
}

}  // namespace sf::cli
