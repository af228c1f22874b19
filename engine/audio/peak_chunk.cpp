#include "engine/audio/peak_chunk.h"

#include <cstdint>
#include <cstring>
#include <fstream>

namespace sf {

Result<void> clear_peak_timestamp(const std::filesystem::path& file) {
    std::fstream f(file, std::ios::in | std::ios::out | std::ios::binary);
    if (!f) return fail(ErrorCode::FileRead, file.string() + ": cannot open to fix its PEAK chunk");
    char head[12];
    f.read(head, 12);
    if (f.gcount() != 12) return {};
    bool big_endian;
    if ((std::memcmp(head, "RIFF", 4) == 0 || std::memcmp(head, "RF64", 4) == 0) && std::memcmp(head + 8, "WAVE", 4) == 0)
        big_endian = false;
    else if (std::memcmp(head, "FORM", 4) == 0 && (std::memcmp(head + 8, "AIFF", 4) == 0 || std::memcmp(head + 8, "AIFC", 4) == 0))
        big_endian = true;
    else
        return {};
    // Chunks: id (4), size (4, the container's byte order), body padded to an even length.
    int64_t at = 12;
    for (int guard = 0; guard < 64; ++guard) {
        unsigned char c[8];
        f.seekg(at);
        f.read(reinterpret_cast<char*>(c), 8);
        if (f.gcount() != 8) return {};
        const uint32_t size = big_endian ? (uint32_t{c[4]} << 24 | uint32_t{c[5]} << 16 | uint32_t{c[6]} << 8 | uint32_t{c[7]})
                                         : (uint32_t{c[4]} | uint32_t{c[5]} << 8 | uint32_t{c[6]} << 16 | uint32_t{c[7]} << 24);
        if (std::memcmp(c, "data", 4) == 0 || std::memcmp(c, "SSND", 4) == 0) return {};  // the audio: no PEAK before it
        if (std::memcmp(c, "PEAK", 4) == 0) {
            if (size < 8) return {};
            const char zero[4] = {0, 0, 0, 0};
            f.clear();
            f.seekp(at + 8 + 4);  // after the version
            f.write(zero, 4);
            f.flush();
            if (!f) return fail(ErrorCode::FileWrite, file.string() + ": cannot fix its PEAK chunk's timestamp");
            return {};
        }
        at += 8 + static_cast<int64_t>(size) + (size & 1);
    }
    return {};
}

}  // namespace sf
