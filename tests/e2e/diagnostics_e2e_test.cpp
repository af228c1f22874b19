// `render --json`'s stem-attributed diagnostics through the real binary
// (docs/diagnostics.md): an over of known time, length and height, found
// by the definition in the stems' known sum, attributed to the stem made to
// cause it; on the CPU path, on the GPU path (a CPU pass attributes), and
// under a master block whose limiter keeps the delivered file below full
// scale (the bus sum into the master chain still goes over).
#include <algorithm>
#include <cmath>
#include <fstream>
#include <numbers>
#include <sstream>

#include "tests/e2e/e2e_support.h"

namespace sf::test {
namespace {

using nlohmann::json;

constexpr int kRate = 48000;
constexpr int64_t kFrames = 2 * kRate;
constexpr int64_t kBurstAt = 3 * kRate / 4, kBurstFrames = 960;  // 0.75 s, 20 ms

struct Stems {
    AudioBuffer pad, drums;
};

Stems write_stems(const TempDir& dir) {
    Stems s{sine(2, kFrames, kRate, 220.0, 0.5), AudioBuffer(2, kFrames)};
    for (int64_t i = 0; i < kBurstFrames; ++i) {
        const double v = std::sin(2.0 * std::numbers::pi * 100.0 * static_cast<double>(i) / kRate);
        s.drums.channel(0)[kBurstAt + i] = static_cast<float>(0.2 * v);
        s.drums.channel(1)[kBurstAt + i] = static_cast<float>(0.8 * v);  // the right channel holds the peak
    }
    write_wav(dir / "pad.wav", s.pad, kRate);
    write_wav(dir / "drums.wav", s.drums, kRate);
    return s;
}

// The over of pad + drums by the definition (|x| > 1, stretches closer than
// 10 ms merged), in double.
struct Oracle {
    int64_t first = -1, last = -1, peak_frame = -1, stretches = 0;
    int peak_channel = 0;
    double peak = 0.0;
};
Oracle oracle_over(const Stems& s) {
    Oracle o;
    for (int64_t i = 0; i < kFrames; ++i)
        for (int c = 0; c < 2; ++c) {
            const double x = static_cast<double>(s.pad.channel(c)[i]) + s.drums.channel(c)[i];
            if (std::abs(x) <= 1.0) continue;
            if (o.last < 0 || i - o.last - 1 >= kRate / 100) {
                ++o.stretches;
                o.first = i;
            }
            o.last = i;
            if (std::abs(x) > o.peak) {
                o.peak = std::abs(x);
                o.peak_frame = i;
                o.peak_channel = c;
            }
        }
    return o;
}

json render_json(const TempDir& dir, const json& session, const std::string& backend) {
    write_text(dir / "session.json", session.dump());
    auto r = run_stemforge({"render", (dir / "session.json").string(), "--backend", backend, "--json"});
    EXPECT_EQ(r.exit_code, 0) << r.err;
    if (r.exit_code != 0) return json();
    return json::parse(r.out);
}

void expect_attributed(const json& report, const Stems& stems, const std::string& source) {
    const Oracle o = oracle_over(stems);
    ASSERT_EQ(o.stretches, 1);
    ASSERT_TRUE(report.contains("diagnostics"));
    const json& d = report["diagnostics"];
    EXPECT_EQ(d["source"], source);
    ASSERT_EQ(d["overs"].size(), 1u) << d.dump();
    const json& over = d["overs"][0];
    EXPECT_NEAR(over["time_s"].get<double>(), static_cast<double>(o.first) / kRate, 0.5 / kRate);
    EXPECT_NEAR(over["duration_s"].get<double>(), static_cast<double>(o.last - o.first + 1) / kRate, 0.5 / kRate);
    EXPECT_NEAR(over["peak_dbfs"].get<double>(), 20.0 * std::log10(o.peak), 1e-4);
    // The shares at the peak: the in-phase projections of the two stems.
    const double s = static_cast<double>(stems.pad.channel(o.peak_channel)[o.peak_frame]) + stems.drums.channel(o.peak_channel)[o.peak_frame];
    const double pad = std::max(0.0, stems.pad.channel(o.peak_channel)[o.peak_frame] * s);
    const double drums = std::max(0.0, stems.drums.channel(o.peak_channel)[o.peak_frame] * s);
    ASSERT_GE(over["stems"].size(), 1u);
    EXPECT_EQ(over["stems"][0]["name"], "drums");
    EXPECT_NEAR(over["stems"][0]["share"].get<double>(), drums / (pad + drums), 1e-4);
    if (pad > 0.0) {
        ASSERT_EQ(over["stems"].size(), 2u);
        EXPECT_EQ(over["stems"][1]["name"], "pad");
        EXPECT_NEAR(over["stems"][1]["share"].get<double>(), pad / (pad + drums), 1e-4);
    }
    EXPECT_TRUE(d["masking"].is_array());
}

json two_stem_session() {
    json s = session_with({{{"name", "pad"}, {"file", "pad.wav"}}, {{"name", "drums"}, {"file", "drums.wav"}}});
    s["export"] = float_export("out.wav");
    return s;
}

TEST(DiagnosticsE2E, RenderJsonAttributesTheOverToTheStemThatCausedIt) {
    TempDir dir;
    const Stems stems = write_stems(dir);
    const json report = render_json(dir, two_stem_session(), "cpu");
    expect_attributed(report, stems, "render");
}

// The GPU mixer has no stem taps: a CPU mix pass gives the same report.
TEST(DiagnosticsE2E, GpuRenderIsAttributedByACpuPass) {
    TempDir dir;
    const Stems stems = write_stems(dir);
    const json report = render_json(dir, two_stem_session(), "gpu");
    EXPECT_EQ(report["backend"], "gpu");
    expect_attributed(report, stems, "cpu_pass");
    EXPECT_TRUE(report["timing"].contains("diagnostics_pass"));
}

// Under a master block the over is the bus sum's into the master chain,
// though the limiter keeps the delivered file 1 dB below full scale.
TEST(DiagnosticsE2E, OverIntoTheMasterChainIsReportedThoughTheMasterIsClean) {
    TempDir dir;
    const Stems stems = write_stems(dir);
    json s = two_stem_session();
    s["master"] = {{"limiter", {{"ceiling_dbtp", -1.0}}}};
    const json report = render_json(dir, s, "cpu");
    expect_attributed(report, stems, "render");
    EXPECT_LE(report["loudness"]["sample_peak_dbfs"].get<double>(), -0.99);
}

TEST(DiagnosticsE2E, CleanMixHasEmptyLists) {
    TempDir dir;
    write_wav(dir / "a.wav", sine(2, kRate, kRate, 440.0, 0.3), kRate);
    json s = session_with({{{"name", "a"}, {"file", "a.wav"}}});
    s["export"] = float_export("out.wav");
    const json report = render_json(dir, s, "cpu");
    ASSERT_TRUE(report.contains("diagnostics"));
    EXPECT_EQ(report["diagnostics"]["overs"], json::array());
    EXPECT_EQ(report["diagnostics"]["masking"], json::array());
}

std::string read_doc(const std::string& name) {
    std::ifstream in(std::string(STEMFORGE_SOURCE_DIR) + "/docs/" + name);
    EXPECT_TRUE(in.good()) << name;
    std::stringstream text;
    text << in.rdbuf();
    return text.str();
}

// The demo's report holds the keys of the contract, and the docs describe them.
TEST(DiagnosticsE2E, DemoReportHasTheDiagnosticsKeys) {
    TempDir dir;
    auto r = run_stemforge({"demo", dir.path().string(), "--duration", "8", "--json"});
    ASSERT_EQ(r.exit_code, 0) << r.err;
    const json report = json::parse(r.out);
    ASSERT_TRUE(report.contains("diagnostics"));
    const json& d = report["diagnostics"];
    ASSERT_TRUE(d["overs"].is_array());
    for (const json& o : d["overs"]) {
        for (const char* k : {"time_s", "duration_s", "peak_dbfs", "stems"}) EXPECT_TRUE(o.contains(k)) << k;
        EXPECT_GT(o["peak_dbfs"].get<double>(), 0.0);
    }
    ASSERT_TRUE(d["masking"].is_array());
    ASSERT_FALSE(d["masking"].empty()) << "the demo's stems overlap somewhere";
    EXPECT_LE(d["masking"].size(), 20u);
    double previous = 100.0;
    for (const json& m : d["masking"]) {
        ASSERT_EQ(m["stems"].size(), 2u);
        ASSERT_EQ(m["band_hz"].size(), 2u);
        EXPECT_LT(m["band_hz"][0].get<double>(), m["band_hz"][1].get<double>());
        const double overlap = m["overlap_percent"].get<double>();
        EXPECT_GE(overlap, 20.0);
        EXPECT_LE(overlap, previous);
        previous = overlap;
    }
    const std::string cli = read_doc("cli.md"), diag = read_doc("diagnostics.md");
    for (const char* key : {"diagnostics.overs", "diagnostics.masking", "overlap_percent", "band_hz", "peak_dbfs", "share"}) {
        EXPECT_NE(cli.find(key), std::string::npos) << "docs/cli.md lacks " << key;
        EXPECT_NE(diag.find(key), std::string::npos) << "docs/diagnostics.md lacks " << key;
    }
}

}  // namespace
}  // namespace sf::test
