// `stemforge batch` through the real binary, local engine (docs/cli.md
// "batch"): variants checked by subtraction against the pan law computed
// here, a failing job among good ones, the summary's keys and its loudness
// against libebur128, bad batch files, Ctrl-C.
#include <fcntl.h>
#include <signal.h>
#include <sys/wait.h>
#include <unistd.h>

#include <ebur128.h>

#include <chrono>
#include <cmath>
#include <filesystem>
#include <thread>

#include "tests/e2e/e2e_support.h"

namespace sf::test {
namespace {

namespace fs = std::filesystem;
using nlohmann::json;

constexpr int kRate = 48000;
constexpr int64_t kFrames = kRate / 2;
// Constant-power pan at centre: cos(pi/4) per channel (-3.01 dB).
const double kCentre = std::cos(M_PI / 4.0);

// A folder with a three-stem song: a stereo noise bed, a mono bass and a
// mono vocal (stem "lead_vox"), all at centre, 32-bit float export, no
// master: the mix is linear, so variants differ by exactly their stems.
struct Song {
    TempDir dir;
    AudioBuffer bed = noise(2, kFrames, 11, 0.1);
    AudioBuffer bass = sine(1, kFrames, kRate, 55.0, 0.2);
    AudioBuffer vox = sine(1, kFrames, kRate, 660.0, 0.25);

