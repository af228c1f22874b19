#include "engine/render/mix_graph.h"

#include <algorithm>
#include <cassert>
#include <map>
#include <string>

#include "engine/dsp/gain.h"

namespace sf {

int64_t MixGraph::total_frames(int64_t content_frames) const {
    return content_frames + std::max<int64_t>(0, master().extent_frames - master().latency_frames);
}

MixGraph build_mix_graph(const Session& session, const RenderPlan& plan, std::span<const NodeTiming> stem_chain,
                         std::span<const NodeTiming> bus_chain) {
    assert(stem_chain.size() == plan.stems.size() && bus_chain.size() == session.buses.size());
    const size_t nb = session.buses.size();
    std::map<std::string, size_t> bus_index;
    for (size_t b = 0; b < nb; ++b) bus_index[session.buses[b].name] = b;
    auto dest_of = [&](const std::string& name) { return name == kMasterBusName ? nb : bus_index.at(name); };

    // ---- edges: who feeds whom, with which gain ----
    std::vector<std::vector<MixEdge>> incoming(nb + 1);
    for (size_t k = 0; k < plan.stems.size(); ++k) {
        if (!plan.stems[k].audible) continue;
        const StemSpec& spec = session.stems[plan.stems[k].index];
        const double fader = db_to_gain(spec.gain_db);
        incoming[dest_of(spec.output)].push_back(MixEdge{false, k, static_cast<float>(fader), nullptr});
        for (const SendSpec& send : spec.sends) {
            const double g = db_to_gain(send.level_db) * (send.pre_fader ? 1.0 : fader);
            const AutomationLane* lane = spec.automation.send(send.bus);
            incoming[dest_of(send.bus)].push_back(MixEdge{false, k, static_cast<float>(g), lane && !lane->empty() ? lane : nullptr});
        }
    }
    for (size_t b = 0; b < nb; ++b) incoming[dest_of(session.buses[b].output)].push_back(MixEdge{true, b, 1.0f, nullptr});

    // ---- latencies and tails, buses in dependency order ----
    MixGraph g;
    g.destinations.resize(nb + 1);
    g.bus_output.resize(nb);
    auto timing = [&](const MixEdge& e) { return e.from_bus ? g.bus_output[e.source] : stem_chain[e.source]; };
    auto build_dest = [&](size_t d) {
        MixDestination& dest = g.destinations[d];
        for (const MixEdge& e : incoming[d]) dest.latency_frames = std::max(dest.latency_frames, timing(e).latency_frames);
        std::map<int64_t, std::vector<MixEdge>> by_delay;
        for (const MixEdge& e : incoming[d]) {
            const NodeTiming t = timing(e);
            const int64_t delay = dest.latency_frames - t.latency_frames;
            by_delay[delay].push_back(e);
            dest.extent_frames = std::max(dest.extent_frames, t.extent_frames + delay);
        }
        for (auto& [delay, edges] : by_delay) dest.groups.push_back(MixInputGroup{delay, std::move(edges)});
    };
    std::vector<size_t> depth(nb, 0);
    for (size_t b : plan.bus_order) {
        build_dest(b);
        g.bus_output[b] = NodeTiming{g.destinations[b].latency_frames + bus_chain[b].latency_frames,
                                     g.destinations[b].extent_frames + bus_chain[b].extent_frames};
        for (const MixEdge& e : incoming[b])
            if (e.from_bus) depth[b] = std::max(depth[b], depth[e.source] + 1);
        if (g.levels.size() <= depth[b]) g.levels.resize(depth[b] + 1);
        g.levels[depth[b]].push_back(b);
    }
    build_dest(nb);
    return g;
}

}  // namespace sf
