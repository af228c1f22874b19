// Determinism (issue 17): the CPU render is bit-identical for every
// `--threads N` (N = 1, 2, 3, 7: more threads than this machine has cores
// too), on a session that uses every stage; a GPU render is bit-identical
// run to run on one device (lavapipe here).
#include <map>

#include "tests/e2e/e2e_support.h"

namespace sf::test {
namespace {

namespace fs = std::filesystem;
using nlohmann::json;

constexpr int kRate = 48000;

// Every stage: stems at two rates (one resampled), EQ in both modes, a
// compressor keyed by another stem through a sidechain EQ, chorus, width,
// gain/pan/width/send automation, pre- and post-fader sends, fades, offset
// and polarity; a delay bus (tempo note, ping-pong, filtered feedback) into
// a reverb bus with EQ, compressor, width and fader automation; a master
// with EQ, multiband, width, limiter and a loudness target; exports in
// dithered 16-bit, shaped 24-bit FLAC at 44.1 kHz and float.
fs::path write_every_stage_session(const TempDir& dir, double seconds) {
    const auto n = static_cast<int64_t>(seconds * kRate);
    write_wav(dir / "kick.wav", sine(1, n, kRate, 55.0, 0.6), kRate, 24);
    write_wav(dir / "bass.wav", lowpassed_noise(2, n, 3, 0.2), kRate, 24);
    write_wav(dir / "keys.wav", sine(2, static_cast<int64_t>(seconds * 44100), 44100, 660.0, 0.3), 44100, 16);
    write_wav(dir / "hall.wav", noise(2, kRate / 3, 5, 0.05), kRate, 24);
    const json eq_lin = {{"mode", "linear"},
                         {"bands", {{{"type", "highpass"}, {"freq_hz", 30}, {"slope_db_oct", 24}},
                                    {{"type", "bell"}, {"freq_hz", 400}, {"gain_db", -3}, {"q", 1.2}}}}};
    const json eq_min = {{"mode", "minimum"}, {"bands", {{{"type", "highshelf"}, {"freq_hz", 6000}, {"gain_db", 2}, {"q", 0.7}}}}};
    json s = session_with({
        {{"name", "kick"}, {"file", "kick.wav"}, {"eq", eq_lin}, {"fade_in_s", 0.01}, {"sends", {{{"bus", "echo"}, {"level_db", -9}, {"pre_fader", true}}}}},
        {{"name", "bass"},
         {"file", "bass.wav"},
         {"offset_s", 0.05},
         {"polarity_invert", true},
         {"eq", eq_min},
         {"compressor", {{"threshold_db", -24}, {"ratio", 4}, {"sidechain", "kick"}, {"sidechain_eq", {{"bands", {{{"type", "lowpass"}, {"freq_hz", 150}}}}}}}},
         {"chorus", {{"rate_hz", 0.7}, {"depth_ms", 2}, {"delay_ms", 8}, {"voices", 3}}},
         {"width", 1.4},
         {"automation", {{"gain_db", {{0.0, -6.0}, {seconds / 2, 0.0}}}, {"pan", {{0.0, -0.5}, {seconds, 0.5}}}, {"width", {{0.0, 1.0}, {seconds, 2.0}}}}},
         {"sends", {{{"bus", "verb"}, {"level_db", -12}}}}},
        {{"name", "keys"},
         {"file", "keys.wav"},
         {"fade_out_s", 0.3},
         {"sends", {{{"bus", "verb"}, {"level_db", -6}}}},
         {"automation", {{"send_db", {{"verb", {{0.0, -20.0}, {1.0, 0.0}}}}}}}},
    });
    s["tempo_bpm"] = 120;
    s["buses"] = json::array({
        {{"name", "echo"}, {"delay", {{"note", "1/8d"}, {"feedback", 0.4}, {"pingpong", true}, {"lowcut_hz", 200}, {"highcut_hz", 5000}}}, {"output", "verb"}},
        {{"name", "verb"},
         {"reverb", {{"ir", "hall.wav"}, {"predelay_ms", 12}}},
         {"eq", eq_min},
         {"compressor", {{"threshold_db", -30}, {"ratio", 2}}},
         {"width", 1.2},
         {"automation", {{"gain_db", {{0.0, -3.0}, {seconds, 0.0}}}}}},
    });
    json master;
    master["eq"] = eq_lin;
    master["multiband"] = {{"crossovers_hz", {200, 2000}},
                           {"bands", json::array({{{"threshold_db", -24}}, {{"threshold_db", -20}}, {{"threshold_db", -18}}})}};
    master["width"] = 1.1;
    master["limiter"] = {{"ceiling_dbtp", -1.0}};
    master["loudness_target_lufs"] = -16.0;
    s["master"] = master;
    s["export"] = json::array({{{"file", "out/master.wav"}, {"bit_depth", 16}, {"dither", "tpdf"}},
                               {{"file", "out/master.flac"}, {"bit_depth", 24}, {"dither", "tpdf-shaped"}, {"sample_rate", 44100}},
                               {{"file", "out/master-float.wav"}, {"bit_depth", 32}}});
    write_text(dir / "session.json", s.dump());
    return dir / "session.json";
}

std::map<std::string, std::string> outputs_of(const fs::path& out) {
    std::map<std::string, std::string> bytes;
    for (const char* f : {"master.wav", "master.flac", "master-float.wav"}) bytes[f] = read_text(out / f);
    return bytes;
}

TEST(DeterminismE2E, CpuRenderIsBitIdenticalForEveryThreadCount) {
    TempDir dir;
    const fs::path session = write_every_stage_session(dir, 3.0);
    std::map<std::string, std::string> first;
    for (int threads : {1, 2, 3, 7}) {
        auto r = run_stemforge({"render", session.string(), "--backend", "cpu", "--threads", std::to_string(threads)});
        ASSERT_EQ(r.exit_code, 0) << "--threads " << threads << ": " << r.err;
        const auto now = outputs_of(dir / "out");
        for (const auto& [f, b] : now) ASSERT_GT(b.size(), 1000u) << f;
        if (first.empty()) {
            first = now;
            continue;
        }
        for (const auto& [f, b] : now) EXPECT_TRUE(b == first.at(f)) << f << " differs between --threads 1 and --threads " << threads;
    }
    // And without --threads (every core).
    auto r = run_stemforge({"render", session.string(), "--backend", "cpu"});
    ASSERT_EQ(r.exit_code, 0) << r.err;
    for (const auto& [f, b] : outputs_of(dir / "out")) EXPECT_TRUE(b == first.at(f)) << f;
}

TEST(DeterminismE2E, GpuRenderIsBitIdenticalRunToRunOnOneDevice) {
    TempDir dir;
    const fs::path session = write_every_stage_session(dir, 1.5);
    auto a = run_stemforge({"render", session.string(), "--backend", "gpu", "--json"});
    ASSERT_EQ(a.exit_code, 0) << a.err;
    EXPECT_EQ(json::parse(a.out)["backend"], "gpu");
    const auto first = outputs_of(dir / "out");
    auto b = run_stemforge({"render", session.string(), "--backend", "gpu"});
    ASSERT_EQ(b.exit_code, 0) << b.err;
    for (const auto& [f, bytes] : outputs_of(dir / "out")) EXPECT_TRUE(bytes == first.at(f)) << f << " differs run to run on the GPU";
}

}  // namespace
}  // namespace sf::test
