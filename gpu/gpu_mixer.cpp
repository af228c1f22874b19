#include "gpu/gpu_mixer.h"

#include <algorithm>
#include <cmath>
#include <cstring>
#include <limits>
#include <set>

#include <tbb/parallel_for.h>

#include "engine/dsp/delay.h"
#include "engine/dsp/eq_design.h"
#include "engine/dsp/reverb.h"

namespace sf::gpu {

namespace {

constexpr int64_t kMaxFrames = std::numeric_limits<int32_t>::max();
Error too_long() {
    return Error{ErrorCode::DeviceLimit, "the GPU backend renders at most 2^31 frames (about 12 hours at 48 kHz)", 0};
}

std::string stem_path(size_t i) { return "stems[" + std::to_string(i) + "]"; }
std::string bus_path(size_t i) { return "buses[" + std::to_string(i) + "]"; }

// An EQ designed as on the CPU. Empty taps: the identity (no stage).
Result<EqDesign> design(const EqSpec& spec, int rate, const std::string& path) {
    auto d = design_eq(spec, rate);
    if (!d) return fail(d.error().code, path + ".eq: " + d.error().message);
    return d;
}

Result<void> need_float64(const Context& ctx, const std::string& path) {
    if (ctx.float64()) return {};
    return fail(ErrorCode::DeviceLimit, path + ".compressor: the GPU compressor needs shaderFloat64, which this device lacks (use --backend cpu)");
}

template <class T>
Result<void> assign(Result<T>&& made, T& into) {
    if (!made) return std::unexpected(made.error());
    into = std::move(*made);
    return {};
}

// A bus's width and fader at its store (sf::BusWidthFader): the fader alone,
// one static matrix designed in double, or per frame from its lanes.
RingStore bus_store(const BusSpec& bus, uint32_t src_offset, uint32_t ring_offset, uint32_t ring_frames, int64_t latency_frames,
                    LaneTable& lanes, int sample_rate) {
    RingStore st;
    st.src_offset = src_offset;
    st.ring_offset = ring_offset;
    st.ring_frames = ring_frames;
    const double fader = db_to_gain(bus.gain_db);
    st.gain = static_cast<float>(fader);
    st.width = static_cast<float>(bus.width.value_or(1.0));
    const PanGains m = then(width_gains(bus.width.value_or(1.0)), PanGains{fader, 0.0, 0.0, fader});
    st.ll = static_cast<float>(m.ll);
    st.rl = static_cast<float>(m.rl);
    st.lr = static_cast<float>(m.lr);
    st.rr = static_cast<float>(m.rr);
    st.gain_lane = lanes.add(bus.automation.gain_db, sample_rate, latency_frames);
    st.width_lane = lanes.add(bus.automation.width, sample_rate, latency_frames);
    st.mode = st.gain_lane != kNoLane || st.width_lane != kNoLane ? StoreMode::Automated : bus.width ? StoreMode::Matrix : StoreMode::Fader;
    return st;
}
}  // namespace

Result<std::unique_ptr<GpuMixer>> GpuMixer::create(const ContextOptions& options) {
    auto ctx = Context::create(options);
    if (!ctx) return std::unexpected(ctx.error());
    return std::make_unique<GpuMixer>(std::shared_ptr<Context>(std::move(*ctx)));
}

GpuMixer::GpuMixer(std::shared_ptr<Context> context) : ctx_(std::move(context)) {}

GpuMixer::~GpuMixer() {
    // Buffers may only go once the GPU is done with them.
    for (Slot& s : slots_) (void)ctx_->wait(s.commands);
}

GpuMixerStats GpuMixer::stats() const {
    GpuMixerStats s = stats_;
    s.gpu_time_s.clear();
    for (const Slot& slot : slots_)
        for (const auto& [phase, t] : slot.timer.totals_s()) {
            auto it = std::find_if(s.gpu_time_s.begin(), s.gpu_time_s.end(), [&](const auto& p) { return p.first == phase; });
            if (it == s.gpu_time_s.end()) s.gpu_time_s.emplace_back(phase, t);
            else it->second += t;
        }
    if (master_)   // the master chain's phases (master_eq, master_limiter, ...) beside the mix's
        for (const auto& [phase, t] : master_->gpu_time_s()) s.gpu_time_s.emplace_back(phase, t);
    s.device_bytes = ctx_->allocated_bytes();
    s.submissions = ctx_->submission_count();  // the master chain's too: what a fault count addresses
    return s;
}

master::MasterBackend* GpuMixer::master_backend() {
    if (!master_) master_ = std::make_unique<GpuMasterBackend>(*ctx_);
    return master_.get();
}

// What prepare() designs before it allocates: per node, its own latency and
// tail on the GPU, and the stage data (FIR taps, reverb kernels).
struct GpuMixer::NodeDesigns {
    std::vector<NodeTiming> stem_chain, bus_chain;
    std::vector<std::vector<double>> stem_eq, bus_eq;  // empty: no EQ stage
    std::vector<std::optional<ConvolutionKernels>> bus_reverb;
    // Offsets: the chain's latency before the chorus (a bus's input latency is added once the graph is built).
    std::vector<std::optional<ChorusBinding>> stem_chorus, bus_chorus;
    std::vector<std::optional<DelayDesign>> bus_delay;
    std::vector<std::vector<double>> stem_key_eq, bus_key_eq;  // sidechain EQs (empty: none, or the identity)
};

Result<void> GpuMixer::prepare(const Session& session, RenderPlan& plan) {
    if (plan.total_frames >= kMaxFrames) return std::unexpected(too_long());
    for (Slot& s : slots_)
        if (auto ok = ctx_->wait(s.commands); !ok) return ok;
    // A second prepare() starts from nothing: the old stages go before the
    // plan cache, whose plans are keyed by (and bound to) their work buffers.
    eq_.reset();
    gain_.reset();
    routing_.reset();
    levels_.clear();
    lanes_ = LaneTable{};
    plans_ = std::make_unique<FftPlans>(*ctx_);
    session_ = &session;
    sample_rate_ = plan.sample_rate;
    stems_ = plan.stems;
    bus_count_ = static_cast<uint32_t>(session.buses.size());

    auto designs = design_nodes(session);
    if (!designs) return std::unexpected(designs.error());
    const MixGraph graph = build_mix_graph(session, plan, designs->stem_chain, designs->bus_chain);
    always_enabled_.assign(stems_.size(), false);
    for (size_t k = 0; k < stems_.size(); ++k) always_enabled_[k] = graph.stem_sidechain[k].has_value();
    // The graph's latency plus one block: process() hands back the previous
    // block's master while the GPU works on this one (see process()).
    pipeline_frames_ = plan.block_frames;
    plan.latency_frames = graph.master().latency_frames + pipeline_frames_;
    plan.total_frames = std::max(plan.total_frames, graph.total_frames(plan.content_frames));
    if (plan.total_frames + plan.latency_frames >= kMaxFrames) return std::unexpected(too_long());
    if (auto ok = plan_chunk_and_rings(graph, plan.block_frames); !ok) return ok;
    // The FIFO holds at most the pipeline's block of silence plus one block and two chunks in flight.
    fifo_.resize(2, 2 * (pipeline_frames_ + chunk_));
    fifo_.clear();
    fifo_read_ = 0;
    fifo_size_ = pipeline_frames_;  // the first block handed back is silence
    next_slot_ = 0;
    if (auto ok = build_stem_stages(session, graph, *designs); !ok) return ok;
    std::vector<StemParams> bus_params;
    if (auto ok = build_levels(session, graph, *designs, bus_params); !ok) return ok;
    return allocate_slots(bus_params);
}

// Designs every stage as the CPU does, and each node's own latency and tail
// on the GPU: it convolves with zero latency, so an EQ adds only its
// linear-phase centre delay d and rings taps − 1 frames; a reverb adds none
// and rings len − 1 (the CPU adds its FFT hop to both; extent − latency agrees).
Result<GpuMixer::NodeDesigns> GpuMixer::design_nodes(const Session& session) {
    const size_t ns = stems_.size(), nb = session.buses.size();
    NodeDesigns d;
    d.stem_chain.resize(ns);
    d.bus_chain.resize(nb);
    d.stem_eq.resize(ns);
    d.bus_eq.resize(nb);
    d.bus_reverb.resize(nb);
    d.stem_chorus.resize(ns);
    d.bus_chorus.resize(nb);
    d.bus_delay.resize(nb);
    d.stem_key_eq.resize(ns);
    d.bus_key_eq.resize(nb);
    eq_tail_frames_.assign(ns, 0);
    // A stem is processed when it is heard or when it keys a sidechain (a
    // muted kick still ducks the bass, as on the CPU).
    processed_.assign(ns, false);
    {
        std::set<std::string> keys;
        for (const StemSpec& st : session.stems)
            if (st.compressor && !st.compressor->sidechain.empty()) keys.insert(st.compressor->sidechain);
        for (const BusSpec& b : session.buses)
            if (b.compressor && !b.compressor->sidechain.empty()) keys.insert(b.compressor->sidechain);
        for (size_t k = 0; k < ns; ++k) processed_[k] = stems_[k].audible || keys.count(session.stems[stems_[k].index].name) > 0;
    }
    // A sidechain EQ designed as on the CPU; on the GPU it adds only its
    // linear-phase centre delay to the key.
    auto key_eq = [&](const CompressorSpec& c, const std::string& path, NodeTiming& chain, std::vector<double>& taps) -> Result<void> {
        if (!c.sidechain_eq) return {};
        auto eq = design_eq(*c.sidechain_eq, sample_rate_);
        if (!eq) return fail(eq.error().code, path + ".compressor.sidechain_eq: " + eq.error().message);
        if (eq->identity()) return {};
        chain.key_eq_latency_frames = eq->latency_frames;
        taps = std::move(eq->taps);
        return {};
    };
    chorus_tail_frames_.assign(ns, 0);
    chorus_channels_ = chorus_history_floats_ = 0;
    // A chorus after the chain so far (its offset); adds its own latency and tail.
    auto add_chorus = [&](const ChorusSpec& spec, uint32_t node, int channels, const std::string& path, NodeTiming& chain,
                          std::optional<ChorusBinding>& into) -> Result<int64_t> {
        if (!ctx_->float64())
            return fail(ErrorCode::DeviceLimit, path + ".chorus: the GPU chorus needs shaderFloat64, which this device lacks (use --backend cpu)");
        into = ChorusBinding{node, channels, design_chorus(spec, sample_rate_), chain.latency_frames};
        const int64_t tail = into->design.latency_frames + into->design.tail_frames();
        chain.latency_frames += into->design.latency_frames;
        chain.latency_after_compressor_frames += into->design.latency_frames;  // the chorus follows the compressor
        chain.extent_frames += tail;
        chorus_channels_ += static_cast<uint64_t>(channels);
        chorus_history_floats_ += static_cast<uint64_t>(channels * into->design.history_frames());
        return tail;
    };
    // FIR designs are independent and tens of milliseconds each: in parallel, as on the CPU.
    std::vector<std::optional<Result<EqDesign>>> stem_designs(ns);
    tbb::parallel_for(size_t{0}, ns, [&](size_t k) {
        const StemSpec& spec = session.stems[stems_[k].index];
        if (spec.eq) stem_designs[k] = design(*spec.eq, sample_rate_, stem_path(stems_[k].index));
    });
    for (size_t k = 0; k < ns; ++k) {
        const StemSpec& spec = session.stems[stems_[k].index];
        if (spec.compressor && processed_[k]) {
            if (auto ok = need_float64(*ctx_, stem_path(stems_[k].index)); !ok) return std::unexpected(ok.error());
            if (auto ok = key_eq(*spec.compressor, stem_path(stems_[k].index), d.stem_chain[k], d.stem_key_eq[k]); !ok)
                return std::unexpected(ok.error());
        }
        if (!stem_designs[k]) continue;
        auto& eq = *stem_designs[k];
        if (!eq) return std::unexpected(eq.error());
        if (eq->identity() || !processed_[k]) continue;  // designed anyway: a bad EQ fails as on the CPU
        const int64_t taps = static_cast<int64_t>(eq->taps.size());
        d.stem_chain[k].latency_frames = eq->latency_frames;
        d.stem_chain[k].extent_frames = taps - 1;
        eq_tail_frames_[k] = taps - 1;
        d.stem_eq[k] = std::move(eq->taps);
    }
    for (size_t k = 0; k < ns; ++k) {
        const StemSpec& spec = session.stems[stems_[k].index];
        if (!spec.chorus || !processed_[k]) continue;
        auto tail = add_chorus(*spec.chorus, static_cast<uint32_t>(k), stems_[k].channels, stem_path(stems_[k].index), d.stem_chain[k],
                               d.stem_chorus[k]);
        if (!tail) return std::unexpected(tail.error());
        chorus_tail_frames_[k] = *tail;
    }
    for (size_t b = 0; b < nb; ++b) {
        const BusSpec& spec = session.buses[b];
        if (spec.delay) {
            auto delay = design_delay(*spec.delay, session.tempo_bpm, sample_rate_, bus_path(b) + ".delay");
            if (!delay) return std::unexpected(delay.error());
            if (!ctx_->float64())
                return fail(ErrorCode::DeviceLimit, bus_path(b) + ".delay: the GPU delay needs shaderFloat64, which this device lacks (use --backend cpu)");
            d.bus_chain[b].extent_frames += delay->tail_frames;  // latency 0, as on the CPU
            d.bus_delay[b] = std::move(*delay);
        }
        if (spec.reverb) {
            auto k = design_reverb(*spec.reverb, sample_rate_, bus_path(b) + ".reverb");
            if (!k) return std::unexpected(k.error());
            d.bus_chain[b].extent_frames += k->length() - 1;
            d.bus_reverb[b] = std::move(*k);
        }
        if (spec.eq) {
            auto eq = design(*spec.eq, sample_rate_, bus_path(b));
            if (!eq) return std::unexpected(eq.error());
            if (!eq->identity()) {
                d.bus_chain[b].latency_frames += eq->latency_frames;
                d.bus_chain[b].extent_frames += static_cast<int64_t>(eq->taps.size()) - 1;
                d.bus_eq[b] = std::move(eq->taps);
            }
        }
        if (spec.compressor) {
            if (auto ok = need_float64(*ctx_, bus_path(b)); !ok) return std::unexpected(ok.error());
            if (auto ok = key_eq(*spec.compressor, bus_path(b), d.bus_chain[b], d.bus_key_eq[b]); !ok) return std::unexpected(ok.error());
        }
        if (spec.chorus)
            if (auto ok = add_chorus(*spec.chorus, static_cast<uint32_t>(b), 2, bus_path(b), d.bus_chain[b], d.bus_chorus[b]); !ok)
                return std::unexpected(ok.error());
    }
    return d;
}

size_t GpuMixer::node_of(const MixEdge& e) const { return e.from_bus ? stems_.size() + e.source : e.source; }

// The chunk: the largest whose buffers each fit one storage-buffer binding
// (the validation layer and real GPUs enforce maxStorageBufferRange), a
// multiple of the shaders' 256-wide workgroups. Then the nodes' rings:
// chunk + the longest delay anyone reads each node with.
Result<void> GpuMixer::plan_chunk_and_rings(const MixGraph& graph, int64_t block_frames) {
    const size_t nodes = stems_.size() + bus_count_;
    std::vector<int64_t> max_delay(nodes, -1);  // -1: nobody reads the node
    for (const MixDestination& d : graph.destinations)
        for (const MixInputGroup& g : d.groups)
            for (const MixEdge& e : g.edges) max_delay[node_of(e)] = std::max(max_delay[node_of(e)], g.delay_frames);
    int64_t ring_nodes = 0, delay_sum = 0;
    for (int64_t d : max_delay)
        if (d >= 0) {
            ++ring_nodes;
            delay_sum += d;
        }
    total_channels_ = 0;
    for (const StemPlan& sp : stems_) total_channels_ += static_cast<uint32_t>(sp.channels);
    const int64_t max_floats = static_cast<int64_t>(std::min<uint64_t>(ctx_->limits().maxStorageBufferRange, 128ull << 20) / sizeof(float));
    int64_t chunk = block_frames;
    if (max_chunk_frames_ > 0) chunk = std::min(chunk, max_chunk_frames_);
    chunk = std::min<int64_t>(chunk, max_floats / std::max<int64_t>(1, total_channels_));  // stem buffer
    chunk = std::min<int64_t>(chunk, max_floats / (2 * (static_cast<int64_t>(bus_count_) + 1)));  // mix buffer
    if (ring_nodes > 0) chunk = std::min<int64_t>(chunk, (max_floats / 2 - delay_sum) / ring_nodes);  // rings
    if (chorus_channels_ > 0) {  // chorus histories, all in one bound (stems' and every level's)
        const int64_t room = max_floats - static_cast<int64_t>(chorus_history_floats_);
        chunk = std::min<int64_t>(chunk, std::max<int64_t>(1, room / static_cast<int64_t>(chorus_channels_)));  // ChorusStage::create refuses a misfit
    }
    if (chunk > 256) chunk -= chunk % 256;
    if (chunk < 1)
        return fail(ErrorCode::DeviceLimit, "the GPU backend cannot hold this session's latency compensation (" +
                                                 std::to_string(delay_sum) + " frames of delay) in one storage buffer (use --backend cpu)");
    chunk_ = chunk;
    ring_offset_.assign(nodes, 0);
    ring_frames_.assign(nodes, 0);
    ring_floats_ = 0;
    for (size_t v = 0; v < nodes; ++v) {
        if (max_delay[v] < 0) continue;
        ring_offset_[v] = static_cast<uint32_t>(ring_floats_);
        ring_frames_[v] = static_cast<uint32_t>(chunk_ + max_delay[v]);
        ring_floats_ += 2ull * ring_frames_[v];
    }
    return {};
}

// Stem buffer layout (EQ'd stems' channels first: the convolver's rows), the
// gain designs, the stem EQ convolver and the stem compressors.
Result<void> GpuMixer::build_stem_stages(const Session& session, const MixGraph& graph, NodeDesigns& designs) {
    const size_t ns = stems_.size();
    const uint32_t sets = static_cast<uint32_t>(slots_.size());
    std::vector<bool> has_eq(ns);
    for (size_t k = 0; k < ns; ++k) has_eq[k] = !designs.stem_eq[k].empty();
    stem_offsets_.assign(ns, 0);
    std::vector<EqBinding> eqs;
    uint32_t offset = 0;
    for (int pass = 0; pass < 2; ++pass)
        for (size_t k = 0; k < ns; ++k) {
            if (has_eq[k] != (pass == 0)) continue;
            stem_offsets_[k] = offset;
            if (pass == 0) {
                EqBinding& eq = eqs.emplace_back();
                for (int c = 0; c < stems_[k].channels; ++c) eq.row_offsets.push_back(offset + static_cast<uint32_t>(c * chunk_));
                eq.taps = std::move(designs.stem_eq[k]);
            }
            offset += static_cast<uint32_t>(stems_[k].channels * chunk_);
        }
    gain_designs_.clear();
    automation_points_ = 0;
    for (const StemPlan& sp : stems_) {
        gain_designs_.push_back(design_stem_gain(session.stems[sp.index], sp, sample_rate_));
        automation_points_ += gain_designs_.back().automation.size();
    }
    if (!eqs.empty()) {
        auto eq = EqStage::create(*ctx_, *plans_, std::move(eqs), chunk_, sets);
        if (!eq) return fail(eq.error().code, "stem EQ on the GPU: " + eq.error().message);
        eq_ = std::move(*eq);
    }
    // Width and pan act after the stem's inserts: its lanes run its output
    // latency behind (the chain's, plus a sidechain's signal delay); it pans
    // in its schedule level.
    std::vector<StemPanLanes> pan_lanes(ns);
    for (size_t l = 0; l < graph.schedule.size(); ++l)
        for (const MixNode& v : graph.schedule[l])
            if (!v.bus) pan_lanes[v.index].level = static_cast<uint32_t>(l);
    for (size_t k = 0; k < ns; ++k) {
        const StemSpec& spec = session.stems[stems_[k].index];
        const int64_t latency = graph.stem_output[k].latency_frames;
        pan_lanes[k].pan_lane = lanes_.add(spec.automation.pan, sample_rate_, latency);
        if (stems_[k].channels == 2) pan_lanes[k].width_lane = lanes_.add(spec.automation.width, sample_rate_, latency);
        pan_lanes[k].pan = static_cast<float>(spec.pan);
        pan_lanes[k].width = static_cast<float>(spec.width.value_or(1.0));
    }
    return assign(GainStage::create(*ctx_, sets, pan_lanes), gain_.emplace());
}

// The render schedule level by level (MixGraph::schedule). A level's buses
// are routing destinations [first, first + count), with one stage each for
// the level's delays, reverbs (one convolver of row pairs), EQs, compressors
// and choruses; its stems' compressors and choruses; and the sidechain paths
// of its keyed compressors (the key's rows copied, delayed, into the slot's
// detector rows and filtered there by the sidechain EQs; the own rows delayed
// in place by the signal delay). Then the routing tables: the destinations
// (every bus in level order, then the master), their edges and the buses'
// ring stores. Mix buffer rows: bus b's L at 2b·chunk, R at (2b+1)·chunk;
// the master's after the last bus.
Result<void> GpuMixer::build_levels(const Session& session, const MixGraph& graph, NodeDesigns& designs, std::vector<StemParams>& bus_params) {
    const size_t ns = stems_.size(), nb = bus_count_;
    const uint32_t sets = static_cast<uint32_t>(slots_.size());
    const uint32_t stride = static_cast<uint32_t>(chunk_);
    auto row_of = [&](size_t b) { return static_cast<uint32_t>(2 * b * static_cast<uint64_t>(chunk_)); };
    std::vector<GatherDest> dests;
    std::vector<GatherEdge> edges;
    std::vector<RingStore> stores;
    auto add_dest = [&](size_t d, uint32_t out_offset) {
        GatherDest gd{static_cast<uint32_t>(edges.size()), 0, out_offset, 0};
        for (const MixInputGroup& g : graph.destinations[d].groups)
            for (const MixEdge& e : g.edges) {
                const size_t v = node_of(e);
                GatherEdge& ge = edges.emplace_back(GatherEdge{ring_offset_[v], ring_frames_[v], static_cast<uint32_t>(g.delay_frames), e.gain});
                // Read after the compensation delay: the destination's latency behind the timeline.
                if (e.lane) ge.lane = lanes_.add(*e.lane, sample_rate_, graph.destinations[d].latency_frames);
            }
        gd.edge_count = static_cast<uint32_t>(edges.size()) - gd.edge_first;
        dests.push_back(gd);
    };
    bus_params.assign(std::max<size_t>(1, nb), StemParams{});
    delay_count_ = 0;
    compressor_count_ = 0;
    detector_floats_ = 0;
    for (const auto& level : graph.schedule) {
        Level L;
        L.first = static_cast<uint32_t>(dests.size());
        std::vector<DelayBinding> delays;
        std::vector<ReverbBinding> reverbs;
        std::vector<EqBinding> eqs, key_eqs;
        std::vector<CompressorBinding> comps, stem_comps;
        std::vector<ChorusBinding> choruses, stem_choruses;
        std::vector<SidechainRow> rows;
        // A keyed compressor's detector rows: the key's rows (or the own),
        // delayed by the key delay; the own rows delayed by the signal delay.
        auto sidechain = [&](const SidechainTiming& t, RowBuffer own_buffer, uint32_t own_offset, int own_channels, std::vector<double>& key_eq_taps,
                             CompressorBinding& cb) {
            RowBuffer src = own_buffer;
            uint32_t src_offset = own_offset;
            int key_channels = own_channels;
            if (!t.own && t.key.bus) src = RowBuffer::Mix, src_offset = row_of(t.key.index), key_channels = 2;
            else if (!t.own) src = RowBuffer::Stems, src_offset = stem_offsets_[t.key.index], key_channels = stems_[t.key.index].channels;
            const uint32_t det = detector_floats_;
            detector_floats_ += static_cast<uint32_t>(key_channels) * stride;
            for (int c = 0; c < key_channels; ++c)
                rows.push_back(SidechainRow{static_cast<uint32_t>(src), src_offset + static_cast<uint32_t>(c) * stride, static_cast<uint32_t>(RowBuffer::Detector),
                                            det + static_cast<uint32_t>(c) * stride, 0, 0, static_cast<uint32_t>(t.key_delay_frames), 0});
            if (t.signal_delay_frames > 0)
                for (int c = 0; c < own_channels; ++c) {
                    const uint32_t at = own_offset + static_cast<uint32_t>(c) * stride;
                    rows.push_back(SidechainRow{static_cast<uint32_t>(own_buffer), at, static_cast<uint32_t>(own_buffer), at, 0, 0,
                                                static_cast<uint32_t>(t.signal_delay_frames), 0});
                }
            if (!key_eq_taps.empty()) {
                EqBinding& eb = key_eqs.emplace_back();
                eb.taps = std::move(key_eq_taps);
                for (int c = 0; c < key_channels; ++c) eb.row_offsets.push_back(det + static_cast<uint32_t>(c) * stride);
            }
            cb.detector_offset = det;
            cb.detector_channels = static_cast<uint32_t>(key_channels);
        };
        for (const MixNode& v : level) {
            if (!v.bus) {
                const size_t k = v.index;
                L.has_stems = true;
                if (!processed_[k]) continue;
                const StemSpec& spec = session.stems[stems_[k].index];
                const auto& sc = graph.stem_sidechain[k];
                if (spec.compressor) {
                    CompressorBinding cb{static_cast<uint32_t>(k), compressor_coefficients(*spec.compressor, sample_rate_)};
                    if (sc) sidechain(*sc, RowBuffer::Stems, stem_offsets_[k], stems_[k].channels, designs.stem_key_eq[k], cb);
                    stem_comps.push_back(cb);
                }
                if (auto& c = designs.stem_chorus[k]) {
                    stem_choruses.push_back(*c);
                    if (sc) stem_choruses.back().offset_frames += sc->signal_delay_frames;  // its input lags the timeline by this too
                }
                continue;
            }
            const size_t b = v.index;
            const auto& sc = graph.bus_sidechain[b];
            add_dest(b, row_of(b));
            stores.push_back(bus_store(session.buses[b], row_of(b), ring_offset_[ns + b], ring_frames_[ns + b], graph.bus_output[b].latency_frames,
                                       lanes_, sample_rate_));
            bus_params[b].data_offset = row_of(b);
            bus_params[b].channels = 2;
            bus_params[b].enabled = 1;
            const uint32_t left = row_of(b), right = row_of(b) + stride;
            if (designs.bus_delay[b]) delays.push_back(DelayBinding{left, std::move(*designs.bus_delay[b])});
            if (designs.bus_reverb[b]) reverbs.push_back(ReverbBinding{std::move(*designs.bus_reverb[b]), left, right});
            if (!designs.bus_eq[b].empty()) eqs.push_back(EqBinding{std::move(designs.bus_eq[b]), {left, right}});
            if (session.buses[b].compressor) {
                CompressorBinding cb{static_cast<uint32_t>(b), compressor_coefficients(*session.buses[b].compressor, sample_rate_)};
                if (sc) sidechain(*sc, RowBuffer::Mix, left, 2, designs.bus_key_eq[b], cb);
                comps.push_back(cb);
            }
            if (auto& c = designs.bus_chorus[b]) {
                choruses.push_back(*c);
                // Its input lags the timeline by the bus's input latency and a sidechain's signal delay too.
                choruses.back().offset_frames += graph.destinations[b].latency_frames + (sc ? sc->signal_delay_frames : 0);
            }
        }
        L.count = static_cast<uint32_t>(dests.size()) - L.first;
        if (!delays.empty()) {
            auto delay = DelayStage::create(*ctx_, sets, delays);
            if (!delay) return fail(delay.error().code, "bus delay on the GPU: " + delay.error().message);
            delay_count_ += delay->count();
            L.delay = std::move(*delay);
        }
        if (!reverbs.empty()) {
            auto reverb = ReverbStage::create(*ctx_, *plans_, std::move(reverbs), chunk_, sets);
            if (!reverb) return fail(reverb.error().code, "bus reverb on the GPU: " + reverb.error().message);
            L.reverb = std::move(*reverb);
        }
        if (!eqs.empty()) {
            auto eq = EqStage::create(*ctx_, *plans_, std::move(eqs), chunk_, sets);
            if (!eq) return fail(eq.error().code, "bus EQ on the GPU: " + eq.error().message);
            L.eq = std::move(*eq);
        }
        if (!rows.empty())
            if (auto ok = assign(SidechainStage::create(*ctx_, sets, std::move(rows), chunk_), L.sidechain.emplace()); !ok) return ok;
        if (!key_eqs.empty()) {
            auto eq = EqStage::create(*ctx_, *plans_, std::move(key_eqs), chunk_, sets);
            if (!eq) return fail(eq.error().code, "sidechain EQ on the GPU: " + eq.error().message);
            L.sidechain_eq = std::move(*eq);
        }
        compressor_count_ += comps.size() + stem_comps.size();
        if (!stem_comps.empty())
            if (auto ok = assign(CompressorStage::create(*ctx_, sets, stem_comps), L.stem_compressor.emplace()); !ok) return ok;
        if (!comps.empty())
            if (auto ok = assign(CompressorStage::create(*ctx_, sets, comps), L.compressor.emplace()); !ok) return ok;
        if (!stem_choruses.empty())
            if (auto ok = assign(ChorusStage::create(*ctx_, sets, stem_choruses, chunk_), L.stem_chorus.emplace()); !ok) return ok;
        if (!choruses.empty())
            if (auto ok = assign(ChorusStage::create(*ctx_, sets, choruses, chunk_), L.chorus.emplace()); !ok) return ok;
        levels_.push_back(std::move(L));
    }
    add_dest(nb, row_of(nb));
    edge_count_ = edges.size();
    return assign(RoutingStage::create(*ctx_, sets, dests, edges, stores), routing_.emplace());
}

// The shared buffers (rings, bus parameters) and each slot's buffers, then
// every stage's descriptor sets pointed at them.
Result<void> GpuMixer::allocate_slots(const std::vector<StemParams>& bus_params) {
    const VkBufferUsageFlags storage = VK_BUFFER_USAGE_STORAGE_BUFFER_BIT;
    if (auto ok = assign(ctx_->create_buffer(sizeof(float) * std::max<uint64_t>(1, ring_floats_), storage, MemoryUse::Device, "node rings"), rings_); !ok)
        return ok;
    rings_need_reset_ = true;
    if (auto ok = assign(ctx_->create_buffer(sizeof(StemParams) * bus_params.size(), storage, MemoryUse::Upload, "bus parameters"), bus_params_); !ok)
        return ok;
    std::memcpy(bus_params_.mapped(), bus_params.data(), sizeof(StemParams) * bus_params.size());

    const size_t ns = stems_.size();
    const bool unified = ctx_->unified_memory();
    stats_ = {};
    stats_.chunk_frames = chunk_;
    const VkDeviceSize stem_bytes = sizeof(float) * std::max(1u, total_channels_) * static_cast<VkDeviceSize>(chunk_);
    const VkDeviceSize mix_bytes = sizeof(float) * 2 * (bus_count_ + 1ull) * static_cast<VkDeviceSize>(chunk_);
    const VkDeviceSize master_bytes = sizeof(float) * 2 * static_cast<VkDeviceSize>(chunk_);
    for (uint32_t i = 0; i < slots_.size(); ++i) {
        Slot& s = slots_[i];
        s = Slot{};
        const std::string tag = " [slot " + std::to_string(i) + "]";
        if (auto ok = assign(ctx_->create_command_slot(), s.commands); !ok) return ok;
        if (auto ok = assign(ctx_->create_buffer(stem_bytes, storage, MemoryUse::Device, "stems" + tag), s.stems); !ok) return ok;
        if (auto ok = assign(ctx_->create_buffer(sizeof(StemParams) * std::max<size_t>(1, ns), storage, MemoryUse::Upload, "stem parameters" + tag), s.params); !ok)
            return ok;
        if (auto ok = assign(ctx_->create_buffer(4 * sizeof(float) * std::max<size_t>(1, automation_points_), storage, MemoryUse::Upload, "automation" + tag),
                             s.automation);
            !ok)
            return ok;
        if (auto ok = assign(ctx_->create_buffer(mix_bytes, storage, MemoryUse::Device, "mix" + tag), s.mix); !ok) return ok;
        if (!unified) {
            if (auto ok = assign(ctx_->create_buffer(stem_bytes, 0, MemoryUse::Upload, "stem staging" + tag), s.stems_upload); !ok) return ok;
            if (auto ok = assign(ctx_->create_buffer(master_bytes, 0, MemoryUse::Readback, "master readback" + tag), s.master_readback); !ok) return ok;
        }
        if (auto ok = assign(ctx_->create_buffer(sizeof(float) * std::max<uint64_t>(1, detector_floats_), storage, MemoryUse::Device, "sidechain detector" + tag),
                             s.detector);
            !ok)
            return ok;
        if (auto ok = assign(GpuTimer::create(*ctx_, static_cast<uint32_t>(8 + 6 * levels_.size())), s.timer); !ok) return ok;
        if (auto ok = assign(ctx_->create_buffer(sizeof(LaneWindow) * std::max<size_t>(1, lanes_.size()), storage, MemoryUse::Upload, "lane windows" + tag),
                             s.lane_windows);
            !ok)
            return ok;
        if (auto ok = assign(ctx_->create_buffer(sizeof(LanePiece) * std::max<size_t>(1, lanes_.max_pieces()), storage, MemoryUse::Upload, "lane pieces" + tag),
                             s.lane_pieces);
            !ok)
            return ok;
        gain_->bind(i, s.stems.get(), s.params.get(), s.automation.get(), rings_.get(), s.lane_windows.get(), s.lane_pieces.get());
        routing_->bind(i, s.mix.get(), rings_.get(), s.lane_windows.get(), s.lane_pieces.get());
        if (eq_) eq_->bind_io(s.stems.get(), i);
        for (Level& L : levels_) {
            if (L.delay) L.delay->bind(i, s.mix.get());
            if (L.reverb) L.reverb->bind_io(s.mix.get(), i);
            if (L.eq) L.eq->bind_io(s.mix.get(), i);
            if (L.sidechain) L.sidechain->bind(i, s.stems.get(), s.mix.get(), s.detector.get());
            if (L.sidechain_eq) L.sidechain_eq->bind_io(s.detector.get(), i);
            if (L.stem_compressor) L.stem_compressor->bind(i, s.stems.get(), s.params.get(), s.detector.get());
            if (L.compressor) L.compressor->bind(i, s.mix.get(), bus_params_.get(), s.detector.get());
            if (L.stem_chorus) L.stem_chorus->bind(i, s.stems.get(), s.params.get());
            if (L.chorus) L.chorus->bind(i, s.mix.get(), bus_params_.get());
        }
    }
    stats_.device_bytes = ctx_->allocated_bytes();
    return {};
}

namespace {
void count_fft(const FftConvolver& conv, GpuMixerStats& st) {
    const double n = static_cast<double>(conv.fft_size());
    st.fft_points += 2ull * conv.rows() * static_cast<uint64_t>(conv.fft_size());
    st.fft_flops += 2.0 * conv.rows() * 2.5 * n * std::log2(n);
}

// Per row of a convolver record of `frames`: load (read frames, write N),
// forward FFT (read + write N), kernel spectrum (read N) and product
// (read + write N), inverse FFT (read + write N), store (read + write frames).
template <class Stage>
uint64_t convolver_traffic(const std::optional<Stage>& stage, uint64_t frames) {
    if (!stage) return 0;
    const FftConvolver& conv = stage->convolver();
    return sizeof(float) * conv.rows() * (8ull * static_cast<uint64_t>(conv.fft_size()) + 3 * frames);
}
}  // namespace

uint64_t GpuMixer::minimum_traffic_bytes(uint64_t frames) const {
    const uint64_t f = sizeof(float) * frames;  // one channel of the chunk
    uint64_t bytes = 2 * f * total_channels_;   // clip gain: read + write
    bytes += f * total_channels_ + 2 * f * stems_.size();  // pan: read the stems, write the rings
    bytes += convolver_traffic(eq_, frames);
    bytes += 2 * 2 * f * compressor_count_;     // compressors: read + write, stereo at most
    bytes += 4 * f * chorus_channels_;          // choruses: history in (read + write), voices (read the history, write)
    bytes += 2 * 2 * f * delay_count_;          // delays: the bus rows, read + write
    bytes += 2 * 2 * sizeof(double) * frames * delay_count_;  // their two lines, in double: read + write
    bytes += 2 * f * edge_count_ + 2 * f * (bus_count_ + 1);  // sums: read every edge, write every destination
    bytes += 2 * 2 * f * bus_count_;            // bus stores: read the mix rows, write the rings
    for (const Level& L : levels_) {
        bytes += convolver_traffic(L.reverb, frames) + convolver_traffic(L.eq, frames) + convolver_traffic(L.sidechain_eq, frames);
        if (L.sidechain) bytes += 2 * sizeof(float) * L.sidechain->ring_floats();  // rows in and out of their rings (at least)
    }
    return bytes;
}

Result<void> GpuMixer::submit_chunk(Slot& s, uint32_t set, int64_t chunk_start, int64_t offset, int64_t n, std::span<const AudioBuffer> inputs) {
    const bool unified = ctx_->unified_memory();
    auto* params = static_cast<StemParams*>(s.params.mapped());
    float* dst = unified ? s.stems.floats() : s.stems_upload.floats();
    std::vector<VkBufferCopy>& regions = s.regions;
    regions.clear();
    s.points.clear();
    for (size_t k = 0; k < stems_.size(); ++k) {
        const StemPlan& sp = stems_[k];
        // A keyed stem runs on every chunk (its detector follows the key from time 0), as on the CPU.
        const bool enabled = processed_[k] && (always_enabled_[k] || (chunk_start < sp.end_frames() + eq_tail_frames_[k] + chorus_tail_frames_[k] &&
                                                                       chunk_start + n > sp.start_frames));
        params[k] = stem_params(gain_designs_[k], sample_rate_, chunk_start, stem_offsets_[k], enabled, s.points);
        params[k].ring_offset = ring_offset_[k];
        params[k].ring_frames = ring_frames_[k];
        // EQ rows are convolved every chunk (their history must stay exact),
        // so they are always uploaded: zeros outside the stem, never stale data.
        if (!enabled && eq_tail_frames_[k] == 0) continue;
        for (int c = 0; c < sp.channels; ++c) {
            const VkDeviceSize at = stem_offsets_[k] + static_cast<VkDeviceSize>(c) * static_cast<VkDeviceSize>(chunk_);
            std::memcpy(dst + at, inputs[k].channel(c) + offset, sizeof(float) * static_cast<size_t>(n));
            regions.push_back({at * sizeof(float), at * sizeof(float), sizeof(float) * static_cast<VkDeviceSize>(n)});
            stats_.bytes_uploaded += sizeof(float) * static_cast<uint64_t>(n);
        }
    }
    if (!s.points.empty()) std::memcpy(s.automation.mapped(), s.points.data(), s.points.size() * sizeof(float));
    stats_.bytes_uploaded += sizeof(StemParams) * stems_.size() + s.points.size() * sizeof(float);
    if (lanes_.size() > 0) {
        const size_t pieces = lanes_.fill(chunk_start, n, static_cast<LaneWindow*>(s.lane_windows.mapped()), static_cast<LanePiece*>(s.lane_pieces.mapped()));
        stats_.bytes_uploaded += sizeof(LaneWindow) * lanes_.size() + sizeof(LanePiece) * pieces;
    }

    VkCommandBuffer cmd = s.commands.cmd;
    vkResetCommandBuffer(cmd, 0);
    auto bi = vk_struct<VkCommandBufferBeginInfo>(VK_STRUCTURE_TYPE_COMMAND_BUFFER_BEGIN_INFO);
    bi.flags = VK_COMMAND_BUFFER_USAGE_ONE_TIME_SUBMIT_BIT;
    if (VkResult r = vkBeginCommandBuffer(cmd, &bi); r != VK_SUCCESS) return std::unexpected(vk_error(r, "vkBeginCommandBuffer"));
    s.timer.begin(cmd);
    if (rings_need_reset_) {  // silence before the timeline starts
        vkCmdFillBuffer(cmd, rings_.get(), 0, VK_WHOLE_SIZE, 0);
        rings_need_reset_ = false;
    }
    if (!unified && !regions.empty())
        vkCmdCopyBuffer(cmd, s.stems_upload.get(), s.stems.get(), static_cast<uint32_t>(regions.size()), regions.data());
    compute_barrier(cmd);
    s.timer.mark(cmd, "upload");
    const uint32_t frames = static_cast<uint32_t>(n), stride = static_cast<uint32_t>(chunk_), t = static_cast<uint32_t>(chunk_start);
    const GainPush push{frames, stride, t, static_cast<uint32_t>(stems_.size())};
    if (!stems_.empty()) {
        gain_->record_clip(cmd, set, push);
        compute_barrier(cmd);
        s.timer.mark(cmd, "clip_gain");
        if (eq_) {
            if (auto ok = eq_->record(cmd, frames, set); !ok) return ok;  // ends with a barrier
            count_fft(eq_->convolver(), stats_);
            s.timer.mark(cmd, "stem_eq");
        }
    }
    for (uint32_t l = 0; l < levels_.size(); ++l) {
        Level& L = levels_[l];
        if (L.count > 0) {  // the level's buses up to their compressors
            routing_->record_gather(cmd, set, L.first, L.count, frames, stride, t);
            compute_barrier(cmd);
            if (L.delay) L.delay->record(cmd, set, frames, stride, t);  // ends with a barrier
            if (L.reverb) {
                if (auto ok = L.reverb->record(cmd, frames, set); !ok) return ok;
                count_fft(L.reverb->convolver(), stats_);
            }
            if (L.eq) {
                if (auto ok = L.eq->record(cmd, frames, set); !ok) return ok;
                count_fft(L.eq->convolver(), stats_);
            }
        }
        if (L.sidechain) {
            L.sidechain->record(cmd, set, frames, t);  // ends with a barrier
            if (L.sidechain_eq) {
                if (auto ok = L.sidechain_eq->record(cmd, frames, set); !ok) return ok;
                count_fft(L.sidechain_eq->convolver(), stats_);
            }
            s.timer.mark(cmd, "sidechain");
        }
        if (L.stem_compressor) {
            L.stem_compressor->record(cmd, set, frames, stride);  // ends with a barrier
            s.timer.mark(cmd, "stem_compressor");
        }
        if (L.stem_chorus) {
            L.stem_chorus->record(cmd, set, frames, stride, t);  // ends with a barrier
            s.timer.mark(cmd, "stem_chorus");
        }
        if (L.has_stems) {
            gain_->record_pan(cmd, set, push, l);
            compute_barrier(cmd);
            s.timer.mark(cmd, "pan");
        }
        if (L.count > 0) {
            if (L.compressor) L.compressor->record(cmd, set, frames, stride);
            if (L.chorus) L.chorus->record(cmd, set, frames, stride, t);
            routing_->record_store(cmd, set, L.first, L.count, frames, stride, t);
            compute_barrier(cmd);
            s.timer.mark(cmd, "buses");
        }
    }
    routing_->record_gather(cmd, set, bus_count_, 1, frames, stride, t);
    s.timer.mark(cmd, "master_sum");
    const VkDeviceSize master_at = sizeof(float) * 2 * bus_count_ * static_cast<VkDeviceSize>(chunk_);
    if (!unified) {
        compute_barrier(cmd);
        const VkDeviceSize bytes = sizeof(float) * static_cast<VkDeviceSize>(n), right = sizeof(float) * static_cast<VkDeviceSize>(chunk_);
        const VkBufferCopy out[2] = {{master_at, 0, bytes}, {master_at + right, right, bytes}};
        vkCmdCopyBuffer(cmd, s.mix.get(), s.master_readback.get(), 2, out);
        s.timer.mark(cmd, "download");
    }
    s.timer.end(cmd);
    host_read_barrier(cmd);
    if (VkResult r = vkEndCommandBuffer(cmd); r != VK_SUCCESS) return std::unexpected(vk_error(r, "vkEndCommandBuffer"));
    s.chunk_frames = n;
    if (auto ok = ctx_->submit(s.commands); !ok) return ok;
    ++stats_.submissions;
    stats_.device_traffic_bytes += minimum_traffic_bytes(static_cast<uint64_t>(n));
    return {};
}

Result<void> GpuMixer::finish_chunk(Slot& s) {
    if (!s.commands.pending) return {};
    if (auto ok = ctx_->wait(s.commands); !ok) return ok;
    if (auto ok = s.timer.collect(); !ok) return ok;
    const float* src = ctx_->unified_memory() ? s.mix.floats() + 2 * static_cast<size_t>(bus_count_) * static_cast<size_t>(chunk_)
                                              : s.master_readback.floats();
    // Into the FIFO of finished master frames (a ring), in submission order.
    const int64_t capacity = fifo_.frames();
    assert(fifo_size_ + s.chunk_frames <= capacity);
    for (int c = 0; c < 2; ++c) {
        const float* from = src + static_cast<size_t>(c) * static_cast<size_t>(chunk_);
        float* ring = fifo_.channel(c);
        for (int64_t i = 0, at = (fifo_read_ + fifo_size_) % capacity; i < s.chunk_frames; ++i, at = at + 1 == capacity ? 0 : at + 1) ring[at] = from[i];
    }
    fifo_size_ += s.chunk_frames;
    stats_.bytes_downloaded += 2 * sizeof(float) * static_cast<uint64_t>(s.chunk_frames);
    return {};
}

Result<void> GpuMixer::process(int64_t block_start, int64_t frames, std::span<const AudioBuffer> inputs, AudioBuffer& master) {
    assert(gain_ && "process() before prepare()");
    assert(inputs.size() == stems_.size() && master.channels() == 2 && master.frames() >= frames && frames <= pipeline_frames_);
    // Submit this block's chunks, reusing a slot only once its previous chunk is done.
    for (int64_t offset = 0; offset < frames;) {
        const int64_t n = std::min(chunk_, frames - offset);
        Slot& s = slots_[next_slot_];
        if (auto ok = finish_chunk(s); !ok) return ok;
        if (auto ok = submit_chunk(s, static_cast<uint32_t>(next_slot_), block_start + offset, offset, n, inputs); !ok) return ok;
        offset += n;
        next_slot_ ^= 1;
    }
    // Hand back `frames` frames one block late (pipeline_frames_ of latency):
    // wait only for the oldest submissions, so this block's chunks keep the
    // GPU busy while the renderer exports and decodes.
    for (size_t i = 0; i < slots_.size() && fifo_size_ < frames; ++i)
        if (auto ok = finish_chunk(slots_[(next_slot_ + i) % slots_.size()]); !ok) return ok;
    assert(fifo_size_ >= frames);
    const int64_t capacity = fifo_.frames();
    for (int c = 0; c < 2; ++c) {
        const float* ring = fifo_.channel(c);
        float* out = master.channel(c);
        for (int64_t i = 0, at = fifo_read_; i < frames; ++i, at = at + 1 == capacity ? 0 : at + 1) out[i] = ring[at];
    }
    fifo_read_ = (fifo_read_ + frames) % capacity;
    fifo_size_ -= frames;
    return {};
}

}  // namespace sf::gpu
