// Stemforge GPU — the Vulkan device layer: instance, device choice, queue,
// buffers, command submission with bounded waits, validation capture.
//
// Device choice (vk-bootstrap style: every rejected device gets a reason):
// a discrete GPU first, then integrated, then virtual; a CPU implementation
// (Mesa's lavapipe) only when `allow_software` is set (tests, `--backend gpu`)
// or STEMFORGE_GPU_ALLOW_SOFTWARE=1. `device` (or STEMFORGE_GPU_DEVICE) picks
// one by index or by a case-insensitive substring of its name.
//
// Errors: every failure is an sf::Error with code Device and the VkResult in
// Error::vk_result; messages are one line.
//
// Faults: no wait here is unbounded. A fence wait that outlasts
// fence_timeout_ms is an error (VK_TIMEOUT), never "carry on". After such a
// timeout, or VK_ERROR_DEVICE_LOST from any call, the context is *faulted*:
// the submission may still run and write its buffers, so nothing made on the
// device is destroyed any more (handles.h: every object is abandoned, the
// device and instance too), every later submit/wait fails fast with the first
// fault's error and VkResult, and no destructor waits. There is no
// vkDeviceWaitIdle anywhere: owners wait (bounded) for their own fences.
//
// Threads: a Context may be shared, but a command recording or submission
// sequence belongs to one thread at a time (queue submissions are serialised
// inside by a mutex).
#pragma once

#include <atomic>
#include <cstdint>
#include <memory>
#include <mutex>
#include <span>
#include <string>
#include <string_view>
#include <vector>

#include <vulkan/vulkan.h>

#include "engine/core/error.h"
#include "gpu/vk/handles.h"

namespace sf::gpu {

// "VK_ERROR_DEVICE_LOST" etc.
const char* vk_result_name(VkResult r);
// Error{Device, "<what>: <VkResult name>", r}.
Error vk_error(VkResult r, const std::string& what);

struct ContextOptions {
    bool allow_software = false;      // accept CPU Vulkan devices (lavapipe)
    bool validation = false;          // Khronos validation layer; messages are captured (validation_messages())
    std::string device;               // "" = best; an index ("1") or a name substring ("llvmpipe")
    uint64_t fence_timeout_ms = 30000;  // a wait longer than this is an error (a hung device), never "carry on"; >= 1
    uint64_t memory_budget_bytes = 0;   // device memory this context may allocate; 0 = 3/4 of the device-local heap
    // Fault injection for tests (a lost or hung device cannot be provoked on
    // purpose otherwise); 0 = off. Submissions are counted from 1 per context.
    // Lost: submission N + 1 fails as VK_ERROR_DEVICE_LOST would (and every later one).
    uint64_t lose_device_after_submissions = 0;
    // Hung: submission N + 1 really is submitted, behind a wait on an event
    // that only release_injected_hang() (or the context's destruction) sets:
    // its fence times out as a hung GPU's would while its commands are still
    // queued, and they run (writing their buffers) after the fault.
    uint64_t hang_after_submissions = 0;
    // Lost from submission N on (counted from 1; N = 1 is the very first),
    // so that a test can step N through every submission of a render, each
    // phase in turn; 0 = off.
    uint64_t lose_device_from_submission = 0;
    // Out of device memory from allocation N on (counted from 1 per context):
    // vkAllocateMemory fails as VK_ERROR_OUT_OF_DEVICE_MEMORY; 0 = off.
    uint64_t fail_allocations_from = 0;
    // Reads STEMFORGE_GPU_ALLOW_SOFTWARE, STEMFORGE_GPU_DEVICE, STEMFORGE_VK_VALIDATION,
    // STEMFORGE_GPU_MEMORY_BUDGET_MB, STEMFORGE_GPU_FENCE_TIMEOUT_MS,
    // STEMFORGE_GPU_FAULT_LOSE_DEVICE_AFTER, STEMFORGE_GPU_FAULT_HANG_AFTER,
    // STEMFORGE_GPU_FAULT_LOSE_DEVICE_FROM and STEMFORGE_GPU_FAULT_OOM_FROM into a copy of *this.
    ContextOptions with_environment() const;
};

struct DeviceInfo {
    uint32_t index = 0;                // as enumerated by the loader
    std::string name;
    std::string type;                  // "discrete", "integrated", "virtual", "cpu", "other"
    std::string api_version;           // "1.3.230"
    std::string driver_version;        // raw driverVersion as a number
    uint64_t device_local_bytes = 0;   // largest device-local heap
    bool hardware = false;             // not a CPU implementation
    bool usable = false;               // passes the selection rules under the options given
    std::string reason;                // why not usable (empty when usable)
};

struct DeviceSurvey {
    std::vector<DeviceInfo> devices;
    int selected = -1;                 // index into devices, -1 when none qualifies
};

// Lists the devices the loader sees and which one `options` would select.
// Fails (Device) only when Vulkan itself cannot start (no loader / driver).
Result<DeviceSurvey> survey_devices(const ContextOptions& options);

enum class MemoryUse {
    Device,    // device-local; mapped too when the device has unified memory
    Upload,    // host-visible, coherent: CPU writes, GPU reads (staging)
    Readback,  // host-visible, coherent (cached when available): GPU writes, CPU reads
};

class Context;

// One buffer with its own memory allocation (Stemforge allocates a few large
// buffers once, in prepare). Move-only; returns its bytes to the Context's
// budget when destroyed.
class Buffer {
public:
    Buffer() = default;
    Buffer(Buffer&&) noexcept;
    Buffer& operator=(Buffer&&) noexcept;
    ~Buffer();

