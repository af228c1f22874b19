#include "gpu/master/master_chain.h"

#include <algorithm>
#include <array>
#include <bit>
#include <cmath>
#include <cstring>
#include <limits>

#include "engine/dsp/compressor.h"
#include "engine/dsp/eq_design.h"
#include "engine/dsp/gain.h"
#include "engine/dsp/true_peak.h"
#include "engine/master/crossover.h"
#include "gpu/stages/compressor.h"
#include "gpu/stages/eq.h"
#include "gpu/stages/fft_convolver.h"
#include "gpu/stages/gain.h"
#include "gpu/vk/kernel.h"
#include "gpu/vk/vkfft.h"

namespace sf::gpu {

namespace {

// Mirrors PrePushData (shaders/master_common.glsl).
struct PrePush {
    uint32_t frames, row_stride, programmes, bands;
    uint32_t chunk_start, delay, window, mode;
    float width, gain_l, gain_r;
    uint32_t flags;
};
static_assert(sizeof(PrePush) == 48);

// Mirrors shaders/master_history.comp's push block.
struct HistoryPush {
    uint32_t frames, rows, row_stride, keep, hist_stride;
};

// Mirrors LimiterPush (shaders/master_limiter_common.glsl).
struct LimiterPush {
    uint32_t frames, page_stride, lanes, candidates;
    uint32_t segments, max_segments, lookahead, u0;
    uint32_t q, out_stride, tail_stride, groups;
    uint32_t bucket_frames, buckets;
};
static_assert(sizeof(LimiterPush) == 56);

// Mirrors struct Lane (shaders/master_limiter_common.glsl).
struct LaneParams {
    double ceiling_over_gain, gain, frames, unused;
};

constexpr uint32_t kSegment = 1024;     // master_limiter_common.glsl
constexpr uint32_t kApplyGroup = 64;
constexpr uint32_t kTpHistoryStride = 48;
constexpr int64_t kDetectorLatency = kTruePeakLatencyFrames;   // 24
constexpr uint64_t kBindingLimit = (128ull << 20);

uint32_t ceil_div(uint64_t a, uint64_t b) { return static_cast<uint32_t>((a + b - 1) / b); }
uint32_t u32(int64_t v) { return static_cast<uint32_t>(v); }

// The band kernels of a multiband crossover: band 0 = LP_1, band k = LP_(k+1)
// − LP_k, band N = δ(delay) − LP_N (engine/master/crossover.h's differences,
// formed in double on the kernels instead of on the float outputs).
std::vector<std::vector<double>> band_kernels(const master::CrossoverDesign& d) {
    const size_t n = d.lowpass.size();
    std::vector<std::vector<double>> bands(n + 1, std::vector<double>(static_cast<size_t>(d.taps), 0.0));
    for (size_t b = 0; b <= n; ++b)
        for (size_t t = 0; t < static_cast<size_t>(d.taps); ++t) {
            const double upper = b < n ? d.lowpass[b][t] : (static_cast<int64_t>(t) == d.delay_frames() ? 1.0 : 0.0);
            const double lower = b > 0 ? d.lowpass[b - 1][t] : 0.0;
            bands[b][t] = upper - lower;
        }
    return bands;
}

}  // namespace

struct GpuMaster::Impl {
    Context* ctx = nullptr;
    GpuMasterSpec spec;
    std::unique_ptr<FftPlans> plans;
    uint32_t programmes = 0, bands = 0, chunk = 0, pages = 0, max_lanes = 0;
    int64_t eq_delay = 0, xo_delay = 0, mono_delay = 0, delay = 0;   // the pre-chain's latency, D_s
    int64_t longest = 0;
    master::LimiterDesign limiter;          // W, a; C and G per lane
    bool has_limiter = false;
    int64_t q = 0, window = 0;      // W + H, W + 2H
    uint32_t max_segments = 0, tail_stride = 0, groups = 0;
    int64_t bucket_frames = 0, buckets = 0;   // gain reduction per bucket of bucket_frames (0: not recorded)
    float width = 1.0f, gain_l = 1.0f, gain_r = 1.0f;
    uint32_t stereo_flags = 0;
    uint64_t device_bytes = 0;

    // Pre-chain.
    std::array<Buffer, 2> staging;
    Buffer mix, band_rows, ms, env, wmax, tp_hist, env_hist, taps, lengths, widths, params;
    std::vector<Buffer> page;
    std::optional<EqStage> eq;
    std::optional<FftConvolver> crossover, mono;
    std::optional<CompressorStage> compressors;
    Kernel bands_k, stereo_k, detect_k, window_k, history_k;
    std::optional<MasterMeter> pre_meter;
    std::vector<MasterMeterReading> pre_readings;

    // Limiter.
    Buffer design, lanes, maps, start, state, fvals, fscratch, out, min_gain, partials, totals, ones, bucket_min;
    std::array<Buffer, 2> readback;
    Kernel partial_k, scan_k, release_k, apply_k, stats_k;
    std::optional<MasterMeter> loop_meter, final_meter;

    std::array<CommandSlot, 2> slots;
    std::array<GpuTimer, 2> timers;
    GpuMasterWork work;

    // The floor's count for one batched convolver record: io read and
    // written, each transform's work buffer read and written once.
    void count_convolver(const FftConvolver& conv, uint64_t frames) {
        const double n = static_cast<double>(conv.fft_size());
        const uint64_t rows = conv.rows();
        work.fft_points += 2 * rows * static_cast<uint64_t>(conv.fft_size());
        work.fft_flops += 2.0 * static_cast<double>(rows) * 2.5 * n * std::log2(n);
        work.traffic_bytes += rows * frames * 8 + 2 * rows * static_cast<uint64_t>(conv.fft_size()) * 8;
    }

    Result<void> make(Buffer& out_buf, uint64_t bytes, MemoryUse use, const char* label) {
        bytes = std::max<uint64_t>(bytes, 16);
        if (bytes > std::min<uint64_t>(ctx->limits().maxStorageBufferRange, kBindingLimit))
            return fail(ErrorCode::DeviceLimit, std::string("GPU master: the ") + label + " buffer needs " + std::to_string(bytes >> 20) +
                                                    " MiB, over one storage buffer's limit");
        auto b = ctx->create_buffer(bytes, VK_BUFFER_USAGE_STORAGE_BUFFER_BIT, use, label);
        if (!b) return std::unexpected(b.error());
        out_buf = std::move(*b);
        device_bytes += bytes;
        return {};
    }

