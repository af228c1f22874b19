// `stemforge compare A B [--json] [--max-offset S] [--png DIR]`
#include <cstdio>

#include "analysis/compare.h"
#include "analysis/plot.h"
#include "app/cli.h"
#include "app/signals.h"

namespace sf::cli {

namespace {

std::string show(const nlohmann::json& v, const char* unit, const char* if_null) {
    char buf[64];
    if (v.is_null()) return std::string(if_null);
    std::snprintf(buf, sizeof(buf), "%.2f %s", v.get<double>(), unit);
    return std::string(buf);
}

std::string freq(double hz) {
    char buf[32];
    if (hz >= 1000.0)
        std::snprintf(buf, sizeof(buf), "%g kHz", hz / 1000.0);
    else
        std::snprintf(buf, sizeof(buf), "%g Hz", hz);
    return buf;
}

}  // namespace

int run_compare(const CompareArgs& args) {
    analysis::CompareOptions options;
    options.max_offset_s = args.max_offset_s;
    options.cancel = install_cancel_signals();
    Progress progress("comparing");
    options.progress = [&](double f) { progress.update(f); };
    auto r = analysis::compare_files(args.a, args.b, options);
    if (!r) return report(r.error());
    auto j = analysis::to_json(*r);
    if (!args.png_dir.empty()) {
        auto written = analysis::write_compare_plots(*r, args.png_dir);
        if (!written) return report(written.error());
        nlohmann::json files = nlohmann::json::array();
        for (const auto& f : *written) files.push_back(f.string());
        j["plots"] = files;
    }
    if (args.json) {
        print_json(j);
        return kOk;
    }
    std::printf("%s vs %s\n", r->file_a.c_str(), r->file_b.c_str());
    if (r->b_sample_rate != r->sample_rate) std::printf("  %-22s %d Hz -> %d Hz (soxr)\n", "B resampled", r->b_sample_rate, r->sample_rate);
    const auto& al = j["alignment"];
    if (r->alignment.searched)
        std::printf("  %-22s %lld samples (B late by this), correlation %.4f, peak ratio %s\n", "offset",
                    static_cast<long long>(r->offset_samples), al["correlation"].get<double>(),
                    al["peak_ratio"].is_null() ? "n/a" : show(al["peak_ratio"], "x", "").c_str());
    else
        std::printf("  %-22s 0 samples (not searched: --max-offset 0)\n", "offset");
    std::printf("  %-22s %lld frames (%s)\n", "compared", static_cast<long long>(r->frames_compared),
                analysis::timecode(static_cast<double>(r->frames_compared) / r->sample_rate).c_str());
    std::printf("  %-22s %s\n", "residual peak", show(j["residual_peak_dbfs"], "dBFS", "-inf dBFS (identical)").c_str());
    std::printf("  %-22s %s\n", "residual RMS", show(j["residual_rms_dbfs"], "dBFS", "-inf dBFS (identical)").c_str());
    std::printf("  %-22s %s\n", "SNR", show(j["snr_db"], "dB", "inf").c_str());
    std::printf("  %-22s %s%s\n", "gain B/A (best fit)", show(j["gain_diff_db"], "dB", "n/a").c_str(),
                j["gain_polarity_inverted"].is_boolean() && j["gain_polarity_inverted"].get<bool>() ? ", polarity inverted" : "");
    std::printf("  %-22s %s\n", "residual after gain", show(j["residual_rms_gain_matched_dbfs"], "dBFS RMS", "-inf dBFS").c_str());
    std::printf("  %-22s %s\n", "loudness B-A", show(j["integrated_diff_lu"], "LU", "n/a").c_str());
    std::printf("  %-22s %s\n", "true peak B-A", show(j["true_peak_diff_db"], "dB", "n/a").c_str());
    std::printf("  %-22s %-16s %-16s %s\n", "band", "residual RMS", "programme RMS", "SNR");
    for (const auto& b : j["bands"])
        std::printf("  %-22s %-16s %-16s %s\n", freq(b["center_hz"].get<double>()).c_str(), show(b["residual_dbfs"], "dBFS", "-inf").c_str(),
                    show(b["signal_dbfs"], "dBFS", "-inf").c_str(), show(b["snr_db"], "dB", "n/a").c_str());
    if (!r->worst_stretches.empty()) {
        std::printf("  worst stretches (residual peak, RMS):\n");
        for (const auto& w : j["worst_stretches"])
            std::printf("    %s  peak at %s  %s  %s\n", w["start_timecode"].get<std::string>().c_str(), w["peak_timecode"].get<std::string>().c_str(),
                        show(w["peak_dbfs"], "dBFS", "-inf").c_str(), show(w["rms_dbfs"], "dBFS RMS", "-inf").c_str());
    }
    if (j.contains("plots"))
        for (const auto& f : j["plots"]) std::printf("wrote %s\n", f.get<std::string>().c_str());
    return kOk;
}

}  // namespace sf::cli