    VkBuffer get() const { return buffer_.get(); }
    VkDeviceSize size() const { return size_; }
    void* mapped() const { return mapped_; }   // non-null when host-visible (persistently mapped)
    float* floats() const { return static_cast<float*>(mapped_); }
    explicit operator bool() const { return static_cast<bool>(buffer_); }

private:
    friend class Context;
    void release();
    Context* owner_ = nullptr;  // borrowed
    DeviceObject<VkBuffer> buffer_;
    DeviceObject<VkDeviceMemory> memory_;
    VkDeviceSize size_ = 0, allocated_ = 0;
    void* mapped_ = nullptr;
};

// A command pool with one primary command buffer and its fence. Move-only.
// Destroying (or assigning over) a pending slot first waits for its fence,
// bounded by the context's fence timeout; a timeout or a lost device there
// faults the device (its objects are then abandoned, not destroyed).
class CommandSlot {
public:
    CommandSlot() = default;
    CommandSlot(CommandSlot&& o) noexcept;
    CommandSlot& operator=(CommandSlot&& o) noexcept;
    ~CommandSlot();

    DeviceObject<VkCommandPool> pool;
    VkCommandBuffer cmd = VK_NULL_HANDLE;  // freed with the pool
    DeviceObject<VkFence> fence;
    bool pending = false;                  // submitted and not yet waited for

private:
    void settle() noexcept;  // the bounded wait above; leaves pending false
};

class Context {
public:
    static Result<std::unique_ptr<Context>> create(const ContextOptions& options);
    ~Context();
    Context(const Context&) = delete;
    Context& operator=(const Context&) = delete;

    VkInstance instance() const { return instance_; }
    VkPhysicalDevice physical_device() const { return physical_; }
    VkDevice device() const { return device_; }
    VkQueue queue() const { return queue_; }
    uint32_t queue_family() const { return queue_family_; }
    VkPipelineCache pipeline_cache() const { return pipeline_cache_.get(); }
    const DeviceInfo& info() const { return info_; }
    const VkPhysicalDeviceLimits& limits() const { return limits_; }
    const ContextOptions& options() const { return options_; }
    // Queue submissions so far, every user of this context (mix and master).
    uint64_t submission_count() const { return submissions_.load(std::memory_order_relaxed); }
    std::string description() const;  // "NVIDIA H100 (discrete, Vulkan 1.3.x)"

    // Device-local memory is also host-visible: no staging copies are needed.
    bool unified_memory() const { return unified_memory_; }
    bool timestamps() const { return timestamp_valid_bits_ > 0; }
    // shaderFloat64 is enabled (the compressor stage needs it).
    bool float64() const { return float64_; }
    double timestamp_period_ns() const { return timestamp_period_ns_; }
    uint32_t timestamp_valid_bits() const { return timestamp_valid_bits_; }

    // Allocates a buffer (usage gets TRANSFER_SRC|DST added). Fails with a
    // Device error naming `label` when the budget or the driver says no.
    Result<Buffer> create_buffer(VkDeviceSize size, VkBufferUsageFlags usage, MemoryUse use, std::string_view label);
    uint64_t allocated_bytes() const { return allocated_.load(); }
    uint64_t peak_allocated_bytes() const { return peak_.load(); }
    uint64_t budget_bytes() const { return budget_; }