    PrePush pre_push(uint32_t frames, int64_t chunk_start) const {
        PrePush p{};
        p.frames = frames;
        p.row_stride = chunk;
        p.programmes = programmes;
        p.bands = bands;
        p.chunk_start = u32(chunk_start);
        p.delay = u32(delay);
        p.window = u32(window);
        p.width = width;
        p.gain_l = gain_l;
        p.gain_r = gain_r;
        p.flags = stereo_flags;
        return p;
    }

    // Adds the copy of `count` values of a chunk row (float offset
    // src_offset) to limiter steps [u_first, u_first + count) of page row `row`.
    void store(uint64_t src_offset, int64_t u_first, int64_t count, uint32_t row, std::vector<std::vector<VkBufferCopy>>& regions) const {
        while (count > 0) {
            const int64_t j = u_first / chunk, at = u_first % chunk;
            const int64_t n = std::min<int64_t>(count, chunk - at);
            if (j < static_cast<int64_t>(pages))
                regions[static_cast<size_t>(j)].push_back({src_offset * sizeof(float), (uint64_t{row} * chunk + static_cast<uint64_t>(at)) * sizeof(float),
                                                           static_cast<uint64_t>(n) * sizeof(float)});
            src_offset += static_cast<uint64_t>(n);
            u_first += n;
            count -= n;
        }
    }

    Result<void> begin(uint32_t s) {
        if (auto ok = ctx->wait(slots[s]); !ok) return ok;
        if (auto ok = timers[s].collect(); !ok) return ok;
        vkResetCommandBuffer(slots[s].cmd, 0);
        const auto bi = vk_struct<VkCommandBufferBeginInfo>(VK_STRUCTURE_TYPE_COMMAND_BUFFER_BEGIN_INFO);
        vkBeginCommandBuffer(slots[s].cmd, &bi);
        compute_barrier(slots[s].cmd);   // after the other slot's submission: the chain's state is shared
        timers[s].begin(slots[s].cmd);
        return {};
    }

    Result<void> submit(uint32_t s) {
        timers[s].end(slots[s].cmd);
        host_read_barrier(slots[s].cmd);
        vkEndCommandBuffer(slots[s].cmd);
        return ctx->submit(slots[s]);
    }

