#include "app/gui/platform/vk_device.h"

#include <algorithm>
#include <cctype>
#include <cstdlib>
#include <cstring>
#include <mutex>
#include <utility>

namespace sf::gui::platform {

namespace {

constexpr const char* kValidationLayer = "VK_LAYER_KHRONOS_validation";

std::mutex& messages_mutex() {
    static std::mutex m;
    return m;
}
std::vector<std::string>& messages() {
    static std::vector<std::string> v;
    return v;
}

bool env_flag(const char* name) {
    const char* v = std::getenv(name);
    return v && *v && std::strcmp(v, "0") != 0;
}

std::string lower(std::string s) {
    for (char& c : s) c = static_cast<char>(std::tolower(static_cast<unsigned char>(c)));
    return s;
}

const char* result_name(VkResult r) {
    switch (r) {
        case VK_SUCCESS: return "VK_SUCCESS";
        case VK_TIMEOUT: return "VK_TIMEOUT";
        case VK_SUBOPTIMAL_KHR: return "VK_SUBOPTIMAL_KHR";
        case VK_ERROR_OUT_OF_HOST_MEMORY: return "VK_ERROR_OUT_OF_HOST_MEMORY";
        case VK_ERROR_OUT_OF_DEVICE_MEMORY: return "VK_ERROR_OUT_OF_DEVICE_MEMORY";
        case VK_ERROR_INITIALIZATION_FAILED: return "VK_ERROR_INITIALIZATION_FAILED";
        case VK_ERROR_DEVICE_LOST: return "VK_ERROR_DEVICE_LOST";
        case VK_ERROR_LAYER_NOT_PRESENT: return "VK_ERROR_LAYER_NOT_PRESENT";
        case VK_ERROR_EXTENSION_NOT_PRESENT: return "VK_ERROR_EXTENSION_NOT_PRESENT";
        case VK_ERROR_FEATURE_NOT_PRESENT: return "VK_ERROR_FEATURE_NOT_PRESENT";
        case VK_ERROR_INCOMPATIBLE_DRIVER: return "VK_ERROR_INCOMPATIBLE_DRIVER";
        case VK_ERROR_FORMAT_NOT_SUPPORTED: return "VK_ERROR_FORMAT_NOT_SUPPORTED";
        case VK_ERROR_OUT_OF_POOL_MEMORY: return "VK_ERROR_OUT_OF_POOL_MEMORY";
        case VK_ERROR_SURFACE_LOST_KHR: return "VK_ERROR_SURFACE_LOST_KHR";
        case VK_ERROR_NATIVE_WINDOW_IN_USE_KHR: return "VK_ERROR_NATIVE_WINDOW_IN_USE_KHR";
        case VK_ERROR_OUT_OF_DATE_KHR: return "VK_ERROR_OUT_OF_DATE_KHR";
        default: return nullptr;
    }
}

VKAPI_ATTR VkBool32 VKAPI_CALL on_validation_message(VkDebugUtilsMessageSeverityFlagBitsEXT severity, VkDebugUtilsMessageTypeFlagsEXT,
                                                     const VkDebugUtilsMessengerCallbackDataEXT* data, void*) {
    const char* level = (severity & VK_DEBUG_UTILS_MESSAGE_SEVERITY_ERROR_BIT_EXT) ? "error" : "warning";
    record_validation_message(std::string(level) + ": " + (data && data->pMessage ? data->pMessage : "(no text)"));
    return VK_FALSE;  // never abort the call: the test that reads the message fails instead
}

VkDebugUtilsMessengerCreateInfoEXT messenger_info() {
    auto info = vk_struct<VkDebugUtilsMessengerCreateInfoEXT>(VK_STRUCTURE_TYPE_DEBUG_UTILS_MESSENGER_CREATE_INFO_EXT);
    info.messageSeverity = VK_DEBUG_UTILS_MESSAGE_SEVERITY_WARNING_BIT_EXT | VK_DEBUG_UTILS_MESSAGE_SEVERITY_ERROR_BIT_EXT;
    info.messageType = VK_DEBUG_UTILS_MESSAGE_TYPE_GENERAL_BIT_EXT | VK_DEBUG_UTILS_MESSAGE_TYPE_VALIDATION_BIT_EXT |
                       VK_DEBUG_UTILS_MESSAGE_TYPE_PERFORMANCE_BIT_EXT;
    info.pfnUserCallback = on_validation_message;
    return info;
}

bool has_layer(const char* name) {
    uint32_t n = 0;
    if (vkEnumerateInstanceLayerProperties(&n, nullptr) != VK_SUCCESS) return false;
    std::vector<VkLayerProperties> layers(n);
    if (vkEnumerateInstanceLayerProperties(&n, layers.data()) != VK_SUCCESS) return false;
    return std::any_of(layers.begin(), layers.end(), [&](const VkLayerProperties& l) { return std::strcmp(l.layerName, name) == 0; });
}

// Lower is better: discrete, integrated, virtual, other, CPU.
int type_rank(VkPhysicalDeviceType type) {
    switch (type) {
        case VK_PHYSICAL_DEVICE_TYPE_DISCRETE_GPU: return 0;
        case VK_PHYSICAL_DEVICE_TYPE_INTEGRATED_GPU: return 1;
        case VK_PHYSICAL_DEVICE_TYPE_VIRTUAL_GPU: return 2;
        case VK_PHYSICAL_DEVICE_TYPE_CPU: return 4;
        default: return 3;
    }
}

bool has_device_extension(VkPhysicalDevice pd, const char* name) {
    uint32_t n = 0;
    if (vkEnumerateDeviceExtensionProperties(pd, nullptr, &n, nullptr) != VK_SUCCESS) return false;
    std::vector<VkExtensionProperties> exts(n);
    if (vkEnumerateDeviceExtensionProperties(pd, nullptr, &n, exts.data()) != VK_SUCCESS) return false;
    return std::any_of(exts.begin(), exts.end(), [&](const VkExtensionProperties& e) { return std::strcmp(e.extensionName, name) == 0; });
}

// The first queue family that draws (and presents to `surface`, when given); -1 if none.
int graphics_family(VkPhysicalDevice pd, VkSurfaceKHR surface) {
    uint32_t n = 0;
    vkGetPhysicalDeviceQueueFamilyProperties(pd, &n, nullptr);
    std::vector<VkQueueFamilyProperties> families(n);
    vkGetPhysicalDeviceQueueFamilyProperties(pd, &n, families.data());
    for (uint32_t i = 0; i < n; ++i) {
        if (!(families[i].queueFlags & VK_QUEUE_GRAPHICS_BIT) || families[i].queueCount == 0) continue;
        if (surface != VK_NULL_HANDLE) {
            VkBool32 present = VK_FALSE;
            if (vkGetPhysicalDeviceSurfaceSupportKHR(pd, i, surface, &present) != VK_SUCCESS || !present) continue;
        }
        return static_cast<int>(i);
    }
    return -1;
}

}  // namespace

void record_validation_message(std::string message) {
    std::lock_guard lock(messages_mutex());
    messages().push_back(std::move(message));
}

std::vector<std::string> take_validation_messages(bool clear) {
    std::lock_guard lock(messages_mutex());
    if (!clear) return messages();
    return std::exchange(messages(), {});
}

Error vk_failure(VkResult result, const std::string& what) {
    const char* name = result_name(result);
    return Error{ErrorCode::Device, what + ": " + (name ? std::string(name) : "VkResult " + std::to_string(static_cast<int>(result))),
                 static_cast<int>(result)};
}

// ---- VulkanInstance ----------------------------------------------------------

Result<std::unique_ptr<VulkanInstance>> VulkanInstance::create(std::span<const char* const> extensions) {
    std::unique_ptr<VulkanInstance> self(new VulkanInstance());
    const bool validation = env_flag("STEMFORGE_VK_VALIDATION");
    if (validation && !has_layer(kValidationLayer))
        return fail(ErrorCode::Device, "STEMFORGE_VK_VALIDATION is set but VK_LAYER_KHRONOS_validation is not installed (vulkan-validationlayers)");

    std::vector<const char*> wanted(extensions.begin(), extensions.end());
    if (validation) wanted.push_back(VK_EXT_DEBUG_UTILS_EXTENSION_NAME);
    auto app = vk_struct<VkApplicationInfo>(VK_STRUCTURE_TYPE_APPLICATION_INFO);
    app.pApplicationName = "stemforge gui";
    app.pEngineName = "stemforge";
    app.apiVersion = VK_API_VERSION_1_1;
    auto info = vk_struct<VkInstanceCreateInfo>(VK_STRUCTURE_TYPE_INSTANCE_CREATE_INFO);
    info.pApplicationInfo = &app;
    info.enabledExtensionCount = static_cast<uint32_t>(wanted.size());
    info.ppEnabledExtensionNames = wanted.data();
    const auto messenger = messenger_info();
    if (validation) {
        info.enabledLayerCount = 1;
        info.ppEnabledLayerNames = &kValidationLayer;
        info.pNext = &messenger;  // also catches what vkCreateInstance / vkDestroyInstance report
    }
    if (VkResult r = vkCreateInstance(&info, nullptr, &self->instance_); r != VK_SUCCESS)
        return std::unexpected(vk_failure(r, "cannot start Vulkan (vkCreateInstance; is a Vulkan loader and driver installed?)"));
    if (validation) {
        auto create_messenger = reinterpret_cast<PFN_vkCreateDebugUtilsMessengerEXT>(vkGetInstanceProcAddr(self->instance_, "vkCreateDebugUtilsMessengerEXT"));
        if (!create_messenger) return fail(ErrorCode::Device, "vkCreateDebugUtilsMessengerEXT is missing");
        if (VkResult r = create_messenger(self->instance_, &messenger, nullptr, &self->messenger_); r != VK_SUCCESS)
            return std::unexpected(vk_failure(r, "vkCreateDebugUtilsMessengerEXT"));
    }
    return self;
}

VulkanInstance::~VulkanInstance() {
    if (instance_ == VK_NULL_HANDLE) return;
    if (faulted_) {  // the faulted device lives on, and so must its instance and messenger
        if (messenger_ != VK_NULL_HANDLE) gpu::abandon_handle(messenger_);
        gpu::abandon_handle(instance_);
        return;
    }
    if (messenger_ != VK_NULL_HANDLE) {
        auto destroy = reinterpret_cast<PFN_vkDestroyDebugUtilsMessengerEXT>(vkGetInstanceProcAddr(instance_, "vkDestroyDebugUtilsMessengerEXT"));
        if (destroy) destroy(instance_, messenger_, nullptr);
    }
    vkDestroyInstance(instance_, nullptr);
}

// ---- VulkanDevice ------------------------------------------------------------

Result<std::unique_ptr<VulkanDevice>> VulkanDevice::create(VulkanInstance& instance, VkSurfaceKHR surface) {
    std::unique_ptr<VulkanDevice> self(new VulkanDevice(instance));
    uint32_t n = 0;
    if (VkResult r = vkEnumeratePhysicalDevices(instance.get(), &n, nullptr); r != VK_SUCCESS) return std::unexpected(vk_failure(r, "vkEnumeratePhysicalDevices"));
    std::vector<VkPhysicalDevice> devices(n);
    if (VkResult r = vkEnumeratePhysicalDevices(instance.get(), &n, devices.data()); r != VK_SUCCESS && r != VK_INCOMPLETE)
        return std::unexpected(vk_failure(r, "vkEnumeratePhysicalDevices"));
    if (devices.empty()) return fail(ErrorCode::Device, "no Vulkan device found (is a Vulkan driver installed, e.g. mesa-vulkan-drivers?)");

    const char* requested_env = std::getenv("STEMFORGE_GPU_DEVICE");
    const std::string requested = requested_env ? requested_env : "";
    const bool by_index = !requested.empty() && std::all_of(requested.begin(), requested.end(), [](char c) { return std::isdigit(static_cast<unsigned char>(c)); });

    int best = -1, best_rank = 0, best_family = -1;
    std::string rejected;
    for (uint32_t i = 0; i < n; ++i) {
        VkPhysicalDeviceProperties props{};
        vkGetPhysicalDeviceProperties(devices[i], &props);
        std::string reason;
        const int family = graphics_family(devices[i], surface);
        if (props.apiVersion < VK_API_VERSION_1_1) reason = "Vulkan < 1.1";
        else if (family < 0) reason = surface ? "no graphics queue that presents to the window" : "no graphics queue";
        else if (surface && !has_device_extension(devices[i], VK_KHR_SWAPCHAIN_EXTENSION_NAME)) reason = "no VK_KHR_swapchain";
        else if (by_index && std::to_string(i) != requested) reason = "not the requested device " + requested;
        else if (!by_index && !requested.empty() && lower(props.deviceName).find(lower(requested)) == std::string::npos)
            reason = "name does not match STEMFORGE_GPU_DEVICE=\"" + requested + "\"";
        if (!reason.empty()) {
            rejected += " [" + std::to_string(i) + "] " + props.deviceName + ": " + reason + ";";
            continue;
        }
        const int rank = type_rank(props.deviceType);
        if (best < 0 || rank < best_rank) {
            best = static_cast<int>(i);
            best_rank = rank;
            best_family = family;
            self->info_.name = props.deviceName;
            self->info_.software = props.deviceType == VK_PHYSICAL_DEVICE_TYPE_CPU;
        }
    }
    if (best < 0) {
        rejected.pop_back();
        return fail(ErrorCode::Device, "no Vulkan device can draw the workstation:" + rejected);
    }
    self->physical_ = devices[static_cast<size_t>(best)];
    self->queue_family_ = static_cast<uint32_t>(best_family);
    vkGetPhysicalDeviceMemoryProperties(self->physical_, &self->memory_);

    const float priority = 1.0f;
    auto queue_info = vk_struct<VkDeviceQueueCreateInfo>(VK_STRUCTURE_TYPE_DEVICE_QUEUE_CREATE_INFO);
    queue_info.queueFamilyIndex = self->queue_family_;
    queue_info.queueCount = 1;
    queue_info.pQueuePriorities = &priority;
    const char* swapchain_extension = VK_KHR_SWAPCHAIN_EXTENSION_NAME;
    auto info = vk_struct<VkDeviceCreateInfo>(VK_STRUCTURE_TYPE_DEVICE_CREATE_INFO);
    info.queueCreateInfoCount = 1;
    info.pQueueCreateInfos = &queue_info;
    if (surface != VK_NULL_HANDLE) {
        info.enabledExtensionCount = 1;
        info.ppEnabledExtensionNames = &swapchain_extension;
    }
    VkDevice device = VK_NULL_HANDLE;
    if (VkResult r = vkCreateDevice(self->physical_, &info, nullptr, &device); r != VK_SUCCESS)
        return std::unexpected(vk_failure(r, "vkCreateDevice (" + self->info_.name + ")"));
    self->life_.bind(device, kFenceTimeoutNs);
    vkGetDeviceQueue(device, self->queue_family_, 0, &self->queue_);
    return self;
}

VulkanDevice::~VulkanDevice() {
    if (get() == VK_NULL_HANDLE) return;
    if (faulted()) {  // a hung submission may still run: keep everything it could touch
        gpu::abandon_handle(get());
        instance_->mark_faulted();
        return;
    }
    vkDestroyDevice(get(), nullptr);
}

Result<uint32_t> VulkanDevice::memory_type(uint32_t type_bits, VkMemoryPropertyFlags wanted) const {
    for (uint32_t i = 0; i < memory_.memoryTypeCount; ++i)
        if ((type_bits & (1u << i)) && (memory_.memoryTypes[i].propertyFlags & wanted) == wanted) return i;
    return fail(ErrorCode::Device, "no Vulkan memory type with the properties needed on " + info_.name);
}

Result<DeviceObject<VkDeviceMemory>> VulkanDevice::allocate(const VkMemoryRequirements& req, VkMemoryPropertyFlags properties,
                                                             const char* what) {
    auto type = memory_type(req.memoryTypeBits, properties);
    if (!type) return std::unexpected(type.error());
    auto alloc = vk_struct<VkMemoryAllocateInfo>(VK_STRUCTURE_TYPE_MEMORY_ALLOCATE_INFO);
    alloc.allocationSize = req.size;
    alloc.memoryTypeIndex = *type;
    VkDeviceMemory memory = VK_NULL_HANDLE;
    if (VkResult r = vkAllocateMemory(get(), &alloc, nullptr, &memory); r != VK_SUCCESS)
        return std::unexpected(vk_failure(r, std::string("vkAllocateMemory (") + what + ")"));
    return own(memory, vkFreeMemory);
}

Result<Buffer> VulkanDevice::create_buffer(VkDeviceSize size, VkBufferUsageFlags usage, bool host_visible) {
    Buffer out;
    out.size = size;
    auto info = vk_struct<VkBufferCreateInfo>(VK_STRUCTURE_TYPE_BUFFER_CREATE_INFO);
    info.size = size;
    info.usage = usage;
    info.sharingMode = VK_SHARING_MODE_EXCLUSIVE;
    VkBuffer buffer = VK_NULL_HANDLE;
    if (VkResult r = vkCreateBuffer(get(), &info, nullptr, &buffer); r != VK_SUCCESS) return std::unexpected(vk_failure(r, "vkCreateBuffer"));
    out.buffer = own(buffer, vkDestroyBuffer);
    VkMemoryRequirements req{};
    vkGetBufferMemoryRequirements(get(), buffer, &req);
    auto memory = allocate(req, host_visible ? VK_MEMORY_PROPERTY_HOST_VISIBLE_BIT | VK_MEMORY_PROPERTY_HOST_COHERENT_BIT
                                             : VK_MEMORY_PROPERTY_DEVICE_LOCAL_BIT, "buffer");
    if (!memory) return std::unexpected(memory.error());
    out.memory = std::move(*memory);
    if (VkResult r = vkBindBufferMemory(get(), buffer, out.memory.get(), 0); r != VK_SUCCESS) return std::unexpected(vk_failure(r, "vkBindBufferMemory"));
    if (host_visible)
        if (VkResult r = vkMapMemory(get(), out.memory.get(), 0, VK_WHOLE_SIZE, 0, &out.mapped); r != VK_SUCCESS) return std::unexpected(vk_failure(r, "vkMapMemory"));
    return out;
}

Result<ImageResource> VulkanDevice::create_image(uint32_t width, uint32_t height, VkFormat format, VkImageUsageFlags usage) {
    ImageResource out;
    out.width = width;
    out.height = height;
    auto info = vk_struct<VkImageCreateInfo>(VK_STRUCTURE_TYPE_IMAGE_CREATE_INFO);
    info.imageType = VK_IMAGE_TYPE_2D;
    info.format = format;
    info.extent = {width, height, 1};
    info.mipLevels = 1;
    info.arrayLayers = 1;
    info.samples = VK_SAMPLE_COUNT_1_BIT;
    info.tiling = VK_IMAGE_TILING_OPTIMAL;
    info.usage = usage;
    info.sharingMode = VK_SHARING_MODE_EXCLUSIVE;
    info.initialLayout = VK_IMAGE_LAYOUT_UNDEFINED;
    VkImage image = VK_NULL_HANDLE;
    if (VkResult r = vkCreateImage(get(), &info, nullptr, &image); r != VK_SUCCESS)
        return std::unexpected(vk_failure(r, "vkCreateImage " + std::to_string(width) + "x" + std::to_string(height)));
    out.image = own(image, vkDestroyImage);
    VkMemoryRequirements req{};
    vkGetImageMemoryRequirements(get(), image, &req);
    auto memory = allocate(req, VK_MEMORY_PROPERTY_DEVICE_LOCAL_BIT, "image");
    if (!memory) return std::unexpected(memory.error());
    out.memory = std::move(*memory);
    if (VkResult r = vkBindImageMemory(get(), image, out.memory.get(), 0); r != VK_SUCCESS) return std::unexpected(vk_failure(r, "vkBindImageMemory"));
    auto view_info = vk_struct<VkImageViewCreateInfo>(VK_STRUCTURE_TYPE_IMAGE_VIEW_CREATE_INFO);
    view_info.image = image;
    view_info.viewType = VK_IMAGE_VIEW_TYPE_2D;
    view_info.format = format;
    view_info.subresourceRange = {VK_IMAGE_ASPECT_COLOR_BIT, 0, 1, 0, 1};
    VkImageView view = VK_NULL_HANDLE;
    if (VkResult r = vkCreateImageView(get(), &view_info, nullptr, &view); r != VK_SUCCESS) return std::unexpected(vk_failure(r, "vkCreateImageView"));
    out.view = own(view, vkDestroyImageView);
    return out;
}

Result<void> VulkanDevice::wait(std::span<const VkFence> fences, const char* what) {
    if (faulted()) return fail(ErrorCode::Device, std::string(what) + ": the device stopped answering earlier");
    if (fences.empty()) return {};
    const VkResult r = vkWaitForFences(get(), static_cast<uint32_t>(fences.size()), fences.data(), VK_TRUE, life_.fence_timeout_ns());
    if (r == VK_SUCCESS) return {};
    life_.record_fault(r);
    if (r == VK_TIMEOUT) {
        const uint64_t seconds = life_.fence_timeout_ns() / 1'000'000'000ull;
        return std::unexpected(vk_failure(r, std::string(what) + ": the GPU did not finish within " + std::to_string(seconds) + " s"));
    }
    return std::unexpected(vk_failure(r, what));
}

Result<void> VulkanDevice::check(VkResult result, const std::string& what) {
    if (result == VK_SUCCESS) return {};
    if (result == VK_ERROR_DEVICE_LOST) life_.record_fault(result);
    return std::unexpected(vk_failure(result, what));
}

}  // namespace sf::gui::platform

namespace sf::gui {

std::vector<std::string> validation_messages() { return platform::take_validation_messages(false); }
void clear_validation_messages() { platform::take_validation_messages(true); }

}  // namespace sf::gui
