// Session file v1 written back: parse → to_json → parse gives an equal model
// for every key the parser accepts and every enum value; to_json is
// canonical (its own output writes back byte for byte); base_dir is set;
// numbers that fit no integer key, or no double, are errors naming the path.
#include <gtest/gtest.h>

#include <filesystem>
#include <fstream>
#include <set>

#include <unistd.h>

#include <nlohmann/json.hpp>

#include "engine/master/preset.h"
#include "engine/session/session.h"

namespace sf {
namespace {

using nlohmann::json;

// Every key of session v1 that the parser accepts, each with a value that is
// NOT its default (so a writer that dropped a key, or wrote the default,
// would change the model), and every enum value somewhere.
const char* kEveryKey = R"({
  "format": "stemforge-session", "version": 1, "sample_rate": 44100, "tempo_bpm": 92.5,
  "stems": [
    {"name": "kick", "file": "stems/kick.wav", "gain_db": -3.5, "pan": -0.25, "mute": true, "solo": true,
     "polarity_invert": true, "offset_s": 1.5, "fade_in_s": 0.25, "fade_out_s": 2.0,
     "width": 1.5,
     "automation": {"gain_db": [[0.0, -6.0], [10.0, 0.0], [10.0, -3.0], [20.5, 1.25]],
                    "pan": [[0.0, -1.0], [2.0, 0.5]], "width": [[1.0, 0.0], [1.0, 3.5]],
                    "send_db": {"verb": [[0.5, -20.0], [4.0, 6.0]], "drums": [[3.0, -1.0]]}},
     "eq": {"mode": "minimum", "bands": [
       {"type": "bell", "freq_hz": 100, "gain_db": 3.0, "q": 1.3},
       {"type": "lowshelf", "freq_hz": 80, "gain_db": -2.0, "q": 0.5},
       {"type": "highshelf", "freq_hz": 9000, "gain_db": 1.5, "q": 0.9},
       {"type": "notch", "freq_hz": 7500, "q": 6.0},
       {"type": "bandpass", "freq_hz": 1200, "q": 0.4},
       {"type": "highpass", "freq_hz": 30, "slope_db_oct": 24},
       {"type": "lowpass", "freq_hz": 16000, "slope_db_oct": 48}]},
     "compressor": {"threshold_db": -20, "ratio": 3.5, "knee_db": 2, "attack_ms": 4, "release_ms": 90,
                    "makeup_db": 2.5, "detector": "rms", "sidechain": "snare",
                    "sidechain_eq": {"bands": [{"type": "highpass", "freq_hz": 4000, "slope_db_oct": 18}]}},
     "chorus": {"rate_hz": 1.5, "depth_ms": 3, "delay_ms": 12, "voices": 3, "mix": 0.25, "stereo_phase_deg": 180},
     "sends": [{"bus": "verb", "level_db": -12, "pre_fader": true}, {"bus": "drums", "level_db": -6}],
     "output": "drums"},
    {"name": "snare", "file": "/abs/snare.flac", "eq": {"bands": []},
     "compressor": {"threshold_db": -10, "detector": "peak"}}
  ],
  "buses": [
    {"name": "drums", "eq": {"mode": "minimum", "bands": [{"type": "bell", "freq_hz": 200, "gain_db": -1, "q": 2}]},
     "compressor": {"ratio": 2, "sidechain": "verb"}, "chorus": {"voices": 8},
     "width": 0.5, "automation": {"gain_db": [[1.0, -2.0]], "width": [[0.0, 1.0], [5.0, 2.0]]},
     "gain_db": -1.5, "output": "glue"},
    {"name": "verb", "delay": {"note": "1/8d", "feedback": 0.5, "pingpong": true, "lowcut_hz": 200, "highcut_hz": 6000,
                               "wet_db": -4},
     "reverb": {"ir": "irs/hall.wav", "predelay_ms": 20, "wet_db": -3}, "gain_db": -6, "output": "glue"},
    {"name": "echo", "delay": {"time_ms": 250}, "output": "glue"},
    {"name": "glue"}
  ],
  "master": {
    "preset": "streaming",
    "eq": {"mode": "minimum", "bands": [{"type": "highpass", "freq_hz": 25, "slope_db_oct": 6}]},
    "multiband": {"crossovers_hz": [150, 3500],
                  "bands": [{"threshold_db": -24, "ratio": 2.5, "knee_db": 3, "attack_ms": 30, "release_ms": 250,
                             "makeup_db": 1, "width": 0.5},
                            {"threshold_db": -22}, {"width": 1.2}]},
    "width": 1.1, "mono_below_hz": 120, "balance": -0.1,
    "limiter": {"ceiling_dbtp": -2.0, "release_ms": 60, "lookahead_ms": 4, "max_gain_reduction_db": 12},
    "loudness_target_lufs": -15.5,
    "match_eq": {"reference": "refs/ref.wav", "amount": 0.75, "smoothing_oct": 0.5, "max_db": 6},
    "fade_in_s": 0.5, "fade_out_s": 4, "fade_curve": "equal-power", "trim_start_s": 0.25, "trim_end_s": 1.5,
    "trim_silence_db": -60, "trim_silence_preroll_s": 0.2
  },
  "metadata": {"title": "Title \"quoted\" é", "artist": "Artist", "album": "Album", "isrc": "us-s1z-99-00001",
               "catalog": "0123456789012", "year": "2026", "track": 7, "composer": "Composer",
               "copyright": "(c) 2026 Label", "date": "2026-12-04T08:30:00"},
  "export": [
    {"file": "out/a.wav", "format": "wav", "bit_depth": 16, "sample_rate": 48000, "dither": "none", "cue_sheet": true},
    {"file": "out/b.wav", "format": "bwf", "bit_depth": 24, "dither": "tpdf"},
    {"file": "out/c.flac", "format": "flac", "bit_depth": 16, "dither": "tpdf-shaped"},
    {"file": "out/d.aiff", "format": "aiff", "bit_depth": 32},
    {"file": "out/e.rf64", "format": "rf64", "bit_depth": 32, "dither": "none"},
    {"file": "out/f.mp3", "bitrate_kbps": 320, "preset": "apple"},
    {"file": "out/g.opus", "format": "opus", "sample_rate": 48000, "bitrate_kbps": 128, "loudness_target_lufs": -23},
    {"file": "out/h.ogg", "format": "ogg", "quality": 0.6, "ceiling_dbtp": -2.0},
    {"file": "out/i.wav", "preset": "ebu-r128"}
  ]
})";