    Result<void> settle() {
        for (uint32_t s = 0; s < 2; ++s) {
            if (auto ok = ctx->wait(slots[s]); !ok) return ok;
            if (auto ok = timers[s].collect(); !ok) return ok;
        }
        return {};
    }
};

GpuMaster::GpuMaster(std::unique_ptr<Impl> impl) : impl_(std::move(impl)) {}

GpuMaster::~GpuMaster() {
    if (impl_) (void)impl_->settle();   // a healthy context has nothing in flight afterwards
}

int GpuMaster::programmes() const { return static_cast<int>(impl_->programmes); }
int64_t GpuMaster::latency_frames() const { return impl_->delay; }
int64_t GpuMaster::page_frames() const { return impl_->chunk; }
uint64_t GpuMaster::device_bytes() const { return impl_->device_bytes; }
const std::vector<MasterMeterReading>& GpuMaster::pre_limiter() const { return impl_->pre_readings; }
const GpuMasterWork& GpuMaster::work() const { return impl_->work; }

std::vector<std::pair<std::string, double>> GpuMaster::gpu_time_s() const {
    std::vector<std::pair<std::string, double>> all;
    for (const GpuTimer& t : impl_->timers)
        for (const auto& [phase, s] : t.totals_s()) {
            auto it = std::find_if(all.begin(), all.end(), [&](const auto& e) { return e.first == phase; });
            if (it == all.end()) all.emplace_back(phase, s);
            else it->second += s;
        }
    return all;
}

Result<std::unique_ptr<GpuMaster>> GpuMaster::create(Context& ctx, const GpuMasterSpec& spec) {
    if (!ctx.float64())
        return fail(ErrorCode::DeviceLimit, "the GPU master chain needs shaderFloat64, which this device lacks (use --backend cpu)");
    if (spec.lengths_frames.empty()) return fail(ErrorCode::InvalidArgument, "GPU master: no programmes");
    if (spec.max_candidates < 1) return fail(ErrorCode::InvalidArgument, "GPU master: max_candidates must be >= 1");
    const MasterSpec& m = spec.master;
    if (m.fade_in_s > 0.0 || m.fade_out_s > 0.0 || m.trim_start_s > 0.0 || m.trim_end_s > 0.0 || m.trim_silence_db || m.match_eq)
        return fail(ErrorCode::DeviceLimit, "GPU master: master fades, trims and match_eq run on the CPU master only");
    auto impl = std::make_unique<Impl>();
    Impl& g = *impl;
    g.ctx = &ctx;
    g.spec = spec;
    g.plans = std::make_unique<FftPlans>(ctx);
    g.programmes = static_cast<uint32_t>(spec.lengths_frames.size());
    const int rate = spec.sample_rate;
    for (int64_t len : spec.lengths_frames) {
        if (len < 0) return fail(ErrorCode::InvalidArgument, "GPU master: a negative length");
        g.longest = std::max(g.longest, len);
    }

    // ---- designs (double, once) ----
    std::optional<EqDesign> eq_design;
    if (m.eq) {
        auto d = design_eq(*m.eq, rate);
        if (!d) return std::unexpected(Error{d.error().code, "master.eq: " + d.error().message, 0});
        if (!d->identity()) {
            g.eq_delay = d->latency_frames;
            eq_design = std::move(*d);
        }
    }
    std::optional<master::CrossoverDesign> xo;
    std::vector<CompressorCoefficients> band_comp;
    std::vector<std::array<float, 2>> band_widths;
    if (m.multiband) {
        xo = master::design_crossover(m.multiband->crossovers_hz, rate);
        g.bands = static_cast<uint32_t>(xo->lowpass.size() + 1);
        if (m.multiband->bands.size() != g.bands)
            return fail(ErrorCode::InvalidArgument, "master.multiband.bands: one entry per band is needed");
        g.xo_delay = xo->delay_frames();
        for (const MultibandBand& b : m.multiband->bands) {
            CompressorSpec cs;
            cs.threshold_db = b.threshold_db;
            cs.ratio = b.ratio;
            cs.knee_db = b.knee_db;
            cs.attack_ms = b.attack_ms;
            cs.release_ms = b.release_ms;
            cs.makeup_db = b.makeup_db;
            cs.detector = Detector::Peak;
            band_comp.push_back(compressor_coefficients(cs, rate));
            band_widths.push_back({static_cast<float>(b.width), b.width != 1.0 ? 1.0f : 0.0f});
        }
    }
    const double width = m.width.value_or(1.0), balance = m.balance.value_or(0.0);
    g.width = static_cast<float>(width);
    g.stereo_flags = (width != 1.0 ? 1u : 0u) | (balance != 0.0 ? 2u : 0u);
    const PanGains pan = pan_gains(balance, 2);
    g.gain_l = static_cast<float>(pan.ll);
    g.gain_r = static_cast<float>(pan.rr);
    std::optional<master::CrossoverDesign> mono;
    if (m.mono_below_hz) {
        const double fc = *m.mono_below_hz;
        mono = master::design_crossover(std::span<const double>(&fc, 1), rate);
        g.mono_delay = mono->delay_frames();
    }
    g.delay = g.eq_delay + g.xo_delay + g.mono_delay;
    g.has_limiter = m.limiter.has_value();
    master::LimiterSettings ls;
    if (m.limiter) {
        ls.release_ms = m.limiter->release_ms;
        ls.lookahead_ms = m.limiter->lookahead_ms;
    }
    g.limiter = master::design_limiter(ls, rate);
    g.q = g.limiter.lookahead + master::kGuardFrames;
    g.window = g.limiter.window - 1;

    // ---- sizes: the largest power-of-two page whose buffers each fit one binding ----
    const uint64_t n = g.programmes;
    g.max_lanes = g.programmes * static_cast<uint32_t>(spec.max_candidates);
    const uint64_t lanes = g.max_lanes;
    const uint64_t hist = 30 * static_cast<uint64_t>((rate + 5) / 10);   // the meter's 3 s history
    const uint64_t limit_floats = kBindingLimit / sizeof(float) - 4096;
    auto fits = [&](uint64_t f) {
        return 3 * n * f <= limit_floats && 2 * n * std::max<uint64_t>(1, g.bands) * f <= limit_floats && 2 * lanes * f <= limit_floats &&
               lanes * (static_cast<uint64_t>(g.limiter.lookahead) + f) * 2 <= limit_floats && lanes * (hist + f) <= limit_floats;
    };
    // A CPU implementation (lavapipe) gets shorter pages: a page is one
    // submission, which must end well within the fence timeout there.
    uint64_t page = spec.page_frames > 0 ? static_cast<uint64_t>(spec.page_frames) : ctx.info().hardware ? (1u << 19) : (1u << 16);
    if (spec.page_frames <= 0)
        while (page > 4096 && !fits(page)) page /= 2;
    if (!fits(page))
        return fail(ErrorCode::DeviceLimit, "GPU master: " + std::to_string(n) + " programmes x " + std::to_string(spec.max_candidates) +
                                                " candidates do not fit the device's storage buffers (fewer programmes per batch)");
    g.chunk = static_cast<uint32_t>(page);
    const uint64_t steps = static_cast<uint64_t>(g.longest + g.q);
    if (static_cast<uint64_t>(g.longest) + static_cast<uint64_t>(g.q + g.delay) + 2 * page >= std::numeric_limits<uint32_t>::max())
        return fail(ErrorCode::DeviceLimit, "GPU master: a programme too long for 32-bit frame counts on the GPU");
    g.pages = ceil_div(steps, page);
    g.max_segments = ceil_div(page, kSegment);
    g.tail_stride = static_cast<uint32_t>(g.limiter.lookahead) + g.chunk;
    g.groups = ceil_div(page, kApplyGroup);
    if (spec.gain_reduction_bucket_frames > static_cast<int64_t>(kApplyGroup)) {   // master_limiter_apply.comp: a workgroup meets <= 2 buckets
        g.bucket_frames = spec.gain_reduction_bucket_frames;
        g.buckets = (g.longest + g.bucket_frames - 1) / g.bucket_frames;
    }
    const uint64_t F = page;

    // ---- buffers ----
    std::vector<uint32_t> lengths(g.programmes);
    for (uint32_t p = 0; p < g.programmes; ++p) lengths[p] = u32(spec.lengths_frames[p]);
    std::vector<float> taps(static_cast<size_t>((kTruePeakOversampling - 1) * kTruePeakTapsPerPhase));
    for (size_t i = 0; i < taps.size(); ++i) taps[i] = static_cast<float>(true_peak_taps()[static_cast<size_t>(kTruePeakTapsPerPhase) + i]);
    for (uint32_t s = 0; s < 2; ++s)
        if (auto ok = g.make(g.staging[s], 2 * n * F * sizeof(float), MemoryUse::Upload, "master mix staging"); !ok) return std::unexpected(ok.error());
    for (auto r : {g.make(g.mix, 2 * n * F * sizeof(float), MemoryUse::Device, "master mix"),
                   g.make(g.env, n * F * sizeof(float), MemoryUse::Device, "master envelope"),
                   g.make(g.wmax, n * F * sizeof(float), MemoryUse::Device, "master window maximum"),
                   g.make(g.tp_hist, 2 * n * kTpHistoryStride * sizeof(float), MemoryUse::Device, "master detector history"),
                   g.make(g.env_hist, n * static_cast<uint64_t>(g.window) * sizeof(float), MemoryUse::Device, "master envelope history"),
                   g.make(g.taps, taps.size() * sizeof(float), MemoryUse::Device, "master true-peak taps"),
                   g.make(g.lengths, n * sizeof(uint32_t), MemoryUse::Device, "master lengths")})
        if (!r) return std::unexpected(r.error());
    if (auto ok = upload_now(ctx, g.taps, taps.data(), taps.size() * sizeof(float)); !ok) return std::unexpected(ok.error());
    if (auto ok = upload_now(ctx, g.lengths, lengths.data(), lengths.size() * sizeof(uint32_t)); !ok) return std::unexpected(ok.error());
    for (uint32_t j = 0; j < g.pages; ++j) {
        Buffer b;
        if (auto ok = g.make(b, 3 * n * F * sizeof(float), MemoryUse::Device, "master page"); !ok) return std::unexpected(ok.error());
        g.page.push_back(std::move(b));
    }

    // ---- stages ----
    if (eq_design) {
        std::vector<EqBinding> b(1);
        b[0].taps = eq_design->taps;
        for (uint32_t r = 0; r < 2 * g.programmes; ++r) b[0].row_offsets.push_back(r * g.chunk);
        auto st = EqStage::create(ctx, *g.plans, std::move(b), g.chunk, 1);
        if (!st) return std::unexpected(Error{st.error().code, "master.eq: " + st.error().message, st.error().vk_result});
        g.eq.emplace(std::move(*st));
        g.eq->bind_io(g.mix.get(), 0);
    }
    if (xo) {
        if (auto ok = g.make(g.band_rows, 2 * n * g.bands * F * sizeof(float), MemoryUse::Device, "master bands"); !ok) return std::unexpected(ok.error());
        FftConvolverSpec cs;
        cs.kernels = band_kernels(*xo);
        std::vector<CompressorBinding> comps;
        std::vector<StemParams> params;
        for (uint32_t p = 0; p < g.programmes; ++p)
            for (uint32_t b = 0; b < g.bands; ++b) {
                const uint32_t row = (p * g.bands + b) * 2;
                for (uint32_t c = 0; c < 2; ++c) {
                    cs.row_kernel.push_back(b);
                    cs.row_offsets.push_back((row + c) * g.chunk);
                }
                StemParams sp;
                sp.data_offset = row * g.chunk;
                sp.channels = 2;
                sp.enabled = 1;
                comps.push_back(CompressorBinding{static_cast<uint32_t>(params.size()), band_comp[b], kOwnDetector, 0});
                params.push_back(sp);
            }
        cs.max_block_frames = g.chunk;
        auto conv = FftConvolver::create(ctx, *g.plans, cs);
        if (!conv) return std::unexpected(Error{conv.error().code, "master.multiband: " + conv.error().message, conv.error().vk_result});
        g.crossover.emplace(std::move(*conv));
        g.crossover->bind_io(g.band_rows.get(), 0);
        if (auto ok = g.make(g.params, params.size() * sizeof(StemParams), MemoryUse::Device, "master band compressors"); !ok)
            return std::unexpected(ok.error());
        if (auto ok = upload_now(ctx, g.params, params.data(), params.size() * sizeof(StemParams)); !ok) return std::unexpected(ok.error());
        auto comp = CompressorStage::create(ctx, 1, comps);
        if (!comp) return std::unexpected(comp.error());
        g.compressors.emplace(std::move(*comp));
        g.compressors->bind(0, g.band_rows.get(), g.params.get(), g.band_rows.get());
        if (auto ok = g.make(g.widths, band_widths.size() * sizeof(float) * 2, MemoryUse::Device, "master band widths"); !ok)
            return std::unexpected(ok.error());
        if (auto ok = upload_now(ctx, g.widths, band_widths.data(), band_widths.size() * sizeof(float) * 2); !ok) return std::unexpected(ok.error());
        auto k = Kernel::create(ctx, "master_bands", 3, sizeof(PrePush));
        if (!k) return std::unexpected(k.error());
        g.bands_k = std::move(*k);
        const std::array<VkBuffer, 3> bb{g.band_rows.get(), g.mix.get(), g.widths.get()};
        g.bands_k.bind(0, bb);
    }
    if (mono || g.stereo_flags) {
        if (mono) {
            if (auto ok = g.make(g.ms, 2 * n * F * sizeof(float), MemoryUse::Device, "master mid/side"); !ok) return std::unexpected(ok.error());
            FftConvolverSpec cs;
            std::vector<double> delay(static_cast<size_t>(mono->taps), 0.0);
            delay[static_cast<size_t>(mono->delay_frames())] = 1.0;
            cs.kernels = {delay, band_kernels(*mono)[1]};
            for (uint32_t r = 0; r < 2 * g.programmes; ++r) {
                cs.row_kernel.push_back(r % 2);   // M: the delay, S: the high-pass band
                cs.row_offsets.push_back(r * g.chunk);
            }
            cs.max_block_frames = g.chunk;
            auto conv = FftConvolver::create(ctx, *g.plans, cs);
            if (!conv) return std::unexpected(Error{conv.error().code, "master.mono_below_hz: " + conv.error().message, conv.error().vk_result});
            g.mono.emplace(std::move(*conv));
            g.mono->bind_io(g.ms.get(), 0);
        }
        auto k = Kernel::create(ctx, "master_stereo", 2, sizeof(PrePush));
        if (!k) return std::unexpected(k.error());
        g.stereo_k = std::move(*k);
        const std::array<VkBuffer, 2> sb{g.mix.get(), mono ? g.ms.get() : g.mix.get()};
        g.stereo_k.bind(0, sb);
    }
    {
        auto k = Kernel::create(ctx, "master_detect", 5, sizeof(PrePush));
        if (!k) return std::unexpected(k.error());
        g.detect_k = std::move(*k);
        const std::array<VkBuffer, 5> db{g.mix.get(), g.taps.get(), g.tp_hist.get(), g.env.get(), g.lengths.get()};
        g.detect_k.bind(0, db);
        auto w = Kernel::create(ctx, "master_window_max", 3, sizeof(PrePush));
        if (!w) return std::unexpected(w.error());
        g.window_k = std::move(*w);
        const std::array<VkBuffer, 3> wb{g.env.get(), g.env_hist.get(), g.wmax.get()};
        g.window_k.bind(0, wb);
        auto h = Kernel::create(ctx, "master_history", 2, sizeof(HistoryPush), 2);
        if (!h) return std::unexpected(h.error());
        g.history_k = std::move(*h);
        const std::array<VkBuffer, 2> h0{g.mix.get(), g.tp_hist.get()}, h1{g.env.get(), g.env_hist.get()};
        g.history_k.bind(0, h0);
        g.history_k.bind(1, h1);
    }

    // ---- limiter ----
    std::vector<double> design(8 + 65, 0.0);
    design[0] = g.limiter.release_coeff;
    design[1] = 1.0 - g.limiter.release_coeff;
    for (uint32_t j = 0; j <= 64; ++j) design[8 + j] = std::pow(g.limiter.release_coeff, static_cast<double>(kSegment) * j);
    const uint64_t w = static_cast<uint64_t>(g.limiter.lookahead);
    for (auto r : {g.make(g.design, design.size() * sizeof(double), MemoryUse::Device, "limiter design"),
                   g.make(g.lanes, lanes * sizeof(LaneParams), MemoryUse::Upload, "limiter lanes"),
                   g.make(g.maps, lanes * g.max_segments * 2 * sizeof(double), MemoryUse::Device, "limiter release maps"),
                   g.make(g.start, lanes * g.max_segments * sizeof(double), MemoryUse::Device, "limiter release starts"),
                   g.make(g.state, lanes * sizeof(double), MemoryUse::Device, "limiter release state"),
                   g.make(g.fvals, lanes * g.tail_stride * sizeof(double), MemoryUse::Device, "limiter release values"),
                   g.make(g.fscratch, lanes * w * sizeof(double), MemoryUse::Device, "limiter release tail"),
                   g.make(g.out, 2 * lanes * F * sizeof(float), MemoryUse::Device, "limiter output"),
                   g.make(g.min_gain, lanes * sizeof(uint32_t), MemoryUse::Readback, "limiter minimum gain"),
                   g.make(g.bucket_min, lanes * std::max<uint64_t>(1, g.buckets) * sizeof(uint32_t), MemoryUse::Readback,
                          "limiter minimum gain per bucket"),
                   g.make(g.partials, lanes * g.groups * 2 * sizeof(double), MemoryUse::Device, "limiter statistics"),
                   g.make(g.totals, lanes * 2 * sizeof(double), MemoryUse::Readback, "limiter totals"),
                   g.make(g.ones, std::max<uint64_t>(lanes, w) * sizeof(double), MemoryUse::Device, "limiter ones"),
                   g.make(g.readback[0], 2 * n * F * sizeof(float), MemoryUse::Readback, "master output"),
                   g.make(g.readback[1], 2 * n * F * sizeof(float), MemoryUse::Readback, "master output")})
        if (!r) return std::unexpected(r.error());
    const std::vector<double> ones(std::max<uint64_t>(lanes, w), 1.0);
    if (auto ok = upload_now(ctx, g.design, design.data(), design.size() * sizeof(double)); !ok) return std::unexpected(ok.error());
    if (auto ok = upload_now(ctx, g.ones, ones.data(), ones.size() * sizeof(double)); !ok) return std::unexpected(ok.error());
    struct Make {
        Kernel* k;
        const char* name;
        uint32_t buffers, sets;
    };
    for (const Make& mk : {Make{&g.partial_k, "master_limiter_partial", 4, g.pages}, Make{&g.scan_k, "master_limiter_scan", 4, 1},
                           Make{&g.release_k, "master_limiter_release", 6, g.pages}, Make{&g.apply_k, "master_limiter_apply", 7, g.pages},
                           Make{&g.stats_k, "master_limiter_stats", 2, 1}}) {
        auto k = Kernel::create(ctx, mk.name, mk.buffers, sizeof(LimiterPush), mk.sets);
        if (!k) return std::unexpected(k.error());
        *mk.k = std::move(*k);
    }
    for (uint32_t j = 0; j < g.pages; ++j) {
        const VkBuffer pg = g.page[j].get();
        const std::array<VkBuffer, 4> pb{pg, g.design.get(), g.lanes.get(), g.maps.get()};
        g.partial_k.bind(j, pb);
        const std::array<VkBuffer, 6> rb{pg, g.design.get(), g.lanes.get(), g.start.get(), g.state.get(), g.fvals.get()};
        g.release_k.bind(j, rb);
        const std::array<VkBuffer, 7> ab{pg, g.lanes.get(), g.fvals.get(), g.out.get(), g.min_gain.get(), g.partials.get(), g.bucket_min.get()};
        g.apply_k.bind(j, ab);
    }
    const std::array<VkBuffer, 4> scb{g.design.get(), g.maps.get(), g.start.get(), g.state.get()};
    g.scan_k.bind(0, scb);
    const std::array<VkBuffer, 2> stb{g.partials.get(), g.totals.get()};
    g.stats_k.bind(0, stb);

    // ---- meters: the pre-chain's output, the loop's lanes, the delivered master ----
    MasterMeterSpec ms;
    ms.sample_rate = rate;
    ms.channels = 2;
    ms.max_chunk_frames = g.chunk;
    ms.lengths_frames = spec.lengths_frames;
    ms.true_peak = false;
    auto pre = MasterMeter::create(ctx, ms);
    if (!pre) return std::unexpected(pre.error());
    g.pre_meter.emplace(std::move(*pre));
    g.pre_meter->bind_io(g.mix.get(), 0);
    ms.lengths_frames.clear();
    for (uint32_t l = 0; l < g.max_lanes; ++l) ms.lengths_frames.push_back(spec.lengths_frames[l / static_cast<uint32_t>(spec.max_candidates)]);
    auto loop = MasterMeter::create(ctx, ms);
    if (!loop) return std::unexpected(loop.error());
    g.loop_meter.emplace(std::move(*loop));
    g.loop_meter->bind_io(g.out.get(), 0);
    ms.lengths_frames = spec.lengths_frames;
    ms.true_peak = true;
    auto fin = MasterMeter::create(ctx, ms);
    if (!fin) return std::unexpected(fin.error());
    g.final_meter.emplace(std::move(*fin));
    g.final_meter->bind_io(g.out.get(), 0);
    g.device_bytes += g.pre_meter->device_bytes() + g.loop_meter->device_bytes() + g.final_meter->device_bytes();

    for (uint32_t s = 0; s < 2; ++s) {
        auto slot = ctx.create_command_slot();
        if (!slot) return std::unexpected(slot.error());
        g.slots[s] = std::move(*slot);
        auto t = GpuTimer::create(ctx, std::max<uint32_t>(64, 3 * g.pages + 16));
        if (!t) return std::unexpected(t.error());
        g.timers[s] = std::move(*t);
    }
    return std::unique_ptr<GpuMaster>(new GpuMaster(std::move(impl)));
}

Result<void> GpuMaster::run_prechain(const MixSource& source) {
    Impl& g = *impl_;
    const uint64_t F = g.chunk;
    // Input until the last window maximum a limiter step can read is out:
    // u < length + q needs envelope positions up to there, 24 frames behind
    // the signal, which is D_s behind the mix.
    const int64_t total = g.longest + g.q + kDetectorLatency + g.delay;
    std::vector<float*> rows(2 * g.programmes);
    uint32_t s = 0;
    bool first_chunk = true;
    for (int64_t c0 = 0; c0 < total; c0 += g.chunk, s ^= 1) {
        const uint32_t frames = static_cast<uint32_t>(std::min<int64_t>(g.chunk, total - c0));
        if (auto ok = g.begin(s); !ok) return ok;   // waits for this slot's previous chunk: its staging is free
        for (uint32_t r = 0; r < rows.size(); ++r) rows[r] = g.staging[s].floats() + r * F;
        if (auto ok = source(c0, frames, rows); !ok) return ok;
        VkCommandBuffer cmd = g.slots[s].cmd;
        if (first_chunk) {
            for (const Buffer* b : {&g.tp_hist, &g.env_hist}) vkCmdFillBuffer(cmd, b->get(), 0, VK_WHOLE_SIZE, 0);
            for (const Buffer& b : g.page) vkCmdFillBuffer(cmd, b.get(), 0, VK_WHOLE_SIZE, 0);
            g.pre_meter->record_reset(cmd);
            first_chunk = false;
        }
        std::vector<VkBufferCopy> up;
        for (uint32_t r = 0; r < rows.size(); ++r) up.push_back({r * F * sizeof(float), r * F * sizeof(float), frames * sizeof(float)});
        vkCmdCopyBuffer(cmd, g.staging[s].get(), g.mix.get(), static_cast<uint32_t>(up.size()), up.data());
        compute_barrier(cmd);
        g.timers[s].mark(cmd, "master_transfer");
        const PrePush push = g.pre_push(frames, c0);
        if (g.eq) {
            if (auto ok = g.eq->record(cmd, frames, 0); !ok) return ok;
            g.timers[s].mark(cmd, "master_eq");
        }
        if (g.crossover) {
            std::vector<VkBufferCopy> fan;
            for (uint32_t p = 0; p < g.programmes; ++p)
                for (uint32_t b = 0; b < g.bands; ++b)
                    for (uint32_t c = 0; c < 2; ++c)
                        fan.push_back({(2 * p + c) * F * sizeof(float), ((p * g.bands + b) * 2 + c) * F * sizeof(float), frames * sizeof(float)});
            vkCmdCopyBuffer(cmd, g.mix.get(), g.band_rows.get(), static_cast<uint32_t>(fan.size()), fan.data());
            compute_barrier(cmd);
            if (auto ok = g.crossover->record(cmd, frames, 0); !ok) return ok;
            compute_barrier(cmd);
            g.compressors->record(cmd, 0, frames, g.chunk);
            g.bands_k.record(cmd, 0, &push, ceil_div(frames, 64), g.programmes);
            compute_barrier(cmd);
            g.timers[s].mark(cmd, "master_multiband");
        }
        if (g.mono || g.stereo_flags) {
            PrePush sp = push;
            if (g.mono) {
                sp.mode = 1;
                g.stereo_k.record(cmd, 0, &sp, ceil_div(frames, 64), g.programmes);
                compute_barrier(cmd);
                if (auto ok = g.mono->record(cmd, frames, 0); !ok) return ok;
                compute_barrier(cmd);
                sp.mode = 2;
            }
            g.stereo_k.record(cmd, 0, &sp, ceil_div(frames, 64), g.programmes);
            compute_barrier(cmd);
            g.timers[s].mark(cmd, "master_stereo");
        }
        // The pre-limiter loudness: signal frames start D_s into the stream.
        const int64_t skip = std::clamp<int64_t>(g.delay - c0, 0, frames);
        if (skip < frames) g.pre_meter->record(cmd, 0, static_cast<uint32_t>(frames - skip), static_cast<uint32_t>(skip), g.chunk);
        g.timers[s].mark(cmd, "master_meter");
        // Detector, window maximum, histories.
        g.detect_k.record(cmd, 0, &push, ceil_div(frames, 64), g.programmes);
        compute_barrier(cmd);
        const HistoryPush tp{frames, 2 * g.programmes, g.chunk, static_cast<uint32_t>(kTpHistoryStride - 1), kTpHistoryStride};
        g.history_k.record(cmd, 0, &tp, ceil_div(2 * g.programmes, 64));
        g.window_k.record(cmd, 0, &push, ceil_div(frames, 64), g.programmes);
        compute_barrier(cmd);
        const HistoryPush eh{frames, g.programmes, g.chunk, u32(g.window), u32(g.window)};
        g.history_k.record(cmd, 1, &eh, ceil_div(g.programmes, 64));
        // Into the pages: L, R at u = t + q (t = c0 + i − D_s in [0, length)),
        // the window maximum at u = t − 24 in [0, length + q).
        std::vector<std::vector<VkBufferCopy>> from_mix(g.pages), from_wmax(g.pages);
        for (uint32_t p = 0; p < g.programmes; ++p) {
            const int64_t len = g.spec.lengths_frames[p];
            const int64_t t0 = c0 - g.delay;
            const int64_t i_lo = std::max<int64_t>(0, -t0), i_hi = std::min<int64_t>(frames, len - t0);
            if (i_hi > i_lo)
                for (uint32_t c = 0; c < 2; ++c)
                    g.store((2 * p + c) * F + static_cast<uint64_t>(i_lo), t0 + i_lo + g.q, i_hi - i_lo, 3 * p + c, from_mix);
            const int64_t u0 = t0 - kDetectorLatency;
            const int64_t j_lo = std::max<int64_t>(0, -u0), j_hi = std::min<int64_t>(frames, len + g.q - u0);
            if (j_hi > j_lo) g.store(p * F + static_cast<uint64_t>(j_lo), u0 + j_lo, j_hi - j_lo, 3 * p + 2, from_wmax);
        }
        compute_barrier(cmd);
        for (uint32_t j = 0; j < g.pages; ++j) {
            if (!from_mix[j].empty()) vkCmdCopyBuffer(cmd, g.mix.get(), g.page[j].get(), static_cast<uint32_t>(from_mix[j].size()), from_mix[j].data());
            if (!from_wmax[j].empty())
                vkCmdCopyBuffer(cmd, g.wmax.get(), g.page[j].get(), static_cast<uint32_t>(from_wmax[j].size()), from_wmax[j].data());
        }
        compute_barrier(cmd);
        g.timers[s].mark(cmd, "master_limiter");
        if (c0 + frames >= total) g.pre_meter->record_finish(cmd);
        {   // the floor's count of this chunk (floats of R mix rows, Rb band rows, N envelope rows)
            const uint64_t n = frames, R = 2 * g.programmes, N = g.programmes, Rb = R * g.bands;
            g.work.bytes_uploaded += R * n * 4;
            g.work.traffic_bytes += 2 * R * n * 4;                          // staging -> mix
            if (g.eq) g.count_convolver(g.eq->convolver(), n);
            if (g.crossover) {
                g.work.traffic_bytes += 2 * Rb * n * 4;                     // fan-out
                g.count_convolver(*g.crossover, n);
                g.work.traffic_bytes += 2 * Rb * n * 4 + Rb * n * 4 + R * n * 4;   // compressors; band sum
            }
            if (g.mono) {
                g.work.traffic_bytes += 4 * R * n * 4;                      // split, join
                g.count_convolver(*g.mono, n);
            } else if (g.stereo_flags) {
                g.work.traffic_bytes += 2 * R * n * 4;
            }
            g.work.traffic_bytes += (2 * R + 5 * N) * n * 4;                // pre-limiter meter: two reads, energy, prefix, windows
            g.work.traffic_bytes += (R + N) * n * 4 + 2 * N * n * 4;        // detector; window maximum
            g.work.traffic_bytes += 2 * (R + N) * n * 4;                    // into the pages
        }
        if (auto ok = g.submit(s); !ok) return ok;
    }
    if (auto ok = g.settle(); !ok) return ok;
    g.pre_readings = g.pre_meter->read();
    return {};
}

Result<GpuMaster::PrechainOutput> GpuMaster::read_prechain(int p) {
    Impl& g = *impl_;
    if (p < 0 || p >= static_cast<int>(g.programmes)) return fail(ErrorCode::InvalidArgument, "GPU master: no such programme");
    const int64_t len = g.spec.lengths_frames[static_cast<size_t>(p)];
    PrechainOutput out;
    out.signal.resize(2, len);
    out.window_max.assign(static_cast<size_t>(len + g.q), 0.0f);
    for (uint32_t j = 0; j < g.pages; ++j) {
        if (auto ok = g.begin(0); !ok) return std::unexpected(ok.error());
        const uint64_t F = g.chunk;
        std::vector<VkBufferCopy> r;
        for (uint32_t k = 0; k < 3; ++k) r.push_back({(3 * static_cast<uint64_t>(p) + k) * F * sizeof(float), k * F * sizeof(float), F * sizeof(float)});
        vkCmdCopyBuffer(g.slots[0].cmd, g.page[j].get(), g.readback[0].get(), 3, r.data());
        if (auto ok = g.submit(0); !ok) return std::unexpected(ok.error());
        if (auto ok = g.settle(); !ok) return std::unexpected(ok.error());
        const float* rb = g.readback[0].floats();
        for (uint64_t i = 0; i < F; ++i) {
            const int64_t u = static_cast<int64_t>(j * F + i), n = u - g.q;
            if (n >= 0 && n < len)
                for (int c = 0; c < 2; ++c) out.signal.channel(c)[n] = rb[static_cast<uint64_t>(c) * F + i];
            if (u < len + g.q) out.window_max[static_cast<size_t>(u)] = rb[2 * F + i];
        }
    }
    return out;
}

Result<std::vector<GpuLaneResult>> GpuMaster::run_limiter(std::span<const double> gains_db, int candidates, std::span<const double> ceilings_dbtp,
                                                          bool true_peak, const MasterSink* sink) {
    Impl& g = *impl_;
    if (candidates < 1 || candidates > g.spec.max_candidates || gains_db.size() != g.programmes * static_cast<size_t>(candidates) ||
        ceilings_dbtp.size() != g.programmes || (sink && candidates != 1))
        return fail(ErrorCode::InvalidArgument, "GPU master: a limiter pass needs programmes x candidates gains, one ceiling per programme");
    // The delivering pass (one candidate, true peak or output) has its own
    // meter; loop passes run the loop meter's max_candidates lanes per
    // programme (its lanes' lengths are fixed), the requested candidates
    // padded with copies of the last.
    const bool final_pass = candidates == 1 && (true_peak || sink);
    MasterMeter& meter = final_pass ? *g.final_meter : *g.loop_meter;
    const uint32_t per = final_pass ? 1u : static_cast<uint32_t>(g.spec.max_candidates);
    const uint32_t lanes = g.programmes * per;
    auto* lp = static_cast<LaneParams*>(g.lanes.mapped());
    for (uint32_t l = 0; l < lanes; ++l) {
        const uint32_t p = l / per, k = std::min(l % per, static_cast<uint32_t>(candidates) - 1);
        const double gain = db_to_gain(gains_db[p * static_cast<uint32_t>(candidates) + k]);
        // Without a limiter C/G is beyond any peak: e = f = g = 1 and the
        // output is x · float(G), the CPU's plain gain, exactly.
        lp[l] = LaneParams{g.has_limiter ? db_to_gain(ceilings_dbtp[p]) / gain : std::numeric_limits<double>::max(), gain,
                           static_cast<double>(g.spec.lengths_frames[p]), 0.0};
    }
    const uint64_t F = g.chunk;
    const uint64_t w = static_cast<uint64_t>(g.limiter.lookahead);
    const int64_t steps = g.longest + g.q;
    uint32_t s = 0;
    if (auto ok = g.begin(s); !ok) return std::unexpected(ok.error());
    {   // reset: f = 1 before the first step, the minimum gain 1, the sums 0
        VkCommandBuffer cmd = g.slots[s].cmd;
        const VkBufferCopy st{0, 0, lanes * sizeof(double)};
        vkCmdCopyBuffer(cmd, g.ones.get(), g.state.get(), 1, &st);
        std::vector<VkBufferCopy> tails;
        for (uint32_t l = 0; l < lanes; ++l) tails.push_back({0, uint64_t{l} * g.tail_stride * sizeof(double), w * sizeof(double)});
        vkCmdCopyBuffer(cmd, g.ones.get(), g.fvals.get(), lanes, tails.data());
        uint32_t one_bits = 0;
        const float one = 1.0f;
        std::memcpy(&one_bits, &one, sizeof one_bits);
        vkCmdFillBuffer(cmd, g.min_gain.get(), 0, VK_WHOLE_SIZE, one_bits);
        vkCmdFillBuffer(cmd, g.bucket_min.get(), 0, VK_WHOLE_SIZE, one_bits);
        vkCmdFillBuffer(cmd, g.totals.get(), 0, VK_WHOLE_SIZE, 0);
        meter.record_reset(cmd);
    }
    std::array<int64_t, 2> pending_page{-1, -1};   // the page whose output a slot's readback holds
    auto deliver = [&](uint32_t slot) -> Result<void> {
        if (!sink || pending_page[slot] < 0) return {};
        const int64_t j = pending_page[slot];
        pending_page[slot] = -1;
        const float* rb = g.readback[slot].floats();
        for (uint32_t p = 0; p < g.programmes; ++p) {
            const int64_t len = g.spec.lengths_frames[p];
            const int64_t n0 = j * static_cast<int64_t>(F) - g.q;
            const int64_t i_lo = std::max<int64_t>(0, -n0), i_hi = std::min<int64_t>(static_cast<int64_t>(F), len - n0);
            if (i_hi <= i_lo) continue;
            const float* l = rb + 2 * p * F + static_cast<uint64_t>(i_lo);
            if (auto ok = (*sink)(static_cast<int>(p), n0 + i_lo, i_hi - i_lo, l, l + F); !ok) return ok;
        }
        return {};
    };
    for (uint32_t j = 0; j < g.pages; ++j) {
        VkCommandBuffer cmd = g.slots[s].cmd;
        const uint32_t frames = static_cast<uint32_t>(std::min<int64_t>(static_cast<int64_t>(F), steps - static_cast<int64_t>(j * F)));
        LimiterPush push{};
        push.frames = frames;
        push.page_stride = g.chunk;
        push.lanes = lanes;
        push.candidates = per;
        push.segments = ceil_div(frames, kSegment);
        push.max_segments = g.max_segments;
        push.lookahead = static_cast<uint32_t>(w);
        push.u0 = static_cast<uint32_t>(j * F);
        push.q = u32(g.q);
        push.out_stride = g.chunk;
        push.tail_stride = g.tail_stride;
        push.groups = g.groups;
        push.bucket_frames = u32(g.bucket_frames);
        push.buckets = u32(g.buckets);
        g.partial_k.record(cmd, j, &push, ceil_div(push.segments, 64), lanes);
        compute_barrier(cmd);
        g.scan_k.record(cmd, 0, &push, lanes);
        compute_barrier(cmd);
        g.release_k.record(cmd, j, &push, ceil_div(push.segments, 64), lanes);
        compute_barrier(cmd);
        g.apply_k.record(cmd, j, &push, ceil_div(frames, kApplyGroup), lanes);
        compute_barrier(cmd);
        g.stats_k.record(cmd, 0, &push, lanes);
        // The last W values of f become the next page's tail (through a
        // scratch buffer: with a page shorter than W the ranges overlap).
        std::vector<VkBufferCopy> out_tail(lanes), in_tail(lanes);
        for (uint32_t l = 0; l < lanes; ++l) {
            out_tail[l] = {(uint64_t{l} * g.tail_stride + frames) * sizeof(double), uint64_t{l} * w * sizeof(double), w * sizeof(double)};
            in_tail[l] = {out_tail[l].dstOffset, uint64_t{l} * g.tail_stride * sizeof(double), w * sizeof(double)};
        }
        vkCmdCopyBuffer(cmd, g.fvals.get(), g.fscratch.get(), lanes, out_tail.data());
        compute_barrier(cmd);
        vkCmdCopyBuffer(cmd, g.fscratch.get(), g.fvals.get(), lanes, in_tail.data());
        compute_barrier(cmd);
        g.timers[s].mark(cmd, "master_limiter");
        // Signal frames start q steps into the limiter's time.
        const int64_t skip = std::clamp<int64_t>(g.q - static_cast<int64_t>(j * F), 0, frames);
        if (skip < frames) meter.record(cmd, 0, static_cast<uint32_t>(frames - skip), static_cast<uint32_t>(skip), g.chunk);
        g.timers[s].mark(cmd, "master_meter");
        {   // the floor's count of this page, per lane: the window maximum
            // read twice, f written and read (double), x read, y written; the
            // meter's two reads of y, energy, prefix and windows; the true peak's read
            const uint64_t n = frames;
            g.work.traffic_bytes += uint64_t{lanes} * n * (2 * 4 + 2 * 8 + 2 * 4 + 2 * 4) + uint64_t{lanes} * n * (2 * 2 * 4 + 4 * 4);
            if (final_pass) g.work.traffic_bytes += uint64_t{lanes} * n * 2 * 4;
            if (sink) {
                g.work.bytes_downloaded += uint64_t{lanes} * n * 2 * 4;
                g.work.traffic_bytes += uint64_t{lanes} * n * 2 * 4 * 2;
            }
        }
        const bool last = j + 1 == g.pages;
        if (last) meter.record_finish(cmd);
        if (sink) {
            std::vector<VkBufferCopy> down;
            for (uint32_t r = 0; r < 2 * lanes; ++r) down.push_back({r * F * sizeof(float), r * F * sizeof(float), frames * sizeof(float)});
            vkCmdCopyBuffer(cmd, g.out.get(), g.readback[s].get(), static_cast<uint32_t>(down.size()), down.data());
            g.timers[s].mark(cmd, "master_transfer");
            pending_page[s] = j;
        }
        // One submission per page: each stays short (a bounded fence wait,
        // a display watchdog), and the host hands out page j − 1 while the
        // GPU limits page j.
        if (auto ok = g.submit(s); !ok) return std::unexpected(ok.error());
        if (last) break;
        s ^= 1;
        if (auto ok = g.begin(s); !ok) return std::unexpected(ok.error());   // waits for page j − 1 (this slot's)
        if (auto ok = deliver(s); !ok) return std::unexpected(ok.error());
    }
    if (auto ok = g.settle(); !ok) return std::unexpected(ok.error());
    for (uint32_t slot : {s ^ 1u, s})
        if (auto ok = deliver(slot); !ok) return std::unexpected(ok.error());

    const std::vector<MasterMeterReading> readings = meter.read();
    const auto* min_bits = static_cast<const uint32_t*>(g.min_gain.mapped());
    const auto* totals = static_cast<const double*>(g.totals.mapped());
    std::vector<GpuLaneResult> out(gains_db.size());
    for (size_t r = 0; r < out.size(); ++r) {
        const uint32_t p = static_cast<uint32_t>(r) / static_cast<uint32_t>(candidates), k = static_cast<uint32_t>(r) % static_cast<uint32_t>(candidates);
        const uint32_t l = p * per + k;
        out[r].meter = readings[l];
        float low = 1.0f;
        std::memcpy(&low, min_bits + l, sizeof low);
        master::LimiterStats& st = out[r].limiter;
        st.frames = g.spec.lengths_frames[p];
        st.max_gain_reduction_db = low < 1.0f ? -20.0 * std::log10(static_cast<double>(low)) : 0.0;
        const double limited = totals[2 * l], sum_db = totals[2 * l + 1];
        st.mean_gain_reduction_db = limited > 0.0 ? sum_db / limited : 0.0;
        st.limited_fraction = st.frames > 0 ? limited / static_cast<double>(st.frames) : 0.0;
        if (g.bucket_frames > 0) {   // -20 log10 of each bucket's smallest gain, as the CPU's LimiterStage reports it
            const auto* bucket_bits = static_cast<const uint32_t*>(g.bucket_min.mapped()) + uint64_t{l} * g.buckets;
            std::vector<float>& gr = out[r].gain_reduction_db;
            gr.resize(static_cast<size_t>((st.frames + g.bucket_frames - 1) / g.bucket_frames));
            for (size_t b = 0; b < gr.size(); ++b) {
                float lowest = 1.0f;
                std::memcpy(&lowest, bucket_bits + b, sizeof lowest);
                gr[b] = static_cast<float>(std::max(0.0, -20.0 * std::log10(static_cast<double>(lowest))));
            }
        }
    }
    return out;
}

}  // namespace sf::gpu
