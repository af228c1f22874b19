// Stemforge — the loudness measurement the mastering step needs, as an
// interface the engine calls and the analysis library implements.
//
// Why an interface: the dependency direction is app -> {gpu, analysis} ->
// engine, so the engine cannot include the BS.1770 meter. The renderer's
// master step measures through a LoudnessProbe that the caller (the CLI)
// supplies in RenderOptions; analysis/loudness_probe.h makes one from the
// analysis meters (sf::analysis::LoudnessMeter / TruePeakMeter).
//
// Contract: reset() then any number of add() calls in timeline order, then
// stats() (which may be called at any time and does not change the state).
// A probe is used by one thread at a time.
#pragma once

#include <cstdint>
#include <functional>
#include <limits>
#include <memory>

#include "engine/audio/audio_buffer.h"

namespace sf {

// Measurements of everything added since reset(). -infinity where the
// standard's value is undefined (silence, or shorter than one gating block).
struct LoudnessStats {
    double integrated_lufs = -std::numeric_limits<double>::infinity();  // BS.1770-4 gated
    double loudness_range_lu = 0.0;                                       // EBU Tech 3342
    double true_peak_dbtp = -std::numeric_limits<double>::infinity();    // BS.1770-4 Annex 2, max over channels
    double max_momentary_lufs = -std::numeric_limits<double>::infinity();
    double max_short_term_lufs = -std::numeric_limits<double>::infinity();
};

class LoudnessProbe {
public:
    virtual ~LoudnessProbe() = default;
    // Forgets everything and prepares for `channels` channels at `sample_rate`
    // Hz. Without measure_true_peak, stats().true_peak_dbtp stays -infinity
    // (the loudness loop's passes do not need it; it is the costly part).
    virtual void reset(int sample_rate, int channels, bool measure_true_peak) = 0;
    // Adds frames [0, frames) of each of block's first `channels` channels.
    virtual void add(const AudioBuffer& block, int64_t frames) = 0;
    virtual LoudnessStats stats() const = 0;
};

// Makes a fresh probe; the master step may hold several at once.
using LoudnessProbeFactory = std::function<std::unique_ptr<LoudnessProbe>()>;

}  // namespace sf
