// The Vulkan device layer: device choice, memory budget, bad shaders, the
// validation capture itself, and submissions with bounded waits.
#include <gtest/gtest.h>

#include <array>

#include "gpu/vk/context.h"
#include "gpu/vk/kernel.h"
#include "tests/gpu/gpu_fixture.h"

namespace sf::test {
namespace {

using gpu::Context;
using gpu::ContextOptions;

TEST(DeviceChoice, SurveyListsDevicesAndSoftwareNeedsConsent) {
    ContextOptions strict;  // what --backend auto accepts
    auto survey = gpu::survey_devices(strict);
    ASSERT_TRUE(survey) << survey.error().message;
    ASSERT_FALSE(survey->devices.empty()) << "CI provides lavapipe";
    for (const auto& d : survey->devices) {
        if (!d.hardware) {
            EXPECT_FALSE(d.usable) << d.name << ": a CPU implementation must not be chosen without consent";
            EXPECT_NE(d.reason.find("software"), std::string::npos) << d.reason;
        }
    }
    ContextOptions lenient;
    lenient.allow_software = true;
    auto any = gpu::survey_devices(lenient);
    ASSERT_TRUE(any);
    EXPECT_GE(any->selected, 0);
    // A hardware device always wins over a CPU one.
    bool has_hw = false;
    for (const auto& d : any->devices) has_hw |= d.hardware;
    if (any->selected >= 0) {
        EXPECT_EQ(any->devices[static_cast<size_t>(any->selected)].hardware, has_hw);
    }
}

TEST(DeviceChoice, UnknownDeviceNameIsAClearError) {
    ContextOptions o;
    o.allow_software = true;
    o.device = "no-such-gpu-xyz";
    auto ctx = Context::create(o);
    ASSERT_FALSE(ctx);
    EXPECT_EQ(ctx.error().code, ErrorCode::Device);
    EXPECT_NE(ctx.error().message.find("no usable Vulkan device"), std::string::npos) << ctx.error().message;
    EXPECT_NE(ctx.error().message.find("no-such-gpu-xyz"), std::string::npos) << ctx.error().message;
    EXPECT_EQ(ctx.error().message.find('\n'), std::string::npos);
}

class ContextTest : public GpuTest {};

TEST_F(ContextTest, BuffersStayWithinTheBudgetAndReportOutOfMemory) {
    ContextOptions o = test_context_options();
    o.validation = false;  // a second instance: keep it light
    o.memory_budget_bytes = 1 << 20;
    auto small = Context::create(o);
    ASSERT_TRUE(small) << small.error().message;
    auto a = (*small)->create_buffer(512 << 10, VK_BUFFER_USAGE_STORAGE_BUFFER_BIT, gpu::MemoryUse::Device, "a");
    ASSERT_TRUE(a) << a.error().message;
    EXPECT_GE((*small)->allocated_bytes(), 512u << 10);
    auto b = (*small)->create_buffer(768 << 10, VK_BUFFER_USAGE_STORAGE_BUFFER_BIT, gpu::MemoryUse::Device, "stems");
    ASSERT_FALSE(b);
    EXPECT_EQ(b.error().code, ErrorCode::Device);
    EXPECT_NE(b.error().message.find("out of device memory"), std::string::npos) << b.error().message;
    EXPECT_NE(b.error().message.find("stems"), std::string::npos) << b.error().message;
    *a = gpu::Buffer{};  // returned to the budget
    EXPECT_EQ((*small)->allocated_bytes(), 0u);
    auto c = (*small)->create_buffer(768 << 10, VK_BUFFER_USAGE_STORAGE_BUFFER_BIT, gpu::MemoryUse::Device, "c");
    EXPECT_TRUE(c);
}

TEST_F(ContextTest, MalformedSpirvIsAnErrorNotACrash) {
    const std::array<uint32_t, 6> garbage{0xdeadbeef, 1, 2, 3, 4, 5};
    auto k = gpu::Kernel::create(*ctx_, "broken", garbage, 1, 0);
    ASSERT_FALSE(k);
    EXPECT_EQ(k.error().code, ErrorCode::Device);
    EXPECT_NE(k.error().message.find("broken"), std::string::npos);
    auto missing = gpu::Kernel::create(*ctx_, "no_such_shader", 1, 0);
    ASSERT_FALSE(missing);
    EXPECT_NE(missing.error().message.find("no_such_shader"), std::string::npos);
}

TEST_F(ContextTest, ValidationMessagesAreCaptured) {
    // The capture that fails every GPU test must itself work: an invalid
    // call (a zero-sized buffer, VUID-VkBufferCreateInfo-size-00912) is reported.
    auto ci = gpu::vk_struct<VkBufferCreateInfo>(VK_STRUCTURE_TYPE_BUFFER_CREATE_INFO);
    ci.size = 0;
    ci.usage = VK_BUFFER_USAGE_STORAGE_BUFFER_BIT;
    VkBuffer buffer = VK_NULL_HANDLE;
    if (vkCreateBuffer(ctx_->device(), &ci, nullptr, &buffer) == VK_SUCCESS && buffer) vkDestroyBuffer(ctx_->device(), buffer, nullptr);
    EXPECT_FALSE(ctx_->validation_messages().empty());
    ctx_->clear_validation_messages();  // expected: do not fail the fixture
}

TEST_F(ContextTest, SubmitAndWaitRoundTripsAndTimestampsAdvance) {
    auto slot = ctx_->create_command_slot();
    ASSERT_TRUE(slot) << slot.error().message;
    auto buf = ctx_->create_buffer(4096, VK_BUFFER_USAGE_STORAGE_BUFFER_BIT, gpu::MemoryUse::Readback, "fill");
    ASSERT_TRUE(buf);
    auto timer = gpu::GpuTimer::create(*ctx_, 4);
    ASSERT_TRUE(timer);
    auto bi = gpu::vk_struct<VkCommandBufferBeginInfo>(VK_STRUCTURE_TYPE_COMMAND_BUFFER_BEGIN_INFO);
    ASSERT_EQ(vkBeginCommandBuffer(slot->cmd, &bi), VK_SUCCESS);
    timer->begin(slot->cmd);
    vkCmdFillBuffer(slot->cmd, buf->get(), 0, 4096, 0x3f800000u);  // 1.0f
    timer->mark(slot->cmd, "fill");
    timer->end(slot->cmd);
    gpu::host_read_barrier(slot->cmd);
    ASSERT_EQ(vkEndCommandBuffer(slot->cmd), VK_SUCCESS);
    ASSERT_TRUE(ctx_->run(*slot));
    EXPECT_FALSE(slot->pending);
    EXPECT_TRUE(timer->collect());
    for (int i = 0; i < 1024; ++i) ASSERT_EQ(buf->floats()[i], 1.0f);
    if (ctx_->timestamps()) {
        ASSERT_EQ(timer->totals_s().size(), 1u);
        EXPECT_GE(timer->totals_s()[0].second, 0.0);
        EXPECT_LT(timer->totals_s()[0].second, 10.0);
    }
    EXPECT_TRUE(ctx_->wait(*slot)) << "waiting with nothing pending is a no-op";
}

}  // namespace
}  // namespace sf::test
