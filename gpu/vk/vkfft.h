// Stemforge GPU — batched real FFTs through VkFFT (the one translation unit
// that includes vkFFT.h: vkfft.cpp).
//
// Plans are expensive (VkFFT generates and compiles kernels with glslang):
// FftPlans creates one per (size, batch, buffer) on first use and caches it
// for the life of the object. A plan is tied to its buffer: VkFFT rewrites its
// descriptor sets when handed another buffer, which would retarget commands
// already recorded (measured: wrong results with two groups on one plan). record_*() only appends to the caller's command buffer;
// nothing here submits or waits except VkFFT's own one-time init in prepare()
// (its fence waits are bounded: 100 s, VkFFT's constant). After the context
// faulted, prepare() fails at once and the destructor abandons every plan
// (handles.h) instead of freeing what a hung submission may still use.
//
// Layout: in-place R2C / C2R, `batch` rows of `2 * (n / 2 + 1)` floats each
// (n reals in, n/2+1 complex bins out). The inverse is not normalised.
// Buffers must be < 128 MiB (maxStorageBufferRange; VkFFT's own buffer
// splitting gave wrong results in 1.2.26, see PLATFORM.md).
#pragma once

#include <cstdint>
#include <map>
#include <memory>
#include <tuple>
#include <utility>

#include "gpu/vk/context.h"

namespace sf::gpu {

class FftPlans {
public:
    explicit FftPlans(Context& ctx);  // borrows ctx (must outlive this)
    ~FftPlans();
    FftPlans(const FftPlans&) = delete;
    FftPlans& operator=(const FftPlans&) = delete;

    // Builds the plan now (prepare time) so recording never compiles. Errors: Device, naming n and batch.
    Result<void> prepare(uint64_t n, uint64_t batch, VkBuffer buffer, uint64_t bytes);
    // Appends the forward (R2C) / inverse (C2R) transform of `buffer` (a prepared plan's shape).
    Result<void> record(VkCommandBuffer cmd, uint64_t n, uint64_t batch, VkBuffer buffer, bool inverse);

    size_t plan_count() const { return plans_.size(); }

private:
    struct Plan;
    Context& ctx_;
    CommandSlot init_slot_;  // VkFFT's init wants a pool, queue and fence
    std::map<std::tuple<uint64_t, uint64_t, VkBuffer>, std::unique_ptr<Plan>> plans_;
};

}  // namespace sf::gpu
