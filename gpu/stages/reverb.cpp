#include "gpu/stages/reverb.h"

namespace sf::gpu {

Result<ReverbStage> ReverbStage::create(Context& ctx, FftPlans& plans, std::vector<ReverbBinding> reverbs, int64_t max_block_frames,
                                        uint32_t io_sets) {
    if (reverbs.empty()) return fail(ErrorCode::InvalidArgument, "GPU reverb: no reverbs");
    FftConvolverSpec spec;
    for (ReverbBinding& r : reverbs) {
        const ConvolutionKernels& k = r.kernels;
        if (k.inputs != 2 || k.outputs != 2 || k.route.size() != 4)
            return fail(ErrorCode::InvalidArgument, "GPU reverb: kernels must route 2 inputs to 2 outputs");
        const uint32_t base = static_cast<uint32_t>(spec.kernels.size());
        auto idx = [&](int in, int out) {
            const int at = k.kernel_for(in, out);
            return at < 0 ? kNoKernel : base + static_cast<uint32_t>(at);
        };
        // Row L = LL·x_L + RL·x_R, row R = RR·x_R + LR·x_L (the partner row's input through the cross kernel).
        spec.row_kernel.insert(spec.row_kernel.end(), {idx(0, 0), idx(1, 1)});
        spec.row_cross.insert(spec.row_cross.end(), {idx(1, 0), idx(0, 1)});
        spec.row_offsets.insert(spec.row_offsets.end(), {r.left_offset, r.right_offset});
        for (auto& h : r.kernels.kernels) spec.kernels.push_back(std::move(h));
    }
    auto conv = build(ctx, plans, std::move(spec), max_block_frames, io_sets);
    if (!conv) return std::unexpected(conv.error());
    return ReverbStage(std::move(*conv));
}

}  // namespace sf::gpu
