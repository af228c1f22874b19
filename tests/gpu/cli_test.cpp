// The GPU backend through the CLI: --backend gpu/auto, --verify, and the
// fault paths (no driver, out of device memory, a device lost mid-render) — a clear one-line error or
// a logged fallback, and never a partial output file.
#include <gtest/gtest.h>

#include <cmath>
#include <cstdio>
#include <cstdlib>
#include <filesystem>

#include <nlohmann/json.hpp>

#include "tests/support/test_support.h"

namespace sf::test {
namespace {

// A small session: three stems (mono and stereo), pans, fades, automation,
// linear- and minimum-phase stem EQ (graph latency the renderer drops) and
// compressors.
std::filesystem::path write_session(const TempDir& dir) {
    std::filesystem::create_directories(dir / "stems");
    write_wav(dir / "stems/a.wav", noise(1, 12001, 11, 0.5), 48000);
    write_wav(dir / "stems/b.wav", sine(2, 20011, 48000, 441.0, 0.4), 48000);
    write_wav(dir / "stems/c.wav", noise(2, 7919, 12, 0.3), 44100);  // resampled on open
    write_text(dir / "session.json", R"({
      "format": "stemforge-session", "version": 1, "sample_rate": 48000,
      "stems": [
        {"name": "a", "file": "stems/a.wav", "pan": -0.4, "gain_db": -3, "fade_in_s": 0.01,
         "automation": {"gain_db": [[0.05, 0], [0.2, -12]]},
         "eq": {"mode": "linear", "bands": [{"type": "highpass", "freq_hz": 150, "slope_db_oct": 12}]}},
        {"name": "b", "file": "stems/b.wav", "pan": 0.7, "polarity_invert": true, "offset_s": 0.013, "fade_out_s": 0.05,
         "compressor": {"threshold_db": -20, "ratio": 4, "attack_ms": 2, "release_ms": 40}},
        {"name": "c", "file": "stems/c.wav", "gain_db": 2.5, "offset_s": 0.1,
         "eq": {"mode": "minimum", "bands": [{"type": "bell", "freq_hz": 2000, "gain_db": 4, "q": 1.2}]},
         "compressor": {"threshold_db": -24, "ratio": 3, "detector": "rms"}}
      ],
      "export": [{"file": "out/master.wav", "format": "wav", "bit_depth": 32}]
    })");
    return dir / "session.json";
}

// A whole session of every kind of node: stems with EQ, compressors and
// sends (pre and post fader), a stem into a bus, a bus into a bus, a
// true-stereo reverb bus with predelay, bus EQ and compressor, and a master
// chain with a loudness target; `seconds` long.
std::filesystem::path write_full_session(const TempDir& dir, double seconds) {
    std::filesystem::create_directories(dir / "stems");
    const int64_t n = static_cast<int64_t>(seconds * 48000);
    write_wav(dir / "stems/drums.wav", noise(2, n, 21, 0.5), 48000);
    write_wav(dir / "stems/bass.wav", sine(1, n, 48000, 55.0, 0.6), 48000);
    write_wav(dir / "stems/keys.wav", sine(2, n - 4801, 44100, 330.0, 0.3), 44100);
    AudioBuffer ir = noise(4, 12000, 22, 0.3);
    for (int c = 0; c < 4; ++c)
        for (int64_t i = 0; i < ir.frames(); ++i) ir.channel(c)[i] *= static_cast<float>(std::exp(-5.0 * static_cast<double>(i) / 12000.0));
    write_wav(dir / "hall.wav", ir, 48000);
    write_text(dir / "session.json", R"({
      "format": "stemforge-session", "version": 1, "sample_rate": 48000,
      "stems": [
        {"name": "drums", "file": "stems/drums.wav", "gain_db": -4, "output": "band",
         "compressor": {"threshold_db": -18, "ratio": 4, "attack_ms": 3, "release_ms": 80},
         "sends": [{"bus": "hall", "level_db": -12}]},
        {"name": "bass", "file": "stems/bass.wav", "pan": -0.2, "output": "band",
         "eq": {"mode": "linear", "bands": [{"type": "highpass", "freq_hz": 35, "slope_db_oct": 24}]}},
        {"name": "keys", "file": "stems/keys.wav", "pan": 0.4, "offset_s": 0.25, "gain_db": -2,
         "eq": {"mode": "minimum", "bands": [{"type": "bell", "freq_hz": 800, "gain_db": -3, "q": 1.4}]},
         "sends": [{"bus": "hall", "level_db": -8, "pre_fader": true}]}
      ],
      "buses": [
        {"name": "band", "gain_db": -1, "output": "glue",
         "eq": {"mode": "linear", "bands": [{"type": "highshelf", "freq_hz": 8000, "gain_db": 2}]}},
        {"name": "hall", "gain_db": -6, "reverb": {"ir": "hall.wav", "predelay_ms": 12, "wet_db": -3}},
        {"name": "glue", "compressor": {"threshold_db": -20, "ratio": 2, "attack_ms": 10, "release_ms": 150, "detector": "rms"}}
      ],
      "master": {"limiter": {"ceiling_dbtp": -1.0}, "loudness_target_lufs": -16.0},
      "export": [{"file": "out/master.wav", "format": "wav", "bit_depth": 24, "dither": "none"}]
    })");
    return dir / "session.json";
}

