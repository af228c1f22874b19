#include "gpu/master/gpu_master_backend.h"

#include <algorithm>
#include <cmath>

#include "engine/dsp/eq_design.h"
#include "engine/master/master_chain.h"
#include "gpu/master/loudness_loop.h"

namespace sf::gpu {

std::optional<std::string> GpuMasterBackend::unsupported(const MasterSpec& m, int64_t frames, int sample_rate) const {
    if (!ctx_.float64()) return "the device has no shaderFloat64";
    // The pre-chain's output stays on the GPU for the loudness loop: L, R
    // and the envelope's window maximum, 12 bytes per frame (plus the
    // limiter's look-ahead). Half the budget leaves room for the mixer's
    // buffers and the chain's working set.
    const double resident = 12.0 * (static_cast<double>(frames) + 0.2 * sample_rate);
    const double room = 0.5 * static_cast<double>(ctx_.budget_bytes()) - static_cast<double>(ctx_.allocated_bytes());
    if (resident > room)
        return "its " + std::to_string(static_cast<int64_t>(resident / 1e6)) + " MB of resident pre-chain output do not fit the GPU memory budget";
    if (m.fade_in_s > 0.0 || m.fade_out_s > 0.0) return "master fades run on the CPU only";
    if (m.trim_start_s > 0.0 || m.trim_end_s > 0.0 || m.trim_silence_db) return "master trims run on the CPU only";
    if (m.match_eq) return "match_eq runs on the CPU only";
    return std::nullopt;
}

void GpuMasterBackend::keep_times() {
    if (!chain_) return;
    for (const auto& [phase, s] : chain_->gpu_time_s()) {
        auto it = std::find_if(earlier_.begin(), earlier_.end(), [&](const auto& e) { return e.first == phase; });
        if (it == earlier_.end()) earlier_.emplace_back(phase, s);
        else it->second += s;
    }
}

std::vector<std::pair<std::string, double>> GpuMasterBackend::gpu_time_s() const {
    std::vector<std::pair<std::string, double>> all = earlier_;
    if (chain_)
        for (const auto& [phase, s] : chain_->gpu_time_s()) {
            auto it = std::find_if(all.begin(), all.end(), [&](const auto& e) { return e.first == phase; });
            if (it == all.end()) all.emplace_back(phase, s);
            else it->second += s;
        }
    return all;
}

Result<master::BackendPrechain> GpuMasterBackend::prechain(const MasterSpec& spec, int sample_rate, master::Spool& mix) {
    keep_times();
    chain_.reset();
    spec_ = spec;
    GpuMasterSpec gs;
    gs.master = spec;
    gs.sample_rate = sample_rate;
    gs.lengths_frames = {mix.frames()};
    gs.max_candidates = kLoopCandidates;
    gs.gain_reduction_bucket_frames = std::max<int64_t>(1, std::llround(master::kGainReductionBucketS * sample_rate));
    auto chain = GpuMaster::create(ctx_, gs);
    if (!chain) return std::unexpected(chain.error());
    chain_ = std::move(*chain);
    if (auto ok = mix.rewind(); !ok) return std::unexpected(ok.error());
    AudioBuffer block;
    auto ok = chain_->run_prechain([&](int64_t, int64_t frames, std::span<float* const> rows) -> Result<void> {
        auto got = mix.read(block, frames);   // in order; zeros past the end
        if (!got) return std::unexpected(got.error());
        for (int c = 0; c < 2; ++c) std::copy_n(block.channel(c), frames, rows[static_cast<size_t>(c)]);
        return {};
    });
    if (!ok) return std::unexpected(ok.error());
    master::BackendPrechain out;
    out.pre_limiter = chain_->pre_limiter().front().loudness;
    out.latency_frames = chain_->latency_frames();
    if (spec.eq)
        if (auto d = design_eq(*spec.eq, sample_rate)) out.eq_max_error_db = d->max_error_db;
    return out;
}

Result<master::BackendLoop> GpuMasterBackend::loudness_loop(double target_lufs, double ceiling_dbtp, double tolerance_lu) {
    if (!chain_) return fail(ErrorCode::Internal, "GPU master: loudness_loop() before prechain()");
    const std::optional<double> max_gr = spec_.limiter ? std::optional(spec_.limiter->max_gain_reduction_db) : std::nullopt;
    const double target[1] = {target_lufs}, ceiling[1] = {ceiling_dbtp};
    auto loop = gpu_loudness_loop(*chain_, target, ceiling, tolerance_lu, max_gr, kLoopCandidates, master::kMaxLoopIterations / 2);
    if (!loop) return std::unexpected(loop.error());
    return master::BackendLoop{loop->programmes.front().gain_db, loop->programmes.front().steps, loop->passes};
}

void GpuMasterBackend::release() {
    keep_times();
    chain_.reset();
}

Result<master::BackendPass> GpuMasterBackend::limit(double gain_db, double ceiling_dbtp, const master::BackendSink& sink) {
    if (!chain_) return fail(ErrorCode::Internal, "GPU master: limit() before prechain()");
    AudioBuffer block;
    const MasterSink to_host = [&](int, int64_t, int64_t frames, const float* l, const float* r) -> Result<void> {
        block.resize(2, frames);
        std::copy_n(l, frames, block.channel(0));
        std::copy_n(r, frames, block.channel(1));
        return sink(block, frames);
    };
    const double gain[1] = {gain_db}, ceiling[1] = {ceiling_dbtp};
    auto lanes = chain_->run_limiter(gain, 1, ceiling, true, &to_host);
    if (!lanes) return std::unexpected(lanes.error());
    master::BackendPass out;
    if (spec_.limiter) {
        out.limiter = lanes->front().limiter;
        out.gain_reduction_db = std::move(lanes->front().gain_reduction_db);
    }
    out.loudness = lanes->front().meter.loudness;
    return out;
}

}  // namespace sf::gpu
