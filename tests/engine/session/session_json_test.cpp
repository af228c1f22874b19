// Session file v1: every rule of the contract, and that each error names
// the JSON path and the rule.
#include <gtest/gtest.h>

#include <nlohmann/json.hpp>

#include "engine/session/session.h"

namespace sf {
namespace {

using nlohmann::json;

json minimal() {
    return json{{"format", "stemforge-session"},
                {"version", 1},
                {"sample_rate", 48000},
                {"stems", json::array({json{{"name", "kick"}, {"file", "stems/kick.wav"}}})}};
}

Result<Session> parse(const json& j) { return parse_session(j.dump(), "/base", "s.json"); }

// Expects a failure whose message is exactly "s.json: <path>: <rule...>".
void expect_error(const json& j, const std::string& path_and_rule_prefix) {
    auto r = parse(j);
    ASSERT_FALSE(r.has_value()) << "accepted: " << j.dump();
    EXPECT_EQ(r.error().code, ErrorCode::InvalidSession);
    const std::string expected = "s.json: " + path_and_rule_prefix;
    EXPECT_EQ(r.error().message.substr(0, expected.size()), expected) << r.error().message;
    EXPECT_EQ(r.error().message.find('\n'), std::string::npos) << r.error().message;
}

TEST(SessionJson, MinimalSessionHasDocumentedDefaults) {
    auto r = parse(minimal());
    ASSERT_TRUE(r.has_value()) << r.error().message;
    const StemSpec& s = r->stems.at(0);
    EXPECT_EQ(s.file, std::filesystem::path("/base/stems/kick.wav"));
    EXPECT_EQ(s.gain_db, 0.0);
    EXPECT_EQ(s.pan, 0.0);
    EXPECT_FALSE(s.mute);
    EXPECT_FALSE(s.solo);
    EXPECT_FALSE(s.polarity_invert);
    EXPECT_EQ(s.output, "master");
    EXPECT_FALSE(s.eq.has_value());
    EXPECT_FALSE(s.compressor.has_value());
    EXPECT_FALSE(r->master.has_value());
    EXPECT_TRUE(r->exports.empty());
}

TEST(SessionJson, FullContractExampleParses) {
    // The example of DESIGN.md, key for key.
    const char* text = R"({
      "format": "stemforge-session", "version": 1, "sample_rate": 48000,
      "stems": [{
        "name": "kick", "file": "stems/kick.wav",
        "gain_db": 0.0, "pan": 0.0, "mute": false, "solo": false, "polarity_invert": false,
        "offset_s": 0.0, "fade_in_s": 0.0, "fade_out_s": 0.0,
        "automation": {"gain_db": [[0.0, 0.0], [10.0, -6.0]]},
        "eq": {"mode": "linear", "bands": [
          {"type": "highpass", "freq_hz": 30, "slope_db_oct": 24},
          {"type": "bell", "freq_hz": 100, "gain_db": 3.0, "q": 1.0}]},
        "compressor": {"threshold_db": -18, "ratio": 4, "knee_db": 6,
                       "attack_ms": 10, "release_ms": 120, "makeup_db": 0, "detector": "peak"},
        "sends": [{"bus": "verb", "level_db": -12, "pre_fader": false}],
        "output": "master"
      }],
      "buses": [{"name": "verb", "reverb": {"ir": "irs/hall.wav", "predelay_ms": 20, "wet_db": 0},
                 "eq": {"mode": "minimum", "bands": []}, "gain_db": 0, "output": "master"}],
      "master": {
        "eq": {"mode": "linear", "bands": []},
        "multiband": {"crossovers_hz": [120, 1000, 6000],
                      "bands": [{"threshold_db": -20, "ratio": 2, "attack_ms": 20, "release_ms": 200, "makeup_db": 0, "width": 1.0},
                                {}, {}, {}]},
        "width": 1.0,
        "limiter": {"ceiling_dbtp": -1.0, "release_ms": 50, "lookahead_ms": 5},
        "loudness_target_lufs": -14.0
      },
      "export": [{"file": "out/master.wav", "format": "wav", "bit_depth": 24,
                  "sample_rate": 48000, "dither": "tpdf"}]
    })";
    auto r = parse_session(text, "/base", "s.json");
    ASSERT_TRUE(r.has_value()) << r.error().message;
    const StemSpec& s = r->stems.at(0);
    ASSERT_EQ(s.automation.gain_db.size(), 2u);
    EXPECT_EQ(s.automation.gain_db[1].time_s, 10.0);
    EXPECT_EQ(s.automation.gain_db[1].value, -6.0);
    ASSERT_TRUE(s.eq.has_value());
    EXPECT_EQ(s.eq->mode, EqMode::Linear);
    ASSERT_EQ(s.eq->bands.size(), 2u);
    EXPECT_EQ(s.eq->bands[0].type, EqBandType::Highpass);
    EXPECT_EQ(s.eq->bands[0].slope_db_oct, 24);
    EXPECT_EQ(s.eq->bands[1].q, 1.0);
    ASSERT_TRUE(s.compressor.has_value());
    EXPECT_EQ(s.compressor->ratio, 4.0);
    EXPECT_EQ(s.compressor->detector, Detector::Peak);
    ASSERT_EQ(s.sends.size(), 1u);
    EXPECT_EQ(s.sends[0].bus, "verb");
    EXPECT_EQ(s.sends[0].level_db, -12.0);
    ASSERT_EQ(r->buses.size(), 1u);
    EXPECT_EQ(r->buses[0].reverb->ir, std::filesystem::path("/base/irs/hall.wav"));
    EXPECT_EQ(r->buses[0].eq->mode, EqMode::Minimum);
    ASSERT_TRUE(r->master.has_value());
    EXPECT_EQ(r->master->multiband->bands.size(), 4u);
    EXPECT_EQ(r->master->limiter->ceiling_dbtp, -1.0);
    EXPECT_EQ(*r->master->loudness_target_lufs, -14.0);
    ASSERT_EQ(r->exports.size(), 1u);
    EXPECT_EQ(r->exports[0].bit_depth, 24);
    EXPECT_EQ(r->exports[0].dither, Dither::Tpdf);
    EXPECT_EQ(r->exports[0].file, std::filesystem::path("/base/out/master.wav"));
}