class ScopedEnv {
public:
    ScopedEnv(const char* name, const char* value) : name_(name) {
        if (const char* old = std::getenv(name)) old_ = old;
        ::setenv(name, value, 1);
    }
    ~ScopedEnv() {
        if (old_.empty()) ::unsetenv(name_);
        else ::setenv(name_, old_.c_str(), 1);
    }
private:
    const char* name_;
    std::string old_;
};

TEST(GpuCli, RenderOnTheGpuWithVerifyReportsTheResidual) {
    TempDir dir;
    const auto session = write_session(dir);
    auto r = run_stemforge({"render", session.string(), "--backend", "gpu", "--verify", "--json"});
    ASSERT_EQ(r.exit_code, 0) << r.err;
    const auto j = nlohmann::json::parse(r.out);
    EXPECT_EQ(j["backend"], "gpu");
    EXPECT_EQ(j["verify"]["backend"], "cpu");
    // GPU memory held and moved is reported, and per-phase GPU time where the device has timestamps.
    EXPECT_GT(j["gpu"]["device_bytes"].get<double>(), 0.0) << r.out;
    EXPECT_GT(j["gpu"]["bytes_uploaded"].get<double>(), 0.0) << r.out;
    EXPECT_GE(j["gpu"]["submissions"].get<double>(), 1.0) << r.out;
    EXPECT_TRUE(j["gpu"]["gpu_time_s"].is_object()) << r.out;
    // Full-render bounds of issue 5 (null = bit-identical, -inf dBFS).
    if (!j["verify"]["residual_peak_dbfs"].is_null()) {
        EXPECT_LE(j["verify"]["residual_peak_dbfs"].get<double>(), -90.0);
    }
    if (!j["verify"]["residual_rms_dbfs"].is_null()) {
        EXPECT_LE(j["verify"]["residual_rms_dbfs"].get<double>(), -110.0);
    }
    EXPECT_TRUE(j["verify"].contains("residual_peak_dbfs") && j["verify"].contains("residual_rms_dbfs"));
    std::printf("gpu --verify: residual peak %s dBFS, rms %s dBFS\n", j["verify"]["residual_peak_dbfs"].dump().c_str(),
                j["verify"]["residual_rms_dbfs"].dump().c_str());
    EXPECT_TRUE(std::filesystem::exists(dir / "out/master.wav"));
}

