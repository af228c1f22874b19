// Stemforge workstation — drawing measured data with ImDrawList: a plot
// area with linear or logarithmic axes, ticks with units, traces decimated
// to the pixel (min/max per column, as Tracy draws its plots), marker lines
// and a hover read-out. Draws only: every value comes from analysis/.
#pragma once

#include <functional>
#include <optional>
#include <span>
#include <string>
#include <vector>

#include <imgui.h>

namespace sf::gui {

struct Axis {
    double lo = 0.0, hi = 1.0;
    bool log = false;   // log10 spacing (frequency)
};

// Colours of the sources, in order (overlay views), and of the markers.
ImU32 source_colour(size_t index);
inline constexpr ImU32 kColourTarget = IM_COL32(90, 200, 120, 255);   // loudness target line
inline constexpr ImU32 kColourCeiling = IM_COL32(230, 70, 60, 255);   // true-peak ceiling / over
inline constexpr ImU32 kColourCursor = IM_COL32(240, 240, 240, 200);
inline constexpr ImU32 kColourPlay = IM_COL32(90, 230, 110, 255);       // the play cursor
inline constexpr ImU32 kColourSelection = IM_COL32(90, 160, 255, 45);   // the looped selection
inline constexpr ImU32 kColourGrid = IM_COL32(255, 255, 255, 28);
inline constexpr ImU32 kColourText = IM_COL32(200, 200, 205, 255);

// "1k", "20k", "250" for a frequency tick.
std::string frequency_label(double hz);
// "1:05.2" for a time in seconds.
std::string time_label(double seconds);

class Plot {
public:
    // Reserves `size` at the cursor (ImGui::Dummy), minus room for the tick
    // labels on the left and at the bottom.
    Plot(const char* id, ImVec2 size, Axis x, Axis y);

    float x_px(double x) const;
    float y_px(double y) const;
    double x_at(float px) const;
    double y_at(float py) const;
    ImVec2 min() const { return min_; }
    ImVec2 max() const { return max_; }
    ImDrawList* draw() const { return draw_; }

    // Grid and labels. Frequency ticks at 1-2-5 decades (20 Hz .. 20 kHz);
    // time ticks at a round step; level ticks every `step` with a unit.
    void frequency_ticks();
    void time_ticks();
    void y_ticks(double step, const char* unit, int decimals = 0);

    // A trace through (xs[i], ys[i]); non-finite ys break the line.
    void trace(std::span<const double> xs, std::span<const double> ys, ImU32 colour, float thickness = 1.5f);
    // A trace of values at x0 + i·dx, min/max-decimated to one column per pixel.
    void series(std::span<const double> ys, double x0, double dx, ImU32 colour, float thickness = 1.5f);
    void hline(double y, ImU32 colour, const std::string& label = {});
    void vline(double x, ImU32 colour);
    // The mouse position in data units while it is over the plot.
    std::optional<ImVec2> hover() const;
    bool hovered() const { return hovered_; }
    // A one-line read-out drawn at the top right of the plot.
    void readout(const std::string& text);

private:
    ImDrawList* draw_ = nullptr;
    ImVec2 min_, max_;
    Axis x_, y_;
    bool hovered_ = false;
};

}  // namespace sf::gui
