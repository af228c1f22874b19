// Stemforge — the CPU reference mix backend: the whole stem/bus graph.
//
// Stem chain: clip gain (polarity, fades, automation) → EQ → compressor →
// chorus → width → pan → fader → output (a bus or the master); sends tap
// after pan, before (pre_fader) or after the fader, scaled by their level
// (per frame where automation.send_db automates it), into buses.
// Bus chain: sum → delay (100 % wet, repeats until −120 dB) → reverb (100 %
// wet, full tail) → EQ → compressor → chorus → width → fader → output.
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
// Sidechains: a keyed compressor's detector hears the key node's signal
// after its inserts (a stem's before width/pan, a bus's before its fader) —
// or its own signal — through the sidechain EQ, aligned with the signal it
// scales by the delays mix_graph gives (MixGraph::stem_sidechain). A node
// with a sidechain is processed on every block of the timeline, so its
// detector follows the key from time 0 (a bass that starts at 0:10 is already
// ducked by a kick at 0:09.99); a stem that keys is processed even when it
// is not heard.
//
// Threads: the schedule's levels in order (stems and buses, every node after
// its feeders and its key), the nodes of one level in parallel (oneTBB);
// every sum runs in a fixed order, so a render is bit-identical run to run
// and independent of the thread count and of the block size.
#pragma once

#include <memory>
#include <optional>
#include <vector>

#include "engine/dsp/chorus.h"
#include "engine/dsp/compressor.h"
#include "engine/dsp/delay.h"
#include "engine/dsp/delay_line.h"
#include "engine/dsp/eq_design.h"
#include "engine/dsp/fft_convolver.h"
#include "engine/dsp/gain.h"
#include "engine/render/mix_backend.h"
#include "engine/render/mix_graph.h"
#include "engine/render/render_cache.h"

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
    bool set_stem_taps(std::vector<AudioBuffer>* taps) override;

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
    // A keyed compressor's detector path (see above).
    struct Sidechain {
        SidechainTiming timing;
        int channels = 2;                 // of the detector signal
        std::optional<FftConvolver> eq;   // sidechain_eq
        DelayLine key_delay, signal_delay;
        AudioBuffer detector, filtered;   // this block's detector signal
    };
    struct StemState {
        const StemSpec* spec = nullptr;
        const StemPlan* plan = nullptr;
        std::unique_ptr<ClipGain> clip;
        std::optional<StemPanWidth> pan_width;
        std::optional<FftConvolver> eq;
        std::optional<Compressor> compressor;
        std::optional<Sidechain> sidechain;
        const AudioBuffer* tap = nullptr;  // after the inserts, this block (a key's source)
        std::optional<Chorus> chorus;
        int64_t chorus_offset_frames = 0;  // the chain's latency before the chorus: its input's timeline frame = block frame − this
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
        // The render cache's copy of this stem's signal after its inserts
        // (used instead of running them), or the one this render fills.
        std::shared_ptr<const StemSignal> cached_signal;
        std::shared_ptr<StemSignal> filling;
        std::string signal_key;
    };
    struct BusState {
        const BusSpec* spec = nullptr;
        std::optional<Delay> delay;
        std::optional<FftConvolver> reverb, eq;
        std::optional<Compressor> compressor;
        std::optional<Sidechain> sidechain;
        const AudioBuffer* tap = nullptr;  // after the inserts, this block (a key's source)
        std::optional<Chorus> chorus;
        int64_t chorus_offset_frames = 0;  // input latency + own chain before the chorus (set once the graph is built)
        std::optional<BusWidthFader> fader;  // width, then gain_db with its automation
        AudioBuffer in, tmp, out;      // stereo
        NodeTiming chain;              // its own chain (delay, reverb, EQ)
        bool started = false;          // has been processed at least once
    };

    void gather(size_t dest, int64_t block_start, int64_t frames, AudioBuffer& out);
    void process_stem(size_t k, int64_t block_start, int64_t frames, const AudioBuffer& input);
    void process_bus(size_t b, int64_t block_start, int64_t frames);
    // Fills sc.detector for this block and delays `signal` (in place) as aligned.
    void run_detector(Sidechain& sc, AudioBuffer& signal, int channels, int64_t frames);
    Result<void> make_sidechain(const CompressorSpec& spec, int own_channels, int rate, int64_t block, const std::string& path,
                                std::optional<Sidechain>& out, NodeTiming& chain);

    // Looks up (or prepares to fill) each stem's signal in the render cache.
    void attach_stem_signals(const Session& session, RenderPlan& plan);

    const Session* session_ = nullptr;
    RenderCache* cache_ = nullptr;  // RenderPlan::cache (borrowed, for this render)
    std::vector<StemState> stems_;
    std::vector<BusState> buses_;
    MixGraph graph_;
    std::vector<std::vector<GroupState>> groups_;  // per graph_.destinations[d].groups[j]
    // Stem taps (MixBackend::set_stem_taps): each stem's fader · pre, delayed
    // from the stem's output latency to the master's.
    std::vector<AudioBuffer>* stem_taps_ = nullptr;
    std::vector<DelayLine> tap_delays_;
    int64_t block_frames_ = 0;
    void write_stem_taps(int64_t frames);
};



}  // namespace sf