TEST(GpuCli, FullSessionWithBusesAndMasterVerifies) {
    // Issue 5's full-render bounds on a whole session: every node kind on the
    // GPU, then the CPU master chain, against the CPU render of the same session.
    TempDir dir;
    const auto session = write_full_session(dir, 3.0);
    auto r = run_stemforge({"render", session.string(), "--backend", "gpu", "--verify", "--json"});
    ASSERT_EQ(r.exit_code, 0) << r.err;
    const auto j = nlohmann::json::parse(r.out);
    EXPECT_EQ(j["backend"], "gpu");
    ASSERT_TRUE(j["verify"]["residual_peak_dbfs"].is_number()) << "two renders on different hardware are not bit-identical";
    EXPECT_LE(j["verify"]["residual_peak_dbfs"].get<double>(), -90.0);
    EXPECT_LE(j["verify"]["residual_rms_dbfs"].get<double>(), -110.0);
    ASSERT_EQ(j["master"]["delivered"].size(), 1u) << r.out;
    EXPECT_LE(std::abs(j["master"]["delivered"][0]["target_error_lu"].get<double>()), 0.1) << r.out;
    std::printf("full session gpu --verify: residual peak %.1f dBFS, rms %.1f dBFS\n", j["verify"]["residual_peak_dbfs"].get<double>(),
                j["verify"]["residual_rms_dbfs"].get<double>());
}

TEST(GpuCli, GpuMemoryDoesNotGrowWithSessionLength) {
    // Streaming: the GPU holds chunk-sized buffers and stage state, never the
    // session; a 12× longer session needs exactly the same device memory.
    // (The master chain's resident pre-chain output, which does grow with
    // the length, is released when the master step ends: gpu/master.)
    TempDir short_dir, long_dir;
    auto a = run_stemforge({"render", write_full_session(short_dir, 1.0).string(), "--backend", "gpu", "--json"});
    auto b = run_stemforge({"render", write_full_session(long_dir, 12.0).string(), "--backend", "gpu", "--json"});
    ASSERT_EQ(a.exit_code, 0) << a.err;
    ASSERT_EQ(b.exit_code, 0) << b.err;
    const auto ja = nlohmann::json::parse(a.out), jb = nlohmann::json::parse(b.out);
    // 12 s are nine 64k-frame chunks (plus tails and the pipeline's block); 1 s fits in one.
    EXPECT_GE(jb["gpu"]["submissions"].get<double>(), ja["gpu"]["submissions"].get<double>() + 6) << "several chunks were streamed";
    EXPECT_EQ(ja["gpu"]["device_bytes"], jb["gpu"]["device_bytes"]);
}

TEST(GpuCli, DeviceLostMidRenderLeavesNoOutputAndAutoFallsBack) {
    TempDir dir;
    const auto session = write_full_session(dir, 8.0);  // six 64k-frame chunks
    std::filesystem::create_directories(dir / "out");
    write_text(dir / "out/master.wav", "an older render");
    // On lavapipe (unified memory) prepare submits nothing and each 64k-frame
    // chunk is one submission: the fourth chunk fails, mid-render. (A discrete
    // GPU also submits its stage tables in prepare: there it fails earlier.)
    ScopedEnv fault("STEMFORGE_GPU_FAULT_LOSE_DEVICE_AFTER", "3");
    auto r = run_stemforge({"render", session.string(), "--backend", "gpu"});
    EXPECT_EQ(r.exit_code, 4) << r.err;  // kDevice
    EXPECT_EQ(r.err.rfind("stemforge: error: ", 0), 0u) << r.err;
    EXPECT_NE(r.err.find("VK_ERROR_DEVICE_LOST"), std::string::npos) << r.err;
    EXPECT_EQ(std::count(r.err.begin(), r.err.end(), '\n'), 1) << r.err;
    EXPECT_TRUE(read_text(dir / "out/master.wav") == "an older render") << "an existing output is never half-overwritten";
    size_t files = 0;
    for ([[maybe_unused]] const auto& e : std::filesystem::directory_iterator(dir / "out")) ++files;
    EXPECT_EQ(files, 1u) << "no temporary file left";

    ScopedEnv soft("STEMFORGE_GPU_ALLOW_SOFTWARE", "1");  // let auto pick lavapipe
    auto a = run_stemforge({"render", session.string(), "--backend", "auto", "--json"});
    ASSERT_EQ(a.exit_code, 0) << a.err;
    EXPECT_NE(a.err.find("GPU render failed"), std::string::npos) << a.err;
    EXPECT_EQ(nlohmann::json::parse(a.out)["backend"], "cpu");
    EXPECT_TRUE(read_text(dir / "out/master.wav") != "an older render") << "the CPU render replaced it";

    // --verify after such a fallback: nothing to compare with, said so; the render stands.
    auto v = run_stemforge({"render", session.string(), "--backend", "auto", "--verify", "--json"});
    ASSERT_EQ(v.exit_code, 0) << v.err;
    EXPECT_NE(v.err.find("--verify skipped"), std::string::npos) << v.err;
    const auto jv = nlohmann::json::parse(v.out);
    EXPECT_TRUE(jv["verify"].contains("skipped")) << v.out;
    EXPECT_TRUE(jv["verify"]["residual_peak_dbfs"].is_null());
}

