// Stemforge GPU — move-only RAII for Vulkan device objects, and what happens
// to them once the device can no longer be trusted.
//
// `DeviceObject<T>` owns one handle created on a device and destroys it with
// the matching vkDestroy*/vkFree* call; a null handle is never destroyed.
// The device is borrowed through its `DeviceLife`, owned by whoever owns the
// VkDevice and outlives every DeviceObject made on it: sf::gpu::Context for
// the compute backend, the workstation's VulkanDevice (app/gui/platform) for
// the UI. Destroying a handle that a healthy device's submission still uses
// is a programmer error: owners wait on the last fence first (Context::wait,
// CommandSlot's destructor, the workstation's bounded frame waits).
//
// Faults: after a fence wait timed out (a hung submission may still read and
// write its buffers) or the device was lost, DeviceLife::abandoned() is set
// and stays set. From then on every DeviceObject of that device is
// *abandoned* instead of destroyed: its handle is kept in a process-lifetime
// quarantine (abandon()) and never freed, so memory the device may still
// write stays valid, and no destructor waits on a device that may never
// answer. The cost is a bounded leak per faulted device (one per process in
// practice: `render --backend auto` falls back to the CPU and does not retry).
#pragma once

#include <atomic>
#include <cstdint>
#include <type_traits>
#include <utility>

#include <vulkan/vulkan.h>

namespace sf::gpu {

// Keeps `p` reachable for the life of the process and never frees it (so leak
// checkers see it as held, not lost). Thread-safe.
void abandon(const void* p);
// Objects abandoned so far in this process (handles, devices, plans).
uint64_t abandoned_count();

template <class T>
void abandon_handle(T handle) {
    if constexpr (std::is_pointer_v<T>) abandon(handle);
    else abandon(reinterpret_cast<const void*>(static_cast<uintptr_t>(handle)));  // 32-bit non-dispatchable handles
}

// The state one VkDevice shares with every object made on it. Owned, at a
// stable address, by the owner of the VkDevice; borrowed by the objects.
class DeviceLife {
public:
    DeviceLife() = default;
    DeviceLife(const DeviceLife&) = delete;
    DeviceLife& operator=(const DeviceLife&) = delete;

    // Binds this life to `device`, just made by its owner, before any
    // DeviceObject borrows it. `fence_timeout_ns` is the bound on every fence
    // wait on the device (a wait that runs past it is a fault, see above).
    // The owner keeps the VkDevice itself: at its end it destroys it, or
    // abandons it once abandoned() is set. Binding keeps a recorded fault.
    void bind(VkDevice device, uint64_t fence_timeout_ns) {
        device_ = device;
        fence_timeout_ns_ = fence_timeout_ns;
    }

    VkDevice device() const { return device_; }
    uint64_t fence_timeout_ns() const { return fence_timeout_ns_; }
    // True once a fault was recorded: objects are abandoned, not destroyed.
    bool abandoned() const { return fault_.load() != VK_SUCCESS; }
    // The VkResult of the first fault (VK_TIMEOUT, VK_ERROR_DEVICE_LOST, ...); VK_SUCCESS while healthy.
    VkResult fault() const { return static_cast<VkResult>(fault_.load()); }
    // Records a fault; the first one wins. Returns true if this call recorded it.
    bool record_fault(VkResult r) {
        int expected = VK_SUCCESS;
        return r != VK_SUCCESS && fault_.compare_exchange_strong(expected, static_cast<int>(r));
    }

private:
    friend class Context;  // sets the members itself; other owners use bind()
    VkDevice device_ = VK_NULL_HANDLE;
    uint64_t fence_timeout_ns_ = 0;
    std::atomic<int> fault_{VK_SUCCESS};
};

template <class T>
class DeviceObject {
public:
    using Destroy = void (*)(VkDevice, T, const VkAllocationCallbacks*);

    DeviceObject() = default;
    DeviceObject(DeviceLife& life_borrowed, T handle, Destroy destroy) : life_(&life_borrowed), handle_(handle), destroy_(destroy) {}
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
    DeviceLife* life() const { return life_; }         // null for an empty object
    explicit operator bool() const { return handle_ != VK_NULL_HANDLE; }

    // Destroys the handle, or abandons it once the device faulted (see above).
    void reset() {
        if (handle_ != VK_NULL_HANDLE && destroy_) {
            if (life_->abandoned()) abandon_handle(handle_);
            else destroy_(life_->device(), handle_, nullptr);
        }
        handle_ = VK_NULL_HANDLE;
    }

private:
    void swap(DeviceObject& o) noexcept {
        std::swap(life_, o.life_);
        std::swap(handle_, o.handle_);
        std::swap(destroy_, o.destroy_);
    }
    DeviceLife* life_ = nullptr;
    T handle_ = VK_NULL_HANDLE;
    Destroy destroy_ = nullptr;
};

// A zeroed Vulkan info struct with its sType set (avoids partial aggregate
// initialisers, which -Wextra rightly flags).
template <class T>
T vk_struct(VkStructureType type) {
    T v{};
    v.sType = type;
    return v;
}

}  // namespace sf::gpu