Session parse_ok(const std::string& text, const std::filesystem::path& base = "/base") {
    auto r = parse_session(text, base, "s.json");
    EXPECT_TRUE(r.has_value()) << (r ? "" : r.error().message) << "\n" << text;
    return r ? *r : Session{};
}

// parse → to_json → parse: equal; and to_json of the second equals the first.
void expect_round_trip(const std::string& text) {
    const Session a = parse_ok(text);
    const std::string written = to_json(a);
    const Session b = parse_ok(written);
    EXPECT_TRUE(a == b) << "the written-back session parses to another model:\n" << text << "\n-- written --\n" << written;
    EXPECT_EQ(to_json(b), written) << "to_json is not canonical";
}

// Every key path of a JSON value, array indices dropped ("stems.eq.bands.q").
void key_paths(const json& j, const std::string& prefix, std::set<std::string>& out) {
    if (j.is_object()) {
        for (auto it = j.begin(); it != j.end(); ++it) {
            const std::string p = prefix.empty() ? it.key() : prefix + "." + it.key();
            out.insert(p);
            key_paths(it.value(), p, out);
        }
    } else if (j.is_array()) {
        for (const auto& v : j) key_paths(v, prefix, out);
    }
}

TEST(SessionRoundTrip, EveryKeyAndEnumValue) {
    expect_round_trip(kEveryKey);
    // The round trip above compares models; this checks that nothing was
    // carried by chance: every key written in is written out.
    const std::string written = to_json(parse_ok(kEveryKey));
    std::set<std::string> in, out;
    key_paths(json::parse(kEveryKey), "", in);
    key_paths(json::parse(written), "", out);
    EXPECT_EQ(in, out) << written;
}

