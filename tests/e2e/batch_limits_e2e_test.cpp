// The batch limit (docs/BENCHMARKS.md, "Limits"): `stemforge batch --engine
// local` renders every task in a child process of its own, so what the
// batch process itself holds is its bookkeeping: the parsed batch, one
// summary entry per finished task (the task's report: about 9 KB of JSON),
// the summary. Its memory grows with the number of tasks by that entry
// alone — never by a render's buffers.
//
// The batch process's own peak RSS is read at its exit through ptrace
// (PTRACE_O_TRACEEXIT: the process stops before its memory is released, and
// /proc/PID/status still holds VmHWM); the task processes are not traced
// and not counted (a wait4 rusage would fold their peaks in).
#include <fcntl.h>
#include <sys/ptrace.h>
#include <sys/wait.h>
#include <unistd.h>

#include <csignal>
#include <fstream>
#include <sstream>

#include "tests/e2e/e2e_support.h"

namespace sf::test {
namespace {

namespace fs = std::filesystem;
using nlohmann::json;

struct TracedRun {
    int exit_code = -1;
    long peak_rss_kib = -1;  // VmHWM of the traced process at its exit
    std::string out;
};

long vm_hwm_kib(pid_t pid) {
    std::ifstream in("/proc/" + std::to_string(pid) + "/status");
    for (std::string line; std::getline(in, line);)
        if (line.rfind("VmHWM:", 0) == 0) return std::stol(line.substr(6));
    return -1;
}

// Runs `argv` (stdout to `out_file`, stderr to /dev/null) under ptrace and
// reads its VmHWM at its exit stop. Signals it receives are passed on.
TracedRun run_traced(const std::vector<std::string>& argv, const fs::path& out_file) {
    TracedRun r;
    const pid_t pid = ::fork();
    if (pid == 0) {
        const int out = ::open(out_file.c_str(), O_WRONLY | O_CREAT | O_TRUNC, 0644);
        const int null = ::open("/dev/null", O_WRONLY);
        ::dup2(out, 1);
        ::dup2(null, 2);
        ::ptrace(PTRACE_TRACEME, 0, nullptr, nullptr);
        std::vector<char*> args;
        for (const auto& a : argv) args.push_back(const_cast<char*>(a.c_str()));
        args.push_back(nullptr);
        ::execv(args[0], args.data());
        ::_exit(127);
    }
    int status = 0;
    bool options_set = false;
    while (::waitpid(pid, &status, 0) == pid) {
        if (WIFEXITED(status) || WIFSIGNALED(status)) break;
        if (!WIFSTOPPED(status)) continue;
        int deliver = 0;
        if (status >> 8 == (SIGTRAP | (PTRACE_EVENT_EXIT << 8))) {
            r.peak_rss_kib = vm_hwm_kib(pid);
        } else if (WSTOPSIG(status) == SIGTRAP && !options_set) {
            // The stop after execv: from here on, stop once more at the exit.
            ::ptrace(PTRACE_SETOPTIONS, pid, nullptr, reinterpret_cast<void*>(PTRACE_O_TRACEEXIT));
            options_set = true;
        } else {
            deliver = WSTOPSIG(status);
        }
        ::ptrace(PTRACE_CONT, pid, nullptr, reinterpret_cast<void*>(static_cast<intptr_t>(deliver)));
    }
    r.exit_code = WIFEXITED(status) ? WEXITSTATUS(status) : 128 + WTERMSIG(status);
    std::ifstream in(out_file);
    std::stringstream text;
    text << in.rdbuf();
    r.out = text.str();
    return r;
}

// `count` one-second sessions (one stem each, all reading one file) and a
// batch of one job per session.
fs::path write_batch(const TempDir& dir, int count) {
    write_wav(dir / "stem.wav", noise(2, 48000, 77, 0.2), 48000, 16);
    json jobs = json::array();
    fs::create_directories(dir / "s");
    for (int i = 0; i < count; ++i) {
        json s = session_with({{{"name", "a"}, {"file", "../stem.wav"}, {"gain_db", -(i % 12)}}});
        s["export"] = json::array({{{"file", "out/mix.wav"}, {"bit_depth", 16}}});
        const std::string name = "s/" + std::to_string(1000 + i) + ".json";
        write_text(dir / name, s.dump());
        jobs.push_back({{"session", name}});
    }
    write_text(dir / "batch.json", json({{"format", "stemforge-batch"}, {"version", 1}, {"output_dir", "out"}, {"jobs", jobs}}).dump());
    return dir / "batch.json";
}

TracedRun run_batch(const TempDir& dir, int count) {
    const fs::path batch = write_batch(dir, count);
    auto r = run_traced({STEMFORGE_BIN, "batch", batch.string(), "--engine", "local", "--jobs", "2", "--backend", "cpu", "--json"},
                        dir / "summary-stdout.json");
    return r;
}

// The bound (docs/BENCHMARKS.md): the batch process's peak RSS grows by at
// most 64 KiB per task (measured: about 37 KiB, the task's summary entry as
// a JSON tree and as text) over a few-task batch, and stays under 64 MiB
// for 60 tasks.
TEST(BatchLimitsE2E, BatchProcessMemoryGrowsOnlyByEachTasksSummaryEntry) {
    constexpr int kFew = 6, kMany = 60;
    constexpr long kPerTaskKib = 64;
    TempDir few_dir, many_dir;
    const TracedRun few = run_batch(few_dir, kFew);
    ASSERT_EQ(few.exit_code, 0) << few.out;
    const TracedRun many = run_batch(many_dir, kMany);
    ASSERT_EQ(many.exit_code, 0) << many.out;

    // Every task rendered (the batch did the work it is measured on).
    const json summary = json::parse(many.out);
    ASSERT_EQ(summary["jobs_ok"], kMany);
    ASSERT_EQ(summary["jobs"].size(), static_cast<size_t>(kMany));
    for (const auto& j : summary["jobs"]) EXPECT_TRUE(fs::is_regular_file(j["outputs"][0].get<std::string>())) << j.dump();

    ASSERT_GT(few.peak_rss_kib, 0) << "VmHWM read at the exit stop";
    ASSERT_GT(many.peak_rss_kib, 0);
    std::printf("[   INFO   ] batch process peak RSS: %ld KiB for %d tasks, %ld KiB for %d tasks (%.1f KiB per task)\n", few.peak_rss_kib, kFew,
                many.peak_rss_kib, kMany, static_cast<double>(many.peak_rss_kib - few.peak_rss_kib) / (kMany - kFew));
    EXPECT_LE(many.peak_rss_kib - few.peak_rss_kib, kPerTaskKib * (kMany - kFew));
    EXPECT_LT(many.peak_rss_kib, 64 * 1024);
}

}  // namespace
}  // namespace sf::test
