// The demo's instruments and the description that plays them
// (assets/demo/demo.json): every recipe names an instrument that exists with
// its channel count, the audio files are exactly the files the session uses,
// the session part parses and writes back unchanged, and an instrument is a
// pure function of its inputs.
#include <gtest/gtest.h>

#include <fstream>
#include <set>
#include <sstream>

#include <nlohmann/json.hpp>

#include "engine/session/session.h"
#include "engine/synth/demo_instruments.h"

namespace sf {
namespace {

nlohmann::json description() {
    std::ifstream in(std::string(STEMFORGE_SOURCE_DIR) + "/assets/demo/demo.json");
    std::stringstream text;
    text << in.rdbuf();
    return nlohmann::json::parse(text.str());
}

TEST(DemoDescription, RecipesMatchInstrumentsAndTheSession) {
    const auto d = description();
    std::set<std::string> written;
    for (const auto& a : d.at("audio")) {
        const std::string instrument = a.at("instrument");
        const int channels = a.at("channels");
        synth::Track t(a.at("name"), 8000, channels, 0.01);
        Random rng(1);
        EXPECT_TRUE(synth::play(instrument, t, 8.0, rng)) << instrument << " with " << channels << " channel(s)";
        written.insert(a.at("file").get<std::string>());
    }
    auto s = parse_session(d.at("session").dump(), "/demo", "demo.json session");
    ASSERT_TRUE(s.has_value()) << s.error().message;
    std::set<std::string> used;
    for (const auto& st : s->stems) used.insert(st.file_as_written);
    for (const auto& b : s->buses)
        if (b.reverb) used.insert(b.reverb->ir_as_written);
    EXPECT_EQ(written, used);
    // What the demo writes is to_json of this model: it must read back equal.
    auto back = parse_session(to_json(*s), "/demo", "written");
    ASSERT_TRUE(back.has_value()) << back.error().message;
    EXPECT_TRUE(*back == *s);
}

TEST(DemoInstruments, SameInputsSameSamplesAndUnknownNamesRefused) {
    for (const auto& inst : synth::instruments()) {
        SCOPED_TRACE(std::string(inst.name));
        synth::Track a("x", 16000, inst.channels, 8.0), b("x", 16000, inst.channels, 8.0);
        Random ra(7), rb(7);
        ASSERT_TRUE(synth::play(inst.name, a, 8.0, ra));
        ASSERT_TRUE(synth::play(inst.name, b, 8.0, rb));
        EXPECT_EQ(a.data, b.data);
        double peak = 0.0;
        for (const auto& ch : a.data)
            for (float v : ch) peak = std::max(peak, static_cast<double>(std::abs(v)));
        // Every instrument sounds within 8 s (4 bars) except those that enter
        // later: pluck at bar 5, shaker, voice and the riser's first sweep
        // (bars 7-8) at bar 9 or later, lead and strings at bar 17.
        const std::set<std::string_view> late{"pluck", "shaker", "voice", "riser", "lead", "strings"};
        if (!late.count(inst.name)) {
            EXPECT_GT(peak, 1e-3);
        }
        if (peak > 0.0) {
            a.normalize(0.5);
            double after = 0.0;
            for (const auto& ch : a.data)
                for (float v : ch) after = std::max(after, static_cast<double>(std::abs(v)));
            EXPECT_NEAR(after, 0.5, 1e-7);  // float rounding of the scaled peak
        }
    }
    synth::Track t("x", 8000, 1, 1.0);
    Random rng(1);
    EXPECT_FALSE(synth::play("no-such-instrument", t, 1.0, rng));
    EXPECT_FALSE(synth::play("crash", t, 1.0, rng));  // crash is stereo
}

}  // namespace
}  // namespace sf
