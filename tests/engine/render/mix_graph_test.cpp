// The routing definition shared by every backend (engine/render/mix_graph.h),
// against values worked out by hand from DESIGN.md's rules: edge gains
// (fader, pre/post-fader sends, bus outputs), compensation delays, bus
// levels, tails, and the render length's independence of a backend's own
// latencies.
#include <gtest/gtest.h>

#include <cmath>

#include "engine/dsp/gain.h"
#include "engine/render/mix_graph.h"
#include "engine/render/render_plan.h"

namespace sf {
namespace {

// Stems A (fader -6 dB; sends: "wet" pre-fader -3 dB, "verb" post-fader -10 dB),
// B (fader -2 dB, into "wet"), C (muted, sends to "verb"); buses wet -> verb -> master.
struct Fixture {
    Session session;
    RenderPlan plan;
};

Fixture make_fixture() {
    Fixture f;
    StemSpec a, b, c;
    a.name = "A";
    a.gain_db = -6.0;
    a.sends = {SendSpec{"wet", -3.0, true}, SendSpec{"verb", -10.0, false}};
    b.name = "B";
    b.gain_db = -2.0;
    b.output = "wet";
    c.name = "C";
    c.mute = true;
    c.sends = {SendSpec{"verb", 0.0, true}};
    f.session.stems = {a, b, c};
    BusSpec verb, wet;
    verb.name = "verb";
    wet.name = "wet";
    wet.output = "verb";
    f.session.buses = {verb, wet};  // declared out of order: the levels must sort it out
    for (size_t k = 0; k < 3; ++k) {
        StemPlan sp;
        sp.index = k;
        sp.length_frames = 1000;
        sp.audible = !f.session.stems[k].mute;
        f.plan.stems.push_back(sp);
    }
    f.plan.content_frames = 1000;
    f.plan.bus_order = bus_processing_order(f.session);
    return f;
}

constexpr size_t kVerb = 0, kWet = 1, kMaster = 2;
constexpr size_t kA = 0, kB = 1;

float gain(double db) { return static_cast<float>(std::pow(10.0, db / 20.0)); }

TEST(MixGraph, EdgeGainsFollowFadersAndSendModes) {
    const Fixture f = make_fixture();
    const std::vector<NodeTiming> stems(3), buses(2);
    const MixGraph g = build_mix_graph(f.session, f.plan, stems, buses);
    ASSERT_EQ(g.destinations.size(), 3u);
    for (const auto& d : g.destinations) ASSERT_EQ(d.groups.size(), 1u);  // no latency anywhere: one group each

    const auto& wet = g.destinations[kWet].groups[0].edges;  // A's pre-fader send, then B's output
    ASSERT_EQ(wet.size(), 2u);
    EXPECT_FALSE(wet[0].from_bus);
    EXPECT_EQ(wet[0].source, kA);
    EXPECT_FLOAT_EQ(wet[0].gain, gain(-3.0));  // pre-fader: the fader does not apply
    EXPECT_EQ(wet[1].source, kB);
    EXPECT_FLOAT_EQ(wet[1].gain, gain(-2.0));

    const auto& verb = g.destinations[kVerb].groups[0].edges;  // A's post-fader send, then bus wet; muted C nowhere
    ASSERT_EQ(verb.size(), 2u);
    EXPECT_EQ(verb[0].source, kA);
    EXPECT_NEAR(verb[0].gain, gain(-16.0), 1e-7);  // -10 dB send after the -6 dB fader
    EXPECT_TRUE(verb[1].from_bus);
    EXPECT_EQ(verb[1].source, kWet);
    EXPECT_FLOAT_EQ(verb[1].gain, 1.0f);  // a bus's fader belongs to its own chain

    const auto& master = g.destinations[kMaster].groups[0].edges;
    ASSERT_EQ(master.size(), 2u);
    EXPECT_EQ(master[0].source, kA);
    EXPECT_FLOAT_EQ(master[0].gain, gain(-6.0));
    EXPECT_TRUE(master[1].from_bus);
    EXPECT_EQ(master[1].source, kVerb);

    ASSERT_EQ(g.levels.size(), 2u);  // wet feeds verb: wet first
    EXPECT_EQ(g.levels[0], std::vector<size_t>{kWet});
    EXPECT_EQ(g.levels[1], std::vector<size_t>{kVerb});
}

TEST(MixGraph, InputsAreDelayedToTheLatestArrival) {
    // A's chain has 100 frames of latency, B none; wet adds 50, verb 0.
    //   wet:    A at 100, B at 0            -> latency 100: A +0, B +100; output 150
    //   verb:   A at 100, wet at 150        -> latency 150: A +50, wet +0
    //   master: A at 100, verb at 150       -> latency 150: A +50
    const Fixture f = make_fixture();
    const std::vector<NodeTiming> stems{{100, 300}, {0, 0}, {0, 0}};
    const std::vector<NodeTiming> buses{{0, 0}, {50, 80}};
    const MixGraph g = build_mix_graph(f.session, f.plan, stems, buses);

    const auto& wet = g.destinations[kWet];
    EXPECT_EQ(wet.latency_frames, 100);
    ASSERT_EQ(wet.groups.size(), 2u);  // ascending delay
    EXPECT_EQ(wet.groups[0].delay_frames, 0);
    EXPECT_EQ(wet.groups[0].edges[0].source, kA);
    EXPECT_EQ(wet.groups[1].delay_frames, 100);
    EXPECT_EQ(wet.groups[1].edges[0].source, kB);
    EXPECT_EQ(g.bus_output[kWet].latency_frames, 150);
    // Tail: A rings 300 frames at latency 100 (B delayed by 100 rings 100); wet adds 80.
    EXPECT_EQ(wet.extent_frames, 300);
    EXPECT_EQ(g.bus_output[kWet].extent_frames, 380);

    const auto& verb = g.destinations[kVerb];
    EXPECT_EQ(verb.latency_frames, 150);
    ASSERT_EQ(verb.groups.size(), 2u);
    EXPECT_EQ(verb.groups[0].delay_frames, 0);
    EXPECT_TRUE(verb.groups[0].edges[0].from_bus);
    EXPECT_EQ(verb.groups[1].delay_frames, 50);
    EXPECT_EQ(verb.groups[1].edges[0].source, kA);

    EXPECT_EQ(g.master().latency_frames, 150);
    // The render lasts the content plus the longest tail past the aligned output: 380 - 150.
    EXPECT_EQ(g.total_frames(1000), 1000 + 230);
}

TEST(MixGraph, RenderLengthDoesNotDependOnABackendsOwnLatency) {
    // The CPU adds an FFT hop to every convolution, the GPU none: both the
    // latency and the tail of a node grow by the hop, and the length must not move.
    const Fixture f = make_fixture();
    const std::vector<NodeTiming> stems{{100, 300}, {0, 0}, {0, 0}};
    const std::vector<NodeTiming> buses{{0, 5000}, {50, 80}};
    const int64_t hop = 65537;
    std::vector<NodeTiming> stems_hop = stems, buses_hop = buses;
    stems_hop[kA].latency_frames += hop;
    stems_hop[kA].extent_frames += hop;
    for (NodeTiming& b : buses_hop) {
        b.latency_frames += hop;
        b.extent_frames += hop;
    }
    const MixGraph plain = build_mix_graph(f.session, f.plan, stems, buses);
    const MixGraph hopped = build_mix_graph(f.session, f.plan, stems_hop, buses_hop);
    EXPECT_NE(plain.master().latency_frames, hopped.master().latency_frames);
    EXPECT_EQ(plain.total_frames(1000), hopped.total_frames(1000));
}

}  // namespace
}  // namespace sf

