// Stemforge GPU — the Vulkan mix backend (sf::MixBackend), twin of
// sf::CpuMixer: the same render graph (engine/render/mix_graph.h) on compute
// shaders — stems (clip gain, EQ, compressor, chorus, width, pan), sends,
// buses (sum with latency compensation, feedback delay, true-stereo
// convolution reverb, EQ, compressor, chorus, width, fader) and the master
// sum; automation of pan, width, send levels and bus faders as per-chunk lane
// pieces (gpu/stages/gain.h LaneTable).
//
// prepare() designs every stage from the same definitions as the CPU path and
// allocates all GPU memory once: per slot, a stem buffer (every stem's
// channels, planar), the stem parameters, automation breakpoints and a mix
// buffer (a stereo pair of rows per bus, then the master's), plus
// host-visible staging copies when the device has separate memory; shared by
// the slots, the node rings (gpu/stages/routing.h) and every stage's state
// (convolution histories, compressor envelopes, chorus input histories).
// process() never allocates: it splits the renderer's block into chunks
// that fit the slot buffers, and
// per chunk records copy-in, every stage and copy-out of the master into one
// command buffer and submits it. Two slots alternate, so the host fills chunk
// j+1 while the GPU runs chunk j, and process() returns the previous block's
// master (one block of latency, reported in plan.latency_frames) without
// waiting for this block's: the GPU works on block k while the renderer
// exports block k−1 and decodes block k+1. Memory is bounded by the chunk size
// (sessions larger than GPU memory stream through); each storage buffer
// stays under maxStorageBufferRange (<= 128 MiB).
//
// Latency: the GPU convolves with no latency, so a node's latency is only a
// linear-phase EQ's centre delay; compensation delays follow from it through
// mix_graph, and the render's length equals the CPU's.
//
// Errors: Device errors from Vulkan (out of memory, device lost, timeouts),
// carrying the VkResult; after one, the backend is unusable and the renderer
// discards its temp files. After a timeout or a lost device the context is
// faulted (gpu/vk/context.h): destroying the mixer then waits for nothing
// and frees nothing the hung work may still use (its objects are abandoned).
#pragma once

#include <array>
#include <memory>
#include <optional>
#include <string>
#include <utility>
#include <vector>

#include "engine/audio/audio_buffer.h"
#include "engine/render/mix_backend.h"
#include "engine/render/mix_graph.h"
#include "gpu/master/gpu_master_backend.h"
#include "gpu/stages/chorus.h"
#include "gpu/stages/compressor.h"
#include "gpu/stages/delay.h"
#include "gpu/stages/eq.h"
#include "gpu/stages/gain.h"
#include "gpu/stages/reverb.h"
#include "gpu/stages/routing.h"
#include "gpu/stages/sidechain.h"
#include "gpu/vk/context.h"
#include "gpu/vk/kernel.h"
#include "gpu/vk/vkfft.h"

namespace sf::gpu {

struct GpuMixerStats {
    std::vector<std::pair<std::string, double>> gpu_time_s;  // per phase, from timestamp queries (empty without timestamps)
    uint64_t bytes_uploaded = 0;      // host -> device (stem samples, parameters)
    uint64_t bytes_downloaded = 0;    // device -> host (master)
    uint64_t device_bytes = 0;        // GPU memory held by this backend
    uint64_t submissions = 0;
    // FFT work, for the benchmark's floor: real points transformed (forward +
    // inverse, every row of every convolver record) and 2.5·N·log2(N) flops per
    // N-point real transform (the split-radix count for a real FFT).
    uint64_t fft_points = 0;
    double fft_flops = 0;
    // Device-memory traffic, for the floor: bytes every stage must read and
    // write at least once (a one-pass FFT; VkFFT may need more passes for large N).
    uint64_t device_traffic_bytes = 0;
    int64_t chunk_frames = 0;         // frames per submission (capacity)
};

class GpuMixer final : public MixBackend {
public:
    // Creates its own Vulkan context (device choice per `options`).
    static Result<std::unique_ptr<GpuMixer>> create(const ContextOptions& options);
    // Borrows a shared context (tests, bench).
    explicit GpuMixer(std::shared_ptr<Context> context);
    ~GpuMixer() override;

    std::string name() const override { return "gpu"; }
    std::string device() const override { return ctx_->description(); }

    Result<void> prepare(const Session& session, RenderPlan& plan) override;
    Result<void> process(int64_t block_start, int64_t frames, std::span<const AudioBuffer> inputs, AudioBuffer& master) override;

