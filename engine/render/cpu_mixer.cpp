#include "engine/render/cpu_mixer.h"

#include <thread>

#include <tbb/parallel_for.h>

namespace sf {

CpuMixer::CpuMixer() = default;
CpuMixer::~CpuMixer() = default;

std::string CpuMixer::device() const {
    return "CPU reference (" + std::to_string(std::max(1u, std::thread::hardware_concurrency())) + " threads)";
}

Result<void> check_render_support(const Session& session) {
    auto unsupported = [](const std::string& path) { return fail(ErrorCode::NotSupported, "not supported yet: " + path); };
    for (size_t i = 0; i < session.stems.size(); ++i) {
        const auto& s = session.stems[i];
        const std::string p = "stems[" + std::to_string(i) + "]";
        if (s.eq) return unsupported(p + ".eq");
        if (s.compressor) return unsupported(p + ".compressor");
        if (!s.sends.empty()) return unsupported(p + ".sends");
        if (s.output != kMasterBusName) return unsupported(p + ".output (routing to a bus)");
    }
    if (!session.buses.empty()) return unsupported("buses");
    // master.*: rendered by the renderer's master step (engine/master), after any backend.
    return {};
}

Result<void> CpuMixer::prepare(const Session& session, RenderPlan& plan) {
    if (auto ok = check_render_support(session); !ok) return ok;
    session_ = &session;
    plan_ = &plan;
    stems_.clear();
    stems_.resize(plan.stems.size());
    for (size_t k = 0; k < plan.stems.size(); ++k) {
        const StemPlan& sp = plan.stems[k];
        const StemSpec& spec = session.stems[sp.index];
        StemState& st = stems_[k];
        st.spec = &spec;
        st.plan = &sp;
        st.clip = std::make_unique<ClipGain>(spec, plan.sample_rate, sp.start_frames, sp.length_frames);
        st.pan = pan_gains(spec.pan, sp.channels);
        st.fader = db_to_gain(spec.gain_db);
        st.clip_gain.resize(static_cast<size_t>(plan.block_frames));
        st.out.resize(2, plan.block_frames);
    }
    return {};
}

Result<void> CpuMixer::process(int64_t block_start, int64_t frames, std::span<const AudioBuffer> inputs, AudioBuffer& master) {
    assert(inputs.size() == stems_.size() && master.channels() == 2 && master.frames() >= frames);
    tbb::parallel_for(size_t{0}, stems_.size(), [&](size_t k) {
        StemState& st = stems_[k];
        const StemPlan& sp = *st.plan;
        st.active = sp.audible && block_start < sp.end_frames() && block_start + frames > sp.start_frames;
        if (!st.active) return;
        std::span<float> gains(st.clip_gain.data(), static_cast<size_t>(frames));
        st.clip->compute(block_start, gains);
        apply_pan_fader(inputs[k], gains, st.pan, st.fader, frames, st.out, false);
    });
    for (int c = 0; c < 2; ++c) std::fill_n(master.channel(c), frames, 0.0f);
    for (const StemState& st : stems_) {  // fixed order: deterministic sums
        if (!st.active) continue;
        for (int c = 0; c < 2; ++c) {
            const float* src = st.out.channel(c);
            float* dst = master.channel(c);
            for (int64_t i = 0; i < frames; ++i) dst[i] += src[i];
        }
    }
    return {};
}

}  // namespace sf
