#include "gpu/gpu_mixer.h"

#include <algorithm>
#include <cstring>
#include <limits>

#include "engine/dsp/eq_design.h"
#include "engine/dsp/fft_convolver.h"

namespace sf::gpu {

namespace {

// Blocks the GPU backend does not render yet: a session using them must fail with a clear
// message rather than render something the CPU path would render differently.
Result<void> check_gpu_support(const Session& session) {
    auto unsupported = [](const std::string& path) {
        return fail(ErrorCode::NotSupported, "not supported yet by the GPU backend: " + path + " (use --backend cpu)");
    };
    for (size_t i = 0; i < session.stems.size(); ++i) {
        const auto& s = session.stems[i];
        const std::string p = "stems[" + std::to_string(i) + "]";
        if (!s.sends.empty()) return unsupported(p + ".sends");
        if (s.output != kMasterBusName) return unsupported(p + ".output (routing to a bus)");
    }
    if (!session.buses.empty()) return unsupported("buses");
    if (session.master) return unsupported("master");
    return {};
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
    s.device_bytes = ctx_->allocated_bytes();
    return s;
}

Result<void> GpuMixer::prepare(const Session& session, RenderPlan& plan) {
    if (auto ok = check_gpu_support(session); !ok) return ok;
    if (plan.total_frames >= std::numeric_limits<int32_t>::max())
        return fail(ErrorCode::NotSupported, "the GPU backend renders at most 2^31 frames (about 12 hours at 48 kHz)");
    for (Slot& s : slots_)
        if (auto ok = ctx_->wait(s.commands); !ok) return ok;
    session_ = &session;
    sample_rate_ = plan.sample_rate;
    stems_ = plan.stems;

    // ---- stem EQ designs and the graph latency, exactly as CpuMixer::prepare ----
    // CPU: an EQ'd stem has latency λ = B + d (B = its FFT convolver's hop,
    // d = the linear-phase centre delay) and rings extent = B + taps − 1
    // frames past its end; the master's latency Λ = max λ over audible stems,
    // and each stem is delayed by Λ − λ. The GPU convolves with zero latency,
    // so the same output needs each stem delayed by Λ − d.
    runs_.assign(stems_.size(), StemRun{});
    std::vector<std::vector<double>> eq_taps(stems_.size());
    int64_t latency = 0;
    std::vector<int64_t> stem_latency(stems_.size(), 0), stem_extent(stems_.size(), 0), centre(stems_.size(), 0);
    for (size_t k = 0; k < stems_.size(); ++k) {
        const StemPlan& sp = stems_[k];
        const StemSpec& spec = session.stems[sp.index];
        if (!spec.eq) continue;
        auto d = design_eq(*spec.eq, plan.sample_rate);
        const std::string path = "stems[" + std::to_string(sp.index) + "].eq";
        if (!d) return fail(d.error().code, path + ": " + d.error().message);
        if (d->identity() || !sp.audible) continue;  // designed anyway: a bad EQ fails as on the CPU
        const int64_t taps = static_cast<int64_t>(d->taps.size());
        const int64_t hop = convolution_fft_size(taps) - taps + 1;
        runs_[k].eq = true;
        runs_[k].eq_tail_frames = taps - 1;
        centre[k] = d->latency_frames;
        stem_latency[k] = hop + d->latency_frames;
        stem_extent[k] = hop + taps - 1;
        eq_taps[k] = std::move(d->taps);
    }
    for (size_t k = 0; k < stems_.size(); ++k)
        if (stems_[k].audible) latency = std::max(latency, stem_latency[k]);
    int64_t extent = 0;
    for (size_t k = 0; k < stems_.size(); ++k) {
        if (!stems_[k].audible) continue;
        extent = std::max(extent, stem_extent[k] + latency - stem_latency[k]);
        runs_[k].delay_frames = latency - centre[k];
        if (runs_[k].delay_frames > 0) {
            runs_[k].delay = DelayLine(stems_[k].channels, runs_[k].delay_frames);
            runs_[k].delayed.resize(stems_[k].channels, plan.block_frames);
        }
    }
    plan.latency_frames = latency;
    plan.total_frames = std::max(plan.total_frames, plan.content_frames + std::max<int64_t>(0, extent - latency));
    if (plan.total_frames + latency >= std::numeric_limits<int32_t>::max())
        return fail(ErrorCode::NotSupported, "the GPU backend renders at most 2^31 frames (about 12 hours at 48 kHz)");

    total_channels_ = 0;
    for (const StemPlan& sp : stems_) total_channels_ += static_cast<uint32_t>(sp.channels);
    // The largest chunk whose stem buffer fits one storage-buffer binding (the
    // validation layer and real GPUs enforce maxStorageBufferRange), kept a
    // multiple of the shaders' 256-wide workgroups.
    const uint64_t max_range = std::min<uint64_t>(ctx_->limits().maxStorageBufferRange, 128ull << 20);
    int64_t chunk = plan.block_frames;
    if (max_chunk_frames_ > 0) chunk = std::min(chunk, max_chunk_frames_);
    chunk = std::min<int64_t>(chunk, static_cast<int64_t>(max_range / (sizeof(float) * std::max(2u, total_channels_))));
    if (chunk > 256) chunk -= chunk % 256;
    chunk_ = std::max<int64_t>(chunk, 1);

    gain_designs_.clear();
    stem_offsets_.clear();
    automation_points_ = 0;
    // Layout: EQ'd stems' channels first, so they are rows 0..eq_rows of the
    // stem buffer — the convolver's io rows — and the others follow.
    stem_offsets_.assign(stems_.size(), 0);
    uint32_t offset = 0;
    FftConvolverSpec eq_spec;
    for (int pass = 0; pass < 2; ++pass)
        for (size_t k = 0; k < stems_.size(); ++k) {
            if (runs_[k].eq != (pass == 0)) continue;
            stem_offsets_[k] = offset;
            offset += static_cast<uint32_t>(stems_[k].channels * chunk_);
            if (pass == 0) {
                for (int c = 0; c < stems_[k].channels; ++c) eq_spec.row_kernel.push_back(static_cast<uint32_t>(eq_spec.kernels.size()));
                eq_spec.kernels.push_back(std::move(eq_taps[k]));
            }
        }
    for (const StemPlan& sp : stems_) {
        gain_designs_.push_back(design_stem_gain(session.stems[sp.index], sp, plan.sample_rate));
        automation_points_ += gain_designs_.back().automation.size();
    }
    compressor_.reset();
    std::vector<CompressorBinding> compressors;
    for (size_t k = 0; k < stems_.size(); ++k) {
        const StemSpec& spec = session.stems[stems_[k].index];
        if (spec.compressor && stems_[k].audible && !ctx_->float64())
            return fail(ErrorCode::NotSupported, "stems[" + std::to_string(stems_[k].index) +
                                                     "].compressor: the GPU compressor needs shaderFloat64, which this device lacks (use --backend cpu)");
        if (spec.compressor && stems_[k].audible)
            compressors.push_back({static_cast<uint32_t>(k), compressor_coefficients(*spec.compressor, plan.sample_rate)});
    }
    if (!compressors.empty()) {
        auto comp = CompressorStage::create(*ctx_, static_cast<uint32_t>(slots_.size()), compressors);
        if (!comp) return std::unexpected(comp.error());
        compressor_ = std::move(*comp);
    }
    eq_.reset();
    if (!eq_spec.kernels.empty()) {
        if (!plans_) plans_ = std::make_unique<FftPlans>(*ctx_);
        eq_spec.max_block_frames = chunk_;
        eq_spec.io_sets = static_cast<uint32_t>(slots_.size());
        auto eq = FftConvolver::create(*ctx_, *plans_, eq_spec);
        if (!eq) return fail(eq.error().code, "stem EQ on the GPU: " + eq.error().message);
        eq_ = std::move(*eq);
    }

    const VkBufferUsageFlags storage = VK_BUFFER_USAGE_STORAGE_BUFFER_BIT;
    const bool unified = ctx_->unified_memory();
    auto gain = GainStage::create(*ctx_, 2);
    if (!gain) return std::unexpected(gain.error());
    gain_ = std::move(*gain);
    stats_ = {};
    stats_.chunk_frames = chunk_;
    for (uint32_t i = 0; i < slots_.size(); ++i) {
        Slot& s = slots_[i];
        s = Slot{};
        const std::string tag = "[slot " + std::to_string(i) + "]";
        const VkDeviceSize stem_bytes = sizeof(float) * total_channels_ * static_cast<VkDeviceSize>(chunk_);
        const VkDeviceSize master_bytes = sizeof(float) * 2 * static_cast<VkDeviceSize>(chunk_);
        auto commands = ctx_->create_command_slot();
        if (!commands) return std::unexpected(commands.error());
        s.commands = std::move(*commands);
        auto stems = ctx_->create_buffer(stem_bytes, storage, MemoryUse::Device, "stems " + tag);
        if (!stems) return std::unexpected(stems.error());
        s.stems = std::move(*stems);
        auto params = ctx_->create_buffer(sizeof(StemParams) * std::max<size_t>(1, stems_.size()), storage, MemoryUse::Upload, "stem parameters " + tag);
        if (!params) return std::unexpected(params.error());
        s.params = std::move(*params);
        auto automation = ctx_->create_buffer(4 * sizeof(float) * std::max<size_t>(1, automation_points_), storage, MemoryUse::Upload, "automation " + tag);
        if (!automation) return std::unexpected(automation.error());
        s.automation = std::move(*automation);
        auto master = ctx_->create_buffer(master_bytes, storage, MemoryUse::Device, "master " + tag);
        if (!master) return std::unexpected(master.error());
        s.master = std::move(*master);
        if (!unified) {
            auto up = ctx_->create_buffer(stem_bytes, 0, MemoryUse::Upload, "stem staging " + tag);
            if (!up) return std::unexpected(up.error());
            s.stems_upload = std::move(*up);
            auto rb = ctx_->create_buffer(master_bytes, 0, MemoryUse::Readback, "master readback " + tag);
            if (!rb) return std::unexpected(rb.error());
            s.master_readback = std::move(*rb);
        }
        auto timer = GpuTimer::create(*ctx_, 8);
        if (!timer) return std::unexpected(timer.error());
        s.timer = std::move(*timer);
        gain_->bind(i, s.stems.get(), s.params.get(), s.automation.get(), s.master.get());
        if (eq_) eq_->bind_io(s.stems.get(), static_cast<uint32_t>(chunk_), i);
        if (compressor_) compressor_->bind(i, s.stems.get(), s.params.get());
    }
    stats_.device_bytes = ctx_->allocated_bytes();
    return {};
}

Result<void> GpuMixer::submit_chunk(Slot& s, uint32_t set, int64_t chunk_start, int64_t offset, int64_t n, std::span<const AudioBuffer> inputs) {
    const bool unified = ctx_->unified_memory();
    auto* params = static_cast<StemParams*>(s.params.mapped());
    float* dst = unified ? s.stems.floats() : s.stems_upload.floats();
    std::vector<VkBufferCopy> regions;
    s.points.clear();
    for (size_t k = 0; k < stems_.size(); ++k) {
        const StemPlan& sp = stems_[k];
        const StemRun& run = runs_[k];
        // The stem's own (delayed) timeline: its gain stage sees frames as if it started delay_frames later.
        const int64_t local = chunk_start - run.delay_frames;
        const bool enabled = sp.audible && local < sp.end_frames() + run.eq_tail_frames && local + n > sp.start_frames;
        params[k] = stem_params(gain_designs_[k], sample_rate_, local, stem_offsets_[k], enabled, s.points);
        // EQ rows are convolved every chunk (their history must stay exact),
        // so they are always uploaded: zeros outside the stem, never stale data.
        if (!enabled && !run.eq) continue;
        const AudioBuffer& src = run.delay_frames > 0 ? run.delayed : inputs[k];
        for (int c = 0; c < sp.channels; ++c) {
            const VkDeviceSize at = stem_offsets_[k] + static_cast<VkDeviceSize>(c) * static_cast<VkDeviceSize>(chunk_);
            std::memcpy(dst + at, src.channel(c) + offset, sizeof(float) * static_cast<size_t>(n));
            regions.push_back({at * sizeof(float), at * sizeof(float), sizeof(float) * static_cast<VkDeviceSize>(n)});
            stats_.bytes_uploaded += sizeof(float) * static_cast<uint64_t>(n);
        }
    }
    if (!s.points.empty()) std::memcpy(s.automation.mapped(), s.points.data(), s.points.size() * sizeof(float));
    stats_.bytes_uploaded += sizeof(StemParams) * stems_.size() + s.points.size() * sizeof(float);

    VkCommandBuffer cmd = s.commands.cmd;
    vkResetCommandBuffer(cmd, 0);
    auto bi = vk_struct<VkCommandBufferBeginInfo>(VK_STRUCTURE_TYPE_COMMAND_BUFFER_BEGIN_INFO);
    bi.flags = VK_COMMAND_BUFFER_USAGE_ONE_TIME_SUBMIT_BIT;
    if (VkResult r = vkBeginCommandBuffer(cmd, &bi); r != VK_SUCCESS) return std::unexpected(vk_error(r, "vkBeginCommandBuffer"));
    s.timer.begin(cmd);
    if (!unified && !regions.empty())
        vkCmdCopyBuffer(cmd, s.stems_upload.get(), s.stems.get(), static_cast<uint32_t>(regions.size()), regions.data());
    compute_barrier(cmd);
    s.timer.mark(cmd, "upload");
    const GainPush push{static_cast<uint32_t>(n), static_cast<uint32_t>(chunk_), static_cast<uint32_t>(stems_.size())};
    gain_->record_clip(cmd, set, push);
    compute_barrier(cmd);
    s.timer.mark(cmd, "clip_gain");
    if (eq_) {
        if (auto ok = eq_->record(cmd, static_cast<uint32_t>(n), set); !ok) return ok;  // ends with a barrier
        s.timer.mark(cmd, "eq");
    }
    if (compressor_) {
        compressor_->record(cmd, set, static_cast<uint32_t>(n), static_cast<uint32_t>(chunk_));  // ends with a barrier
        s.timer.mark(cmd, "compressor");
    }
    gain_->record_pan_sum(cmd, set, push);
    s.timer.mark(cmd, "pan_sum");
    if (!unified) {
        compute_barrier(cmd);
        const VkDeviceSize bytes = sizeof(float) * static_cast<VkDeviceSize>(n), right = sizeof(float) * static_cast<VkDeviceSize>(chunk_);
        const VkBufferCopy out[2] = {{0, 0, bytes}, {right, right, bytes}};
        vkCmdCopyBuffer(cmd, s.master.get(), s.master_readback.get(), 2, out);
        s.timer.mark(cmd, "download");
    }
    host_read_barrier(cmd);
    if (VkResult r = vkEndCommandBuffer(cmd); r != VK_SUCCESS) return std::unexpected(vk_error(r, "vkEndCommandBuffer"));
    s.chunk_offset = offset;
    s.chunk_frames = n;
    if (auto ok = ctx_->submit(s.commands); !ok) return ok;
    ++stats_.submissions;
    return {};
}

Result<void> GpuMixer::finish_chunk(Slot& s, AudioBuffer& master) {
    if (!s.commands.pending) return {};
    if (auto ok = ctx_->wait(s.commands); !ok) return ok;
    if (auto ok = s.timer.collect(); !ok) return ok;
    const float* src = ctx_->unified_memory() ? s.master.floats() : s.master_readback.floats();
    for (int c = 0; c < 2; ++c)
        std::memcpy(master.channel(c) + s.chunk_offset, src + static_cast<size_t>(c) * static_cast<size_t>(chunk_),
                    sizeof(float) * static_cast<size_t>(s.chunk_frames));
    stats_.bytes_downloaded += 2 * sizeof(float) * static_cast<uint64_t>(s.chunk_frames);
    return {};
}

Result<void> GpuMixer::process(int64_t block_start, int64_t frames, std::span<const AudioBuffer> inputs, AudioBuffer& master) {
    assert(gain_ && "process() before prepare()");
    assert(inputs.size() == stems_.size() && master.channels() == 2 && master.frames() >= frames);
    // Latency compensation on the host: this block of each delayed stem, shifted
    // through its delay line (every block, so the line advances; muted stems never play).
    for (size_t k = 0; k < stems_.size(); ++k) {
        StemRun& run = runs_[k];
        if (run.delay_frames == 0 || !stems_[k].audible) continue;
        std::vector<float*> chs(static_cast<size_t>(stems_[k].channels));
        for (int c = 0; c < stems_[k].channels; ++c) {
            std::memcpy(run.delayed.channel(c), inputs[k].channel(c), sizeof(float) * static_cast<size_t>(frames));
            chs[static_cast<size_t>(c)] = run.delayed.channel(c);
        }
        run.delay.process(chs.data(), frames);
    }
    size_t cur = 0;
    for (int64_t offset = 0; offset < frames;) {
        const int64_t n = std::min(chunk_, frames - offset);
        Slot& s = slots_[cur];
        if (auto ok = finish_chunk(s, master); !ok) return ok;  // the chunk before last: usually done by now
        if (auto ok = submit_chunk(s, static_cast<uint32_t>(cur), block_start + offset, offset, n, inputs); !ok) return ok;
        offset += n;
        cur ^= 1;
    }
    if (auto ok = finish_chunk(slots_[cur], master); !ok) return ok;  // older of the two
    return finish_chunk(slots_[cur ^ 1], master);
}

}  // namespace sf::gpu
