// Stemforge GPU — the master step's backend on the GPU (the engine's
// sf::master::MasterBackend, engine/master/master_backend.h): one programme
// (the render's mix) through GpuMaster (gpu/master/master_chain.h) and the
// GPU loudness loop (gpu/master/loudness_loop.h). The GPU mixer owns one and
// hands it to the renderer, so `render --backend gpu` masters on the GPU.
//
// Masters every spec except master fades, trims and match_eq, and every
// length whose resident pre-chain output (12 bytes per frame) fits half the
// context's memory budget (unsupported() says why not; the CPU chain then
// masters, and the report says so). Borrows
// the mixer's context. GPU time per phase (master_eq, master_multiband,
// master_stereo, master_limiter, master_meter, master_transfer) adds up
// over every render.
#pragma once

#include <memory>
#include <optional>
#include <string>
#include <utility>
#include <vector>

#include "engine/master/master_backend.h"
#include "gpu/master/master_chain.h"
#include "gpu/vk/context.h"

namespace sf::gpu {

inline constexpr int kLoopCandidates = 4;   // gains per limiter pass of the loudness loop

class GpuMasterBackend final : public master::MasterBackend {
public:
    explicit GpuMasterBackend(Context& ctx) : ctx_(ctx) {}   // borrows ctx: it outlives this
    std::string name() const override { return "gpu"; }
    std::optional<std::string> unsupported(const MasterSpec& spec, int64_t frames, int sample_rate) const override;
    Result<master::BackendPrechain> prechain(const MasterSpec& spec, int sample_rate, master::Spool& mix) override;
    Result<master::BackendLoop> loudness_loop(double target_lufs, double ceiling_dbtp, double tolerance_lu) override;
    Result<master::BackendPass> limit(double gain_db, double ceiling_dbtp, const master::BackendSink& sink) override;
    void release() override;

    // GPU time per phase over every master so far.
    std::vector<std::pair<std::string, double>> gpu_time_s() const;

private:
    void keep_times();
    Context& ctx_;
    MasterSpec spec_;
    std::unique_ptr<GpuMaster> chain_;
    std::vector<std::pair<std::string, double>> earlier_;   // phases of finished masters
};

}  // namespace sf::gpu
