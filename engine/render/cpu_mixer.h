// Stemforge — the CPU reference mix backend: the whole stem/bus graph.
//
// Stem chain: clip gain (polarity, fades, automation) → EQ → compressor →
// pan → fader → output (a bus or the master); sends tap after pan, before
// (pre_fader) or after the fader, scaled by their level, into buses.
// Bus chain: sum → reverb (100 % wet, full tail) → EQ → compressor → fader →
// output. Buses run in dependency levels (every feeder first).
//
// Latency compensation: each node (stem or bus) has an output latency (its
// FFT convolutions' hops plus a linear-phase EQ's centre delay). At each
// destination, inputs arriving earlier than the latest one are delayed to
// match, one delay line per distinct delay (inputs with equal latency are
// summed first), so parallel paths add sample-aligned. The master's latency
// is reported as RenderPlan::latency_frames and the renderer drops that many
// leading frames; plan.total_frames is extended to the end of the last tail.
//
// Threads: stems in parallel, then each level of buses in parallel (oneTBB);
// every sum runs in a fixed order, so a render is bit-identical run to run
// and independent of the thread count and of the block size.
#pragma once

#include <map>
#include <memory>
#include <optional>
#include <vector>

#include "engine/dsp/compressor.h"
#include "engine/dsp/delay_line.h"
#include "engine/dsp/eq_design.h"
#include "engine/dsp/fft_convolver.h"
#include "engine/dsp/gain.h"
#include "engine/render/mix_backend.h"

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
    // One input of a destination: a stem's post-pan signal or a bus's output, times gain.
    struct Edge {
        bool from_bus = false;
        size_t source = 0;  // stem slot (index into stems_) or bus index
        float gain = 1.0f;
    };
    // Inputs of one destination that share a compensation delay.
    struct DelayClass {
        int64_t delay_frames = 0;
        std::vector<Edge> edges;
        DelayLine delay;
        AudioBuffer sum;
    };
    struct Destination {
        std::vector<DelayClass> classes;  // ascending delay
        int64_t latency_frames = 0;       // of its summed input
        int64_t extent_frames = 0;        // its input is silent this long after the content ends
    };
    struct StemState {
        const StemSpec* spec = nullptr;
        const StemPlan* plan = nullptr;
        std::unique_ptr<ClipGain> clip;
        PanGains pan;
        std::optional<FftConvolver> eq;
        std::optional<Compressor> compressor;
        std::vector<float> clip_gain;  // per-sample scratch
        AudioBuffer work, eq_out;      // the stem's own channels
        AudioBuffer pre;               // stereo, after pan, before the fader
        int64_t latency_frames = 0, extent_frames = 0;
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
        float fader = 1.0f;
        AudioBuffer in, tmp, out;      // stereo
        int64_t latency_frames = 0, extent_frames = 0;
    };

    void gather(Destination& dest, int64_t frames, AudioBuffer& out);

    const Session* session_ = nullptr;
    std::vector<StemState> stems_;
    std::vector<BusState> buses_;
    std::vector<Destination> dests_;            // [bus index], then the master last
    std::vector<std::vector<size_t>> levels_;   // buses grouped by dependency depth
};



}  // namespace sf
