#include "app/gui/plot.h"

#include <algorithm>
#include <cmath>
#include <cstdio>

namespace sf::gui {

namespace {

// Distinct on a dark background, in the order engineers expect (first = master).
constexpr ImU32 kSourceColours[] = {
    IM_COL32(255, 200, 40, 255),  IM_COL32(80, 170, 255, 255), IM_COL32(255, 110, 180, 255), IM_COL32(120, 230, 140, 255),
    IM_COL32(200, 140, 255, 255), IM_COL32(255, 150, 80, 255), IM_COL32(90, 220, 220, 255),  IM_COL32(220, 220, 220, 255),
};

double to_unit(const Axis& a, double v) {
    if (a.log) return (std::log10(v) - std::log10(a.lo)) / (std::log10(a.hi) - std::log10(a.lo));
    return (v - a.lo) / (a.hi - a.lo);
}

double from_unit(const Axis& a, double u) {
    if (a.log) return std::pow(10.0, std::log10(a.lo) + u * (std::log10(a.hi) - std::log10(a.lo)));
    return a.lo + u * (a.hi - a.lo);
}

}  // namespace

ImU32 source_colour(size_t index) { return kSourceColours[index % std::size(kSourceColours)]; }

std::string frequency_label(double hz) {
    char buf[16];
    if (hz >= 1000.0) {
        const double k = hz / 1000.0;
        std::snprintf(buf, sizeof buf, k == std::floor(k) ? "%.0fk" : "%.1fk", k);
    } else {
        std::snprintf(buf, sizeof buf, "%.0f", hz);
    }
    return buf;
}

std::string time_label(double seconds) {
    char buf[32];
    const int m = static_cast<int>(seconds / 60.0);
    const double s = seconds - 60.0 * m;
    std::snprintf(buf, sizeof buf, "%d:%04.1f", m, s);
    return buf;
}

Plot::Plot(const char* id, ImVec2 size, Axis x, Axis y) : x_(x), y_(y) {
    const float left = ImGui::CalcTextSize("-100 LUFS").x + 8.0f;
    const float bottom = ImGui::GetTextLineHeight() + 6.0f;
    const ImVec2 origin = ImGui::GetCursorScreenPos();
    ImGui::PushID(id);
    ImGui::InvisibleButton("plot", ImVec2(std::max(size.x, left + 40.0f), std::max(size.y, bottom + 40.0f)));
    // Handles drawn on the plot later (EQ bands, crossovers, automation
    // points) are separate items over this one: let them take the mouse.
    ImGui::SetItemAllowOverlap();
    ImGui::PopID();
    hovered_ = ImGui::IsItemHovered();
    min_ = ImVec2(origin.x + left, origin.y + 4.0f);
    max_ = ImVec2(origin.x + std::max(size.x, left + 40.0f) - 4.0f, origin.y + std::max(size.y, bottom + 40.0f) - bottom);
    draw_ = ImGui::GetWindowDrawList();
    draw_->AddRectFilled(min_, max_, IM_COL32(18, 18, 22, 255));
    draw_->AddRect(min_, max_, IM_COL32(255, 255, 255, 60));
}

float Plot::x_px(double x) const { return min_.x + static_cast<float>(to_unit(x_, x)) * (max_.x - min_.x); }
float Plot::y_px(double y) const { return max_.y - static_cast<float>(to_unit(y_, y)) * (max_.y - min_.y); }
double Plot::x_at(float px) const { return from_unit(x_, (px - min_.x) / (max_.x - min_.x)); }
double Plot::y_at(float py) const { return from_unit(y_, (max_.y - py) / (max_.y - min_.y)); }

void Plot::frequency_ticks() {
    for (double decade = 10.0; decade <= 100000.0; decade *= 10.0)
        for (double m : {1.0, 2.0, 5.0}) {
            const double f = decade * m;
            if (f < x_.lo || f > x_.hi) continue;
            const float px = x_px(f);
            draw_->AddLine(ImVec2(px, min_.y), ImVec2(px, max_.y), kColourGrid);
            const std::string label = frequency_label(f);
            const float w = ImGui::CalcTextSize(label.c_str()).x;
            draw_->AddText(ImVec2(px - w / 2, max_.y + 3.0f), kColourText, label.c_str());
        }
}

void Plot::time_ticks() {
    const double span = x_.hi - x_.lo;
    if (!(span > 0.0)) return;
    // A round step giving at most ~10 labels.
    double step = 0.1;
    for (double s : {0.1, 0.2, 0.5, 1.0, 2.0, 5.0, 10.0, 15.0, 30.0, 60.0, 120.0, 300.0, 600.0, 1800.0, 3600.0}) {
        step = s;
        if (span / s <= 10.0) break;
    }
    for (double t = std::ceil(x_.lo / step) * step; t <= x_.hi + 1e-9; t += step) {
        const float px = x_px(t);
        draw_->AddLine(ImVec2(px, min_.y), ImVec2(px, max_.y), kColourGrid);
        const std::string label = time_label(t);
        const float w = ImGui::CalcTextSize(label.c_str()).x;
        draw_->AddText(ImVec2(std::clamp(px - w / 2, min_.x, max_.x - w), max_.y + 3.0f), kColourText, label.c_str());
    }
}

void Plot::y_ticks(double step, const char* unit, int decimals) {
    for (double v = std::ceil(y_.lo / step) * step; v <= y_.hi + 1e-9; v += step) {
        const float py = y_px(v);
        draw_->AddLine(ImVec2(min_.x, py), ImVec2(max_.x, py), kColourGrid);
        char buf[32];
        std::snprintf(buf, sizeof buf, "%.*f %s", decimals, std::abs(v) < 1e-9 * step ? 0.0 : v, unit);
        const ImVec2 sz = ImGui::CalcTextSize(buf);
        draw_->AddText(ImVec2(min_.x - sz.x - 4.0f, py - sz.y / 2), kColourText, buf);
    }
}

void Plot::trace(std::span<const double> xs, std::span<const double> ys, ImU32 colour, float thickness) {
    draw_->PushClipRect(min_, max_, true);
    std::vector<ImVec2> run;
    auto flush = [&] {
        if (run.size() >= 2) draw_->AddPolyline(run.data(), static_cast<int>(run.size()), colour, 0, thickness);
        run.clear();
    };
    const size_t n = std::min(xs.size(), ys.size());
    for (size_t i = 0; i < n; ++i) {
        if (!std::isfinite(ys[i]) || !std::isfinite(xs[i]) || (x_.log && xs[i] <= 0.0)) {
            flush();
            continue;
        }
        run.emplace_back(x_px(xs[i]), std::clamp(y_px(ys[i]), min_.y - 1.0f, max_.y + 1.0f));
    }
    flush();
    draw_->PopClipRect();
}

void Plot::series(std::span<const double> ys, double x0, double dx, ImU32 colour, float thickness) {
    if (ys.empty() || !(dx > 0.0)) return;
    // One column per pixel: its min and max, so a peak one sample wide still shows.
    const int columns = std::max(1, static_cast<int>(max_.x - min_.x));
    const double per_px = (x_.hi - x_.lo) / columns;
    if (per_px <= dx) {  // fewer points than pixels: draw them as they are
        std::vector<double> xs(ys.size());
        for (size_t i = 0; i < ys.size(); ++i) xs[i] = x0 + static_cast<double>(i) * dx;
        trace(xs, ys, colour, thickness);
        return;
    }
    draw_->PushClipRect(min_, max_, true);
    std::vector<ImVec2> run;
    auto flush = [&] {
        if (run.size() >= 2) draw_->AddPolyline(run.data(), static_cast<int>(run.size()), colour, 0, thickness);
        run.clear();
    };
    for (int c = 0; c < columns; ++c) {
        const double t0 = x_.lo + c * per_px, t1 = t0 + per_px;
        const auto i0 = static_cast<int64_t>(std::max(0.0, std::ceil((t0 - x0) / dx)));
        const auto i1 = std::min(static_cast<int64_t>(ys.size()), static_cast<int64_t>(std::ceil((t1 - x0) / dx)));
        double lo = INFINITY, hi = -INFINITY;
        for (int64_t i = i0; i < i1; ++i)
            if (std::isfinite(ys[static_cast<size_t>(i)])) {
                lo = std::min(lo, ys[static_cast<size_t>(i)]);
                hi = std::max(hi, ys[static_cast<size_t>(i)]);
            }
        if (!std::isfinite(hi)) {
            flush();
            continue;
        }
        const float px = min_.x + static_cast<float>(c) + 0.5f;
        run.emplace_back(px, std::clamp(y_px(hi), min_.y, max_.y));
        if (lo < hi) run.emplace_back(px, std::clamp(y_px(lo), min_.y, max_.y));
    }
    flush();
    draw_->PopClipRect();
}

void Plot::hline(double y, ImU32 colour, const std::string& label) {
    if (y < std::min(y_.lo, y_.hi) || y > std::max(y_.lo, y_.hi)) return;
    const float py = y_px(y);
    draw_->AddLine(ImVec2(min_.x, py), ImVec2(max_.x, py), colour, 1.0f);
    if (!label.empty()) {
        const ImVec2 sz = ImGui::CalcTextSize(label.c_str());
        draw_->AddText(ImVec2(max_.x - sz.x - 4.0f, py - sz.y - 1.0f), colour, label.c_str());
    }
}

void Plot::vline(double x, ImU32 colour) {
    if (x < x_.lo || x > x_.hi) return;
    const float px = x_px(x);
    draw_->AddLine(ImVec2(px, min_.y), ImVec2(px, max_.y), colour, 1.0f);
}

std::optional<ImVec2> Plot::hover() const {
    if (!hovered_) return std::nullopt;
    const ImVec2 m = ImGui::GetIO().MousePos;
    if (m.x < min_.x || m.x > max_.x || m.y < min_.y || m.y > max_.y) return std::nullopt;
    return ImVec2(static_cast<float>(x_at(m.x)), static_cast<float>(y_at(m.y)));
}

void Plot::readout(const std::string& text) {
    const ImVec2 sz = ImGui::CalcTextSize(text.c_str());
    const ImVec2 at(max_.x - sz.x - 6.0f, min_.y + 4.0f);
    draw_->AddRectFilled(ImVec2(at.x - 3, at.y - 1), ImVec2(at.x + sz.x + 3, at.y + sz.y + 1), IM_COL32(0, 0, 0, 170));
    draw_->AddText(at, kColourText, text.c_str());
}

}  // namespace sf::gui