    Result<CommandSlot> create_command_slot();
    // Submits slot.cmd (ended by the caller) signalling slot.fence. On a
    // faulted context: fails at once with the fault (nothing is submitted).
    Result<void> submit(CommandSlot& slot);
    // Waits for slot's submission (no-op if none) within options.fence_timeout_ms.
    // Errors: VK_TIMEOUT (the context is then faulted), VK_ERROR_DEVICE_LOST;
    // on a faulted context, the fault at once. On error slot.pending is false:
    // the slot is not waited for again (its objects are abandoned).
    Result<void> wait(CommandSlot& slot);
    // submit + wait.
    Result<void> run(CommandSlot& slot);

    // A shader module from embedded SPIR-V; fails for an empty or malformed blob.
    Result<DeviceObject<VkShaderModule>> create_shader(std::span<const uint32_t> spirv, std::string_view name);

    // Validation messages (warnings and errors) captured since creation or the last clear.
    std::vector<std::string> validation_messages() const;
    void clear_validation_messages();

    // The device faulted (a fence timeout or VK_ERROR_DEVICE_LOST): see the header comment.
    bool faulted() const { return life_.abandoned(); }
    // The first fault as an error (code Device, its VkResult); a healthy context gives a Device error too.
    Error fault_error() const;
    // Shared with every object made on this device (handles.h).
    DeviceLife& life() { return life_; }
    // Wraps a handle made on this device; destroyed with `destroy`, or abandoned after a fault.
    template <class T>
    DeviceObject<T> adopt(T handle, typename DeviceObject<T>::Destroy destroy) { return DeviceObject<T>(life_, handle, destroy); }
    // Lets the submission stalled by options.hang_after_submissions run on (tests). No-op otherwise.
    void release_injected_hang();

private:
    Context() = default;
    Result<void> init(const ContextOptions& options);
    Result<void> check(VkResult r, const char* what);
    // Records the first fault (and its message) and returns its error.
    Error record_fault(VkResult r, const std::string& message);
    Result<void> init_injected_hang();
    void release(VkDeviceSize bytes) { allocated_ -= bytes; }
    friend class Buffer;
    static VKAPI_ATTR VkBool32 VKAPI_CALL on_message(VkDebugUtilsMessageSeverityFlagBitsEXT, VkDebugUtilsMessageTypeFlagsEXT,
                                                     const VkDebugUtilsMessengerCallbackDataEXT*, void*);

    ContextOptions options_;
    DeviceInfo info_;
    VkPhysicalDeviceLimits limits_{};
    VkPhysicalDeviceMemoryProperties memory_{};
    // Destruction order matters: device objects, then the device, then the messenger and instance (see ~Context).
    VkInstance instance_ = VK_NULL_HANDLE;
    VkDebugUtilsMessengerEXT messenger_ = VK_NULL_HANDLE;
    VkPhysicalDevice physical_ = VK_NULL_HANDLE;
    VkDevice device_ = VK_NULL_HANDLE;
    VkQueue queue_ = VK_NULL_HANDLE;
    uint32_t queue_family_ = 0;
    uint32_t timestamp_valid_bits_ = 0;
    double timestamp_period_ns_ = 1.0;
    bool unified_memory_ = false;
    bool float64_ = false;
    DeviceLife life_;  // before every DeviceObject member: they borrow it
    DeviceObject<VkPipelineCache> pipeline_cache_;
    // options.hang_after_submissions: the event the stalled submission waits
    // on, and a command buffer that only waits on it (submitted first).
    DeviceObject<VkEvent> hang_event_;
    DeviceObject<VkCommandPool> hang_pool_;
    VkCommandBuffer hang_cmd_ = VK_NULL_HANDLE;
    uint64_t budget_ = 0;
    std::atomic<uint64_t> allocated_{0}, peak_{0};
    std::atomic<uint64_t> submissions_{0};
    std::atomic<bool> loss_injected_{false};  // options' lose_device_*: the device itself still works
    std::atomic<uint64_t> allocations_{0};  // vkAllocateMemory calls (options.fail_allocations_from)
    mutable std::mutex fault_mutex_;
    std::string fault_message_;  // the first fault's message
    std::mutex queue_mutex_;
    mutable std::mutex messages_mutex_;
    std::vector<std::string> messages_;
};

}  // namespace sf::gpu