TEST(SessionRoundTrip, ValuesSurviveExactly) {
    // Doubles that have no short decimal form survive bit for bit.
    json j = json::parse(kEveryKey);
    j["stems"][0]["gain_db"] = 0.1 + 0.2;
    j["stems"][0]["pan"] = -1.0 / 3.0;
    j["stems"][0]["eq"]["bands"][0]["q"] = 1e-300;
    j["master"]["multiband"]["crossovers_hz"] = {20.000000000000004, 3500.5};
    const Session a = parse_ok(j.dump());
    const Session b = parse_ok(to_json(a));
    EXPECT_EQ(b.stems[0].gain_db, 0.1 + 0.2);
    EXPECT_EQ(b.stems[0].pan, -1.0 / 3.0);
    EXPECT_EQ(b.stems[0].eq->bands[0].q, 1e-300);
    EXPECT_EQ(b.master->multiband->crossovers_hz[0], 20.000000000000004);
    // Paths go back as written: relative stays relative, absolute absolute.
    EXPECT_EQ(b.stems[0].file_as_written, "stems/kick.wav");
    EXPECT_EQ(b.stems[1].file_as_written, "/abs/snare.flac");
    EXPECT_EQ(b.stems[1].file, std::filesystem::path("/abs/snare.flac"));
    EXPECT_EQ(b.buses[1].reverb->ir_as_written, "irs/hall.wav");
    EXPECT_EQ(b.metadata.isrc, "USS1Z9900001");  // normalised once, then stable
}

TEST(SessionRoundTrip, MinimalSessionWritesOnlyWhatItHolds) {
    const char* text = R"({"format": "stemforge-session", "version": 1,
                           "stems": [{"name": "a", "file": "a.wav"}]})";
    expect_round_trip(text);
    const json written = json::parse(to_json(parse_ok(text)));
    const json expected = {{"format", "stemforge-session"},
                           {"version", 1},
                           {"sample_rate", 48000},
                           {"stems", json::array({{{"name", "a"}, {"file", "a.wav"}}})}};
    EXPECT_EQ(written, expected);
}

TEST(SessionRoundTrip, EveryEnumNameMapsBothWays) {
    auto check = [](auto tag) {
        using E = decltype(tag);
        const auto names = enum_names<E>();
        ASSERT_FALSE(names.empty());
        for (size_t i = 0; i < names.size(); ++i) {
            auto e = enum_from_name<E>(names[i]);
            ASSERT_TRUE(e.has_value()) << names[i];
            EXPECT_EQ(static_cast<size_t>(*e), i);
            EXPECT_EQ(std::string(to_string(*e)), std::string(names[i]));
        }
        EXPECT_FALSE(enum_from_name<E>("no-such-name").has_value());
        EXPECT_EQ(std::string(to_string(static_cast<E>(names.size()))), "?");
    };
    check(EqBandType{});
    check(EqMode{});
    check(Detector{});
    check(ExportFormat{});
    check(Dither{});
    check(MasterPreset{});
    check(FadeCurve{});
    EXPECT_EQ(enum_names<EqBandType>().size(), 7u);
    EXPECT_EQ(enum_names<MasterPreset>().size(), 8u);
    EXPECT_EQ(enum_names<ExportFormat>().size(), 8u);
    EXPECT_EQ(master::preset_from_name("vinyl"), MasterPreset::Vinyl);
    EXPECT_EQ(master::preset_from_name("ebu-r128"), MasterPreset::EbuR128);
    EXPECT_EQ(std::string(master::to_string(MasterPreset::AtscA85)), "atsc-a85");
}

