#include "gpu/master/loudness_loop.h"

#include <algorithm>
#include <cmath>
#include <cstdio>
#include <string>

namespace sf::gpu {

namespace {

constexpr double kGainLimitDb = 60.0;   // as the CPU loop's clamp

std::string fmt(double v, int digits = 2) {
    char buf[64];
    std::snprintf(buf, sizeof buf, "%.*f", digits, v);
    return buf;
}

}  // namespace

std::vector<double> plan_candidates(std::span<const master::LoopStep> measured, double target, double first_guess, int count,
                                    double tolerance_lu) {
    std::vector<double> out;
    auto clamp = [](double g) { return std::clamp(g, -kGainLimitDb, kGainLimitDb); };
    if (measured.empty()) {
        // Without limiting the answer is first_guess; limiting only costs
        // loudness, so the answer lies at or above it.
        for (int k = 0; k < count; ++k) out.push_back(clamp(first_guess + kFirstSpanDb * k / std::max(1, count - 1)));
    } else {
        // The tightest bracket measured so far.
        const master::LoopStep* lo = nullptr;
        const master::LoopStep* hi = nullptr;
        for (const master::LoopStep& s : measured) {
            if (s.integrated_lufs < target && (!lo || s.gain_db > lo->gain_db)) lo = &s;
            if (s.integrated_lufs >= target && (!hi || s.gain_db < hi->gain_db)) hi = &s;
        }
        if (lo && hi) {
            // Inverse interpolation in the bracket: through a third measured
            // point next to it when there is one (I(g) bends as the limiter
            // works harder; a parabola follows the bend, a chord does not),
            // solved by bisection on the bracket; then candidates around the
            // estimate, 1.6 tolerances of loudness apart at the bracket's
            // slope, so that together they cover about ±3 tolerances.
            const double span = hi->gain_db - lo->gain_db;
            const double slope = (hi->integrated_lufs - lo->integrated_lufs) / span;
            const master::LoopStep* third = nullptr;
            for (const master::LoopStep& s : measured) {
                if (&s == lo || &s == hi || s.gain_db == lo->gain_db || s.gain_db == hi->gain_db) continue;
                const double d = std::min(std::abs(s.gain_db - lo->gain_db), std::abs(s.gain_db - hi->gain_db));
                if (!third || d < std::min(std::abs(third->gain_db - lo->gain_db), std::abs(third->gain_db - hi->gain_db))) third = &s;
            }
            auto level = [&](double g) {
                if (!third) return lo->integrated_lufs + slope * (g - lo->gain_db);
                const double x0 = lo->gain_db, x1 = hi->gain_db, x2 = third->gain_db;
                return lo->integrated_lufs * (g - x1) * (g - x2) / ((x0 - x1) * (x0 - x2)) +
                       hi->integrated_lufs * (g - x0) * (g - x2) / ((x1 - x0) * (x1 - x2)) +
                       third->integrated_lufs * (g - x0) * (g - x1) / ((x2 - x0) * (x2 - x1));
            };
            double a = lo->gain_db, b = hi->gain_db;
            for (int it = 0; it < 60; ++it) {
                const double mid = 0.5 * (a + b);
                (level(mid) < target ? a : b) = mid;
            }
            const double est = 0.5 * (a + b);
            const double step = std::min(span / count, 1.6 * tolerance_lu / std::max(slope, 1e-3));
            for (int k = 0; k < count; ++k) out.push_back(std::clamp(est + (k - (count - 1) / 2.0) * step, lo->gain_db + 1e-6, hi->gain_db - 1e-6));
        } else {
            // Every candidate on one side: extrapolate along the steepest
            // measured slope (at most 1 LU/dB; at least 0.02, the CPU
            // loop's bounds) and spread towards the target.
            const master::LoopStep& edge = lo ? *lo : *hi;
            double slope = 1.0;
            for (const master::LoopStep& s : measured)
                if (s.gain_db != edge.gain_db)
                    slope = std::clamp((s.integrated_lufs - edge.integrated_lufs) / (s.gain_db - edge.gain_db), 0.02, 1.0);
            const double est = edge.gain_db + (target - edge.integrated_lufs) / slope;
            const double dir = lo ? 1.0 : -1.0;
            for (int k = 0; k < count; ++k) out.push_back(clamp(est + dir * 0.5 * k * std::abs(est - edge.gain_db) / std::max(1, count)));
        }
    }
    std::sort(out.begin(), out.end());
    return out;
}

Result<GpuLoopResult> gpu_loudness_loop(GpuMaster& chain, std::span<const double> targets, std::span<const double> ceilings,
                                        double tolerance_lu, std::optional<double> max_gr_db, int candidates, int max_passes) {
    const size_t n = static_cast<size_t>(chain.programmes());
    if (targets.size() != n || ceilings.size() != n || candidates < 1)
        return fail(ErrorCode::InvalidArgument, "GPU loudness loop: one target and one ceiling per programme are needed");
    GpuLoopResult result;
    result.programmes.resize(n);
    std::vector<double> first(n);
    std::vector<char> done(n, 0);
    for (size_t p = 0; p < n; ++p) {
        const double pre = chain.pre_limiter()[p].loudness.integrated_lufs;
        if (!std::isfinite(pre))
            return fail(ErrorCode::BadAudio, "master.loudness_target_lufs: the master is silent (no block above the -70 LUFS gate): "
                                             "there is no gain that reaches " + fmt(targets[p], 1) + " LUFS");
        first[p] = std::clamp(targets[p] - pre, -kGainLimitDb, kGainLimitDb);
    }
    std::vector<double> gains(n * static_cast<size_t>(candidates));
    for (int pass = 0; pass < max_passes; ++pass) {
        for (size_t p = 0; p < n; ++p) {
            // A finished programme re-measures its answer (lanes are per programme).
            const std::vector<double> plan = done[p] ? std::vector<double>(static_cast<size_t>(candidates), result.programmes[p].gain_db)
                                                     : plan_candidates(result.programmes[p].steps, targets[p], first[p], candidates, tolerance_lu);
            std::copy(plan.begin(), plan.end(), gains.begin() + static_cast<std::ptrdiff_t>(p * static_cast<size_t>(candidates)));
        }
        auto lanes = chain.run_limiter(gains, candidates, ceilings, false, nullptr);
        if (!lanes) return std::unexpected(lanes.error());
        ++result.passes;
        bool all = true;
        for (size_t p = 0; p < n; ++p) {
            if (done[p]) continue;
            GpuLoopOutcome& o = result.programmes[p];
            std::optional<size_t> best;
            for (int k = 0; k < candidates; ++k) {
                const size_t l = p * static_cast<size_t>(candidates) + static_cast<size_t>(k);
                const double level = (*lanes)[l].meter.loudness.integrated_lufs;
                const double gr = (*lanes)[l].limiter.max_gain_reduction_db;
                if (!std::isfinite(level))
                    return fail(ErrorCode::BadAudio, "master.loudness_target_lufs: the limited master measures silent at gain " + fmt(gains[l]) + " dB");
                if (k > 0 && gains[l] == gains[l - 1]) continue;   // a clamped duplicate
                o.steps.push_back(master::LoopStep{gains[l], level, gr});
                const double miss = targets[p] - level;
                if (std::abs(miss) <= tolerance_lu && (!best || std::abs(miss) < std::abs(targets[p] - (*lanes)[*best].meter.loudness.integrated_lufs)))
                    best = l;
            }
            // More limiting than allowed where the target is reached (or not even there).
            for (const master::LoopStep& s : o.steps)
                if (max_gr_db && s.max_gain_reduction_db > *max_gr_db && targets[p] - s.integrated_lufs > -tolerance_lu)
                    return fail(ErrorCode::InvalidSession, "master.loudness_target_lufs: reaching " + fmt(targets[p], 1) + " LUFS under a " +
                                                               fmt(ceilings[p]) + " dBTP ceiling needs more than " + fmt(*max_gr_db, 1) +
                                                               " dB of limiting (" + fmt(s.max_gain_reduction_db, 1) + " dB at " +
                                                               fmt(s.integrated_lufs) + " LUFS): lower the target, or raise master.limiter.max_gain_reduction_db");
            if (best) {
                done[p] = 1;
                o.gain_db = gains[*best];
                o.integrated_lufs = (*lanes)[*best].meter.loudness.integrated_lufs;
            } else {
                all = false;
            }
        }
        if (all) return result;
    }
    for (size_t p = 0; p < n; ++p)
        if (!done[p])
            return fail(ErrorCode::Internal, "master.loudness_target_lufs: the GPU loudness loop did not converge to " + fmt(targets[p], 1) +
                                                 " LUFS in " + std::to_string(max_passes) + " passes of " + std::to_string(candidates) + " candidates");
    return result;
}

}  // namespace sf::gpu
