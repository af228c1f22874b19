#include "tests/fuzz/fuzz_support.h"

#include <cstdio>
#include <cstdlib>
#include <fstream>
#include <map>
#include <mutex>
#include <unistd.h>

namespace sf::fuzz {

void violated(const char* rule, const std::string& detail) {
    std::fprintf(stderr, "fuzz: contract broken: %s: %s\n", rule, detail.c_str());
    std::fflush(stderr);
    std::abort();
}

namespace {

struct ScratchFiles {
    std::map<std::string, std::filesystem::path, std::less<>> paths;
    ~ScratchFiles() {
        std::error_code ec;
        for (const auto& [tag, p] : paths) std::filesystem::remove(p, ec);
    }
};

std::filesystem::path scratch_dir() {
    std::error_code ec;
    if (std::filesystem::is_directory("/dev/shm", ec)) return "/dev/shm";
    return std::filesystem::temp_directory_path();
}

}  // namespace

const std::filesystem::path& write_scratch(std::string_view tag, const uint8_t* data, size_t size) {
    static ScratchFiles files;
    static std::mutex lock;
    std::lock_guard guard(lock);
    auto it = files.paths.find(tag);
    if (it == files.paths.end()) {
        auto name = "stemforge-fuzz-" + std::to_string(::getpid()) + "-" + std::string(tag);
        it = files.paths.emplace(std::string(tag), scratch_dir() / name).first;
    }
    std::ofstream out(it->second, std::ios::binary | std::ios::trunc);
    out.write(reinterpret_cast<const char*>(data), static_cast<std::streamsize>(size));
    out.close();
    if (!out) violated("the scratch file can be written", it->second.string());
    return it->second;
}

bool has_terminal_control(std::string_view text) {
    for (unsigned char c : text)
        if ((c < 0x20 && c != '\n') || c == 0x7f) return true;
    return false;
}

}  // namespace sf::fuzz
