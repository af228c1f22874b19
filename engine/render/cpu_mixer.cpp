#include "engine/render/cpu_mixer.h"

#include <algorithm>
#include <map>
#include <thread>

#include <tbb/parallel_for.h>

#include "engine/dsp/reverb.h"

namespace sf {

CpuMixer::CpuMixer() = default;
CpuMixer::~CpuMixer() = default;

std::string CpuMixer::device() const {
    return "CPU reference (" + std::to_string(std::max(1u, std::thread::hardware_concurrency())) + " threads)";
}

namespace {

std::string stem_path(size_t i) { return "stems[" + std::to_string(i) + "]"; }
std::string bus_path(size_t i) { return "buses[" + std::to_string(i) + "]"; }

// An EQ as a convolver on `channels` channels; nullopt when it is the
// identity. `path`: the EQ block's JSON path, for messages.
Result<std::optional<FftConvolver>> make_eq(RenderCache* cache, const EqSpec& spec, int channels, int rate, const std::string& path,
                                            NodeTiming& chain) {
    auto d = cached_eq_design(cache, spec, rate);
    if (!d) return fail(d.error().code, path + ": " + d.error().message);
    if ((*d)->identity()) return std::optional<FftConvolver>{};
    const int64_t taps = static_cast<int64_t>((*d)->taps.size());
    auto c = FftConvolver::create(diagonal_kernels(channels, (*d)->taps));
    if (!c) return fail(c.error().code, path + ": " + c.error().message);
    chain.latency_frames += c->latency_frames() + (*d)->latency_frames;
    chain.extent_frames += c->latency_frames() + taps - 1;
    return std::optional<FftConvolver>(std::move(*c));
}

// A chorus after the chain so far: its input lags the timeline by the
// chain's latency until then; it adds its own latency and tail.
void add_chorus(const ChorusSpec& spec, int channels, int rate, NodeTiming& chain, std::optional<Chorus>& chorus, int64_t& offset_frames) {
    chorus.emplace(spec, rate, channels);
    offset_frames = chain.latency_frames;
    chain.latency_frames += chorus->latency_frames();
    chain.latency_after_compressor_frames += chorus->latency_frames();  // the chorus follows the compressor
    chain.extent_frames += chorus->latency_frames() + chorus->tail_frames();
}

void add_scaled(const AudioBuffer& src, float gain, int64_t frames, AudioBuffer& dst) {
    for (int c = 0; c < 2; ++c) {
        const float* s = src.channel(c);
        float* d = dst.channel(c);
        for (int64_t i = 0; i < frames; ++i) d[i] += gain * s[i];
    }
}

}  // namespace

// The detector path of a compressor with a sidechain or a sidechain EQ;
// `detector_channels`: the key's channels (or the node's own). The delays
// are set once the graph has aligned key and signal.
Result<void> CpuMixer::make_sidechain(const CompressorSpec& spec, int detector_channels, int rate, int64_t block,
                                      const std::string& path, std::optional<Sidechain>& out, NodeTiming& chain) {
    if (spec.sidechain.empty() && !spec.sidechain_eq) return {};
    // (from a temporary: clang 16 judges the nested struct not default-
    // constructible while CpuMixer, which holds optional<Sidechain>, is incomplete)
    Sidechain& sc = out.emplace(Sidechain{});
    sc.channels = detector_channels;
    sc.detector.resize(detector_channels, block);
    sc.filtered.resize(detector_channels, block);
    if (spec.sidechain_eq) {
        NodeTiming eq_timing;
        EqSpec eq = *spec.sidechain_eq;
        auto c = make_eq(cache_, eq, detector_channels, rate, path + ".compressor.sidechain_eq", eq_timing);
        if (!c) return std::unexpected(c.error());
        sc.eq = std::move(*c);
        chain.key_eq_latency_frames = eq_timing.latency_frames;
    }
    return {};
}

Result<void> CpuMixer::prepare(const Session& session, RenderPlan& plan) {
    session_ = &session;
    cache_ = plan.cache;
    stem_taps_ = nullptr;
    block_frames_ = plan.block_frames;
    const int rate = plan.sample_rate;
    const int64_t block = plan.block_frames;
    const size_t nb = session.buses.size();
    // A key's channel count: a stem's own, a bus's two.
    std::map<std::string, int> key_channels;
    for (const StemPlan& sp : plan.stems) key_channels[session.stems[sp.index].name] = sp.channels;
    for (const BusSpec& b : session.buses) key_channels[b.name] = 2;
    auto detector_channels = [&](const CompressorSpec& c, int own) { return c.sidechain.empty() ? own : key_channels.at(c.sidechain); };

    // ---- stems: designs in parallel (FFTW planning is serialised inside) ----
    stems_.clear();
    stems_.resize(plan.stems.size());
    std::vector<std::optional<Error>> errors(plan.stems.size());
    tbb::parallel_for(size_t{0}, plan.stems.size(), [&](size_t k) {
        const StemPlan& sp = plan.stems[k];
        const StemSpec& spec = session.stems[sp.index];
        StemState& st = stems_[k];
        st.spec = &spec;
        st.plan = &sp;
        st.clip = std::make_unique<ClipGain>(spec, rate, sp.start_frames, sp.length_frames);
        st.pan_width.emplace(spec, sp.channels, rate, block);
        st.clip_gain.resize(static_cast<size_t>(block));
        st.work.resize(sp.channels, block);
        st.eq_out.resize(sp.channels, block);
        st.pre.resize(2, block);
        if (spec.eq) {
            auto eq = make_eq(cache_, *spec.eq, sp.channels, rate, stem_path(sp.index) + ".eq", st.chain);
            if (!eq) {
                errors[k] = eq.error();
                return;
            }
            st.eq = std::move(*eq);
        }
        if (spec.chorus) add_chorus(*spec.chorus, sp.channels, rate, st.chain, st.chorus, st.chorus_offset_frames);
        st.active_after_end_frames = st.chain.extent_frames + (st.eq ? st.eq->hop_frames() : 0);
        if (spec.compressor) {
            st.compressor.emplace(*spec.compressor, rate);
            if (auto ok = make_sidechain(*spec.compressor, detector_channels(*spec.compressor, sp.channels), rate, block,
                                         stem_path(sp.index), st.sidechain, st.chain);
                !ok) {
                errors[k] = ok.error();
                return;
            }
        }
    });
    for (auto& e : errors)
        if (e) return std::unexpected(*e);

    // ---- buses ----
    buses_.clear();
    buses_.resize(nb);
    std::vector<std::optional<Error>> bus_errors(nb);
    tbb::parallel_for(size_t{0}, nb, [&](size_t b) {
        const BusSpec& spec = session.buses[b];
        BusState& bs = buses_[b];
        bs.spec = &spec;
        bs.fader.emplace(spec, rate, block);
        bs.in.resize(2, block);
        bs.tmp.resize(2, block);
        bs.out.resize(2, block);
        if (spec.delay) {
            auto d = design_delay(*spec.delay, session.tempo_bpm, rate, bus_path(b) + ".delay");
            if (!d) {
                bus_errors[b] = d.error();
                return;
            }
            bs.chain.extent_frames += d->tail_frames;  // latency 0
            bs.delay.emplace(*d);
        }
        if (spec.reverb) {
            auto k = cached_reverb(cache_, *spec.reverb, rate, bus_path(b) + ".reverb");
            if (!k) {
                bus_errors[b] = k.error();
                return;
            }
            const int64_t len = (*k)->length();
            auto c = FftConvolver::create(**k);
            if (!c) {
                bus_errors[b] = Error{c.error().code, bus_path(b) + ".reverb: " + c.error().message, 0};
                return;
            }
            bs.chain.latency_frames += c->latency_frames();
            bs.chain.extent_frames += c->latency_frames() + len - 1;
            bs.reverb = std::move(*c);
        }
        if (spec.eq) {
            auto eq = make_eq(cache_, *spec.eq, 2, rate, bus_path(b) + ".eq", bs.chain);
            if (!eq) {
                bus_errors[b] = eq.error();
                return;
            }
            bs.eq = std::move(*eq);
        }
        if (spec.compressor) {
            bs.compressor.emplace(*spec.compressor, rate);
            if (auto ok = make_sidechain(*spec.compressor, detector_channels(*spec.compressor, 2), rate, block, bus_path(b),
                                         bs.sidechain, bs.chain);
                !ok) {
                bus_errors[b] = ok.error();
                return;
            }
        }
        if (spec.chorus) add_chorus(*spec.chorus, 2, rate, bs.chain, bs.chorus, bs.chorus_offset_frames);
    });
    for (auto& e : bus_errors)
        if (e) return std::unexpected(*e);

    // ---- routing and latency compensation ----
    std::vector<NodeTiming> stem_chain, bus_chain;
    for (const StemState& st : stems_) stem_chain.push_back(st.chain);
    for (const BusState& bs : buses_) bus_chain.push_back(bs.chain);
    graph_ = build_mix_graph(session, plan, stem_chain, bus_chain);
    auto align = [](std::optional<Sidechain>& sc, const std::optional<SidechainTiming>& timing, int own_channels) {
        if (!sc) return;
        sc->timing = *timing;
        sc->key_delay = DelayLine(sc->channels, timing->key_delay_frames);
        sc->signal_delay = DelayLine(own_channels, timing->signal_delay_frames);
    };
    for (size_t k = 0; k < stems_.size(); ++k) align(stems_[k].sidechain, graph_.stem_sidechain[k], plan.stems[k].channels);
    for (size_t b = 0; b < nb; ++b) align(buses_[b].sidechain, graph_.bus_sidechain[b], 2);
    // A chorus's input lags the timeline by everything before it: a bus's
    // input latency, and a sidechain's signal delay before the compressor.
    for (size_t b = 0; b < nb; ++b) buses_[b].chorus_offset_frames += graph_.destinations[b].latency_frames;
    for (size_t k = 0; k < stems_.size(); ++k)
        if (graph_.stem_sidechain[k]) stems_[k].chorus_offset_frames += graph_.stem_sidechain[k]->signal_delay_frames;
    for (size_t b = 0; b < nb; ++b)
        if (graph_.bus_sidechain[b]) buses_[b].chorus_offset_frames += graph_.bus_sidechain[b]->signal_delay_frames;
    groups_.assign(graph_.destinations.size(), {});
    for (size_t d = 0; d < graph_.destinations.size(); ++d)
        for (const MixInputGroup& g : graph_.destinations[d].groups) {
            GroupState gs;
            gs.delay = DelayLine(2, g.delay_frames);
            gs.sum.resize(2, block);
            for (const MixEdge& e : g.edges) {
                gs.lanes.emplace_back();
                if (e.lane) gs.lanes.back().emplace(*e.lane, rate, e.gain);
            }
            if (std::any_of(gs.lanes.begin(), gs.lanes.end(), [](const auto& l) { return l.has_value(); })) {
                gs.lane_scratch.resize(static_cast<size_t>(block));
                gs.lane_gains.resize(static_cast<size_t>(block));
            }
            groups_[d].push_back(std::move(gs));
        }
    plan.latency_frames = graph_.master().latency_frames;
    // Extend only (MixBackend contract): a caller may already ask for a longer
    // render (e.g. silence past the content); shrinking it would leave the
    // caller's buffers sized for the old length partly unwritten.
    plan.total_frames = std::max(plan.total_frames, graph_.total_frames(plan.content_frames));
    if (cache_ && plan.stem_signals_allowed) attach_stem_signals(session, plan);
    return {};
}

// The blocks a render from frame 0 runs a stem in are the ones process_stem
// finds active (a stem without a detector path: its extent plus a hop);
// a stored signal must cover them all, else the stem is computed (and its
// signal stored when the cache has room).
void CpuMixer::attach_stem_signals(const Session& session, RenderPlan& plan) {
    const std::vector<std::string> keys = stem_signal_keys(session, plan.block_frames);
    const int64_t block = plan.block_frames, timeline_end = plan.total_frames + plan.latency_frames;
    for (size_t k = 0; k < stems_.size(); ++k) {
        StemState& st = stems_[k];
        StemPlan& sp = plan.stems[k];
        st.signal_key = st.sidechain ? std::string() : keys[sp.index];
        if (st.signal_key.empty() || !(sp.audible || graph_.stem_is_key[k])) continue;
        int64_t first = -1, end = -1;
        for (int64_t b = 0; b < timeline_end; b += block) {
            const int64_t n = std::min(block, timeline_end - b);
            if (b < sp.end_frames() + st.active_after_end_frames && b + n > sp.start_frames) {
                if (first < 0) first = b;
                end = b + n;
            }
        }
        if (first < 0) continue;
        auto hit = cache_->find_stem_signal(st.signal_key);
        if (hit && hit->first_frame == first && hit->first_frame + hit->audio.frames() >= end && hit->audio.channels() == sp.channels) {
            st.cached_signal = std::move(hit);
            sp.input_unused = true;
        } else if (cache_->fits(static_cast<size_t>(sp.channels) * static_cast<size_t>(end - first) * sizeof(float))) {
            st.filling = std::make_shared<StemSignal>();
            st.filling->first_frame = first;
            st.filling->audio.resize(sp.channels, end - first);
        }
    }
}

// Sums a destination's inputs for this block: per delay class, the edges in
// fixed order, then the class delayed; classes in ascending delay order.
void CpuMixer::gather(size_t dest, int64_t block_start, int64_t frames, AudioBuffer& out) {
    for (int c = 0; c < 2; ++c) std::fill_n(out.channel(c), frames, 0.0f);
    const auto& groups = graph_.destinations[dest].groups;
    const int64_t dest_latency = graph_.destinations[dest].latency_frames;
    for (size_t j = 0; j < groups.size(); ++j) {
        const MixInputGroup& group = groups[j];
        GroupState& gs = groups_[dest][j];
        AudioBuffer& sum = group.delay_frames ? gs.sum : out;
        if (group.delay_frames)
            for (int c = 0; c < 2; ++c) std::fill_n(sum.channel(c), frames, 0.0f);
        for (size_t k = 0; k < group.edges.size(); ++k) {
            const MixEdge& e = group.edges[k];
            const AudioBuffer* src = e.from_bus ? &buses_[e.source].out : stems_[e.source].active ? &stems_[e.source].pre : nullptr;
            if (!src) continue;
            if (!gs.lanes[k]) {
                add_scaled(*src, e.gain, frames, sum);
                continue;
            }
            // Before the group's delay: timeline frame = block frame − (dest latency − delay).
            std::span<float> gains(gs.lane_gains.data(), static_cast<size_t>(frames));
            gs.lanes[k]->compute(block_start - (dest_latency - group.delay_frames), gs.lane_scratch, gains);
            for (int c = 0; c < 2; ++c) {
                const float* sc = src->channel(c);
                float* d = sum.channel(c);
                for (int64_t i = 0; i < frames; ++i) d[i] += gains[static_cast<size_t>(i)] * sc[i];
            }
        }
        if (group.delay_frames) {
            float* ch[] = {sum.channel(0), sum.channel(1)};
            gs.delay.process(ch, frames);  // every block, even silent ones: the delay line must advance
            add_scaled(sum, 1.0f, frames, out);
        }
    }
}

// Copies the detector's source for this block (zeros when the key node was
// silent), filters it, delays it, and delays the node's own signal: after
// this, detector frame i and signal frame i belong to one timeline frame.
void CpuMixer::run_detector(Sidechain& sc, AudioBuffer& signal, int channels, int64_t frames) {
    const AudioBuffer* source = &signal;
    if (!sc.timing.own) source = sc.timing.key.bus ? buses_[sc.timing.key.index].tap : stems_[sc.timing.key.index].tap;
    for (int c = 0; c < sc.channels; ++c) {
        float* d = sc.detector.channel(c);
        if (source) std::copy_n(source->channel(std::min(c, source->channels() - 1)), frames, d);
        else std::fill_n(d, frames, 0.0f);
    }
    AudioBuffer* det = &sc.detector;
    if (sc.eq) {
        const float* in[2] = {sc.detector.channel(0), sc.detector.channel(sc.channels - 1)};
        float* out[2] = {sc.filtered.channel(0), sc.filtered.channel(sc.channels - 1)};
        sc.eq->process(in, out, frames);
        det = &sc.filtered;
    }
    float* dch[2] = {det->channel(0), det->channel(sc.channels - 1)};
    sc.key_delay.process(dch, frames);
    float* sch[2] = {signal.channel(0), signal.channel(channels - 1)};
    sc.signal_delay.process(sch, frames);
    if (det != &sc.detector)
        for (int c = 0; c < sc.channels; ++c) std::copy_n(det->channel(c), frames, sc.detector.channel(c));
}

void CpuMixer::process_stem(size_t k, int64_t block_start, int64_t frames, const AudioBuffer& input) {
    StemState& st = stems_[k];
    const StemPlan& sp = *st.plan;
    st.tap = nullptr;
    // Active while the source plays or the stem's own chain still rings
    // out; a keyed stem on every block (its detector follows the key).
    const bool heard = sp.audible || graph_.stem_is_key[k];
    st.active = heard && (st.sidechain || (block_start < sp.end_frames() + st.active_after_end_frames && block_start + frames > sp.start_frames));
    if (!st.active) return;
    if (!st.started && st.eq) st.eq->advance_silent(block_start);  // silent until now: same hop phase as from frame 0
    if (!st.started && st.sidechain && st.sidechain->eq) st.sidechain->eq->advance_silent(block_start);
    st.started = true;
    const int ch = sp.channels;
    if (st.cached_signal) {  // the inserts' output from the cache (attach_stem_signals)
        const StemSignal& cached = *st.cached_signal;
        for (int c = 0; c < ch; ++c)
            std::copy_n(cached.audio.channel(c) + (block_start - cached.first_frame), frames, st.work.channel(c));
        st.tap = &st.work;
        st.pan_width->process(st.work.channel(0), st.work.channel(ch - 1), block_start - graph_.stem_output[k].latency_frames, frames,
                              st.pre.channel(0), st.pre.channel(1));
        return;
    }
    if (st.clip->is_constant()) {
        // No fades or automation: the input is already zero outside the stem.
        const float g = static_cast<float>(st.clip->constant_gain());
        for (int c = 0; c < ch; ++c) {
            const float* in = input.channel(c);
            float* w = st.work.channel(c);
            for (int64_t i = 0; i < frames; ++i) w[i] = in[i] * g;
        }
    } else {
        std::span<float> gains(st.clip_gain.data(), static_cast<size_t>(frames));
        st.clip->compute(block_start, gains);
        for (int c = 0; c < ch; ++c) {
            const float* in = input.channel(c);
            float* w = st.work.channel(c);
            for (int64_t i = 0; i < frames; ++i) w[i] = in[i] * gains[static_cast<size_t>(i)];
        }
    }
    AudioBuffer* sig = &st.work;
    if (st.eq) {
        const float* in[2] = {st.work.channel(0), st.work.channel(ch - 1)};
        float* out[2] = {st.eq_out.channel(0), st.eq_out.channel(ch - 1)};
        st.eq->process(in, out, frames);
        sig = &st.eq_out;
    }
    if (st.compressor) {
        float* chs[2] = {sig->channel(0), sig->channel(ch - 1)};
        if (st.sidechain) {
            run_detector(*st.sidechain, *sig, ch, frames);
            const AudioBuffer& det = st.sidechain->detector;
            const float* dch[2] = {det.channel(0), det.channel(det.channels() - 1)};
            st.compressor->process(chs, ch, dch, st.sidechain->channels, frames);
        } else {
            st.compressor->process(chs, ch, frames);
        }
    }
    if (st.chorus) {
        float* chs[2] = {sig->channel(0), sig->channel(ch - 1)};
        st.chorus->process(chs, frames, block_start - st.chorus_offset_frames);
    }
    st.tap = sig;
    if (st.filling) {
        StemSignal& f = *st.filling;
        const int64_t at = block_start - f.first_frame, n = std::min(frames, f.audio.frames() - at);
        assert(at >= 0 && n > 0);
        for (int c = 0; c < ch; ++c) std::copy_n(sig->channel(c), n, f.audio.channel(c) + at);
        if (at + n == f.audio.frames()) {  // the last block this render runs the stem in
            cache_->store_stem_signal(st.signal_key, std::move(st.filling));
            st.filling.reset();
        }
    }
    // Width and pan act on the stem's timeline frames: its chain (and a
    // sidechain's signal delay) delays them by its output latency.
    st.pan_width->process(sig->channel(0), sig->channel(ch - 1), block_start - graph_.stem_output[k].latency_frames, frames,
                          st.pre.channel(0), st.pre.channel(1));
}

void CpuMixer::process_bus(size_t b, int64_t block_start, int64_t frames) {
    BusState& bs = buses_[b];
    if (!bs.started) {
        // A render that starts mid-timeline (a region): the FFT stages cut
        // their blocks where a render from frame 0 does, so once the pre-roll
        // has filled them they round alike.
        if (bs.reverb) bs.reverb->advance_silent(block_start);
        if (bs.eq) bs.eq->advance_silent(block_start);
        if (bs.sidechain && bs.sidechain->eq) bs.sidechain->eq->advance_silent(block_start);
        bs.started = true;
    }
    gather(b, block_start, frames, bs.in);
    AudioBuffer* sig = &bs.in;
    if (bs.delay) {
        float* chs[2] = {bs.in.channel(0), bs.in.channel(1)};
        bs.delay->process(chs, frames);
    }
    if (bs.reverb) {
        const float* in[2] = {bs.in.channel(0), bs.in.channel(1)};
        float* out[2] = {bs.tmp.channel(0), bs.tmp.channel(1)};
        bs.reverb->process(in, out, frames);
        sig = &bs.tmp;
    }
    AudioBuffer* other = sig == &bs.in ? &bs.tmp : &bs.in;
    if (bs.eq) {
        const float* in[2] = {sig->channel(0), sig->channel(1)};
        float* out[2] = {other->channel(0), other->channel(1)};
        bs.eq->process(in, out, frames);
        std::swap(sig, other);
    }
    if (bs.compressor) {
        float* chs[2] = {sig->channel(0), sig->channel(1)};
        if (bs.sidechain) {
            run_detector(*bs.sidechain, *sig, 2, frames);
            const AudioBuffer& det = bs.sidechain->detector;
            const float* dch[2] = {det.channel(0), det.channel(det.channels() - 1)};
            bs.compressor->process(chs, 2, dch, bs.sidechain->channels, frames);
        } else {
            bs.compressor->process(chs, 2, frames);
        }
    }
    if (bs.chorus) {
        float* chs[2] = {sig->channel(0), sig->channel(1)};
        bs.chorus->process(chs, frames, block_start - bs.chorus_offset_frames);
    }
    bs.tap = sig;
    bs.fader->process(sig->channel(0), sig->channel(1), block_start - graph_.bus_output[b].latency_frames, frames, bs.out.channel(0),
                      bs.out.channel(1));
}

Result<void> CpuMixer::process(int64_t block_start, int64_t frames, std::span<const AudioBuffer> inputs, AudioBuffer& master) {
    assert(inputs.size() == stems_.size() && master.channels() == 2 && master.frames() >= frames);
    for (const auto& level : graph_.schedule) {
        tbb::parallel_for(size_t{0}, level.size(), [&](size_t j) {
            const MixNode v = level[j];
            if (v.bus) process_bus(v.index, block_start, frames);
            else process_stem(v.index, block_start, frames, inputs[v.index]);
        });
    }
    gather(graph_.destinations.size() - 1, block_start, frames, master);
    if (stem_taps_) write_stem_taps(frames);
    return {};
}

bool CpuMixer::set_stem_taps(std::vector<AudioBuffer>* taps) {
    stem_taps_ = taps;
    tap_delays_.clear();
    if (!taps) return true;
    taps->resize(stems_.size());
    // `pre` at block frame m is timeline frame m − the stem's output latency;
    // the master block's frame m is m − the master's.
    const int64_t master_latency = graph_.master().latency_frames;
    for (size_t k = 0; k < stems_.size(); ++k) {
        (*taps)[k].resize(2, block_frames_);
        tap_delays_.emplace_back(2, std::max<int64_t>(0, master_latency - graph_.stem_output[k].latency_frames));
    }
    return true;
}

void CpuMixer::write_stem_taps(int64_t frames) {
    tbb::parallel_for(size_t{0}, stems_.size(), [&](size_t k) {
        const StemState& st = stems_[k];
        AudioBuffer& tap = (*stem_taps_)[k];
        // The fader as build_mix_graph makes the stem's output edge.
        const float fader = static_cast<float>(db_to_gain(st.spec->gain_db));
        const bool heard = st.active && st.plan->audible;
        for (int c = 0; c < 2; ++c) {
            float* t = tap.channel(c);
            if (!heard) {
                std::fill_n(t, frames, 0.0f);
                continue;
            }
            const float* p = st.pre.channel(c);
            for (int64_t i = 0; i < frames; ++i) t[i] = fader * p[i];
        }
        float* ch[] = {tap.channel(0), tap.channel(1)};
        tap_delays_[k].process(ch, frames);  // every block: the delay line must advance
    });
}

}  // namespace sf
