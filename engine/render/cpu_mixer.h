// Stemforge — the CPU reference mix backend: the whole stem/bus graph.
//
// Stem chain: clip gain (polarity, fades, automation) → EQ → compressor →
// width → pan → fader → output (a bus or the master); sends tap after pan,
// before (pre_fader) or after the fader, scaled by their level (per frame
// where automation.send_db automates it), into buses.
// Bus chain: sum → reverb (100 % wet, full tail) → EQ → compressor → width →
// fader → output. Buses run in dependency levels (every feeder first).
// Automation of pan, width, sends and a bus's fader is evaluated at each
// signal's own timeline frame (block frame − the latency in front of the
// stage; engine/dsp/gain.h).
//
// Routing and latency compensation (engine/render/mix_graph.h): each node's
// own latency is its FFT convolutions' hops plus a linear-phase EQ's centre
// delay; at each destination, inputs arriving earlier than the latest one
// are delayed to match, one delay line per input group, so parallel paths add
// sample-aligned. The master's latency is reported as
// RenderPlan::latency_frames and the renderer drops that many leading
// frames; plan.total_frames is extended to the end of the last tail.
//
// Threads: stems in parallel, then each level of buses in parallel (oneTBB);
// every sum runs in a fixed order, so a render is bit-identical run to run
// and independent of the thread count and of the block size.
#pragma once

#include <memory>
#include <optional>
#include <vector>

#include "engine/dsp/compressor.h"
#include "engine/dsp/delay_line.h"
#include "engine/dsp/eq_design.h"
#include "engine/dsp/fft_convolver.h"
#include "engine/dsp/gain.h"
#include "engine/render/mix_backend.h"
#include "engine/render/mix_graph.h"

namespace sf {

class CpuMixer final : public MixBackend {
public:
    CpuMixer();
    ~CpuMixer() override;

    std::string name() const override { return "cpu"; }
    std::string device() const override;

    Result<void> prepare(const Session& session, RenderPlan& plan) override;
    Result<void> process(int64_t block_start, int64_t frames, std::span<const AudioBuffer> inputs,
                         AudioBuffer& master) override;

private:
    // The compensation delay and the scratch sum of one input group of a
    // destination; per edge, its send automation (empty: a static gain).
    struct GroupState {
        DelayLine delay;
        AudioBuffer sum;
        std::vector<std::optional<LaneGain>> lanes;  // parallel to the group's edges
        std::vector<double> lane_scratch;            // allocated only when a lane exists
        std::vector<float> lane_gains;
    };
    struct StemState {
        const StemSpec* spec = nullptr;
        const StemPlan* plan = nullptr;
        std::unique_ptr<ClipGain> clip;
        std::optional<StemPanWidth> pan_width;
        std::optional<FftConvolver> eq;
        std::optional<Compressor> compressor;
        std::vector<float> clip_gain;  // per-sample scratch
        AudioBuffer work, eq_out;      // the stem's own channels
        AudioBuffer pre;               // stereo, after pan, before the fader
        NodeTiming chain;              // its own chain's latency and tail
        // Processed this long after its source ends: the extent plus one hop,
        // since FFT round-off spreads over the whole hop that holds the last
        // input (tiny, but skipping it would make output depend on block size).
        int64_t active_after_end_frames = 0;
        bool active = false;           // produced output this block
        bool started = false;          // has been processed at least once
    };
    struct BusState {
        const BusSpec* spec = nullptr;
        std::optional<FftConvolver> reverb, eq;
        std::optional<Compressor> compressor;
        std::optional<BusWidthFader> fader;  // width, then gain_db with its automation
        AudioBuffer in, tmp, out;      // stereo
        NodeTiming chain;              // its own chain (reverb, EQ)
    };

    void gather(size_t dest, int64_t block_start, int64_t frames, AudioBuffer& out);

    const Session* session_ = nullptr;
    std::vector<StemState> stems_;
    std::vector<BusState> buses_;
    MixGraph graph_;
    std::vector<std::vector<GroupState>> groups_;  // per graph_.destinations[d].groups[j]
};



}  // namespace sf
