// `stemforge analyze FILE... [--json] [--series] [--png DIR]`
#include <cstdio>

#include "analysis/analyze.h"
#include "app/cli.h"

namespace sf::cli {

int run_analyze(const AnalyzeArgs& args) {
    analysis::AnalyzeOptions options;
    options.series = args.series;
    nlohmann::json files = nlohmann::json::array();
    for (const auto& f : args.files) {
        auto a = analysis::analyze_file(f, options);
        if (!a) return report(a.error());
        files.push_back(analysis::to_json(*a));
    }
    if (args.json) {
        print_json(files.size() == 1 ? files[0] : nlohmann::json{{"files", files}});
        return kOk;
    }
    auto show = [](const nlohmann::json& v, const char* unit) {
        char buf[64];
        if (v.is_null()) return std::string("-inf ") + unit;
        std::snprintf(buf, sizeof(buf), "%.2f %s", v.get<double>(), unit);
        return std::string(buf);
    };
    for (const auto& j : files) {
        std::printf("%s\n", j["file"].get<std::string>().c_str());
        std::printf("  %-20s %.3f s, %d Hz, %d ch\n", "format", j["duration_s"].get<double>(), j["sample_rate"].get<int>(),
                    j["channels"].get<int>());
        std::printf("  %-20s %s\n", "sample peak", show(j["sample_peak_dbfs"], "dBFS").c_str());
        std::printf("  %-20s %s\n", "RMS", show(j["rms_dbfs"], "dBFS").c_str());
    }
    return kOk;
}

}  // namespace sf::cli
