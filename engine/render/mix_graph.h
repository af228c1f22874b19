// Stemforge — the routing of a render: who feeds whom, with which gain, and
// the latency compensation that makes parallel paths add sample-aligned.
//
// One definition for every backend (CpuMixer, the GPU mixer). A backend says
// what latency and tail each node's own chain has — a stem's chain (EQ), a
// bus's own chain (reverb, EQ) — and gets back, per destination (each bus,
// then the master), its inputs grouped by compensation delay:
//
//   * an edge is a stem's post-pan signal or a bus's output into a
//     destination, times a gain: a stem's fader into its output; a send's
//     level (times the fader unless pre_fader) into its bus; 1 from a bus
//     into its output (the bus fader is part of the bus's own chain); an
//     automated send's edge carries its lane;
//   * a node's latency is its destination-input latency plus its own chain's;
//     at a destination every input is delayed to the latest one
//     (delay = dest latency − input latency), inputs with equal delay form one
//     group, groups in ascending delay, edges in session order within a group;
//   * a node's extent is how long after the content ends its output can
//     still be non-zero (tails), on the same clock as its latency.
//
// Latency is a backend's matter (the CPU's FFT hops; the GPU convolves with
// none), but extent − latency is not: the render's length is the same on
// every backend.
//
// Sidechains (a compressor keyed by another stem or bus, or by its own
// signal through a sidechain EQ): the key is tapped after the key node's
// inserts — for a stem and for a bus that is its output latency, since
// nothing after the inserts (width, pan, fader) delays — plus the sidechain
// EQ's latency; the compressor's own signal arrives with the node's latency
// less what follows the compressor (a chorus's one frame). Whichever
// is earlier is delayed to the later one, so the key drives the detector at
// the same timeline frame as the signal it scales on every backend; delaying
// the signal adds to the node's latency, which the destinations compensate.
// The schedule orders every node after its feeders and its key.
#pragma once

#include <cstdint>
#include <optional>
#include <span>
#include <vector>

#include "engine/render/render_plan.h"
#include "engine/session/session.h"

namespace sf {

struct MixEdge {
    bool from_bus = false;
    size_t source = 0;  // index into plan.stems (a stem) or session.buses (a bus)
    float gain = 1.0f;
    // A send's automation.send_db.<bus> (null: none; points into the
    // session): the edge's gain at timeline frame n is then
    // gain · 10^(lane(n)/20) (sf::LaneGain). The signal on an edge of group
    // g at its destination's block frame m is timeline frame
    // m − (destination latency − g.delay_frames) before its compensation
    // delay, m − destination latency after it.
    const AutomationLane* lane = nullptr;
};

struct MixInputGroup {
    int64_t delay_frames = 0;
    std::vector<MixEdge> edges;
};

struct MixDestination {
    std::vector<MixInputGroup> groups;  // ascending delay
    int64_t latency_frames = 0;         // of its summed input
    int64_t extent_frames = 0;          // its input is silent this long after the content ends
};

// A node's own chain: how much later its output is than its input, and how
// long after its input falls silent its output can ring on.
struct NodeTiming {
    int64_t latency_frames = 0;
    int64_t extent_frames = 0;
    int64_t key_eq_latency_frames = 0;  // its compressor's sidechain EQ (0 without one)
    int64_t latency_after_compressor_frames = 0;  // the part of latency_frames after the compressor (a chorus's)
};

// A node of the schedule: a stem (index into plan.stems) or a bus.
struct MixNode {
    bool bus = false;
    size_t index = 0;
    bool operator==(const MixNode&) const = default;
};

// A keyed compressor's alignment (see above).
struct SidechainTiming {
    bool own = true;                 // the detector hears the node's own signal (through sidechain_eq)
    MixNode key;                     // else: the key node
    int64_t key_delay_frames = 0;    // the key's delay before the detector
    int64_t signal_delay_frames = 0; // the node's signal's delay before the compressor
};

struct MixGraph {
    std::vector<MixDestination> destinations;  // [bus index], then the master last
    std::vector<std::vector<size_t>> levels;   // buses by dependency depth: every feeder in an earlier level
    std::vector<NodeTiming> bus_output;        // per bus: latency and extent of its output (input + own chain)
    std::vector<NodeTiming> stem_output;       // per plan stem: its own chain plus any sidechain alignment
    // Stems and buses in levels: every node after what feeds it and after its
    // key; the nodes of one level are independent of each other.
    std::vector<std::vector<MixNode>> schedule;
    // Per plan stem / per bus: set when its compressor has a sidechain or a sidechain EQ.
    std::vector<std::optional<SidechainTiming>> stem_sidechain, bus_sidechain;
    // Per plan stem: it keys a compressor, so it is processed even when it is
    // not heard (muted, or another stem soloed): a muted kick still ducks the bass.
    std::vector<bool> stem_is_key;
    bool has_sidechains() const;

    const MixDestination& master() const { return destinations.back(); }
    // The render's length: the content plus the longest tail past it.
    int64_t total_frames(int64_t content_frames) const;
};

// stem_chain[k]: plan.stems[k]'s own chain; bus_chain[b]: session.buses[b]'s.
// Inaudible stems (plan.stems[k].audible == false) feed nothing. Sidechain
// names must be valid (the parser checks them, and that keys form no cycle).
MixGraph build_mix_graph(const Session& session, const RenderPlan& plan, std::span<const NodeTiming> stem_chain,
                         std::span<const NodeTiming> bus_chain);

}  // namespace sf