    // Caps the frames per submission (tests force several chunks per block). 0 = as large as fits.
    void set_max_chunk_frames(int64_t frames) { max_chunk_frames_ = frames; }
    GpuMixerStats stats() const;
    Context& context() { return *ctx_; }
    // The master chain on this mixer's device (made on first use).
    master::MasterBackend* master_backend() override;

private:
    struct Slot {
        CommandSlot commands;
        Buffer stems, stems_upload;     // stems_upload empty on unified memory
        Buffer params, automation;      // host-visible
        Buffer lane_windows, lane_pieces;  // host-visible: LaneTable::fill per chunk
        Buffer mix, master_readback;    // master_readback empty on unified memory
        Buffer detector;                // sidechain detector rows
        GpuTimer timer;
        int64_t chunk_frames = 0;  // what the pending submission computes
        std::vector<float> points;
        std::vector<VkBufferCopy> regions;  // reused: no allocation per chunk once warm
    };
    // The stages of one level of buses (every feeder in an earlier level);
    // its buses are routing destinations and stores [first, first + count).
    // One level of the render schedule (MixGraph::schedule: every node after
    // what feeds it and after its sidechain key). Its buses are routing
    // destinations and stores [first, first + count); its stems' compressors
    // and choruses run here (every stem's EQ runs once, before level 0); the
    // sidechain paths of its keyed compressors come before the compressors.
    struct Level {
        uint32_t first = 0, count = 0;
        bool has_stems = false;
        std::optional<DelayStage> delay;
        std::optional<ReverbStage> reverb;
        std::optional<EqStage> eq;
        std::optional<SidechainStage> sidechain;
        std::optional<EqStage> sidechain_eq;    // on the detector rows
        std::optional<CompressorStage> compressor, stem_compressor;
        std::optional<ChorusStage> chorus, stem_chorus;
    };
    struct NodeDesigns;
    Result<NodeDesigns> design_nodes(const Session& session);
    Result<void> plan_chunk_and_rings(const MixGraph& graph, int64_t block_frames);
    Result<void> build_stem_stages(const Session& session, const MixGraph& graph, NodeDesigns& designs);
    Result<void> build_levels(const Session& session, const MixGraph& graph, NodeDesigns& designs, std::vector<StemParams>& bus_params);
    Result<void> allocate_slots(const std::vector<StemParams>& bus_params);
    size_t node_of(const MixEdge& e) const;  // index into ring_offset_/ring_frames_
    uint64_t minimum_traffic_bytes(uint64_t frames) const;  // one chunk's, see GpuMixerStats
    Result<void> submit_chunk(Slot& slot, uint32_t set, int64_t chunk_start, int64_t offset, int64_t n, std::span<const AudioBuffer> inputs);
    Result<void> finish_chunk(Slot& slot);  // waits for it, appends its master frames to the FIFO

    std::shared_ptr<Context> ctx_;  // declared first: destroyed last, after every buffer
    const Session* session_ = nullptr;
    int sample_rate_ = 48000;
    std::vector<StemPlan> stems_;
    std::vector<StemGainDesign> gain_designs_;
    std::vector<int64_t> eq_tail_frames_;  // per stem: taps − 1 of its EQ (0 without): processed this long after it ends
    std::vector<int64_t> chorus_tail_frames_;  // per stem: its chorus's latency + tail (0 without): enabled this much longer again
    uint64_t chorus_channels_ = 0, chorus_history_floats_ = 0;  // every audible chorus (stems and buses): channels, Σ channels · history
    std::vector<uint32_t> stem_offsets_;   // float offset of each stem's channel 0 in the stem buffer
    std::vector<uint32_t> ring_offset_, ring_frames_;  // per node (stems, then buses); ring_frames 0: no ring
    uint64_t ring_floats_ = 0;
    uint64_t edge_count_ = 0, compressor_count_ = 0;  // routing edges; compressors on stems and buses
    uint64_t delay_count_ = 0;  // bus delays
    uint32_t total_channels_ = 0, bus_count_ = 0;
    size_t automation_points_ = 0;
    int64_t max_chunk_frames_ = 0, chunk_ = 0;
    std::unique_ptr<FftPlans> plans_;  // before the convolvers: outlives them
    std::optional<EqStage> eq_;        // every EQ'd stem's channels
    std::optional<GainStage> gain_;
    LaneTable lanes_;                  // every automated pan, width, send and bus fader lane
    std::optional<RoutingStage> routing_;
    std::vector<Level> levels_;
    std::vector<bool> processed_;        // per stem: heard, or the key of a sidechain
    std::vector<bool> always_enabled_;   // per stem: keyed: its detector follows the key on every chunk
    uint32_t detector_floats_ = 0;       // the detector rows of a slot
    Buffer rings_, bus_params_;  // shared by the slots
    bool rings_need_reset_ = true;
    // Pipelining across blocks: process() returns the master one block late.
    int64_t pipeline_frames_ = 0;      // the renderer's block (part of plan.latency_frames)
    AudioBuffer fifo_;                 // finished master frames not yet handed back (a ring)
    int64_t fifo_read_ = 0, fifo_size_ = 0;
    size_t next_slot_ = 0;             // the slot the next chunk goes to: the older one when both are pending
    std::array<Slot, 2> slots_;
    GpuMixerStats stats_;
    std::unique_ptr<GpuMasterBackend> master_;   // borrows ctx_ (declared first: outlives it)
};

}  // namespace sf::gpu
