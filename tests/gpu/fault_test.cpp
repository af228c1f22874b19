// GPU fault paths (gpu/vk/context.h, handles.h): a fence that times out (a
// hung submission, injected with a host event the GPU waits on, so the
// commands really are still queued and run after the fault) and a device
// lost mid-render. Each must give a clear Device error carrying the VkResult,
// return within a bound (no unbounded wait anywhere, teardown included), and
// free nothing the hung work may still write: the late GPU writes land in
// memory that is still valid (under the ASan build a freed buffer here is a
// use-after-free report), because the faulted device's objects are abandoned.
#include <gtest/gtest.h>

#include <chrono>
#include <cstring>
#include <functional>
#include <thread>

#include "engine/render/render_plan.h"
#include "gpu/gpu_mixer.h"
#include "gpu/vk/context.h"
#include "gpu/vk/kernel.h"
#include "tests/gpu/gpu_fixture.h"
#include "tests/parity/parity_support.h"
#include "tests/support/test_support.h"

namespace sf::test {
namespace {

using Clock = std::chrono::steady_clock;
double seconds_since(Clock::time_point t0) { return std::chrono::duration<double>(Clock::now() - t0).count(); }

// A faulting context of its own (the shared one must stay healthy), validation on.
std::unique_ptr<gpu::Context> faulty_context(uint64_t hang_after, uint64_t lose_after, uint64_t timeout_ms) {
    gpu::ContextOptions o = test_context_options();
    o.hang_after_submissions = hang_after;
    o.lose_device_after_submissions = lose_after;
    o.fence_timeout_ms = timeout_ms;
    auto ctx = gpu::Context::create(o);
    EXPECT_TRUE(ctx) << ctx.error().message;
    return ctx ? std::move(*ctx) : nullptr;
}

void expect_no_validation_messages(const gpu::Context& ctx) {
    for (const auto& m : ctx.validation_messages()) ADD_FAILURE() << "Vulkan validation: " << m;
}

Result<void> record_and_submit(gpu::Context& ctx, gpu::CommandSlot& slot, const std::function<void(VkCommandBuffer)>& body) {
    auto bi = gpu::vk_struct<VkCommandBufferBeginInfo>(VK_STRUCTURE_TYPE_COMMAND_BUFFER_BEGIN_INFO);
    vkResetCommandBuffer(slot.cmd, 0);
    vkBeginCommandBuffer(slot.cmd, &bi);
    body(slot.cmd);
    gpu::host_read_barrier(slot.cmd);
    vkEndCommandBuffer(slot.cmd);
    return ctx.submit(slot);
}

TEST(GpuFault, FenceTimeoutAbandonsWhatTheHungSubmissionStillWrites) {
    constexpr uint64_t kTimeoutMs = 100;
    auto ctx = faulty_context(/*hang_after=*/1, 0, kTimeoutMs);
    ASSERT_TRUE(ctx);
    constexpr size_t kFloats = 1 << 18;  // 1 MiB
    auto slot = ctx->create_command_slot();
    auto src = ctx->create_buffer(kFloats * sizeof(float), 0, gpu::MemoryUse::Upload, "src");
    auto dst = ctx->create_buffer(kFloats * sizeof(float), 0, gpu::MemoryUse::Readback, "dst");
    ASSERT_TRUE(slot && src && dst);
    for (size_t i = 0; i < kFloats; ++i) src->floats()[i] = static_cast<float>(i % 977) + 0.5f;
    // Submission 1 is healthy: zero the destination.
    ASSERT_TRUE(record_and_submit(*ctx, *slot, [&](VkCommandBuffer cmd) { vkCmdFillBuffer(cmd, dst->get(), 0, VK_WHOLE_SIZE, 0); }));
    ASSERT_TRUE(ctx->wait(*slot));
    ASSERT_EQ(dst->floats()[kFloats - 1], 0.0f);

    // Submission 2 hangs: its fence times out, with the copy still queued.
    ASSERT_TRUE(record_and_submit(*ctx, *slot, [&](VkCommandBuffer cmd) {
        const VkBufferCopy all{0, 0, kFloats * sizeof(float)};
        vkCmdCopyBuffer(cmd, src->get(), dst->get(), 1, &all);
    }));
    const auto t0 = Clock::now();
    auto waited = ctx->wait(*slot);
    const double wait_s = seconds_since(t0);
    ASSERT_FALSE(waited);
    EXPECT_EQ(waited.error().code, ErrorCode::Device);
    EXPECT_EQ(waited.error().vk_result, static_cast<int>(VK_TIMEOUT));
    EXPECT_NE(waited.error().message.find("VK_TIMEOUT"), std::string::npos) << waited.error().message;
    EXPECT_GE(wait_s, kTimeoutMs * 1e-3 * 0.9) << "the bound is the fence timeout";
    EXPECT_LT(wait_s, 5.0) << "the wait is bounded";
    EXPECT_TRUE(ctx->faulted());
    EXPECT_FALSE(slot->pending) << "never waited for again";

    // Later work fails fast with the first fault's VkResult.
    auto again = ctx->submit(*slot);
    ASSERT_FALSE(again);
    EXPECT_EQ(again.error().vk_result, static_cast<int>(VK_TIMEOUT));
    EXPECT_NE(again.error().message.find("earlier fault"), std::string::npos) << again.error().message;
    auto more = ctx->create_buffer(4096, 0, gpu::MemoryUse::Readback, "after the fault");
    ASSERT_TRUE(more) << "allocation still works (no wait involved)";

    // Destroying what the hung copy uses abandons it instead of freeing it.
    const uint64_t before = gpu::abandoned_count();
    const float* late = dst->floats();
    *slot = gpu::CommandSlot{};
    *src = gpu::Buffer{};
    *dst = gpu::Buffer{};
    *more = gpu::Buffer{};
    EXPECT_GE(gpu::abandoned_count(), before + 8) << "pool, fence, 3 buffers and their memory";

    // The hung work now finishes, late, into memory that is still valid.
    ctx->release_injected_hang();
    const auto t1 = Clock::now();
    while (late[kFloats - 1] != static_cast<float>((kFloats - 1) % 977) + 0.5f && seconds_since(t1) < 20.0)
        std::this_thread::sleep_for(std::chrono::milliseconds(5));
    std::this_thread::sleep_for(std::chrono::milliseconds(50));  // let the copy's last bytes land before reading all
    size_t wrong = 0;
    for (size_t i = 0; i < kFloats; ++i) wrong += late[i] != static_cast<float>(i % 977) + 0.5f;
    EXPECT_EQ(wrong, 0u) << "the late copy landed in the abandoned (still mapped) buffer";

    expect_no_validation_messages(*ctx);
    const auto t2 = Clock::now();
    ctx.reset();  // no vkDeviceWaitIdle, no waits: the device and instance are abandoned
    EXPECT_LT(seconds_since(t2), 2.0);
}

TEST(GpuFault, HealthyContextFreesEverything) {
    const uint64_t before = gpu::abandoned_count();
    {
        auto ctx = faulty_context(0, 0, 1000);
        ASSERT_TRUE(ctx);
        auto slot = ctx->create_command_slot();
        auto buf = ctx->create_buffer(4096, 0, gpu::MemoryUse::Readback, "buf");
        ASSERT_TRUE(slot && buf);
        ASSERT_TRUE(record_and_submit(*ctx, *slot, [&](VkCommandBuffer cmd) { vkCmdFillBuffer(cmd, buf->get(), 0, VK_WHOLE_SIZE, 0); }));
        // Destroyed while pending: the slot's destructor waits (bounded) first.
        *slot = gpu::CommandSlot{};
        EXPECT_FALSE(ctx->faulted());
        expect_no_validation_messages(*ctx);
    }
    EXPECT_EQ(gpu::abandoned_count(), before) << "nothing is abandoned without a fault";
}

// Two stems (one EQ'd: FFT plans and convolver buffers exist), long enough
// for several 1000-frame chunks.
MixFixture small_session() {
    MixFixture f;
    f.session.sample_rate = 48000;
    f.plan.sample_rate = 48000;
    StemSpec a;
    a.name = "a";
    EqSpec eq;
    eq.bands = {band(EqBandType::Highpass, 100.0)};
    a.eq = eq;
    add_stem(f, a, 0, noise(1, 9001, 1, 0.5));
    StemSpec b;
    b.name = "b";
    b.pan = 0.3;
    add_stem(f, b, 1, noise(2, 8111, 2, 0.5));
    f.plan.total_frames = f.plan.content_frames;
    return f;
}

// Renders small_session() on `ctx` with 1000-frame chunks; the render must
// fail with `want`, and tearing the mixer and context down must not wait.
void expect_faulted_render(std::unique_ptr<gpu::Context> ctx, VkResult want, double max_render_s) {
    ASSERT_TRUE(ctx);
    const MixFixture f = small_session();
    const uint64_t before = gpu::abandoned_count();
    std::shared_ptr<gpu::Context> shared(std::move(ctx));
    auto mixer = std::make_unique<gpu::GpuMixer>(shared);
    mixer->set_max_chunk_frames(1000);
    const auto t0 = Clock::now();
    auto got = run_backend(*mixer, f.session, f.plan, f.sources, 1000);
    EXPECT_LT(seconds_since(t0), max_render_s);
    ASSERT_FALSE(got) << "the render must fail";
    EXPECT_EQ(got.error().code, ErrorCode::Device);
    EXPECT_EQ(got.error().vk_result, static_cast<int>(want)) << got.error().message;
    EXPECT_NE(got.error().message.find(gpu::vk_result_name(want)), std::string::npos) << got.error().message;
    EXPECT_EQ(got.error().message.find('\n'), std::string::npos);
    EXPECT_TRUE(shared->faulted());
    expect_no_validation_messages(*shared);
    const auto t1 = Clock::now();
    mixer.reset();
    shared.reset();
    EXPECT_LT(seconds_since(t1), 2.0) << "teardown after a fault waits for nothing";
    EXPECT_GT(gpu::abandoned_count(), before) << "the faulted device's objects are abandoned, not freed";
}

TEST(GpuFault, HungRenderTimesOutAndTearsDownWithoutWaiting) {
    // Submission 3 (the third chunk) hangs; the pipelined fourth queues behind it.
    expect_faulted_render(faulty_context(/*hang_after=*/2, 0, 200), VK_TIMEOUT, 30.0);
}

TEST(GpuFault, DeviceLostMidRenderFailsFastAndTearsDownWithoutWaiting) {
    expect_faulted_render(faulty_context(0, /*lose_after=*/2, 30000), VK_ERROR_DEVICE_LOST, 30.0);
}

}  // namespace
}  // namespace sf::test
