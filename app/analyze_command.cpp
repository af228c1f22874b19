// `stemforge analyze FILE... [--json] [--series] [--png DIR]`
#include <cstdio>

#include "analysis/analyze.h"
#include "analysis/plot.h"
#include "app/cli.h"

namespace sf::cli {

namespace {

std::string show(const nlohmann::json& v, const char* unit, const char* if_null = "-inf") {
    char buf[64];
    if (v.is_null()) return std::string(if_null) + " " + unit;
    std::snprintf(buf, sizeof(buf), "%.2f %s", v.get<double>(), unit);
    return buf;
}

void print_table(const nlohmann::json& j) {
    std::printf("%s\n", j["file"].get<std::string>().c_str());
    const auto& f = j["format"];
    std::printf("  %-22s %s %s, %d Hz, %d ch, %.3f s\n", "format", f["container"].get<std::string>().c_str(),
                f["encoding"].get<std::string>().c_str(), j["sample_rate"].get<int>(), j["channels"].get<int>(), j["duration_s"].get<double>());
    std::printf("  %-22s %s\n", "integrated", show(j["integrated_lufs"], "LUFS").c_str());
    std::printf("  %-22s %s\n", "momentary max", show(j["momentary_max_lufs"], "LUFS").c_str());
    std::printf("  %-22s %s\n", "short-term max", show(j["short_term_max_lufs"], "LUFS").c_str());
    std::printf("  %-22s %s\n", "loudness range", show(j["lra_lu"], "LU", "n/a").c_str());
    std::printf("  %-22s %s\n", "true peak", show(j["true_peak_dbtp"], "dBTP").c_str());
    std::printf("  %-22s %s\n", "sample peak", show(j["sample_peak_dbfs"], "dBFS").c_str());
    std::printf("  %-22s %s\n", "RMS", show(j["rms_dbfs"], "dBFS").c_str());
    if (j.contains("stereo")) {
        const auto& s = j["stereo"];
        std::printf("  %-22s %s\n", "correlation", show(s["correlation"], "", "n/a").c_str());
        std::printf("  %-22s %s\n", "balance (L/R)", show(s["balance_db"], "dB", "n/a").c_str());
        std::printf("  %-22s %s\n", "side/mid", show(s["side_mid_db"], "dB").c_str());
        std::printf("  %-22s %s\n", "mono fold loss", show(s["mono_loss_lu"], "LU", "inf").c_str());
    }
    std::printf("  %-22s %.1f Hz\n", "spectrum peak", j["spectrum"]["peak_hz"].get<double>());
    const auto& c = j["checks"];
    std::printf("  %-22s %.3f s / %.3f s\n", "silence lead/trail", c["leading_silence_s"].get<double>(), c["trailing_silence_s"].get<double>());
    for (const auto& w : c["warnings"]) std::printf("  warning: %s\n", w.get<std::string>().c_str());
}

}  // namespace

int run_analyze(const AnalyzeArgs& args) {
    analysis::AnalyzeOptions options;
    options.series = args.series || !args.png_dir.empty();
    options.spectrogram = !args.png_dir.empty();
    options.vectorscope = !args.png_dir.empty();
    options.waveform = !args.png_dir.empty();   // the loudness plot's sample-peak trace
    nlohmann::json files = nlohmann::json::array();
    for (const auto& f : args.files) {
        auto a = analysis::analyze_file(f, options);
        if (!a) return report(a.error());
        auto j = analysis::to_json(*a);
        if (!args.series) j.erase("series");   // the plots needed it, the report did not ask for it
        j.erase("waveform");
        if (!args.png_dir.empty()) {
            auto written = analysis::write_plots(*a, args.png_dir);
            if (!written) return report(written.error());
            nlohmann::json pngs = nlohmann::json::array();
            for (const auto& p : *written) pngs.push_back(p.string());
            j["plots"] = pngs;
        }
        files.push_back(std::move(j));
    }
    if (args.json) {
        print_json(files.size() == 1 ? files[0] : nlohmann::json{{"files", files}});
        return kOk;
    }
    for (const auto& j : files) {
        print_table(j);
        if (j.contains("plots"))
            for (const auto& p : j["plots"]) std::printf("  plot: %s\n", p.get<std::string>().c_str());
    }
    return kOk;
}

}  // namespace sf::cli
