// Stemforge — the seam through which the master step runs its pre-chain,
// loudness loop and limiter on another implementation than the CPU's (the
// GPU: gpu/master/gpu_master_backend.h). The engine knows nothing of Vulkan:
// the GPU backend implements this interface, as it implements MixBackend
// for the mix.
//
// render_master (master_chain.h) keeps everything else — the rounds that
// lower the working ceiling or correct the target, SRC, dither, writing,
// the checks of the delivered files, metadata — so both backends deliver
// under one policy. With MasterJob::backend set and supported, render_master:
//   1. hands the spooled mix to prechain() instead of running its PreChain;
//   2. asks loudness_loop() for the gain instead of its secant loop;
//   3. streams limit()'s output through the CPU CeilingGuard (a sequential
//      correction of rare positions, the one definition of "at or under the
//      ceiling") into the exports, and into the master tap.
// A backend that cannot master a spec (unsupported() gives the reason) is
// not used: the CPU chain masters it and the report says why.
#pragma once

#include <atomic>
#include <cstdint>
#include <functional>
#include <optional>
#include <string>
#include <utility>
#include <vector>

#include "engine/audio/audio_buffer.h"
#include "engine/core/error.h"
#include "engine/master/loudness_probe.h"
#include "engine/master/master_chain.h"
#include "engine/master/true_peak_limiter.h"
#include "engine/session/session.h"

namespace sf::master {

struct BackendPrechain {
    LoudnessStats pre_limiter;      // the pre-chain's output (no true peak), as report.pre_limiter
    int64_t latency_frames = 0;     // the pre-chain's own latency, compensated (report.latency_frames)
    std::optional<double> eq_max_error_db;   // the master EQ design's (report.eq_max_error_db)
};

struct BackendLoop {
    double gain_db = 0.0;           // the gain into the limiter that reaches the target
    std::vector<LoopStep> steps;    // every gain measured
    int passes = 0;                 // limiter passes (each may measure several gains)
};

struct BackendPass {
    std::optional<LimiterStats> limiter;   // nullopt without a limiter spec
    LoudnessStats loudness;                 // the limiter's output as measured by the backend (before the guard)
    // The limiter's gain reduction per kGainReductionBucketS bucket of the
    // programme (MasterReport::gain_reduction_db_over_time); empty when the
    // backend does not record it.
    std::vector<float> gain_reduction_db;
};

// Receives the limiter's output in order: frames [0, frames) of `block`'s two channels.
using BackendSink = std::function<Result<void>(const AudioBuffer& block, int64_t frames)>;

class MasterBackend {
public:
    virtual ~MasterBackend() = default;
    virtual std::string name() const = 0;
    // Why this backend cannot master `spec` over `frames` frames at
    // `sample_rate` (nullopt: it can), e.g. a chain it lacks or memory.
    virtual std::optional<std::string> unsupported(const MasterSpec& spec, int64_t frames, int sample_rate) const = 0;
    // Step 1 over the whole spooled mix (2 channels, sample_rate); keeps its
    // output for the calls below.
    virtual Result<BackendPrechain> prechain(const MasterSpec& spec, int sample_rate, Spool& mix) = 0;
    // Step 2: the gain whose limited output reads within tolerance_lu of the
    // target under the ceiling. Errors as the CPU loop's (naming
    // master.loudness_target_lufs).
    virtual Result<BackendLoop> loudness_loop(double target_lufs, double ceiling_dbtp, double tolerance_lu) = 0;
    // Step 3: the limiter's output (before the ceiling guard) at gain_db
    // under ceiling_dbtp, exactly the mix's length, into `sink`.
    virtual Result<BackendPass> limit(double gain_db, double ceiling_dbtp, const BackendSink& sink) = 0;
    // Frees what prechain() kept (render_master calls it when it returns).
    virtual void release() = 0;
};

// Step 3 as render_master runs it on a backend: limit()'s output through a
// CeilingGuard at ceiling_dbtp (with a limiter spec; latency compensated:
// exactly `frames` frames reach `sink`), checking `cancel` per block.
// `guard` receives the guard's statistics.
Result<BackendPass> limit_through_guard(MasterBackend& backend, const std::optional<LimiterSpec>& limiter, double gain_db, double ceiling_dbtp,
                                        int64_t frames, const std::atomic<bool>* cancel, const BackendSink& sink,
                                        std::optional<GuardStats>* guard);

}  // namespace sf::master