    Song() {
        fs::create_directories(dir / "song/stems");
        write_wav(dir / "song/stems/bed.wav", bed, kRate);
        write_wav(dir / "song/stems/bass.wav", bass, kRate);
        write_wav(dir / "song/stems/vox.wav", vox, kRate);
        json s = session_with({{{"name", "bed"}, {"file", "stems/bed.wav"}},
                               {{"name", "bass"}, {"file", "stems/bass.wav"}},
                               {{"name", "lead_vox"}, {"file", "stems/vox.wav"}}});
        s["export"] = json::array({{{"file", "out/mix.wav"}, {"bit_depth", 32}}});
        write_text(dir / "song/session.json", s.dump());
    }
    fs::path batch(const json& jobs, const std::string& name = "batch.json") const {
        const json b = {{"format", "stemforge-batch"}, {"version", 1}, {"output_dir", "renders"}, {"jobs", jobs}};
        write_text(dir / name, b.dump(2));
        return dir / name;
    }
};

// Files whose names mark a temporary of ours (staged outputs, spools, the
// batch's run folder).
std::vector<std::string> temporaries(const fs::path& dir) {
    std::vector<std::string> found;
    if (!fs::exists(dir)) return found;
    for (const auto& e : fs::recursive_directory_iterator(dir)) {
        const std::string name = e.path().filename().string();
        if (name.find(".stemforge") != std::string::npos || name.find(".part-") != std::string::npos || name.find("-tmp") != std::string::npos)
            found.push_back(e.path().string());
    }
    return found;
}

double integrated_lufs_ebur128(const fs::path& file) {
    int rate = 0;
    const AudioBuffer a = read_audio(file, &rate);
    ebur128_state* st = ebur128_init(static_cast<unsigned>(a.channels()), static_cast<unsigned long>(rate), EBUR128_MODE_I);
    std::vector<float> inter(static_cast<size_t>(a.channels() * a.frames()));
    for (int64_t i = 0; i < a.frames(); ++i)
        for (int c = 0; c < a.channels(); ++c) inter[static_cast<size_t>(i * a.channels() + c)] = a.channel(c)[i];
    ebur128_add_frames_float(st, inter.data(), static_cast<size_t>(a.frames()));
    double lufs = 0.0;
    ebur128_loudness_global(st, &lufs);
    ebur128_destroy(&st);
    return lufs;
}

// The command lines of running processes that name `text` (zombies have none).
std::vector<std::string> processes_mentioning(const std::string& text) {
    std::vector<std::string> found;
    for (const auto& e : fs::directory_iterator("/proc")) {
        const std::string pid = e.path().filename().string();
        if (pid.find_first_not_of("0123456789") != std::string::npos || pid == std::to_string(::getpid())) continue;
        std::string cmdline;
        try {
            cmdline = read_text(e.path() / "cmdline");
        } catch (...) {
            continue;
        }
        for (char& c : cmdline)
            if (c == '\0') c = ' ';
        if (cmdline.find(text) != std::string::npos) found.push_back(pid + ": " + cmdline);
    }
    return found;
}

const json* entry(const json& summary, const std::string& name, const std::string& variant) {
    for (const auto& e : summary["jobs"])
        if (e["name"] == name && e["variant"] == variant) return &e;
    return nullptr;
}

TEST(BatchE2E, VariantsDifferByExactlyTheirEditsCheckedBySubtraction) {
    Song song;
    const auto batch = song.batch(json::array({{{"session", "song/session.json"},
                                                {"variants", json::array({{{"name", "main"}},
                                                                          {{"name", "instrumental"}, {"set", {{"stems[lead_vox].mute", true}}}},
                                                                          {{"name", "vocal-up"}, {"set", {{"stems[2].gain_db", 6.0}}}}})}}}));
    auto r = run_stemforge({"batch", batch.string(), "--backend", "cpu", "--jobs", "2", "--json"});
    ASSERT_EQ(r.exit_code, 0) << r.err << r.out;
    const json summary = json::parse(r.out);
    // The job is named after the session's folder; exports keep their names.
    const fs::path out = song.dir / "renders/song";
    const AudioBuffer main = read_audio(out / "main/mix.wav");
    const AudioBuffer inst = read_audio(out / "instrumental/mix.wav");
    const AudioBuffer up = read_audio(out / "vocal-up/mix.wav");
    ASSERT_EQ(main.channels(), 2);
    ASSERT_EQ(main.frames(), kFrames);
    ASSERT_EQ(inst.frames(), kFrames);
    ASSERT_EQ(up.frames(), kFrames);
    // main - instrumental = the vocal alone, panned centre; vocal-up -
    // instrumental = the same 6 dB louder. Float export, so only float
    // rounding of the sums remains (three stems of <= 0.25: ~1e-7).
    const double up_gain = std::pow(10.0, 6.0 / 20.0);
    double worst_main = 0.0, worst_up = 0.0, vocal_energy = 0.0;
    for (int c = 0; c < 2; ++c)
        for (int64_t i = 0; i < kFrames; ++i) {
            const double v = kCentre * song.vox.channel(0)[i];
            worst_main = std::max(worst_main, std::abs(double(main.channel(c)[i]) - inst.channel(c)[i] - v));
            worst_up = std::max(worst_up, std::abs(double(up.channel(c)[i]) - inst.channel(c)[i] - up_gain * v));
            vocal_energy += v * v;
        }
    EXPECT_LT(worst_main, 1e-6);
    EXPECT_LT(worst_up, 2e-6);
    EXPECT_GT(vocal_energy, 1.0);  // the vocal is there to be subtracted
    // And the instrumental holds the rest: bed + bass at centre.
    double worst_rest = 0.0;
    for (int c = 0; c < 2; ++c)
        for (int64_t i = 0; i < kFrames; ++i)
            worst_rest = std::max(worst_rest, std::abs(double(inst.channel(c)[i]) - song.bed.channel(c)[i] * 1.0 - kCentre * song.bass.channel(0)[i]));
    // A stereo stem at centre pan is a balance: untouched.
    EXPECT_LT(worst_rest, 1e-6);

    ASSERT_EQ(summary["jobs"].size(), 3u);
    for (const auto& e : summary["jobs"]) {
        EXPECT_EQ(e["status"], "ok") << e.dump();
        EXPECT_EQ(e["name"], "song");
        ASSERT_EQ(e["outputs"].size(), 1u);
        EXPECT_EQ(fs::path(e["outputs"][0].get<std::string>()), out / e["variant"].get<std::string>() / "mix.wav");
    }
    // The session's own export folder was not touched, nor anything left behind.
    EXPECT_FALSE(fs::exists(song.dir / "song/out"));
    EXPECT_EQ(temporaries(song.dir.path()), std::vector<std::string>{});
}

TEST(BatchE2E, AFailingJobDoesNotStopTheOthersAndExitsOne) {
    Song song;
    const auto batch = song.batch(json::array({{{"session", "song/session.json"}},
                                               {{"session", "nowhere/session.json"}},
                                               {{"session", "song/session.json"}, {"name", "typo"}, {"set", {{"stems[lead_voc].mute", true}}}},
                                               {{"session", "song/session.json"}, {"name", "bad-value"}, {"set", {{"stems[bass].pan", 3.0}}}}}));
    auto r = run_stemforge({"batch", batch.string(), "--backend", "cpu", "--json"});
    EXPECT_EQ(r.exit_code, 1) << r.err;
    const json summary = json::parse(r.out);
    ASSERT_EQ(summary["jobs"].size(), 4u);
    const json* good = entry(summary, "song", "main");
    ASSERT_NE(good, nullptr) << r.out;
    EXPECT_EQ((*good)["status"], "ok");
    EXPECT_TRUE(fs::exists(song.dir / "renders/song/main/mix.wav"));
    const json* missing = entry(summary, "nowhere", "main");
    ASSERT_NE(missing, nullptr);
    EXPECT_EQ((*missing)["status"], "failed");
    EXPECT_NE((*missing)["error"].get<std::string>().find("nowhere/session.json"), std::string::npos) << *missing;
    // A bad `set` path fails its job naming the batch entry and the path.
    const json* typo = entry(summary, "typo", "main");
    ASSERT_NE(typo, nullptr);
    EXPECT_EQ((*typo)["status"], "failed");
    const std::string typo_error = (*typo)["error"].get<std::string>();
    EXPECT_NE(typo_error.find("jobs[2].set[\"stems[lead_voc].mute\"]"), std::string::npos) << typo_error;
    EXPECT_NE(typo_error.find("lead_voc"), std::string::npos) << typo_error;
    EXPECT_NE(typo_error.find(batch.string()), std::string::npos) << typo_error;
    // A value the session validator refuses fails with its message (the session's JSON path).
    const json* bad_value = entry(summary, "bad-value", "main");
    ASSERT_NE(bad_value, nullptr);
    EXPECT_EQ((*bad_value)["status"], "failed");
    EXPECT_NE((*bad_value)["error"].get<std::string>().find("stems[1].pan"), std::string::npos) << *bad_value;
    EXPECT_FALSE(fs::exists(song.dir / "renders/typo/main/mix.wav"));
    EXPECT_EQ(summary["jobs_ok"], 1);
    EXPECT_EQ(summary["jobs_failed"], 3);
    // The summary on disk is the one printed.
    EXPECT_EQ(json::parse(read_text(song.dir / "renders/summary.json")), summary);
}

TEST(BatchE2E, SummaryHoldsTheContractKeysAndTheMeasuredLoudness) {
    Song song;
    // A master block this time: the loudness reported is the delivered file's.
    json s = json::parse(read_text(song.dir / "song/session.json"));
    s["master"] = {{"limiter", {{"ceiling_dbtp", -1.0}}}, {"loudness_target_lufs", -20.0}};
    s["export"] = json::array({{{"file", "out/master.wav"}, {"bit_depth", 24}}, {{"file", "out/master.flac"}, {"bit_depth", 16}}});
    write_text(song.dir / "song/session.json", s.dump());
    const auto batch = song.batch(json::array({{{"session", "song/session.json"}}}));
    auto r = run_stemforge({"batch", batch.string(), "--backend", "cpu"});  // without --json: the summary file only
    ASSERT_EQ(r.exit_code, 0) << r.err << r.out;
    EXPECT_NE(r.out.find("song/main"), std::string::npos) << r.out;
    const json summary = json::parse(read_text(song.dir / "renders/summary.json"));
    ASSERT_EQ(summary["jobs"].size(), 1u);
    const json& e = summary["jobs"][0];
    for (const char* key : {"name", "variant", "status", "outputs", "loudness", "error", "seconds", "host"}) EXPECT_TRUE(e.contains(key)) << key;
    EXPECT_EQ(e["name"], "song");
    EXPECT_EQ(e["variant"], "main");  // a job without variants
    EXPECT_EQ(e["status"], "ok");
    EXPECT_TRUE(e["error"].is_null());
    EXPECT_GT(e["seconds"].get<double>(), 0.0);
    char host[256] = {};
    ::gethostname(host, sizeof(host) - 1);
    EXPECT_EQ(e["host"], host);
    ASSERT_EQ(e["outputs"].size(), 2u);
    const fs::path first = e["outputs"][0].get<std::string>();
    EXPECT_EQ(first, song.dir / "renders/song/main/master.wav");
    EXPECT_TRUE(fs::exists(song.dir / "renders/song/main/master.flac"));
    // loudness: the analyze keys of the first output, against libebur128.
    const double oracle = integrated_lufs_ebur128(first);
    EXPECT_NEAR(e["loudness"]["integrated_lufs"].get<double>(), oracle, 0.01);
    EXPECT_NEAR(oracle, -20.0, 0.2);  // and the master block did run
    EXPECT_TRUE(e["loudness"].contains("true_peak_dbtp"));
}

TEST(BatchE2E, BadBatchFilesNameTheJsonPathAndWriteNothing) {
    Song song;
    struct Case {
        std::string batch;                  // the file's text
        std::vector<std::string> expected;  // one error line each, in this order
    };
    const std::vector<Case> cases = {
        {R"({"format": "stemforge-batch", "version": 1, "output_dri": "x", "jobs": [{"session": "song/session.json"}]})",
         {"output_dri: unknown key (did you mean \"output_dir\"?)"}},
        {R"({"format": "stemforge-session", "version": 2, "jobs": []})",
         {"format: must be \"stemforge-batch\"", "version: must be 1", "jobs: must not be empty"}},
        {R"({"format": "stemforge-batch", "version": 1, "jobs": [{"session": "song/session.json"}, {"name": "x"}]})",
         {"jobs[1]: needs \"session\" or \"album\""}},
        {R"({"format": "stemforge-batch", "version": 1, "jobs": [{"session": "song/session.json",
             "variants": [{"name": "a"}, {"name": "a"}, {"name": "../up"}, {"set": {}}]}]})",
         {"jobs[0].variants[1].name: \"a\" is also jobs[0].variants[0]'s name", "jobs[0].variants[2].name: \"../up\" is not a folder name",
          "jobs[0].variants[3].name: is required"}},
        {R"({"format": "stemforge-batch", "version": 1, "jobs": [{"album": "b/album.json", "variants": [{"name": "a"}]},
             {"session": "s.json", "set": {"stems[0].mute": true}, "varients": 1}]})",
         {"jobs[0].variants: variants apply to session jobs only", "jobs[1].varients: unknown key (did you mean \"variants\"?)"}},
        {R"({"format": "stemforge-batch", "version": 1, "output_dir": "x", "jobs": [{"session": "a.json", "name": "x"}, {"session": "b.json", "name": "x"}]})",
         {"jobs[1].name: \"x\" is also jobs[0]'s name"}},
    };
    for (size_t k = 0; k < cases.size(); ++k) {
        const fs::path file = song.dir / "bad.json";
        write_text(file, cases[k].batch);
        auto r = run_stemforge({"batch", file.string(), "--backend", "cpu"});
        EXPECT_EQ(r.exit_code, 3) << k << ": " << r.err;
        EXPECT_EQ(line_count(r.err), static_cast<int>(cases[k].expected.size())) << k << ": " << r.err;
        size_t at = 0;
        for (const auto& want : cases[k].expected) {
            const std::string line = "stemforge: error: " + file.string() + ": " + want;
            const size_t found = r.err.find(line, at);
            EXPECT_NE(found, std::string::npos) << k << ": wanted \"" << line << "\" in\n" << r.err;
            if (found != std::string::npos) at = found;
        }
        EXPECT_TRUE(r.out.empty()) << r.out;
        EXPECT_FALSE(fs::exists(song.dir / "renders")) << k;
        EXPECT_FALSE(fs::exists(song.dir / "x")) << k;
    }
    // Malformed JSON names the place.
    write_text(song.dir / "bad.json", "{\"format\": \"stemforge-batch\",\n \"jobs\": [}");
    auto r = run_stemforge({"batch", (song.dir / "bad.json").string()});
    EXPECT_EQ(r.exit_code, 3);
    EXPECT_NE(r.err.find("line 2"), std::string::npos) << r.err;
    // The summary may not overwrite an input.
    write_text(song.dir / "self.json", json({{"format", "stemforge-batch"}, {"version", 1}, {"output_dir", "."},
                                             {"jobs", {{{"session", "summary.json"}}}}}).dump());
    write_text(song.dir / "summary.json", "{}");
    r = run_stemforge({"batch", (song.dir / "self.json").string()});
    EXPECT_EQ(r.exit_code, 3) << r.err;
    EXPECT_NE(r.err.find("summary"), std::string::npos) << r.err;
    EXPECT_EQ(read_text(song.dir / "summary.json"), "{}");
}

