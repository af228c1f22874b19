// Stemforge — text for the PNG plots: DejaVu Sans, the workstation's UI
// font (Debian fonts-dejavu-core), rasterised with stb_truetype (Debian
// libstb-dev) into anti-aliased coverage bitmaps. Real glyphs, so units keep
// their case (dB, Hz, LUFS, dBTP) and tesseract can read the figures back.
//
// The font file is loaded once per process (thread-safe) and never freed.
#pragma once

#include <cstdint>
#include <string>
#include <string_view>
#include <vector>

#include "engine/core/error.h"

namespace sf::analysis {

// Where Debian's fonts-dejavu-core puts the font (the workstation reads the same file).
inline constexpr const char* kPlotFontFile = "/usr/share/fonts/truetype/dejavu/DejaVuSans.ttf";

// One line of text as coverage: alpha[y·width + x] in 0..255 (255 = ink).
struct TextBitmap {
    int width = 0, height = 0;   // height = the font's line height at the size
    int baseline = 0;            // rows from the top to the baseline
    std::vector<uint8_t> alpha;
};

class PlotFont {
public:
    // The process-wide font. Errors: FileNotFound / FileRead naming
    // kPlotFontFile and the package that provides it.
    static Result<const PlotFont*> get();

    // `text` is UTF-8 (an invalid byte, or a code point the font lacks,
    // draws the font's .notdef box); size_px is the pixel height of the font
    // (ascent to descent, stb_truetype's ScaleForPixelHeight), > 0.
    TextBitmap rasterize(std::string_view text, double size_px) const;
    int width(std::string_view text, double size_px) const;   // advance width in pixels
    // True when the font has a glyph for the code point (not the .notdef box).
    bool has_glyph(char32_t code_point) const;

    PlotFont(const PlotFont&) = delete;
    PlotFont& operator=(const PlotFont&) = delete;
    ~PlotFont();

private:
    PlotFont() = default;
    struct Impl;
    Impl* impl_ = nullptr;
};

}  // namespace sf::analysis
