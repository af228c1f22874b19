#include "gpu/vk/context.h"

#include <algorithm>
#include <cassert>
#include <cctype>
#include <cstdlib>
#include <cstring>

#if defined(STEMFORGE_SANITIZE)
#include <dlfcn.h>
#include <link.h>
#endif

namespace sf::gpu {

namespace {

constexpr const char* kValidationLayer = "VK_LAYER_KHRONOS_validation";

std::string lower(std::string s) {
    for (char& c : s) c = static_cast<char>(std::tolower(static_cast<unsigned char>(c)));
    return s;
}

std::string version_string(uint32_t v) {
    return std::to_string(VK_API_VERSION_MAJOR(v)) + "." + std::to_string(VK_API_VERSION_MINOR(v)) + "." +
           std::to_string(VK_API_VERSION_PATCH(v));
}

const char* type_name(VkPhysicalDeviceType t) {
    switch (t) {
        case VK_PHYSICAL_DEVICE_TYPE_DISCRETE_GPU: return "discrete";
        case VK_PHYSICAL_DEVICE_TYPE_INTEGRATED_GPU: return "integrated";
        case VK_PHYSICAL_DEVICE_TYPE_VIRTUAL_GPU: return "virtual";
        case VK_PHYSICAL_DEVICE_TYPE_CPU: return "cpu";
        default: return "other";
    }
}

// Lower is better: discrete, integrated, virtual, other, cpu.
int type_rank(VkPhysicalDeviceType t) {
    switch (t) {
        case VK_PHYSICAL_DEVICE_TYPE_DISCRETE_GPU: return 0;
        case VK_PHYSICAL_DEVICE_TYPE_INTEGRATED_GPU: return 1;
        case VK_PHYSICAL_DEVICE_TYPE_VIRTUAL_GPU: return 2;
        case VK_PHYSICAL_DEVICE_TYPE_CPU: return 4;
        default: return 3;
    }
}

bool has_layer(const char* name) {
    uint32_t n = 0;
    if (vkEnumerateInstanceLayerProperties(&n, nullptr) != VK_SUCCESS) return false;
    std::vector<VkLayerProperties> layers(n);
    if (vkEnumerateInstanceLayerProperties(&n, layers.data()) != VK_SUCCESS) return false;
    for (const auto& l : layers)
        if (std::strcmp(l.layerName, name) == 0) return true;
    return false;
}

int compute_queue_family(VkPhysicalDevice pd, uint32_t* timestamp_bits) {
    uint32_t n = 0;
    vkGetPhysicalDeviceQueueFamilyProperties(pd, &n, nullptr);
    std::vector<VkQueueFamilyProperties> fams(n);
    vkGetPhysicalDeviceQueueFamilyProperties(pd, &n, fams.data());
    int best = -1;
    for (uint32_t i = 0; i < n; ++i) {
        if (!(fams[i].queueFlags & VK_QUEUE_COMPUTE_BIT) || fams[i].queueCount == 0) continue;
        // Prefer a family with timestamps, then the first one (usually graphics+compute, the fastest).
        if (best < 0 || (fams[static_cast<size_t>(best)].timestampValidBits == 0 && fams[i].timestampValidBits > 0)) best = static_cast<int>(i);
    }
    if (best >= 0 && timestamp_bits) *timestamp_bits = fams[static_cast<size_t>(best)].timestampValidBits;
    return best;
}

struct Candidate {
    VkPhysicalDevice handle;
    DeviceInfo info;
    int rank;
};

// Describes every device and marks the ones `options` allows.
std::vector<Candidate> describe(VkInstance instance, const ContextOptions& options, VkResult* status) {
    std::vector<Candidate> out;
    uint32_t n = 0;
    *status = vkEnumeratePhysicalDevices(instance, &n, nullptr);
    if (*status != VK_SUCCESS) return out;
    std::vector<VkPhysicalDevice> pds(n);
    *status = vkEnumeratePhysicalDevices(instance, &n, pds.data());
    if (*status != VK_SUCCESS && *status != VK_INCOMPLETE) return out;
    *status = VK_SUCCESS;
    for (uint32_t i = 0; i < n; ++i) {
        VkPhysicalDeviceProperties p{};
        vkGetPhysicalDeviceProperties(pds[i], &p);
        VkPhysicalDeviceMemoryProperties m{};
        vkGetPhysicalDeviceMemoryProperties(pds[i], &m);
        Candidate c{pds[i], {}, type_rank(p.deviceType)};
        c.info.index = i;
        c.info.name = p.deviceName;
        c.info.type = type_name(p.deviceType);
        c.info.api_version = version_string(p.apiVersion);
        c.info.driver_version = std::to_string(p.driverVersion);
        for (uint32_t h = 0; h < m.memoryHeapCount; ++h)
            if (m.memoryHeaps[h].flags & VK_MEMORY_HEAP_DEVICE_LOCAL_BIT)
                c.info.device_local_bytes = std::max<uint64_t>(c.info.device_local_bytes, m.memoryHeaps[h].size);
        c.info.hardware = p.deviceType != VK_PHYSICAL_DEVICE_TYPE_CPU;
        const bool named = !options.device.empty();
        const bool by_index = named && std::all_of(options.device.begin(), options.device.end(), [](char ch) { return std::isdigit(static_cast<unsigned char>(ch)); });
        if (p.apiVersion < VK_API_VERSION_1_1) {
            c.info.reason = "Vulkan " + c.info.api_version + " < 1.1";
        } else if (compute_queue_family(pds[i], nullptr) < 0) {
            c.info.reason = "no compute queue";
        } else if (named && by_index && std::to_string(i) != options.device) {
            c.info.reason = "not the requested device " + options.device;
        } else if (named && !by_index && lower(c.info.name).find(lower(options.device)) == std::string::npos) {
            c.info.reason = "name does not match \"" + options.device + "\"";
        } else if (!c.info.hardware && !options.allow_software) {
            c.info.reason = "software (CPU) implementation; slower than the CPU path (use --backend gpu to force it)";
        } else {
            c.info.usable = true;
        }
        out.push_back(std::move(c));
    }
    return out;
}

int pick(const std::vector<Candidate>& cands) {
    int best = -1;
    for (size_t i = 0; i < cands.size(); ++i) {
        if (!cands[i].info.usable) continue;
        if (best < 0 || cands[i].rank < cands[static_cast<size_t>(best)].rank ||
            (cands[i].rank == cands[static_cast<size_t>(best)].rank &&
             cands[i].info.device_local_bytes > cands[static_cast<size_t>(best)].info.device_local_bytes))
            best = static_cast<int>(i);
    }
    return best;
}

#if defined(STEMFORGE_SANITIZE)
// LeakSanitizer looks for leaks at exit, after the Vulkan loader has dlclosed
// the driver at vkDestroyInstance. lavapipe keeps a 128-byte block that only
// its own globals point to: once the driver is unmapped the block is reported
// as a leak "in <unknown module>", which no suppression can name (CI failed on
// it in `stemforge demo`). Sanitizer builds therefore keep every library that
// is loaded once an instance exists mapped until exit (RTLD_NODELETE): such a
// block stays reachable, and a real leak in a driver keeps a nameable frame
// for scripts/lsan-suppressions.txt. Release builds unload drivers as usual.
void keep_loaded_libraries_mapped() {
    dl_iterate_phdr(
        [](dl_phdr_info* info, size_t, void*) {
            if (info->dlpi_name && *info->dlpi_name) dlopen(info->dlpi_name, RTLD_LAZY | RTLD_NOLOAD | RTLD_NODELETE);
            return 0;
        },
        nullptr);
}
#endif

VkResult make_instance(bool validation, const VkDebugUtilsMessengerCreateInfoEXT* messenger, VkInstance* out) {
    auto app = vk_struct<VkApplicationInfo>(VK_STRUCTURE_TYPE_APPLICATION_INFO);
    app.pApplicationName = "stemforge";
    app.applicationVersion = VK_MAKE_API_VERSION(0, 0, 1, 0);
    app.pEngineName = "stemforge";
    app.apiVersion = VK_API_VERSION_1_1;
    auto ci = vk_struct<VkInstanceCreateInfo>(VK_STRUCTURE_TYPE_INSTANCE_CREATE_INFO);
    ci.pApplicationInfo = &app;
    const char* layers[] = {kValidationLayer};
    const char* extensions[] = {VK_EXT_DEBUG_UTILS_EXTENSION_NAME};
    if (validation) {
        ci.enabledLayerCount = 1;
        ci.ppEnabledLayerNames = layers;
        ci.enabledExtensionCount = 1;
        ci.ppEnabledExtensionNames = extensions;
        ci.pNext = messenger;  // also captures messages from vkCreateInstance/vkDestroyInstance
    }
    const VkResult r = vkCreateInstance(&ci, nullptr, out);
#if defined(STEMFORGE_SANITIZE)
    if (r == VK_SUCCESS) keep_loaded_libraries_mapped();
#endif
    return r;
}

std::string no_device_message(const std::vector<Candidate>& cands) {
    if (cands.empty()) return "no Vulkan device found (is a Vulkan driver installed? VK_ICD_FILENAMES/VK_DRIVER_FILES may point elsewhere)";
    std::string msg = "no usable Vulkan device:";
    for (const auto& c : cands) msg += " [" + std::to_string(c.info.index) + "] " + c.info.name + ": " + c.info.reason + ";";
    msg.pop_back();
    return msg;
}

}  // namespace

const char* vk_result_name(VkResult r) {
    switch (r) {
        case VK_SUCCESS: return "VK_SUCCESS";
        case VK_NOT_READY: return "VK_NOT_READY";
        case VK_TIMEOUT: return "VK_TIMEOUT";
        case VK_INCOMPLETE: return "VK_INCOMPLETE";
        case VK_ERROR_OUT_OF_HOST_MEMORY: return "VK_ERROR_OUT_OF_HOST_MEMORY";
        case VK_ERROR_OUT_OF_DEVICE_MEMORY: return "VK_ERROR_OUT_OF_DEVICE_MEMORY";
        case VK_ERROR_INITIALIZATION_FAILED: return "VK_ERROR_INITIALIZATION_FAILED";
        case VK_ERROR_DEVICE_LOST: return "VK_ERROR_DEVICE_LOST";
        case VK_ERROR_MEMORY_MAP_FAILED: return "VK_ERROR_MEMORY_MAP_FAILED";
        case VK_ERROR_LAYER_NOT_PRESENT: return "VK_ERROR_LAYER_NOT_PRESENT";
        case VK_ERROR_EXTENSION_NOT_PRESENT: return "VK_ERROR_EXTENSION_NOT_PRESENT";
        case VK_ERROR_FEATURE_NOT_PRESENT: return "VK_ERROR_FEATURE_NOT_PRESENT";
        case VK_ERROR_INCOMPATIBLE_DRIVER: return "VK_ERROR_INCOMPATIBLE_DRIVER";
        case VK_ERROR_TOO_MANY_OBJECTS: return "VK_ERROR_TOO_MANY_OBJECTS";
        case VK_ERROR_FORMAT_NOT_SUPPORTED: return "VK_ERROR_FORMAT_NOT_SUPPORTED";
        case VK_ERROR_FRAGMENTED_POOL: return "VK_ERROR_FRAGMENTED_POOL";
        case VK_ERROR_OUT_OF_POOL_MEMORY: return "VK_ERROR_OUT_OF_POOL_MEMORY";
        case VK_ERROR_INVALID_SHADER_NV: return "VK_ERROR_INVALID_SHADER_NV";
        default: return "VkResult(unknown)";
    }
}

Error vk_error(VkResult r, const std::string& what) {
    std::string msg = what;
    msg += ": ";
    msg += vk_result_name(r);
    if (std::strcmp(vk_result_name(r), "VkResult(unknown)") == 0) {
        msg += ' ';
        msg += std::to_string(static_cast<int>(r));
    }
    return Error{ErrorCode::Device, msg, static_cast<int>(r)};
}

ContextOptions ContextOptions::with_environment() const {
    ContextOptions o = *this;
    auto flag = [](const char* name) {
        const char* v = std::getenv(name);
        return v && *v && std::strcmp(v, "0") != 0;
    };
    if (flag("STEMFORGE_GPU_ALLOW_SOFTWARE")) o.allow_software = true;
    if (flag("STEMFORGE_VK_VALIDATION")) o.validation = true;
    if (const char* d = std::getenv("STEMFORGE_GPU_DEVICE"); d && *d) o.device = d;
    if (const char* m = std::getenv("STEMFORGE_GPU_MEMORY_BUDGET_MB"); m && *m) o.memory_budget_bytes = std::strtoull(m, nullptr, 10) << 20;
    if (const char* t = std::getenv("STEMFORGE_GPU_FENCE_TIMEOUT_MS"); t && *t) o.fence_timeout_ms = std::max<uint64_t>(1, std::strtoull(t, nullptr, 10));
    if (const char* f = std::getenv("STEMFORGE_GPU_FAULT_LOSE_DEVICE_AFTER"); f && *f) o.lose_device_after_submissions = std::strtoull(f, nullptr, 10);
    if (const char* h = std::getenv("STEMFORGE_GPU_FAULT_HANG_AFTER"); h && *h) o.hang_after_submissions = std::strtoull(h, nullptr, 10);
    if (const char* l = std::getenv("STEMFORGE_GPU_FAULT_LOSE_DEVICE_FROM"); l && *l) o.lose_device_from_submission = std::strtoull(l, nullptr, 10);
    if (const char* m = std::getenv("STEMFORGE_GPU_FAULT_OOM_FROM"); m && *m) o.fail_allocations_from = std::strtoull(m, nullptr, 10);
    return o;
}

Result<DeviceSurvey> survey_devices(const ContextOptions& options) {
    VkInstance instance = VK_NULL_HANDLE;
    if (VkResult r = make_instance(false, nullptr, &instance); r != VK_SUCCESS)
        return std::unexpected(vk_error(r, "cannot start Vulkan (vkCreateInstance; is a Vulkan loader and driver installed?)"));
    VkResult status = VK_SUCCESS;
    auto cands = describe(instance, options, &status);
    vkDestroyInstance(instance, nullptr);
    if (status != VK_SUCCESS) return std::unexpected(vk_error(status, "vkEnumeratePhysicalDevices"));
    DeviceSurvey survey;
    survey.selected = pick(cands);
    for (auto& c : cands) survey.devices.push_back(std::move(c.info));
    return survey;
}

// ---- Buffer ----------------------------------------------------------------

Buffer::Buffer(Buffer&& o) noexcept
    : owner_(std::exchange(o.owner_, nullptr)),
      buffer_(std::move(o.buffer_)),
      memory_(std::move(o.memory_)),
      size_(std::exchange(o.size_, 0)),
      allocated_(std::exchange(o.allocated_, 0)),
      mapped_(std::exchange(o.mapped_, nullptr)) {}

Buffer& Buffer::operator=(Buffer&& o) noexcept {
    if (this == &o) return *this;
    release();
    owner_ = std::exchange(o.owner_, nullptr);
    buffer_ = std::move(o.buffer_);
    memory_ = std::move(o.memory_);
    size_ = std::exchange(o.size_, 0);
    allocated_ = std::exchange(o.allocated_, 0);
    mapped_ = std::exchange(o.mapped_, nullptr);
    return *this;
}

Buffer::~Buffer() { release(); }

void Buffer::release() {
    buffer_.reset();
    memory_.reset();  // unmaps implicitly
    if (owner_ && allocated_) owner_->release(allocated_);
    owner_ = nullptr;
    allocated_ = 0;
    size_ = 0;
    mapped_ = nullptr;
}

// ---- Context ---------------------------------------------------------------

VKAPI_ATTR VkBool32 VKAPI_CALL Context::on_message(VkDebugUtilsMessageSeverityFlagBitsEXT severity, VkDebugUtilsMessageTypeFlagsEXT,
                                                   const VkDebugUtilsMessengerCallbackDataEXT* data, void* user) {
    auto* self = static_cast<Context*>(user);
    std::string msg = (severity & VK_DEBUG_UTILS_MESSAGE_SEVERITY_ERROR_BIT_EXT) ? "error: " : "warning: ";
    msg += data && data->pMessage ? data->pMessage : "(no text)";
    std::lock_guard lock(self->messages_mutex_);
    self->messages_.push_back(std::move(msg));
    return VK_FALSE;
}

std::vector<std::string> Context::validation_messages() const {
    std::lock_guard lock(messages_mutex_);
    return messages_;
}

void Context::clear_validation_messages() {
    std::lock_guard lock(messages_mutex_);
    messages_.clear();
}

Result<std::unique_ptr<Context>> Context::create(const ContextOptions& options) {
    std::unique_ptr<Context> ctx(new Context());
    if (auto ok = ctx->init(options); !ok) return std::unexpected(ok.error());
    return ctx;
}

Result<void> Context::check(VkResult r, const char* what) {
    if (r == VK_SUCCESS) return {};
    if (r == VK_ERROR_DEVICE_LOST) return std::unexpected(record_fault(r, vk_error(r, what).message));
    return std::unexpected(vk_error(r, what));
}

Error Context::record_fault(VkResult r, const std::string& message) {
    std::lock_guard lock(fault_mutex_);
    if (life_.record_fault(r)) fault_message_ = message;
    return Error{ErrorCode::Device, message, static_cast<int>(r)};
}

Error Context::fault_error() const {
    std::lock_guard lock(fault_mutex_);
    if (!life_.abandoned()) return Error{ErrorCode::Device, "GPU device has not faulted", 0};
    // A fault recorded by a CommandSlot's destructor carries no message of its own.
    const std::string why = fault_message_.empty() ? std::string("vkWaitForFences: ") + vk_result_name(life_.fault()) : fault_message_;
    return Error{ErrorCode::Device, "GPU unusable after an earlier fault (" + why + ")", static_cast<int>(life_.fault())};
}

Result<void> Context::init(const ContextOptions& options) {
    options_ = options;
    auto mci = vk_struct<VkDebugUtilsMessengerCreateInfoEXT>(VK_STRUCTURE_TYPE_DEBUG_UTILS_MESSENGER_CREATE_INFO_EXT);
    mci.messageSeverity = VK_DEBUG_UTILS_MESSAGE_SEVERITY_WARNING_BIT_EXT | VK_DEBUG_UTILS_MESSAGE_SEVERITY_ERROR_BIT_EXT;
    mci.messageType = VK_DEBUG_UTILS_MESSAGE_TYPE_VALIDATION_BIT_EXT | VK_DEBUG_UTILS_MESSAGE_TYPE_PERFORMANCE_BIT_EXT;
    mci.pfnUserCallback = &Context::on_message;
    mci.pUserData = this;
    if (options.validation && !has_layer(kValidationLayer))
        return fail(ErrorCode::Device, std::string("Vulkan validation requested but ") + kValidationLayer + " is not installed (vulkan-validationlayers)");
    if (VkResult r = make_instance(options.validation, &mci, &instance_); r != VK_SUCCESS) {
        instance_ = VK_NULL_HANDLE;
        return std::unexpected(vk_error(r, "cannot start Vulkan (vkCreateInstance; is a Vulkan loader and driver installed?)"));
    }
    if (options.validation) {
        auto create = reinterpret_cast<PFN_vkCreateDebugUtilsMessengerEXT>(vkGetInstanceProcAddr(instance_, "vkCreateDebugUtilsMessengerEXT"));
        if (!create) return fail(ErrorCode::Device, "VK_EXT_debug_utils is not available");
        if (auto ok = check(create(instance_, &mci, nullptr, &messenger_), "vkCreateDebugUtilsMessengerEXT"); !ok) return ok;
    }

    VkResult status = VK_SUCCESS;
    auto cands = describe(instance_, options, &status);
    if (status != VK_SUCCESS) return std::unexpected(vk_error(status, "vkEnumeratePhysicalDevices"));
    const int chosen = pick(cands);
    if (chosen < 0) return fail(ErrorCode::Device, no_device_message(cands));
    physical_ = cands[static_cast<size_t>(chosen)].handle;
    info_ = cands[static_cast<size_t>(chosen)].info;

    VkPhysicalDeviceProperties props{};
    vkGetPhysicalDeviceProperties(physical_, &props);
    limits_ = props.limits;
    timestamp_period_ns_ = props.limits.timestampPeriod;
    vkGetPhysicalDeviceMemoryProperties(physical_, &memory_);
    queue_family_ = static_cast<uint32_t>(compute_queue_family(physical_, &timestamp_valid_bits_));

    const float priority = 1.0f;
    auto qci = vk_struct<VkDeviceQueueCreateInfo>(VK_STRUCTURE_TYPE_DEVICE_QUEUE_CREATE_INFO);
    qci.queueFamilyIndex = queue_family_;
    qci.queueCount = 1;
    qci.pQueuePriorities = &priority;
    // Float64 in shaders when the device has it: the compressor's envelope
    // recursion runs in double (engine/dsp/compressor.h).
    VkPhysicalDeviceFeatures supported{}, enabled{};
    vkGetPhysicalDeviceFeatures(physical_, &supported);
    enabled.shaderFloat64 = supported.shaderFloat64;
    float64_ = supported.shaderFloat64 == VK_TRUE;
    auto dci = vk_struct<VkDeviceCreateInfo>(VK_STRUCTURE_TYPE_DEVICE_CREATE_INFO);
    dci.queueCreateInfoCount = 1;
    dci.pQueueCreateInfos = &qci;
    dci.pEnabledFeatures = &enabled;
    if (auto ok = check(vkCreateDevice(physical_, &dci, nullptr, &device_), "vkCreateDevice"); !ok) {
        device_ = VK_NULL_HANDLE;
        return ok;
    }
    vkGetDeviceQueue(device_, queue_family_, 0, &queue_);
    life_.device_ = device_;
    life_.fence_timeout_ns_ = std::max<uint64_t>(1, options.fence_timeout_ms) * 1000000ull;

    // Unified memory: a device-local type that is also host-visible and coherent covers the device-local heap.
    for (uint32_t t = 0; t < memory_.memoryTypeCount; ++t) {
        const auto f = memory_.memoryTypes[t].propertyFlags;
        const auto heap = memory_.memoryTypes[t].heapIndex;
        if ((f & VK_MEMORY_PROPERTY_DEVICE_LOCAL_BIT) && (f & VK_MEMORY_PROPERTY_HOST_VISIBLE_BIT) && (f & VK_MEMORY_PROPERTY_HOST_COHERENT_BIT) &&
            memory_.memoryHeaps[heap].size >= info_.device_local_bytes)
            unified_memory_ = true;
    }
    budget_ = options.memory_budget_bytes ? options.memory_budget_bytes : info_.device_local_bytes / 4 * 3;

    auto pci = vk_struct<VkPipelineCacheCreateInfo>(VK_STRUCTURE_TYPE_PIPELINE_CACHE_CREATE_INFO);
    VkPipelineCache cache = VK_NULL_HANDLE;
    if (auto ok = check(vkCreatePipelineCache(device_, &pci, nullptr, &cache), "vkCreatePipelineCache"); !ok) return ok;
    pipeline_cache_ = adopt(cache, vkDestroyPipelineCache);
    if (options.hang_after_submissions > 0) return init_injected_hang();
    return {};
}

Result<void> Context::init_injected_hang() {
    auto eci = vk_struct<VkEventCreateInfo>(VK_STRUCTURE_TYPE_EVENT_CREATE_INFO);
    VkEvent event = VK_NULL_HANDLE;
    if (auto ok = check(vkCreateEvent(device_, &eci, nullptr, &event), "vkCreateEvent (injected hang)"); !ok) return ok;
    hang_event_ = adopt(event, vkDestroyEvent);
    auto pci = vk_struct<VkCommandPoolCreateInfo>(VK_STRUCTURE_TYPE_COMMAND_POOL_CREATE_INFO);
    pci.queueFamilyIndex = queue_family_;
    VkCommandPool pool = VK_NULL_HANDLE;
    if (auto ok = check(vkCreateCommandPool(device_, &pci, nullptr, &pool), "vkCreateCommandPool (injected hang)"); !ok) return ok;
    hang_pool_ = adopt(pool, vkDestroyCommandPool);
    auto ai = vk_struct<VkCommandBufferAllocateInfo>(VK_STRUCTURE_TYPE_COMMAND_BUFFER_ALLOCATE_INFO);
    ai.commandPool = pool;
    ai.level = VK_COMMAND_BUFFER_LEVEL_PRIMARY;
    ai.commandBufferCount = 1;
    if (auto ok = check(vkAllocateCommandBuffers(device_, &ai, &hang_cmd_), "vkAllocateCommandBuffers (injected hang)"); !ok) return ok;
    auto bi = vk_struct<VkCommandBufferBeginInfo>(VK_STRUCTURE_TYPE_COMMAND_BUFFER_BEGIN_INFO);
    if (auto ok = check(vkBeginCommandBuffer(hang_cmd_, &bi), "vkBeginCommandBuffer (injected hang)"); !ok) return ok;
    // Everything later in submission order waits for the host to set the
    // event (a host-set event may be waited on outside a render pass).
    auto host = vk_struct<VkMemoryBarrier>(VK_STRUCTURE_TYPE_MEMORY_BARRIER);
    host.srcAccessMask = VK_ACCESS_HOST_WRITE_BIT;
    host.dstAccessMask = VK_ACCESS_SHADER_READ_BIT | VK_ACCESS_TRANSFER_READ_BIT;
    vkCmdWaitEvents(hang_cmd_, 1, hang_event_.ptr(), VK_PIPELINE_STAGE_HOST_BIT,
                    VK_PIPELINE_STAGE_COMPUTE_SHADER_BIT | VK_PIPELINE_STAGE_TRANSFER_BIT, 1, &host, 0, nullptr, 0, nullptr);
    return check(vkEndCommandBuffer(hang_cmd_), "vkEndCommandBuffer (injected hang)");
}

void Context::release_injected_hang() {
    if (hang_event_) (void)vkSetEvent(device_, hang_event_.get());
}

Context::~Context() {
    // Every owner has waited for its own fences (bounded) or the device has
    // faulted: nothing here waits (no vkDeviceWaitIdle, which can block
    // forever on a broken driver).
    const bool faulted = life_.abandoned();
    // An injected hang ends here: the stalled work runs on into abandoned,
    // still-valid memory, as a late GPU would.
    release_injected_hang();
    // An injected fault (a loss, or a hang just released) leaves a working
    // device whose queue may still run what was submitted: it finishes here,
    // or the driver's threads would still be running it while the process
    // exits (lavapipe then crashed in LLVM's teardown: "LLVM ERROR: Do not
    // know how to split the result of this operator!" after a passed test).
    // A real fault is never waited for.
    const bool injected = loss_injected_ || hang_cmd_ != VK_NULL_HANDLE;
    if (faulted && injected && device_) vkDeviceWaitIdle(device_);
    hang_event_.reset();
    hang_pool_.reset();
    pipeline_cache_.reset();
    if (device_) {
        if (faulted) abandon_handle(device_);
        else vkDestroyDevice(device_, nullptr);
    }
    // The messenger goes even after a fault: its user data is this object.
    if (messenger_) {
        auto destroy = reinterpret_cast<PFN_vkDestroyDebugUtilsMessengerEXT>(vkGetInstanceProcAddr(instance_, "vkDestroyDebugUtilsMessengerEXT"));
        if (destroy) destroy(instance_, messenger_, nullptr);
    }
    if (instance_) {
        if (faulted) abandon_handle(instance_);  // the device lives on, and so must its instance
        else vkDestroyInstance(instance_, nullptr);
    }
}

std::string Context::description() const {
    return info_.name + " (" + info_.type + ", Vulkan " + info_.api_version + ")";
}

Result<Buffer> Context::create_buffer(VkDeviceSize size, VkBufferUsageFlags usage, MemoryUse use, std::string_view label) {
    const auto mib = [](uint64_t b) { return std::to_string((b + (1 << 20) - 1) >> 20) + " MiB"; };
    if (size == 0) size = 4;
    Buffer out;
    auto bci = vk_struct<VkBufferCreateInfo>(VK_STRUCTURE_TYPE_BUFFER_CREATE_INFO);
    bci.size = size;
    bci.usage = usage | VK_BUFFER_USAGE_TRANSFER_SRC_BIT | VK_BUFFER_USAGE_TRANSFER_DST_BIT;
    bci.sharingMode = VK_SHARING_MODE_EXCLUSIVE;
    VkBuffer buffer = VK_NULL_HANDLE;
    if (VkResult r = vkCreateBuffer(device_, &bci, nullptr, &buffer); r != VK_SUCCESS)
        return std::unexpected(vk_error(r, "GPU buffer " + std::string(label) + " (" + mib(size) + ")"));
    out.buffer_ = adopt(buffer, vkDestroyBuffer);

    VkMemoryRequirements req{};
    vkGetBufferMemoryRequirements(device_, buffer, &req);
    if (allocated_.load() + req.size > budget_)
        return fail(ErrorCode::Device, "out of device memory: GPU buffer " + std::string(label) + " needs " + mib(req.size) + ", " +
                                           mib(allocated_.load()) + " of the " + mib(budget_) + " budget in use");

    // Preference order per use; the first type allowed by req.memoryTypeBits wins.
    using F = VkMemoryPropertyFlags;
    const F dl = VK_MEMORY_PROPERTY_DEVICE_LOCAL_BIT, hv = VK_MEMORY_PROPERTY_HOST_VISIBLE_BIT | VK_MEMORY_PROPERTY_HOST_COHERENT_BIT,
            hc = VK_MEMORY_PROPERTY_HOST_CACHED_BIT;
    std::vector<F> prefs;
    switch (use) {
        case MemoryUse::Device: prefs = unified_memory_ ? std::vector<F>{dl | hv, dl} : std::vector<F>{dl}; break;
        case MemoryUse::Upload: prefs = {hv}; break;
        case MemoryUse::Readback: prefs = {hv | hc, hv}; break;
    }
    int type = -1;
    for (F want : prefs) {
        for (uint32_t t = 0; t < memory_.memoryTypeCount && type < 0; ++t)
            if ((req.memoryTypeBits & (1u << t)) && (memory_.memoryTypes[t].propertyFlags & want) == want) type = static_cast<int>(t);
        if (type >= 0) break;
    }
    if (type < 0) return fail(ErrorCode::Device, "GPU buffer " + std::string(label) + ": no suitable memory type");

    auto mai = vk_struct<VkMemoryAllocateInfo>(VK_STRUCTURE_TYPE_MEMORY_ALLOCATE_INFO);
    mai.allocationSize = req.size;
    mai.memoryTypeIndex = static_cast<uint32_t>(type);
    VkDeviceMemory memory = VK_NULL_HANDLE;
    const uint64_t allocation = ++allocations_;
    const bool injected_oom = options_.fail_allocations_from > 0 && allocation >= options_.fail_allocations_from;
    if (VkResult r = injected_oom ? VK_ERROR_OUT_OF_DEVICE_MEMORY : vkAllocateMemory(device_, &mai, nullptr, &memory); r != VK_SUCCESS)
        return std::unexpected(vk_error(r, "out of device memory: GPU buffer " + std::string(label) + " (" + mib(req.size) + ")"));
    out.memory_ = adopt(memory, vkFreeMemory);
    out.owner_ = this;
    out.size_ = size;
    out.allocated_ = req.size;
    const uint64_t now = (allocated_ += req.size);
    uint64_t peak = peak_.load();
    while (now > peak && !peak_.compare_exchange_weak(peak, now)) {
    }
    if (VkResult r = vkBindBufferMemory(device_, buffer, memory, 0); r != VK_SUCCESS)
        return std::unexpected(vk_error(r, "vkBindBufferMemory " + std::string(label)));
    if (memory_.memoryTypes[type].propertyFlags & VK_MEMORY_PROPERTY_HOST_VISIBLE_BIT) {
        if (VkResult r = vkMapMemory(device_, memory, 0, VK_WHOLE_SIZE, 0, &out.mapped_); r != VK_SUCCESS)
            return std::unexpected(vk_error(r, "vkMapMemory " + std::string(label)));
    }
    return out;
}

Result<CommandSlot> Context::create_command_slot() {
    CommandSlot slot;
    auto pci = vk_struct<VkCommandPoolCreateInfo>(VK_STRUCTURE_TYPE_COMMAND_POOL_CREATE_INFO);
    pci.flags = VK_COMMAND_POOL_CREATE_RESET_COMMAND_BUFFER_BIT;
    pci.queueFamilyIndex = queue_family_;
    VkCommandPool pool = VK_NULL_HANDLE;
    if (auto ok = check(vkCreateCommandPool(device_, &pci, nullptr, &pool), "vkCreateCommandPool"); !ok) return std::unexpected(ok.error());
    slot.pool = adopt(pool, vkDestroyCommandPool);
    auto ai = vk_struct<VkCommandBufferAllocateInfo>(VK_STRUCTURE_TYPE_COMMAND_BUFFER_ALLOCATE_INFO);
    ai.commandPool = pool;
    ai.level = VK_COMMAND_BUFFER_LEVEL_PRIMARY;
    ai.commandBufferCount = 1;
    if (auto ok = check(vkAllocateCommandBuffers(device_, &ai, &slot.cmd), "vkAllocateCommandBuffers"); !ok) return std::unexpected(ok.error());
    auto fci = vk_struct<VkFenceCreateInfo>(VK_STRUCTURE_TYPE_FENCE_CREATE_INFO);
    VkFence fence = VK_NULL_HANDLE;
    if (auto ok = check(vkCreateFence(device_, &fci, nullptr, &fence), "vkCreateFence"); !ok) return std::unexpected(ok.error());
    slot.fence = adopt(fence, vkDestroyFence);
    return slot;
}

Result<void> Context::submit(CommandSlot& slot) {
    if (faulted()) return std::unexpected(fault_error());
    assert(!slot.pending && "submit: the slot's previous submission was not waited for");
    const uint64_t number = ++submissions_;
    if ((options_.lose_device_after_submissions > 0 && number > options_.lose_device_after_submissions) ||
        (options_.lose_device_from_submission > 0 && number >= options_.lose_device_from_submission)) {
        loss_injected_ = true;
        return std::unexpected(record_fault(VK_ERROR_DEVICE_LOST, "vkQueueSubmit: VK_ERROR_DEVICE_LOST (injected fault)"));
    }
    if (auto ok = check(vkResetFences(device_, 1, slot.fence.ptr()), "vkResetFences"); !ok) return ok;
    const bool hang = options_.hang_after_submissions > 0 && number == options_.hang_after_submissions + 1 && hang_cmd_;
    const VkCommandBuffer cmds[2] = {hang_cmd_, slot.cmd};
    auto si = vk_struct<VkSubmitInfo>(VK_STRUCTURE_TYPE_SUBMIT_INFO);
    si.commandBufferCount = hang ? 2 : 1;
    si.pCommandBuffers = hang ? cmds : &slot.cmd;
    std::lock_guard lock(queue_mutex_);
    if (auto ok = check(vkQueueSubmit(queue_, 1, &si, slot.fence.get()), "vkQueueSubmit"); !ok) return ok;
    slot.pending = true;
    return {};
}

Result<void> Context::wait(CommandSlot& slot) {
    if (!slot.pending) return {};
    if (faulted()) {  // its fence may never signal: do not wait, abandon
        slot.pending = false;
        return std::unexpected(fault_error());
    }
    const VkResult r = vkWaitForFences(device_, 1, slot.fence.ptr(), VK_TRUE, life_.fence_timeout_ns());
    if (r == VK_SUCCESS) {
        slot.pending = false;
        return {};
    }
    slot.pending = false;  // never waited for again: from here its objects are abandoned
    if (r == VK_TIMEOUT)
        // The submission may still run and write its buffers: the device is
        // faulted, so nothing it may touch is freed or reused (see above).
        return std::unexpected(record_fault(r, "vkWaitForFences: VK_TIMEOUT: the GPU did not finish within " +
                                                   std::to_string(options_.fence_timeout_ms) + " ms (hung device?)"));
    // VK_ERROR_DEVICE_LOST, or any other failure (out of memory), which leaves the fence's state unknown: a fault too.
    return std::unexpected(record_fault(r, vk_error(r, "vkWaitForFences").message));
}

// ---- CommandSlot -----------------------------------------------------------

CommandSlot::CommandSlot(CommandSlot&& o) noexcept
    : pool(std::move(o.pool)), cmd(std::exchange(o.cmd, VK_NULL_HANDLE)), fence(std::move(o.fence)), pending(std::exchange(o.pending, false)) {}

CommandSlot& CommandSlot::operator=(CommandSlot&& o) noexcept {
    if (this == &o) return *this;
    settle();
    fence = std::move(o.fence);
    pool = std::move(o.pool);
    cmd = std::exchange(o.cmd, VK_NULL_HANDLE);
    pending = std::exchange(o.pending, false);
    return *this;
}

CommandSlot::~CommandSlot() {
    settle();
    fence.reset();  // before the pool, which frees the command buffer the fence guards
    pool.reset();
}

void CommandSlot::settle() noexcept {
    if (!pending) return;
    pending = false;
    DeviceLife* life = fence.life();
    if (!life || life->abandoned()) return;  // abandoned: members are kept, never destroyed
    const VkResult r = vkWaitForFences(life->device(), 1, fence.ptr(), VK_TRUE, life->fence_timeout_ns());
    // A timeout or a lost device: the submission may still use this slot's
    // command buffer and whatever else its owner is about to destroy.
    if (r != VK_SUCCESS) life->record_fault(r);
}

Result<void> Context::run(CommandSlot& slot) {
    if (auto ok = submit(slot); !ok) return ok;
    return wait(slot);
}

Result<DeviceObject<VkShaderModule>> Context::create_shader(std::span<const uint32_t> spirv, std::string_view name) {
    constexpr uint32_t kSpirvMagic = 0x07230203;
    if (spirv.size() < 5 || spirv[0] != kSpirvMagic)
        return fail(ErrorCode::Device, "shader " + std::string(name) + ": missing or malformed SPIR-V (build problem)");
    auto ci = vk_struct<VkShaderModuleCreateInfo>(VK_STRUCTURE_TYPE_SHADER_MODULE_CREATE_INFO);
    ci.codeSize = spirv.size_bytes();
    ci.pCode = spirv.data();
    VkShaderModule module = VK_NULL_HANDLE;
    if (VkResult r = vkCreateShaderModule(device_, &ci, nullptr, &module); r != VK_SUCCESS)
        return std::unexpected(vk_error(r, "shader " + std::string(name)));
    return adopt(module, vkDestroyShaderModule);
}

}  // namespace sf::gpu
