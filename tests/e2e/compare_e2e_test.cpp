// `stemforge compare` through the CLI: exit 3 with one line when the
// alignment is not credible, the JSON keys (the contract's and the new
// ones), the table, and --png.
#include "tests/e2e/e2e_support.h"
#include "tests/support/png_image.h"

namespace sf::test {
namespace {

namespace fs = std::filesystem;
using nlohmann::json;

constexpr int kRate = 48000;

TEST(CompareE2E, SilenceOrUnrelatedMaterialExits3WithOneLine) {
    TempDir dir;
    write_wav(dir / "silent.wav", AudioBuffer(2, kRate), kRate, 24);
    write_wav(dir / "a.wav", noise(2, kRate, 1, 0.3), kRate, 24);
    write_wav(dir / "b.wav", noise(2, kRate, 2, 0.3), kRate, 24);
    for (auto [x, y] : {std::pair{"silent.wav", "silent.wav"}, {"a.wav", "silent.wav"}, {"a.wav", "b.wav"}}) {
        auto r = run_stemforge({"compare", (dir / x).string(), (dir / y).string(), "--json"});
        EXPECT_EQ(r.exit_code, 3) << x << " vs " << y << ": " << r.err << r.out;
        EXPECT_EQ(line_count(r.err), 1) << r.err;
        EXPECT_NE(r.err.find("stemforge: error: compare: cannot align"), std::string::npos) << r.err;
        EXPECT_TRUE(r.out.empty()) << r.out;
    }
    auto r = run_stemforge({"compare", (dir / "silent.wav").string(), (dir / "silent.wav").string(), "--max-offset", "0", "--json"});
    ASSERT_EQ(r.exit_code, 0) << r.err;
    const json j = json::parse(r.out);
    EXPECT_EQ(j["frames_compared"], kRate);
    EXPECT_FALSE(j["alignment"]["searched"].get<bool>());
}

TEST(CompareE2E, JsonKeysTableAndPlots) {
    TempDir dir;
    const AudioBuffer a = noise(2, 2 * kRate, 3, 0.3);
    AudioBuffer b(2, 2 * kRate + 100);
    for (int c = 0; c < 2; ++c)
        for (int64_t i = 0; i < a.frames(); ++i) b.channel(c)[i + 100] = 0.5f * a.channel(c)[i];
    b.channel(0)[kRate + 100] += 0.25f;  // a click at 1.000 s of A
    write_wav(dir / "a.wav", a, kRate, 32);
    write_wav(dir / "b.wav", b, kRate, 32);
    auto r = run_stemforge({"compare", (dir / "a.wav").string(), (dir / "b.wav").string(), "--json", "--png", (dir / "plots").string()});
    ASSERT_EQ(r.exit_code, 0) << r.err;
    const json j = json::parse(r.out);
    for (const char* k : {"residual_peak_dbfs", "residual_rms_dbfs", "snr_db", "offset_samples", "alignment", "gain_diff_db",
                          "gain_polarity_inverted", "residual_rms_gain_matched_dbfs", "snr_gain_matched_db", "bands", "b_sample_rate",
                          "worst_stretches", "plots"})
        EXPECT_TRUE(j.contains(k)) << k;
    EXPECT_EQ(j["offset_samples"], 100);
    EXPECT_NEAR(j["gain_diff_db"].get<double>(), 20 * std::log10(0.5), 0.01);
    ASSERT_FALSE(j["worst_stretches"].empty());
    EXPECT_EQ(j["worst_stretches"][0]["peak_timecode"], "00:01.000");
    ASSERT_EQ(j["plots"].size(), 2u);
    for (const auto& f : j["plots"]) {
        auto png = read_png(f.get<std::string>());
        ASSERT_TRUE(png.has_value()) << png.error().message;
        EXPECT_GT(png->width, 900);
        // Something was drawn in the residual colours, not only axes.
        int red = 0;
        for (int y = 0; y < png->height; ++y)
            for (int x = 0; x < png->width; ++x) {
                const auto p = png->at(x, y);
                red += p[0] > 150 && p[1] < 100 && p[2] < 100;
            }
        EXPECT_GT(red, 200) << f;
    }
    EXPECT_TRUE(fs::exists(dir / "plots/a_vs_b_residual.png"));
    EXPECT_TRUE(fs::exists(dir / "plots/a_vs_b_residual_spectrum.png"));

    auto t = run_stemforge({"compare", (dir / "a.wav").string(), (dir / "b.wav").string()});
    ASSERT_EQ(t.exit_code, 0) << t.err;
    for (const char* s : {"offset", "correlation", "gain B/A (best fit)", "-6.02 dB", "band", "1 kHz", "worst stretches", "peak at 00:01.000"})
        EXPECT_NE(t.out.find(s), std::string::npos) << s << "\n" << t.out;
}

}  // namespace
}  // namespace sf::test