TEST(SessionJson, MalformedJsonNamesLineAndColumn) {
    auto r = parse_session("{\"format\": \"stemforge-session\",\n \"version\": 1,,}", "/", "bad.json");
    ASSERT_FALSE(r.has_value());
    EXPECT_NE(r.error().message.find("bad.json: malformed JSON"), std::string::npos) << r.error().message;
    EXPECT_NE(r.error().message.find("line 2"), std::string::npos) << r.error().message;
}

TEST(SessionJson, HeaderRules) {
    json j = minimal();
    j.erase("format");
    expect_error(j, "format: is required");
    j = minimal();
    j["format"] = "other";
    expect_error(j, "format: must be \"stemforge-session\"");
    j = minimal();
    j["version"] = 2;
    expect_error(j, "version: unsupported version 2");
    j = minimal();
    j["sample_rate"] = 1000;
    expect_error(j, "sample_rate: must be within [8000, 384000]");
    j = minimal();
    j["sample_rate"] = 44100.5;
    expect_error(j, "sample_rate: must be an integer");
    j = minimal();
    j["stems"] = json::array();
    expect_error(j, "stems: must hold at least one stem");
    j = minimal();
    j["bogus"] = 1;
    expect_error(j, "bogus: unknown key");
}

TEST(SessionJson, WrongTypesNameThePath) {
    json j = minimal();
    j["stems"][0]["gain_db"] = "loud";
    expect_error(j, "stems[0].gain_db: must be a number, not a string");
    j = minimal();
    j["stems"][0]["mute"] = 1;
    expect_error(j, "stems[0].mute: must be true or false");
    j = minimal();
    j["stems"][0]["name"] = 3;
    expect_error(j, "stems[0].name: must be a string");
    j = minimal();
    j["stems"] = json::object();
    expect_error(j, "stems: must be an array");
    j = minimal();
    j["stems"][0]["eq"] = json::array();
    expect_error(j, "stems[0].eq: must be an object");
}