TEST(GpuCli, HungGpuTimesOutCleanlyAndAutoFallsBack) {
    // The third submission hangs (queued behind an event only the process's
    // teardown sets) and its fence times out after 300 ms: a one-line Device
    // error naming VK_TIMEOUT, no output touched, and the process exits
    // (nothing waits on the hung device) ...
    TempDir dir;
    const auto session = write_full_session(dir, 8.0);
    std::filesystem::create_directories(dir / "out");
    write_text(dir / "out/master.wav", "an older render");
    ScopedEnv hang("STEMFORGE_GPU_FAULT_HANG_AFTER", "2");
    ScopedEnv timeout("STEMFORGE_GPU_FENCE_TIMEOUT_MS", "300");
    auto r = run_stemforge({"render", session.string(), "--backend", "gpu"});
    EXPECT_EQ(r.exit_code, 4) << r.err;  // kDevice
    EXPECT_EQ(r.err.rfind("stemforge: error: ", 0), 0u) << r.err;
    EXPECT_NE(r.err.find("VK_TIMEOUT"), std::string::npos) << r.err;
    EXPECT_EQ(std::count(r.err.begin(), r.err.end(), '\n'), 1) << r.err;
    EXPECT_TRUE(read_text(dir / "out/master.wav") == "an older render");
    size_t files = 0;
    for ([[maybe_unused]] const auto& e : std::filesystem::directory_iterator(dir / "out")) ++files;
    EXPECT_EQ(files, 1u) << "no temporary file left";

    // ... and auto renders on the CPU instead.
    ScopedEnv soft("STEMFORGE_GPU_ALLOW_SOFTWARE", "1");
    auto a = run_stemforge({"render", session.string(), "--backend", "auto", "--json"});
    ASSERT_EQ(a.exit_code, 0) << a.err;
    EXPECT_NE(a.err.find("GPU render failed"), std::string::npos) << a.err;
    EXPECT_NE(a.err.find("VK_TIMEOUT"), std::string::npos) << a.err;
    EXPECT_EQ(nlohmann::json::parse(a.out)["backend"], "cpu");
    EXPECT_TRUE(read_text(dir / "out/master.wav") != "an older render") << "the CPU render replaced it";
}

TEST(GpuCli, NoDriverIsAClearErrorForGpuAndAFallbackForAuto) {
    TempDir dir;
    const auto session = write_session(dir);
    ScopedEnv icd("VK_ICD_FILENAMES", "/nonexistent/stemforge_icd.json");
    ScopedEnv drivers("VK_DRIVER_FILES", "/nonexistent/stemforge_icd.json");
    auto r = run_stemforge({"render", session.string(), "--backend", "gpu"});
    EXPECT_EQ(r.exit_code, 4) << r.err;  // kDevice
    EXPECT_EQ(r.err.rfind("stemforge: error: ", 0), 0u) << r.err;
    EXPECT_EQ(std::count(r.err.begin(), r.err.end(), '\n'), 1) << r.err;
    EXPECT_FALSE(std::filesystem::exists(dir / "out/master.wav"));
    EXPECT_TRUE(!std::filesystem::exists(dir / "out") || std::filesystem::is_empty(dir / "out")) << "no temp files left";

    auto a = run_stemforge({"render", session.string(), "--backend", "auto", "--json"});
    ASSERT_EQ(a.exit_code, 0) << a.err;
    EXPECT_EQ(a.err, "") << "no GPU at all: quietly the CPU path";
    EXPECT_EQ(nlohmann::json::parse(a.out)["backend"], "cpu");
    EXPECT_TRUE(std::filesystem::exists(dir / "out/master.wav"));
}

