// `stemforge bench mix` end to end through the real binary, on a tiny
// instance (4 stems x 3 s): the report's keys with and without FFmpeg, the
// target per session (1.5x plain, 5x with --effects), and that the
// --effects session it wrote parses and holds every issue-13 stage (delay
// buses, chorus, width, automation lanes, a keyed compressor) while the plain
// one holds none of them. The FFmpeg graph must run and use its stand-ins
// for those stages (app/bench_session.h).
#include <gtest/gtest.h>

#include <algorithm>
#include <cmath>
#include <cstdlib>
#include <numbers>

#include "engine/audio/audio_file.h"
#include "tests/e2e/e2e_support.h"

namespace sf::test {
namespace {

constexpr int kStems = 4;
constexpr double kDurationS = 3.0;

bool have_ffmpeg() { return std::system("ffmpeg -version >/dev/null 2>&1") == 0; }

CommandResult bench(const TempDir& dir, std::vector<std::string> extra) {
    std::vector<std::string> args = {"bench", "mix", "--stems", std::to_string(kStems), "--duration", "3", "--dir", dir.path().string(), "--json"};
    args.insert(args.end(), extra.begin(), extra.end());
    return run_stemforge(args);
}

// The keys every report has, whichever session ran.
void expect_cpu_keys(const nlohmann::json& j, bool effects) {
    EXPECT_EQ(j["mode"], "mix");
    EXPECT_EQ(j["effects"], effects);
    EXPECT_EQ(j["stems"], kStems);
    EXPECT_DOUBLE_EQ(j["duration_s"].get<double>(), kDurationS);
    ASSERT_TRUE(j["cpu"].is_array());
    ASSERT_FALSE(j["cpu"].empty());
    for (const auto& run : j["cpu"]) {
        EXPECT_GE(run["threads"].get<int>(), 1);
        EXPECT_GT(run["wall_s"].get<double>(), 0.0);
        EXPECT_NEAR(run["x_realtime"].get<double>(), kDurationS / run["wall_s"].get<double>(), 1e-9);
        EXPECT_TRUE(run["timing"].is_object());
    }
    EXPECT_NEAR(j["cpu_x_realtime"].get<double>(), j["cpu"].back()["x_realtime"].get<double>(), 1e-9);
}

void expect_ffmpeg_keys(const nlohmann::json& j, double target) {
    ASSERT_TRUE(j.contains("ffmpeg")) << j.dump();
    const double wall = j["ffmpeg"]["wall_s"].get<double>();
    EXPECT_GT(wall, 0.0);
    EXPECT_NEAR(j["ffmpeg"]["x_realtime"].get<double>(), kDurationS / wall, 1e-9);
    EXPECT_GE(j["ffmpeg"]["threads"].get<int>(), 1);
    const double ratio = j["ratio_cpu_vs_ffmpeg"].get<double>();
    EXPECT_NEAR(ratio, wall / j["cpu"].back()["wall_s"].get<double>(), 1e-9);
    EXPECT_EQ(j["target_ratio"].get<double>(), target);
    EXPECT_EQ(j["target_met"].get<bool>(), ratio >= target);
}

void expect_no_ffmpeg_keys(const nlohmann::json& j) {
    for (const char* key : {"ffmpeg", "ratio_cpu_vs_ffmpeg", "target_ratio", "target_met"}) EXPECT_FALSE(j.contains(key)) << key;
}

// Every issue-13 stage of the --effects session (app/bench_session.h), read
// back through the session parser. Stems 0, 1, 3 are mono, stem 2 stereo.
void expect_every_new_stage(const Session& s) {
    ASSERT_EQ(s.stems.size(), static_cast<size_t>(kStems));
    ASSERT_TRUE(s.tempo_bpm.has_value());
    EXPECT_EQ(*s.tempo_bpm, 120.0);
    int delay_buses = 0;
    bool timed = false, noted_pingpong = false;
    for (const BusSpec& b : s.buses) {
        if (!b.delay) continue;
        ++delay_buses;
        EXPECT_GE(b.delay->feedback, 0.3) << b.name;
        EXPECT_LE(b.delay->feedback, 0.45) << b.name;
        if (b.delay->time_ms == 375.0 && b.delay->lowcut_hz > 0.0 && b.delay->highcut_hz > b.delay->lowcut_hz) timed = true;
        if (b.delay->note == "1/8d" && b.delay->pingpong) noted_pingpong = true;
        EXPECT_NEAR(*delay_time_s(*b.delay, s.tempo_bpm), 0.375, 1e-12) << b.name << ": 1/8 dotted at 120 bpm";
    }
    EXPECT_EQ(delay_buses, 2);
    EXPECT_TRUE(timed) << "a 375 ms delay with lowcut and highcut";
    EXPECT_TRUE(noted_pingpong) << "a 1/8d pingpong delay";
    for (size_t i = 0; i < s.stems.size(); ++i) {
        const StemSpec& st = s.stems[i];
        const bool stereo = i % 3 == 2;
        ASSERT_EQ(st.sends.size(), 2u) << st.name;
        const BusSpec* delay_bus = s.find_bus(st.sends[1].bus);
        ASSERT_NE(delay_bus, nullptr) << st.name;
        EXPECT_TRUE(delay_bus->delay.has_value()) << st.name << ": the second send feeds a delay bus";
        EXPECT_FALSE(st.sends[1].pre_fader) << st.name;
        EXPECT_EQ(st.chorus.has_value(), i % 8 == 2) << st.name;
        EXPECT_EQ(st.width.has_value(), stereo) << st.name;
        if (stereo) {
            EXPECT_EQ(*st.width, 1.3) << st.name;
        }
        EXPECT_GE(st.automation.gain_db.size(), 3u) << st.name;
        EXPECT_EQ(st.automation.gain_db.back().time_s, kDurationS) << st.name << ": breakpoints over the duration";
        EXPECT_EQ(!st.automation.pan.empty(), !stereo) << st.name << ": pan automation on the mono stems";
        const AutomationLane* send_lane = st.automation.send(st.sends[1].bus);
        EXPECT_EQ(send_lane != nullptr && !send_lane->empty(), i % 4 == 0) << st.name;
    }
    const StemSpec& bass = s.stems[1];
    EXPECT_EQ(bass.name, "bass");
    ASSERT_TRUE(bass.compressor.has_value());
    EXPECT_EQ(bass.compressor->sidechain, s.stems[0].name);
    ASSERT_TRUE(bass.compressor->sidechain_eq.has_value());
    ASSERT_EQ(bass.compressor->sidechain_eq->bands.size(), 1u);
    EXPECT_EQ(bass.compressor->sidechain_eq->bands[0].type, EqBandType::Lowpass);
    EXPECT_EQ(bass.compressor->sidechain_eq->bands[0].freq_hz, 150.0);
}

// A lane at time t by its definition (session-format.md, "Automation"):
// linear between breakpoints, ends held, the later of two points at one time
// from that time on.
double lane_at(const AutomationLane& lane, double t) {
    if (t < lane.front().time_s) return lane.front().value;
    for (size_t k = lane.size() - 1; k > 0; --k) {
        const AutomationPoint &a = lane[k - 1], &b = lane[k];
        if (t >= b.time_s) return b.value;
        if (t >= a.time_s) return a.value + (b.value - a.value) * (t - a.time_s) / (b.time_s - a.time_s);
    }
    return lane.front().value;
}

// The volume expression the graph gives the chain starting at `label`, run by
// FFmpeg on a constant 1 (aevalsrc, 1024-frame blocks: eval=frame holds each
// block's value from its first frame), against the oracle's gain at each
// block start. FFmpeg applies the gain in float: 1e-5 relative.
template <class Gain>
void expect_volume_follows(const std::string& graph, const std::string& label, Gain oracle) {
    const std::string head = label + "volume=volume='";
    const size_t at = graph.find(head);
    ASSERT_NE(at, std::string::npos) << head << " in " << graph;
    const size_t begin = at + head.size(), end = graph.find("'", begin);
    ASSERT_NE(end, std::string::npos);
    TempDir dir;
    const std::string filter = "volume=volume='" + graph.substr(begin, end - begin) + "':eval=frame";
    auto r = run_command({"ffmpeg", "-nostdin", "-hide_banner", "-loglevel", "error", "-f", "lavfi", "-i", "aevalsrc=1:s=48000:d=3:n=1024",
                          "-af", filter, "-c:a", "pcm_f32le", (dir / "gain.wav").string()});
    ASSERT_EQ(r.exit_code, 0) << r.err;
    int rate = 0;
    const AudioBuffer gain = read_audio(dir / "gain.wav", &rate);
    ASSERT_EQ(rate, 48000);
    ASSERT_EQ(gain.frames(), 3 * 48000);
    double worst = 0.0;
    for (int64_t n = 0; n < gain.frames(); ++n) {
        const double want = oracle(static_cast<double>(n / 1024 * 1024) / rate);
        worst = std::max(worst, std::abs(gain.channel(0)[n] - want) / want);
    }
    EXPECT_LT(worst, 1e-5) << label << ": " << filter;
}

TEST(BenchMixE2E, EffectsWithFfmpegReportsTheRatioAgainstFiveX) {
    ASSERT_TRUE(have_ffmpeg()) << "ffmpeg is not on PATH (scripts/install-deps.sh installs it)";
    TempDir dir;
    auto r = bench(dir, {"--effects"});
    ASSERT_EQ(r.exit_code, 0) << r.err;
    const auto j = nlohmann::json::parse(r.out);
    expect_cpu_keys(j, true);
    expect_ffmpeg_keys(j, 5.0);
    auto session = load_session(dir / "bench.json");
    ASSERT_TRUE(session.has_value()) << session.error().message;
    expect_every_new_stage(*session);

    // The graph ran its stand-in for each stage...
    const std::string graph = read_text(dir / "out/ffmpeg_graph.txt");
    for (const char* filter : {"eval=frame", "chorus=", "stereotools=slev=1.3", "sidechaincompress=", "aecho=", "lowpass=f=150",
                               "join=inputs=2", "highpass=f=200", "lowpass=f=6000"})
        EXPECT_NE(graph.find(filter), std::string::npos) << filter << " in " << graph;
    // The automation stand-ins follow the lanes: stem 0's clip gain, its pan
    // law (left side, with the fader) and its delay send (a step at 0.4 of
    // the duration).
    const StemSpec& kick = session->stems[0];
    expect_volume_follows(graph, "[0:a]", [&](double t) { return std::pow(10.0, lane_at(kick.automation.gain_db, t) / 20.0); });
    expect_volume_follows(graph, "[pl0]", [&](double t) {
        return std::pow(10.0, kick.gain_db / 20.0) * std::cos((lane_at(kick.automation.pan, t) + 1.0) * std::numbers::pi / 4.0);
    });
    expect_volume_follows(graph, "[s0_1]", [&](double t) {
        return std::pow(10.0, (kick.sends[1].level_db + lane_at(*kick.automation.send(kick.sends[1].bus), t)) / 20.0);
    });
    // ...and wrote a mix that is not silent and carries the delays' tails
    // (repeats until -120 dB: well past the 3-s stems).
    int rate = 0;
    const AudioBuffer mix = read_audio(dir / "out/ffmpeg.wav", &rate);
    ASSERT_EQ(mix.channels(), 2);
    EXPECT_GT(static_cast<double>(mix.frames()) / rate, kDurationS + 2.0);
    EXPECT_GT(peak_dbfs(mix.channel(0), mix.frames()), -40.0);
    EXPECT_GT(peak_dbfs(mix.channel(1), mix.frames()), -40.0);
}

TEST(BenchMixE2E, EffectsWithoutFfmpegKeepsTheCpuKeys) {
    TempDir dir;
    auto r = bench(dir, {"--effects", "--no-ffmpeg"});
    ASSERT_EQ(r.exit_code, 0) << r.err;
    const auto j = nlohmann::json::parse(r.out);
    expect_cpu_keys(j, true);
    expect_no_ffmpeg_keys(j);
    auto session = load_session(dir / "bench.json");
    ASSERT_TRUE(session.has_value()) << session.error().message;
    expect_every_new_stage(*session);
}

TEST(BenchMixE2E, PlainSessionKeepsItsTargetAndNoNewStage) {
    ASSERT_TRUE(have_ffmpeg()) << "ffmpeg is not on PATH (scripts/install-deps.sh installs it)";
    TempDir dir;
    auto r = bench(dir, {"--no-scaling"});
    ASSERT_EQ(r.exit_code, 0) << r.err;
    const auto j = nlohmann::json::parse(r.out);
    expect_cpu_keys(j, false);
    expect_ffmpeg_keys(j, 1.5);
    EXPECT_FALSE(std::filesystem::exists(dir / "out/ffmpeg_graph.txt")) << "the plain graph stays inline";
    auto session = load_session(dir / "bench.json");
    ASSERT_TRUE(session.has_value()) << session.error().message;
    EXPECT_FALSE(session->tempo_bpm.has_value());
    for (const BusSpec& b : session->buses) EXPECT_FALSE(b.delay.has_value()) << b.name;
    for (const StemSpec& st : session->stems) {
        EXPECT_EQ(st.sends.size(), 1u) << st.name;
        EXPECT_TRUE(st.automation.empty()) << st.name;
        EXPECT_FALSE(st.chorus || st.width) << st.name;
        EXPECT_TRUE(!st.compressor || st.compressor->sidechain.empty()) << st.name;
    }
}

}  // namespace
}  // namespace sf::test
