// `stemforge devices [--json]`
#include <cstdio>

#include "app/cli.h"
#include "app/gpu_commands.h"

#ifdef STEMFORGE_HAS_GPU
#include "gpu/vk/context.h"
#endif

namespace sf::cli {

int run_devices(const DevicesArgs& args) {
#ifndef STEMFORGE_HAS_GPU
    return report(Error{ErrorCode::NotSupported, "not supported: this binary was built without the Vulkan backend", 0});
#else
    gpu::ContextOptions auto_options;  // what --backend auto accepts
    auto_options = auto_options.with_environment();
    gpu::ContextOptions gpu_options = auto_options;  // what --backend gpu accepts
    gpu_options.allow_software = true;
    auto for_auto = gpu::survey_devices(auto_options);
    if (!for_auto) return report(for_auto.error());
    auto for_gpu = gpu::survey_devices(gpu_options);
    if (!for_gpu) return report(for_gpu.error());

    nlohmann::json list = nlohmann::json::array();
    for (size_t i = 0; i < for_auto->devices.size(); ++i) {
        const auto& d = for_auto->devices[i];
        nlohmann::json j;
        j["index"] = d.index;
        j["name"] = d.name;
        j["type"] = d.type;
        j["api_version"] = d.api_version;
        j["driver_version"] = d.driver_version;
        j["device_local_bytes"] = d.device_local_bytes;
        j["hardware"] = d.hardware;
        j["usable_auto"] = d.usable;
        j["usable_gpu"] = for_gpu->devices[i].usable;
        j["reason"] = d.usable ? for_gpu->devices[i].reason : d.reason;
        list.push_back(j);
    }
    auto index_or_null = [](const gpu::DeviceSurvey& s) -> nlohmann::json {
        if (s.selected < 0) return nullptr;
        return s.devices[static_cast<size_t>(s.selected)].index;
    };
    nlohmann::json out;
    out["devices"] = list;
    out["auto_device"] = index_or_null(*for_auto);
    out["gpu_device"] = index_or_null(*for_gpu);
    out["auto_backend"] = for_auto->selected >= 0 ? "gpu" : "cpu";
    if (args.json) {
        print_json(out);
        return kOk;
    }
    if (list.empty()) std::printf("no Vulkan devices\n");
    for (const auto& d : list) {
        const bool is_auto = out["auto_device"] == d["index"], is_gpu = out["gpu_device"] == d["index"];
        std::printf("[%d] %s (%s, Vulkan %s, %.1f GiB)%s%s\n", d["index"].get<int>(), d["name"].get<std::string>().c_str(),
                    d["type"].get<std::string>().c_str(), d["api_version"].get<std::string>().c_str(),
                    static_cast<double>(d["device_local_bytes"].get<uint64_t>()) / (1 << 30), is_auto ? "  <- --backend auto" : "",
                    is_gpu ? "  <- --backend gpu" : "");
        if (!d["reason"].get<std::string>().empty()) std::printf("    %s\n", d["reason"].get<std::string>().c_str());
    }
    std::printf("--backend auto uses the %s path\n", out["auto_backend"].get<std::string>().c_str());
    return kOk;
#endif
}

}  // namespace sf::cli
