// Stemforge GPU — the master's loudness loop on the GPU: the gain into the
// limiter that puts each programme's integrated loudness on its target,
// found with several candidate gains per limiter pass (GpuMaster lanes),
// every programme of the batch at once.
//
// The CPU loop (engine/master/master_chain.cpp) measures one gain per pass
// and takes a secant step. Here each pass measures `candidates` gains per
// programme and keeps, per programme, the bracket [g_lo, g_hi] with I(g_lo)
// < target < I(g_hi) (I(g) rises monotonically with g: more gain is never
// quieter after a limiter); the next pass's candidates sit at the inverse
// interpolation of the bracket (through a third measured point when there
// is one) and around it, a little more than a tolerance apart. The
// first pass spans target − pre-limiter loudness (the answer without
// limiting) up to +kFirstSpanDb, where the limiter costs loudness.
// A programme is done when a measured candidate lies within tolerance; the
// chosen gain is that candidate (its measurement is the loop's answer, as
// on the CPU). Limits as the CPU's: the gain stays in [−60, +60] dB, and a
// target that needs more than the limiter's max_gain_reduction_db is an
// error naming master.loudness_target_lufs.
#pragma once

#include <optional>
#include <span>
#include <vector>

#include "engine/core/error.h"
#include "engine/master/master_chain.h"
#include "gpu/master/master_chain.h"

namespace sf::gpu {

inline constexpr double kFirstSpanDb = 6.0;   // the first pass spans [g0, g0 + this]

struct GpuLoopOutcome {
    double gain_db = 0.0;                      // the chosen gain into the limiter
    double integrated_lufs = 0.0;              // its measured loudness
    std::vector<master::LoopStep> steps;       // every candidate measured, pass by pass
};

struct GpuLoopResult {
    std::vector<GpuLoopOutcome> programmes;
    int passes = 0;                            // limiter passes (each measures every programme's candidates)
};

// The candidates of the next pass for one programme, from what was measured
// so far (host-side planning, no GPU): `count` gains, ascending, distinct.
// `first_guess`: target − pre-limiter loudness; `tolerance_lu`: the loop's.
std::vector<double> plan_candidates(std::span<const master::LoopStep> measured, double target_lufs, double first_guess, int count,
                                    double tolerance_lu);

// Runs passes on `chain` (run_prechain done) until every programme is within
// `tolerance_lu` of targets[p], at most max_passes. `max_gain_reduction_db`:
// the limiter's limit (nullopt without a limiter). Errors: a silent
// programme (BadAudio), more limiting than allowed (InvalidSession), no
// convergence (Internal) — each naming master.loudness_target_lufs.
Result<GpuLoopResult> gpu_loudness_loop(GpuMaster& chain, std::span<const double> targets_lufs, std::span<const double> ceilings_dbtp,
                                        double tolerance_lu, std::optional<double> max_gain_reduction_db, int candidates,
                                        int max_passes = 6);

}  // namespace sf::gpu
