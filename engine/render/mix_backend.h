// Stemforge — the interface between the streaming renderer and a mix
// implementation (the CPU reference here, the Vulkan backend in gpu/).
//
// The renderer owns decoding, the timeline and export; a backend owns the
// DSP from stem sources to the master bus. Blocks arrive in timeline order,
// contiguous, each `plan.block_frames` long (the last may be shorter), so a
// backend keeps stage state (filters, envelopes, convolution history) from
// one block to the next.
#pragma once

#include <span>
#include <string>
#include <vector>

#include "engine/audio/audio_buffer.h"
#include "engine/core/error.h"
#include "engine/render/render_plan.h"
#include "engine/session/session.h"

namespace sf {

namespace master {
class MasterBackend;
}

class MixBackend {
public:
    virtual ~MixBackend() = default;

    virtual std::string name() const = 0;    // "cpu", "gpu"
    virtual std::string device() const = 0;  // human-readable device description

    // Designs every stage and allocates. Called once before the first block.
    // May extend plan.total_frames (tails) — the renderer reads it afterwards.
    virtual Result<void> prepare(const Session& session, RenderPlan& plan) = 0;

    // One block: inputs[k] holds plan.stems[k]'s source samples for timeline
    // frames [block_start, block_start + frames) (its own channel count, zero
    // outside the stem). Writes the stereo master bus for the same frames
    // into master (2 channels, >= frames long).
    virtual Result<void> process(int64_t block_start, int64_t frames, std::span<const AudioBuffer> inputs,
                                 AudioBuffer& master) = 0;

    // Stem taps for the mix diagnostics (engine/render/diagnostics.h).
    // Called after prepare() (which turns them off again): from then on each
    // process() also writes, for every plan stem k, its post-fader stereo
    // signal into its output (a bus or the master; zeros when it is not
    // heard) into (*taps)[k], resized here to 2 × plan.block_frames, on
    // the same frames as the master block: frame i of a tap and of the
    // master belong to one timeline frame. Null turns them off. Returns
    // false when the backend has no stem taps (nothing is written then).
    virtual bool set_stem_taps(std::vector<AudioBuffer>* taps) {
        (void)taps;
        return false;
    }

    // The master chain on this backend's device, for the master step
    // (engine/master/master_backend.h); null: the CPU chain masters. Owned
    // by the backend, valid while it lives.
    virtual master::MasterBackend* master_backend() { return nullptr; }
};

}  // namespace sf
