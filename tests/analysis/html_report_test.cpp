// The HTML report: self-contained (no URL but data: images), every plot a
// decodable PNG of the size its tag states, checks coloured by status.
// (Rendering in a browser: tests/e2e/qc_e2e_test.cpp loads it in Chromium.)
#include <gtest/gtest.h>

#include <regex>

#include "analysis/html_report.h"
#include "tests/support/png_image.h"
#include "tests/support/test_support.h"

namespace sf::analysis {
namespace {

// RFC 4648 decoding, written out here (the encoder's inverse, not its code).
std::vector<uint8_t> base64_decode(const std::string& s) {
    auto val = [](char c) -> int {
        if (c >= 'A' && c <= 'Z') return c - 'A';
        if (c >= 'a' && c <= 'z') return c - 'a' + 26;
        if (c >= '0' && c <= '9') return c - '0' + 52;
        return c == '+' ? 62 : c == '/' ? 63 : -1;
    };
    std::vector<uint8_t> out;
    uint32_t acc = 0;
    int bits = 0;
    for (char c : s) {
        if (c == '=') break;
        const int v = val(c);
        EXPECT_GE(v, 0) << c;
        acc = (acc << 6) | static_cast<uint32_t>(v);
        bits += 6;
        if (bits >= 8) {
            bits -= 8;
            out.push_back(static_cast<uint8_t>(acc >> bits));
        }
    }
    return out;
}

TEST(HtmlReport, Base64MatchesRfc4648Vectors) {
    const std::pair<std::string, std::string> v[] = {{"", ""}, {"f", "Zg=="}, {"fo", "Zm8="}, {"foo", "Zm9v"}, {"foob", "Zm9vYg=="}, {"fooba", "Zm9vYmE="}, {"foobar", "Zm9vYmFy"}};
    for (const auto& [in, out] : v) EXPECT_EQ(base64_encode(std::span(reinterpret_cast<const uint8_t*>(in.data()), in.size())), out) << in;
    std::vector<uint8_t> all(256);
    for (int i = 0; i < 256; ++i) all[static_cast<size_t>(i)] = static_cast<uint8_t>(i);
    EXPECT_EQ(base64_decode(base64_encode(all)), all);
}

TEST(HtmlReport, EscapesMarkup) { EXPECT_EQ(html_escape("<a href=\"x\">'&'</a>"), "&lt;a href=&quot;x&quot;&gt;&#39;&amp;&#39;&lt;/a&gt;"); }

TEST(HtmlReport, SelfContainedWithDecodablePlotsAndColouredChecks) {
    test::TempDir dir;
    auto b = test::noise(2, 8 * 48000, 3, 0.3);
    for (int64_t i = 0; i < 100; ++i) b.channel(0)[48000 + i] = 1.0f;   // a clipped run: one failed row
    test::write_wav(dir / "a <b> & c.wav", b, 48000);
    QcOptions o;
    o.codecs.clear();
    o.target = *qc_target(std::string_view("streaming"), std::nullopt, std::nullopt);
    auto r = run_qc(dir / "a <b> & c.wav", o);
    ASSERT_TRUE(r.has_value()) << r.error().message;
    std::vector<QcReport> reports;
    reports.push_back(std::move(*r));
    auto page = html_report(reports);
    ASSERT_TRUE(page.has_value()) << page.error().message;
    const std::string& h = *page;

    EXPECT_EQ(h.rfind("<!DOCTYPE html>", 0), 0u);
    EXPECT_EQ(h.find("http:"), std::string::npos);
    EXPECT_EQ(h.find("https:"), std::string::npos);
    EXPECT_EQ(h.find("<script"), std::string::npos);
    EXPECT_EQ(h.find("<b> &"), std::string::npos);   // the file name is escaped
    EXPECT_NE(h.find("a &lt;b&gt; &amp; c.wav"), std::string::npos);

    // Every image is a data: PNG whose header states the tag's size.
    const std::regex img(R"re(<img src="data:image/png;base64,([A-Za-z0-9+/=]+)" width="(\d+)" height="(\d+)")re");
    int images = 0;
    for (auto it = std::sregex_iterator(h.begin(), h.end(), img); it != std::sregex_iterator(); ++it, ++images) {
        const auto png = base64_decode((*it)[1].str());
        const auto file = dir / ("img" + std::to_string(images) + ".png");
        test::write_text(file, std::string(png.begin(), png.end()));
        auto decoded = test::read_png(file);
        ASSERT_TRUE(decoded.has_value()) << images;
        EXPECT_EQ(decoded->width, std::stoi((*it)[2].str()));
        EXPECT_EQ(decoded->height, std::stoi((*it)[3].str()));
    }
    EXPECT_EQ(images, 5);   // loudness, spectrum, spectrogram, vectorscope, correlation
    for (const char* kind : {"loudness", "spectrum", "spectrogram", "vectorscope", "correlation"})
        EXPECT_NE(h.find(std::string("data-plot=\"") + kind + "\""), std::string::npos) << kind;
    EXPECT_LT(h.find("data-plot=\"loudness\""), h.find("data-plot=\"spectrum\""));   // the client's figure first

    // One table row per check, classed by its status; the clipping row failed.
    for (const auto& c : reports[0].checks)
        EXPECT_NE(h.find(std::string("<tr class=\"") + to_string(c.status) + "\" data-check=\"" + c.name + "\""), std::string::npos) << c.name;
    EXPECT_NE(h.find("<tr class=\"fail\" data-check=\"clipping\""), std::string::npos);
    EXPECT_NE(h.find("data-status=\"fail\""), std::string::npos);
    EXPECT_NE(h.find("Not ready"), std::string::npos);
    EXPECT_NE(h.find("tr.fail td{background:"), std::string::npos);   // the colour is in the page's own style
}

}  // namespace
}  // namespace sf::analysis