namespace sf {
namespace {

// Sidechains, worked out by hand: stem "bass" (chain latency 100) keyed by
// stem "kick" (latency 300): the bass waits 200 frames before its compressor
// and its output latency becomes 300; stem "vox" (latency 500) keyed by the
// bus "drums" fed by kick (drums' own chain 50: output latency 350): the key
// waits 150; the bus "drums" keyed by its own signal through a sidechain EQ
// of latency 40: its signal waits 40 (output latency 390).
TEST(MixGraph, SidechainsAlignKeyAndSignalAndOrderTheSchedule) {
    Session s;
    StemSpec kick, bass, vox;
    kick.name = "kick";
    kick.output = "drums";
    bass.name = "bass";
    bass.compressor = CompressorSpec{};
    bass.compressor->sidechain = "kick";
    vox.name = "vox";
    vox.compressor = CompressorSpec{};
    vox.compressor->sidechain = "drums";
    s.stems = {vox, bass, kick};
    BusSpec drums;
    drums.name = "drums";
    drums.compressor = CompressorSpec{};
    drums.compressor->sidechain_eq = EqSpec{};
    s.buses = {drums};
    RenderPlan plan;
    for (size_t k = 0; k < 3; ++k) {
        StemPlan sp;
        sp.index = k;
        sp.length_frames = 1000;
        plan.stems.push_back(sp);
    }
    plan.content_frames = 1000;
    plan.bus_order = bus_processing_order(s);
    const size_t kVox = 0, kBass = 1, kKick = 2;
    std::vector<NodeTiming> stems(3), buses(1);
    stems[kVox].latency_frames = stems[kVox].extent_frames = 500;
    stems[kBass].latency_frames = stems[kBass].extent_frames = 100;
    stems[kKick].latency_frames = stems[kKick].extent_frames = 300;
    buses[0] = NodeTiming{50, 50, 40};
    const MixGraph g = build_mix_graph(s, plan, stems, buses);
    ASSERT_TRUE(g.has_sidechains());

    ASSERT_TRUE(g.stem_sidechain[kBass].has_value());
    EXPECT_FALSE(g.stem_sidechain[kBass]->own);
    EXPECT_EQ(g.stem_sidechain[kBass]->key, (MixNode{false, kKick}));
    EXPECT_EQ(g.stem_sidechain[kBass]->signal_delay_frames, 200);
    EXPECT_EQ(g.stem_sidechain[kBass]->key_delay_frames, 0);
    EXPECT_EQ(g.stem_output[kBass].latency_frames, 300);
    EXPECT_EQ(g.stem_output[kBass].extent_frames, 300);

    ASSERT_TRUE(g.bus_sidechain[0].has_value());
    EXPECT_TRUE(g.bus_sidechain[0]->own);
    EXPECT_EQ(g.bus_sidechain[0]->signal_delay_frames, 40);
    EXPECT_EQ(g.bus_output[0].latency_frames, 300 + 50 + 40);

    ASSERT_TRUE(g.stem_sidechain[kVox].has_value());
    EXPECT_EQ(g.stem_sidechain[kVox]->key, (MixNode{true, 0}));
    EXPECT_EQ(g.stem_sidechain[kVox]->key_delay_frames, 500 - 390);
    EXPECT_EQ(g.stem_sidechain[kVox]->signal_delay_frames, 0);
    EXPECT_FALSE(g.stem_sidechain[kKick].has_value());
    EXPECT_TRUE(g.stem_is_key[kKick]);
    EXPECT_FALSE(g.stem_is_key[kBass]);

    // Schedule: kick first; then bass (keyed by kick) and drums (fed by kick); then vox (keyed by drums).
    auto level_of = [&](MixNode v) {
        for (size_t l = 0; l < g.schedule.size(); ++l)
            if (std::find(g.schedule[l].begin(), g.schedule[l].end(), v) != g.schedule[l].end()) return static_cast<int>(l);
        return -1;
    };
    EXPECT_EQ(level_of({false, kKick}), 0);
    EXPECT_EQ(level_of({false, kBass}), 1);
    EXPECT_EQ(level_of({true, 0}), 1);
    EXPECT_EQ(level_of({false, kVox}), 2);
    size_t nodes = 0;
    for (const auto& l : g.schedule) nodes += l.size();
    EXPECT_EQ(nodes, 4u);
    // The master waits for the latest input: vox at 500, bass 300, drums 390.
    EXPECT_EQ(g.master().latency_frames, 500);
}

}  // namespace
}  // namespace sf
