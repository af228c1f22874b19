// Stemforge — the render plan: what a session means on the timeline.
//
// Built once from a validated Session and the opened stem sources: where each
// stem starts and ends, which stems are audible (mute/solo), the order in
// which buses are processed (routing is a DAG, checked by the parser), and
// how long the render lasts (the last stem end plus the longest tail).
#pragma once

#include <cstdint>
#include <string>
#include <vector>

#include "engine/session/session.h"

namespace sf {

class RenderCache;

struct StemPlan {
    size_t index = 0;            // into Session::stems
    int channels = 1;            // 1 or 2
    int64_t start_frames = 0;    // offset on the timeline
    int64_t length_frames = 0;   // at the session rate
    bool audible = true;         // false when muted or not soloed
    // Set by the backend in prepare(): the stem's signal comes from the
    // render cache, so the renderer need not read its source.
    bool input_unused = false;
    int64_t end_frames() const { return start_frames + length_frames; }
};

struct RenderPlan {
    int sample_rate = 48000;
    int64_t block_frames = 65536;
    int64_t content_frames = 0;  // last stem end
    int64_t total_frames = 0;    // the output's length: content plus tails (after latency compensation)
    // Set by the backend in prepare(): the graph's latency. The renderer runs
    // the timeline latency_frames longer and drops that many leading master
    // frames, so the output is aligned with the stems' timeline.
    int64_t latency_frames = 0;
    std::vector<StemPlan> stems;
    std::vector<size_t> bus_order;  // buses in an order where every bus comes before its output
    // RenderOptions::cache (engine/render/render_cache.h), null: none. The
    // backend may take designs from it, and stem signals only when
    // stem_signals_allowed (the mix runs from frame 0 over the whole
    // timeline, as the signals it stores were computed).
    RenderCache* cache = nullptr;
    bool stem_signals_allowed = false;
};

// Orders buses so that each is processed before the bus it feeds.
std::vector<size_t> bus_processing_order(const Session& session);

}  // namespace sf
