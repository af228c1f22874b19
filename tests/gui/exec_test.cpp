// The edit commands from outside the process: `stemforge gui --exec` with
// no display (exit 0, or 3 naming the first refused command and its
// position), a picture taken after them, and the same commands typed into
// a real window's command line (Ctrl+K) under Xvfb, saved with Ctrl+S.
#include <cstdlib>
#include <filesystem>

#include <gtest/gtest.h>

#include "tests/e2e/e2e_support.h"
#include "tests/support/ocr.h"
#include "tests/support/png_image.h"

namespace sf::test {
namespace {

namespace fs = std::filesystem;
using nlohmann::json;

constexpr int kRate = 48000;

class GuiExec : public ::testing::Test {
protected:
    void SetUp() override {
        use_private_xdg_dirs(runtime_.path());
        write_wav(dir_ / "lead.wav", sine(1, 2 * kRate, kRate, 440.0, 0.3), kRate, 24);
        write_wav(dir_ / "pad.wav", noise(2, 2 * kRate, 4, 0.05), kRate, 24);
        json s = session_with({{{"name", "lead"}, {"file", "lead.wav"}}, {{"name", "pad"}, {"file", "pad.wav"}}});
        s["master"] = {{"limiter", {{"ceiling_dbtp", -1.0}}}, {"loudness_target_lufs", -16.0}};
        s["export"] = json::array({{{"file", "out/master.wav"}, {"bit_depth", 24}}});
        write_text(dir_ / "session.json", s.dump());
    }
    TempDir dir_, runtime_;
};

TEST_F(GuiExec, CommandsRunInOrderWithNoDisplayAndSave) {
    ::unsetenv("DISPLAY");
    auto r = run_stemforge({"gui", (dir_ / "session.json").string(), "--exec",
                            "set stems[lead].gain_db -2; add stems[pad].eq.bands {\"type\":\"bell\",\"freq_hz\":300,\"gain_db\":-3,\"q\":1}; "
                            "undo; redo; set master.loudness_target_lufs -18; save"});
    ASSERT_EQ(r.exit_code, 0) << r.err;
    auto saved = load_session(dir_ / "session.json");
    ASSERT_TRUE(saved) << saved.error().message;
    EXPECT_DOUBLE_EQ(saved->stems[0].gain_db, -2.0);
    ASSERT_TRUE(saved->stems[1].eq);
    EXPECT_EQ(saved->stems[1].eq->bands.size(), 1u);
    EXPECT_DOUBLE_EQ(*saved->master->loudness_target_lufs, -18.0);
}

TEST_F(GuiExec, TheFirstRefusedCommandStopsWithExit3NamingItAndItsPosition) {
    ::unsetenv("DISPLAY");
    const std::string before = read_text(dir_ / "session.json");
    auto r = run_stemforge({"gui", (dir_ / "session.json").string(), "--exec", "set stems[lead].gain_db -2; set stems[lead].pan 3; save"});
    EXPECT_EQ(r.exit_code, 3) << r.err;
    EXPECT_EQ(line_count(r.err), 1) << r.err;
    EXPECT_NE(r.err.find("command 2"), std::string::npos) << r.err;
    EXPECT_NE(r.err.find("set stems[lead].pan 3"), std::string::npos) << r.err;
    EXPECT_NE(r.err.find("stems[0].pan"), std::string::npos) << r.err;  // the validator's path
    EXPECT_EQ(read_text(dir_ / "session.json"), before);                 // `save` never ran
    auto u = run_stemforge({"gui", (dir_ / "session.json").string(), "--exec", "undo"});
    EXPECT_EQ(u.exit_code, 3) << u.err;
    EXPECT_NE(u.err.find("command 1"), std::string::npos) << u.err;
}

TEST_F(GuiExec, TheScreenshotIsTakenAfterTheCommands) {
    ::unsetenv("DISPLAY");
    const fs::path png = dir_ / "loudness.png";
    auto r = run_stemforge({"gui", (dir_ / "session.json").string(), "--backend", "cpu", "--exec", "set master.loudness_target_lufs -20; render",
                            "--screenshot", png.string(), "--view", "loudness"});
    ASSERT_EQ(r.exit_code, 0) << r.err;
    auto img = read_png(png);
    ASSERT_TRUE(img) << img.error().message;
    auto text = ocr_image(img->crop(0, 0, img->width, img->height / 3));
    ASSERT_TRUE(text) << text.error().message;
    EXPECT_NE(text->find("-20.0 LUFS"), std::string::npos) << *text;  // the master rendered at the edited target
}

TEST_F(GuiExec, ACommandTypedIntoARealWindowIsSavedWithCtrlS) {
    std::vector<std::string> argv = xvfb_run();
    argv.insert(argv.end(), {STEMFORGE_SOURCE_DIR "/tests/gui/window_e2e.sh", STEMFORGE_BIN,
                          (dir_ / "session.json").string(), "edit", "set stems[lead].gain_db -2.5"});
    auto r = run_command(argv);
    ASSERT_EQ(r.exit_code, 0) << r.out << r.err;
    auto saved = load_session(dir_ / "session.json");
    ASSERT_TRUE(saved) << saved.error().message;
    EXPECT_DOUBLE_EQ(saved->stems[0].gain_db, -2.5);
    // The saved file renders with the CLI.
    auto c = run_stemforge({"render", (dir_ / "session.json").string(), "--backend", "cpu"});
    EXPECT_EQ(c.exit_code, 0) << c.err;
}

}  // namespace
}  // namespace sf::test
