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

nlohmann::json limiter_json(const std::optional<master::LimiterStats>& l) {
    if (!l) return nullptr;
    return {{"max_gain_reduction_db", l->max_gain_reduction_db},
            {"mean_gain_reduction_db", l->mean_gain_reduction_db},
            {"limited_percent", 100.0 * l->limited_fraction}};
}

nlohmann::json loop_json(const std::vector<master::LoopStep>& loop) {
    nlohmann::json a = nlohmann::json::array();
    for (const auto& s : loop)
        a.push_back({{"gain_db", s.gain_db}, {"integrated_lufs", number_or_null(s.integrated_lufs)}, {"max_gain_reduction_db", s.max_gain_reduction_db}});
    return a;
}

}  // namespace

nlohmann::json master_report_json(const master::MasterReport& r, int sample_rate) {
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
    j["limiter"] = limiter_json(r.limiter);
    // Rounded to 0.01 dB: the series is for plots, one number per bucket.
    nlohmann::json gr = nlohmann::json::array();
    for (float v : r.gain_reduction_db_over_time) gr.push_back(std::round(static_cast<double>(v) * 100.0) / 100.0);
    j["gain_reduction_bucket_s"] = r.gain_reduction_bucket_s;
    j["gain_reduction_db_over_time"] = std::move(gr);
    j["loop"] = loop_json(r.loop);
    const auto seconds = [sample_rate](int64_t frames) { return static_cast<double>(frames) / sample_rate; };
    const master::ProgrammeEdit& p = r.programme;
    nlohmann::json programme = {{"start_frame", p.begin_frame},
                                {"end_frame", p.end_frame},
                                {"start_s", seconds(p.begin_frame)},
                                {"end_s", seconds(p.end_frame)},
                                {"duration_s", seconds(p.frames())},
                                {"fade_in_s", seconds(p.fade_in_frames)},
                                {"fade_out_s", seconds(p.fade_out_frames)},
                                {"fade_curve", to_string(p.curve)},
                                {"first_content_s", r.first_content_frame ? nlohmann::json(seconds(*r.first_content_frame)) : nlohmann::json(nullptr)},
                                {"last_content_s", r.last_content_frame ? nlohmann::json(seconds(*r.last_content_frame)) : nlohmann::json(nullptr)},
                                {"delivered_from_s", seconds(r.delivered_from_frame)},
                                {"delivered_to_s", seconds(r.delivered_to_frame)}};
    j["programme"] = programme;
    nlohmann::json delivered = nlohmann::json::array(), exports = nlohmann::json::array();
    for (size_t e = 0; e < r.delivered.size(); ++e) {
        const master::DeliveredFile& d = r.delivered[e];
        // Each file against its own target and ceiling (an export may carry its own).
        const std::optional<double> target = e < r.exports.size() ? r.exports[e].target_lufs : r.target_lufs;
        const std::optional<double> ceiling = e < r.exports.size() ? r.exports[e].ceiling_dbtp : r.ceiling_dbtp;
        nlohmann::json f = loudness_json(d.measured);
        f["file"] = d.file.string();
        f["sample_rate"] = d.sample_rate;
        f["true_peak_8x_dbtp"] = number_or_null(d.true_peak_8x_dbtp);
        f["target_lufs"] = number_or_null(target);
        f["ceiling_dbtp"] = number_or_null(ceiling);
        f["target_error_lu"] = target ? number_or_null(d.measured.integrated_lufs - *target) : nlohmann::json(nullptr);
        f["ceiling_margin_db"] = ceiling ? number_or_null(*ceiling - std::max(d.true_peak_8x_dbtp, d.measured.true_peak_dbtp)) : nlohmann::json(nullptr);
        delivered.push_back(f);
    }
    for (const master::ExportReport& x : r.exports) {
        nlohmann::json f;
        f["file"] = x.file.string();
        f["format"] = to_string(x.format);
        f["preset"] = x.preset ? nlohmann::json(*x.preset) : nlohmann::json(nullptr);
        f["target_lufs"] = number_or_null(x.target_lufs);
        f["ceiling_dbtp"] = number_or_null(x.ceiling_dbtp);
        f["group"] = x.group;
        f["gain_db"] = x.gain_db;
        f["working_ceiling_dbtp"] = x.ceiling_dbtp ? number_or_null(x.working_ceiling_dbtp) : nlohmann::json(nullptr);
        f["trim_db"] = x.trim_db;
        f["delivery_rounds"] = x.delivery_rounds;
        f["loop"] = loop_json(x.loop);
        f["master"] = loudness_json(x.master);
        f["limiter"] = limiter_json(x.limiter);
        nlohmann::json d = loudness_json(x.delivered.measured);
        d["sample_rate"] = x.delivered.sample_rate;
        d["true_peak_8x_dbtp"] = number_or_null(x.delivered.true_peak_8x_dbtp);
        d["target_error_lu"] = x.target_lufs ? number_or_null(x.delivered.measured.integrated_lufs - *x.target_lufs) : nlohmann::json(nullptr);
        d["ceiling_margin_db"] = x.ceiling_dbtp ? number_or_null(*x.ceiling_dbtp - std::max(x.delivered.true_peak_8x_dbtp, x.delivered.measured.true_peak_dbtp))
                                                : nlohmann::json(nullptr);
        f["delivered"] = d;
        f["frames"] = x.frames;
        f["padding_frames"] = x.padding_frames;
        f["decisions"] = x.decisions;
        exports.push_back(f);
    }
    j["delivered"] = delivered;
    j["exports"] = exports;
    j["decisions"] = r.decisions;
    j["warnings"] = r.warnings;
    return j;
}

}  // namespace sf::cli
