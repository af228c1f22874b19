#include "tests/support/png_image.h"

#include <algorithm>
#include <cassert>
#include <cstring>

#include <png.h>

namespace sf::test {

std::array<uint8_t, 4> RgbaImage::at(int x, int y) const {
    assert(x >= 0 && y >= 0 && x < width && y < height && "pixel outside the image");
    const size_t i = (static_cast<size_t>(y) * static_cast<size_t>(width) + static_cast<size_t>(x)) * 4;
    return {rgba[i], rgba[i + 1], rgba[i + 2], rgba[i + 3]};
}

RgbaImage RgbaImage::crop(int x, int y, int w, int h) const {
    const int x0 = std::clamp(x, 0, width), y0 = std::clamp(y, 0, height);
    const int x1 = std::clamp(x + w, x0, width), y1 = std::clamp(y + h, y0, height);
    RgbaImage out;
    out.width = x1 - x0;
    out.height = y1 - y0;
    out.rgba.resize(static_cast<size_t>(out.width) * static_cast<size_t>(out.height) * 4);
    for (int row = 0; row < out.height; ++row)
        std::memcpy(&out.rgba[static_cast<size_t>(row) * static_cast<size_t>(out.width) * 4],
                    &rgba[(static_cast<size_t>(y0 + row) * static_cast<size_t>(width) + static_cast<size_t>(x0)) * 4],
                    static_cast<size_t>(out.width) * 4);
    return out;
}

Result<RgbaImage> read_png(const std::filesystem::path& file) {
    std::error_code ec;
    if (!std::filesystem::is_regular_file(file, ec)) return fail(ErrorCode::FileNotFound, file.string() + ": no such file");
    png_image image{};
    image.version = PNG_IMAGE_VERSION;
    if (!png_image_begin_read_from_file(&image, file.c_str())) return fail(ErrorCode::FileRead, file.string() + ": " + image.message);
    image.format = PNG_FORMAT_RGBA;  // libpng converts whatever the file holds
    RgbaImage out;
    out.width = static_cast<int>(image.width);
    out.height = static_cast<int>(image.height);
    out.rgba.resize(PNG_IMAGE_SIZE(image));
    if (!png_image_finish_read(&image, nullptr, out.rgba.data(), 0, nullptr)) {
        std::string why = image.message;
        png_image_free(&image);
        return fail(ErrorCode::FileRead, file.string() + ": " + why);
    }
    return out;
}

Result<void> write_png(const std::filesystem::path& file, const RgbaImage& image) {
    png_image png{};
    png.version = PNG_IMAGE_VERSION;
    png.width = static_cast<png_uint_32>(image.width);
    png.height = static_cast<png_uint_32>(image.height);
    png.format = PNG_FORMAT_RGBA;
    if (!png_image_write_to_file(&png, file.c_str(), 0, image.rgba.data(), 0, nullptr)) {
        std::string why = png.message;
        png_image_free(&png);
        return fail(ErrorCode::FileWrite, file.string() + ": " + why);
    }
    return {};
}

}  // namespace sf::test