TEST(SessionJson, RangesNameThePathAndRule) {
    json j = minimal();
    j["stems"].push_back({{"name", "b"}, {"file", "b.wav"}});
    j["stems"].push_back({{"name", "c"}, {"file", "c.wav"}});
    j["stems"].push_back({{"name", "d"}, {"file", "d.wav"}, {"pan", 1.5}});
    expect_error(j, "stems[3].pan: must be within [-1, 1]");

    j = minimal();
    j["stems"][0]["eq"] = {{"bands", {{{"type", "bell"}, {"freq_hz", 1000}, {"q", 1}}, {{"type", "bell"}, {"freq_hz", 100}, {"q", 0}}}}};
    expect_error(j, "stems[0].eq.bands[1].q: must be > 0");

    j = minimal();
    j["stems"][0]["eq"] = {{"bands", {{{"type", "bell"}, {"freq_hz", 30000}}}}};
    expect_error(j, "stems[0].eq.bands[0].freq_hz: must be > 0 and below the Nyquist frequency");

    j = minimal();
    j["stems"][0]["eq"] = {{"bands", {{{"type", "highpass"}, {"freq_hz", 30}, {"slope_db_oct", 15}}}}};
    expect_error(j, "stems[0].eq.bands[0].slope_db_oct: must be a multiple of 6 within [6, 48]");

    j = minimal();
    j["stems"][0]["eq"] = {{"bands", {{{"type", "highpass"}, {"freq_hz", 30}, {"q", 2}}}}};
    expect_error(j, "stems[0].eq.bands[0].q: unknown key");

    j = minimal();
    j["stems"][0]["eq"] = {{"mode", "maximum"}};
    expect_error(j, "stems[0].eq.mode: must be one of \"linear\", \"minimum\"");

    j = minimal();
    j["stems"][0]["compressor"] = {{"ratio", 0.5}};
    expect_error(j, "stems[0].compressor.ratio: must be within [1, 1000]");

    j = minimal();
    j["stems"][0]["offset_s"] = -1;
    expect_error(j, "stems[0].offset_s: must be within [0, 86400]");

    j = minimal();
    j["stems"][0]["automation"] = {{"gain_db", {{0.0, 0.0}, {-1.0, 3.0}}}};
    expect_error(j, "stems[0].automation.gain_db[1][0]: time_s must be >= 0");

    j = minimal();
    j["stems"][0]["automation"] = {{"gain_db", {{5.0, 0.0}, {1.0, 3.0}}}};
    expect_error(j, "stems[0].automation.gain_db[1][0]: times must not decrease");

    j = minimal();
    j["stems"][0]["automation"] = {{"gain_db", {{5.0}}}};
    expect_error(j, "stems[0].automation.gain_db[0]: must be a [time_s, gain_db] pair");

    j = minimal();
    j["export"] = {{{"file", "x.wav"}, {"bit_depth", 20}}};
    expect_error(j, "export[0].bit_depth: must be 16, 24 or 32");

    j = minimal();
    j["export"] = {{{"file", "x.flac"}, {"bit_depth", 32}}};
    expect_error(j, "export[0].bit_depth: FLAC holds integer PCM only");

    j = minimal();
    j["export"] = {{{"file", "x.wav"}, {"bit_depth", 32}, {"dither", "tpdf"}}};
    expect_error(j, "export[0].dither: float output (bit_depth 32) is never dithered");

    j = minimal();
    j["export"] = {{{"file", "x.mp4"}}};
    expect_error(j, "export[0].format: is required when the file name does not end in");

    j = minimal();
    j["master"] = {{"multiband", {{"crossovers_hz", {120, 1000}}, {"bands", {json::object(), json::object()}}}}};
    expect_error(j, "master.multiband.bands: must hold one entry per band: 3 for 2 crossovers");

    j = minimal();
    j["master"] = {{"multiband", {{"crossovers_hz", {1000, 120}}, {"bands", {json::object(), json::object(), json::object()}}}}};
    expect_error(j, "master.multiband.crossovers_hz[1]: crossovers must ascend");

    j = minimal();
    j["master"] = {{"preset", "loud"}};
    expect_error(j, "master.preset: must be one of");
}

TEST(SessionJson, ExportDefaults) {
    json j = minimal();
    j["export"] = {{{"file", "a.flac"}}, {{"file", "b.wav"}, {"bit_depth", 32}}, {{"file", "c.wav"}, {"bit_depth", 16}, {"dither", "tpdf-shaped"}}};
    auto r = parse(j);
    ASSERT_TRUE(r.has_value()) << r.error().message;
    EXPECT_EQ(r->exports[0].format, ExportFormat::Flac);
    EXPECT_EQ(r->exports[0].bit_depth, 24);
    EXPECT_EQ(r->exports[0].dither, Dither::Tpdf);
    EXPECT_EQ(r->exports[1].dither, Dither::None);
    EXPECT_EQ(r->exports[2].dither, Dither::TpdfShaped);
    EXPECT_EQ(r->exports[0].sample_rate, 0);  // the session rate
}