// A preset fills defaults; the written-back session must parse to the same
// model whether a key came from the preset or was explicit (and then wins).
TEST(SessionRoundTrip, PresetsWithDefaultsAndExplicitKeys) {
    for (std::string_view name : enum_names<MasterPreset>()) {
        SCOPED_TRACE(std::string(name));
        json j = {{"format", "stemforge-session"},
                  {"version", 1},
                  {"stems", json::array({{{"name", "a"}, {"file", "a.wav"}}})},
                  {"master", {{"preset", std::string(name)}}},
                  {"export", json::array({{{"file", "x.wav"}}, {{"file", "y.flac"}}, {{"file", "z.aiff"}, {"bit_depth", 32}}})}};
        expect_round_trip(j.dump());

        // Explicit keys equal to the plain defaults, which the preset would
        // otherwise replace: they must be written back.
        j["master"]["limiter"] = {{"ceiling_dbtp", -1.0}};
        j["master"]["loudness_target_lufs"] = -14.0;
        j["export"] = json::array({{{"file", "x.wav"}, {"format", "wav"}, {"bit_depth", 24}, {"cue_sheet", false}, {"dither", "none"}},
                                   {{"file", "y.wav"}, {"dither", "none"}}});
        const Session a = parse_ok(j.dump());
        EXPECT_EQ(a.master->limiter->ceiling_dbtp, -1.0);
        EXPECT_EQ(a.exports[0].format, ExportFormat::Wav);
        EXPECT_FALSE(a.exports[0].cue_sheet);
        EXPECT_EQ(a.exports[0].dither, Dither::None);
        expect_round_trip(j.dump());
    }
    // The preset's defaults really are applied (so the test above is not vacuous).
    const Session cd = parse_ok(R"({"format": "stemforge-session", "version": 1, "stems": [{"name": "a", "file": "a.wav"}],
                                    "master": {"preset": "cd"}, "export": [{"file": "x.wav"}]})");
    EXPECT_EQ(cd.exports[0].bit_depth, 16);
    EXPECT_EQ(cd.exports[0].sample_rate, 44100);
    EXPECT_TRUE(cd.exports[0].cue_sheet);
    const Session atsc = parse_ok(R"({"format": "stemforge-session", "version": 1, "stems": [{"name": "a", "file": "a.wav"}],
                                      "master": {"preset": "atsc-a85"}})");
    EXPECT_EQ(atsc.master->limiter->ceiling_dbtp, -2.0);
    EXPECT_EQ(*atsc.master->loudness_target_lufs, -24.0);
}

TEST(SessionRoundTrip, ASessionBuiltInCodeWritesAndParses) {
    Session s;
    s.sample_rate = 96000;
    StemSpec st;
    st.name = "tone";
    st.file_as_written = "tone.wav";
    st.gain_db = -6.0;
    EqBand hp;
    hp.type = EqBandType::Highpass;
    hp.freq_hz = 40.0;
    hp.slope_db_oct = 18;
    st.eq = EqSpec{EqMode::Minimum, {hp}};
    s.stems.push_back(st);
    ExportSpec e;
    e.file_as_written = "out.wav";
    s.exports.push_back(e);
    const Session back = parse_ok(to_json(s), "/somewhere");
    ASSERT_EQ(back.stems.size(), 1u);
    EXPECT_EQ(back.sample_rate, 96000);
    EXPECT_EQ(back.stems[0].gain_db, -6.0);
    EXPECT_EQ(back.stems[0].file, std::filesystem::path("/somewhere/tone.wav"));
    EXPECT_TRUE(back.stems[0].eq == st.eq);
    EXPECT_EQ(back.exports[0].bit_depth, 24);
    EXPECT_EQ(back.exports[0].format, ExportFormat::Wav);
}

TEST(SessionBaseDir, ParserSetsAnAbsoluteBaseDir) {
    const char* text = R"({"format": "stemforge-session", "version": 1, "stems": [{"name": "a", "file": "a.wav"}]})";
    EXPECT_EQ(parse_ok(text, "/base").base_dir, std::filesystem::path("/base"));
    const Session rel = parse_ok(text, "rel/dir");
    EXPECT_TRUE(rel.base_dir.is_absolute()) << rel.base_dir;
    EXPECT_EQ(rel.base_dir, std::filesystem::current_path() / "rel/dir");
    EXPECT_EQ(rel.stems[0].file, std::filesystem::current_path() / "rel/dir/a.wav");
    EXPECT_EQ(parse_ok(text, "").base_dir, std::filesystem::current_path());

    // load_session: the session file's folder, absolute, even for a relative path.
    const auto dir = std::filesystem::temp_directory_path() / ("sf-basedir-" + std::to_string(::getpid()));
    std::filesystem::create_directories(dir / "sub");
    std::ofstream(dir / "sub/s.json") << text;
    auto loaded = load_session(dir / "sub/s.json");
    ASSERT_TRUE(loaded.has_value()) << loaded.error().message;
    EXPECT_EQ(loaded->base_dir, dir / "sub");
    EXPECT_EQ(loaded->stems[0].file, dir / "sub/a.wav");
    const auto cwd = std::filesystem::current_path();
    std::filesystem::current_path(dir);
    auto relative = load_session("sub/s.json");
    std::filesystem::current_path(cwd);
    ASSERT_TRUE(relative.has_value()) << relative.error().message;
    EXPECT_EQ(relative->base_dir, dir / "sub");
    EXPECT_EQ(relative->file, std::filesystem::path("sub/s.json"));
    std::filesystem::remove_all(dir);
}

