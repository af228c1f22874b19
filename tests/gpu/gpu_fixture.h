// Stemforge GPU tests — a shared Vulkan context with the Khronos validation
// layer on, and a fixture that fails a test on ANY validation message.
//
// The context prefers a hardware GPU and accepts lavapipe (CI has no GPU).
// STEMFORGE_TEST_GPU_DEVICE picks a device by index or name substring.
#pragma once

#include <cstdlib>
#include <memory>

#include <gtest/gtest.h>

#include "gpu/vk/context.h"

namespace sf::test {

inline gpu::ContextOptions test_context_options() {
    gpu::ContextOptions o;
    o.allow_software = true;
    o.validation = true;
    if (const char* d = std::getenv("STEMFORGE_TEST_GPU_DEVICE")) o.device = d;
    return o;
}

// One context per test binary: lavapipe + validation start in ~0.1-0.5 s.
inline std::shared_ptr<gpu::Context> shared_test_context() {
    static std::shared_ptr<gpu::Context> ctx = [] {
        auto c = gpu::Context::create(test_context_options());
        if (!c) {
            ADD_FAILURE() << "no Vulkan context for the GPU tests: " << c.error().message;
            return std::shared_ptr<gpu::Context>();
        }
        return std::shared_ptr<gpu::Context>(std::move(*c));
    }();
    return ctx;
}

class GpuTest : public ::testing::Test {
protected:
    void SetUp() override {
        ctx_ = shared_test_context();
        ASSERT_TRUE(ctx_) << "Vulkan context unavailable";
        ctx_->clear_validation_messages();
    }
    void TearDown() override {
        if (!ctx_) return;
        const auto messages = ctx_->validation_messages();
        for (const auto& m : messages) ADD_FAILURE() << "Vulkan validation: " << m;
        EXPECT_TRUE(messages.empty()) << messages.size() << " validation message(s)";
    }
    std::shared_ptr<gpu::Context> ctx_;
};

}  // namespace sf::test
