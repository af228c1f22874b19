// Stemforge GPU — the gain stages of every stem (twin of engine/dsp/gain.h):
// clip gain (polarity, fades, automation) in place on the stem buffer, then
// pan into each stem's output ring (faders and send levels are the edge
// gains of the routing stage, gpu/stages/routing.h, as on the CPU).
//
// Same definition data as the CPU: PanGains from sf::pan_gains, fades and
// automation from the StemSpec. Per block the
// host fills one StemParams per stem and the automation breakpoints relative
// to the block (in double, then rounded to float), so precision does not
// depend on how far into the render the block lies.
#pragma once

#include <cstdint>
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
    float ll = 1.0f, rl = 0.0f, lr = 0.0f, rr = 1.0f;
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

struct GainPush {
    uint32_t frames = 0;
    uint32_t stride = 0;       // floats between a stem's channels
    uint32_t chunk_start = 0;  // timeline frame of frame 0 (gain_pan: the ring position)
    uint32_t stem_count = 0;
};

class GainStage {
public:
    static Result<GainStage> create(Context& ctx, uint32_t set_count);
    // stems: the stem buffer; params: StemParams[]; automation: vec4[]; rings: the node rings.
    void bind(uint32_t set, VkBuffer stems, VkBuffer params, VkBuffer automation, VkBuffer rings);
    void record_clip(VkCommandBuffer cmd, uint32_t set, const GainPush& push) const;  // in place on stems
    void record_pan(VkCommandBuffer cmd, uint32_t set, const GainPush& push) const;   // stems -> their rings

private:
    Kernel clip_, pan_;
};

}  // namespace sf::gpu
