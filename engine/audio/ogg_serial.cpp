#include "engine/audio/ogg_serial.h"

#include <array>
#include <fstream>
#include <map>
#include <vector>

namespace sf {

namespace {

std::array<uint32_t, 256> crc_table() {
    std::array<uint32_t, 256> t{};
    for (uint32_t i = 0; i < 256; ++i) {
        uint32_t r = i << 24;
        for (int k = 0; k < 8; ++k) r = (r & 0x80000000u) ? (r << 1) ^ 0x04c11db7u : r << 1;
        t[i] = r;
    }
    return t;
}

uint32_t le32(const uint8_t* p) { return uint32_t{p[0]} | uint32_t{p[1]} << 8 | uint32_t{p[2]} << 16 | uint32_t{p[3]} << 24; }
void put_le32(uint8_t* p, uint32_t v) {
    for (int i = 0; i < 4; ++i) p[i] = static_cast<uint8_t>(v >> (8 * i));
}

}  // namespace

uint32_t ogg_crc(std::span<const uint8_t> bytes) {
    static const auto table = crc_table();
    uint32_t crc = 0;
    for (uint8_t b : bytes) crc = (crc << 8) ^ table[((crc >> 24) ^ b) & 0xff];
    return crc;
}

Result<void> set_ogg_serials(const std::filesystem::path& file, uint32_t base) {
    std::fstream f(file, std::ios::in | std::ios::out | std::ios::binary);
    if (!f) return fail(ErrorCode::FileRead, file.string() + ": cannot open to set its Ogg serial number");
    std::map<uint32_t, uint32_t> serials;  // as written -> ours
    std::vector<uint8_t> page;
    int64_t offset = 0;
    while (true) {
        // Page header (RFC 3533 §6): "OggS", version, type, granule (8),
        // serial (4, at 14), sequence (4), CRC (4, at 22), segment count (at
        // 26), then the segment table and the body.
        page.resize(27);
        f.seekg(offset);
        f.read(reinterpret_cast<char*>(page.data()), 27);
        if (f.gcount() == 0 && f.eof()) break;
        if (f.gcount() != 27 || page[0] != 'O' || page[1] != 'g' || page[2] != 'g' || page[3] != 'S')
            return fail(ErrorCode::FileRead, file.string() + ": not an Ogg page at byte " + std::to_string(offset));
        const size_t segments = page[26];
        page.resize(27 + segments);
        f.read(reinterpret_cast<char*>(page.data() + 27), static_cast<std::streamsize>(segments));
        size_t body = 0;
        for (size_t s = 0; s < segments; ++s) body += page[27 + s];
        page.resize(27 + segments + body);
        f.read(reinterpret_cast<char*>(page.data() + 27 + segments), static_cast<std::streamsize>(body));
        if (static_cast<size_t>(f.gcount()) != body)
            return fail(ErrorCode::FileRead, file.string() + ": truncated Ogg page at byte " + std::to_string(offset));
        const uint32_t old = le32(page.data() + 14);
        const auto [it, added] = serials.emplace(old, base + static_cast<uint32_t>(serials.size()));
        put_le32(page.data() + 14, it->second);
        put_le32(page.data() + 22, 0);
        put_le32(page.data() + 22, ogg_crc(page));
        f.clear();
        f.seekp(offset + 14);
        f.write(reinterpret_cast<const char*>(page.data() + 14), 4);
        f.seekp(offset + 22);
        f.write(reinterpret_cast<const char*>(page.data() + 22), 4);
        if (!f) return fail(ErrorCode::FileWrite, file.string() + ": cannot rewrite its Ogg serial number");
        offset += static_cast<int64_t>(page.size());
    }
    f.flush();
    if (!f.good() && !f.eof()) return fail(ErrorCode::FileWrite, file.string() + ": cannot rewrite its Ogg serial number");
    return {};
}

}  // namespace sf
