#include "engine/core/fault.h"

#include <atomic>
#include <cerrno>
#include <chrono>
#include <cstdio>
#include <cstdlib>
#include <cstring>
#include <fnmatch.h>
#include <fstream>
#include <limits>
#include <new>
#include <optional>
#include <string>
#include <thread>

namespace sf::fault {

namespace {

struct IoFault {
    int error = 0;
    IoOp op = IoOp::Write;
    std::string glob;
    uint64_t skip = 0;
    mutable std::atomic<uint64_t> seen{0};
};

int errno_from_name(std::string_view name) {
    struct Named {
        std::string_view name;
        int value;
    };
    static constexpr Named kErrnos[] = {{"ENOSPC", ENOSPC}, {"EROFS", EROFS}, {"EACCES", EACCES},
                                        {"EIO", EIO},       {"EDQUOT", EDQUOT}, {"EFBIG", EFBIG}};
    for (const Named& n : kErrnos)
        if (n.name == name) return n.value;
    return 0;
}

// A malformed setting is a broken test, not a condition to run on with: say
// so and stop before any work.
[[noreturn]] void bad_setting(const char* variable, const char* value, const char* expected) {
    std::fprintf(stderr, "stemforge: error: %s=\"%s\": expected %s\n", variable, value, expected);
    std::exit(2);
}

const IoFault* io_fault() {
    static const IoFault* parsed = []() -> const IoFault* {
        const char* v = std::getenv("STEMFORGE_FAULT_IO");
        if (!v || !*v) return nullptr;
        auto* f = new IoFault;  // lives as long as the process
        const std::string text = v;
        const size_t a = text.find(':'), b = a == std::string::npos ? a : text.find(':', a + 1);
        if (b == std::string::npos) bad_setting("STEMFORGE_FAULT_IO", v, "ERRNO:create|write|rename:GLOB[:SKIP]");
        f->error = errno_from_name(std::string_view(text).substr(0, a));
        const std::string op = text.substr(a + 1, b - a - 1);
        if (op == "create") f->op = IoOp::Create;
        else if (op == "write") f->op = IoOp::Write;
        else if (op == "rename") f->op = IoOp::Rename;
        else bad_setting("STEMFORGE_FAULT_IO", v, "the operation create, write or rename");
        std::string rest = text.substr(b + 1);
        // GLOB[:SKIP]: a trailing ":<digits>" is the skip count.
        if (const size_t c = rest.rfind(':'); c != std::string::npos && c + 1 < rest.size() &&
                                              rest.find_first_not_of("0123456789", c + 1) == std::string::npos) {
            f->skip = std::strtoull(rest.c_str() + c + 1, nullptr, 10);
            rest.resize(c);
        }
        f->glob = rest;
        if (f->error == 0) bad_setting("STEMFORGE_FAULT_IO", v, "ENOSPC, EROFS, EACCES, EIO, EDQUOT or EFBIG first");
        if (f->glob.empty()) bad_setting("STEMFORGE_FAULT_IO", v, "a file name pattern");
        return f;
    }();
    return parsed;
}

struct Pause {
    std::string point;
    std::filesystem::path marker;
};

const Pause* pause_setting() {
    static const Pause* parsed = []() -> const Pause* {
        const char* p = std::getenv("STEMFORGE_FAULT_PAUSE");
        if (!p || !*p) return nullptr;
        const char* m = std::getenv("STEMFORGE_FAULT_PAUSE_FILE");
        if (!m || !*m) bad_setting("STEMFORGE_FAULT_PAUSE_FILE", "", "the marker file's path (STEMFORGE_FAULT_PAUSE is set)");
        return new Pause{p, m};
    }();
    return parsed;
}

}  // namespace

int io_error(IoOp op, const std::filesystem::path& file, const std::filesystem::path& destination) {
    const IoFault* f = io_fault();
    if (!f || f->op != op) return 0;
    const bool match = ::fnmatch(f->glob.c_str(), file.filename().c_str(), 0) == 0 ||
                       (!destination.empty() && ::fnmatch(f->glob.c_str(), destination.filename().c_str(), 0) == 0);
    if (!match) return 0;
    const uint64_t n = f->seen.fetch_add(1);
    return n >= f->skip ? f->error : 0;
}

namespace {

struct AllocFault {
    size_t limit_bytes = std::numeric_limits<size_t>::max();
    uint64_t skip = 0;
    std::atomic<uint64_t> seen{0};
};

AllocFault& alloc_fault() {
    static AllocFault* parsed = [] {
        auto* f = new AllocFault;  // lives as long as the process
        const char* v = std::getenv("STEMFORGE_FAULT_ALLOC_KIB");
        if (!v || !*v) return f;
        char* end = nullptr;
        f->limit_bytes = static_cast<size_t>(std::strtoull(v, &end, 10)) << 10;
        if (*end == ':') f->skip = std::strtoull(end + 1, &end, 10);
        if (*end != '\0' || end == v) bad_setting("STEMFORGE_FAULT_ALLOC_KIB", v, "KIB[:SKIP], whole numbers");
        return f;
    }();
    return *parsed;
}

}  // namespace

size_t allocation_limit_bytes() { return alloc_fault().limit_bytes; }

void allocation_over_limit() {
    AllocFault& f = alloc_fault();
    if (f.seen.fetch_add(1) >= f.skip) throw std::bad_alloc();
}

void pause_at(std::string_view point) {
    const Pause* p = pause_setting();
    if (!p || p->point != point) return;
    std::ofstream(p->marker) << point << '\n';
    using namespace std::chrono;
    const auto until = steady_clock::now() + seconds(60);
    std::error_code ec;
    while (std::filesystem::exists(p->marker, ec) && steady_clock::now() < until) std::this_thread::sleep_for(milliseconds(5));
}

void pause_at_block(int64_t block_index) {
    if (!pause_setting()) return;
    pause_at("block:" + std::to_string(block_index));
}

}  // namespace sf::fault
