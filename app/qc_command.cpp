// `stemforge qc FILE... [--preset P | --target LUFS --ceiling DBTP] [--codecs LIST]
//               [--vinyl-format F] [--html REPORT.html] [--json]`
// Delivery QC (docs/qc.md): every check per file, a table or JSON on stdout,
// optionally the HTML report; exit 6 when any check failed.
#include <algorithm>
#include <cstdio>
#include <sstream>

#include "analysis/html_report.h"
#include "analysis/qc.h"
#include "app/cli.h"
#include "app/signals.h"
#include "engine/export/transaction.h"

namespace sf::cli {

namespace {

Result<std::vector<analysis::QcCodec>> parse_codecs(const std::string& list) {
    std::vector<analysis::QcCodec> out;
    if (list == "none" || list.empty()) return out;
    std::stringstream ss(list);
    std::string name;
    while (std::getline(ss, name, ',')) {
        const auto c = analysis::qc_codec_from_name(name);
        if (!c) return fail(ErrorCode::InvalidArgument, "--codecs: unknown codec \"" + name + "\" (mp3, opus, vorbis, or none)");
        if (std::find(out.begin(), out.end(), *c) == out.end()) out.push_back(*c);
    }
    return out;
}

std::string show(const nlohmann::json& v, const std::string& unit) {
    if (v.is_null()) return "-";
    if (v.is_string()) return v.get<std::string>();
    char buf[64];
    if (v.is_number_integer()) {
        std::snprintf(buf, sizeof buf, "%lld", static_cast<long long>(v.get<int64_t>()));
    } else {
        std::snprintf(buf, sizeof buf, unit == "s" ? "%.3f" : "%.2f", v.get<double>());
    }
    return unit.empty() ? std::string(buf) : std::string(buf) + " " + unit;
}

void print_table(const analysis::QcReport& r) {
    const auto& a = r.analysis;
    std::printf("%s: %s\n", a.file.c_str(), analysis::to_string(r.status));
    std::printf("  %-4s  %-22s %-16s %-16s %s\n", "", "check", "value", "limit", "message");
    for (const auto& c : r.checks) {
        const std::string v = c.value.is_string() ? "(see message)" : show(c.value, c.unit);
        const std::string l = c.limit.is_string() ? c.limit.get<std::string>() : show(c.limit, c.unit);
        std::printf("  %-4s  %-22s %-16s %-16s %s\n", analysis::to_string(c.status), c.name.c_str(), v.c_str(), c.limit.is_string() ? "(see message)" : l.c_str(),
                    c.message.c_str());
    }
}

}  // namespace

int run_qc(const QcArgs& args) {
    auto codecs = parse_codecs(args.codecs);
    if (!codecs) {
        std::fprintf(stderr, "stemforge: error: %s (see stemforge --help)\n", codecs.error().message.c_str());
        return kUsage;
    }
    const auto vinyl = analysis::vinyl_format_from_name(args.vinyl_format);
    if (!vinyl) {
        std::fprintf(stderr, "stemforge: error: --vinyl-format \"%s\": unknown (see stemforge --help)\n", args.vinyl_format.c_str());
        return kUsage;
    }
    auto target = analysis::qc_target(args.preset.empty() ? std::nullopt : std::optional<std::string_view>(args.preset), args.target_lufs,
                                      args.ceiling_dbtp, *vinyl);
    if (!target) return report(target.error());

    // The report may not overwrite a file it checks; refused before any work.
    DeliveryTransaction transaction;
    if (!args.html.empty()) {
        std::vector<NamedPath> inputs;
        for (size_t i = 0; i < args.files.size(); ++i) inputs.push_back({args.files[i], "FILE[" + std::to_string(i) + "]"});
        const NamedPath out[] = {{args.html, "--html"}};
        if (auto ok = check_outputs(out, inputs); !ok) return report(ok.error());
    }

    analysis::QcOptions options;
    options.target = *target;
    options.codecs = *codecs;
    options.cancel = install_cancel_signals();   // SIGINT / SIGTERM stop the analysis at the next block
    std::vector<analysis::QcReport> reports;
    for (const auto& f : args.files) {
        auto r = analysis::run_qc(f, options);
        if (!r) return report(r.error());
        reports.push_back(std::move(*r));
    }
    if (!args.html.empty()) {
        auto page = analysis::html_report(reports);
        if (!page) return report(page.error());
        if (auto ok = transaction.stage_text(args.html, *page); !ok) return report(ok.error());
        if (auto ok = transaction.commit(); !ok) return report(ok.error());
    }

    bool failed = false;
    for (const auto& r : reports) failed = failed || r.status == analysis::CheckStatus::Fail;
    if (args.json) {
        nlohmann::json files = nlohmann::json::array();
        for (const auto& r : reports) files.push_back(analysis::to_json(r));
        print_json(files.size() == 1 ? files[0] : nlohmann::json{{"files", files}});
    } else {
        for (const auto& r : reports) print_table(r);
        if (!args.html.empty()) std::printf("report: %s\n", args.html.c_str());
    }
    return failed ? kQcFailed : kOk;
}

}  // namespace sf::cli
