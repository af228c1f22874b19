#include "engine/master/master_backend.h"

#include <algorithm>

#include "engine/core/cancel.h"

namespace sf::master {

Result<BackendPass> limit_through_guard(MasterBackend& backend, const std::optional<LimiterSpec>& limiter, double gain_db, double ceiling_dbtp,
                                        int64_t frames, const std::atomic<bool>* cancel, const BackendSink& sink,
                                        std::optional<GuardStats>* guard) {
    if (!limiter) {
        auto pass = backend.limit(gain_db, ceiling_dbtp, [&](const AudioBuffer& b, int64_t n) -> Result<void> {
            if (cancel_requested(cancel)) return std::unexpected(cancelled_error());
            return sink(b, n);
        });
        if (guard) guard->reset();
        return pass;
    }
    // The guard delays by its latency: drop that many leading frames, and
    // flush it with zeros after the last one, as run_pass does for the CPU chain.
    CeilingGuard g(ceiling_dbtp, 2);
    const int64_t latency = CeilingGuard::latency_frames();
    int64_t dropped = 0, delivered = 0;
    AudioBuffer work;
    auto feed = [&](const AudioBuffer& b, int64_t n) -> Result<void> {
        if (cancel_requested(cancel)) return std::unexpected(cancelled_error());
        work.resize(2, n);
        for (int c = 0; c < 2; ++c) std::copy_n(b.channel(c), n, work.channel(c));
        g.process(work, n);
        int64_t from = 0;
        if (dropped < latency) {
            from = std::min(n, latency - dropped);
            dropped += from;
        }
        const int64_t take = std::min(n - from, frames - delivered);
        if (take <= 0) return {};
        if (from > 0)
            for (int c = 0; c < 2; ++c) std::copy_n(work.channel(c) + from, take, work.channel(c));
        delivered += take;
        return sink(work, take);
    };
    auto pass = backend.limit(gain_db, ceiling_dbtp, feed);
    if (!pass) return pass;
    AudioBuffer zeros(2, 4096);
    while (delivered < frames)
        if (auto ok = feed(zeros, std::min<int64_t>(4096, latency + frames - delivered)); !ok) return std::unexpected(ok.error());
    if (guard) *guard = g.stats();
    return pass;
}

}  // namespace sf::master
