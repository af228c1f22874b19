// `stemforge batch --engine slurm` end to end on a one-node Slurm cluster
// that the test starts (scripts/slurm-local.sh) in a folder of its own and
// stops again: the batch as job arrays split at the cluster's MaxArraySize
// and throttled, gathered into the same summary as the local engine's
// (sample-identical outputs), a failed task with its Slurm state, one GPU per
// task with --backend gpu, Ctrl-C cancelling the array, and nothing left
// running or on disk afterwards.
#include <fcntl.h>
#include <signal.h>
#include <stdlib.h>
#include <sys/wait.h>
#include <unistd.h>

#include <chrono>
#include <thread>

#include <cmath>
#include <filesystem>
#include <fstream>
#include <set>

#include "tests/e2e/e2e_support.h"

namespace sf::test {
namespace {

namespace fs = std::filesystem;
using nlohmann::json;

constexpr int kRate = 48000;
const std::string kScript = std::string(STEMFORGE_SOURCE_DIR) + "/scripts/slurm-local.sh";

// The cluster's folder: short (the munge socket's path is limited to 108
// bytes) and unique, so a user's cluster and this one can coexist.
struct Cluster {
    fs::path dir;
    std::string start_log;
    bool up = false;

    Cluster() {
        char tmpl[] = "/tmp/sfsl-XXXXXX";
        dir = ::mkdtemp(tmpl);
        ::setenv("SLURM_LOCAL_MAX_ARRAY_SIZE", "4", 1);  // so five tasks make two arrays
        auto r = run_command({kScript, "start", dir.string()});
        start_log = r.out + r.err;
        up = r.exit_code == 0 && r.out.find("export SLURM_CONF=" + (dir / "slurm.conf").string()) != std::string::npos;
        ::setenv("SLURM_CONF", (dir / "slurm.conf").c_str(), 1);
    }
    ~Cluster() { stop(); }
    CommandResult stop() { return run_command({kScript, "stop", dir.string()}); }
    std::vector<pid_t> daemons() const {
        std::vector<pid_t> pids;
        for (const char* f : {"run/munged.pid", "run/slurmctld.pid", "run/slurmd.pid"}) {
            std::ifstream in(dir / f);
            pid_t p = 0;
            if (in >> p) pids.push_back(p);
        }
        return pids;
    }
};

// A song of two mono stems, the vocal one named "lead_vox", 32-bit float export.
void write_song(const fs::path& dir) {
    fs::create_directories(dir / "song");
    write_wav(dir / "song/bass.wav", sine(1, kRate / 2, kRate, 55.0, 0.3), kRate);
    write_wav(dir / "song/vox.wav", sine(1, kRate / 2, kRate, 660.0, 0.3), kRate);
    json s = session_with({{{"name", "bass"}, {"file", "bass.wav"}}, {{"name", "lead_vox"}, {"file", "vox.wav"}, {"pan", -0.5}}});
    s["export"] = json::array({{{"file", "out/mix.wav"}, {"bit_depth", 32}}});
    write_text(dir / "song/session.json", s.dump());
}

fs::path write_batch(const fs::path& dir, const std::string& name, const std::string& output_dir, const json& jobs) {
    write_text(dir / name, json({{"format", "stemforge-batch"}, {"version", 1}, {"output_dir", output_dir}, {"jobs", jobs}}).dump(2));
    return dir / name;
}

const json kJobs = json::array({{{"session", "song/session.json"},
                                 {"variants", {{{"name", "main"}},
                                               {{"name", "instrumental"}, {"set", {{"stems[lead_vox].mute", true}}}},
                                               {{"name", "vocal-up"}, {"set", {{"stems[lead_vox].gain_db", 3}}}},
                                               {{"name", "typo"}, {"set", {{"stems[lead_vocal].mute", true}}}}}}},
                                {{"session", "song/session.json"}, {"name", "again"}}});

TEST(SlurmE2E, OneNodeClusterRunsTheBatchAsAJobArray) {
    TempDir dir;
    write_song(dir.path());
    std::vector<pid_t> daemons;
    {
        Cluster cluster;
        ASSERT_TRUE(cluster.up) << cluster.start_log;
        daemons = cluster.daemons();
        ASSERT_EQ(daemons.size(), 3u);
        // start is idempotent: a second one finds the cluster running.
        auto again = run_command({kScript, "start", cluster.dir.string()});
        EXPECT_EQ(again.exit_code, 0) << again.err;
        EXPECT_NE(again.err.find("already running"), std::string::npos) << again.err;
        EXPECT_EQ(cluster.daemons(), daemons);

        const auto slurm_batch = write_batch(dir.path(), "slurm.json", "via-slurm", kJobs);
        auto r = run_stemforge({"batch", slurm_batch.string(), "--engine", "slurm", "--backend", "cpu", "--jobs", "2", "--json"});
        EXPECT_EQ(r.exit_code, 1) << r.err;  // the typo variant fails
        const json summary = json::parse(r.out);
        EXPECT_EQ(summary["engine"], "slurm");
        ASSERT_EQ(summary["jobs"].size(), 5u);
        std::set<std::string> arrays;
        for (const auto& e : summary["jobs"]) {
            ASSERT_TRUE(e.contains("slurm")) << e;
            const std::string id = e["slurm"]["job_id"].get<std::string>();
            arrays.insert(id.substr(0, id.find('_')));
            if (e["variant"] == "typo") {
                EXPECT_EQ(e["status"], "failed");
                EXPECT_EQ(e["slurm"]["state"], "FAILED");  // the task exits 1 when its job failed
                EXPECT_NE(e["error"].get<std::string>().find("jobs[0].variants[3].set[\"stems[lead_vocal].mute\"]"), std::string::npos) << e;
            } else {
                EXPECT_EQ(e["status"], "ok") << e;
                EXPECT_EQ(e["slurm"]["state"], "COMPLETED") << e;
                ASSERT_EQ(e["outputs"].size(), 1u);
                EXPECT_TRUE(e["loudness"].is_object());
                EXPECT_FALSE(e["host"].get<std::string>().empty());
            }
        }
        // MaxArraySize 4: tasks 0-3 in one array, task 4 in a second.
        EXPECT_EQ(arrays.size(), 2u) << summary["jobs"].dump();
        EXPECT_EQ(json::parse(read_text(dir / "via-slurm/summary.json")), summary);

        // The same batch on the local engine: the same entries, bit-identical files.
        const auto local_batch = write_batch(dir.path(), "local.json", "via-local", kJobs);
        auto l = run_stemforge({"batch", local_batch.string(), "--backend", "cpu", "--json"});
        EXPECT_EQ(l.exit_code, 1) << l.err;
        const json local = json::parse(l.out);
        ASSERT_EQ(local["jobs"].size(), 5u);
        for (size_t i = 0; i < 5; ++i) {
            const json& a = summary["jobs"][i];
            const json& b = local["jobs"][i];
            EXPECT_EQ(a["name"], b["name"]);
            EXPECT_EQ(a["variant"], b["variant"]);
            EXPECT_EQ(a["status"], b["status"]);
            if (a["status"] != "ok") continue;
            const std::string rel = a["name"].get<std::string>() + "/" + a["variant"].get<std::string>() + "/mix.wav";
            EXPECT_EQ(fs::path(a["outputs"][0].get<std::string>()), dir / ("via-slurm/" + rel));
            // Sample for sample (the files' PEAK chunks carry a time stamp).
            const AudioBuffer via_slurm = read_audio(dir / ("via-slurm/" + rel));
            const AudioBuffer via_local = read_audio(dir / ("via-local/" + rel));
            EXPECT_EQ(via_slurm.frames(), kRate / 2) << rel;
            EXPECT_TRUE(via_slurm.raw() == via_local.raw()) << rel;
            EXPECT_NEAR(a["loudness"]["integrated_lufs"].get<double>(), b["loudness"]["integrated_lufs"].get<double>(), 1e-9);
        }

        // --backend gpu: each task asks for one GPU (the cluster offers one,
        // a stand-in device on a machine without), and Slurm hands it over.
        // Where the script could not make a stand-in (a container without
        // mknod) the node has none, and sbatch's refusal is the error.
        const auto gpu_batch = write_batch(dir.path(), "gpu.json", "via-gpu", json::array({{{"session", "song/session.json"}}}));
        auto g = run_stemforge({"batch", gpu_batch.string(), "--engine", "slurm", "--backend", "gpu", "--json"});
        const auto gres = run_command({"sinfo", "-h", "-o", "%G"});
        if (gres.out.find("gpu:1") != std::string::npos) {
            const json gpu = json::parse(g.out);
            ASSERT_EQ(gpu["jobs"].size(), 1u);
            EXPECT_EQ(gpu["jobs"][0]["slurm"]["gpus"], "0") << gpu.dump();
            EXPECT_EQ(g.exit_code, 0) << g.err << gpu.dump();
        } else {
            EXPECT_EQ(g.exit_code, 1) << g.err;
            EXPECT_NE(g.err.find("sbatch refused the batch"), std::string::npos) << g.err << "\n" << cluster.start_log;
        }

        // Ctrl-C while the tasks render: the pending ones are cancelled, the
        // running ones stopped through their batch step, and what they had
        // staged removed; exit 130, no summary.
        {
            write_wav(dir / "song/long.wav", noise(2, 60 * kRate, 7, 0.25), kRate, 24);
            json s = session_with({{{"name", "long"}, {"file", "long.wav"}}});
            s["master"] = {{"limiter", {{"ceiling_dbtp", -1.0}}}, {"loudness_target_lufs", -16.0}};
            s["export"] = json::array({{{"file", "out/master.wav"}, {"bit_depth", 24}}});
            write_text(dir / "song/long.json", s.dump());
            const auto batch = write_batch(dir.path(), "cancel.json", "via-cancel",
                                           json::array({{{"session", "song/long.json"}, {"variants", {{{"name", "a"}}, {{"name", "b"}}, {{"name", "c"}}}}}}));
            std::vector<std::string> argv_s{STEMFORGE_BIN, "batch", batch.string(), "--engine", "slurm", "--backend", "cpu"};
            std::vector<char*> argv;
            for (auto& a : argv_s) argv.push_back(a.data());
            argv.push_back(nullptr);
            const fs::path log = dir / "cancel.log";
            const pid_t pid = ::fork();
            if (pid == 0) {
                const int fd = ::open(log.c_str(), O_WRONLY | O_CREAT | O_TRUNC, 0644);
                ::dup2(fd, 1);
                ::dup2(fd, 2);
                ::execv(argv[0], argv.data());
                ::_exit(127);
            }
            ASSERT_GT(pid, 0);
            bool working = false;
            for (int i = 0; i < 1500 && !working; ++i) {
                std::this_thread::sleep_for(std::chrono::milliseconds(20));
                if (fs::exists(dir / "via-cancel/long"))
                    for (const auto& e : fs::recursive_directory_iterator(dir / "via-cancel/long"))
                        working |= e.path().filename().string().find(".stemforge") != std::string::npos;
            }
            ASSERT_TRUE(working) << "the Slurm tasks never started rendering";
            ASSERT_EQ(::kill(pid, SIGINT), 0);
            int status = 0;
            ASSERT_EQ(::waitpid(pid, &status, 0), pid);
            const std::string text = read_text(log);
            ASSERT_TRUE(WIFEXITED(status)) << text;
            EXPECT_EQ(WEXITSTATUS(status), 130) << text;
            EXPECT_FALSE(fs::exists(dir / "via-cancel/summary.json"));
            // No task of it is left pending or running.
            auto q = run_command({"squeue", "-h", "-r", "-n", "stemforge-batch", "-t", "PENDING,RUNNING,COMPLETING", "-o", "%i %T"});
            EXPECT_EQ(q.exit_code, 0) << q.err;
            EXPECT_EQ(q.out, "");
        }

        // Nothing of the runs is left in the output folders.
        for (const auto& e : fs::recursive_directory_iterator(dir.path()))
            EXPECT_EQ(e.path().filename().string().find(".stemforge"), std::string::npos) << e.path();

        auto stopped = cluster.stop();
        EXPECT_EQ(stopped.exit_code, 0) << stopped.err;
        EXPECT_FALSE(fs::exists(cluster.dir));
        // stop is idempotent too.
        EXPECT_EQ(cluster.stop().exit_code, 0);
    }
    for (pid_t p : daemons) EXPECT_NE(::kill(p, 0), 0) << "daemon " << p << " still runs";
}

TEST(SlurmE2E, WithoutSlurmTheErrorSaysHowToGetIt) {
    TempDir dir;
    write_song(dir.path());
    const auto batch = write_batch(dir.path(), "b.json", "out", json::array({{{"session", "song/session.json"}}}));
    auto r = run_command({"env", "PATH=/nonexistent", STEMFORGE_BIN, "batch", batch.string(), "--engine", "slurm"});
    EXPECT_EQ(r.exit_code, 5) << r.err;
    EXPECT_EQ(line_count(r.err), 1) << r.err;
    EXPECT_NE(r.err.find("sbatch is not on PATH"), std::string::npos) << r.err;
    EXPECT_NE(r.err.find("scripts/slurm-local.sh start"), std::string::npos) << r.err;
    EXPECT_FALSE(fs::exists(dir / "out/summary.json"));
}

}  // namespace
}  // namespace sf::test
