#include "gpu/stages/eq.h"

namespace sf::gpu {

Result<EqStage> EqStage::create(Context& ctx, FftPlans& plans, std::vector<EqBinding> eqs, int64_t max_block_frames, uint32_t io_sets) {
    if (eqs.empty()) return fail(ErrorCode::InvalidArgument, "GPU EQ: no EQs");
    FftConvolverSpec spec;
    for (EqBinding& eq : eqs) {
        if (eq.taps.empty() || eq.row_offsets.empty()) return fail(ErrorCode::InvalidArgument, "GPU EQ: an EQ without taps or without rows");
        const uint32_t kernel = static_cast<uint32_t>(spec.kernels.size());
        for (uint32_t offset : eq.row_offsets) {
            spec.row_kernel.push_back(kernel);
            spec.row_offsets.push_back(offset);
        }
        spec.kernels.push_back(std::move(eq.taps));
    }
    auto conv = build(ctx, plans, std::move(spec), max_block_frames, io_sets);
    if (!conv) return std::unexpected(conv.error());
    return EqStage(std::move(*conv));
}

}  // namespace sf::gpu
