#include "tests/support/ocr.h"

#include <algorithm>
#include <atomic>
#include <cstdio>
#include <sys/wait.h>
#include <unistd.h>

namespace sf::test {

namespace {

RgbaImage prepare(const RgbaImage& image, const OcrOptions& options) {
    const int k = std::max(1, options.upscale);
    RgbaImage out;
    out.width = image.width * k;
    out.height = image.height * k;
    out.rgba.resize(static_cast<size_t>(out.width) * static_cast<size_t>(out.height) * 4);
    for (int y = 0; y < out.height; ++y)
        for (int x = 0; x < out.width; ++x) {
            auto p = image.at(x / k, y / k);
            uint8_t* o = &out.rgba[(static_cast<size_t>(y) * static_cast<size_t>(out.width) + static_cast<size_t>(x)) * 4];
            for (int c = 0; c < 3; ++c) o[c] = options.invert ? static_cast<uint8_t>(255 - p[static_cast<size_t>(c)]) : p[static_cast<size_t>(c)];
            o[3] = 255;
        }
    return out;
}

}  // namespace

Result<std::string> ocr_image(const RgbaImage& image, const OcrOptions& options) {
    if (image.width <= 0 || image.height <= 0) return fail(ErrorCode::InvalidArgument, "OCR of an empty image");
    static std::atomic<int> counter{0};
    const auto file = std::filesystem::temp_directory_path() /
                      ("stemforge-ocr-" + std::to_string(getpid()) + "-" + std::to_string(counter++) + ".png");
    if (auto r = write_png(file, prepare(image, options)); !r) return std::unexpected(r.error());
    const std::string command = "tesseract '" + file.string() + "' stdout --psm " + std::to_string(options.page_segmentation) + " 2>/dev/null";
    FILE* pipe = popen(command.c_str(), "r");
    if (!pipe) {
        std::filesystem::remove(file);
        return fail(ErrorCode::Internal, "cannot run tesseract");
    }
    std::string text;
    char buffer[4096];
    while (size_t n = fread(buffer, 1, sizeof buffer, pipe)) text.append(buffer, n);
    const int status = pclose(pipe);
    std::filesystem::remove(file);
    if (!WIFEXITED(status) || WEXITSTATUS(status) != 0)
        return fail(ErrorCode::Internal, "tesseract failed (exit " + std::to_string(WIFEXITED(status) ? WEXITSTATUS(status) : -1) +
                                             "; is tesseract-ocr installed?)");
    while (!text.empty() && (text.back() == '\n' || text.back() == '\f' || text.back() == ' ')) text.pop_back();
    return text;
}

Result<std::string> ocr_region(const RgbaImage& image, int x, int y, int w, int h, const OcrOptions& options) {
    return ocr_image(image.crop(x, y, w, h), options);
}

Result<std::string> ocr_png(const std::filesystem::path& file, const OcrOptions& options) {
    auto image = read_png(file);
    if (!image) return std::unexpected(image.error());
    return ocr_image(*image, options);
}

}  // namespace sf::test
