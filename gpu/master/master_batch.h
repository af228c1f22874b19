// Stemforge GPU — many masters at once: N programmes (album tracks, the
// variants of a batch job, several sessions' mixes; one master spec and
// sample rate) mastered in one GPU batch, the API the album and batch
// commands call, and `bench master --backend gpu`.
//
//   pre-chain (GpuMaster::run_prechain, the mixes streamed in)
//   ─ loudness loop (gpu_loudness_loop: every programme's candidates in the
//     same limiter passes), when the spec has a target
//   ─ the delivering pass (GpuMaster::run_limiter into host memory)
//   ─ the ceiling guard (master::CeilingGuard, the one definition of "at or
//     under the ceiling"), on the host, programmes in parallel, only where
//     it is not the identity: a position over the working ceiling inside the
//     programme (the GPU meter's true peak, with full support) or at its
//     edges (measured here on the first and last 96 frames; conservative).
// The render's single master goes through render_master instead
// (engine/master/master_backend.h), which adds the delivery rounds, SRC,
// dither, writing and the checks of the delivered files; a caller of this
// API does those itself with the masters it gets back.
#pragma once

#include <cstdint>
#include <optional>
#include <span>
#include <vector>

#include "engine/audio/audio_buffer.h"
#include "engine/core/error.h"
#include "gpu/master/loudness_loop.h"
#include "gpu/master/master_chain.h"

namespace sf::gpu {

struct BatchMaster {
    AudioBuffer signal;              // the delivered master, the mix's length, the session rate
    double gain_db = 0.0;            // into the limiter
    std::vector<master::LoopStep> loop;   // every gain measured
    MasterMeterReading meter;        // the limiter's output (before the guard), measured on the GPU
    master::LimiterStats limiter;
    bool guarded = false;            // the ceiling guard corrected something (else it was the identity)
    master::GuardStats guard;
};

struct BatchResult {
    std::vector<BatchMaster> programmes;
    int loop_passes = 0;             // limiter passes of the loudness loop (each measured every programme's candidates)
    std::vector<std::pair<std::string, double>> gpu_time_s;
    GpuMasterWork work;              // for the floor
    uint64_t device_bytes = 0;
    int64_t page_frames = 0;
};

inline constexpr int kBatchCandidates = 4;

// spec.lengths_frames holds every programme's length; `mix` streams the
// mixes in (zeros past each end). With spec.master.loudness_target_lufs the
// loop puts every programme within master::kLoopToleranceLu of targets_lufs[p]
// (one per programme; empty: the spec's target for all) under the working
// ceiling (the limiter's ceiling − master::kInitialCeilingMarginDb, or
// working_ceilings_dbtp[p] when given). Errors: as GpuMaster and
// gpu_loudness_loop.
Result<BatchResult> master_batch(Context& ctx, const GpuMasterSpec& spec, const MixSource& mix, std::span<const double> targets_lufs = {},
                                 std::span<const double> working_ceilings_dbtp = {});

}  // namespace sf::gpu
