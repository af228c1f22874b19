#include "gpu/stages/fft_convolver.h"

#include <array>
#include <cassert>
#include <cmath>
#include <algorithm>
#include <cstring>

#include "engine/dsp/fftw_util.h"

namespace sf::gpu {

namespace {

constexpr uint32_t kGroup = 256;  // local_size_x of the fft_convolver shaders
uint32_t groups_for(uint64_t n) { return static_cast<uint32_t>((n + kGroup - 1) / kGroup); }

}  // namespace

Result<void> upload_now(Context& ctx, Buffer& dst, const void* data, size_t bytes) {
    if (dst.mapped()) {
        std::memcpy(dst.mapped(), data, bytes);
        return {};
    }
    auto staging = ctx.create_buffer(bytes, 0, MemoryUse::Upload, "upload staging");
    if (!staging) return std::unexpected(staging.error());
    std::memcpy(staging->mapped(), data, bytes);
    auto slot = ctx.create_command_slot();
    if (!slot) return std::unexpected(slot.error());
    auto bi = vk_struct<VkCommandBufferBeginInfo>(VK_STRUCTURE_TYPE_COMMAND_BUFFER_BEGIN_INFO);
    bi.flags = VK_COMMAND_BUFFER_USAGE_ONE_TIME_SUBMIT_BIT;
    vkBeginCommandBuffer(slot->cmd, &bi);
    const VkBufferCopy region{0, 0, bytes};
    vkCmdCopyBuffer(slot->cmd, staging->get(), dst.get(), 1, &region);
    compute_barrier(slot->cmd);
    vkEndCommandBuffer(slot->cmd);
    return ctx.run(*slot);
}

Result<FftConvolver> FftConvolver::create(Context& ctx, FftPlans& plans, const FftConvolverSpec& spec) {
    if (spec.kernels.empty() || spec.row_kernel.empty()) return fail(ErrorCode::InvalidArgument, "GPU convolver: no kernels or no rows");
    size_t max_len = 0;
    for (const auto& k : spec.kernels) {
        if (k.empty()) return fail(ErrorCode::InvalidArgument, "GPU convolver: an empty kernel");
        max_len = std::max(max_len, k.size());
    }
    const bool pairs = !spec.row_cross.empty();
    const size_t rows = spec.row_kernel.size();
    auto bad_kernel = [&](uint32_t k) { return k != kNoKernel ? k >= spec.kernels.size() : !pairs; };
    for (uint32_t r : spec.row_kernel)
        if (bad_kernel(r)) return fail(ErrorCode::InvalidArgument, "GPU convolver: a row names kernel " + std::to_string(r) + " of " + std::to_string(spec.kernels.size()));
    if (pairs && (spec.row_cross.size() != rows || rows % 2 != 0))
        return fail(ErrorCode::InvalidArgument, "GPU convolver: row_cross needs one entry per row and an even row count");
    for (uint32_t r : spec.row_cross)
        if (bad_kernel(r)) return fail(ErrorCode::InvalidArgument, "GPU convolver: a cross path names kernel " + std::to_string(r) + " of " + std::to_string(spec.kernels.size()));
    if (!spec.row_offsets.empty() && spec.row_offsets.size() != rows)
        return fail(ErrorCode::InvalidArgument, "GPU convolver: row_offsets needs one entry per row");
    if (spec.max_block_frames < 1) return fail(ErrorCode::InvalidArgument, "GPU convolver: max_block_frames must be >= 1");
    if (spec.io_sets < 1) return fail(ErrorCode::InvalidArgument, "GPU convolver: io_sets must be >= 1");

    FftConvolver c;
    c.ctx_ = &ctx;
    c.plans_ = &plans;
    c.rows_ = static_cast<uint32_t>(spec.row_kernel.size());
    c.history_ = static_cast<uint32_t>(max_len - 1);
    c.max_block_ = spec.max_block_frames;
    c.io_sets_ = spec.io_sets;
    c.pairs_ = pairs;
    c.n_ = 2;
    while (c.n_ < spec.max_block_frames + static_cast<int64_t>(max_len) - 1) c.n_ *= 2;
    const uint64_t bins = static_cast<uint64_t>(c.n_ / 2 + 1);
    const uint64_t row_bytes = 2 * bins * sizeof(float);
    // Every buffer of a group stays under max_work_bytes (one storage-buffer
    // binding each): its work rows, its history (L − 1 < N per row) and its
    // kernel spectra (at most one per row, two with cross kernels).
    uint64_t rows_per_group = std::min<uint64_t>(c.rows_, spec.max_work_bytes / (row_bytes * (pairs ? 2 : 1)));
    if (pairs) rows_per_group -= rows_per_group % 2;  // a pair's spectra meet in one work buffer
    if (rows_per_group == 0)
        return fail(ErrorCode::Device, "GPU convolver: one " + std::to_string(c.n_) + "-point row exceeds the work buffer limit");
    for (uint32_t first = 0; first < c.rows_; first += static_cast<uint32_t>(rows_per_group)) {
        c.group_first_.push_back(first);
        c.group_rows_.push_back(static_cast<uint32_t>(std::min<uint64_t>(rows_per_group, c.rows_ - first)));
    }
    const uint32_t set_count = static_cast<uint32_t>(c.group_first_.size());

    const VkBufferUsageFlags storage = VK_BUFFER_USAGE_STORAGE_BUFFER_BIT;
    auto route = ctx.create_buffer(sizeof(uint32_t) * 4 * c.rows_, storage, MemoryUse::Device, "convolver rows");
    if (!route) return std::unexpected(route.error());
    c.row_table_ = std::move(*route);

    // Kernel spectra: designed in double (FFTW, as the CPU convolver), rounded
    // to float once; computed once per kernel however many groups use it.
    std::vector<std::vector<float>> spectrum_of(spec.kernels.size());
    auto spectrum = [&](uint32_t k) -> const std::vector<float>& {
        std::vector<float>& out = spectrum_of[k];
        if (!out.empty()) return out;
        std::vector<double> padded(static_cast<size_t>(c.n_), 0.0);
        std::copy(spec.kernels[k].begin(), spec.kernels[k].end(), padded.begin());
        std::vector<fftw_complex> bins_d(bins);
        fft_r2c_double(padded.data(), static_cast<size_t>(c.n_), bins_d.data());
        out.resize(2 * bins);
        for (uint64_t b = 0; b < bins; ++b) {
            out[2 * b] = static_cast<float>(bins_d[b][0]);
            out[2 * b + 1] = static_cast<float>(bins_d[b][1]);
        }
        return out;
    };
    // Per group: its work rows, its history, and the spectra of the kernels
    // its rows use, numbered locally in the row table.
    std::vector<uint32_t> table(4 * rows, 0);
    for (size_t g = 0; g < c.group_first_.size(); ++g) {
        const std::string tag = " [group " + std::to_string(g) + "]";
        const uint32_t first = c.group_first_[g], count = c.group_rows_[g];
        std::vector<uint32_t> local_of(spec.kernels.size(), kNoKernel), used;
        auto local = [&](uint32_t k) {
            if (k == kNoKernel) return kNoKernel;
            if (local_of[k] == kNoKernel) {
                local_of[k] = static_cast<uint32_t>(used.size());
                used.push_back(k);
            }
            return local_of[k];
        };
        for (uint32_t r = first; r < first + count; ++r) {
            table[4 * r] = local(spec.row_kernel[r]);
            table[4 * r + 1] = pairs ? local(spec.row_cross[r]) : kNoKernel;
            table[4 * r + 2] = spec.row_offsets.empty() ? static_cast<uint32_t>(r * static_cast<uint64_t>(spec.max_block_frames)) : spec.row_offsets[r];
        }
        auto work = ctx.create_buffer(row_bytes * count, storage, MemoryUse::Device, "convolver work" + tag);
        if (!work) return std::unexpected(work.error());
        auto hist = ctx.create_buffer(sizeof(float) * std::max<uint64_t>(1, uint64_t{count} * c.history_), storage, MemoryUse::Device, "convolver history" + tag);
        if (!hist) return std::unexpected(hist.error());
        auto spectra = ctx.create_buffer(2 * sizeof(float) * bins * std::max<size_t>(1, used.size()), storage, MemoryUse::Device, "convolver kernel spectra" + tag);
        if (!spectra) return std::unexpected(spectra.error());
        std::vector<float> host(2 * bins * used.size());
        for (size_t j = 0; j < used.size(); ++j) std::copy_n(spectrum(used[j]).begin(), 2 * bins, host.begin() + static_cast<std::ptrdiff_t>(2 * bins * j));
        if (!host.empty())
            if (auto ok = upload_now(ctx, *spectra, host.data(), host.size() * sizeof(float)); !ok) return std::unexpected(ok.error());
        c.work_.push_back(std::move(*work));
        c.history_bufs_.push_back(std::move(*hist));
        c.spectra_.push_back(std::move(*spectra));
        if (auto ok = plans.prepare(static_cast<uint64_t>(c.n_), count, c.work_.back().get(), c.work_.back().size()); !ok) return std::unexpected(ok.error());
    }
    if (auto ok = upload_now(ctx, c.row_table_, table.data(), table.size() * sizeof(uint32_t)); !ok) return std::unexpected(ok.error());

    // load/store: one set per (io set, group), index io_set * groups + group.
    auto load = Kernel::create(ctx, "fft_convolver_load", 4, sizeof(Push), set_count * c.io_sets_);
    if (!load) return std::unexpected(load.error());
    auto keep = Kernel::create(ctx, "fft_convolver_history", 2, sizeof(Push), set_count);
    if (!keep) return std::unexpected(keep.error());
    auto mul = Kernel::create(ctx, pairs ? "fft_convolver_mul_pairs" : "fft_convolver_mul", 3, sizeof(Push), set_count);
    if (!mul) return std::unexpected(mul.error());
    auto store = Kernel::create(ctx, "fft_convolver_store", 3, sizeof(Push), set_count * c.io_sets_);
    if (!store) return std::unexpected(store.error());
    c.load_ = std::move(*load);
    c.keep_ = std::move(*keep);
    c.mul_ = std::move(*mul);
    c.store_ = std::move(*store);
    for (uint32_t g = 0; g < set_count; ++g) {
        const std::array<VkBuffer, 2> keep_b{c.history_bufs_[g].get(), c.work_[g].get()};
        const std::array<VkBuffer, 3> mul_b{c.work_[g].get(), c.spectra_[g].get(), c.row_table_.get()};
        c.keep_.bind(g, keep_b);
        c.mul_.bind(g, mul_b);
    }
    return c;
}

uint64_t FftConvolver::largest_group_buffer_bytes() const {
    uint64_t largest = 0;
    for (const auto* bufs : {&work_, &history_bufs_, &spectra_})
        for (const Buffer& b : *bufs) largest = std::max<uint64_t>(largest, b.size());
    return largest;
}

void FftConvolver::bind_io(VkBuffer io, uint32_t io_set) {
    assert(io_set < io_sets_);
    io_bound_ = true;
    const uint32_t groups = static_cast<uint32_t>(work_.size());
    for (uint32_t g = 0; g < groups; ++g) {
        const std::array<VkBuffer, 4> load_b{io, history_bufs_[g].get(), work_[g].get(), row_table_.get()};
        const std::array<VkBuffer, 3> store_b{io, work_[g].get(), row_table_.get()};
        load_.bind(io_set * groups + g, load_b);
        store_.bind(io_set * groups + g, store_b);
    }
}

void FftConvolver::record_reset(VkCommandBuffer cmd) {
    for (const Buffer& h : history_bufs_) vkCmdFillBuffer(cmd, h.get(), 0, VK_WHOLE_SIZE, 0);
    compute_barrier(cmd);
    needs_reset_ = false;
}

Result<void> FftConvolver::record(VkCommandBuffer cmd, uint32_t frames, uint32_t io_set) {
    assert(io_bound_ && "bind_io() first");
    assert(io_set < io_sets_);
    assert(frames <= max_block_);
    if (needs_reset_) record_reset(cmd);
    if (frames == 0) return {};
    const uint64_t bins = static_cast<uint64_t>(n_ / 2 + 1);
    for (uint32_t g = 0; g < work_.size(); ++g) {
        const Push push{frames, group_first_[g], history_, static_cast<uint32_t>(2 * bins), static_cast<uint32_t>(n_),
                        static_cast<uint32_t>(bins), 1.0f / static_cast<float>(n_)};
        const uint32_t rows = group_rows_[g];
        const uint32_t io_g = io_set * static_cast<uint32_t>(work_.size()) + g;
        load_.record(cmd, io_g, &push, groups_for(2 * bins), rows);
        compute_barrier(cmd);
        if (history_ > 0) {
            keep_.record(cmd, g, &push, groups_for(history_), rows);
            compute_barrier(cmd);  // the forward FFT overwrites what history reads
        }
        if (auto ok = plans_->record(cmd, static_cast<uint64_t>(n_), rows, work_[g].get(), false); !ok) return ok;
        compute_barrier(cmd);
        mul_.record(cmd, g, &push, groups_for(bins), pairs_ ? rows / 2 : rows);
        compute_barrier(cmd);
        if (auto ok = plans_->record(cmd, static_cast<uint64_t>(n_), rows, work_[g].get(), true); !ok) return ok;
        compute_barrier(cmd);
        store_.record(cmd, io_g, &push, groups_for(frames), rows);
        compute_barrier(cmd);
    }
    return {};
}

}  // namespace sf::gpu