TEST(BatchE2E, JobNamesAreTheSessionFoldersMadeUnique) {
    Song song;
    fs::create_directories(song.dir / "other/song");
    fs::copy(song.dir / "song/stems", song.dir / "other/song/stems");
    fs::copy(song.dir / "song/session.json", song.dir / "other/song/session.json");
    fs::copy(song.dir / "song/session.json", song.dir / "song/ballad.json");
    const auto batch = song.batch(json::array({{{"session", "song/session.json"}},
                                               {{"session", "other/song/session.json"}},
                                               {{"session", "song/ballad.json"}}}));
    auto r = run_stemforge({"batch", batch.string(), "--backend", "cpu", "--json"});
    ASSERT_EQ(r.exit_code, 0) << r.err;
    const json summary = json::parse(r.out);
    ASSERT_EQ(summary["jobs"].size(), 3u);
    EXPECT_EQ(summary["jobs"][0]["name"], "song");
    EXPECT_EQ(summary["jobs"][1]["name"], "song-2");
    EXPECT_EQ(summary["jobs"][2]["name"], "ballad");
    EXPECT_TRUE(fs::exists(song.dir / "renders/song-2/main/mix.wav"));
    EXPECT_TRUE(fs::exists(song.dir / "renders/ballad/main/mix.wav"));
}

