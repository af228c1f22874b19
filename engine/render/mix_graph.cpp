#include "engine/render/mix_graph.h"

#include <algorithm>
#include <cassert>
#include <functional>
#include <map>
#include <string>

#include "engine/dsp/gain.h"

namespace sf {

int64_t MixGraph::total_frames(int64_t content_frames) const {
    return content_frames + std::max<int64_t>(0, master().extent_frames - master().latency_frames);
}

bool MixGraph::has_sidechains() const {
    auto set = [](const auto& v) { return std::any_of(v.begin(), v.end(), [](const auto& s) { return s.has_value(); }); };
    return set(stem_sidechain) || set(bus_sidechain);
}

MixGraph build_mix_graph(const Session& session, const RenderPlan& plan, std::span<const NodeTiming> stem_chain,
                         std::span<const NodeTiming> bus_chain) {
    assert(stem_chain.size() == plan.stems.size() && bus_chain.size() == session.buses.size());
    const size_t nb = session.buses.size(), ns = plan.stems.size();
    std::map<std::string, size_t> bus_index;
    for (size_t b = 0; b < nb; ++b) bus_index[session.buses[b].name] = b;
    auto dest_of = [&](const std::string& name) { return name == kMasterBusName ? nb : bus_index.at(name); };

    // ---- edges: who feeds whom, with which gain ----
    std::vector<std::vector<MixEdge>> incoming(nb + 1);
    for (size_t k = 0; k < ns; ++k) {
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

    // ---- sidechain keys by name ----
    std::map<std::string, MixNode> node_by_name;
    for (size_t k = 0; k < ns; ++k) node_by_name[session.stems[plan.stems[k].index].name] = MixNode{false, k};
    for (size_t b = 0; b < nb; ++b) node_by_name[session.buses[b].name] = MixNode{true, b};
    auto compressor_of = [&](MixNode v) -> const std::optional<CompressorSpec>& {
        return v.bus ? session.buses[v.index].compressor : session.stems[plan.stems[v.index].index].compressor;
    };
    auto key_of = [&](MixNode v) -> std::optional<MixNode> {
        const auto& c = compressor_of(v);
        if (!c || c->sidechain.empty()) return std::nullopt;
        return node_by_name.at(c->sidechain);
    };

    MixGraph g;
    g.destinations.resize(nb + 1);
    g.bus_output.resize(nb);
    g.stem_output.resize(ns);
    g.stem_sidechain.resize(ns);
    g.bus_sidechain.resize(nb);
    g.stem_is_key.assign(ns, false);
    for (size_t k = 0; k < ns; ++k)
        if (auto key = key_of(MixNode{false, k}); key && !key->bus) g.stem_is_key[key->index] = true;

    // ---- latencies and tails, every node after its inputs and its key ----
    auto timing = [&](const MixEdge& e) { return e.from_bus ? g.bus_output[e.source] : g.stem_output[e.source]; };
    auto output_latency = [&](MixNode v) { return v.bus ? g.bus_output[v.index].latency_frames : g.stem_output[v.index].latency_frames; };
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
    std::vector<int> stem_level(ns, -1), bus_level(nb, -1);
    std::function<int(MixNode)> visit = [&](MixNode v) -> int {
        int& level = v.bus ? bus_level[v.index] : stem_level[v.index];
        if (level >= 0) return level;
        int lv = 0;
        const std::optional<MixNode> key = key_of(v);
        if (key) lv = std::max(lv, visit(*key) + 1);
        NodeTiming t;
        const NodeTiming& chain = v.bus ? bus_chain[v.index] : stem_chain[v.index];
        if (v.bus) {
            for (const MixEdge& e : incoming[v.index]) lv = std::max(lv, visit(MixNode{e.from_bus, e.source}) + 1);
            build_dest(v.index);
            const MixDestination& dest = g.destinations[v.index];
            t = NodeTiming{dest.latency_frames + chain.latency_frames, dest.extent_frames + chain.extent_frames};
        } else {
            t = NodeTiming{chain.latency_frames, chain.extent_frames};
        }
        const auto& comp = compressor_of(v);
        if (comp && (key || comp->sidechain_eq)) {
            SidechainTiming sc;
            sc.own = !key.has_value();
            if (key) sc.key = *key;
            const int64_t signal_latency = t.latency_frames - chain.latency_after_compressor_frames;  // at the compressor
            const int64_t key_latency = (key ? output_latency(*key) : signal_latency) + chain.key_eq_latency_frames;
            if (key_latency > signal_latency) {
                sc.signal_delay_frames = key_latency - signal_latency;
                t.latency_frames += sc.signal_delay_frames;
                t.extent_frames += sc.signal_delay_frames;
            } else {
                sc.key_delay_frames = signal_latency - key_latency;
            }
            (v.bus ? g.bus_sidechain[v.index] : g.stem_sidechain[v.index]) = sc;
        }
        (v.bus ? g.bus_output[v.index] : g.stem_output[v.index]) = t;
        if (g.schedule.size() <= static_cast<size_t>(lv)) g.schedule.resize(static_cast<size_t>(lv) + 1);
        g.schedule[static_cast<size_t>(lv)].push_back(v);
        return level = lv;
    };
    for (size_t k = 0; k < ns; ++k) visit(MixNode{false, k});
    for (size_t b : plan.bus_order) visit(MixNode{true, b});
    for (size_t b = 0; b < nb; ++b) visit(MixNode{true, b});

    // Buses alone by feeder depth (the GPU backend's bus passes).
    std::vector<size_t> depth(nb, 0);
    for (size_t b : plan.bus_order) {
        for (const MixEdge& e : incoming[b])
            if (e.from_bus) depth[b] = std::max(depth[b], depth[e.source] + 1);
        if (g.levels.size() <= depth[b]) g.levels.resize(depth[b] + 1);
        g.levels[depth[b]].push_back(b);
    }
    build_dest(nb);
    return g;
}

}  // namespace sf
