#include "engine/audio/riff_lists.h"

#include <algorithm>
#include <cstdint>
#include <cstdio>
#include <cstring>
#include <fstream>
#include <string>

namespace sf {
namespace {

class ChunkFile {
public:
    ChunkFile(const std::filesystem::path& file, int64_t size) : in_(file, std::ios::binary), size_(size) {}
    bool ok() const { return static_cast<bool>(in_); }
    int64_t size() const { return size_; }
    bool big_endian = false;

    // Four bytes at `at`, or false past the end.
    bool read4(int64_t at, unsigned char out[4]) {
        if (at < 0 || at + 4 > size_) return false;
        in_.clear();
        in_.seekg(at);
        in_.read(reinterpret_cast<char*>(out), 4);
        return in_.gcount() == 4;
    }
    bool read_u32(int64_t at, uint32_t& v) {
        unsigned char c[4];
        if (!read4(at, c)) return false;
        v = big_endian ? (uint32_t{c[0]} << 24 | uint32_t{c[1]} << 16 | uint32_t{c[2]} << 8 | uint32_t{c[3]})
                       : (uint32_t{c[0]} | uint32_t{c[1]} << 8 | uint32_t{c[2]} << 16 | uint32_t{c[3]} << 24);
        return true;
    }

private:
    std::ifstream in_;
    int64_t size_;
};

// A chunk id as text for a message: printable ASCII as is, any other byte as \xNN.
std::string id_text(const unsigned char id[4]) {
    std::string s;
    for (int i = 0; i < 4; ++i) {
        if (id[i] >= 0x20 && id[i] < 0x7f && id[i] != '\'' && id[i] != '\\') {
            s += static_cast<char>(id[i]);
        } else {
            char buf[5];
            std::snprintf(buf, sizeof buf, "\\x%02x", id[i]);
            s += buf;
        }
    }
    return s;
}

bool is(const unsigned char id[4], const char* name) { return std::memcmp(id, name, 4) == 0; }

// The sub-chunks of the list whose body spans [begin, end). libsndfile reads
// the list type as a marker like the rest: "INFO" and "adtl" carry no size,
// "exif" is parsed by a bounded reader of its own, "data" and four zero bytes
// end the list. A "data" marker inside a list is where libsndfile "backs out":
// its top-level walk goes on from that marker, not from the list's end (a
// list ending there hid a later overrunning list from this check: fuzz_ir,
// tests/fuzz/regressions/ir/). Returns where the top-level walk goes on.
Result<int64_t> check_list(ChunkFile& f, const std::filesystem::path& file, int64_t list_at, int64_t begin, int64_t end,
                           int64_t list_next) {
    int64_t at = begin;
    for (int guard = 0; guard < 1'000'000 && at + 4 <= end; ++guard) {
        unsigned char id[4];
        if (!f.read4(at, id)) return list_next;
        if (is(id, "INFO") || is(id, "adtl")) {
            at += 4;
            continue;
        }
        if (is(id, "data")) return at;
        static constexpr unsigned char kZero[4] = {0, 0, 0, 0};
        if (is(id, "exif") || std::memcmp(id, kZero, 4) == 0) return list_next;
        uint32_t size = 0;
        if (!f.read_u32(at + 4, size)) return list_next;  // a marker without its size at the file's end: libsndfile stops there too
        const int64_t body_end = at + 8 + static_cast<int64_t>(size);
        const int64_t padded_end = body_end + (size & 1);
        if (padded_end <= end) {
            at = padded_end;
            continue;
        }
        if (body_end == end) return list_next;  // the last sub-chunk without its pad byte
        return fail(ErrorCode::FileRead,
                    file.string() + ": malformed LIST chunk at byte " + std::to_string(list_at) + ": its sub-chunk '" + id_text(id) +
                        "' at byte " + std::to_string(at) + " claims " + std::to_string(size) + " bytes, past the list's end at byte " +
                        std::to_string(end) + " (refused: libsndfile can loop forever on such a list)");
    }
    return list_next;
}

}  // namespace

Result<void> check_riff_lists(const std::filesystem::path& file) {
    std::error_code ec;
    const auto file_size = std::filesystem::file_size(file, ec);
    if (ec) return {};  // the caller's open names the problem
    ChunkFile f(file, static_cast<int64_t>(file_size));
    if (!f.ok()) return {};
    unsigned char riff[4], wave[4];
    if (!f.read4(0, riff) || !f.read4(8, wave) || !is(wave, "WAVE")) return {};
    if (is(riff, "RIFX")) f.big_endian = true;
    else if (!is(riff, "RIFF") && !is(riff, "RF64") && !is(riff, "BW64")) return {};

    int64_t at = 12;
    for (int guard = 0; guard < 1'000'000 && at + 8 <= f.size(); ++guard) {
        unsigned char id[4];
        uint32_t size = 0;
        if (!f.read4(at, id) || !f.read_u32(at + 4, size)) return {};
        const int64_t body = at + 8;
        const int64_t next = body + static_cast<int64_t>(size) + (size & 1);
        if (is(id, "LIST") || is(id, "INFO")) {
            // libsndfile clamps a list that runs past the file to the file's end.
            const int64_t end = std::min<int64_t>(body + size, f.size());
            auto resume = check_list(f, file, at, body, end, next);
            if (!resume) return std::unexpected(resume.error());
            at = *resume;
            continue;
        }
        if (is(id, "data") && size == 0xffffffffu) return {};  // RF64/BW64: the real size is in ds64; nothing after it matters here
        at = next;
    }
    return {};
}

}  // namespace sf
