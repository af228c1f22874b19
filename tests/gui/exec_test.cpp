// The edit commands from outside the process: `stemforge gui --exec` with
// no display (exit 0, or 3 naming the first refused command and its
// position), a picture taken after them, and the same commands typed into
// a real window's command line (Ctrl+K) under Xvfb, saved with Ctrl+S.
#include <cstdlib>
#include <filesystem>
#include <optional>
#include <string>

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

// The round-2 keys through `set` / `add`: a bus with a delay on a note value
// (after the tempo it needs), width on a stereo stem and a bus, a chorus,
// a sidechain with its EQ, and the pan, width, send and bus gain lanes.
TEST_F(GuiExec, TheMixingRound2KeysAreSetWithCommands) {
    ::unsetenv("DISPLAY");
    auto r = run_stemforge({"gui", (dir_ / "session.json").string(), "--exec",
                            "add buses {\"name\":\"echo\"}; add stems[lead].sends {\"bus\":\"echo\",\"level_db\":-6}; "
                            "set tempo_bpm 120; "
                            "set buses[echo].delay {\"note\":\"1/8d\",\"feedback\":0.4,\"pingpong\":true,\"lowcut_hz\":200,\"highcut_hz\":6000,\"wet_db\":-3}; "
                            "set buses[echo].width 0.5; set stems[pad].width 1.5; "
                            "set stems[pad].chorus {\"rate_hz\":1.2,\"voices\":3}; set stems[pad].chorus.mix 0.3; "
                            "set stems[lead].compressor.sidechain \"pad\"; "
                            "set stems[lead].compressor.sidechain_eq {\"mode\":\"minimum\",\"bands\":[{\"type\":\"lowpass\",\"freq_hz\":150}]}; "
                            "set stems[lead].automation.pan [[0,-1],[1,1]]; set stems[pad].automation.width [[0,1],[1.5,2]]; "
                            "set stems[lead].automation.send_db.echo [[0,0],[1,-12]]; "
                            "set buses[echo].automation.gain_db [[0,-3]]; set buses[echo].automation.width [[0,1],[2,0]]; save"});
    ASSERT_EQ(r.exit_code, 0) << r.err;
    auto saved = load_session(dir_ / "session.json");
    ASSERT_TRUE(saved) << saved.error().message;
    ASSERT_EQ(saved->buses.size(), 1u);
    const BusSpec& echo = saved->buses[0];
    ASSERT_TRUE(saved->tempo_bpm);
    EXPECT_DOUBLE_EQ(*saved->tempo_bpm, 120.0);
    ASSERT_TRUE(echo.delay);
    EXPECT_EQ(echo.delay->note, std::optional<std::string>("1/8d"));
    EXPECT_DOUBLE_EQ(*delay_time_s(*echo.delay, saved->tempo_bpm), 0.375);  // a dotted eighth at 120 BPM
    EXPECT_DOUBLE_EQ(echo.delay->feedback, 0.4);
    EXPECT_TRUE(echo.delay->pingpong);
    EXPECT_DOUBLE_EQ(echo.delay->lowcut_hz, 200.0);
    EXPECT_DOUBLE_EQ(echo.delay->highcut_hz, 6000.0);
    EXPECT_DOUBLE_EQ(echo.delay->wet_db, -3.0);
    EXPECT_EQ(echo.width, std::optional(0.5));
    const StemSpec& lead = saved->stems[0];
    const StemSpec& pad = saved->stems[1];
    EXPECT_EQ(pad.width, std::optional(1.5));
    ASSERT_TRUE(pad.chorus);
    EXPECT_DOUBLE_EQ(pad.chorus->rate_hz, 1.2);
    EXPECT_EQ(pad.chorus->voices, 3);
    EXPECT_DOUBLE_EQ(pad.chorus->mix, 0.3);
    EXPECT_DOUBLE_EQ(pad.chorus->depth_ms, ChorusSpec{}.depth_ms);  // unset keys keep their defaults
    ASSERT_TRUE(lead.compressor);
    EXPECT_EQ(lead.compressor->sidechain, "pad");
    ASSERT_TRUE(lead.compressor->sidechain_eq);
    EXPECT_EQ(lead.compressor->sidechain_eq->mode, EqMode::Minimum);
    ASSERT_EQ(lead.compressor->sidechain_eq->bands.size(), 1u);
    EXPECT_EQ(lead.compressor->sidechain_eq->bands[0].type, EqBandType::Lowpass);
    EXPECT_EQ(lead.automation.pan, (AutomationLane{{0.0, -1.0}, {1.0, 1.0}}));
    EXPECT_EQ(pad.automation.width, (AutomationLane{{0.0, 1.0}, {1.5, 2.0}}));
    ASSERT_TRUE(lead.automation.send("echo"));
    EXPECT_EQ(*lead.automation.send("echo"), (AutomationLane{{0.0, 0.0}, {1.0, -12.0}}));
    EXPECT_EQ(echo.automation.gain_db, (AutomationLane{{0.0, -3.0}}));
    EXPECT_EQ(echo.automation.width, (AutomationLane{{0.0, 1.0}, {2.0, 0.0}}));
}

// A sidechain cycle (lead keyed by pad, pad keyed by lead) is refused: exit 3,
// one line naming the command, its position and the validator's message.
TEST_F(GuiExec, ASidechainCycleIsRefusedWithTheValidatorsMessage) {
    ::unsetenv("DISPLAY");
    const std::string before = read_text(dir_ / "session.json");
    auto r = run_stemforge({"gui", (dir_ / "session.json").string(), "--exec",
                            "set stems[lead].compressor.sidechain \"pad\"; set stems[pad].compressor.sidechain \"lead\"; save"});
    EXPECT_EQ(r.exit_code, 3) << r.err;
    EXPECT_EQ(line_count(r.err), 1) << r.err;
    EXPECT_NE(r.err.find("command 2"), std::string::npos) << r.err;
    EXPECT_NE(r.err.find("set stems[pad].compressor.sidechain \"lead\""), std::string::npos) << r.err;
    EXPECT_NE(r.err.find("sidechain cycle"), std::string::npos) << r.err;
    EXPECT_NE(r.err.find(".compressor.sidechain:"), std::string::npos) << r.err;  // the validator names the compressor's path
    EXPECT_EQ(read_text(dir_ / "session.json"), before);                         // `save` never ran
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
