#include "app/master_report.h"

#include <cmath>

#include "app/cli.h"

namespace sf::cli {

namespace {

nlohmann::json loudness_json(const LoudnessStats& s) {
    return {{"integrated_lufs", number_or_null(s.integrated_lufs)},
            {"lra_lu", number_or_null(s.loudness_range_lu)},
            {"true_peak_dbtp", number_or_null(s.true_peak_dbtp)},
            {"momentary_max_lufs", number_or_null(s.max_momentary_lufs)},
            {"short_term_max_lufs", number_or_null(s.max_short_term_lufs)}};
}

}  // namespace

nlohmann::json master_report_json(const master::MasterReport& r) {
    nlohmann::json j;
    j["preset"] = r.preset ? nlohmann::json(*r.preset) : nlohmann::json(nullptr);
    j["target_lufs"] = number_or_null(r.target_lufs);
    j["ceiling_dbtp"] = number_or_null(r.ceiling_dbtp);
    j["working_ceiling_dbtp"] = r.ceiling_dbtp ? number_or_null(r.working_ceiling_dbtp) : nlohmann::json(nullptr);
    j["gain_db"] = r.gain_db;
    j["delivery_rounds"] = r.delivery_rounds;
    j["latency_frames"] = r.latency_frames;
    if (r.eq_max_error_db) j["eq_max_error_db"] = *r.eq_max_error_db;
    if (r.match_eq) {  // the curve at the 1/3-octave centres 20 Hz .. 20 kHz (base 2, as applied)
        nlohmann::json curve = nlohmann::json::array();
        for (int k = -17; k <= 13; ++k) {
            const double f = 1000.0 * std::exp2(k / 3.0);
            if (f <= r.match_eq->freq_hz.back() * 1.0001) curve.push_back({f, r.match_eq->gain_db_at(f)});
        }
        j["match_eq"] = {{"curve_hz_db", curve}, {"max_error_db", number_or_null(r.match_eq_max_error_db)}};
    }
    j["pre_limiter"] = loudness_json(r.pre_limiter);
    j["master"] = loudness_json(r.master);
    if (r.limiter)
        j["limiter"] = {{"max_gain_reduction_db", r.limiter->max_gain_reduction_db},
                        {"mean_gain_reduction_db", r.limiter->mean_gain_reduction_db},
                        {"limited_percent", 100.0 * r.limiter->limited_fraction}};
    else
        j["limiter"] = nullptr;
    nlohmann::json loop = nlohmann::json::array();
    for (const auto& s : r.loop)
        loop.push_back({{"gain_db", s.gain_db}, {"integrated_lufs", number_or_null(s.integrated_lufs)}, {"max_gain_reduction_db", s.max_gain_reduction_db}});
    j["loop"] = loop;
    nlohmann::json delivered = nlohmann::json::array();
    for (const auto& d : r.delivered) {
        nlohmann::json f = loudness_json(d.measured);
        f["file"] = d.file.string();
        f["sample_rate"] = d.sample_rate;
        f["true_peak_8x_dbtp"] = number_or_null(d.true_peak_8x_dbtp);
        f["target_error_lu"] = r.target_lufs ? number_or_null(d.measured.integrated_lufs - *r.target_lufs) : nlohmann::json(nullptr);
        f["ceiling_margin_db"] = r.ceiling_dbtp ? number_or_null(*r.ceiling_dbtp - std::max(d.true_peak_8x_dbtp, d.measured.true_peak_dbtp))
                                                : nlohmann::json(nullptr);
        delivered.push_back(f);
    }
    j["delivered"] = delivered;
    j["decisions"] = r.decisions;
    return j;
}

}  // namespace sf::cli
