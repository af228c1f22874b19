#include "gpu/master/master_batch.h"

#include <algorithm>
#include <cmath>

#include <tbb/parallel_for.h>

#include "engine/master/master_chain.h"
#include "engine/master/true_peak_limiter.h"

namespace sf::gpu {

Result<BatchResult> master_batch(Context& ctx, const GpuMasterSpec& spec, const MixSource& mix, std::span<const double> targets_lufs,
                                 std::span<const double> working_ceilings_dbtp) {
    const size_t n = spec.lengths_frames.size();
    const MasterSpec& m = spec.master;
    if ((!targets_lufs.empty() && targets_lufs.size() != n) || (!working_ceilings_dbtp.empty() && working_ceilings_dbtp.size() != n))
        return fail(ErrorCode::InvalidArgument, "GPU master batch: one target and one ceiling per programme");
    GpuMasterSpec s = spec;
    s.max_candidates = m.loudness_target_lufs ? kBatchCandidates : 1;
    auto chain = GpuMaster::create(ctx, s);
    if (!chain) return std::unexpected(chain.error());
    if (auto ok = (*chain)->run_prechain(mix); !ok) return std::unexpected(ok.error());

    std::vector<double> ceilings(n), gains(n, 0.0);
    for (size_t p = 0; p < n; ++p)
        ceilings[p] = !working_ceilings_dbtp.empty() ? working_ceilings_dbtp[p]
                                                     : (m.limiter ? m.limiter->ceiling_dbtp : 0.0) - master::kInitialCeilingMarginDb;
    BatchResult result;
    result.programmes.resize(n);
    if (m.loudness_target_lufs) {
        std::vector<double> targets(n, *m.loudness_target_lufs);
        if (!targets_lufs.empty()) targets.assign(targets_lufs.begin(), targets_lufs.end());
        const std::optional<double> max_gr = m.limiter ? std::optional(m.limiter->max_gain_reduction_db) : std::nullopt;
        auto loop = gpu_loudness_loop(**chain, targets, ceilings, master::kLoopToleranceLu, max_gr, kBatchCandidates);
        if (!loop) return std::unexpected(loop.error());
        result.loop_passes = loop->passes;
        for (size_t p = 0; p < n; ++p) {
            gains[p] = loop->programmes[p].gain_db;
            result.programmes[p].loop = std::move(loop->programmes[p].steps);
        }
    }
    for (size_t p = 0; p < n; ++p) {
        result.programmes[p].gain_db = gains[p];
        result.programmes[p].signal.resize(2, spec.lengths_frames[p]);
    }
    const MasterSink keep = [&](int p, int64_t first, int64_t frames, const float* l, const float* r) -> Result<void> {
        AudioBuffer& y = result.programmes[static_cast<size_t>(p)].signal;
        std::copy_n(l, frames, y.channel(0) + first);
        std::copy_n(r, frames, y.channel(1) + first);
        return {};
    };
    auto delivered = (*chain)->run_limiter(gains, 1, ceilings, true, &keep);
    if (!delivered) return std::unexpected(delivered.error());

    if (m.limiter)
        tbb::parallel_for(size_t{0}, n, [&](size_t p) {
            BatchMaster& b = result.programmes[p];
            AudioBuffer& y = b.signal;
            const double ceiling = std::pow(10.0, ceilings[p] / 20.0);
            const int64_t edge = std::min<int64_t>(96, y.frames());
            AudioBuffer head(2, edge), tail(2, edge);
            for (int c = 0; c < 2; ++c) {
                std::copy_n(y.channel(c), edge, head.channel(c));
                std::copy_n(y.channel(c) + y.frames() - edge, edge, tail.channel(c));
            }
            // The guard corrects where the one interpolator reads over the
            // ceiling (CeilingGuard compares the float reading with the
            // double ceiling, as here); nowhere: it is the identity.
            if ((*delivered)[p].meter.true_peak <= ceiling && master::TruePeakDetector::true_peak_of(head, edge) <= ceiling &&
                master::TruePeakDetector::true_peak_of(tail, edge) <= ceiling)
                return;
            master::CeilingGuard guard(ceilings[p], 2);
            const int64_t latency = master::CeilingGuard::latency_frames();
            AudioBuffer padded(2, y.frames() + latency);
            for (int c = 0; c < 2; ++c) std::copy_n(y.channel(c), y.frames(), padded.channel(c));
            guard.process(padded, padded.frames());
            for (int c = 0; c < 2; ++c) std::copy_n(padded.channel(c) + latency, y.frames(), y.channel(c));
            b.guard = guard.stats();
            b.guarded = b.guard.corrections > 0;
        });
    for (size_t p = 0; p < n; ++p) {
        result.programmes[p].meter = (*delivered)[p].meter;
        result.programmes[p].limiter = (*delivered)[p].limiter;
    }
    result.gpu_time_s = (*chain)->gpu_time_s();
    result.work = (*chain)->work();
    result.device_bytes = (*chain)->device_bytes();
    result.page_frames = (*chain)->page_frames();
    return result;
}

}  // namespace sf::gpu
