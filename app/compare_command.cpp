// `stemforge compare A B [--json] [--max-offset S]`
#include <cstdio>

#include "analysis/compare.h"
#include "app/cli.h"

namespace sf::cli {

int run_compare(const CompareArgs& args) {
    analysis::CompareOptions options;
    options.max_offset_s = args.max_offset_s;
    auto r = analysis::compare_files(args.a, args.b, options);
    if (!r) return report(r.error());
    const auto j = analysis::to_json(*r);
    if (args.json) {
        print_json(j);
        return kOk;
    }
    auto show = [](const nlohmann::json& v, const char* unit, const char* if_null) {
        char buf[64];
        if (v.is_null()) return std::string(if_null);
        std::snprintf(buf, sizeof(buf), "%.2f %s", v.get<double>(), unit);
        return std::string(buf);
    };
    std::printf("%s vs %s\n", r->file_a.c_str(), r->file_b.c_str());
    std::printf("  %-20s %lld samples (B late by this)\n", "offset", static_cast<long long>(r->offset_samples));
    std::printf("  %-20s %lld frames\n", "compared", static_cast<long long>(r->frames_compared));
    std::printf("  %-20s %s\n", "residual peak", show(j["residual_peak_dbfs"], "dBFS", "-inf dBFS (identical)").c_str());
    std::printf("  %-20s %s\n", "residual RMS", show(j["residual_rms_dbfs"], "dBFS", "-inf dBFS (identical)").c_str());
    std::printf("  %-20s %s\n", "SNR", show(j["snr_db"], "dB", "inf").c_str());
    std::printf("  %-20s %s\n", "loudness B-A", show(j["integrated_diff_lu"], "LU", "n/a").c_str());
    std::printf("  %-20s %s\n", "true peak B-A", show(j["true_peak_diff_db"], "dB", "n/a").c_str());
    return kOk;
}

}  // namespace sf::cli
