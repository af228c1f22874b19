// Stemforge — SHA-256 (FIPS 180-4, section 6.2), for manifests: the hash of
// every input and output of a render.
//
// Written here rather than linked: none of the libraries Stemforge already
// links (libsndfile and its codecs, FFTW, soxr, oneTBB, Vulkan, libpng)
// exports a hash, and OpenSSL, nettle or libgcrypt would be a new runtime
// dependency for about a hundred lines. Tested against the FIPS 180-4 /
// NIST CAVS example vectors and against coreutils' sha256sum.
#pragma once

#include <array>
#include <cstdint>
#include <filesystem>
#include <span>
#include <string>
#include <string_view>

#include "engine/core/error.h"

namespace sf {

class Sha256 {
public:
    Sha256();
    void update(std::span<const uint8_t> bytes);
    void update(std::string_view text);
    // The digest of everything given so far. The object is spent afterwards
    // (asserted): construct a new one for the next message.
    std::array<uint8_t, 32> finish();
    // finish() as 64 lower-case hex digits.
    std::string finish_hex();

private:
    void block(const uint8_t* p);
    std::array<uint32_t, 8> h_;
    std::array<uint8_t, 64> buffer_{};
    size_t buffered_ = 0;
    uint64_t length_bytes_ = 0;
    bool finished_ = false;
};

std::string sha256_hex(std::string_view bytes);
// Streams the file (1 MiB at a time). Errors: FileNotFound, FileRead naming it.
Result<std::string> sha256_file(const std::filesystem::path& file);

}  // namespace sf
