// Stemforge workstation platform — the Vulkan instance and device the UI
// draws with (internal to app/gui/platform; the app sees host.h only).
//
// Device choice: STEMFORGE_GPU_DEVICE (an index or a case-insensitive name
// substring, as gpu/vk/context.cpp reads it) when set; otherwise a discrete
// GPU, then integrated, then virtual, then a CPU implementation (lavapipe).
// The UI accepts software devices: a window must open on any machine.
//
// Validation: STEMFORGE_VK_VALIDATION=1 enables the Khronos layer and a debug
// messenger whose warnings and errors are kept for validation_messages().
//
// Faults: every fence wait is bounded (kFenceTimeoutNs). A timeout or a lost
// device is recorded in the device's gpu::DeviceLife: from then on nothing
// made on it is destroyed (a hung submission may still use it). Every
// gpu::DeviceObject, the device, its instance and the window's surface are
// abandoned into the process-lifetime quarantine of gpu/vk/handles.h instead,
// so memory the GPU may still touch stays valid and nothing waits unbounded.
#pragma once

#include <cstdint>
#include <memory>
#include <span>
#include <string>
#include <vector>

#include <vulkan/vulkan.h>

#include "app/gui/platform/host.h"
#include "engine/core/error.h"
#include "gpu/vk/handles.h"

namespace sf::gui::platform {

inline constexpr uint64_t kFenceTimeoutNs = 10'000'000'000ull;  // 10 s: far beyond any UI frame, even on lavapipe

Error vk_failure(VkResult result, const std::string& what);  // Error{Device, "what: VK_…", result}

// The project's one RAII wrapper, fault state and info-struct helper (gpu/vk/handles.h).
using gpu::DeviceLife;
using gpu::DeviceObject;
using gpu::vk_struct;

struct Buffer {
    DeviceObject<VkBuffer> buffer;
    DeviceObject<VkDeviceMemory> memory;
    void* mapped = nullptr;  // host-visible buffers only: mapped for their whole life (coherent memory)
    VkDeviceSize size = 0;
};

struct ImageResource {
    DeviceObject<VkImage> image;
    DeviceObject<VkDeviceMemory> memory;
    DeviceObject<VkImageView> view;
    uint32_t width = 0, height = 0;
};

// The instance and, with validation on, the debug messenger.
class VulkanInstance {
public:
    // `extensions`: what the window system needs (glfwGetRequiredInstanceExtensions), none offscreen.
    static Result<std::unique_ptr<VulkanInstance>> create(std::span<const char* const> extensions);
    ~VulkanInstance();
    VulkanInstance(const VulkanInstance&) = delete;
    VulkanInstance& operator=(const VulkanInstance&) = delete;

    VkInstance get() const { return instance_; }
    bool validation() const { return messenger_ != VK_NULL_HANDLE; }
    // Set when a device made from this instance faulted: the instance is then abandoned too.
    void mark_faulted() { faulted_ = true; }

private:
    VulkanInstance() = default;
    VkInstance instance_ = VK_NULL_HANDLE;
    VkDebugUtilsMessengerEXT messenger_ = VK_NULL_HANDLE;
    bool faulted_ = false;
};

// The chosen physical device, a logical device and its one graphics queue.
class VulkanDevice {
public:
    // `surface` (window mode) also requires present support and VK_KHR_swapchain; VK_NULL_HANDLE offscreen.
    static Result<std::unique_ptr<VulkanDevice>> create(VulkanInstance& instance, VkSurfaceKHR surface);
    ~VulkanDevice();
    VulkanDevice(const VulkanDevice&) = delete;
    VulkanDevice& operator=(const VulkanDevice&) = delete;

    VkDevice get() const { return life_.device(); }
    VkPhysicalDevice physical() const { return physical_; }
    VkQueue queue() const { return queue_; }
    uint32_t queue_family() const { return queue_family_; }
    const HostDevice& info() const { return info_; }
    // Shared with every object made on the device; record_fault() on it faults the device (see above).
    DeviceLife& life() { return life_; }
    bool faulted() const { return life_.abandoned(); }

    // Wraps a new handle: destroyed with `destroy`, or abandoned once the device faulted.
    template <class T>
    DeviceObject<T> own(T handle, typename DeviceObject<T>::Destroy destroy) { return DeviceObject<T>(life_, handle, destroy); }

    // A buffer; host_visible ones are HOST_VISIBLE|HOST_COHERENT and stay mapped.
    Result<Buffer> create_buffer(VkDeviceSize size, VkBufferUsageFlags usage, bool host_visible);
    // A 2-D single-mip image in device-local memory with a colour view.
    Result<ImageResource> create_image(uint32_t width, uint32_t height, VkFormat format, VkImageUsageFlags usage);

    // Waits for `fences` at most kFenceTimeoutNs. A timeout or a lost device faults the device (see above).
    Result<void> wait(std::span<const VkFence> fences, const char* what);
    // Turns a failed call into an Error; VK_ERROR_DEVICE_LOST also faults the device.
    Result<void> check(VkResult result, const std::string& what);

private:
    VulkanDevice(VulkanInstance& instance) : instance_(&instance) {}
    Result<uint32_t> memory_type(uint32_t type_bits, VkMemoryPropertyFlags wanted) const;
    // Memory for `req` with `properties` (create_buffer and create_image bind it); `what` names it in errors.
    Result<DeviceObject<VkDeviceMemory>> allocate(const VkMemoryRequirements& req, VkMemoryPropertyFlags properties, const char* what);

    VulkanInstance* instance_;  // borrowed; outlives the device
    DeviceLife life_;  // bound once vkCreateDevice succeeded; outlives every DeviceObject made on the device
    VkPhysicalDevice physical_ = VK_NULL_HANDLE;
    VkPhysicalDeviceMemoryProperties memory_{};
    VkQueue queue_ = VK_NULL_HANDLE;
    uint32_t queue_family_ = 0;
    HostDevice info_;
};

// Records a message from the debug messenger (thread-safe); host.h reads them.
void record_validation_message(std::string message);
// A copy of the messages so far; `clear` also empties the store.
std::vector<std::string> take_validation_messages(bool clear);

}  // namespace sf::gui::platform
