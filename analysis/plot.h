// Stemforge — PNG plots of an analysis (written with libpng): spectrum,
// spectrogram, loudness over time, vectorscope. Text uses a built-in 5×7
// bitmap font (upper case, digits, a few symbols) drawn at 2× scale.
#pragma once

#include <cstdint>
#include <filesystem>
#include <string>
#include <vector>

#include "analysis/analyze.h"
#include "engine/core/error.h"

namespace sf::analysis {

// An RGB image with the few drawing operations the plots need.
class Canvas {
public:
    Canvas(int width, int height, uint32_t background = 0xffffff);
    int width() const { return w_; }
    int height() const { return h_; }
    void pixel(int x, int y, uint32_t rgb);                  // clipped
    uint32_t at(int x, int y) const;
    void line(int x0, int y0, int x1, int y1, uint32_t rgb); // clipped
    void rect(int x0, int y0, int x1, int y1, uint32_t rgb); // filled, inclusive
    // Text with the built-in font; scale 1 = 5×7 px glyphs on a 6 px pitch.
    void text(int x, int y, const std::string& s, uint32_t rgb, int scale = 2);
    static int text_width(const std::string& s, int scale = 2) { return static_cast<int>(s.size()) * 6 * scale; }
    // Errors: FileWrite naming the file.
    Result<void> write_png(const std::filesystem::path& file) const;

private:
    int w_, h_;
    std::vector<uint8_t> rgb_;
};

// True when the font has a glyph for c (lower case maps to upper case).
bool font_has_glyph(char c);

struct PlotOptions {
    double target_lufs = -23.0;   // the loudness plot's target line (EBU R128)
};

// Writes <dir>/<stem>_spectrum.png, _loudness.png (needs the series),
// _spectrogram.png (needs the spectrogram), _vectorscope.png (stereo with
// vectorscope data); returns the files written. Errors: FileWrite.
Result<std::vector<std::filesystem::path>> write_plots(const FileAnalysis& analysis, const std::filesystem::path& dir,
                                                       const PlotOptions& options = {});

struct CompareResult;

// `compare --png DIR`: writes <DIR>/<A stem>_vs_<B stem>_residual.png (the
// residual's peak and RMS over time under A's RMS, the worst stretches
// marked) and _residual_spectrum.png (the residual's 1/3-octave spectrum and
// the octave bands' residual and programme levels); returns the files
// written. Errors: FileWrite.
Result<std::vector<std::filesystem::path>> write_compare_plots(const CompareResult& result, const std::filesystem::path& dir);

}  // namespace sf::analysis
