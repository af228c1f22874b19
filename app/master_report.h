// Stemforge CLI — the master step's report as JSON (render --json "master").
#pragma once

#include <nlohmann/json.hpp>

#include "engine/master/master_chain.h"

namespace sf::cli {

// Keys (docs/cli.md): preset, target_lufs, ceiling_dbtp, working_ceiling_dbtp,
// gain_db, delivery_rounds, latency_frames, pre_limiter{...}, limiter{
// max_gain_reduction_db, mean_gain_reduction_db, limited_percent}, master{...},
// loop[{gain_db, integrated_lufs, max_gain_reduction_db}], delivered[{file,
// sample_rate, integrated_lufs, lra_lu, true_peak_dbtp, true_peak_8x_dbtp,
// momentary_max_lufs, short_term_max_lufs, target_error_lu, ceiling_margin_db}],
// decisions[...]. -infinity is null.
nlohmann::json master_report_json(const master::MasterReport& report);

}  // namespace sf::cli