TEST(SessionJson, NamesAndRouting) {
    json j = minimal();
    j["stems"].push_back({{"name", "kick"}, {"file", "k2.wav"}});
    expect_error(j, "stems[1].name: duplicate stem name \"kick\" (also stems[0])");

    j = minimal();
    j["stems"][0]["output"] = "drums";
    expect_error(j, "stems[0].output: unknown bus \"drums\"");

    j = minimal();
    j["stems"][0]["sends"] = {{{"bus", "verb"}}};
    expect_error(j, "stems[0].sends[0].bus: unknown bus \"verb\"");

    j = minimal();
    j["buses"] = {{{"name", "a"}}, {{"name", "a"}}};
    expect_error(j, "buses[1].name: duplicate bus name \"a\"");

    j = minimal();
    j["buses"] = {{{"name", "master"}}};
    expect_error(j, "buses[0].name: \"master\" is reserved");

    j = minimal();
    j["buses"] = {{{"name", "a"}, {"output", "b"}}, {{"name", "b"}, {"output", "c"}}, {{"name", "c"}, {"output", "a"}}};
    expect_error(j, "buses[0].output: routing cycle a -> b -> c -> a");

    j = minimal();
    j["buses"] = {{{"name", "a"}, {"output", "a"}}};
    expect_error(j, "buses[0].output: routing cycle a -> a");

    j = minimal();
    j["buses"] = {{{"name", "a"}, {"output", "b"}}, {{"name", "b"}}};
    j["stems"][0]["output"] = "a";
    EXPECT_TRUE(parse(j).has_value());
}

// Session v1 additions: chorus, delay, width, automation lanes, sidechains.
TEST(SessionJson, MixingRoundTwoKeysParse) {
    json j = minimal();
    j["tempo_bpm"] = 120;
    j["stems"].push_back({{"name", "bass"}, {"file", "bass.wav"}, {"width", 0.0},
                          {"compressor", {{"sidechain", "kick"}, {"sidechain_eq", {{"bands", {{{"type", "lowpass"}, {"freq_hz", 150}}}}}}}},
                          {"chorus", {{"voices", 3}}},
                          {"sends", {{{"bus", "dly"}}}},
                          {"automation", {{"pan", {{0, -1}, {1, 1}}}, {"send_db", {{"dly", {{0, -6}}}}}}}});
    j["buses"] = {{{"name", "dly"}, {"delay", {{"note", "1/8t"}, {"pingpong", true}}}, {"automation", {{"gain_db", {{0, -3}}}}}}};
    auto r = parse(j);
    ASSERT_TRUE(r.has_value()) << r.error().message;
    const StemSpec& bass = r->stems[1];
    ASSERT_TRUE(bass.width.has_value());
    EXPECT_EQ(*bass.width, 0.0);
    EXPECT_EQ(bass.compressor->sidechain, "kick");
    ASSERT_TRUE(bass.compressor->sidechain_eq.has_value());
    EXPECT_EQ(bass.compressor->sidechain_eq->bands.at(0).type, EqBandType::Lowpass);
    EXPECT_EQ(bass.chorus->voices, 3);
    EXPECT_EQ(bass.chorus->rate_hz, 0.8);  // defaults of the contract
    EXPECT_EQ(bass.chorus->depth_ms, 2.0);
    EXPECT_EQ(bass.chorus->delay_ms, 10.0);
    EXPECT_EQ(bass.chorus->mix, 0.5);
    EXPECT_EQ(bass.chorus->stereo_phase_deg, 90.0);
    ASSERT_EQ(bass.automation.pan.size(), 2u);
    ASSERT_NE(bass.automation.send("dly"), nullptr);
    EXPECT_EQ(bass.automation.send("dly")->at(0).value, -6.0);
    const BusSpec& dly = r->buses[0];
    EXPECT_EQ(dly.delay->feedback, 0.35);
    EXPECT_TRUE(dly.delay->pingpong);
    // 1/8 triplet at 120 BPM: a quarter lasts 0.5 s, an eighth 0.25 s, a triplet eighth 1/6 s.
    EXPECT_NEAR(*delay_time_s(*dly.delay, r->tempo_bpm), 1.0 / 6.0, 1e-15);
    EXPECT_EQ(dly.automation.gain_db.at(0).value, -3.0);
    // "send_db": {"<bus>": lane} and "send_db.<bus>": lane are one key.
    j["stems"][1]["automation"] = {{"pan", {{0, -1}, {1, 1}}}, {"send_db.dly", {{0, -6}}}};
    auto flat = parse(j);
    ASSERT_TRUE(flat.has_value()) << flat.error().message;
    EXPECT_EQ(flat->stems[1], bass);
}

