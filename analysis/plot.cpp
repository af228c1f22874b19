#include "analysis/plot.h"

#include <png.h>

#include <algorithm>
#include <cassert>
#include <cmath>
#include <cstdio>
#include <fstream>
#include <numbers>

namespace sf::analysis {

namespace {

constexpr uint32_t kAxis = 0x202020, kGrid = 0xdddddd, kLabel = 0x303030;
constexpr uint32_t kTargetRed = 0xc81e1e, kIntegratedGreen = 0x108020, kPeakOrange = 0xe07800, kCeiling = 0x9a3c00;

// A plot frame: the data rectangle inside the margins.
struct Frame {
    int x0 = 90, y0 = 56, x1, y1;   // data area, pixels
    explicit Frame(const Canvas& c) : x1(c.width() - 30), y1(c.height() - 64) {}
};

std::string fmt(const char* f, double v) {
    char buf[64];
    std::snprintf(buf, sizeof buf, f, v);
    return buf;
}

std::string freq_label(double f) { return f >= 1000.0 ? fmt("%gk", f / 1000.0) : fmt("%g", f); }

// Text centred on x / right-aligned at x.
void text_centred(Canvas& c, const PlotFont& font, int x, int y, const std::string& s, uint32_t rgb, double px) {
    c.text(font, x - font.width(s, px) / 2, y, s, rgb, px);
}
void text_right(Canvas& c, const PlotFont& font, int x, int y, const std::string& s, uint32_t rgb, double px) {
    c.text(font, x - font.width(s, px), y, s, rgb, px);
}

void frame_axes(Canvas& c, const PlotFont& font, const Frame& fr, const std::string& title, const std::string& xlabel, const std::string& ylabel) {
    c.line(fr.x0, fr.y1, fr.x1, fr.y1, kAxis);
    c.line(fr.x0, fr.y0, fr.x0, fr.y1, kAxis);
    c.line(fr.x1, fr.y0, fr.x1, fr.y1, kAxis);
    c.line(fr.x0, fr.y0, fr.x1, fr.y0, kAxis);
    c.text(font, fr.x0, 10, title, kLabel, kPlotTitlePx);
    text_centred(c, font, (fr.x0 + fr.x1) / 2, c.height() - 28, xlabel, kLabel, kPlotLabelPx);
    c.text(font, 8, fr.y0 - 26, ylabel, kLabel, kPlotLabelPx);
}

// Log-frequency axis with 1-2-5 ticks (horizontal, or vertical for the spectrogram).
void log_freq_axis(Canvas& c, const PlotFont& font, const Frame& fr, double fmin, double fmax, bool vertical) {
    for (double decade = 10.0; decade <= fmax; decade *= 10.0)
        for (double m : {1.0, 2.0, 5.0}) {
            const double f = decade * m;
            if (f < fmin || f > fmax) continue;
            const double t = std::log(f / fmin) / std::log(fmax / fmin);
            const std::string s = freq_label(f);
            if (!vertical) {
                const int x = fr.x0 + static_cast<int>(t * (fr.x1 - fr.x0));
                c.line(x, fr.y0 + 1, x, fr.y1 - 1, kGrid);
                text_centred(c, font, x, fr.y1 + 6, s, kLabel, kPlotTickPx);
            } else {
                const int y = fr.y1 - static_cast<int>(t * (fr.y1 - fr.y0));
                c.line(fr.x0 - 4, y, fr.x0, y, kAxis);
                text_right(c, font, fr.x0 - 8, y - 9, s, kLabel, kPlotTickPx);
            }
        }
}

void linear_y_axis(Canvas& c, const PlotFont& font, const Frame& fr, double lo, double hi, double step, const char* f) {
    for (double v = std::ceil(lo / step) * step; v <= hi + 1e-9; v += step) {
        const int y = fr.y1 - static_cast<int>((v - lo) / (hi - lo) * (fr.y1 - fr.y0));
        c.line(fr.x0 + 1, y, fr.x1 - 1, y, kGrid);
        text_right(c, font, fr.x0 - 8, y - 9, std::abs(v) < 1e-9 ? std::string("0") : fmt(f, v), kLabel, kPlotTickPx);
    }
}

void time_axis(Canvas& c, const PlotFont& font, const Frame& fr, double duration_s, bool grid) {
    const double dur = std::max(duration_s, 1e-3);
    const double tstep = dur > 1800 ? 300 : dur > 600 ? 120 : dur > 120 ? 30 : dur > 30 ? 5 : dur > 5 ? 1 : 0.5;
    for (double t = 0; t <= dur + 1e-9; t += tstep) {
        const int x = fr.x0 + static_cast<int>(t / dur * (fr.x1 - fr.x0));
        if (grid) c.line(x, fr.y0 + 1, x, fr.y1 - 1, kGrid);
        text_centred(c, font, x, fr.y1 + 6, fmt(tstep < 1 ? "%.1f" : "%.0f", t), kLabel, kPlotTickPx);
    }
}

// One legend entry: a short stroke in the colour, then the text; returns the next x.
int legend(Canvas& c, const PlotFont& font, int x, int y, uint32_t rgb, const std::string& s) {
    c.rect(x, y + 8, x + 18, y + 10, rgb);
    return x + 24 + c.text(font, x + 24, y, s, kLabel, kPlotTickPx) + 18;
}

uint32_t heat(double t) {
    // Dark blue → magenta → orange → yellow-white (monotone luminance: readable in grey too).
    t = std::clamp(t, 0.0, 1.0);
    const double r = std::clamp(1.5 * t, 0.0, 1.0), g = std::clamp(2.0 * t - 0.8, 0.0, 1.0),
                 b = std::clamp(0.3 + 1.2 * std::sin(std::numbers::pi * t), 0.0, 1.0) * (t < 0.8 ? 1.0 : (1.0 - t) * 5.0);
    auto u = [](double v) { return static_cast<uint32_t>(std::lround(std::clamp(v, 0.0, 1.0) * 255.0)); };
    return (u(r) << 16) | (u(g) << 8) | u(std::max(b, t > 0.9 ? (t - 0.9) * 10.0 : 0.0));
}

std::string name_of(const FileAnalysis& a) { return std::filesystem::path(a.file).filename().string(); }

Canvas plot_spectrum(const FileAnalysis& a, const PlotFont& font) {
    // Raw bins (light) and 1/6-octave smoothing (dark), dB re full-scale sine.
    Canvas c(1000, 560);
    Frame fr(c);
    const double rate = a.info.sample_rate > 0 ? a.info.sample_rate : 48000.0;
    const double fmin = 20.0, fmax = rate / 2.0;
    frame_axes(c, font, fr, "Spectrum  " + name_of(a) + "  (Welch " + std::to_string(a.spectrum.fft_size) + ", 1/6 octave)",
               "Frequency (Hz)", "dB re full-scale sine");
    const double lo = -140.0, hi = 0.0;
    linear_y_axis(c, font, fr, lo, hi, 20.0, "%.0f");
    log_freq_axis(c, font, fr, fmin, fmax, false);
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
    return c;
}

Canvas plot_loudness(const FileAnalysis& a, const PlotOptions& o, const PlotFont& font) {
    // Momentary (light), short-term (dark), integrated (green), the target
    // when known (red, dashed); the sample peak per column (orange) under
    // the ceiling when known (brown, dashed). LUFS and dBFS share the axis.
    Canvas c(1000, 600);
    Frame fr(c);
    fr.y0 = 84;
    const bool peaks = a.waveform && a.waveform->columns > 0;
    double hi = 0.0;
    if (a.true_peak_dbtp && *a.true_peak_dbtp > 0.0) hi = std::ceil(*a.true_peak_dbtp / 3.0) * 3.0;
    const double lo = -60.0;
    frame_axes(c, font, fr, "Loudness over time  " + name_of(a), "Time (s)", peaks ? "LUFS / dBFS" : "LUFS");
    linear_y_axis(c, font, fr, lo, hi, 6.0, "%.0f");
    const double dur = std::max(a.duration_s, 1e-3);
    time_axis(c, font, fr, dur, true);
    auto y_of = [&](double v) { return fr.y1 - static_cast<int>((std::clamp(v, lo, hi) - lo) / (hi - lo) * (fr.y1 - fr.y0)); };
    auto x_of = [&](double t) { return fr.x0 + static_cast<int>(std::clamp(t / dur, 0.0, 1.0) * (fr.x1 - fr.x0)); };
    if (peaks) {
        const auto& w = *a.waveform;
        for (int k = 0; k < w.columns; ++k) {
            double p = 0.0;
            for (int ch = 0; ch < w.channels; ++ch) p = std::max({p, std::abs(static_cast<double>(w.column_min(ch, k))), std::abs(static_cast<double>(w.column_max(ch, k)))});
            if (p <= 0.0) continue;
            const int xa = x_of(k * w.column_s()), xb = std::max(xa, x_of((k + 1) * w.column_s()) - 1);
            const int y = y_of(20.0 * std::log10(p));
            for (int x = xa; x <= xb; ++x) c.line(x, y, x, fr.y1 - 1, 0xfbe3c8);   // area under the peak trace
            c.line(xa, y, xb, y, kPeakOrange);
        }
    }
    auto draw = [&](const std::vector<double>& v, uint32_t col) {
        int px = -1, py = -1;
        for (size_t i = 0; i < v.size(); ++i) {
            const int x = x_of((static_cast<double>(i) + 1) * a.series.hop_s);
            const int y = y_of(std::isfinite(v[i]) ? v[i] : lo);
            if (px >= 0) c.line(px, py, x, y, col);
            px = x;
            py = y;
        }
    };
    draw(a.series.momentary_lufs, 0xb0b0e0);
    draw(a.series.short_term_lufs, 0x203080);
    int lx = fr.x0;
    const int ly = 44;
    lx = legend(c, font, lx, ly, 0xb0b0e0, "momentary");
    lx = legend(c, font, lx, ly, 0x203080, "short-term");
    if (a.integrated_lufs) {
        const int yi = y_of(*a.integrated_lufs);
        c.line(fr.x0, yi, fr.x1, yi, kIntegratedGreen);
        lx = legend(c, font, lx, ly, kIntegratedGreen, fmt("integrated %.1f LUFS", *a.integrated_lufs));
    }
    if (o.target_lufs) {
        const int yt = y_of(*o.target_lufs);
        c.dashed_line(fr.x0, yt, fr.x1, yt, kTargetRed);
        c.dashed_line(fr.x0, yt + 1, fr.x1, yt + 1, kTargetRed);
        lx = legend(c, font, lx, ly, kTargetRed, fmt("target %.1f LUFS", *o.target_lufs));
    }
    if (peaks) lx = legend(c, font, lx, ly, kPeakOrange, "sample peak (dBFS)");
    if (o.ceiling_dbtp) {
        const int yc = y_of(*o.ceiling_dbtp);
        c.dashed_line(fr.x0, yc, fr.x1, yc, kCeiling, 4);
        legend(c, font, lx, ly, kCeiling, fmt("ceiling %.1f dBTP", *o.ceiling_dbtp));
    }
    return c;
}

Canvas plot_spectrogram(const FileAnalysis& a, const PlotFont& font) {
    // Log frequency, −120..0 dB heat map, with its colour bar.
    const auto& s = *a.spectrogram;
    Canvas c(1000, 560);
    Frame fr(c);
    fr.x1 = c.width() - 110;
    const double rate = a.info.sample_rate > 0 ? a.info.sample_rate : 48000.0;
    const double fmin = 20.0, fmax = rate / 2.0;
    frame_axes(c, font, fr, "Spectrogram  " + name_of(a) + "  (STFT " + std::to_string(s.fft_size) + ")", "Time (s)", "Frequency (Hz)");
    const double bin_hz = s.sample_rate / s.fft_size;
    for (int x = fr.x0 + 1; x < fr.x1; ++x) {
        const int col = std::min(s.columns() - 1, (x - fr.x0) * s.columns() / (fr.x1 - fr.x0));
        for (int y = fr.y0 + 1; y < fr.y1; ++y) {
            const double t = static_cast<double>(fr.y1 - y) / (fr.y1 - fr.y0);
            const double f = fmin * std::pow(fmax / fmin, t);
            const int k = std::clamp(static_cast<int>(std::lround(f / bin_hz)), 0, s.bins - 1);
            c.pixel(x, y, heat((s.db[static_cast<size_t>(col) * static_cast<size_t>(s.bins) + static_cast<size_t>(k)] + 120.0) / 120.0));
        }
    }
    log_freq_axis(c, font, fr, fmin, fmax, true);
    time_axis(c, font, fr, a.duration_s, false);
    const int bx0 = fr.x1 + 22, bx1 = bx0 + 16;
    for (int y = fr.y0; y <= fr.y1; ++y) c.line(bx0, y, bx1, y, heat(static_cast<double>(fr.y1 - y) / (fr.y1 - fr.y0)));
    for (int db = -120; db <= 0; db += 20) {
        const int y = fr.y1 - static_cast<int>((db + 120.0) / 120.0 * (fr.y1 - fr.y0));
        c.text(font, bx1 + 4, y - 9, fmt("%.0f", db), kLabel, kPlotTickPx);
    }
    c.text(font, bx0 - 4, fr.y0 - 26, "dB", kLabel, kPlotLabelPx);
    return c;
}

Canvas plot_vectorscope(const FileAnalysis& a, const PlotFont& font) {
    // Side horizontal (L to the left), mid vertical.
    Canvas c(640, 700);
    const int cx = 320, cy = 380, r = 270;
    c.text(font, 20, 10, "Vectorscope  " + name_of(a), kLabel, kPlotTitlePx);
    c.text(font, 20, 40, a.correlation ? fmt("correlation %+.2f", *a.correlation) : std::string("correlation n/a"), kLabel, kPlotLabelPx);
    c.line(cx - r, cy, cx + r, cy, kGrid);
    c.line(cx, cy - r, cx, cy + r, kGrid);
    c.line(cx - r, cy + r, cx + r, cy - r, kGrid);   // the L and R axes (45°)
    c.line(cx - r, cy - r, cx + r, cy + r, kGrid);
    for (int i = 0; i < 360; ++i) {
        const double t0 = i * std::numbers::pi / 180, t1 = (i + 1) * std::numbers::pi / 180;
        c.line(cx + static_cast<int>(r * std::cos(t0)), cy + static_cast<int>(r * std::sin(t0)), cx + static_cast<int>(r * std::cos(t1)),
               cy + static_cast<int>(r * std::sin(t1)), kGrid);
    }
    c.text(font, cx - 6, cy - r - 26, "M", kLabel, kPlotLabelPx);
    c.text(font, cx + r + 6, cy - 10, "S", kLabel, kPlotLabelPx);
    c.text(font, cx - r - 10, cy - r - 12, "L", kLabel, kPlotLabelPx);
    c.text(font, cx + r, cy - r - 12, "R", kLabel, kPlotLabelPx);
    const auto& sv = a.stereo->vectorscope_side;
    const auto& mv = a.stereo->vectorscope_mid;
    for (size_t i = 0; i < sv.size(); ++i) {
        // Full scale on one channel (M = S = 1/√2) reaches the circle.
        const int x = cx + static_cast<int>(std::lround(-sv[i] * r));
        const int y = cy - static_cast<int>(std::lround(mv[i] * r));
        c.pixel(x, y, 0x1050a0);
    }
    return c;
}

Canvas plot_correlation(const FileAnalysis& a, const PlotFont& font) {
    // One bar per 100 ms window from 0: green above, red below (out of phase).
    const auto& s = *a.stereo;
    Canvas c(1000, 420);
    Frame fr(c);
    frame_axes(c, font, fr, "Phase correlation over time  " + name_of(a) + fmt("  (%.0f ms windows)", s.correlation_hop_s * 1000.0), "Time (s)",
               "Correlation");
    linear_y_axis(c, font, fr, -1.0, 1.0, 0.5, "%+.1f");
    const double dur = std::max(a.duration_s, 1e-3);
    time_axis(c, font, fr, dur, false);
    auto y_of = [&](double v) { return fr.y1 - static_cast<int>((std::clamp(v, -1.0, 1.0) + 1.0) / 2.0 * (fr.y1 - fr.y0)); };
    const int y0 = y_of(0.0);
    const auto& v = s.correlation_over_time;
    const int width = fr.x1 - fr.x0 - 1;
    // One pixel column shows the lowest window under it: a short out-of-phase stretch stays visible.
    for (int px = 0; px < width; ++px) {
        const size_t a0 = static_cast<size_t>(static_cast<double>(px) / width * v.size());
        const size_t a1 = std::max(a0 + 1, static_cast<size_t>(static_cast<double>(px + 1) / width * v.size()));
        double lo = 2.0;
        for (size_t i = a0; i < std::min(a1, v.size()); ++i)
            if (std::isfinite(v[i])) lo = std::min(lo, v[i]);
        if (lo > 1.5) continue;
        const int x = fr.x0 + 1 + px;
        c.line(x, y0, x, y_of(lo), lo < 0.0 ? kTargetRed : 0x2a9a4a);
    }
    c.line(fr.x0, y0, fr.x1, y0, kAxis);
    return c;
}

void png_append(png_structp png, png_bytep data, png_size_t length) {
    auto* out = static_cast<std::vector<uint8_t>*>(png_get_io_ptr(png));
    out->insert(out->end(), data, data + length);
}
void png_no_flush(png_structp) {}

}  // namespace

Canvas::Canvas(int width, int height, uint32_t background) : w_(width), h_(height), rgb_(static_cast<size_t>(width) * static_cast<size_t>(height) * 3) {
    for (int y = 0; y < h_; ++y)
        for (int x = 0; x < w_; ++x) pixel(x, y, background);
}

void Canvas::pixel(int x, int y, uint32_t rgb) {
    if (x < 0 || y < 0 || x >= w_ || y >= h_) return;
    uint8_t* p = &rgb_[(static_cast<size_t>(y) * static_cast<size_t>(w_) + static_cast<size_t>(x)) * 3];
    p[0] = static_cast<uint8_t>(rgb >> 16);
    p[1] = static_cast<uint8_t>(rgb >> 8);
    p[2] = static_cast<uint8_t>(rgb);
}

void Canvas::blend(int x, int y, uint32_t rgb, double alpha) {
    if (x < 0 || y < 0 || x >= w_ || y >= h_ || alpha <= 0.0) return;
    alpha = std::min(alpha, 1.0);
    uint8_t* p = &rgb_[(static_cast<size_t>(y) * static_cast<size_t>(w_) + static_cast<size_t>(x)) * 3];
    for (int k = 0; k < 3; ++k) {
        const double src = static_cast<double>((rgb >> (16 - 8 * k)) & 0xff);
        p[k] = static_cast<uint8_t>(std::lround(p[k] + (src - p[k]) * alpha));
    }
}

uint32_t Canvas::at(int x, int y) const {
    assert(x >= 0 && y >= 0 && x < w_ && y < h_);
    const uint8_t* p = &rgb_[(static_cast<size_t>(y) * static_cast<size_t>(w_) + static_cast<size_t>(x)) * 3];
    return (static_cast<uint32_t>(p[0]) << 16) | (static_cast<uint32_t>(p[1]) << 8) | p[2];
}

void Canvas::line(int x0, int y0, int x1, int y1, uint32_t rgb) { dashed_line(x0, y0, x1, y1, rgb, 0); }

void Canvas::dashed_line(int x0, int y0, int x1, int y1, uint32_t rgb, int period) {
    // Bresenham; period 0 draws every pixel.
    const int dx = std::abs(x1 - x0), sx = x0 < x1 ? 1 : -1, dy = -std::abs(y1 - y0), sy = y0 < y1 ? 1 : -1;
    int err = dx + dy;
    for (int step = 0; step < 100000; ++step) {
        if (period <= 0 || (step / period) % 2 == 0) pixel(x0, y0, rgb);
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

int Canvas::text(const PlotFont& font, int x, int y, std::string_view s, uint32_t rgb, double size_px) {
    const TextBitmap t = font.rasterize(s, size_px);
    for (int ty = 0; ty < t.height; ++ty)
        for (int tx = 0; tx < t.width; ++tx) {
            const uint8_t a = t.alpha[static_cast<size_t>(ty) * static_cast<size_t>(t.width) + static_cast<size_t>(tx)];
            if (a) blend(x + tx, y + ty, rgb, a / 255.0);
        }
    return font.width(s, size_px);
}

Result<std::vector<uint8_t>> Canvas::encode_png() const {
    std::vector<uint8_t> out;
    png_structp png = png_create_write_struct(PNG_LIBPNG_VER_STRING, nullptr, nullptr, nullptr);
    png_infop info = png ? png_create_info_struct(png) : nullptr;
    if (!png || !info) {
        png_destroy_write_struct(&png, &info);
        return fail(ErrorCode::Internal, "PNG: libpng initialisation failed");
    }
    // libpng reports errors by longjmp; nothing with a destructor is created in this frame past here.
    if (setjmp(png_jmpbuf(png))) {
        png_destroy_write_struct(&png, &info);
        return fail(ErrorCode::Internal, "PNG: encoding failed");
    }
    png_set_write_fn(png, &out, png_append, png_no_flush);
    png_set_IHDR(png, info, static_cast<png_uint_32>(w_), static_cast<png_uint_32>(h_), 8, PNG_COLOR_TYPE_RGB, PNG_INTERLACE_NONE,
                 PNG_COMPRESSION_TYPE_DEFAULT, PNG_FILTER_TYPE_DEFAULT);
    png_write_info(png, info);
    for (int y = 0; y < h_; ++y) png_write_row(png, const_cast<png_bytep>(&rgb_[static_cast<size_t>(y) * static_cast<size_t>(w_) * 3]));
    png_write_end(png, nullptr);
    png_destroy_write_struct(&png, &info);
    return out;
}

Result<void> Canvas::write_png(const std::filesystem::path& file) const {
    auto bytes = encode_png();
    if (!bytes) return fail(ErrorCode::FileWrite, file.string() + ": " + bytes.error().message);
    std::ofstream out(file, std::ios::binary | std::ios::trunc);
    if (!out) return fail(ErrorCode::FileWrite, file.string() + ": cannot create the PNG file");
    out.write(reinterpret_cast<const char*>(bytes->data()), static_cast<std::streamsize>(bytes->size()));
    out.close();
    if (!out) return fail(ErrorCode::FileWrite, file.string() + ": write error");
    return {};
}

Result<std::vector<Plot>> render_plots(const FileAnalysis& a, const PlotOptions& o) {
    auto font = PlotFont::get();
    if (!font) return std::unexpected(font.error());
    const PlotFont& f = **font;
    std::vector<Plot> plots;
    plots.push_back({"spectrum", "Spectrum (Welch average, 1/6-octave smoothing)", plot_spectrum(a, f)});
    if (!a.series.momentary_lufs.empty()) plots.push_back({"loudness", "Loudness over time", plot_loudness(a, o, f)});
    if (a.spectrogram && a.spectrogram->columns() > 0) plots.push_back({"spectrogram", "Spectrogram", plot_spectrogram(a, f)});
    if (a.stereo && !a.stereo->vectorscope_side.empty()) plots.push_back({"vectorscope", "Vectorscope", plot_vectorscope(a, f)});
    if (a.stereo && !a.stereo->correlation_over_time.empty()) plots.push_back({"correlation", "Phase correlation over time", plot_correlation(a, f)});
    return plots;
}

Result<std::vector<std::filesystem::path>> write_plots(const FileAnalysis& a, const std::filesystem::path& dir, const PlotOptions& o) {
    auto plots = render_plots(a, o);
    if (!plots) return std::unexpected(plots.error());
    std::error_code ec;
    std::filesystem::create_directories(dir, ec);
    if (ec) return fail(ErrorCode::FileWrite, dir.string() + ": cannot create the folder: " + ec.message());
    const std::string stem = std::filesystem::path(a.file).stem().string();
    std::vector<std::filesystem::path> written;
    for (const Plot& p : *plots) {
        const auto file = dir / (stem + "_" + p.kind + ".png");
        if (auto r = p.image.write_png(file); !r) return std::unexpected(r.error());
        written.push_back(file);
    }
    return written;
}

}  // namespace sf::analysis
