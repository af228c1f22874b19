// Stemforge CLI — the master step's report as JSON (render --json "master").
#pragma once

#include <nlohmann/json.hpp>

#include "engine/master/master_chain.h"

namespace sf::cli {

// Keys (docs/cli.md): preset, target_lufs, ceiling_dbtp, working_ceiling_dbtp,
// gain_db, delivery_rounds, latency_frames, pre_limiter{...}, limiter{
// max_gain_reduction_db, mean_gain_reduction_db, limited_percent}, master{...},
// loop[{gain_db, integrated_lufs, max_gain_reduction_db}], programme{start_s,
// end_s, duration_s, start_frame, end_frame, fade_in_s, fade_out_s,
// fade_curve, first_content_s, last_content_s, delivered_from_s,
// delivered_to_s}, delivered[{file, sample_rate, integrated_lufs, lra_lu,
// true_peak_dbtp, true_peak_8x_dbtp, momentary_max_lufs, short_term_max_lufs,
// target_lufs, ceiling_dbtp, target_error_lu, ceiling_margin_db}],
// exports[{file, format, preset, target_lufs, ceiling_dbtp, group, gain_db,
// working_ceiling_dbtp, trim_db, delivery_rounds, loop, master, limiter,
// delivered{...}, frames, padding_frames, decisions}], decisions[...],
// warnings[...]. -infinity is null. Times at `sample_rate` (the session's).
nlohmann::json master_report_json(const master::MasterReport& report, int sample_rate);

}  // namespace sf::cli
