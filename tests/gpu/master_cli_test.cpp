// The master chain on the GPU through the CLI: `render --backend gpu`
// masters on the GPU (every master stage's phase in gpu.gpu_time_s), and
// `--verify` compares the delivered masters of both backends (the CPU
// render replays the GPU's gain and ceiling): the residual within the
// compressor/limiter bound, the delivered loudness within 0.01 LU and the
// true peak within 0.02 dB. A master the GPU does not take (master fades)
// is mastered on the CPU, and the report says so.
#include <gtest/gtest.h>

#include <cmath>
#include <cstdio>
#include <filesystem>
#include <string>

#include <nlohmann/json.hpp>

#include "tests/support/test_support.h"

namespace sf::test {
namespace {

// Two stems and a master with every GPU stage: EQ, three bands with
// compressors and widths, width, mono below, balance, limiter, target.
std::filesystem::path write_master_session(const TempDir& dir, const std::string& extra_master = "") {
    std::filesystem::create_directories(dir / "stems");
    write_wav(dir / "stems/a.wav", noise(2, 96000, 41, 0.4), 48000);
    write_wav(dir / "stems/b.wav", sine(1, 90001, 48000, 110.0, 0.7), 48000);
    write_text(dir / "session.json", R"({
      "format": "stemforge-session", "version": 1, "sample_rate": 48000,
      "stems": [
        {"name": "a", "file": "stems/a.wav", "gain_db": -3},
        {"name": "b", "file": "stems/b.wav", "pan": -0.3, "offset_s": 0.05}
      ],
      "master": {)" + extra_master + R"(
        "eq": {"mode": "linear", "bands": [{"type": "highpass", "freq_hz": 30, "slope_db_oct": 12},
                                           {"type": "bell", "freq_hz": 2500, "gain_db": 2, "q": 1.0}]},
        "multiband": {"crossovers_hz": [150, 3000],
                      "bands": [{"threshold_db": -22, "ratio": 3, "attack_ms": 15, "release_ms": 150},
                                {"threshold_db": -20, "ratio": 2, "attack_ms": 8, "release_ms": 120, "width": 1.2},
                                {"threshold_db": -26, "ratio": 4, "attack_ms": 3, "release_ms": 80, "width": 1.4}]},
        "width": 1.1, "mono_below_hz": 120, "balance": 0.05,
        "limiter": {"ceiling_dbtp": -1.0, "release_ms": 60, "lookahead_ms": 5},
        "loudness_target_lufs": -12.0},
      "export": [{"file": "out/master.wav", "format": "wav", "bit_depth": 24, "dither": "none"}]
    })");
    return dir / "session.json";
}

TEST(GpuMasterCli, RenderMastersOnTheGpuAndVerifyComparesTheDeliveredMasters) {
    TempDir dir;
    const auto session = write_master_session(dir);
    auto r = run_stemforge({"render", session.string(), "--backend", "gpu", "--verify", "--json"});
    ASSERT_EQ(r.exit_code, 0) << r.err;
    const auto j = nlohmann::json::parse(r.out);
    EXPECT_EQ(j["backend"], "gpu");
    const auto& phases = j["gpu"]["gpu_time_s"];
    for (const char* p : {"master_eq", "master_multiband", "master_stereo", "master_limiter", "master_meter", "master_sum"})
        EXPECT_TRUE(phases.contains(p)) << "gpu.gpu_time_s lacks " << p << ": " << phases.dump();
    bool on_gpu = false;
    for (const auto& d : j["master"]["decisions"]) on_gpu |= d.get<std::string>().find("on the gpu") != std::string::npos;
    EXPECT_TRUE(on_gpu) << j["master"]["decisions"].dump();
    const auto& v = j["verify"];
    ASSERT_TRUE(v["residual_peak_dbfs"].is_number()) << v.dump();
    EXPECT_LE(v["residual_peak_dbfs"].get<double>(), -90.0);
    EXPECT_LE(v["residual_rms_dbfs"].get<double>(), -110.0);
    ASSERT_TRUE(v["integrated_lufs_difference_lu"].is_number()) << v.dump();
    EXPECT_LE(std::abs(v["integrated_lufs_difference_lu"].get<double>()), 0.01);
    EXPECT_LE(std::abs(v["true_peak_difference_db"].get<double>()), 0.02);
    EXPECT_NEAR(v["integrated_lufs"].get<double>(), -12.0, 0.1);
    EXPECT_LE(v["true_peak_dbtp"].get<double>(), -1.0);
    std::printf("[ measured ] master on the GPU, --verify: residual peak %.1f dBFS, RMS %.1f dBFS, loudness %+.2e LU, true peak %+.2e dB\n",
                v["residual_peak_dbfs"].get<double>(), v["residual_rms_dbfs"].get<double>(), v["integrated_lufs_difference_lu"].get<double>(),
                v["true_peak_difference_db"].get<double>());
}

// The limiter's gain reduction over time, recorded by the GPU's apply
// kernel, against the CPU master's: each loudness loop lands within its
// tolerance of the target, so the two gains into the limiter differ a
// little, and a bucket's reduction by no more than that difference.
TEST(GpuMasterCli, GainReductionOverTimeMatchesTheCpuMaster) {
    TempDir dir;
    const auto session = write_master_session(dir);
    {   // loud enough that the limiter works in most buckets
        auto s = nlohmann::json::parse(read_text(session));
        s["master"]["loudness_target_lufs"] = -7.0;
        write_text(session, s.dump(1));
    }
    auto gpu = run_stemforge({"render", session.string(), "--backend", "gpu", "--json"});
    ASSERT_EQ(gpu.exit_code, 0) << gpu.err;
    auto cpu = run_stemforge({"render", session.string(), "--backend", "cpu", "--json"});
    ASSERT_EQ(cpu.exit_code, 0) << cpu.err;
    const auto g = nlohmann::json::parse(gpu.out)["master"], c = nlohmann::json::parse(cpu.out)["master"];
    ASSERT_TRUE(g["gain_reduction_db_over_time"].is_array()) << g.dump();
    const auto& gs = g["gain_reduction_db_over_time"];
    const auto& cs = c["gain_reduction_db_over_time"];
    ASSERT_EQ(gs.size(), cs.size());
    ASSERT_EQ(gs.size(), static_cast<size_t>(std::ceil(96000.0 / 4800.0)));   // the longer stem: 2 s in 0.1 s buckets
    EXPECT_EQ(g["gain_reduction_bucket_s"].get<double>(), 0.1);
    // The two loops' gains into the limiter differ by the loop's tolerance at most.
    const double dgain = std::abs(g["gain_db"].get<double>() - c["gain_db"].get<double>());
    double worst = 0.0, deepest = 0.0;
    int limited = 0;
    for (size_t k = 0; k < gs.size(); ++k) {
        const double a = gs[k].get<double>(), b = cs[k].get<double>();
        worst = std::max(worst, std::abs(a - b));
        deepest = std::max(deepest, a);
        limited += a > 0.0;
    }
    std::printf("[ measured ] GR over time, %zu buckets (%d limited, deepest %.2f dB): GPU - CPU worst %.4f dB, gains %.4f dB apart\n", gs.size(),
                limited, deepest, worst, dgain);
    EXPECT_GE(limited, static_cast<int>(gs.size()) / 2) << "the session is limited in most buckets";
    EXPECT_NEAR(deepest, g["limiter"]["max_gain_reduction_db"].get<double>(), 0.01) << "the series' maximum is the limiter's";
    EXPECT_LE(worst, dgain + 0.01);
}

TEST(GpuMasterCli, AMasterWithFadesIsMasteredOnTheCpuAndSaysSo) {
    TempDir dir;
    const auto session = write_master_session(dir, R"("fade_in_s": 0.2,)");
    auto r = run_stemforge({"render", session.string(), "--backend", "gpu", "--json"});
    ASSERT_EQ(r.exit_code, 0) << r.err;
    const auto j = nlohmann::json::parse(r.out);
    bool said = false;
    for (const auto& d : j["master"]["decisions"]) said |= d.get<std::string>().find("on the CPU, not the gpu (master fades") != std::string::npos;
    EXPECT_TRUE(said) << j["master"]["decisions"].dump();
    EXPECT_FALSE(j["gpu"]["gpu_time_s"].contains("master_limiter")) << "nothing of the master ran on the GPU";
}

}  // namespace
}  // namespace sf::test
