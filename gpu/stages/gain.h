// Stemforge GPU — the gain stages of every stem (twin of engine/dsp/gain.h):
// clip gain (polarity, fades, automation) in place on the stem buffer, then
// width and pan into each stem's output ring (faders and send levels are the
// edge gains of the routing stage, gpu/stages/routing.h, as on the CPU).
//
// Same definition data as the CPU: PanGains from sf::stem_gains, fades and
// automation from the StemSpec. Per block the
// host fills one StemParams per stem and the automation breakpoints relative
// to the block (in double, then rounded to float), so precision does not
// depend on how far into the render the block lies.
//
// Automation lanes of pan, width, sends and bus faders (LaneTable, shared
// with the routing stage) reach the GPU as linear pieces on each chunk's
// frame grid, cut by sf::AutomationCurve::pieces on the host: where each
// breakpoint takes effect is decided there in double, exactly as the CPU
// decides it (a step lands on the same frame), and each piece's value at its
// first frame is the CPU's exact value, rounded once to float; the shaders
// only add slope × (frames into the piece). Per chunk that is 8 bytes per lane
// plus 12 per piece (usually one) instead of 4 bytes per frame per lane for
// an uploaded curve, and no per-frame work on the host.
#pragma once

#include <cstdint>
#include <span>
#include <vector>

#include "engine/dsp/gain.h"
#include "engine/render/render_plan.h"
#include "gpu/vk/kernel.h"

namespace sf::gpu {

// Mirrors struct StemParams in shaders/gain_common.glsl (std430).
struct StemParams {
    uint32_t data_offset = 0;   // float index of channel 0 in the stem buffer
    uint32_t channels = 1;
    uint32_t enabled = 0;
    uint32_t auto_first = 0;
    uint32_t auto_count = 0;
    int32_t rel_start = 0;      // chunk start - stem start, frames
    int32_t length_frames = 0;
    float polarity = 1.0f;
    float fade_in_frames = 0.0f;
    float fade_out_frames = 0.0f;
    float ll = 1.0f, rl = 0.0f, lr = 0.0f, rr = 1.0f;  // width then pan (sf::stem_gains)
    uint32_t ring_offset = 0;   // the stem's output ring (see shaders/routing_common.glsl)
    uint32_t ring_frames = 0;   // 0: feeds nothing
};
static_assert(sizeof(StemParams) == 64, "must match gain_common.glsl");

// The per-stem constants of the gain stage (designed once in prepare).
struct StemGainDesign {
    PanGains pan;
    double polarity = 1.0;
    double fade_in_frames = 0.0, fade_out_frames = 0.0;
    std::vector<AutomationPoint> automation;
    int64_t start_frames = 0, length_frames = 0;
    int channels = 1;
};
StemGainDesign design_stem_gain(const StemSpec& spec, const StemPlan& plan, int sample_rate);

// Params of one stem for the chunk starting at timeline frame `chunk_start`;
// appends its automation points (4 floats each, see shaders/gain_clip.comp) to `points`.
StemParams stem_params(const StemGainDesign& d, int sample_rate, int64_t chunk_start, uint32_t data_offset, bool enabled,
                       std::vector<float>& points);

// Mirror struct LanePiece / LaneWindow of shaders/gain_lane.glsl (std430).
struct LanePiece {
    int32_t first = 0;   // its first frame, relative to its lane's chunk origin (a window's first piece: 0)
    float value = 0.0f;  // the exact value at `first`, rounded to float
    float slope = 0.0f;  // per frame
};
struct LaneWindow {
    uint32_t first = 0, count = 0;  // one lane's pieces this chunk: [first, first + count)
};
static_assert(sizeof(LanePiece) == 12 && sizeof(LaneWindow) == 8, "must match gain_lane.glsl");
inline constexpr uint32_t kNoLane = 0xffffffffu;

// Every automated lane of a render (stem pan and width, send levels, bus
// faders and widths), by id. A lane acts on a signal `latency_frames` behind
// the timeline: frame i of a chunk starting at chunk_start is timeline frame
// chunk_start + i − latency_frames there (the GPU's latencies: only a
// linear-phase EQ's centre delay).
class LaneTable {
public:
    // Registers a lane; kNoLane for an empty one (nothing to evaluate).
    uint32_t add(std::span<const AutomationPoint> lane, int sample_rate, int64_t latency_frames);
    uint32_t size() const { return static_cast<uint32_t>(lanes_.size()); }
    // The most pieces one chunk can need, all lanes together (a lane's: its points + 1).
    size_t max_pieces() const { return max_pieces_; }
    // The chunk's windows (windows[id] for every lane) and pieces; returns the
    // number of pieces written (<= max_pieces()). No allocation once warm.
    size_t fill(int64_t chunk_start, int64_t frames, LaneWindow* windows, LanePiece* pieces);

private:
    struct Lane {
        AutomationCurve curve;
        int64_t latency_frames = 0;
    };
    std::vector<Lane> lanes_;
    size_t max_pieces_ = 0;
    std::vector<AutomationPiece> scratch_;
};

// Mirrors struct StemPanLanes in shaders/gain_pan.comp: per stem, fixed at prepare.
struct StemPanLanes {
    uint32_t pan_lane = kNoLane, width_lane = kNoLane;  // LaneTable ids
    float pan = 0.0f, width = 1.0f;  // the static values where a lane is absent (width 1: bypassed)
    uint32_t level = 0;              // the stem's level in the render schedule (record_pan's filter)
};
static_assert(sizeof(StemPanLanes) == 20);

struct GainPush {
    uint32_t frames = 0;
    uint32_t stride = 0;       // floats between a stem's channels
    uint32_t chunk_start = 0;  // timeline frame of frame 0 (gain_pan: the ring position)
    uint32_t stem_count = 0;
};

class GainStage {
public:
    // pan_lanes: one per stem (its pan/width lanes; without lanes gain_pan uses StemParams' matrix).
    static Result<GainStage> create(Context& ctx, uint32_t set_count, const std::vector<StemPanLanes>& pan_lanes);
    // stems: the stem buffer; params: StemParams[]; automation: vec4[]; rings: the node rings;
    // windows, pieces: the slot's LaneWindow[] and LanePiece[] (LaneTable::fill).
    void bind(uint32_t set, VkBuffer stems, VkBuffer params, VkBuffer automation, VkBuffer rings, VkBuffer windows, VkBuffer pieces);
    void record_clip(VkCommandBuffer cmd, uint32_t set, const GainPush& push) const;  // in place on stems
    // Stems of schedule level `level` -> their rings (a stem keyed by a
    // sidechain pans after its key's level, engine/render/mix_graph.h).
    void record_pan(VkCommandBuffer cmd, uint32_t set, const GainPush& push, uint32_t level) const;

private:
    Kernel clip_, pan_;
    Buffer pan_lanes_;
};

}  // namespace sf::gpu
