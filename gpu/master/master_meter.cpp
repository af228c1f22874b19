#include "gpu/master/master_meter.h"

#include <algorithm>
#include <array>
#include <cmath>
#include <cstring>
#include <limits>
#include <string>

#include "analysis/loudness.h"
#include "engine/dsp/true_peak.h"
#include "gpu/stages/fft_convolver.h"  // upload_now

namespace sf::gpu {

namespace {

// Mirrors MeterPush in shaders/loudness_common.glsl.
struct MeterPush {
    uint32_t chunk_start, frames, row_stride, io_offset;
    uint32_t programmes, channels, segments, max_segments;
    uint32_t estride, hist, step, tiles;
    uint32_t max_tiles, max_blocks, lra_stride, partials;
};
static_assert(sizeof(MeterPush) == 64);

constexpr uint32_t kSegment = 1024;     // loudness_common.glsl
constexpr uint32_t kKwMatrices = 32;
constexpr uint32_t kPrefixTile = 1024;
constexpr uint32_t kWindowGroup = 256;
constexpr uint32_t kRankSlice = 4096;   // loudness_lra_rank.comp
constexpr uint32_t kTpHistory = 48;     // floats per row (47 used)

constexpr double kAbsoluteGateLufs = -70.0;   // BS.1770-4 §2.8, Tech 3342 §3
constexpr double kLufsOffset = -0.691;        // BS.1770-4 eq. (2)

using State = std::array<double, 4>;   // shelf z1, z2, high-pass z1, z2
using Matrix = std::array<double, 16>; // column-major

// One zero-input step of the two biquads, exactly as the shaders and the CPU
// meter run them (transposed direct form II).
State zero_input_step(const analysis::KWeighting& k, const State& s) {
    const double y1 = s[0];
    const double n1 = -k.shelf.a1 * y1 + s[1];
    const double n2 = -k.shelf.a2 * y1;
    const double y2 = k.highpass.b0 * y1 + s[2];
    const double n3 = k.highpass.b1 * y1 - k.highpass.a1 * y2 + s[3];
    const double n4 = k.highpass.b2 * y1 - k.highpass.a2 * y2;
    return {n1, n2, n3, n4};
}

Matrix multiply(const Matrix& a, const Matrix& b) {
    Matrix r{};
    for (int col = 0; col < 4; ++col)
        for (int row = 0; row < 4; ++row) {
            double s = 0.0;
            for (int k = 0; k < 4; ++k) s += a[static_cast<size_t>(k * 4 + row)] * b[static_cast<size_t>(col * 4 + k)];
            r[static_cast<size_t>(col * 4 + row)] = s;
        }
    return r;
}

// A^kSegment: column k is the state after kSegment zero-input steps from the
// unit state e_k (the recursion itself, not repeated squaring).
Matrix segment_transition(const analysis::KWeighting& k) {
    Matrix m{};
    for (int col = 0; col < 4; ++col) {
        State s{};
        s[static_cast<size_t>(col)] = 1.0;
        for (uint32_t i = 0; i < kSegment; ++i) s = zero_input_step(k, s);
        for (int row = 0; row < 4; ++row) m[static_cast<size_t>(col * 4 + row)] = s[static_cast<size_t>(row)];
    }
    return m;
}

uint32_t ceil_div(uint64_t a, uint64_t b) { return static_cast<uint32_t>((a + b - 1) / b); }

}  // namespace

Result<MasterMeter> MasterMeter::create(Context& ctx, const MasterMeterSpec& spec) {
    if (spec.sample_rate < 8000 || spec.sample_rate > 768000)
        return fail(ErrorCode::InvalidArgument, "GPU meter: sample rate " + std::to_string(spec.sample_rate) + " Hz outside 8000..768000");
    auto weights = analysis::bs1770_channel_weights(spec.channels);
    if (!weights) return std::unexpected(weights.error());
    if (spec.lengths_frames.empty()) return fail(ErrorCode::InvalidArgument, "GPU meter: no programmes");
    if (spec.max_chunk_frames < 1) return fail(ErrorCode::InvalidArgument, "GPU meter: max_chunk_frames must be >= 1");
    if (!(spec.lra_hop_s >= 0.1 && spec.lra_hop_s <= 3.0)) return fail(ErrorCode::InvalidArgument, "GPU meter: lra_hop_s must be in [0.1, 3] s");
    if (!ctx.float64())
        return fail(ErrorCode::DeviceLimit, "the GPU meters need shaderFloat64, which this device lacks (use --backend cpu)");
    int64_t longest = 0;
    for (int64_t len : spec.lengths_frames) {
        if (len < 0 || len >= static_cast<int64_t>(std::numeric_limits<uint32_t>::max()) - spec.max_chunk_frames)
            return fail(ErrorCode::DeviceLimit, "GPU meter: a programme of " + std::to_string(len) + " frames (frame counts are 32-bit on the GPU)");
        longest = std::max(longest, len);
    }

    MasterMeter m;
    m.spec_ = spec;
    const uint32_t programmes = static_cast<uint32_t>(spec.lengths_frames.size());
    const uint32_t rows = programmes * static_cast<uint32_t>(spec.channels);
    const uint64_t chunk = static_cast<uint64_t>(spec.max_chunk_frames);
    m.step_ = static_cast<uint32_t>((spec.sample_rate + 5) / 10);   // round(rate / 10), as the CPU meter
    m.hist_ = 30 * m.step_;
    m.max_segments_ = ceil_div(chunk, kSegment);
    m.estride_ = static_cast<uint32_t>(m.hist_ + chunk);
    m.max_tiles_ = ceil_div(m.estride_, kPrefixTile);
    m.partials_ = ceil_div(chunk, kWindowGroup);
    m.max_blocks_ = static_cast<uint32_t>(longest / m.step_ + 1);
    m.lra_stride_ = static_cast<uint32_t>(std::max<int64_t>(1, std::llround(spec.lra_hop_s * 10.0)));

    // The design, in double, once.
    const analysis::KWeighting k = analysis::design_k_weighting(spec.sample_rate);
    std::vector<double> kw(kKwMatrices + 65 * 16, 0.0);
    const double coefs[10] = {k.shelf.b0, k.shelf.b1, k.shelf.b2, k.shelf.a1, k.shelf.a2,
                              k.highpass.b0, k.highpass.b1, k.highpass.b2, k.highpass.a1, k.highpass.a2};
    std::copy(coefs, coefs + 10, kw.begin());
    std::copy(weights->begin(), weights->end(), kw.begin() + 10);
    kw[18] = std::pow(10.0, (kAbsoluteGateLufs - kLufsOffset) / 10.0);
    kw[19] = std::pow(10.0, -10.0 / 10.0);
    kw[20] = std::pow(10.0, -20.0 / 10.0);
    const Matrix step_matrix = segment_transition(k);
    Matrix power{};
    for (int i = 0; i < 4; ++i) power[static_cast<size_t>(i * 5)] = 1.0;
    for (uint32_t j = 0; j <= 64; ++j) {
        std::copy(power.begin(), power.end(), kw.begin() + kKwMatrices + 16 * j);
        power = multiply(step_matrix, power);
    }
    std::vector<float> taps(static_cast<size_t>((kTruePeakOversampling - 1) * kTruePeakTapsPerPhase));
    const auto& h = true_peak_taps();
    for (size_t i = 0; i < taps.size(); ++i) taps[i] = static_cast<float>(h[static_cast<size_t>(kTruePeakTapsPerPhase) + i]);
    std::vector<uint32_t> lengths(programmes);
    for (uint32_t p = 0; p < programmes; ++p) lengths[p] = static_cast<uint32_t>(spec.lengths_frames[p]);

    const uint64_t range = std::min<uint64_t>(ctx.limits().maxStorageBufferRange, 128ull << 20);
    const VkBufferUsageFlags storage = VK_BUFFER_USAGE_STORAGE_BUFFER_BIT;
    auto make = [&](Buffer& out, uint64_t bytes, MemoryUse use, const char* label) -> Result<void> {
        bytes = std::max<uint64_t>(bytes, 16);
        if (bytes > range)
            return fail(ErrorCode::DeviceLimit, std::string("GPU meter: the ") + label + " buffer needs " + std::to_string(bytes >> 20) +
                                                    " MiB, over one storage buffer's " + std::to_string(range >> 20) +
                                                    " MiB (fewer programmes or shorter chunks)");
        auto b = ctx.create_buffer(bytes, storage, use, label);
        if (!b) return std::unexpected(b.error());
        out = std::move(*b);
        m.device_bytes_ += bytes;
        return {};
    };
    const uint64_t seg_bytes = uint64_t{rows} * m.max_segments_ * 4 * sizeof(double);
    const uint64_t energy_bytes = uint64_t{programmes} * m.estride_ * sizeof(float);
    const uint64_t block_bytes = uint64_t{programmes} * m.max_blocks_ * sizeof(double);
    for (auto r : {make(m.kw_, kw.size() * sizeof(double), MemoryUse::Device, "meter design"),
                   make(m.zs_, seg_bytes, MemoryUse::Device, "K-weighting zero-state"),
                   make(m.start_, seg_bytes, MemoryUse::Device, "K-weighting start-state"),
                   make(m.state_, uint64_t{rows} * 4 * sizeof(double), MemoryUse::Device, "K-weighting state"),
                   make(m.energy_, energy_bytes, MemoryUse::Device, "meter energy"),
                   make(m.scratch_, uint64_t{programmes} * m.hist_ * sizeof(float), MemoryUse::Device, "meter energy history"),
                   make(m.prefix_, energy_bytes, MemoryUse::Device, "meter prefix"),
                   make(m.totals_, uint64_t{programmes} * m.max_tiles_ * sizeof(double), MemoryUse::Device, "meter tile totals"),
                   make(m.partial_max_, uint64_t{programmes} * m.partials_ * 2 * sizeof(double), MemoryUse::Device, "meter window maxima"),
                   make(m.maxima_, uint64_t{programmes} * 2 * sizeof(double), MemoryUse::Readback, "meter maxima"),
                   make(m.blocks_m_, block_bytes, MemoryUse::Device, "meter gating blocks"),
                   make(m.blocks_s_, block_bytes, MemoryUse::Device, "meter short-term blocks"),
                   make(m.ranks_, uint64_t{programmes} * m.max_blocks_ * 2 * sizeof(uint32_t), MemoryUse::Device, "meter LRA ranks"),
                   make(m.results_, uint64_t{programmes} * 8 * sizeof(double), MemoryUse::Readback, "meter results"),
                   make(m.lengths_, uint64_t{programmes} * sizeof(uint32_t), MemoryUse::Device, "meter lengths"),
                   make(m.taps_, taps.size() * sizeof(float), MemoryUse::Device, "true-peak taps"),
                   make(m.tp_history_, uint64_t{rows} * kTpHistory * sizeof(float), MemoryUse::Device, "true-peak history"),
                   make(m.peaks_, uint64_t{rows} * 2 * sizeof(uint32_t), MemoryUse::Readback, "true peaks")})
        if (!r) return std::unexpected(r.error());
    for (auto r : {upload_now(ctx, m.kw_, kw.data(), kw.size() * sizeof(double)),
                   upload_now(ctx, m.lengths_, lengths.data(), lengths.size() * sizeof(uint32_t)),
                   upload_now(ctx, m.taps_, taps.data(), taps.size() * sizeof(float))})
        if (!r) return std::unexpected(r.error());

    const uint32_t io_sets = std::max<uint32_t>(1, spec.io_sets);
    struct Make {
        Kernel* k;
        const char* name;
        uint32_t buffers, sets;
    };
    for (const Make& mk : {Make{&m.kw_partial_, "loudness_kw_partial", 3, io_sets}, Make{&m.kw_scan_, "loudness_kw_scan", 4, 1},
                           Make{&m.kw_energy_, "loudness_kw_energy", 6, io_sets}, Make{&m.prefix_k_, "loudness_prefix", 3, 1},
                           Make{&m.totals_k_, "loudness_prefix_totals", 1, 1}, Make{&m.windows_, "loudness_windows", 6, 1},
                           Make{&m.maxima_k_, "loudness_maxima", 2, 1}, Make{&m.true_peak_, "master_true_peak", 5, io_sets},
                           Make{&m.tp_history_k_, "master_true_peak_history", 2, io_sets}, Make{&m.gate_, "loudness_gate", 5, 1},
                           Make{&m.rank_, "loudness_lra_rank", 5, 1}, Make{&m.pick_, "loudness_lra_pick", 5, 1}}) {
        auto kernel = Kernel::create(ctx, mk.name, mk.buffers, sizeof(MeterPush), mk.sets);
        if (!kernel) return std::unexpected(kernel.error());
        *mk.k = std::move(*kernel);
    }
    auto bind = [](Kernel& kernel, std::initializer_list<VkBuffer> b) { kernel.bind(0, std::span<const VkBuffer>(b.begin(), b.size())); };
    bind(m.kw_scan_, {m.kw_.get(), m.zs_.get(), m.start_.get(), m.state_.get()});
    bind(m.prefix_k_, {m.energy_.get(), m.prefix_.get(), m.totals_.get()});
    bind(m.totals_k_, {m.totals_.get()});
    bind(m.windows_, {m.prefix_.get(), m.totals_.get(), m.partial_max_.get(), m.blocks_m_.get(), m.blocks_s_.get(), m.lengths_.get()});
    bind(m.maxima_k_, {m.partial_max_.get(), m.maxima_.get()});
    bind(m.gate_, {m.kw_.get(), m.blocks_m_.get(), m.blocks_s_.get(), m.lengths_.get(), m.results_.get()});
    bind(m.rank_, {m.kw_.get(), m.blocks_s_.get(), m.lengths_.get(), m.results_.get(), m.ranks_.get()});
    bind(m.pick_, {m.kw_.get(), m.blocks_s_.get(), m.lengths_.get(), m.results_.get(), m.ranks_.get()});
    return m;
}

void MasterMeter::bind_io(VkBuffer io, uint32_t set) {
    const std::array<VkBuffer, 3> partial{io, kw_.get(), zs_.get()};
    kw_partial_.bind(set, partial);
    const std::array<VkBuffer, 6> energy{io, kw_.get(), start_.get(), state_.get(), energy_.get(), lengths_.get()};
    kw_energy_.bind(set, energy);
    const std::array<VkBuffer, 5> tp{io, taps_.get(), tp_history_.get(), peaks_.get(), lengths_.get()};
    true_peak_.bind(set, tp);
    const std::array<VkBuffer, 2> tph{io, tp_history_.get()};
    tp_history_k_.bind(set, tph);
}

void MasterMeter::record_reset(VkCommandBuffer cmd) {
    // +0.0 in float and double, 0 in uint: silence, no peaks, empty maxima.
    for (const Buffer* b : {&state_, &energy_, &maxima_, &tp_history_, &peaks_}) vkCmdFillBuffer(cmd, b->get(), 0, VK_WHOLE_SIZE, 0);
    compute_barrier(cmd);
    measured_ = 0;
    needs_reset_ = false;
}

void MasterMeter::record(VkCommandBuffer cmd, uint32_t set, uint32_t frames, uint32_t io_offset, uint32_t row_stride) {
    if (needs_reset_) record_reset(cmd);
    if (frames == 0) return;
    const uint32_t programmes = static_cast<uint32_t>(spec_.lengths_frames.size());
    const uint32_t rows = programmes * static_cast<uint32_t>(spec_.channels);
    MeterPush push{};
    push.chunk_start = static_cast<uint32_t>(measured_);
    push.frames = frames;
    push.row_stride = row_stride;
    push.io_offset = io_offset;
    push.programmes = programmes;
    push.channels = static_cast<uint32_t>(spec_.channels);
    push.segments = ceil_div(frames, kSegment);
    push.max_segments = max_segments_;
    push.estride = estride_;
    push.hist = hist_;
    push.step = step_;
    push.tiles = ceil_div(uint64_t{hist_} + frames, kPrefixTile);
    push.max_tiles = max_tiles_;
    push.max_blocks = max_blocks_;
    push.lra_stride = lra_stride_;
    push.partials = partials_;

    // K-weighting: zero-state segments, the scan, the energy.
    kw_partial_.record(cmd, set, &push, ceil_div(push.segments, 64), rows);
    compute_barrier(cmd);
    kw_scan_.record(cmd, 0, &push, rows);
    compute_barrier(cmd);
    kw_energy_.record(cmd, set, &push, ceil_div(push.segments, 64), programmes);
    compute_barrier(cmd);
    // Window sums at every frame, gating blocks, maxima.
    prefix_k_.record(cmd, 0, &push, push.tiles, programmes);
    compute_barrier(cmd);
    totals_k_.record(cmd, 0, &push, programmes);
    compute_barrier(cmd);
    windows_.record(cmd, 0, &push, ceil_div(frames, kWindowGroup), programmes);
    compute_barrier(cmd);
    maxima_k_.record(cmd, 0, &push, programmes);
    // The last 3 s of energy become the next chunk's history (through a
    // scratch buffer: with a chunk shorter than 3 s the ranges overlap).
    std::vector<VkBufferCopy> out(programmes), in(programmes);
    for (uint32_t p = 0; p < programmes; ++p) {
        out[p] = {(uint64_t{p} * estride_ + frames) * sizeof(float), uint64_t{p} * hist_ * sizeof(float), uint64_t{hist_} * sizeof(float)};
        in[p] = {out[p].dstOffset, uint64_t{p} * estride_ * sizeof(float), out[p].size};
    }
    vkCmdCopyBuffer(cmd, energy_.get(), scratch_.get(), programmes, out.data());
    compute_barrier(cmd);
    vkCmdCopyBuffer(cmd, scratch_.get(), energy_.get(), programmes, in.data());
    if (spec_.true_peak) {
        true_peak_.record(cmd, set, &push, ceil_div(frames, 64), rows);
        compute_barrier(cmd);
        tp_history_k_.record(cmd, set, &push, ceil_div(rows, 64));
    }
    compute_barrier(cmd);
    measured_ += frames;
}

void MasterMeter::record_finish(VkCommandBuffer cmd) {
    if (needs_reset_) record_reset(cmd);
    const uint32_t programmes = static_cast<uint32_t>(spec_.lengths_frames.size());
    MeterPush push{};
    push.chunk_start = static_cast<uint32_t>(measured_);
    push.programmes = programmes;
    push.channels = static_cast<uint32_t>(spec_.channels);
    push.step = step_;
    push.max_blocks = max_blocks_;
    push.lra_stride = lra_stride_;
    vkCmdFillBuffer(cmd, ranks_.get(), 0, VK_WHOLE_SIZE, 0);
    compute_barrier(cmd);
    gate_.record(cmd, 0, &push, programmes);
    compute_barrier(cmd);
    // Candidates: every strided short-term value of the longest programme so far.
    const uint64_t steps = static_cast<uint64_t>(measured_) / step_;
    const uint64_t n_s = steps >= 30 ? steps - 29 : 0;
    const uint32_t count = ceil_div(n_s, lra_stride_);
    if (count > 0) {
        rank_.record(cmd, 0, &push, ceil_div(count, 64), programmes, ceil_div(count, kRankSlice));
        compute_barrier(cmd);
        pick_.record(cmd, 0, &push, ceil_div(count, 64), programmes);
    }
    host_read_barrier(cmd);
}

std::vector<MasterMeterReading> MasterMeter::read() const {
    const size_t programmes = spec_.lengths_frames.size();
    const size_t ch = static_cast<size_t>(spec_.channels);
    const double* results = static_cast<const double*>(results_.mapped());
    const double* maxima = static_cast<const double*>(maxima_.mapped());
    const uint32_t* peaks = static_cast<const uint32_t*>(peaks_.mapped());
    const double ninf = -std::numeric_limits<double>::infinity();
    auto lufs = [&](double energy) { return energy > 0.0 ? kLufsOffset + 10.0 * std::log10(energy) : ninf; };
    const double m_len = 4.0 * step_, s_len = 30.0 * step_;
    std::vector<MasterMeterReading> out(programmes);
    for (size_t p = 0; p < programmes; ++p) {
        MasterMeterReading& r = out[p];
        const double* res = results + 8 * p;
        r.loudness.integrated_lufs = res[1] > 0.0 ? lufs(res[0] / res[1]) : ninf;
        r.loudness.loudness_range_lu = res[3] > 0.0 ? lufs(res[5]) - lufs(res[4]) : 0.0;
        r.loudness.max_momentary_lufs = lufs(maxima[2 * p] / m_len);
        r.loudness.max_short_term_lufs = lufs(maxima[2 * p + 1] / s_len);
        for (size_t c = 0; c < ch; ++c) {
            float tp = 0.0f, sp = 0.0f;
            std::memcpy(&tp, peaks + 2 * (p * ch + c), sizeof tp);
            std::memcpy(&sp, peaks + 2 * (p * ch + c) + 1, sizeof sp);
            r.true_peak = std::max(r.true_peak, static_cast<double>(tp));
            r.sample_peak = std::max(r.sample_peak, static_cast<double>(sp));
        }
        if (spec_.true_peak && r.true_peak > 0.0) r.loudness.true_peak_dbtp = 20.0 * std::log10(r.true_peak);
    }
    return out;
}

// ---------------------------------------------------------------------------

Result<std::vector<MasterMeterReading>> measure_programmes(Context& ctx, std::span<const AudioBuffer> programmes, int sample_rate,
                                                           int64_t chunk_frames, bool true_peak) {
    if (programmes.empty()) return fail(ErrorCode::InvalidArgument, "GPU meter: no programmes");
    const int channels = programmes.front().channels();
    MasterMeterSpec spec;
    spec.sample_rate = sample_rate;
    spec.channels = channels;
    spec.true_peak = true_peak;
    spec.io_sets = 2;
    int64_t longest = 0;
    for (const AudioBuffer& b : programmes) {
        if (b.channels() != channels) return fail(ErrorCode::InvalidArgument, "GPU meter: programmes with different channel counts");
        spec.lengths_frames.push_back(b.frames());
        longest = std::max(longest, b.frames());
    }
    chunk_frames = std::clamp<int64_t>(chunk_frames, 1, std::max<int64_t>(1, longest));
    spec.max_chunk_frames = chunk_frames;
    auto meter = MasterMeter::create(ctx, spec);
    if (!meter) return std::unexpected(meter.error());
    const size_t rows = programmes.size() * static_cast<size_t>(channels);
    const uint64_t bytes = rows * static_cast<uint64_t>(chunk_frames) * sizeof(float);
    std::array<Buffer, 2> io;
    std::array<CommandSlot, 2> slots;
    for (uint32_t s = 0; s < 2; ++s) {
        auto b = ctx.create_buffer(bytes, VK_BUFFER_USAGE_STORAGE_BUFFER_BIT, MemoryUse::Upload, "meter chunk");
        if (!b) return std::unexpected(b.error());
        io[s] = std::move(*b);
        meter->bind_io(io[s].get(), s);
        auto slot = ctx.create_command_slot();
        if (!slot) return std::unexpected(slot.error());
        slots[s] = std::move(*slot);
    }
    const auto begin = vk_struct<VkCommandBufferBeginInfo>(VK_STRUCTURE_TYPE_COMMAND_BUFFER_BEGIN_INFO);
    uint32_t s = 0;
    if (longest == 0) {   // nothing to measure: the gates still run (and read silence)
        vkBeginCommandBuffer(slots[0].cmd, &begin);
        meter->record_finish(slots[0].cmd);
        vkEndCommandBuffer(slots[0].cmd);
        if (auto ok = ctx.run(slots[0]); !ok) return std::unexpected(ok.error());
        return meter->read();
    }
    for (int64_t first = 0; first < longest; first += chunk_frames, s ^= 1) {
        if (auto ok = ctx.wait(slots[s]); !ok) return std::unexpected(ok.error());   // this slot's previous chunk is measured
        const int64_t n = std::min(chunk_frames, longest - first);
        float* dst = io[s].floats();
        for (size_t p = 0; p < programmes.size(); ++p)
            for (int c = 0; c < channels; ++c) {
                float* row = dst + (p * static_cast<size_t>(channels) + static_cast<size_t>(c)) * static_cast<size_t>(chunk_frames);
                const int64_t have = std::clamp<int64_t>(programmes[p].frames() - first, 0, n);
                if (have > 0) std::memcpy(row, programmes[p].channel(c) + first, static_cast<size_t>(have) * sizeof(float));
                std::fill(row + have, row + n, 0.0f);
            }
        vkResetCommandBuffer(slots[s].cmd, 0);
        vkBeginCommandBuffer(slots[s].cmd, &begin);
        compute_barrier(slots[s].cmd);   // after the other slot's submission (the meter's state is shared)
        meter->record(slots[s].cmd, s, static_cast<uint32_t>(n), 0, static_cast<uint32_t>(chunk_frames));
        if (first + n >= longest) meter->record_finish(slots[s].cmd);
        vkEndCommandBuffer(slots[s].cmd);
        if (auto ok = ctx.submit(slots[s]); !ok) return std::unexpected(ok.error());
    }
    for (auto& slot : slots)
        if (auto ok = ctx.wait(slot); !ok) return std::unexpected(ok.error());
    return meter->read();
}

}  // namespace sf::gpu
