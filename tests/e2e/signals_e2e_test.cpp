// SIGINT / SIGTERM at random points of a render (issue 17): over many runs,
// each signalled after a random delay from the moment the process can take
// the signal, the outcome is always one of two:
//   exit 130 (SIGINT) / 143 (SIGTERM): every existing output, manifest
//     included, byte-identical to what it was, and no temporary left
//     anywhere (staged files, .part-*, master spools, the verify spool, the
//     replay folder), one `stemforge: error: cancelled` line;
//   exit 0 (the signal came after the work was committed): every output
//     complete, equal to an uninterrupted render's bytes.
// Never death by the signal, never anything in between.
#include <fcntl.h>
#include <signal.h>
#include <sys/wait.h>
#include <unistd.h>

#include <chrono>
#include <fstream>
#include <random>
#include <thread>

#include "engine/core/clock.h"
#include "tests/e2e/e2e_support.h"

namespace sf::test {
namespace {

namespace fs = std::filesystem;
using nlohmann::json;

constexpr int kRate = 48000;

std::vector<std::string> temporaries(const fs::path& dir) {
    std::vector<std::string> found;
    for (const auto& e : fs::recursive_directory_iterator(dir)) {
        const std::string name = e.path().filename().string();
        if (name.find(".stemforge-") != std::string::npos || name.find(".part-") != std::string::npos ||
            name.rfind("stemforge-verify-", 0) == 0 || name.rfind("stemforge-replay-", 0) == 0)
            found.push_back(e.path().string());
    }
    return found;
}

// True once the process has a handler (not the default, not ignored) for both signals.
bool handlers_installed(pid_t pid) {
    std::ifstream status("/proc/" + std::to_string(pid) + "/status");
    std::string line;
    while (std::getline(status, line))
        if (line.rfind("SigCgt:", 0) == 0) {
            const unsigned long long mask = std::stoull(line.substr(7), nullptr, 16);
            return (mask >> (SIGINT - 1) & 1) && (mask >> (SIGTERM - 1) & 1);
        }
    return false;
}

struct Outcome {
    bool exited = false;
    int code = -1;
    int killed_by = 0;
    bool signalled_in_time = false;   // the signal was sent while the process ran
    std::string log;
};

// Starts `stemforge args` (stdout and stderr into `log`, TMPDIR = tmp), waits
// until it can take the signal, sleeps `delay`, sends `sig`, reaps it.
Outcome run_and_signal(const std::vector<std::string>& args, const fs::path& log, const fs::path& tmp, std::chrono::microseconds delay, int sig) {
    std::vector<std::string> argv_s{STEMFORGE_BIN};
    argv_s.insert(argv_s.end(), args.begin(), args.end());
    std::vector<char*> argv;
    for (auto& a : argv_s) argv.push_back(a.data());
    argv.push_back(nullptr);
    const pid_t pid = ::fork();
    if (pid == 0) {
        const int fd = ::open(log.c_str(), O_WRONLY | O_CREAT | O_TRUNC, 0644);
        ::dup2(fd, 1);
        ::dup2(fd, 2);
        ::setenv("TMPDIR", tmp.c_str(), 1);
        ::execv(argv[0], argv.data());
        ::_exit(127);
    }
    Outcome o;
    int status = 0;
    bool reaped = false;
    for (int i = 0; i < 20000 && !handlers_installed(pid); ++i) {
        if (::waitpid(pid, &status, WNOHANG) == pid) {
            reaped = true;
            break;
        }
        std::this_thread::sleep_for(std::chrono::microseconds(200));
    }
    if (!reaped) {
        std::this_thread::sleep_for(delay);
        o.signalled_in_time = ::waitpid(pid, &status, WNOHANG) == 0;
        if (o.signalled_in_time) {
            ::kill(pid, sig);
            ::waitpid(pid, &status, 0);
        }
    }
    o.exited = WIFEXITED(status);
    o.code = o.exited ? WEXITSTATUS(status) : -1;
    o.killed_by = WIFSIGNALED(status) ? WTERMSIG(status) : 0;
    o.log = read_text(log);
    return o;
}

// Six seconds of stereo programme through a master with a loudness target
// (spool, loudness loop, delivery rounds) into a 24-bit WAV and a 44.1 kHz
// FLAC with a CUE sheet.
json session_json() {
    json s = session_with({{{"name", "bed"}, {"file", "bed.wav"}}, {{"name", "tone"}, {"file", "tone.wav"}, {"sends", {{{"bus", "verb"}, {"level_db", -10}}}}}});
    s["buses"] = json::array({{{"name", "verb"}, {"reverb", {{"ir", "ir.wav"}}}}});
    s["master"] = {{"limiter", {{"ceiling_dbtp", -1.0}}}, {"loudness_target_lufs", -16.0}};
    s["export"] = json::array({{{"file", "out/master.wav"}, {"bit_depth", 24}},
                               {{"file", "out/master-44k1.flac"}, {"bit_depth", 16}, {"sample_rate", 44100}, {"cue_sheet", true}}});
    return s;
}

void write_project(const fs::path& dir) {
    write_wav(dir / "bed.wav", lowpassed_noise(2, 6 * kRate, 7, 0.25), kRate, 24);
    write_wav(dir / "tone.wav", sine(1, 5 * kRate, kRate, 330.0, 0.3), kRate, 24);
    write_wav(dir / "ir.wav", noise(2, kRate / 2, 8, 0.02), kRate, 24);
    write_text(dir / "session.json", session_json().dump());
}

const std::vector<std::string> kTargets = {"out/master.wav", "out/master-44k1.flac", "out/master-44k1.cue", "out/master.wav.manifest.json"};

void plant_old_outputs(const fs::path& dir) {
    fs::create_directories(dir / "out");
    for (const auto& t : kTargets) write_text(dir / t, "an earlier delivery of " + t);
}

TEST(SignalsE2E, RandomSigintAndSigtermDuringRenderAndReplayLeaveNothingHalfDone) {
    TempDir dir;
    const fs::path ref = dir / "ref", run = dir / "run", tmp = dir / "tmp";
    fs::create_directories(ref);
    fs::create_directories(run);
    fs::create_directories(tmp);
    write_project(ref);
    write_project(run);

    // The uninterrupted render: its bytes, and how long it takes.
    const auto t0 = Clock::now();
    auto r = run_stemforge({"render", (ref / "session.json").string(), "--backend", "cpu"});
    const double render_s = seconds_since(t0);
    ASSERT_EQ(r.exit_code, 0) << r.err;
    std::map<std::string, std::string> reference;
    for (const auto& t : kTargets)
        if (t.find("manifest") == std::string::npos) reference[t] = read_text(ref / t);

    std::mt19937_64 rng(20240917);
    int cancelled = 0, completed = 0;
    const int runs = 24;
    for (int i = 0; i < runs; ++i) {
        plant_old_outputs(run);
        const int sig = rng() % 2 ? SIGINT : SIGTERM;
        const bool verify = i % 4 == 3;  // a quarter with --verify: its spool and the second render too
        const auto delay = std::chrono::microseconds(static_cast<int64_t>(std::uniform_real_distribution<double>(0.0, 1.1)(rng) * render_s *
                                                                          (verify ? 2.0 : 1.0) * 1e6));
        std::vector<std::string> args{"render", (run / "session.json").string(), "--backend", "cpu"};
        if (verify) args.push_back("--verify");
        const Outcome o = run_and_signal(args, dir / "log.txt", tmp, delay, sig);
        SCOPED_TRACE("run " + std::to_string(i) + ": signal " + std::to_string(sig) + " after " + std::to_string(delay.count() / 1000) +
                     " ms" + (verify ? " (--verify)" : "") + "\n" + o.log);
        ASSERT_TRUE(o.exited) << "died by signal " << o.killed_by;
        EXPECT_EQ(temporaries(run), std::vector<std::string>{});
        EXPECT_EQ(temporaries(tmp), std::vector<std::string>{});
        if (o.code == 128 + sig && o.signalled_in_time) {
            ++cancelled;
            EXPECT_EQ(line_count(o.log), 1);
            EXPECT_NE(o.log.find("stemforge: error: cancelled"), std::string::npos);
            for (const auto& t : kTargets) EXPECT_EQ(read_text(run / t), "an earlier delivery of " + t) << t;
        } else {
            ASSERT_EQ(o.code, 0) << "neither cancelled (" << 128 + sig << ") nor complete";
            ++completed;
            for (const auto& [t, bytes] : reference) EXPECT_TRUE(read_text(run / t) == bytes) << t << " is not the complete render";
            EXPECT_TRUE(json::parse(read_text(run / "out/master.wav.manifest.json"))["outputs"].size() == 3u);
        }
    }
    std::printf("render: %d runs cancelled, %d completed (uninterrupted render %.2f s)\n", cancelled, completed, render_s);
    EXPECT_GE(cancelled, runs / 2) << "too few signals landed mid-work to prove anything";

    // replay: its temporary folder goes too.
    plant_old_outputs(run);
    ASSERT_EQ(run_stemforge({"render", (run / "session.json").string(), "--backend", "cpu"}).exit_code, 0);
    int replay_cancelled = 0;
    for (int i = 0; i < 6; ++i) {
        const int sig = i % 2 ? SIGINT : SIGTERM;
        const auto delay = std::chrono::microseconds(static_cast<int64_t>(std::uniform_real_distribution<double>(0.0, 1.0)(rng) * render_s * 1e6));
        const Outcome o = run_and_signal({"replay", (run / "out/master.wav.manifest.json").string()}, dir / "log.txt", tmp, delay, sig);
        SCOPED_TRACE("replay run " + std::to_string(i) + "\n" + o.log);
        ASSERT_TRUE(o.exited) << "died by signal " << o.killed_by;
        EXPECT_TRUE(o.code == 0 || o.code == 128 + sig) << o.code;
        replay_cancelled += o.code == 128 + sig;
        EXPECT_EQ(temporaries(tmp), std::vector<std::string>{});
        EXPECT_EQ(temporaries(run), std::vector<std::string>{});
    }
    EXPECT_GE(replay_cancelled, 2);
}

TEST(SignalsE2E, AnIgnoredSigintStaysIgnored) {
    // `cmd &` in a non-interactive shell starts cmd with SIGINT ignored: a
    // render there must not become interruptible by a Ctrl-C meant for the shell.
    TempDir dir;
    write_project(dir.path());
    auto r = run_command({"sh", "-c", "trap '' INT; '" + std::string(STEMFORGE_BIN) + "' render '" + (dir / "session.json").string() +
                                          "' --backend cpu & pid=$!; sleep 0.5; kill -INT $pid; wait $pid; echo exit=$?"});
    EXPECT_NE(r.out.find("exit=0"), std::string::npos) << r.out << r.err;
    EXPECT_TRUE(fs::exists(dir / "out/master.wav"));
}

}  // namespace
}  // namespace sf::test