TEST(BatchE2E, AlbumJobsRunTheAlbumCommandOrSayItIsMissing) {
    Song song;
    json album = {{"format", "stemforge-album"}, {"version", 1}, {"title", "T"}, {"artist", "A"},
                  {"loudness", {{"mode", "track"}, {"target_lufs", -18.0}, {"ceiling_dbtp", -1.0}}},
                  {"master", {{"limiter", {{"ceiling_dbtp", -1.0}}}}},
                  {"tracks", {{{"session", "../song/session.json"}, {"title", "One"}}}},
                  {"export", {{{"dir", "out/tracks"}, {"format", "flac"}, {"bit_depth", 24}, {"sample_rate", 48000}}}}};
    fs::create_directories(song.dir / "record");
    write_text(song.dir / "record/album.json", album.dump());
    const auto batch = song.batch(json::array({{{"album", "record/album.json"}}}));
    auto r = run_stemforge({"batch", batch.string(), "--backend", "cpu", "--json"});
    const json summary = json::parse(r.out);
    ASSERT_EQ(summary["jobs"].size(), 1u);
    const json& e = summary["jobs"][0];
    EXPECT_EQ(e["name"], "record");
    EXPECT_EQ(e["kind"], "album");
    // Whether this build has the album command: the help's list of subcommands.
    const std::string help = run_stemforge({"--help"}).out;
    const bool has_album = help.find("\n  album ") != std::string::npos;
    if (has_album) {
        EXPECT_EQ(r.exit_code, 0) << r.err << r.out;
        EXPECT_EQ(e["status"], "ok") << e.dump();
        ASSERT_FALSE(e["outputs"].empty());
        for (const auto& o : e["outputs"])
            EXPECT_EQ(fs::path(o.get<std::string>()).parent_path(), song.dir / "renders/record/main/tracks") << o;
        EXPECT_FALSE(fs::exists(song.dir / "record/out"));
    } else {
        EXPECT_EQ(r.exit_code, 1);
        EXPECT_EQ(e["status"], "failed");
        EXPECT_NE(e["error"].get<std::string>().find("no `album` command"), std::string::npos) << e.dump();
    }
}

