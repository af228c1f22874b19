// Stemforge GPU — the master chain on the GPU for many programmes at once:
// the twins of the CPU master stages (engine/master/master_chain.cpp's
// pre-chain and limiter) with their one definition and design data, and the
// meters (gpu/master/master_meter.h). Parity: tests/parity/master_*_test.cpp.
//
//   mix ─ EQ (linear/minimum phase FIR: design_eq) ─ multiband (linear-phase
//   crossover bands: design_crossover; per band the compressor of
//   engine/dsp/compressor.h and an M/S width) ─ stereo tools (width, mono
//   below: the crossover's high-pass on S, balance) ─ true-peak detector ─┐
//   ┌────────────────────────────────────────────────────────────────────┘
//   └ limiter gain (look-ahead minimum, release, attack: LimiterGain) ─ output
//
// Every FIR runs on the GPU FFT convolver (gpu/stages/fft_convolver.h) with
// zero latency; a band is one FIR (band k = LP_(k+1) − LP_k, the top band the
// crossover's delay minus LP_N: the CPU's telescoping differences folded into
// the kernels, so the bands still sum to the delayed input within float
// rounding). The compressors are the mixer's GPU compressor stage
// (shaders/compressor_envelope.comp), one per band and programme.
//
// Two phases, as the CPU's master step:
// 1. run_prechain(): the mix of every programme is streamed through the
//    pre-chain in chunks; the output — L, R and the window maximum of the
//    true-peak envelope over the limiter's look-ahead span (the only part of
//    the gain computer that does not depend on the gain) — stays on the GPU
//    in pages (resident for the loudness loop; sized to the programmes).
// 2. run_limiter(): one pass of the limiter over the pages for many lanes at
//    once (a lane = a programme at one candidate gain and ceiling), its
//    release recursion as a block-wise scan; the output is measured by the
//    GPU meters and, when a sink is given, handed to the host page by page.
//
// Time: the pre-chain's output is aligned with the mix (its latency
// compensated, as on the CPU); the limiter's output y[n], n in [0, length),
// equals the CPU LimiterStage's (without its CeilingGuard, which the caller
// runs on the delivered master: it is a sequential correction of rare
// positions).
//
// Needs shaderFloat64 (the compressors, the limiter, the meters). Not
// thread-safe. All submissions are bounded by the context's fence timeout.
#pragma once

#include <cstdint>
#include <functional>
#include <memory>
#include <optional>
#include <span>
#include <string>
#include <utility>
#include <vector>

#include "engine/master/loudness_probe.h"
#include "engine/master/true_peak_limiter.h"
#include "engine/session/session.h"
#include "gpu/master/master_meter.h"
#include "gpu/vk/context.h"

namespace sf::gpu {

struct GpuMasterSpec {
    // The chain: eq, multiband, width, mono_below_hz, balance and the
    // limiter's release/look-ahead (its ceiling and gain are per pass).
    // Not supported here (the caller masters such sessions on the CPU):
    // fades, trims, match_eq.
    MasterSpec master;
    int sample_rate = 48000;
    std::vector<int64_t> lengths_frames;   // one per programme (its mix's frames)
    int max_candidates = 4;                // most lanes per programme in one limiter pass
    int64_t page_frames = 0;               // 0: the largest power of two (<= 2^19; 2^16 on a CPU device) whose buffers fit
    // The limiter's gain reduction recorded per bucket of this many frames
    // (GpuLaneResult::gain_reduction_db); 0, or 64 frames and fewer: not recorded.
    int64_t gain_reduction_bucket_frames = 0;
};

// One lane's result of a limiter pass.
struct GpuLaneResult {
    MasterMeterReading meter;              // the limiter's output, measured
    master::LimiterStats limiter;          // as LimiterGain::stats() over the programme's frames
    // Per bucket k of GpuMasterSpec::gain_reduction_bucket_frames B: the max
    // of -20 log10 g over the programme's frames [k B, (k + 1) B), as the
    // CPU's MasterReport::gain_reduction_db_over_time. Empty when not recorded.
    std::vector<float> gain_reduction_db;
};

// Receives the output of programme `programme` (lane programme × 1), frames
// [first, first + frames) of L and R, in order.
using MasterSink = std::function<Result<void>(int programme, int64_t first, int64_t frames, const float* left, const float* right)>;
// Writes frames [first, first + frames) of every programme's mix into
// rows[2p] (L) and rows[2p + 1] (R), zeros past the programme's end.
using MixSource = std::function<Result<void>(int64_t first, int64_t frames, std::span<float* const> rows)>;

// Work done so far, counted as it is recorded (not measured), for the
// benchmark's floor: what no implementation can avoid moving or computing.
struct GpuMasterWork {
    uint64_t bytes_uploaded = 0, bytes_downloaded = 0;   // host <-> device
    // Device memory every kernel and copy must read and write at least once
    // (an FFT: its work buffer once per transform, a one-pass FFT).
    uint64_t traffic_bytes = 0;
    uint64_t fft_points = 0;      // real points transformed (forward and inverse)
    double fft_flops = 0.0;       // 2.5 N log2 N per N-point real transform
};

class GpuMaster {
public:
    // Designs every stage (design_eq, design_crossover,
    // compressor_coefficients, pan_gains, design_limiter) and allocates.
    // Errors: InvalidArgument (spec), DeviceLimit (no shaderFloat64, a
    // buffer over one binding, a programme too long for the device's
    // memory), Device.
    static Result<std::unique_ptr<GpuMaster>> create(Context& ctx, const GpuMasterSpec& spec);
    ~GpuMaster();

    int programmes() const;
    // The pre-chain's latency on the GPU (EQ and crossover centre delays);
    // compensated: the pages are aligned with the mix.
    int64_t latency_frames() const;
    int64_t page_frames() const;
    uint64_t device_bytes() const;

    // Phase 1 (once). The pre-chain's own loudness (report.pre_limiter) is
    // measured on the way (pre_limiter() after this returns).
    Result<void> run_prechain(const MixSource& mix);
    const std::vector<MasterMeterReading>& pre_limiter() const;

    // The pre-chain output of programme p for tests: L, R (signal frames
    // [0, length)), and the window maximum per limiter step u = n + W + H
    // ([0, length + W + H)).
    struct PrechainOutput {
        AudioBuffer signal;
        std::vector<float> window_max;
    };
    Result<PrechainOutput> read_prechain(int p);

    // Phase 2: one limiter pass for lanes = programmes × candidates (lane l:
    // programme l / candidates, input gain gains_db[l]), every lane under
    // the ceiling `ceiling_dbtp[l / candidates]`. `true_peak`: the meters
    // also measure the true peak. `sink`: candidates must be 1; the output
    // goes to the host.
    Result<std::vector<GpuLaneResult>> run_limiter(std::span<const double> gains_db, int candidates, std::span<const double> ceilings_dbtp,
                                                   bool true_peak, const MasterSink* sink);

    // GPU time per phase so far (master_eq, master_multiband, master_stereo,
    // master_limiter, master_meter, master_transfer), from timestamps.
    std::vector<std::pair<std::string, double>> gpu_time_s() const;
    const GpuMasterWork& work() const;

    struct Impl;

private:
    explicit GpuMaster(std::unique_ptr<Impl> impl);
    std::unique_ptr<Impl> impl_;
};

}  // namespace sf::gpu
