// The only translation unit that includes vkFFT.h (it costs ~20 s to compile).
#include "gpu/vk/vkfft.h"

#include <cassert>
#include <mutex>

#include <vkFFT.h>

namespace sf::gpu {

namespace {
// glslang is process-global: initialise once, never per plan (VkFFT would
// initialise and finalise it around every plan otherwise).
void init_glslang_once() {
    static std::once_flag once;
    std::call_once(once, [] { glslang_initialize_process(); });
}
}  // namespace

struct FftPlans::Plan {
    // VkFFT keeps pointers to these for the plan's lifetime.
    VkPhysicalDevice physical = VK_NULL_HANDLE;
    VkDevice device = VK_NULL_HANDLE;
    VkQueue queue = VK_NULL_HANDLE;
    VkCommandPool pool = VK_NULL_HANDLE;
    VkFence fence = VK_NULL_HANDLE;
    VkBuffer buffer = VK_NULL_HANDLE;
    uint64_t bytes = 0;
    VkFFTApplication app{};
    bool initialised = false;
    ~Plan() {
        if (initialised) deleteVkFFT(&app);
    }
};

FftPlans::FftPlans(Context& ctx) : ctx_(ctx) {}

FftPlans::~FftPlans() {
    // After a fault a plan's pipelines, descriptor sets and lookup-table
    // buffers may still be in use by a hung submission: abandon them with the
    // rest of the device (handles.h) instead of deleteVkFFT.
    if (!ctx_.faulted()) return;
    for (auto& [key, plan] : plans_) abandon(plan.release());
}

Result<void> FftPlans::prepare(uint64_t n, uint64_t batch, VkBuffer buffer, uint64_t bytes) {
    const auto key = std::make_tuple(n, batch, buffer);
    if (plans_.count(key)) return {};
    const std::string what = "VkFFT plan (size " + std::to_string(n) + ", batch " + std::to_string(batch) + ")";
    if (ctx_.faulted()) return std::unexpected(ctx_.fault_error());
    if (n < 2 || n % 2 || batch == 0 || bytes < batch * 2 * (n / 2 + 1) * sizeof(float))
        return fail(ErrorCode::Device, what + ": bad shape or buffer too small");
    if (!init_slot_.cmd) {
        auto slot = ctx_.create_command_slot();
        if (!slot) return std::unexpected(slot.error());
        init_slot_ = std::move(*slot);
    }
    init_glslang_once();
    auto plan = std::make_unique<Plan>();
    plan->physical = ctx_.physical_device();
    plan->device = ctx_.device();
    plan->queue = ctx_.queue();
    plan->pool = init_slot_.pool.get();
    plan->fence = init_slot_.fence.get();
    plan->buffer = buffer;
    plan->bytes = bytes;
    VkFFTConfiguration c{};
    c.FFTdim = 1;
    c.size[0] = n;
    c.numberBatches = batch;
    c.performR2C = 1;
    c.physicalDevice = &plan->physical;
    c.device = &plan->device;
    c.queue = &plan->queue;
    c.commandPool = &plan->pool;
    c.fence = &plan->fence;
    c.isCompilerInitialized = 1;
    c.buffer = &plan->buffer;
    c.bufferSize = &plan->bytes;
    const VkFFTResult r = initializeVkFFT(&plan->app, c);
    if (r != VKFFT_SUCCESS) return fail(ErrorCode::Device, what + ": VkFFT error " + std::to_string(static_cast<int>(r)));
    plan->initialised = true;
    plans_.emplace(key, std::move(plan));
    return {};
}

Result<void> FftPlans::record(VkCommandBuffer cmd, uint64_t n, uint64_t batch, VkBuffer buffer, bool inverse) {
    auto it = plans_.find(std::make_tuple(n, batch, buffer));
    assert(it != plans_.end() && "FftPlans::record before prepare");
    VkFFTLaunchParams launch{};
    VkCommandBuffer command = cmd;
    VkBuffer b = buffer;
    launch.commandBuffer = &command;
    launch.buffer = &b;
    const VkFFTResult r = VkFFTAppend(&it->second->app, inverse ? 1 : -1, &launch);
    if (r != VKFFT_SUCCESS)
        return fail(ErrorCode::Device, "VkFFT append (size " + std::to_string(n) + "): error " + std::to_string(static_cast<int>(r)));
    return {};
}

}  // namespace sf::gpu