TEST(SessionJson, NoteValues) {
    EXPECT_DOUBLE_EQ(*note_whole_notes("1/1"), 1.0);
    EXPECT_DOUBLE_EQ(*note_whole_notes("1/4"), 0.25);
    EXPECT_DOUBLE_EQ(*note_whole_notes("1/8d"), 0.1875);
    EXPECT_DOUBLE_EQ(*note_whole_notes("1/32t"), 1.0 / 48.0);
    for (const char* bad : {"1/3", "1/64", "2/4", "1/", "1/4x", "1/04", "", "1/8dt"}) EXPECT_FALSE(note_whole_notes(bad)) << bad;
    DelaySpec d;
    d.note = "1/4";
    EXPECT_DOUBLE_EQ(*delay_time_s(d, 100.0), 0.6);  // 60/tempo s
    EXPECT_FALSE(delay_time_s(d, std::nullopt));
    d.note.reset();
    d.time_ms = 375;
    EXPECT_DOUBLE_EQ(*delay_time_s(d, std::nullopt), 0.375);
}

TEST(SessionJson, MixingRoundTwoRules) {
    auto with_bus = [](json bus) {
        json j = minimal();
        j["buses"] = {bus};
        return j;
    };
    expect_error(with_bus({{"name", "d"}, {"delay", json::object()}}), "buses[0].delay: needs exactly one of time_ms and note");
    expect_error(with_bus({{"name", "d"}, {"delay", {{"time_ms", 100}, {"note", "1/4"}}}}), "buses[0].delay: needs exactly one of time_ms and note");
    expect_error(with_bus({{"name", "d"}, {"delay", {{"note", "1/4"}}}}), "buses[0].delay.note: needs the session's tempo_bpm");
    expect_error(with_bus({{"name", "d"}, {"delay", {{"note", "1/3"}}}}), "buses[0].delay.note: must be a note value");
    expect_error(with_bus({{"name", "d"}, {"delay", {{"time_ms", 100}, {"feedback", 0.96}}}}), "buses[0].delay.feedback: must be within [0, 0.95]");
    expect_error(with_bus({{"name", "d"}, {"delay", {{"time_ms", 100}, {"lowcut_hz", 30000}}}}), "buses[0].delay.lowcut_hz: must be 0 (off) or > 0 and below");
    expect_error(with_bus({{"name", "d"}, {"delay", {{"time_ms", 0.001}}}}), "buses[0].delay.time_ms: must be at least one sample");
    expect_error(with_bus({{"name", "d"}, {"delay", {{"time_ms", 10}, {"bogus", 1}}}}), "buses[0].delay.bogus: unknown key");
    expect_error(with_bus({{"name", "d"}, {"automation", {{"pan", {{0, 0}}}}}}), "buses[0].automation.pan: unknown key");
    expect_error(with_bus({{"name", "d"}, {"width", 4.5}}), "buses[0].width: must be within [0, 4]");
    expect_error(with_bus({{"name", "d"}, {"chorus", {{"voices", 9}}}}), "buses[0].chorus.voices: must be a multiple of 1 within [1, 8]");
    expect_error(with_bus({{"name", "d"}, {"chorus", {{"depth_ms", 12}}}}), "buses[0].chorus.delay_ms: must be > depth_ms (12)");
    expect_error(with_bus({{"name", "d"}, {"chorus", {{"rate_hz", 0}}}}), "buses[0].chorus.rate_hz: must be within [0.01, 20]");

    json j = minimal();
    j["tempo_bpm"] = 10;
    expect_error(j, "tempo_bpm: must be within [20, 400]");

    j = minimal();
    j["stems"][0]["automation"] = {{"pan", {{0, 1.5}}}};
    expect_error(j, "stems[0].automation.pan[0][1]: pan must be within [-1, 1]");
    j["stems"][0]["automation"] = {{"width", {{0, -1}}}};
    expect_error(j, "stems[0].automation.width[0][1]: width must be within [0, 4]");
    j["stems"][0]["automation"] = {{"send_db.verb", {{0, 0}}}};
    expect_error(j, "stems[0].automation.send_db.verb: the stem has no send to \"verb\"");
    j["stems"][0]["automation"] = {{"sendz", {{0, 0}}}};
    expect_error(j, "stems[0].automation.sendz: unknown key");

    // Sidechains: an existing stem or bus, not itself, no cycle.
    j = minimal();
    j["stems"][0]["compressor"] = {{"sidechain", "nobody"}};
    expect_error(j, "stems[0].compressor.sidechain: unknown stem or bus \"nobody\"");
    j["stems"][0]["compressor"] = {{"sidechain", "kick"}};
    expect_error(j, "stems[0].compressor.sidechain: a compressor cannot key itself");
    j = minimal();
    j["buses"] = {{{"name", "kick"}}};
    j["stems"].push_back({{"name", "bass"}, {"file", "b.wav"}, {"compressor", {{"sidechain", "kick"}}}});
    expect_error(j, "stems[1].compressor.sidechain: \"kick\" names both a stem and a bus");
    // bass feeds the bus "low", whose compressor bass keys from: a cycle.
    j = minimal();
    j["buses"] = {{{"name", "low"}}};
    j["stems"].push_back({{"name", "bass"}, {"file", "b.wav"}, {"output", "low"}, {"compressor", {{"sidechain", "low"}}}});
    expect_error(j, "stems[1].compressor.sidechain: sidechain cycle: \"bass\" is keyed by \"low\", which is rendered after it (bass -> low)");
    // Two stems keying each other.
    j = minimal();
    j["stems"][0]["compressor"] = {{"sidechain", "bass"}};
    j["stems"].push_back({{"name", "bass"}, {"file", "b.wav"}, {"compressor", {{"sidechain", "kick"}}}});
    expect_error(j, "stems[");
    // Keyed by a stem that feeds the same bus: fine.
    j = minimal();
    j["buses"] = {{{"name", "low"}, {"compressor", {{"sidechain", "kick"}}}}};
    j["stems"][0]["output"] = "low";
    EXPECT_TRUE(parse(j).has_value());
}

