// GPU faults at every phase of a render, through the real binary
// (docs/robustness.md, "Fault matrix"): the device lost at each submission
// in turn (STEMFORGE_GPU_FAULT_LOSE_DEVICE_FROM = 1, 2, ... up to the
// render's last) and device memory exhausted from an allocation on
// (STEMFORGE_GPU_FAULT_OOM_FROM = N: the first and last few and a spread
// between), on a session with EQ,
// compressors, a reverb bus and a master block, so every GPU phase (stage
// set-up, each streamed chunk, the tails, the master step where it runs on
// the GPU) meets the fault once. `--backend gpu` must end in one Device
// error line (exit 4), no temporary anywhere, existing outputs untouched;
// `--backend auto` must fall back and deliver the CPU render bit for bit.
#include <gtest/gtest.h>

#include <cmath>
#include <cstdio>
#include <cstdlib>
#include <filesystem>
#include <set>

#include <nlohmann/json.hpp>

#include "tests/support/snapshot.h"
#include "tests/support/test_support.h"

namespace sf::test {
namespace {

namespace fs = std::filesystem;
using nlohmann::json;

constexpr int kRate = 48000;

// Two seconds: two 64k-frame chunks plus the reverb's tail.
fs::path write_project(const TempDir& dir) {
    const auto n = static_cast<int64_t>(2.0 * kRate);
    write_wav(dir / "drums.wav", noise(2, n, 31, 0.4), kRate, 24);
    write_wav(dir / "bass.wav", sine(1, n - 1001, kRate, 55.0, 0.5), kRate, 24);
    AudioBuffer ir = noise(2, kRate / 4, 32, 0.2);
    for (int c = 0; c < 2; ++c)
        for (int64_t i = 0; i < ir.frames(); ++i) ir.channel(c)[i] *= static_cast<float>(std::exp(-20.0 * static_cast<double>(i) / kRate));
    write_wav(dir / "room.wav", ir, kRate);
    json s = {{"format", "stemforge-session"}, {"version", 1}, {"sample_rate", kRate},
              {"stems", json::array({{{"name", "drums"}, {"file", "drums.wav"}, {"sends", json::array({{{"bus", "room"}, {"level_db", -8}}})},
                                      {"eq", {{"mode", "linear"}, {"bands", json::array({{{"type", "highpass"}, {"freq_hz", 40}, {"slope_db_oct", 12}}})}}}},
                                     {{"name", "bass"}, {"file", "bass.wav"}, {"compressor", {{"threshold_db", -20}, {"ratio", 3}}}}})},
              {"buses", json::array({{{"name", "room"}, {"reverb", {{"ir", "room.wav"}, {"predelay_ms", 4}}}}})},
              {"master", {{"limiter", {{"ceiling_dbtp", -1.0}}}, {"loudness_target_lufs", -16.0}}},
              {"export", json::array({{{"file", "out/master.wav"}, {"bit_depth", 24}}, {{"file", "out/master.flac"}, {"bit_depth", 16}}})}};
    write_text(dir / "session.json", s.dump(1));
    fs::create_directories(dir / "out");
    write_text(dir / "out/master.wav", "an older render");
    write_text(dir / "out/master.flac", "an older render");
    return dir / "session.json";
}

CommandResult render(const fs::path& session, const char* backend, const std::vector<std::string>& env, bool json_out = false) {
    std::vector<std::string> argv{"env"};
    argv.insert(argv.end(), env.begin(), env.end());
    for (const char* a : {STEMFORGE_BIN, "render"}) argv.emplace_back(a);
    argv.push_back(session.string());
    argv.emplace_back("--backend");
    argv.emplace_back(backend);
    if (json_out) argv.emplace_back("--json");
    return run_command(argv);
}

void expect_clean_device_error(const CommandResult& r, const Snapshot& before, const fs::path& dir, const char* vk_name) {
    EXPECT_EQ(r.exit_code, 4) << r.err;  // kDevice
    EXPECT_EQ(r.err.rfind("stemforge: error: ", 0), 0u) << r.err;
    EXPECT_EQ(std::count(r.err.begin(), r.err.end(), '\n'), 1) << r.err;
    if (vk_name) {
        EXPECT_NE(r.err.find(vk_name), std::string::npos) << r.err;
    }
    for (const auto& d : differences(before, snapshot(dir))) ADD_FAILURE() << d;
}

// The session without its master block: the mixer's part of the render alone.
fs::path write_mix_only(const fs::path& session) {
    json s = json::parse(read_text(session));
    s.erase("master");
    const fs::path mix_only = session.parent_path() / "mix-only.json";
    write_text(mix_only, s.dump(1));
    return mix_only;
}

// The smallest N in [lo, hi] from which `variable`=N lets the GPU render
// succeed (a fault from N on meets no submission/allocation): one past the
// render's count. hi + 1 when none does.
int first_passing(const fs::path& session, const char* variable, int lo, int hi) {
    while (lo <= hi) {
        const int mid = (lo + hi) / 2;
        if (render(session, "gpu", {std::string(variable) + "=" + std::to_string(mid)}).exit_code == 0) hi = mid - 1;
        else lo = mid + 1;
    }
    return lo;
}

TEST(GpuFaultPhases, DeviceLostAtEverySubmissionFailsCleanly) {
    TempDir dir;
    const auto session = write_project(dir);
    // The render's submissions, counted by the backend itself.
    TempDir probe_dir;
    const auto probe_session = write_project(probe_dir);
    auto probe = render(probe_session, "gpu", {}, true);
    ASSERT_EQ(probe.exit_code, 0) << probe.err;
    const auto submissions = json::parse(probe.out)["gpu"]["submissions"].get<int>();
    ASSERT_GE(submissions, 2);

    const Snapshot before = snapshot(dir.path());
    for (int n = 1; n <= submissions; ++n) {
        SCOPED_TRACE("lost from submission " + std::to_string(n) + " of " + std::to_string(submissions));
        auto r = render(session, "gpu", {"STEMFORGE_GPU_FAULT_LOSE_DEVICE_FROM=" + std::to_string(n)});
        expect_clean_device_error(r, before, dir.path(), "VK_ERROR_DEVICE_LOST");
        if (HasFailure()) return;
    }
    std::printf("[   INFO   ] %d submissions, each the first lost in turn, failed cleanly\n", submissions);
    // One past the last submission: nothing is lost, the render stands.
    auto ok = render(session, "gpu", {"STEMFORGE_GPU_FAULT_LOSE_DEVICE_FROM=" + std::to_string(submissions + 1)});
    EXPECT_EQ(ok.exit_code, 0) << ok.err;
}

// Every allocation of the mixer's and the master's setup, the first and the
// last few and an even spread between them (a render per fault point costs a
// couple of seconds on lavapipe; every one of ~200 took eight minutes of CI).
TEST(GpuFaultPhases, OutOfDeviceMemoryAtAllocationsAcrossTheRenderFailsCleanly) {
    TempDir dir;
    const auto session = write_project(dir);
    const int allocations = first_passing(session, "STEMFORGE_GPU_FAULT_OOM_FROM", 1, 400) - 1;
    ASSERT_GE(allocations, 5) << "stage buffers, chunk buffers and FFT buffers are separate allocations";
    ASSERT_LT(allocations, 400) << "the render succeeds once the fault is past its last allocation";

    std::set<int> points;
    constexpr int kEnds = 6, kSpread = 12;
    for (int n = 1; n <= std::min(kEnds, allocations); ++n) points.insert(n);
    for (int n = std::max(1, allocations - kEnds + 1); n <= allocations; ++n) points.insert(n);
    for (int k = 1; k <= kSpread; ++k) points.insert(1 + (allocations - 1) * k / (kSpread + 1));

    const Snapshot before = snapshot(dir.path());
    for (const int n : points) {
        SCOPED_TRACE("out of device memory from allocation " + std::to_string(n) + " of " + std::to_string(allocations));
        auto r = render(session, "gpu", {"STEMFORGE_GPU_FAULT_OOM_FROM=" + std::to_string(n)});
        expect_clean_device_error(r, before, dir.path(), "VK_ERROR_OUT_OF_DEVICE_MEMORY");
        EXPECT_NE(r.err.find("out of device memory"), std::string::npos) << r.err;
        if (HasFailure()) return;
    }
    std::printf("[   INFO   ] %zu of %d device allocations, each the first to fail in turn, failed cleanly\n", points.size(), allocations);
}

// With `auto` (lavapipe allowed), a fault at the first, a middle or the last
// submission falls back to the CPU path, whose outputs are those of a plain
// CPU render, bit for bit.
TEST(GpuFaultPhases, AutoFallsBackToTheCpuRenderAtAnyPhase) {
    TempDir dir;
    const auto session = write_project(dir);
    auto cpu = render(session, "cpu", {});
    ASSERT_EQ(cpu.exit_code, 0) << cpu.err;
    const std::string want_wav = read_text(dir / "out/master.wav"), want_flac = read_text(dir / "out/master.flac");
    auto probe = render(session, "gpu", {}, true);
    ASSERT_EQ(probe.exit_code, 0) << probe.err;
    const int submissions = json::parse(probe.out)["gpu"]["submissions"].get<int>();
    const std::vector<std::string> faults{"STEMFORGE_GPU_FAULT_LOSE_DEVICE_FROM=1",
                                          "STEMFORGE_GPU_FAULT_LOSE_DEVICE_FROM=" + std::to_string(submissions), "STEMFORGE_GPU_FAULT_OOM_FROM=3"};
    for (const std::string& fault : faults) {
        SCOPED_TRACE(fault);
        write_text(dir / "out/master.wav", "older");
        auto r = render(session, "auto", {"STEMFORGE_GPU_ALLOW_SOFTWARE=1", fault}, true);
        ASSERT_EQ(r.exit_code, 0) << r.err;
        EXPECT_NE(r.err.find("GPU render failed"), std::string::npos) << r.err;
        EXPECT_EQ(json::parse(r.out)["backend"], "cpu");
        EXPECT_TRUE(read_text(dir / "out/master.wav") == want_wav) << "the fallback delivers the CPU render";
        EXPECT_TRUE(read_text(dir / "out/master.flac") == want_flac);
    }
}

// ---- the master chain on the GPU ------------------------------------------------
//
// `render --backend gpu` masters on the GPU (pre-chain, loudness loop
// passes, meters, the delivering pass): its submissions and device
// allocations come after the mixer's. `render --json`'s gpu.submissions
// counts every submission, as the fault counter does; the mixer's share is
// that of the same session without its master block.

// The device lost at each of the master's submissions in turn: one Device
// error line, exit 4, nothing left, outputs untouched.
TEST(GpuFaultPhases, DeviceLostAtEveryMasterSubmissionFailsCleanly) {
    TempDir dir;
    const auto session = write_project(dir);
    TempDir probe_dir;
    const auto probe_session = write_project(probe_dir);
    auto probe = render(probe_session, "gpu", {}, true);
    ASSERT_EQ(probe.exit_code, 0) << probe.err;
    const json report = json::parse(probe.out);
    ASSERT_TRUE(report["gpu"]["gpu_time_s"].contains("master_limiter")) << "the master ran on the GPU: " << probe.out;
    const int total = report["gpu"]["submissions"].get<int>();
    auto mix_probe = render(write_mix_only(probe_session), "gpu", {}, true);
    ASSERT_EQ(mix_probe.exit_code, 0) << mix_probe.err;
    const int mix_submissions = json::parse(mix_probe.out)["gpu"]["submissions"].get<int>();
    ASSERT_GE(total, mix_submissions + 2) << "the master's pre-chain, loop passes and meters are submissions of their own";
    // The report and the fault counter agree: from one past the last, nothing is lost.
    EXPECT_EQ(render(probe_session, "gpu", {"STEMFORGE_GPU_FAULT_LOSE_DEVICE_FROM=" + std::to_string(total + 1)}).exit_code, 0);

    const Snapshot before = snapshot(dir.path());
    for (int n = mix_submissions + 1; n <= total; ++n) {
        SCOPED_TRACE("lost from submission " + std::to_string(n) + " (the master's " + std::to_string(n - mix_submissions) + " of " +
                     std::to_string(total - mix_submissions) + ")");
        auto r = render(session, "gpu", {"STEMFORGE_GPU_FAULT_LOSE_DEVICE_FROM=" + std::to_string(n)});
        expect_clean_device_error(r, before, dir.path(), "VK_ERROR_DEVICE_LOST");
        if (HasFailure()) return;
    }
    std::printf("[   INFO   ] %d mixer submissions, %d master submissions, each the first lost in turn, failed cleanly\n", mix_submissions,
                total - mix_submissions);
}

// Faults in the master phase (the device lost at its first and last
// submission; device memory exhausted at its first, a middle and its last
// allocation): `gpu` fails cleanly with exit 4, `auto` renders again on the
// CPU path and delivers the CPU render bit for bit.
TEST(GpuFaultPhases, MasterPhaseFaultsFailCleanlyOrFallBackToTheCpuRender) {
    TempDir dir;
    const auto session = write_project(dir);
    auto cpu = render(session, "cpu", {});
    ASSERT_EQ(cpu.exit_code, 0) << cpu.err;
    const std::string want_wav = read_text(dir / "out/master.wav"), want_flac = read_text(dir / "out/master.flac");
    const json want_manifest = json::parse(read_text(dir / "out/master.wav.manifest.json"));

    auto probe = render(session, "gpu", {}, true);
    ASSERT_EQ(probe.exit_code, 0) << probe.err;
    const int submissions = json::parse(probe.out)["gpu"]["submissions"].get<int>();
    const fs::path mix_only = write_mix_only(session);
    auto mix_probe = render(mix_only, "gpu", {}, true);
    ASSERT_EQ(mix_probe.exit_code, 0) << mix_probe.err;
    const int mix_submissions = json::parse(mix_probe.out)["gpu"]["submissions"].get<int>();
    const int mix_allocations = first_passing(mix_only, "STEMFORGE_GPU_FAULT_OOM_FROM", 1, 400) - 1;
    const int allocations = first_passing(session, "STEMFORGE_GPU_FAULT_OOM_FROM", mix_allocations + 1, 400) - 1;
    ASSERT_GT(submissions, mix_submissions);
    ASSERT_GT(allocations, mix_allocations) << "the master chain allocates its own device buffers";
    ASSERT_LT(allocations, 400);
    std::printf("[   INFO   ] submissions: %d mixer + %d master; device allocations: %d mixer + %d master\n", mix_submissions,
                submissions - mix_submissions, mix_allocations, allocations - mix_allocations);

    const std::vector<std::string> faults{"STEMFORGE_GPU_FAULT_LOSE_DEVICE_FROM=" + std::to_string(mix_submissions + 1),
                                          "STEMFORGE_GPU_FAULT_LOSE_DEVICE_FROM=" + std::to_string(submissions),
                                          "STEMFORGE_GPU_FAULT_OOM_FROM=" + std::to_string(mix_allocations + 1),
                                          "STEMFORGE_GPU_FAULT_OOM_FROM=" + std::to_string((mix_allocations + 1 + allocations) / 2),
                                          "STEMFORGE_GPU_FAULT_OOM_FROM=" + std::to_string(allocations)};
    for (const std::string& fault : faults) {
        SCOPED_TRACE(fault);
        for (const char* f : {"out/master.wav", "out/master.flac", "out/master.wav.manifest.json"}) write_text(dir / f, "older");
        const Snapshot before = snapshot(dir.path());
        auto failed = render(session, "gpu", {fault});
        expect_clean_device_error(failed, before, dir.path(), fault.find("OOM") != std::string::npos ? "VK_ERROR_OUT_OF_DEVICE_MEMORY" : "VK_ERROR_DEVICE_LOST");

        auto r = render(session, "auto", {"STEMFORGE_GPU_ALLOW_SOFTWARE=1", fault}, true);
        ASSERT_EQ(r.exit_code, 0) << r.err;
        EXPECT_NE(r.err.find("GPU render failed"), std::string::npos) << r.err;
        EXPECT_EQ(json::parse(r.out)["backend"], "cpu");
        EXPECT_TRUE(read_text(dir / "out/master.wav") == want_wav) << "the fallback delivers the CPU render";
        EXPECT_TRUE(read_text(dir / "out/master.flac") == want_flac);
        // Its manifest records the CPU backend and the CPU render's output hashes.
        const json manifest = json::parse(read_text(dir / "out/master.wav.manifest.json"));
        EXPECT_EQ(manifest["backend"], "cpu");
        EXPECT_EQ(manifest["outputs"], want_manifest["outputs"]);
        if (HasFailure()) return;
    }
}

}  // namespace
}  // namespace sf::test
