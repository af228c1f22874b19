// Stemforge workstation platform — the project's own Dear ImGui renderer.
//
// Debian's imgui 1.86 Vulkan backend binds only the font texture; this one
// binds a descriptor set per ImTextureID, so views can draw images (the
// spectrogram). ImTextureID is the texture's VkDescriptorSet.
//
// Per frame in flight: one host-visible vertex and one index buffer, grown
// (to the next power of two) when a frame needs more. Textures upload
// through a staging buffer recorded into the frame's own command buffer
// (no extra submission, no wait); a replaced texture and every staging
// buffer are released only once the frame that last used them has finished
// (frame serials: the host tells begin_frame which serial completed).
//
// Threads: the UI thread only. The device is borrowed and outlives this.
#pragma once

#include <cstdint>
#include <map>
#include <memory>
#include <optional>
#include <unordered_set>
#include <vector>

#include "app/gui/platform/host.h"
#include "app/gui/platform/vk_device.h"

namespace sf::gui::platform {

class UiRenderer final : public Textures {
public:
    // A pipeline for `render_pass` (one colour attachment, subpass 0).
    static Result<std::unique_ptr<UiRenderer>> create(VulkanDevice& device, VkRenderPass render_pass, int frames_in_flight);
    ~UiRenderer() override;
    UiRenderer(const UiRenderer&) = delete;
    UiRenderer& operator=(const UiRenderer&) = delete;

    // Starts frame `serial` in slot `slot` (its previous fence has signalled)
    // recording into `cmd` (begun, outside a render pass). Everything retired
    // by frames <= completed_serial is released now.
    void begin_frame(int slot, uint64_t serial, uint64_t completed_serial, VkCommandBuffer cmd);
    // Bakes the current ImGui context's font atlas into a texture (recorded
    // into this frame) and sets it as the atlas's TexID. Once, before the first NewFrame.
    Result<void> upload_fonts();
    // Textures: valid between begin_frame and draw.
    ImTextureID get(uint64_t key, const Image& image) override;
    // Records `draw_data` into `cmd`, inside the render pass, for a framebuffer of `extent`.
    Result<void> draw(const ImDrawData& draw_data, VkCommandBuffer cmd, VkExtent2D extent);
    // The first failure inside get() (which cannot return one); cleared by reading.
    std::optional<Error> take_error() { return std::exchange(error_, std::nullopt); }
    // Textures uploaded so far (the font atlas included): lets tests see a re-upload.
    uint64_t uploads() const { return uploads_; }

private:
    struct Texture {
        ImageResource image;
        VkDescriptorSet set = VK_NULL_HANDLE;
        uint64_t version = 0;
    };
    struct FrameBuffers {
        Buffer vertices, indices;
    };
    struct Retired {
        uint64_t serial = 0;  // released once this frame has finished
        std::unique_ptr<Texture> texture;
        Buffer staging;
    };

    explicit UiRenderer(VulkanDevice& device) : device_(&device) {}
    Result<std::unique_ptr<Texture>> upload(uint32_t width, uint32_t height, const void* rgba);
    void release(std::unique_ptr<Texture> texture);
    void bind_state(VkCommandBuffer cmd, const ImDrawData& draw_data, VkExtent2D extent, const FrameBuffers& buffers);

    VulkanDevice* device_;  // borrowed
    // Destruction order matters: textures free their descriptor sets into the pool, so they go first (declared last).
    DeviceObject<VkSampler> sampler_;
    DeviceObject<VkDescriptorSetLayout> set_layout_;
    DeviceObject<VkDescriptorPool> pool_;
    DeviceObject<VkPipelineLayout> pipeline_layout_;
    DeviceObject<VkPipeline> pipeline_;
    std::vector<FrameBuffers> frames_;
    int slot_ = 0;
    uint64_t serial_ = 0;
    VkCommandBuffer cmd_ = VK_NULL_HANDLE;  // the current frame's, borrowed
    std::unique_ptr<Texture> font_;
    std::map<uint64_t, std::unique_ptr<Texture>> textures_;
    std::unordered_set<VkDescriptorSet> live_sets_;  // every ImTextureID a draw may name
    std::vector<Retired> retired_;
    std::optional<Error> error_;
    uint64_t uploads_ = 0;
};

}  // namespace sf::gui::platform
