// PNG plots: files are valid PNGs of the stated size with visible content,
// and every character the plots print has a glyph.
#include <gtest/gtest.h>

#include <png.h>

#include "analysis/plot.h"
#include "tests/analysis/ebu_signals.h"
#include "tests/support/test_support.h"

namespace sf::analysis {
namespace {

TEST(Plot, FontCoversThePlotText) {
    for (char c : std::string("0123456789ABCDEFGHIJKLMNOPQRSTUVWXYZabcxyz -.:/()+%,=_")) EXPECT_TRUE(font_has_glyph(c)) << c;
    Canvas cv(100, 30);
    cv.text(2, 2, "-23.0 LUFS", 0x000000, 1);
    int dark = 0;
    for (int y = 0; y < 30; ++y)
        for (int x = 0; x < 100; ++x) dark += cv.at(x, y) == 0;
    EXPECT_GT(dark, 40);   // 9 glyphs of ~10 lit pixels
    EXPECT_LT(dark, 9 * 35);
}

TEST(Plot, WritesFourReadablePngs) {
    test::TempDir dir;
    auto b = test::ebu::stepped_sine(48000, 2, {{3.0, -20.0}, {3.0, -30.0}});
    for (int64_t i = 0; i < b.frames(); ++i) b.channel(1)[i] *= 0.5f;
    test::write_wav(dir / "in.wav", b, 48000, 24);
    AnalyzeOptions o;
    o.series = o.spectrogram = o.vectorscope = true;
    auto a = analyze_file(dir / "in.wav", o);
    ASSERT_TRUE(a.has_value());
    auto files = write_plots(*a, dir / "png");
    ASSERT_TRUE(files.has_value()) << files.error().message;
    ASSERT_EQ(files->size(), 4u);
    for (const auto& f : *files) {
        png_image img{};
        img.version = PNG_IMAGE_VERSION;
        ASSERT_TRUE(png_image_begin_read_from_file(&img, f.c_str())) << f;
        img.format = PNG_FORMAT_RGB;
        std::vector<uint8_t> px(PNG_IMAGE_SIZE(img));
        ASSERT_TRUE(png_image_finish_read(&img, nullptr, px.data(), 0, nullptr)) << f;
        EXPECT_GE(img.width, 600u);
        EXPECT_GE(img.height, 500u);
        size_t non_white = 0;
        for (size_t i = 0; i + 2 < px.size(); i += 3) non_white += !(px[i] == 255 && px[i + 1] == 255 && px[i + 2] == 255);
        EXPECT_GT(non_white, 2000u) << f;   // axes, labels and data drawn
    }
    auto bad = write_plots(*a, "/proc/stemforge-cannot-write-here");
    EXPECT_FALSE(bad.has_value());
}

}  // namespace
}  // namespace sf::analysis
