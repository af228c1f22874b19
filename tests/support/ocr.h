// Stemforge tests — text read back from a screenshot with `tesseract`
// (tesseract-ocr), to check that a figure the UI must show is really drawn.
#pragma once

#include <filesystem>
#include <string>

#include "engine/core/error.h"
#include "tests/support/png_image.h"

namespace sf::test {

struct OcrOptions {
    int upscale = 3;          // nearest-neighbour enlargement: tesseract reads UI-sized text (15 px) far better at 3×
    bool invert = true;       // light text on the dark UI becomes dark on light, which tesseract expects
    int page_segmentation = 6;  // tesseract --psm: 6 a block of text, 7 one line
};

// The text tesseract reads in `image` (after the options' preparation), lines joined by '\n'.
// Errors: Internal when tesseract cannot run (not installed: tesseract-ocr).
Result<std::string> ocr_image(const RgbaImage& image, const OcrOptions& options = {});
// The same for the rectangle [x, x + w) × [y, y + h) of `image`.
Result<std::string> ocr_region(const RgbaImage& image, int x, int y, int w, int h, const OcrOptions& options = {});
// The same for a PNG file.
Result<std::string> ocr_png(const std::filesystem::path& file, const OcrOptions& options = {});

}  // namespace sf::test