// Expects a failure whose message starts "s.json: <path_and_rule>".
void expect_error(const std::string& text, const std::string& path_and_rule) {
    auto r = parse_session(text, "/base", "s.json");
    ASSERT_FALSE(r.has_value()) << "accepted: " << text;
    EXPECT_EQ(r.error().code, ErrorCode::InvalidSession);
    const std::string expected = "s.json: " + path_and_rule;
    EXPECT_EQ(r.error().message.substr(0, expected.size()), expected) << r.error().message;
}

std::string with(const std::string& top, const std::string& stem = "", const std::string& export_entry = "") {
    return R"({"format": "stemforge-session", )" + top + R"("stems": [{"name": "a", "file": "a.wav")" + stem + "}]" +
           (export_entry.empty() ? "" : R"(, "export": [)" + export_entry + "]") + "}";
}

TEST(SessionNumbers, FloatsThatFitNoIntegerKeyAreErrors) {
    expect_error(with(R"("version": 1e19, )"), "version: unsupported version 1e+19 (this build reads 1)");
    expect_error(with(R"("version": 18446744073709551615, )"), "version: unsupported version 1.84467e+19");
    expect_error(with(R"("version": -9.3e18, )"), "version: unsupported version -9.3e+18");
    expect_error(with(R"("version": 1.5, )"), "version: must be an integer, not a fraction");
    expect_error(with(R"("version": 1, "sample_rate": 1e300, )"), "sample_rate: must be within [8000, 384000]");
    expect_error(with(R"("version": 1, "sample_rate": -1e300, )"), "sample_rate: must be within [8000, 384000]");
    expect_error(with(R"("version": 1, )", "", R"({"file": "x.wav", "bit_depth": 24.5})"),
                 "export[0].bit_depth: must be an integer, not a fraction");
    expect_error(with(R"("version": 1, )", "", R"({"file": "x.wav", "bit_depth": 1e19})"), "export[0].bit_depth: must be 16, 24 or 32");
    expect_error(with(R"("version": 1, )", "", R"({"file": "x.wav", "sample_rate": 4.4e18})"),
                 "export[0].sample_rate: must be within [8000, 384000]");
    expect_error(with(R"("version": 1, )", R"(, "eq": {"bands": [{"type": "highpass", "freq_hz": 30, "slope_db_oct": 6e18}]})"),
                 "stems[0].eq.bands[0].slope_db_oct: must be a multiple of 6 within [6, 48]");
    // Integral floats within range are integers.
    auto ok = parse_session(with(R"("version": 1.0, "sample_rate": 44100.0, )", "", R"({"file": "x.wav", "bit_depth": 16.0})"),
                            "/base", "s.json");
    ASSERT_TRUE(ok.has_value()) << ok.error().message;
    EXPECT_EQ(ok->sample_rate, 44100);
    EXPECT_EQ(ok->exports[0].bit_depth, 16);
}

TEST(SessionNumbers, ALiteralBeyondDoubleIsAnErrorNamingThePath) {
    expect_error(with(R"("version": 1, "sample_rate": 1e309, )"), "sample_rate: number 1e309 is out of range");
    expect_error(with(R"("version": 1, )", R"(, "gain_db": -1e309)"), "stems[0].gain_db: number -1e309 is out of range");
    expect_error(with(R"("version": 1, )", R"(, "automation": {"gain_db": [[0, 0], [1e400, 0]]})"),
                 "stems[0].automation.gain_db[1][0]: number 1e400 is out of range");
    expect_error(with(R"("version": 1, )", "", R"({"file": "x.wav"}, {"file": "y.wav", "bit_depth": 1e309})"),
                 "export[1].bit_depth: number 1e309 is out of range");
    expect_error("1e309", "(top level): number 1e309 is out of range");
    // Syntax errors keep their line and column.
    expect_error("{\"format\": \"stemforge-session\",\n \"version\": 1,,}", "malformed JSON: parse error at line 2");
}

}  // namespace
}  // namespace sf
