// The workstation's platform offscreen (GUI.md tier 2): render_screenshot on
// lavapipe with the validation layer on. The oracles are the picture's
// contract: its exact size, the colours the test app drew at the places it
// drew them, an app texture's pattern where it was drawn (per-draw texture
// binding), and the text tesseract reads back.
#include <cmath>
#include <cstdlib>
#include <functional>
#include <string>

#include <gtest/gtest.h>

#include "app/gui/platform/host.h"
#include "tests/support/ocr.h"
#include "tests/support/png_image.h"
#include "tests/support/test_support.h"

namespace sf::test {
namespace {

using gui::FrameInfo;
using gui::GuiApp;
using gui::HostOptions;
using gui::Image;
using gui::Textures;

using Rgb = std::array<int, 3>;

constexpr uint32_t packed(Rgb c) { return 0xFF000000u | (uint32_t(c[2]) << 16) | (uint32_t(c[1]) << 8) | uint32_t(c[0]); }
ImU32 im_colour(Rgb c) { return IM_COL32(c[0], c[1], c[2], 255); }

// Colours far from each other and from the dark background.
constexpr Rgb kRed{230, 40, 30}, kGreen{30, 200, 60}, kBlue{40, 80, 230};
constexpr Rgb kYellow{255, 220, 0}, kCyan{0, 210, 230}, kMagenta{200, 0, 200}, kWhite{250, 250, 250};
constexpr Rgb kOrange{250, 140, 20}, kViolet{120, 60, 250}, kGrey{128, 128, 128}, kPink{250, 150, 180};

struct LogicalRect {
    float x0, y0, x1, y1;
};
constexpr LogicalRect kRects[3] = {{40, 40, 200, 140}, {240, 40, 400, 140}, {440, 40, 600, 140}};
constexpr Rgb kRectColours[3] = {kRed, kGreen, kBlue};
constexpr LogicalRect kImageRect{40, 180, 240, 380};  // a 2×2 quadrant texture stretched over 200×200 logical pixels
constexpr LogicalRect kTextRect{30, 400, 620, 480};

// 2×2 quadrants (TL, TR, BL, BR), each `cell` pixels square.
Image quadrants(Rgb tl, Rgb tr, Rgb bl, Rgb br, uint64_t version, int cell = 8) {
    Image image;
    image.width = image.height = 2 * cell;
    image.version = version;
    image.rgba.resize(static_cast<size_t>(image.width * image.height));
    for (int y = 0; y < image.height; ++y)
        for (int x = 0; x < image.width; ++x) {
            const Rgb c = y < cell ? (x < cell ? tl : tr) : (x < cell ? bl : br);
            image.rgba[static_cast<size_t>(y * image.width + x)] = packed(c);
        }
    return image;
}

// Draws three filled rectangles, an app texture and "-14.0 LUFS" in large
// text at fixed logical places (× FrameInfo::scale); `image_for_frame`
// decides which Image each frame shows.
class ProbeApp : public GuiApp {
public:
    explicit ProbeApp(std::function<const Image&(int frame)> image_for_frame) : image_for_frame_(std::move(image_for_frame)) {}
    void frame(const FrameInfo& info, Textures& textures) override {
        ++frames_;
        offscreen_ = info.offscreen;
        const float s = info.scale;
        ImDrawList* draw = ImGui::GetBackgroundDrawList();
        for (int i = 0; i < 3; ++i)
            draw->AddRectFilled(ImVec2(kRects[i].x0 * s, kRects[i].y0 * s), ImVec2(kRects[i].x1 * s, kRects[i].y1 * s), im_colour(kRectColours[i]));
        const ImTextureID texture = textures.get(7, image_for_frame_(frames_ - 1));
        draw->AddImage(texture, ImVec2(kImageRect.x0 * s, kImageRect.y0 * s), ImVec2(kImageRect.x1 * s, kImageRect.y1 * s));
        draw->AddText(ImGui::GetFont(), 44.0f * s, ImVec2((kTextRect.x0 + 10) * s, (kTextRect.y0 + 10) * s), IM_COL32(235, 235, 235, 255), "-14.0 LUFS");
    }
    bool wants_quit() const override { return false; }
    int frames() const { return frames_; }
    bool offscreen() const { return offscreen_; }

private:
    std::function<const Image&(int)> image_for_frame_;
    int frames_ = 0;
    bool offscreen_ = false;
};

class PlatformOffscreen : public ::testing::Test {
protected:
    void SetUp() override {
        setenv("STEMFORGE_VK_VALIDATION", "1", 1);
        gui::clear_validation_messages();
    }
    // STEMFORGE_TEST_SCREENSHOT_DIR=DIR keeps a copy of a picture for a person to look at.
    static void keep(const std::filesystem::path& png, const std::string& name) {
        if (const char* dir = std::getenv("STEMFORGE_TEST_SCREENSHOT_DIR"); dir && *dir)
            std::filesystem::copy_file(png, std::filesystem::path(dir) / name, std::filesystem::copy_options::overwrite_existing);
    }
    void TearDown() override {
        const auto messages = gui::validation_messages();
        EXPECT_TRUE(messages.empty()) << messages.size() << " validation message(s), the first: " << messages.front();
    }
    TempDir dir_;
};

// The pixel colour at logical (x, y) of a picture drawn at `scale`.
Rgb colour_at(const RgbaImage& png, float scale, float x, float y) {
    const auto p = png.at(static_cast<int>(x * scale), static_cast<int>(y * scale));
    return {p[0], p[1], p[2]};
}

::testing::AssertionResult near(Rgb actual, Rgb expected, int tolerance = 2) {
    for (size_t c = 0; c < 3; ++c)
        if (std::abs(actual[c] - expected[c]) > tolerance)
            return ::testing::AssertionFailure() << "(" << actual[0] << "," << actual[1] << "," << actual[2] << ") != (" << expected[0] << ","
                                                 << expected[1] << "," << expected[2] << ") ±" << tolerance;
    return ::testing::AssertionSuccess();
}

// The quadrant centres of kImageRect, TL, TR, BL, BR.
std::array<std::array<float, 2>, 4> quadrant_centres() {
    const float w = kImageRect.x1 - kImageRect.x0, h = kImageRect.y1 - kImageRect.y0;
    return {{{kImageRect.x0 + w / 4, kImageRect.y0 + h / 4},
             {kImageRect.x0 + 3 * w / 4, kImageRect.y0 + h / 4},
             {kImageRect.x0 + w / 4, kImageRect.y0 + 3 * h / 4},
             {kImageRect.x0 + 3 * w / 4, kImageRect.y0 + 3 * h / 4}}};
}

struct SizeCase {
    int width, height;
    float scale;
};

TEST_F(PlatformOffscreen, PictureHasExactSizeAndEverythingWhereItWasDrawn) {
    const Image pattern = quadrants(kYellow, kCyan, kMagenta, kWhite, 1);
    for (const SizeCase size : {SizeCase{800, 500, 1.0f}, SizeCase{800, 500, 1.5f}, SizeCase{651, 497, 2.0f}}) {
        SCOPED_TRACE(std::to_string(size.width) + "x" + std::to_string(size.height) + " at scale " + std::to_string(size.scale));
        ProbeApp app([&](int) -> const Image& { return pattern; });
        HostOptions options;
        options.width = size.width;
        options.height = size.height;
        options.scale = size.scale;
        const auto png_file = dir_ / "shot.png";
        auto shot = gui::render_screenshot(app, options, png_file, 3);
        ASSERT_TRUE(shot.has_value()) << shot.error().message;
        EXPECT_EQ(app.frames(), 3);
        EXPECT_TRUE(app.offscreen());
        keep(png_file, "probe-" + std::to_string(size.width) + "x" + std::to_string(size.height) + "@" + std::to_string(size.scale) + ".png");
        auto png = read_png(png_file);
        ASSERT_TRUE(png.has_value()) << png.error().message;
        EXPECT_EQ(png->width, static_cast<int>(std::lround(size.width * size.scale)));
        EXPECT_EQ(png->height, static_cast<int>(std::lround(size.height * size.scale)));

        for (int i = 0; i < 3; ++i) {
            const LogicalRect r = kRects[i];
            EXPECT_TRUE(near(colour_at(*png, size.scale, (r.x0 + r.x1) / 2, (r.y0 + r.y1) / 2), kRectColours[i])) << "rectangle " << i << " centre";
            EXPECT_TRUE(near(colour_at(*png, size.scale, r.x0 + 3, r.y0 + 3), kRectColours[i])) << "rectangle " << i << " inside its corner";
            // Just outside: the background, not the rectangle's colour.
            EXPECT_FALSE(near(colour_at(*png, size.scale, r.x0 - 4, r.y0 + 10), kRectColours[i], 40)) << "rectangle " << i << " left of it";
            EXPECT_FALSE(near(colour_at(*png, size.scale, r.x0 + 10, r.y1 + 4), kRectColours[i], 40)) << "rectangle " << i << " below it";
        }
        const Rgb expected_quadrants[4] = {kYellow, kCyan, kMagenta, kWhite};
        const auto centres = quadrant_centres();
        for (size_t q = 0; q < 4; ++q)
            EXPECT_TRUE(near(colour_at(*png, size.scale, centres[q][0], centres[q][1]), expected_quadrants[q])) << "texture quadrant " << q;

        const int tx = static_cast<int>(kTextRect.x0 * size.scale), ty = static_cast<int>(kTextRect.y0 * size.scale);
        const int tw = static_cast<int>((kTextRect.x1 - kTextRect.x0) * size.scale), th = static_cast<int>((kTextRect.y1 - kTextRect.y0) * size.scale);
        OcrOptions ocr;
        ocr.upscale = 1;  // 44 px glyphs need no enlargement
        ocr.page_segmentation = 7;
        auto text = ocr_region(*png, tx, ty, tw, th, ocr);
        ASSERT_TRUE(text.has_value()) << text.error().message;
        EXPECT_NE(text->find("-14.0 LUFS"), std::string::npos) << "tesseract read: \"" << *text << "\"";
    }
    const auto stats = gui::last_host_stats();
    EXPECT_EQ(stats.frames, 3);
    EXPECT_GT(stats.mean_frame_time_s, 0.0);
}

TEST_F(PlatformOffscreen, NewImageVersionUploadsAgainAndSameVersionDoesNot) {
    const Image first = quadrants(kYellow, kCyan, kMagenta, kWhite, 1);
    const Image second = quadrants(kOrange, kViolet, kGrey, kPink, 2);
    Image second_same_version = second;
    second_same_version.version = 1;
    const Rgb first_colours[4] = {kYellow, kCyan, kMagenta, kWhite};
    const Rgb second_colours[4] = {kOrange, kViolet, kGrey, kPink};
    HostOptions options;
    options.width = 700;
    options.height = 520;
    options.scale = 1.0f;

    struct Case {
        const char* what;
        const Image* later;        // what frames after the first ask for
        const Rgb* expected;       // what the last frame must show
    };
    for (const Case c : {Case{"version changed: the new pixels", &second, second_colours},
                         Case{"pixels changed, version kept: still the uploaded ones", &second_same_version, first_colours}}) {
        SCOPED_TRACE(c.what);
        // Frame 0 uploads `first`; frames 1.. ask for `later` while frame 0's texture may still be in use.
        ProbeApp app([&](int frame) -> const Image& { return frame == 0 ? first : *c.later; });
        const auto png_file = dir_ / "versions.png";
        auto shot = gui::render_screenshot(app, options, png_file, 4);
        ASSERT_TRUE(shot.has_value()) << shot.error().message;
        auto png = read_png(png_file);
        ASSERT_TRUE(png.has_value()) << png.error().message;
        const auto centres = quadrant_centres();
        for (size_t q = 0; q < 4; ++q) EXPECT_TRUE(near(colour_at(*png, 1.0f, centres[q][0], centres[q][1]), c.expected[q])) << "quadrant " << q;
    }
}

// A few hundred widgets at 1600×1000: the frame time is measured and
// reported (RecordProperty), never asserted (GUI.md: no timed assertions).
class ManyWidgetsApp : public GuiApp {
public:
    void frame(const FrameInfo& info, Textures&) override {
        ++frames_;
        if (info.frame_time_s > 0.0) times_.push_back(info.frame_time_s);
        ImGui::SetNextWindowPos(ImVec2(0, 0));
        ImGui::SetNextWindowSize(ImGui::GetIO().DisplaySize);
        ImGui::Begin("Widgets", nullptr, ImGuiWindowFlags_NoDecoration);
        if (ImGui::BeginTable("grid", 6, ImGuiTableFlags_Borders | ImGuiTableFlags_RowBg)) {
            for (int i = 0; i < 300; ++i) {
                ImGui::TableNextColumn();
                ImGui::PushID(i);
                switch (i % 4) {
                    case 0: ImGui::Button("Render"); break;
                    case 1: ImGui::SliderFloat("gain", &values_[i % 64], -24.0f, 12.0f, "%.1f dB"); break;
                    case 2: ImGui::Checkbox("solo", &flags_[i % 64]); break;
                    default: ImGui::Text("%d: -%d.%d LUFS", i, 10 + i % 13, i % 10); break;
                }
                ImGui::PopID();
            }
            ImGui::EndTable();
        }
        ImGui::End();
    }
    bool wants_quit() const override { return false; }
    int frames_ = 0;
    std::vector<double> times_;

private:
    float values_[64] = {};
    bool flags_[64] = {};
};

TEST_F(PlatformOffscreen, FrameTimeAt1600x1000WithThreeHundredWidgetsIsMeasured) {
    ManyWidgetsApp app;
    HostOptions options;  // 1600×1000 at scale 1
    options.scale = 1.0f;
    auto shot = gui::render_screenshot(app, options, dir_ / "widgets.png", 12);
    ASSERT_TRUE(shot.has_value()) << shot.error().message;
    EXPECT_EQ(app.frames_, 12);
    EXPECT_EQ(app.times_.size(), 11u) << "every frame after the first is told the previous one's time";
    const auto stats = gui::last_host_stats();
    EXPECT_EQ(stats.frames, 12);
    keep(dir_ / "widgets.png", "widgets.png");
    auto png = read_png(dir_ / "widgets.png");
    ASSERT_TRUE(png.has_value());
    EXPECT_EQ(png->width, 1600);
    EXPECT_EQ(png->height, 1000);
    RecordProperty("mean_frame_ms", std::to_string(stats.mean_frame_time_s * 1000.0));
    std::printf("offscreen 1600x1000, 300 widgets: mean frame %.2f ms (last %.2f ms) on %s\n", stats.mean_frame_time_s * 1000.0,
                stats.last_frame_time_s * 1000.0, gui::probe_device() ? gui::probe_device()->name.c_str() : "?");
}

TEST_F(PlatformOffscreen, RefusesSizesWithNoPixels) {
    ProbeApp app([](int) -> const Image& {
        static const Image none = quadrants(kRed, kRed, kRed, kRed, 1);
        return none;
    });
    HostOptions options;
    options.width = 0;
    auto shot = gui::render_screenshot(app, options, dir_ / "none.png", 1);
    ASSERT_FALSE(shot.has_value());
    EXPECT_EQ(shot.error().code, ErrorCode::InvalidArgument);
    EXPECT_EQ(app.frames(), 0);
    EXPECT_FALSE(std::filesystem::exists(dir_ / "none.png"));
}

TEST_F(PlatformOffscreen, ProbeNamesTheDeviceAndWhetherItIsSoftware) {
    auto device = gui::probe_device();
    ASSERT_TRUE(device.has_value()) << device.error().message;
    EXPECT_FALSE(device->name.empty());
    // Mesa's software rasteriser calls itself llvmpipe and is a CPU device.
    if (device->name.find("llvmpipe") != std::string::npos) {
        EXPECT_TRUE(device->software);
    }
    // STEMFORGE_GPU_DEVICE picks by name; a name no device has is an error naming the variable.
    setenv("STEMFORGE_GPU_DEVICE", "no-such-gpu-anywhere", 1);
    auto none = gui::probe_device();
    unsetenv("STEMFORGE_GPU_DEVICE");
    ASSERT_FALSE(none.has_value());
    EXPECT_EQ(none.error().code, ErrorCode::Device);
    EXPECT_NE(none.error().message.find("STEMFORGE_GPU_DEVICE"), std::string::npos) << none.error().message;
}

}  // namespace
}  // namespace sf::test
