// The delivery contract of DESIGN.md ("Safety and reproducibility") through
// the real binary: SIGINT / SIGTERM mid-render exit 130 / 143 and leave no
// temporary and every existing output byte-identical; an output that is an
// input, or two outputs with one path, are refused before any work (exit 3).
#include <fcntl.h>
#include <signal.h>
#include <sys/wait.h>
#include <unistd.h>

#include <chrono>
#include <filesystem>
#include <thread>

#include "tests/e2e/e2e_support.h"

namespace sf::test {
namespace {

namespace fs = std::filesystem;
using nlohmann::json;

constexpr int kRate = 48000;

// Files whose names mark a temporary of ours (staged outputs, writer parts,
// master spools, tag rewrites, backups).
std::vector<std::string> temporaries(const fs::path& dir) {
    std::vector<std::string> found;
    for (const auto& e : fs::recursive_directory_iterator(dir)) {
        const std::string name = e.path().filename().string();
        if (name.find(".stemforge") != std::string::npos || name.find(".part-") != std::string::npos ||
            name.find("-tmp") != std::string::npos)
            found.push_back(e.path().string());
    }
    return found;
}

// A session long enough to be interrupted: a minute of stereo noise through
// a master block (so the mix is spooled and the loudness loop runs), two
// exports, one of which already exists.
json long_session() {
    json s = session_with({{{"name", "bed"}, {"file", "bed.wav"}}});
    s["master"] = {{"limiter", {{"ceiling_dbtp", -1.0}}}, {"loudness_target_lufs", -16.0}};
    s["export"] = json::array({{{"file", "out/master.wav"}, {"bit_depth", 24}}, {{"file", "out/master-44k1.flac"}, {"bit_depth", 16}, {"sample_rate", 44100}}});
    return s;
}

struct Child {
    pid_t pid = -1;
};

Child start_render(const fs::path& session, const fs::path& log) {
    std::vector<std::string> argv_s{STEMFORGE_BIN, "render", session.string(), "--backend", "cpu"};
    std::vector<char*> argv;
    for (auto& a : argv_s) argv.push_back(a.data());
    argv.push_back(nullptr);
    Child c;
    c.pid = ::fork();
    if (c.pid == 0) {
        const int fd = ::open(log.c_str(), O_WRONLY | O_CREAT | O_TRUNC, 0644);
        ::dup2(fd, 1);
        ::dup2(fd, 2);
        ::execv(argv[0], argv.data());
        ::_exit(127);
    }
    return c;
}

void interrupt_mid_render(int sig, int expected_exit) {
    TempDir dir;
    write_wav(dir / "bed.wav", noise(2, 60 * kRate, 7, 0.25), kRate, 24);
    write_text(dir / "session.json", long_session().dump());
    fs::create_directories(dir / "out");
    write_text(dir / "out/master.wav", "an earlier delivery, not audio");

    const Child c = start_render(dir / "session.json", dir / "log.txt");
    ASSERT_GT(c.pid, 0);
    // Wait until the render has written something of its own (the master's
    // spool or a staged export) so the signal lands mid-work, not before it.
    bool working = false;
    for (int i = 0; i < 600 && !working; ++i) {
        std::this_thread::sleep_for(std::chrono::milliseconds(20));
        working = !temporaries(dir / "out").empty();
    }
    ASSERT_TRUE(working) << "the render never started writing";
    ASSERT_EQ(::kill(c.pid, sig), 0);
    int status = 0;
    ASSERT_EQ(::waitpid(c.pid, &status, 0), c.pid);
    const std::string log = read_text(dir / "log.txt");
    ASSERT_TRUE(WIFEXITED(status)) << "killed by signal " << (WIFSIGNALED(status) ? WTERMSIG(status) : 0) << "\n" << log;
    EXPECT_EQ(WEXITSTATUS(status), expected_exit) << log;
    EXPECT_NE(log.find("stemforge: error: cancelled"), std::string::npos) << log;
    EXPECT_EQ(temporaries(dir.path()), std::vector<std::string>{});
    EXPECT_EQ(read_text(dir / "out/master.wav"), "an earlier delivery, not audio");
    EXPECT_FALSE(fs::exists(dir / "out/master-44k1.flac"));
}

TEST(DeliveryE2E, SigintMidRenderExits130AndLeavesNothing) { interrupt_mid_render(SIGINT, 130); }
TEST(DeliveryE2E, SigtermMidRenderExits143AndLeavesNothing) { interrupt_mid_render(SIGTERM, 143); }

TEST(DeliveryE2E, AnExportOverAStemIsRefusedBeforeAnyWork) {
    TempDir dir;
    write_wav(dir / "kick.wav", sine(1, kRate / 4, kRate, 60.0, 0.5), kRate, 24);
    const std::string before = read_text(dir / "kick.wav");
    fs::create_symlink(dir / "kick.wav", dir / "alias.wav");
    for (const std::string out : {"kick.wav", "./sub/../kick.wav", "alias.wav"}) {
        json s = session_with({{{"name", "kick"}, {"file", "kick.wav"}}});
        s["export"] = json::array({{{"file", "fine.wav"}}, {{"file", out}}});
        write_text(dir / "session.json", s.dump());
        auto r = run_stemforge({"render", (dir / "session.json").string(), "--backend", "cpu"});
        EXPECT_EQ(r.exit_code, 3) << r.err;
        EXPECT_EQ(line_count(r.err), 1) << r.err;
        EXPECT_NE(r.err.find("export[1]"), std::string::npos) << r.err;
        EXPECT_NE(r.err.find("stems[0] \"kick\""), std::string::npos) << r.err;
        EXPECT_EQ(read_text(dir / "kick.wav"), before);
        EXPECT_FALSE(fs::exists(dir / "fine.wav"));  // refused before any work: nothing written
    }
    // -o names the session file itself.
    auto r = run_stemforge({"render", (dir / "session.json").string(), "--backend", "cpu", "-o", (dir / "session.json").string()});
    EXPECT_EQ(r.exit_code, 3) << r.err;
    EXPECT_NE(r.err.find("the session file"), std::string::npos) << r.err;
}

TEST(DeliveryE2E, AnExportOverTheReverbIrIsRefused) {
    TempDir dir;
    write_wav(dir / "dry.wav", sine(1, kRate / 4, kRate, 440.0, 0.5), kRate, 24);
    write_wav(dir / "hall.wav", noise(1, kRate / 10, 3, 0.1), kRate, 24);
    const std::string before = read_text(dir / "hall.wav");
    json s = session_with({{{"name", "dry"}, {"file", "dry.wav"}, {"sends", {{{"bus", "verb"}, {"level_db", -6}}}}}});
    s["buses"] = json::array({{{"name", "verb"}, {"reverb", {{"ir", "hall.wav"}}}}});
    s["export"] = json::array({{{"file", "hall.wav"}}});
    write_text(dir / "session.json", s.dump());
    auto r = run_stemforge({"render", (dir / "session.json").string(), "--backend", "cpu"});
    EXPECT_EQ(r.exit_code, 3) << r.err;
    EXPECT_NE(r.err.find("reverb IR"), std::string::npos) << r.err;
    EXPECT_EQ(read_text(dir / "hall.wav"), before);
}

TEST(DeliveryE2E, TwoExportsWithOnePathAreRefused) {
    TempDir dir;
    write_wav(dir / "a.wav", sine(1, kRate / 4, kRate, 440.0, 0.5), kRate, 24);
    json s = session_with({{{"name", "a"}, {"file", "a.wav"}}});
    s["export"] = json::array({{{"file", "out/m.wav"}}, {{"file", "out/../out/m.wav"}, {"bit_depth", 16}}});
    write_text(dir / "session.json", s.dump());
    auto r = run_stemforge({"render", (dir / "session.json").string(), "--backend", "cpu"});
    EXPECT_EQ(r.exit_code, 3) << r.err;
    EXPECT_NE(r.err.find("one file"), std::string::npos) << r.err;
    EXPECT_FALSE(fs::exists(dir / "out/m.wav"));
}

TEST(DeliveryE2E, AFailingCueSheetLeavesTheAudioUntouched) {
    // The CUE sheet's target is a folder: the command fails, and the audio
    // export beside it, which already existed, keeps its old content.
    TempDir dir;
    write_wav(dir / "a.wav", sine(2, kRate, kRate, 440.0, 0.25), kRate, 24);
    json s = session_with({{{"name", "a"}, {"file", "a.wav"}}});
    s["master"] = {{"preset", "cd"}};
    s["export"] = json::array({{{"file", "out/cd.wav"}, {"cue_sheet", true}}});
    write_text(dir / "session.json", s.dump());
    fs::create_directories(dir / "out/cd.cue");
    write_text(dir / "out/cd.cue/keep", "x");
    write_text(dir / "out/cd.wav", "the old master");
    auto r = run_stemforge({"render", (dir / "session.json").string(), "--backend", "cpu"});
    EXPECT_NE(r.exit_code, 0) << r.err;
    EXPECT_EQ(line_count(r.err), 1) << r.err;
    EXPECT_NE(r.err.find("cd.cue"), std::string::npos) << r.err;
    EXPECT_EQ(read_text(dir / "out/cd.wav"), "the old master");
    EXPECT_EQ(temporaries(dir.path()), std::vector<std::string>{});
}

TEST(DeliveryE2E, WithoutAnExportListTheMasterLandsBesideTheSession) {
    TempDir dir;
    write_wav(dir / "proj" / "a.wav", sine(1, kRate / 4, kRate, 440.0, 0.5), kRate, 24);
    write_text(dir / "proj" / "song.json", session_with({{{"name", "a"}, {"file", "a.wav"}}}).dump());
    auto r = run_stemforge({"render", (dir / "proj" / "song.json").string(), "--backend", "cpu", "--json"});
    ASSERT_EQ(r.exit_code, 0) << r.err;
    EXPECT_TRUE(fs::exists(dir / "proj" / "song-master.wav"));
    const json report = json::parse(r.out);
    ASSERT_EQ(report["outputs"].size(), 1u);
    EXPECT_EQ(fs::path(report["outputs"][0].get<std::string>()), dir / "proj" / "song-master.wav");
}

}  // namespace
}  // namespace sf::test