// Issue 17: a band at 1e-9 Hz gave NaN taps (and the error blamed the
// output); 20,000 bands never finished designing.
TEST(SessionJson, FrequenciesBelowOneHertzAndHugeBandListsAreRefused) {
    json j = minimal();
    j["stems"][0]["eq"] = {{"bands", {{{"type", "bell"}, {"freq_hz", 1e-9}, {"gain_db", 3}}}}};
    expect_error(j, "stems[0].eq.bands[0].freq_hz: must be at least 1 Hz");
    j["stems"][0]["eq"] = {{"bands", {{{"type", "highpass"}, {"freq_hz", 1.0}}}}};
    EXPECT_TRUE(parse(j).has_value());
    json bands = json::array();
    for (int i = 0; i < 65; ++i) bands.push_back({{"type", "notch"}, {"freq_hz", 100 + i}});
    j["stems"][0]["eq"] = {{"bands", bands}};
    expect_error(j, "stems[0].eq.bands: must hold at most 64 bands");
    bands.erase(bands.begin());
    j["stems"][0]["eq"] = {{"bands", bands}};
    EXPECT_TRUE(parse(j).has_value());
    j = minimal();
    j["buses"] = {{{"name", "d"}, {"delay", {{"time_ms", 100}, {"highcut_hz", 0.5}}}}};
    expect_error(j, "buses[0].delay.highcut_hz: must be 0 (off) or at least 1 Hz");
}

TEST(SessionJson, LoadSessionNamesTheFile) {
    auto r = load_session("/nonexistent/dir/session.json");
    ASSERT_FALSE(r.has_value());
    EXPECT_EQ(r.error().code, ErrorCode::FileNotFound);
    EXPECT_NE(r.error().message.find("/nonexistent/dir/session.json"), std::string::npos);
}

}  // namespace
}  // namespace sf