TEST(GpuCli, OutOfDeviceMemoryFailsCleanlyOrFallsBack) {
    TempDir dir;
    const auto session = write_session(dir);
    ScopedEnv budget("STEMFORGE_GPU_MEMORY_BUDGET_MB", "1");  // the mixer needs more for 64k-frame chunks
    auto r = run_stemforge({"render", session.string(), "--backend", "gpu"});
    EXPECT_EQ(r.exit_code, 4) << r.err;
    EXPECT_NE(r.err.find("out of device memory"), std::string::npos) << r.err;
    EXPECT_FALSE(std::filesystem::exists(dir / "out/master.wav"));

    ScopedEnv soft("STEMFORGE_GPU_ALLOW_SOFTWARE", "1");  // let auto pick lavapipe, then fail in prepare
    auto a = run_stemforge({"render", session.string(), "--backend", "auto", "--json"});
    ASSERT_EQ(a.exit_code, 0) << a.err;
    EXPECT_NE(a.err.find("GPU render failed"), std::string::npos) << a.err;
    EXPECT_EQ(nlohmann::json::parse(a.out)["backend"], "cpu");
}

TEST(GpuCli, BenchGpuReportsPhasesFloorsAndTheCpuPath) {
    // The benchmark's report on a tiny instance of issue 5's session (stereo
    // stems with EQ and compressors, reverb buses): every figure it promises.
    TempDir dir;
    auto r = run_stemforge({"bench", "gpu", "--stems", "3", "--duration", "1", "--buses", "2", "--dir", dir.path().string(), "--json"});
    ASSERT_EQ(r.exit_code, 0) << r.err;
    const auto j = nlohmann::json::parse(r.out);
    EXPECT_EQ(j["session"]["stems"], 3);
    EXPECT_EQ(j["session"]["reverb_buses"], 2);
    const auto& g = j["gpu"];
    for (const char* phase : {"upload", "clip_gain", "stem_eq", "stem_compressor", "pan", "buses", "master_sum"})
        EXPECT_TRUE(g["gpu_time_s"].contains(phase)) << phase << " in " << g["gpu_time_s"].dump();
    EXPECT_GT(g["floor"]["read_decode_s"].get<double>(), 0.0);
    EXPECT_GT(g["floor"]["fft_flops"].get<double>(), 0.0);
    EXPECT_GT(g["floor"]["device_traffic_bytes"].get<double>(), g["floor"]["pcie_bytes"].get<double>());
    EXPECT_GT(g["device_bytes"].get<double>(), 0.0);
    EXPECT_GT(j["speedup_total"].get<double>(), 0.0);
    EXPECT_GT(j["peak_rss_mib"].get<double>(), 0.0);
    EXPECT_TRUE(std::filesystem::exists(dir / "bench.json")) << "--dir keeps the generated session";
}

TEST(GpuCli, DevicesListsLavapipeAsSoftware) {
    auto r = run_stemforge({"devices", "--json"});
    ASSERT_EQ(r.exit_code, 0) << r.err;
    const auto j = nlohmann::json::parse(r.out);
    ASSERT_FALSE(j["devices"].empty());
    bool saw_cpu = false;
    for (const auto& d : j["devices"])
        if (d["type"] == "cpu") {
            saw_cpu = true;
            EXPECT_FALSE(d["usable_auto"].get<bool>());
            EXPECT_TRUE(d["usable_gpu"].get<bool>());
        }
    EXPECT_TRUE(saw_cpu) << "CI machines have lavapipe";
}

}  // namespace
}  // namespace sf::test
