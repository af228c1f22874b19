// Stemforge — PNG plots of an analysis (written with libpng): spectrum,
// loudness over time, spectrogram, vectorscope, correlation over time. Text
// is DejaVu Sans through stb_truetype (analysis/plot_font.h), anti-aliased,
// with units in their proper case (dB, Hz, LUFS, dBTP).
#pragma once

#include <cstdint>
#include <filesystem>
#include <optional>
#include <string>
#include <string_view>
#include <vector>

#include "analysis/analyze.h"
#include "analysis/plot_font.h"
#include "engine/core/error.h"

namespace sf::analysis {

inline constexpr double kPlotTitlePx = 20.0;   // font pixel heights (plot_font.h)
inline constexpr double kPlotLabelPx = 17.0;
inline constexpr double kPlotTickPx = 15.0;

// An RGB image with the few drawing operations the plots need.
class Canvas {
public:
    Canvas(int width, int height, uint32_t background = 0xffffff);
    int width() const { return w_; }
    int height() const { return h_; }
    void pixel(int x, int y, uint32_t rgb);                  // clipped
    // Mixes rgb over the pixel with coverage alpha (0..1); clipped.
    void blend(int x, int y, uint32_t rgb, double alpha);
    uint32_t at(int x, int y) const;                         // inside the image (asserted)
    void line(int x0, int y0, int x1, int y1, uint32_t rgb); // clipped
    // Every `period`-th run of `period` pixels is skipped (dash = period).
    void dashed_line(int x0, int y0, int x1, int y1, uint32_t rgb, int period = 8);
    void rect(int x0, int y0, int x1, int y1, uint32_t rgb); // filled, inclusive
    // Text at size_px with (x, y) the top-left of its line box; returns
    // the advance width in pixels.
    int text(const PlotFont& font, int x, int y, std::string_view s, uint32_t rgb, double size_px = kPlotLabelPx);
    // The image as PNG bytes (for embedding). Errors: Internal (libpng).
    Result<std::vector<uint8_t>> encode_png() const;
    // Errors: FileWrite naming the file.
    Result<void> write_png(const std::filesystem::path& file) const;

private:
    int w_, h_;
    std::vector<uint8_t> rgb_;
};

struct PlotOptions {
    // The loudness plot draws a target line only when a target is known
    // (`qc` with a preset or --target; `analyze --png` has none).
    std::optional<double> target_lufs;
    // The loudness plot also draws the sample-peak trace (dBFS per column,
    // needs FileAnalysis::waveform) and, when known, this ceiling.
    std::optional<double> ceiling_dbtp;
};

// One plot: kind is "spectrum", "loudness", "spectrogram", "vectorscope"
// or "correlation"; title is a short caption for a report.
struct Plot {
    std::string kind;
    std::string title;
    Canvas image;
};

// Every plot the analysis has the data for: the spectrum always; loudness
// with the series; the spectrogram with its frames; vectorscope with the
// stereo point cloud; correlation over time for stereo files.
// Errors: the plot font cannot be loaded (plot_font.h).
Result<std::vector<Plot>> render_plots(const FileAnalysis& analysis, const PlotOptions& options = {});

// Writes render_plots() as <dir>/<stem>_<kind>.png (creating dir); returns
// the files written. Errors: the font, FileWrite naming the file or folder.
Result<std::vector<std::filesystem::path>> write_plots(const FileAnalysis& analysis, const std::filesystem::path& dir,
                                                       const PlotOptions& options = {});

}  // namespace sf::analysis
