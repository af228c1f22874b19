// The workstation as a person uses it (GUI.md tier 3): a real window under
// Xvfb, Ctrl+R typed with xdotool renders the session, Ctrl+Q quits with
// exit 0, and the files the window wrote are the CLI's, byte for byte, with
// a manifest that `stemforge replay` verifies.
#include <cstdlib>
#include <filesystem>

#include <gtest/gtest.h>

#include "tests/e2e/e2e_support.h"

namespace sf::test {
namespace {

namespace fs = std::filesystem;
using nlohmann::json;

constexpr int kRate = 48000;

fs::path write_session(const TempDir& dir) {
    write_wav(dir / "a.wav", sine(2, 4 * kRate, kRate, 220.0, 0.3), kRate, 24);
    write_wav(dir / "b.wav", noise(1, 4 * kRate, 9, 0.05), kRate, 24);
    json s = session_with({{{"name", "tone"}, {"file", "a.wav"}}, {{"name", "air"}, {"file", "b.wav"}, {"pan", -0.4}}});
    s["master"] = {{"limiter", {{"ceiling_dbtp", -1.0}}}, {"loudness_target_lufs", -16.0}};
    s["export"] = json::array({{{"file", "out/master.flac"}, {"bit_depth", 16}, {"sample_rate", 44100}},
                               {{"file", "out/master.wav"}, {"bit_depth", 24}}});
    write_text(dir / "session.json", s.dump());
    return dir / "session.json";
}

TEST(GuiWindow, CtrlRInARealWindowWritesTheCliFilesAndCtrlQQuits) {
    TempDir ui, cli, runtime;
    const fs::path session = write_session(ui);
    write_session(cli);
    use_private_xdg_dirs(runtime.path());
    std::vector<std::string> argv = xvfb_run();
    argv.insert(argv.end(), {STEMFORGE_SOURCE_DIR "/tests/gui/window_e2e.sh", STEMFORGE_BIN,
                          session.string(), "render", (ui / "out/master.wav").string()});
    auto r = run_command(argv);
    ASSERT_EQ(r.exit_code, 0) << r.out << r.err;
    auto c = run_stemforge({"render", (cli / "session.json").string(), "--backend", "cpu"});
    ASSERT_EQ(c.exit_code, 0) << c.err;
    for (const std::string f : {"out/master.flac", "out/master.wav"}) {
        ASSERT_TRUE(fs::exists(ui / f)) << f;
        EXPECT_EQ(read_text(ui / f), read_text(cli / f)) << f << ": the window's file differs from the CLI's";
    }
    // Its manifest beside the first output, as the CLI's: replay proves the
    // window's render bit for bit.
    const fs::path manifest = ui / "out/master.flac.manifest.json";
    ASSERT_TRUE(fs::exists(manifest)) << "the window's render wrote no manifest";
    const json m = json::parse(read_text(manifest));
    EXPECT_EQ(m["backend"], "cpu") << m.dump();
    auto replay = run_stemforge({"replay", manifest.string()});
    EXPECT_EQ(replay.exit_code, 0) << replay.out << replay.err;
}

}  // namespace
}  // namespace sf::test
