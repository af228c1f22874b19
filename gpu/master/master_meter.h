// Stemforge GPU — the master's meters on the GPU: the twin of the BS.1770-4 /
// EBU R128 loudness meter (analysis/loudness.h: K-weighting, momentary and
// short-term maxima, gated integrated loudness, LRA) and of the true-peak
// meter (analysis/true_peak.h, the engine's one 8x interpolator of
// engine/dsp/true_peak.h), for many programmes at once. Shaders:
// shaders/loudness_*.comp, shaders/master_true_peak*.comp. Parity:
// tests/parity/master_meter_test.cpp (equal to analysis/ within 0.01 LU and
// 0.02 dB).
//
// Definitions are the CPU meter's, to the letter: the same K-weighting
// coefficients (analysis::design_k_weighting) run in double in transposed
// direct form II; windows of exact sample counts (step = round(rate / 10),
// 400 ms = 4 steps, 3 s = 30 steps) zero-padded before the first frame;
// maxima over every sample position; gating blocks at every step boundary;
// the same gates and percentile indexing; the true peak's edge rule.
//
// How the sequential K-weighting runs in parallel (across programmes and
// channels, and across time): a chunk of every row is cut into segments of
// 1024 frames; (1) each segment is filtered from the zero state and keeps
// its end state; (2) a scan combines them — start[k+1] = A^1024 start[k] +
// zs[k], A the biquads' 4x4 state transition, the powers A^(1024 j) designed
// once in double on the host — within a workgroup per row, 64 segments at a
// time (Hillis-Steele); (3) each segment is filtered again from its true
// start state, all channels of its programme together, giving the weighted
// energy e[n]. The window sums at every frame are differences of a prefix
// sum of e (double tile totals + float in-tile prefixes), over the chunk and
// 3 s of history; gating blocks land in per-programme lists; the gates and
// LRA's percentiles (rank counting) run on the GPU at finish.
//
// Use: create (allocates everything), bind_io, then per chunk record()
// (appends commands, submits nothing; ends with a barrier), then
// record_finish() and, after that submission's fence, read(). State lives
// on the GPU between chunks: consecutive records continue one stream per
// programme, whichever io set holds the chunk. Needs shaderFloat64.
#pragma once

#include <cstdint>
#include <optional>
#include <span>
#include <vector>

#include "engine/audio/audio_buffer.h"
#include "engine/master/loudness_probe.h"
#include "gpu/vk/context.h"
#include "gpu/vk/kernel.h"

namespace sf::gpu {

struct MasterMeterSpec {
    int sample_rate = 48000;               // 8000..768000 Hz
    int channels = 2;                      // per programme, 1..8 (BS.1770 weights)
    // One per programme: the frames that are its signal; frames recorded
    // past it are padding (no energy, no gating block, no peak). Each < 2^32 − 1.
    std::vector<int64_t> lengths_frames;
    int64_t max_chunk_frames = 1 << 20;    // most frames one record() takes
    bool true_peak = true;                 // off: true_peak and sample_peak read 0
    double lra_hop_s = 0.1;                // as analysis::LoudnessOptions::lra_hop_s
    uint32_t io_sets = 1;                  // io buffers it can be pointed at (one descriptor set each)
};

// What the meter reads for one programme (LoudnessStats' conventions:
// -infinity where the standard's value is undefined).
struct MasterMeterReading {
    LoudnessStats loudness;     // integrated, LRA, true peak (dBTP), momentary / short-term maxima
    double true_peak = 0.0;     // linear, max over channels
    double sample_peak = 0.0;   // linear, max |x| over channels
};

class MasterMeter {
public:
    // Errors: InvalidArgument for a bad spec; DeviceLimit without
    // shaderFloat64 or when a buffer would exceed maxStorageBufferRange;
    // Device for memory and shaders.
    static Result<MasterMeter> create(Context& ctx, const MasterMeterSpec& spec);

    // io set `set` (< spec.io_sets) reads `io`.
    void bind_io(VkBuffer io, uint32_t set);
    // Appends the reset to silence (the state after create(); the first
    // record() does it by itself).
    void record_reset(VkCommandBuffer cmd);
    // Appends the measurement of `frames` (<= max_chunk_frames) new frames of
    // every programme: programme p, channel c at float index
    // io_offset + (p * channels + c) * row_stride of io set `set`. Ends with a barrier.
    void record(VkCommandBuffer cmd, uint32_t set, uint32_t frames, uint32_t io_offset, uint32_t row_stride);
    // Appends the gates and LRA over everything recorded, then a barrier for
    // the host. read() is valid after this submission's fence.
    void record_finish(VkCommandBuffer cmd);
    std::vector<MasterMeterReading> read() const;

    int programmes() const { return static_cast<int>(spec_.lengths_frames.size()); }
    int channels() const { return spec_.channels; }
    int64_t measured_frames() const { return measured_; }
    uint64_t device_bytes() const { return device_bytes_; }

private:
    MasterMeterSpec spec_;
    uint32_t step_ = 0, hist_ = 0, max_segments_ = 0, estride_ = 0, max_tiles_ = 0, partials_ = 0, max_blocks_ = 0;
    uint32_t lra_stride_ = 1;
    int64_t measured_ = 0;
    bool needs_reset_ = true;
    uint64_t device_bytes_ = 0;
    Buffer kw_, zs_, start_, state_, energy_, scratch_, prefix_, totals_, partial_max_, maxima_;
    Buffer blocks_m_, blocks_s_, ranks_, results_, lengths_, taps_, tp_history_, peaks_;
    Kernel kw_partial_, kw_scan_, kw_energy_, prefix_k_, totals_k_, windows_, maxima_k_;
    Kernel true_peak_, tp_history_k_, gate_, rank_, pick_;
};

// Measures whole programmes held in host memory (one rate, one channel
// count), streamed through two persistent host-visible chunk buffers and two
// command slots (the host fills one while the GPU measures the other).
// Errors: as MasterMeter::create, and Device from the submissions.
Result<std::vector<MasterMeterReading>> measure_programmes(Context& ctx, std::span<const AudioBuffer> programmes, int sample_rate,
                                                           int64_t chunk_frames = 1 << 18, bool true_peak = true);

}  // namespace sf::gpu
