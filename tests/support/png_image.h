// Stemforge tests — PNG files as RGBA8 pixels (libpng), for checking
// screenshots: the colour at a place, the size, a crop for OCR.
#pragma once

#include <array>
#include <cstdint>
#include <filesystem>
#include <vector>

#include "engine/core/error.h"

namespace sf::test {

struct RgbaImage {
    int width = 0, height = 0;
    std::vector<uint8_t> rgba;  // row-major, top row first, 4 bytes per pixel (R, G, B, A)

    // The pixel at (x, y); asserts inside the image.
    std::array<uint8_t, 4> at(int x, int y) const;
    // The rectangle [x, x + w) × [y, y + h), clipped to the image.
    RgbaImage crop(int x, int y, int w, int h) const;
};

// Any PNG (grey, RGB, RGBA, palette, 16-bit) as RGBA8; alpha 255 where the file has none.
// Errors: FileNotFound, FileRead (not a PNG, truncated).
Result<RgbaImage> read_png(const std::filesystem::path& file);
// An RGBA8 PNG. Errors: FileWrite.
Result<void> write_png(const std::filesystem::path& file, const RgbaImage& image);

}  // namespace sf::test
