// Stemforge parity tests — running a MixBackend block by block over
// in-memory stems (no files), as the renderer does, and residual measures.
#pragma once

#include <algorithm>
#include <cmath>
#include <cstring>
#include <limits>
#include <vector>

#include "engine/audio/audio_buffer.h"
#include "engine/render/mix_backend.h"
#include "engine/session/session.h"

namespace sf::test {

// In-memory stems for a parity run: the session, the plan, the sources.
struct MixFixture {
    Session session;
    RenderPlan plan;
    std::vector<AudioBuffer> sources;
};

// The shared stem layout of the parity fixtures: stem k is mono when k is
// even and stereo when odd, and starts at a staggered odd offset.
inline int fixture_channels(int k) { return (k % 2) ? 2 : 1; }

// Appends `spec` as stem k with `source` (its channels and length).
inline void add_stem(MixFixture& f, StemSpec spec, int k, AudioBuffer source) {
    StemPlan sp;
    sp.index = static_cast<size_t>(k);
    sp.channels = source.channels();
    sp.start_frames = (k * 1237) % 5000;
    sp.length_frames = source.frames();
    sp.audible = !spec.mute;
    f.plan.content_frames = std::max(f.plan.content_frames, sp.end_frames());
    f.plan.stems.push_back(sp);
    f.session.stems.push_back(std::move(spec));
    f.sources.push_back(std::move(source));
}

// Feeds `sources` (one per plan.stems entry, at the session rate) through
// `backend` in blocks of `block` frames, as the renderer does: the timeline
// runs plan.latency_frames (set by prepare) longer and that many leading
// master frames are dropped. Returns the stereo master, plan.total_frames long.
inline Result<AudioBuffer> run_backend(MixBackend& backend, const Session& session, RenderPlan plan,
                                       const std::vector<AudioBuffer>& sources, int64_t block) {
    plan.block_frames = block;
    if (auto ok = backend.prepare(session, plan); !ok) return std::unexpected(ok.error());
    const int64_t latency = plan.latency_frames, timeline_end = plan.total_frames + latency;
    AudioBuffer out(2, plan.total_frames);
    std::vector<AudioBuffer> inputs(plan.stems.size());
    for (size_t k = 0; k < inputs.size(); ++k) inputs[k].resize(plan.stems[k].channels, block);
    AudioBuffer master(2, block);
    for (int64_t b0 = 0; b0 < timeline_end; b0 += block) {
        const int64_t n = std::min(block, timeline_end - b0);
        for (size_t k = 0; k < inputs.size(); ++k) {
            const StemPlan& sp = plan.stems[k];
            inputs[k].clear();
            const int64_t from = std::max(b0, sp.start_frames), to = std::min(b0 + n, sp.end_frames());
            for (int c = 0; c < sp.channels && to > from; ++c)
                std::memcpy(inputs[k].channel(c) + (from - b0), sources[k].channel(c) + (from - sp.start_frames),
                            sizeof(float) * static_cast<size_t>(to - from));
        }
        if (auto ok = backend.process(b0, n, inputs, master); !ok) return std::unexpected(ok.error());
        const int64_t skip = std::clamp<int64_t>(latency - b0, 0, n);
        for (int c = 0; c < 2 && n > skip; ++c)
            std::memcpy(out.channel(c) + (b0 + skip - latency), master.channel(c) + skip, sizeof(float) * static_cast<size_t>(n - skip));
    }
    return out;
}

// One EQ band of the parity fixtures.
inline EqBand band(EqBandType type, double freq_hz, double gain_db = 0.0, double q = 0.7071, int slope = 12) {
    EqBand b;
    b.type = type;
    b.freq_hz = freq_hz;
    b.gain_db = gain_db;
    b.q = q;
    b.slope_db_oct = slope;
    return b;
}

struct Residual {
    double peak_dbfs = -400, rms_dbfs = -400;
};

// Residual a - b over every channel, in dBFS (full scale = 1.0). Buffers of
// different shape are a mismatch, not a measurable residual: +inf (fails
// every bound) instead of reading past the shorter one.
inline Residual residual(const AudioBuffer& a, const AudioBuffer& b) {
    if (a.channels() != b.channels() || a.frames() != b.frames())
        return {std::numeric_limits<double>::infinity(), std::numeric_limits<double>::infinity()};
    double peak = 0, sum = 0;
    int64_t n = 0;
    for (int c = 0; c < a.channels(); ++c)
        for (int64_t i = 0; i < a.frames(); ++i) {
            const double d = static_cast<double>(a.channel(c)[i]) - b.channel(c)[i];
            peak = std::max(peak, std::abs(d));
            sum += d * d;
            ++n;
        }
    return {20 * std::log10(std::max(peak, 1e-20)), 10 * std::log10(std::max(sum / std::max<int64_t>(n, 1), 1e-40))};
}

}  // namespace sf::test
