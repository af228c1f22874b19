#include "analysis/plot.h"

#include <png.h>

#include "analysis/compare.h"

#include <algorithm>
#include <array>
#include <cmath>
#include <cstdio>
#include <numbers>

namespace sf::analysis {

namespace {

// 5×7 glyphs, one byte per row, bit 4 = leftmost column.
struct Glyph {
    char c;
    std::array<uint8_t, 7> rows;
};
constexpr Glyph kFont[] = {
    {'0', {0x0E, 0x11, 0x13, 0x15, 0x19, 0x11, 0x0E}}, {'1', {0x04, 0x0C, 0x04, 0x04, 0x04, 0x04, 0x0E}},
    {'2', {0x0E, 0x11, 0x01, 0x02, 0x04, 0x08, 0x1F}}, {'3', {0x1F, 0x02, 0x04, 0x02, 0x01, 0x11, 0x0E}},
    {'4', {0x02, 0x06, 0x0A, 0x12, 0x1F, 0x02, 0x02}}, {'5', {0x1F, 0x10, 0x1E, 0x01, 0x01, 0x11, 0x0E}},
    {'6', {0x06, 0x08, 0x10, 0x1E, 0x11, 0x11, 0x0E}}, {'7', {0x1F, 0x01, 0x02, 0x04, 0x08, 0x08, 0x08}},
    {'8', {0x0E, 0x11, 0x11, 0x0E, 0x11, 0x11, 0x0E}}, {'9', {0x0E, 0x11, 0x11, 0x0F, 0x01, 0x02, 0x0C}},
    {'A', {0x0E, 0x11, 0x11, 0x11, 0x1F, 0x11, 0x11}}, {'B', {0x1E, 0x11, 0x11, 0x1E, 0x11, 0x11, 0x1E}},
    {'C', {0x0E, 0x11, 0x10, 0x10, 0x10, 0x11, 0x0E}}, {'D', {0x1C, 0x12, 0x11, 0x11, 0x11, 0x12, 0x1C}},
    {'E', {0x1F, 0x10, 0x10, 0x1E, 0x10, 0x10, 0x1F}}, {'F', {0x1F, 0x10, 0x10, 0x1E, 0x10, 0x10, 0x10}},
    {'G', {0x0E, 0x11, 0x10, 0x17, 0x11, 0x11, 0x0F}}, {'H', {0x11, 0x11, 0x11, 0x1F, 0x11, 0x11, 0x11}},
    {'I', {0x0E, 0x04, 0x04, 0x04, 0x04, 0x04, 0x0E}}, {'J', {0x07, 0x02, 0x02, 0x02, 0x02, 0x12, 0x0C}},
    {'K', {0x11, 0x12, 0x14, 0x18, 0x14, 0x12, 0x11}}, {'L', {0x10, 0x10, 0x10, 0x10, 0x10, 0x10, 0x1F}},
    {'M', {0x11, 0x1B, 0x15, 0x15, 0x11, 0x11, 0x11}}, {'N', {0x11, 0x11, 0x19, 0x15, 0x13, 0x11, 0x11}},
    {'O', {0x0E, 0x11, 0x11, 0x11, 0x11, 0x11, 0x0E}}, {'P', {0x1E, 0x11, 0x11, 0x1E, 0x10, 0x10, 0x10}},
    {'Q', {0x0E, 0x11, 0x11, 0x11, 0x15, 0x12, 0x0D}}, {'R', {0x1E, 0x11, 0x11, 0x1E, 0x14, 0x12, 0x11}},
    {'S', {0x0F, 0x10, 0x10, 0x0E, 0x01, 0x01, 0x1E}}, {'T', {0x1F, 0x04, 0x04, 0x04, 0x04, 0x04, 0x04}},
    {'U', {0x11, 0x11, 0x11, 0x11, 0x11, 0x11, 0x0E}}, {'V', {0x11, 0x11, 0x11, 0x11, 0x11, 0x0A, 0x04}},
    {'W', {0x11, 0x11, 0x11, 0x15, 0x15, 0x15, 0x0A}}, {'X', {0x11, 0x11, 0x0A, 0x04, 0x0A, 0x11, 0x11}},
    {'Y', {0x11, 0x11, 0x11, 0x0A, 0x04, 0x04, 0x04}}, {'Z', {0x1F, 0x01, 0x02, 0x04, 0x08, 0x10, 0x1F}},
    {'-', {0x00, 0x00, 0x00, 0x1F, 0x00, 0x00, 0x00}}, {'.', {0x00, 0x00, 0x00, 0x00, 0x00, 0x0C, 0x0C}},
    {':', {0x00, 0x0C, 0x0C, 0x00, 0x0C, 0x0C, 0x00}}, {'/', {0x00, 0x01, 0x02, 0x04, 0x08, 0x10, 0x00}},
    {'(', {0x02, 0x04, 0x08, 0x08, 0x08, 0x04, 0x02}}, {')', {0x08, 0x04, 0x02, 0x02, 0x02, 0x04, 0x08}},
    {'+', {0x00, 0x04, 0x04, 0x1F, 0x04, 0x04, 0x00}}, {'%', {0x18, 0x19, 0x02, 0x04, 0x08, 0x13, 0x03}},
    {',', {0x00, 0x00, 0x00, 0x00, 0x0C, 0x04, 0x08}}, {'=', {0x00, 0x00, 0x1F, 0x00, 0x1F, 0x00, 0x00}},
    {'_', {0x00, 0x00, 0x00, 0x00, 0x00, 0x00, 0x1F}}, {' ', {0, 0, 0, 0, 0, 0, 0}},
};

const Glyph* glyph(char c) {
    if (c >= 'a' && c <= 'z') c = static_cast<char>(c - 'a' + 'A');
    for (const auto& g : kFont)
        if (g.c == c) return &g;
    return nullptr;
}

constexpr uint32_t kAxis = 0x202020, kGrid = 0xdddddd, kLabel = 0x303030;

// A plot frame: data rectangle inside margins, mapping helpers.
struct Frame {
    int x0 = 90, y0 = 50, x1, y1;   // data area, pixels
    Frame(const Canvas& c) : x1(c.width() - 30), y1(c.height() - 60) {}
};

std::string fmt(const char* f, double v) {
    char buf[64];
    std::snprintf(buf, sizeof buf, f, v);
    return buf;
}

std::string freq_label(double f) { return f >= 1000.0 ? fmt("%gK", f / 1000.0) : fmt("%g", f); }

void frame_axes(Canvas& c, const Frame& fr, const std::string& title, const std::string& xlabel, const std::string& ylabel) {
    c.line(fr.x0, fr.y1, fr.x1, fr.y1, kAxis);
    c.line(fr.x0, fr.y0, fr.x0, fr.y1, kAxis);
    c.line(fr.x1, fr.y0, fr.x1, fr.y1, kAxis);
    c.line(fr.x0, fr.y0, fr.x1, fr.y0, kAxis);
    c.text(fr.x0, 14, title, kLabel, 2);
    c.text((fr.x0 + fr.x1) / 2 - Canvas::text_width(xlabel) / 2, c.height() - 22, xlabel, kLabel, 2);
    c.text(8, fr.y0 - 20, ylabel, kLabel, 2);
}

// Log-frequency x axis with 1-2-5 ticks.
void log_freq_axis(Canvas& c, const Frame& fr, double fmin, double fmax, bool vertical) {
    for (double decade = 10.0; decade <= fmax; decade *= 10.0)
        for (double m : {1.0, 2.0, 5.0}) {
            const double f = decade * m;
            if (f < fmin || f > fmax) continue;
            const double t = std::log(f / fmin) / std::log(fmax / fmin);
            if (!vertical) {
                const int x = fr.x0 + static_cast<int>(t * (fr.x1 - fr.x0));
                c.line(x, fr.y0 + 1, x, fr.y1 - 1, kGrid);
                const std::string s = freq_label(f);
                c.text(x - Canvas::text_width(s) / 2, fr.y1 + 8, s, kLabel, 2);
            } else {
                const int y = fr.y1 - static_cast<int>(t * (fr.y1 - fr.y0));
                const std::string s = freq_label(f);
                c.line(fr.x0 - 4, y, fr.x0, y, kAxis);
                c.text(fr.x0 - 8 - Canvas::text_width(s), y - 7, s, kLabel, 2);
            }
        }
}

void linear_y_axis(Canvas& c, const Frame& fr, double lo, double hi, double step, const char* f) {
    for (double v = std::ceil(lo / step) * step; v <= hi + 1e-9; v += step) {
        const int y = fr.y1 - static_cast<int>((v - lo) / (hi - lo) * (fr.y1 - fr.y0));
        c.line(fr.x0 + 1, y, fr.x1 - 1, y, kGrid);
        const std::string s = fmt(f, v);
        c.text(fr.x0 - 8 - Canvas::text_width(s), y - 7, s, kLabel, 2);
    }
}

uint32_t heat(double t) {
    // Dark blue → magenta → orange → yellow-white (readable in grey too: monotone luminance).
    t = std::clamp(t, 0.0, 1.0);
    const double r = std::clamp(1.5 * t, 0.0, 1.0), g = std::clamp(2.0 * t - 0.8, 0.0, 1.0), b = std::clamp(0.3 + 1.2 * std::sin(std::numbers::pi * t), 0.0, 1.0) * (t < 0.8 ? 1.0 : (1.0 - t) * 5.0 + 0.0);
    auto u = [](double v) { return static_cast<uint32_t>(std::lround(v * 255.0)); };
    return (u(r) << 16) | (u(g) << 8) | u(std::max(b, t > 0.9 ? (t - 0.9) * 10.0 : 0.0));
}

std::string name_of(const FileAnalysis& a) { return std::filesystem::path(a.file).filename().string(); }

}  // namespace

bool font_has_glyph(char c) { return glyph(c) != nullptr; }

Canvas::Canvas(int width, int height, uint32_t background) : w_(width), h_(height), rgb_(static_cast<size_t>(width * height * 3)) {
    for (int y = 0; y < h_; ++y)
        for (int x = 0; x < w_; ++x) pixel(x, y, background);
}

void Canvas::pixel(int x, int y, uint32_t rgb) {
    if (x < 0 || y < 0 || x >= w_ || y >= h_) return;
    uint8_t* p = &rgb_[static_cast<size_t>((y * w_ + x) * 3)];
    p[0] = static_cast<uint8_t>(rgb >> 16);
    p[1] = static_cast<uint8_t>(rgb >> 8);
    p[2] = static_cast<uint8_t>(rgb);
}

uint32_t Canvas::at(int x, int y) const {
    const uint8_t* p = &rgb_[static_cast<size_t>((y * w_ + x) * 3)];
    return (static_cast<uint32_t>(p[0]) << 16) | (static_cast<uint32_t>(p[1]) << 8) | p[2];
}

void Canvas::line(int x0, int y0, int x1, int y1, uint32_t rgb) {
    // Bresenham.
    const int dx = std::abs(x1 - x0), sx = x0 < x1 ? 1 : -1, dy = -std::abs(y1 - y0), sy = y0 < y1 ? 1 : -1;
    int err = dx + dy;
    for (int guard = 0; guard < 100000; ++guard) {
        pixel(x0, y0, rgb);
        if (x0 == x1 && y0 == y1) break;
        const int e2 = 2 * err;
        if (e2 >= dy) { err += dy; x0 += sx; }
        if (e2 <= dx) { err += dx; y0 += sy; }
    }
}

void Canvas::rect(int x0, int y0, int x1, int y1, uint32_t rgb) {
    for (int y = std::min(y0, y1); y <= std::max(y0, y1); ++y)
        for (int x = std::min(x0, x1); x <= std::max(x0, x1); ++x) pixel(x, y, rgb);
}

void Canvas::text(int x, int y, const std::string& s, uint32_t rgb, int scale) {
    for (size_t i = 0; i < s.size(); ++i) {
        const Glyph* g = glyph(s[i]);
        if (!g) g = glyph('_');
        for (int r = 0; r < 7; ++r)
            for (int col = 0; col < 5; ++col)
                if (g->rows[static_cast<size_t>(r)] & (0x10 >> col))
                    rect(x + static_cast<int>(i) * 6 * scale + col * scale, y + r * scale, x + static_cast<int>(i) * 6 * scale + col * scale + scale - 1,
                         y + r * scale + scale - 1, rgb);
    }
}

Result<void> Canvas::write_png(const std::filesystem::path& file) const {
    FILE* f = std::fopen(file.c_str(), "wb");
    if (!f) return fail(ErrorCode::FileWrite, file.string() + ": cannot create the PNG file");
    png_structp png = png_create_write_struct(PNG_LIBPNG_VER_STRING, nullptr, nullptr, nullptr);
    png_infop info = png ? png_create_info_struct(png) : nullptr;
    if (!png || !info) {
        png_destroy_write_struct(&png, &info);
        std::fclose(f);
        return fail(ErrorCode::FileWrite, file.string() + ": libpng initialisation failed");
    }
    // libpng reports errors by longjmp; nothing with a destructor lives in this frame past here.
    if (setjmp(png_jmpbuf(png))) {
        png_destroy_write_struct(&png, &info);
        std::fclose(f);
        return fail(ErrorCode::FileWrite, file.string() + ": PNG write failed");
    }
    png_init_io(png, f);
    png_set_IHDR(png, info, static_cast<png_uint_32>(w_), static_cast<png_uint_32>(h_), 8, PNG_COLOR_TYPE_RGB, PNG_INTERLACE_NONE,
                 PNG_COMPRESSION_TYPE_DEFAULT, PNG_FILTER_TYPE_DEFAULT);
    png_write_info(png, info);
    for (int y = 0; y < h_; ++y) png_write_row(png, const_cast<png_bytep>(&rgb_[static_cast<size_t>(y * w_ * 3)]));
    png_write_end(png, nullptr);
    png_destroy_write_struct(&png, &info);
    if (std::fclose(f) != 0) return fail(ErrorCode::FileWrite, file.string() + ": write error");
    return {};
}

Result<std::vector<std::filesystem::path>> write_plots(const FileAnalysis& a, const std::filesystem::path& dir, const PlotOptions& o) {
    std::error_code ec;
    std::filesystem::create_directories(dir, ec);
    if (ec) return fail(ErrorCode::FileWrite, dir.string() + ": cannot create the folder: " + ec.message());
    const std::string stem = std::filesystem::path(a.file).stem().string();
    std::vector<std::filesystem::path> written;
    const double rate = a.info.sample_rate > 0 ? a.info.sample_rate : 48000.0;
    const double fmin = 20.0, fmax = rate / 2.0;

    {   // Spectrum: raw bins (light) and 1/6-octave smoothing (dark), dB re full-scale sine.
        Canvas c(1000, 560);
        Frame fr(c);
        frame_axes(c, fr, "SPECTRUM  " + name_of(a) + "  (WELCH " + std::to_string(a.spectrum.fft_size) + ", 1/6 OCT)", "FREQUENCY (HZ)", "DB");
        const double lo = -140.0, hi = 0.0;
        linear_y_axis(c, fr, lo, hi, 20.0, "%.0f");
        log_freq_axis(c, fr, fmin, fmax, false);
        auto xy = [&](double f, double db, int& x, int& y) {
            x = fr.x0 + static_cast<int>(std::log(f / fmin) / std::log(fmax / fmin) * (fr.x1 - fr.x0));
            y = fr.y1 - static_cast<int>((std::clamp(db, lo, hi) - lo) / (hi - lo) * (fr.y1 - fr.y0));
        };
        int px = -1, py = -1;
        for (size_t k = 1; k < a.spectrum.power.size(); ++k) {
            const double f = static_cast<double>(k) * a.spectrum.bin_hz();
            if (f < fmin) continue;
            int x, y;
            xy(f, a.spectrum.power[k] > 0 ? 10 * std::log10(a.spectrum.power[k]) : lo, x, y);
            if (px >= 0) c.line(px, py, x, y, 0xa8c8e8);
            px = x;
            py = y;
        }
        const auto sm = smooth_octave(a.spectrum, 6, fmin, 48);
        px = -1;
        for (size_t i = 0; i < sm.freq_hz.size(); ++i) {
            int x, y;
            xy(sm.freq_hz[i], sm.power[i] > 0 ? 10 * std::log10(sm.power[i]) : lo, x, y);
            if (px >= 0) c.line(px, py, x, y, 0x1050a0);
            px = x;
            py = y;
        }
        const auto p = dir / (stem + "_spectrum.png");
        if (auto r = c.write_png(p); !r) return std::unexpected(r.error());
        written.push_back(p);
    }
    if (!a.series.momentary_lufs.empty()) {   // Loudness: M (light), S (dark), I and the target.
        Canvas c(1000, 560);
        Frame fr(c);
        frame_axes(c, fr, "LOUDNESS  " + name_of(a) + "  M (LIGHT), S (DARK), I (GREEN), TARGET (RED)", "TIME (S)", "LUFS");
        const double lo = -60.0, hi = 0.0;
        linear_y_axis(c, fr, lo, hi, 6.0, "%.0f");
        const double dur = std::max(a.duration_s, 1e-3);
        const double tstep = dur > 600 ? 120 : dur > 120 ? 30 : dur > 30 ? 5 : 1;
        for (double t = 0; t <= dur + 1e-9; t += tstep) {
            const int x = fr.x0 + static_cast<int>(t / dur * (fr.x1 - fr.x0));
            c.line(x, fr.y0 + 1, x, fr.y1 - 1, kGrid);
            const std::string s = fmt("%.0f", t);
            c.text(x - Canvas::text_width(s) / 2, fr.y1 + 8, s, kLabel, 2);
        }
        auto y_of = [&](double v) { return fr.y1 - static_cast<int>((std::clamp(v, lo, hi) - lo) / (hi - lo) * (fr.y1 - fr.y0)); };
        auto draw = [&](const std::vector<double>& v, uint32_t col) {
            int px = -1, py = -1;
            for (size_t i = 0; i < v.size(); ++i) {
                const int x = fr.x0 + static_cast<int>((static_cast<double>(i) + 1) * a.series.hop_s / dur * (fr.x1 - fr.x0));
                const int y = y_of(std::isfinite(v[i]) ? v[i] : lo);
                if (px >= 0) c.line(px, py, x, y, col);
                px = x;
                py = y;
            }
        };
        draw(a.series.momentary_lufs, 0xb0b0e0);
        draw(a.series.short_term_lufs, 0x203080);
        const int yt = y_of(o.target_lufs);
        c.line(fr.x0, yt, fr.x1, yt, 0xd02020);
        c.text(fr.x1 - Canvas::text_width(fmt("TARGET %.1f", o.target_lufs)) - 4, yt - 18, fmt("TARGET %.1f", o.target_lufs), 0xd02020);
        if (a.integrated_lufs) {
            const int yi = y_of(*a.integrated_lufs);
            c.line(fr.x0, yi, fr.x1, yi, 0x108020);
            c.text(fr.x0 + 6, yi - 18, fmt("I %.1f LUFS", *a.integrated_lufs), 0x108020);
        }
        const auto p = dir / (stem + "_loudness.png");
        if (auto r = c.write_png(p); !r) return std::unexpected(r.error());
        written.push_back(p);
    }
    if (a.spectrogram && a.spectrogram->columns() > 0) {   // Spectrogram: log frequency, −120..0 dB heat map.
        const auto& s = *a.spectrogram;
        Canvas c(1000, 560);
        Frame fr(c);
        frame_axes(c, fr, "SPECTROGRAM  " + name_of(a) + "  (STFT " + std::to_string(s.fft_size) + ", -120..0 DB)", "TIME (S)", "HZ");
        const double bin_hz = s.sample_rate / s.fft_size;
        for (int x = fr.x0 + 1; x < fr.x1; ++x) {
            const int col = std::min(s.columns() - 1, (x - fr.x0) * s.columns() / (fr.x1 - fr.x0));
            for (int y = fr.y0 + 1; y < fr.y1; ++y) {
                const double t = static_cast<double>(fr.y1 - y) / (fr.y1 - fr.y0);
                const double f = fmin * std::pow(fmax / fmin, t);
                const int k = std::clamp(static_cast<int>(std::lround(f / bin_hz)), 0, s.bins - 1);
                c.pixel(x, y, heat((s.db[static_cast<size_t>(col * s.bins + k)] + 120.0) / 120.0));
            }
        }
        log_freq_axis(c, fr, fmin, fmax, true);
        const double dur = std::max(a.duration_s, 1e-3);
        const double tstep = dur > 600 ? 120 : dur > 120 ? 30 : dur > 30 ? 5 : 1;
        for (double t = 0; t <= dur + 1e-9; t += tstep) {
            const int x = fr.x0 + static_cast<int>(t / dur * (fr.x1 - fr.x0));
            const std::string lab = fmt("%.0f", t);
            c.text(x - Canvas::text_width(lab) / 2, fr.y1 + 8, lab, kLabel, 2);
        }
        const auto p = dir / (stem + "_spectrogram.png");
        if (auto r = c.write_png(p); !r) return std::unexpected(r.error());
        written.push_back(p);
    }
    if (a.stereo && !a.stereo->vectorscope_side.empty()) {   // Vectorscope: S horizontal, M vertical.
        Canvas c(640, 700);
        const int cx = 320, cy = 370, r = 270;
        c.text(20, 14, "VECTORSCOPE  " + name_of(a), kLabel, 2);
        c.text(20, 40, a.correlation ? fmt("CORRELATION %+.2f", *a.correlation) : std::string("CORRELATION -"), kLabel, 2);
        c.line(cx - r, cy, cx + r, cy, kGrid);
        c.line(cx, cy - r, cx, cy + r, kGrid);
        c.line(cx - r, cy + r, cx + r, cy - r, kGrid);   // R channel axis (L = R·0 ...): L/R diagonals
        c.line(cx - r, cy - r, cx + r, cy + r, kGrid);
        for (int i = 0; i < 360; ++i) {
            const double t0 = i * std::numbers::pi / 180, t1 = (i + 1) * std::numbers::pi / 180;
            c.line(cx + static_cast<int>(r * std::cos(t0)), cy + static_cast<int>(r * std::sin(t0)), cx + static_cast<int>(r * std::cos(t1)),
                   cy + static_cast<int>(r * std::sin(t1)), kGrid);
        }
        c.text(cx - 6, cy - r - 22, "M", kLabel, 2);
        c.text(cx + r + 6, cy - 7, "S", kLabel, 2);
        c.text(cx - r - 8, cy - r - 8, "L", kLabel, 2);
        c.text(cx + r - 4, cy - r - 8, "R", kLabel, 2);
        const auto& sv = a.stereo->vectorscope_side;
        const auto& mv = a.stereo->vectorscope_mid;
        for (size_t i = 0; i < sv.size(); ++i) {
            // Full scale on one channel (M = S = 1/√2) reaches the circle.
            const int x = cx + static_cast<int>(std::lround(-sv[i] * r));   // L to the left
            const int y = cy - static_cast<int>(std::lround(mv[i] * r));
            c.pixel(x, y, 0x1050a0);
        }
        const auto p = dir / (stem + "_vectorscope.png");
        if (auto rr = c.write_png(p); !rr) return std::unexpected(rr.error());
        written.push_back(p);
    }
    return written;
}

// ---- compare (`stemforge compare --png`) ---------------------------------

Result<std::vector<std::filesystem::path>> write_compare_plots(const CompareResult& r, const std::filesystem::path& dir) {
    std::error_code ec;
    std::filesystem::create_directories(dir, ec);
    if (ec) return fail(ErrorCode::FileWrite, dir.string() + ": cannot create the folder: " + ec.message());
    const std::string stem =
        std::filesystem::path(r.file_a).stem().string() + "_vs_" + std::filesystem::path(r.file_b).stem().string();
    const std::string names = std::filesystem::path(r.file_a).filename().string() + " VS " + std::filesystem::path(r.file_b).filename().string();
    std::vector<std::filesystem::path> written;
    constexpr uint32_t kResidualPeak = 0xc02020, kResidualRms = 0xe08020, kSignal = 0x909090;
    const double lo = -160.0, hi = 0.0;
    auto db = [&](double linear) { return linear > 0.0 ? std::clamp(20.0 * std::log10(linear), lo, hi) : lo; };

    {   // Residual over time.
        Canvas c(1200, 560);
        Frame fr(c);
        frame_axes(c, fr, "RESIDUAL OVER TIME  " + names, "TIME (S)", "DBFS");
        linear_y_axis(c, fr, lo, hi, 20.0, "%.0f");
        const size_t n = r.residual_peak_over_time.size();
        const double t0 = r.residual_start_s, span = std::max(1e-9, static_cast<double>(n) * r.residual_bucket_s);
        double step = 1e-3;
        for (double s : {0.001, 0.002, 0.005, 0.01, 0.02, 0.05, 0.1, 0.2, 0.5, 1.0, 2.0, 5.0, 10.0, 20.0, 30.0, 60.0, 120.0, 300.0, 600.0, 1800.0, 3600.0})
            if (span / s <= 12.0) {
                step = s;
                break;
            }
        auto x_of = [&](double t) { return fr.x0 + static_cast<int>((t - t0) / span * (fr.x1 - fr.x0)); };
        for (double t = std::ceil(t0 / step) * step; t <= t0 + span + 1e-9; t += step) {
            const int x = x_of(t);
            c.line(x, fr.y0 + 1, x, fr.y1 - 1, kGrid);
            const std::string s = fmt(step < 1.0 ? "%.3g" : "%.0f", t);
            c.text(x - Canvas::text_width(s) / 2, fr.y1 + 8, s, kLabel, 2);
        }
        auto y_of = [&](double v) { return fr.y1 - static_cast<int>((v - lo) / (hi - lo) * (fr.y1 - fr.y0)); };
        for (const ResidualStretch& w : r.worst_stretches) {  // behind the curves
            const int x = x_of(w.peak_s);
            c.line(x, fr.y0 + 1, x, fr.y1 - 1, 0xf0c0c0);
        }
        auto curve = [&](const std::vector<float>& v, uint32_t colour) {
            int px = -1, py = -1;
            for (size_t k = 0; k < v.size(); ++k) {
                const int x = x_of(t0 + (static_cast<double>(k) + 0.5) * r.residual_bucket_s), y = y_of(db(v[k]));
                if (px >= 0) c.line(px, py, x, y, colour);
                px = x;
                py = y;
            }
        };
        curve(r.signal_rms_over_time, kSignal);
        curve(r.residual_rms_over_time, kResidualRms);
        curve(r.residual_peak_over_time, kResidualPeak);
        c.text(fr.x1 - 420, fr.y0 + 8, "PEAK", kResidualPeak, 2);
        c.text(fr.x1 - 330, fr.y0 + 8, "RMS", kResidualRms, 2);
        c.text(fr.x1 - 250, fr.y0 + 8, "PROGRAMME RMS", kSignal, 2);
        const auto p = dir / (stem + "_residual.png");
        if (auto w = c.write_png(p); !w) return std::unexpected(w.error());
        written.push_back(p);
    }

    {   // Residual spectrum (1/3 octave) and the octave bands.
        Canvas c(1000, 560);
        Frame fr(c);
        frame_axes(c, fr, "RESIDUAL SPECTRUM  " + names, "FREQUENCY (HZ)", "DB");
        linear_y_axis(c, fr, lo, hi, 20.0, "%.0f");
        const double fmin = 20.0, fmax = r.sample_rate / 2.0;
        log_freq_axis(c, fr, fmin, fmax, false);
        auto x_of = [&](double f) { return fr.x0 + static_cast<int>(std::log(std::max(f, fmin) / fmin) / std::log(fmax / fmin) * (fr.x1 - fr.x0)); };
        auto y_of = [&](double v) { return fr.y1 - static_cast<int>((std::clamp(v, lo, hi) - lo) / (hi - lo) * (fr.y1 - fr.y0)); };
        for (const ResidualBand& b : r.bands) {  // band levels (mean square -> dB) as steps
            const int xa = x_of(b.low_hz), xb = x_of(b.high_hz);
            const int ys = y_of(b.signal_ms > 0 ? 10 * std::log10(b.signal_ms) : lo);
            const int yr = y_of(b.residual_ms > 0 ? 10 * std::log10(b.residual_ms) : lo);
            c.rect(xa + 1, ys - 1, xb - 1, ys + 1, kSignal);
            c.rect(xa + 1, yr - 1, xb - 1, yr + 1, kResidualRms);
        }
        if (r.residual_spectrum.fft_size > 0) {
            const auto sm = smooth_octave(r.residual_spectrum, 3, fmin, 48);
            int px = -1, py = -1;
            for (size_t i = 0; i < sm.freq_hz.size(); ++i) {
                const int x = x_of(sm.freq_hz[i]), y = y_of(sm.power[i] > 0 ? 10 * std::log10(sm.power[i]) : lo);
                if (px >= 0) c.line(px, py, x, y, kResidualPeak);
                px = x;
                py = y;
            }
        }
        c.text(fr.x1 - 520, fr.y0 + 8, "RESIDUAL 1/3 OCT", kResidualPeak, 2);
        c.text(fr.x1 - 310, fr.y0 + 8, "BANDS:", kLabel, 2);
        c.text(fr.x1 - 220, fr.y0 + 8, "RESIDUAL", kResidualRms, 2);
        c.text(fr.x1 - 110, fr.y0 + 8, "PROG", kSignal, 2);
        const auto p = dir / (stem + "_residual_spectrum.png");
        if (auto w = c.write_png(p); !w) return std::unexpected(w.error());
        written.push_back(p);
    }
    return written;
}

}  // namespace sf::analysis
