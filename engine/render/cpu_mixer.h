// Stemforge — the CPU reference mix backend.
//
// Stems are processed in parallel (oneTBB), each into its own buffer, then
// summed in stem order so that a render is bit-identical run to run.
#pragma once

#include <memory>
#include <vector>

#include "engine/dsp/gain.h"
#include "engine/render/mix_backend.h"

namespace sf {

class CpuMixer final : public MixBackend {
public:
    CpuMixer();
    ~CpuMixer() override;

    std::string name() const override { return "cpu"; }
    std::string device() const override;

    Result<void> prepare(const Session& session, RenderPlan& plan) override;
    Result<void> process(int64_t block_start, int64_t frames, std::span<const AudioBuffer> inputs,
                         AudioBuffer& master) override;

private:
    struct StemState {
        const StemSpec* spec = nullptr;
        const StemPlan* plan = nullptr;
        std::unique_ptr<ClipGain> clip;
        PanGains pan;
        double fader = 1.0;
        std::vector<float> clip_gain;  // per-sample scratch
        AudioBuffer out;               // stereo, post-fader
        bool active = false;           // produced output this block
    };
    const Session* session_ = nullptr;
    const RenderPlan* plan_ = nullptr;
    std::vector<StemState> stems_;
};

// Fails with "not supported yet: <json path>" when the session uses a block
// that the renderer does not implement yet.
Result<void> check_render_support(const Session& session);

}  // namespace sf