// Ctrl-C while the renders run: the tasks are stopped, their staged files
// and the batch's run folder removed, no summary written, exit 130/143.
void interrupt_batch(int sig, int expected_exit) {
    Song song;
    write_wav(song.dir / "song/stems/long.wav", noise(2, 60 * kRate, 7, 0.25), kRate, 24);
    json s = session_with({{{"name", "long"}, {"file", "stems/long.wav"}}});
    s["master"] = {{"limiter", {{"ceiling_dbtp", -1.0}}}, {"loudness_target_lufs", -16.0}};
    s["export"] = json::array({{{"file", "out/master.wav"}, {"bit_depth", 24}}});
    write_text(song.dir / "song/long.json", s.dump());
    const auto batch = song.batch(json::array({{{"session", "song/long.json"}, {"variants", {{{"name", "a"}}, {{"name", "b"}, {"set", {{"stems[long].gain_db", -3}}}}}}}}));
    fs::create_directories(song.dir / "renders/long/a");
    write_text(song.dir / "renders/long/a/master.wav", "an earlier delivery");

    std::vector<std::string> argv_s{STEMFORGE_BIN, "batch", batch.string(), "--backend", "cpu", "--jobs", "2"};
    std::vector<char*> argv;
    for (auto& a : argv_s) argv.push_back(a.data());
    argv.push_back(nullptr);
    const fs::path log = song.dir / "log.txt";
    const pid_t pid = ::fork();
    if (pid == 0) {
        const int fd = ::open(log.c_str(), O_WRONLY | O_CREAT | O_TRUNC, 0644);
        ::dup2(fd, 1);
        ::dup2(fd, 2);
        ::execv(argv[0], argv.data());
        ::_exit(127);
    }
    ASSERT_GT(pid, 0);
    // Wait until a render has written something of its own in a variant folder.
    bool working = false;
    for (int i = 0; i < 1500 && !working; ++i) {
        std::this_thread::sleep_for(std::chrono::milliseconds(20));
        for (const auto& t : temporaries(song.dir / "renders/long")) working |= t.find("/renders/long/") != std::string::npos;
    }
    ASSERT_TRUE(working) << "the renders never started writing";
    ASSERT_EQ(::kill(pid, sig), 0);
    int status = 0;
    ASSERT_EQ(::waitpid(pid, &status, 0), pid);
    const std::string text = read_text(log);
    ASSERT_TRUE(WIFEXITED(status)) << text;
    EXPECT_EQ(WEXITSTATUS(status), expected_exit) << text;
    EXPECT_NE(text.find("stemforge: error: cancelled"), std::string::npos) << text;
    EXPECT_EQ(temporaries(song.dir.path()), std::vector<std::string>{});
    EXPECT_FALSE(fs::exists(song.dir / "renders/summary.json"));
    EXPECT_EQ(read_text(song.dir / "renders/long/a/master.wav"), "an earlier delivery");
    EXPECT_FALSE(fs::exists(song.dir / "renders/long/b/master.wav"));
    // Nothing of the batch still runs: no task, no render.
    EXPECT_EQ(processes_mentioning(song.dir.path().string()), std::vector<std::string>{});
}

TEST(BatchE2E, SigintStopsTheTasksAndLeavesNothing) { interrupt_batch(SIGINT, 130); }
TEST(BatchE2E, SigtermStopsTheTasksAndLeavesNothing) { interrupt_batch(SIGTERM, 143); }

}  // namespace
}  // namespace sf::test
