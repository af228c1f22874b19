// PNG plots: files are valid PNGs of the stated size with visible content;
// the text is a real TrueType font, read back by tesseract with its units
// in their proper case; the loudness plot draws a target line only when a
// target is known.
#include <gtest/gtest.h>

#include <png.h>

#include <algorithm>

#include "analysis/plot.h"
#include "tests/analysis/ebu_signals.h"
#include "tests/support/ocr.h"
#include "tests/support/png_image.h"
#include "tests/support/test_support.h"

namespace sf::analysis {
namespace {

FileAnalysis analysed(const test::TempDir& dir) {
    auto b = test::ebu::stepped_sine(48000, 2, {{3.0, -20.0}, {3.0, -30.0}});
    for (int64_t i = 0; i < b.frames(); ++i) b.channel(1)[i] *= 0.5f;
    test::write_wav(dir / "in.wav", b, 48000, 24);
    AnalyzeOptions o;
    o.series = o.spectrogram = o.vectorscope = o.waveform = true;
    auto a = analyze_file(dir / "in.wav", o);
    EXPECT_TRUE(a.has_value());
    return a ? std::move(*a) : FileAnalysis{};
}

const Plot* find(const std::vector<Plot>& plots, const std::string& kind) {
    for (const auto& p : plots)
        if (p.kind == kind) return &p;
    return nullptr;
}

// The plot's PNG as written, read back as RGBA (through a file: what a user opens).
test::RgbaImage image_of(const Plot& p, const test::TempDir& dir) {
    const auto f = dir / (p.kind + ".png");
    EXPECT_TRUE(p.image.write_png(f).has_value());
    auto img = test::read_png(f);
    EXPECT_TRUE(img.has_value());
    return img ? *img : test::RgbaImage{};
}

std::string ocr(const test::RgbaImage& img, int x, int y, int w, int h) {
    test::OcrOptions o;
    o.invert = false;   // dark text on white already
    o.page_segmentation = 6;
    auto t = test::ocr_region(img, x, y, w, h, o);
    EXPECT_TRUE(t.has_value()) << t.error().message;
    return t ? *t : std::string();
}

int count_colour(const test::RgbaImage& img, uint32_t rgb, int x0, int y0, int x1, int y1) {
    int n = 0;
    for (int y = y0; y < y1; ++y)
        for (int x = x0; x < x1; ++x) {
            const auto p = img.at(x, y);
            n += ((uint32_t{p[0]} << 16) | (uint32_t{p[1]} << 8) | p[2]) == rgb;
        }
    return n;
}

TEST(Plot, TrueTypeFontDrawsAntialiasedText) {
    auto font = PlotFont::get();
    ASSERT_TRUE(font.has_value()) << font.error().message;
    for (char32_t c : std::u32string(U"0123456789 ABCDEFGHIJKLMNOPQRSTUVWXYZ abcdefghijklmnopqrstuvwxyz -+.:/()%,=_")) EXPECT_TRUE((*font)->has_glyph(c)) << static_cast<int>(c);
    Canvas cv(200, 40);
    const int w = cv.text(**font, 2, 2, "-23.0 LUFS", 0x000000, 20.0);
    EXPECT_EQ(w, (*font)->width("-23.0 LUFS", 20.0));
    EXPECT_GT(w, 80);
    EXPECT_LT(w, 160);
    int ink = 0, partial = 0;
    for (int y = 0; y < 40; ++y)
        for (int x = 0; x < 200; ++x) {
            const uint32_t v = cv.at(x, y) & 0xff;
            ink += v < 128;
            partial += v > 0 && v < 255;   // grey edge pixels: anti-aliased, not a bitmap font
        }
    EXPECT_GT(ink, 100);
    EXPECT_GT(partial, 40);
    // Lower case differs from upper case (the old bitmap font had none).
    EXPECT_NE((*font)->width("db", 20.0), (*font)->width("DB", 20.0));
}

TEST(Plot, WritesFiveReadablePngs) {
    test::TempDir dir;
    const FileAnalysis a = analysed(dir);
    auto files = write_plots(a, dir / "png");
    ASSERT_TRUE(files.has_value()) << files.error().message;
    ASSERT_EQ(files->size(), 5u);
    for (const char* kind : {"spectrum", "loudness", "spectrogram", "vectorscope", "correlation"})
        EXPECT_TRUE(std::any_of(files->begin(), files->end(), [&](const auto& f) { return f.filename() == std::string("in_") + kind + ".png"; })) << kind;
    for (const auto& f : *files) {
        png_image img{};
        img.version = PNG_IMAGE_VERSION;
        ASSERT_TRUE(png_image_begin_read_from_file(&img, f.c_str())) << f;
        img.format = PNG_FORMAT_RGB;
        std::vector<uint8_t> px(PNG_IMAGE_SIZE(img));
        ASSERT_TRUE(png_image_finish_read(&img, nullptr, px.data(), 0, nullptr)) << f;
        EXPECT_GE(img.width, 600u);
        EXPECT_GE(img.height, 400u);
        size_t non_white = 0;
        for (size_t i = 0; i + 2 < px.size(); i += 3) non_white += !(px[i] == 255 && px[i + 1] == 255 && px[i + 2] == 255);
        EXPECT_GT(non_white, 2000u) << f;   // axes, labels and data drawn
    }
    auto bad = write_plots(a, "/proc/stemforge-cannot-write-here");
    EXPECT_FALSE(bad.has_value());
}

TEST(Plot, UnitsReadBackInTheirCase) {
    test::TempDir dir;
    const FileAnalysis a = analysed(dir);
    PlotOptions o;
    o.target_lufs = -23.0;
    o.ceiling_dbtp = -1.0;
    auto plots = render_plots(a, o);
    ASSERT_TRUE(plots.has_value()) << plots.error().message;

    const auto loud = image_of(*find(*plots, "loudness"), dir);
    const std::string legend = ocr(loud, 0, 36, loud.width, 34);   // the legend row
    EXPECT_NE(legend.find("target -23.0 LUFS"), std::string::npos) << legend;
    EXPECT_NE(legend.find("ceiling -1.0 dBTP"), std::string::npos) << legend;
    EXPECT_NE(legend.find("dBFS"), std::string::npos) << legend;
    const std::string xaxis = ocr(loud, 300, loud.height - 34, 400, 32);
    EXPECT_NE(xaxis.find("Time (s)"), std::string::npos) << xaxis;

    const auto spec = image_of(*find(*plots, "spectrum"), dir);
    const std::string sx = ocr(spec, 300, spec.height - 34, 400, 32);
    EXPECT_NE(sx.find("Frequency (Hz)"), std::string::npos) << sx;
    const std::string sy = ocr(spec, 0, 24, 400, 30);
    EXPECT_NE(sy.find("dB re full-scale sine"), std::string::npos) << sy;
}

TEST(Plot, TargetLineOnlyWhenATargetIsKnown) {
    test::TempDir dir;
    const FileAnalysis a = analysed(dir);
    constexpr uint32_t kTargetRed = 0xc81e1e;   // plot.cpp's target colour
    auto without = render_plots(a, {});
    ASSERT_TRUE(without.has_value());
    const auto img0 = image_of(*find(*without, "loudness"), dir);
    EXPECT_EQ(count_colour(img0, kTargetRed, 0, 0, img0.width, img0.height), 0);
    EXPECT_EQ(ocr(img0, 0, 36, img0.width, 34).find("target"), std::string::npos);

    PlotOptions o;
    o.target_lufs = -24.0;
    auto with = render_plots(a, o);
    ASSERT_TRUE(with.has_value());
    const auto img1 = image_of(*find(*with, "loudness"), dir);
    // A dashed line across the data area (two rows of it), at the -24 LUFS grid line's height.
    EXPECT_GT(count_colour(img1, kTargetRed, 90, 84, img1.width - 30, img1.height - 64), 400);
}

TEST(Plot, PngBytesRoundTrip) {
    Canvas c(31, 17, 0x102030);
    c.rect(3, 4, 10, 12, 0xff8000);
    auto bytes = c.encode_png();
    ASSERT_TRUE(bytes.has_value());
    ASSERT_GT(bytes->size(), 8u);
    EXPECT_EQ((*bytes)[1], 'P');
    test::TempDir dir;
    ASSERT_TRUE(c.write_png(dir / "c.png").has_value());
    auto img = test::read_png(dir / "c.png");
    ASSERT_TRUE(img.has_value());
    EXPECT_EQ(img->width, 31);
    EXPECT_EQ(img->height, 17);
    const auto p = img->at(5, 5), q = img->at(0, 0);
    EXPECT_EQ(p[0], 0xff);
    EXPECT_EQ(p[1], 0x80);
    EXPECT_EQ(q[2], 0x30);
}

}  // namespace
}  // namespace sf::analysis
