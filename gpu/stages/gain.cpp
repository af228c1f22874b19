#include "gpu/stages/gain.h"

#include <algorithm>
#include <array>
#include <cassert>
#include <limits>

#include "gpu/stages/fft_convolver.h"  // upload_now

namespace sf::gpu {

namespace {
constexpr uint32_t kGroup = 256;  // local_size_x of the gain shaders
uint32_t groups(uint32_t n) { return (n + kGroup - 1) / kGroup; }
}  // namespace

StemGainDesign design_stem_gain(const StemSpec& spec, const StemPlan& plan, int sample_rate) {
    StemGainDesign d;
    d.pan = stem_gains(spec.pan, spec.width, plan.channels);  // width, then pan
    d.polarity = spec.polarity_invert ? -1.0 : 1.0;
    d.fade_in_frames = spec.fade_in_s * sample_rate;
    d.fade_out_frames = spec.fade_out_s * sample_rate;
    d.automation = spec.automation.gain_db;
    d.start_frames = plan.start_frames;
    d.length_frames = plan.length_frames;
    d.channels = plan.channels;
    return d;
}

StemParams stem_params(const StemGainDesign& d, int sample_rate, int64_t chunk_start, uint32_t data_offset, bool enabled,
                       std::vector<float>& points) {
    StemParams p;
    p.data_offset = data_offset;
    p.channels = static_cast<uint32_t>(d.channels);
    p.enabled = enabled ? 1u : 0u;
    p.rel_start = static_cast<int32_t>(chunk_start - d.start_frames);
    p.length_frames = static_cast<int32_t>(d.length_frames);
    p.polarity = static_cast<float>(d.polarity);
    p.fade_in_frames = static_cast<float>(d.fade_in_frames);
    p.fade_out_frames = static_cast<float>(d.fade_out_frames);
    // As CpuMixer: the pan matrix rounded once to float; the fader is an edge gain.
    p.ll = static_cast<float>(d.pan.ll);
    p.rl = static_cast<float>(d.pan.rl);
    p.lr = static_cast<float>(d.pan.lr);
    p.rr = static_cast<float>(d.pan.rr);
    p.auto_count = static_cast<uint32_t>(d.automation.size());
    p.auto_first = static_cast<uint32_t>(points.size() / 4);
    for (size_t j = 0; j < d.automation.size(); ++j) {
        const double at = d.automation[j].time_s * sample_rate - static_cast<double>(chunk_start);
        const float hi = static_cast<float>(at);
        const double next = j + 1 < d.automation.size() ? (d.automation[j + 1].time_s - d.automation[j].time_s) * sample_rate : 0.0;
        points.push_back(hi);
        points.push_back(static_cast<float>(at - static_cast<double>(hi)));
        points.push_back(static_cast<float>(d.automation[j].value));
        points.push_back(static_cast<float>(next));
    }
    return p;
}

uint32_t LaneTable::add(std::span<const AutomationPoint> lane, int sample_rate, int64_t latency_frames) {
    if (lane.empty()) return kNoLane;
    lanes_.push_back(Lane{AutomationCurve(lane, sample_rate), latency_frames});
    max_pieces_ += lane.size() + 1;
    scratch_.reserve(std::max(scratch_.capacity(), lane.size() + 1));  // fill() never allocates
    return static_cast<uint32_t>(lanes_.size() - 1);
}

size_t LaneTable::fill(int64_t chunk_start, int64_t frames, LaneWindow* windows, LanePiece* pieces) {
    assert(frames > 0 && frames <= std::numeric_limits<int32_t>::max());
    size_t count = 0;
    for (size_t id = 0; id < lanes_.size(); ++id) {
        const Lane& lane = lanes_[id];
        const int64_t origin = chunk_start - lane.latency_frames;  // the timeline frame of chunk frame 0
        scratch_.clear();
        lane.curve.pieces(origin, frames, scratch_);
        windows[id] = LaneWindow{static_cast<uint32_t>(count), static_cast<uint32_t>(scratch_.size())};
        for (const AutomationPiece& p : scratch_) {
            assert(count < max_pieces_);
            pieces[count++] = LanePiece{static_cast<int32_t>(p.first_frame - origin), static_cast<float>(p.value), static_cast<float>(p.slope_per_frame)};
        }
    }
    return count;
}

Result<GainStage> GainStage::create(Context& ctx, uint32_t set_count, const std::vector<StemPanLanes>& pan_lanes) {
    GainStage s;
    auto table = ctx.create_buffer(sizeof(StemPanLanes) * std::max<size_t>(1, pan_lanes.size()), VK_BUFFER_USAGE_STORAGE_BUFFER_BIT,
                                   MemoryUse::Device, "stem pan lanes");
    if (!table) return std::unexpected(table.error());
    if (!pan_lanes.empty())
        if (auto ok = upload_now(ctx, *table, pan_lanes.data(), sizeof(StemPanLanes) * pan_lanes.size()); !ok) return std::unexpected(ok.error());
    s.pan_lanes_ = std::move(*table);
    auto clip = Kernel::create(ctx, "gain_clip", 3, sizeof(uint32_t) * 2, set_count);
    if (!clip) return std::unexpected(clip.error());
    auto pan = Kernel::create(ctx, "gain_pan", 6, sizeof(uint32_t) * 4, set_count);
    if (!pan) return std::unexpected(pan.error());
    s.clip_ = std::move(*clip);
    s.pan_ = std::move(*pan);
    return s;
}

void GainStage::bind(uint32_t set, VkBuffer stems, VkBuffer params, VkBuffer automation, VkBuffer rings, VkBuffer windows, VkBuffer pieces) {
    const std::array<VkBuffer, 3> clip{stems, params, automation};
    const std::array<VkBuffer, 6> pan{stems, params, rings, pan_lanes_.get(), windows, pieces};
    clip_.bind(set, clip);
    pan_.bind(set, pan);
}

void GainStage::record_clip(VkCommandBuffer cmd, uint32_t set, const GainPush& push) const {
    const uint32_t pc[2] = {push.frames, push.stride};  // gain_clip.comp's push block
    clip_.record(cmd, set, pc, groups(push.frames), push.stem_count);
}

void GainStage::record_pan(VkCommandBuffer cmd, uint32_t set, const GainPush& push, uint32_t level) const {
    const uint32_t pc[4] = {push.frames, push.stride, push.chunk_start, level};  // gain_pan.comp's push block
    pan_.record(cmd, set, pc, groups(push.frames), push.stem_count);
}

}  // namespace sf::gpu
