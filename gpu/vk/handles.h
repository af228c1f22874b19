// Stemforge GPU — move-only RAII for Vulkan device objects.
//
// `DeviceObject<T>` owns one handle created on a device and destroys it with
// the matching vkDestroy*/vkFree* call; a null handle is never destroyed.
// The VkDevice itself is borrowed (owned by sf::gpu::Context, which outlives
// every DeviceObject). Destroying a handle that a submission still uses is a
// programmer error: owners wait on the last fence first (see Context).
#pragma once

#include <utility>

#include <vulkan/vulkan.h>

namespace sf::gpu {

template <class T>
class DeviceObject {
public:
    using Destroy = void (*)(VkDevice, T, const VkAllocationCallbacks*);

    DeviceObject() = default;
    DeviceObject(VkDevice device_borrowed, T handle, Destroy destroy) : device_(device_borrowed), handle_(handle), destroy_(destroy) {}
    DeviceObject(const DeviceObject&) = delete;
    DeviceObject& operator=(const DeviceObject&) = delete;
    DeviceObject(DeviceObject&& o) noexcept { swap(o); }
    DeviceObject& operator=(DeviceObject&& o) noexcept {
        if (this != &o) {
            reset();
            swap(o);
        }
        return *this;
    }
    ~DeviceObject() { reset(); }

    T get() const { return handle_; }                  // borrowed view; valid while *this lives
    const T* ptr() const { return &handle_; }          // for APIs taking arrays of one
    explicit operator bool() const { return handle_ != VK_NULL_HANDLE; }

    void reset() {
        if (handle_ != VK_NULL_HANDLE && destroy_) destroy_(device_, handle_, nullptr);
        handle_ = VK_NULL_HANDLE;
    }

private:
    void swap(DeviceObject& o) noexcept {
        std::swap(device_, o.device_);
        std::swap(handle_, o.handle_);
        std::swap(destroy_, o.destroy_);
    }
    VkDevice device_ = VK_NULL_HANDLE;
    T handle_ = VK_NULL_HANDLE;
    Destroy destroy_ = nullptr;
};

}  // namespace sf::gpu

namespace sf::gpu {

// A zeroed Vulkan info struct with its sType set (avoids partial aggregate
// initialisers, which -Wextra rightly flags).
template <class T>
T vk_struct(VkStructureType type) {
    T v{};
    v.sType = type;
    return v;
}

}  // namespace sf::gpu
