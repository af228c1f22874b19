// The Slurm engine: the batch as job arrays, gathered by polling squeue.
//
// Only the site's client commands are used (sbatch, squeue, scancel,
// scontrol), never libslurm: sites run newer Slurm versions than the one a
// binary would be linked with. `sbatch --wait` is not used either: it polls
// with growing gaps (42 s for an array that ended in 7 s), so the command
// polls squeue itself, every half second.
#include <unistd.h>

#include <chrono>
#include <csignal>
#include <fstream>
#include <map>
#include <set>
#include <sstream>
#include <thread>

#include "app/batch/batch_engines.h"
#include "app/batch/batch_task.h"
#include "app/batch/child_process.h"
#include "app/signals.h"
#include "engine/core/cancel.h"
#include "engine/core/clock.h"

namespace sf::cli {

namespace {

std::string shell_quote(const std::string& s) {
    std::string out = "'";
    for (char c : s) out += c == '\'' ? std::string("'\\''") : std::string(1, c);
    return out + "'";
}

std::string first_line(std::string s) {
    while (!s.empty() && (s.back() == '\n' || s.back() == '\r' || s.back() == ' ')) s.pop_back();
    if (const auto nl = s.rfind('\n'); nl != std::string::npos) s = s.substr(nl + 1);
    return s;
}

// The cluster's MaxArraySize (array indexes run 0 .. MaxArraySize-1);
// Slurm's default when scontrol does not say.
size_t max_array_size() {
    auto c = run_captured({"scontrol", "show", "config"});
    if (c && c->exit.code == 0) {
        std::istringstream in(c->out);
        std::string line;
        while (std::getline(in, line)) {
            if (!line.starts_with("MaxArraySize")) continue;
            const auto eq = line.find('=');
            if (eq == std::string::npos) break;
            try {
                const long v = std::stol(line.substr(eq + 1));
                if (v >= 1) return static_cast<size_t>(v);
            } catch (...) {
            }
            break;
        }
    }
    return 1001;
}

bool terminal_state(const std::string& s) {
    static const std::set<std::string> kEnded{"COMPLETED", "FAILED", "CANCELLED", "TIMEOUT", "NODE_FAIL", "OUT_OF_MEMORY",
                                              "PREEMPTED", "BOOT_FAIL", "DEADLINE", "SPECIAL_EXIT", "REVOKED"};
    return kEnded.count(s) > 0;
}

// One submitted array: Slurm job id, and the task indexes it covers.
struct ArrayJob {
    std::string id;
    size_t offset = 0, count = 0;
};

struct TaskState {
    std::string state = "PENDING";  // as squeue says; "" once it is no longer listed
    std::optional<Clock::time_point> ended_at;  // first seen ended (or gone) without a result
    bool done = false;
};

// squeue's view of the arrays: "<array job id>|<task id>|<state>" per task.
Result<std::map<std::pair<std::string, size_t>, std::string>> query(const std::vector<ArrayJob>& arrays) {
    std::string ids;
    for (const auto& a : arrays) ids += (ids.empty() ? "" : ",") + a.id;
    auto c = run_captured({"squeue", "-h", "-r", "--states=all", "-j", ids, "-o", "%F|%K|%T"});
    if (!c) return std::unexpected(c.error());
    std::map<std::pair<std::string, size_t>, std::string> out;
    if (c->exit.code != 0) {
        // Every job purged from the controller's memory (MinJobAge): none listed.
        if (c->err.find("Invalid job id") != std::string::npos) return out;
        return fail(ErrorCode::Internal, "squeue: " + first_line(c->err.empty() ? c->out : c->err));
    }
    std::istringstream in(c->out);
    std::string line;
    while (std::getline(in, line)) {
        const auto a = line.find('|'), b = line.rfind('|');
        if (a == std::string::npos || a == b) continue;
        try {
            out[{line.substr(0, a), static_cast<size_t>(std::stoul(line.substr(a + 1, b - a - 1)))}] = line.substr(b + 1);
        } catch (...) {
        }
    }
    return out;
}

std::string id_list(const std::vector<ArrayJob>& arrays) {
    std::string ids;
    for (const auto& a : arrays) ids += (ids.empty() ? "" : ",") + a.id;
    return ids;
}

// Ctrl-C: nothing new starts, the running tasks are asked to stop (their
// batch step only: the task forwards the signal to its render once, which
// then removes what it staged), and after a grace period whatever is left
// is cancelled outright.
void cancel_arrays(const std::vector<ArrayJob>& arrays, int sig) {
    if (arrays.empty()) return;
    const std::string ids = id_list(arrays);
    (void)run_captured({"scancel", "--state=PENDING", ids});
    (void)run_captured({"scancel", "--batch", "--signal=" + std::string(sig == SIGINT ? "INT" : "TERM"), ids});
    const auto deadline = Clock::now() + std::chrono::seconds(60);
    while (Clock::now() < deadline) {
        auto q = query(arrays);
        if (!q) break;
        bool any = false;
        for (const auto& [key, state] : *q) any |= !terminal_state(state);
        if (!any) break;
        std::this_thread::sleep_for(std::chrono::milliseconds(250));
    }
    (void)run_captured({"scancel", ids});
}

}  // namespace

Result<void> slurm_available() {
    for (const char* program : {"sbatch", "squeue", "scancel"})
        if (!find_on_path(program))
            return fail(ErrorCode::NotSupported, std::string("--engine slurm: ") + program +
                                                     " is not on PATH (install slurm-wlm, or start a one-node cluster with scripts/slurm-local.sh start)");
    return {};
}

Result<std::vector<nlohmann::json>> run_slurm_engine(const BatchRun& run, int throttle) {
    if (auto ok = slurm_available(); !ok) return std::unexpected(ok.error());
    auto self = self_executable();
    if (!self) return std::unexpected(self.error());

    // The array task's script: one job/variant per task, its index the
    // array's offset + SLURM_ARRAY_TASK_ID. exec: the task is the batch
    // step's process, so `scancel --batch --signal` reaches it alone.
    const auto script = run.run_dir / "task.sh";
    {
        std::ofstream s(script, std::ios::trunc);
        s << "#!/bin/sh\n"
          << "# Written by stemforge batch --engine slurm: array task = one job/variant of the batch.\n"
          << "exec " << shell_quote(self->string()) << " batch " << shell_quote(run.frozen.string())
          << " --task \"$((SLURM_ARRAY_TASK_ID + $1))\" --task-results " << shell_quote(run.results_dir.string()) << " --backend "
          << shell_quote(run.backend) << "\n";
        s.close();
        if (!s) return fail(ErrorCode::FileWrite, script.string() + ": cannot write the task script");
    }
    std::error_code ec;
    std::filesystem::permissions(script, std::filesystem::perms::owner_all | std::filesystem::perms::group_read |
                                             std::filesystem::perms::group_exec | std::filesystem::perms::others_read |
                                             std::filesystem::perms::others_exec, ec);

    // Arrays of at most MaxArraySize tasks. With a throttle, each array
    // waits for the one before (afterany), so at most `throttle` tasks run
    // at once in all; without one, all are submitted at once.
    const size_t per_array = max_array_size();
    std::vector<ArrayJob> arrays;
    for (size_t offset = 0; offset < run.tasks.size(); offset += per_array) {
        const size_t count = std::min(per_array, run.tasks.size() - offset);
        std::string array = "--array=0-" + std::to_string(count - 1);
        if (throttle > 0) array += "%" + std::to_string(throttle);
        std::vector<std::string> argv{"sbatch", "--parsable", array, "--job-name=stemforge-batch",
                                      "--output=" + (run.logs_dir / "slurm-%A_%a.log").string(), "--chdir=" + run.run_dir.string()};
        if (run.backend == "gpu") argv.push_back("--gres=gpu:1");
        argv.insert(argv.end(), run.sbatch_args.begin(), run.sbatch_args.end());
        if (throttle > 0 && !arrays.empty()) argv.push_back("--dependency=afterany:" + arrays.back().id);
        argv.push_back(script.string());
        argv.push_back(std::to_string(offset));
        auto c = run_captured(argv);
        if (!c || c->exit.code != 0) {
            cancel_arrays(arrays, SIGTERM);
            return fail(ErrorCode::FileWrite, "sbatch refused the batch: " + (c ? first_line(c->err.empty() ? c->out : c->err) : c.error().message));
        }
        std::string id = first_line(c->out);
        if (const auto semi = id.find(';'); semi != std::string::npos) id.resize(semi);  // "id;cluster"
        arrays.push_back({id, offset, count});
    }
    const bool tty = ::isatty(STDERR_FILENO) != 0;
    if (tty) std::fprintf(stderr, "batch: submitted %zu task(s) as Slurm job %s\n", run.tasks.size(), id_list(arrays).c_str());

    std::vector<TaskState> states(run.tasks.size());
    std::vector<std::optional<nlohmann::json>> entries(run.tasks.size());
    // Shared storage may show a result file a little after the task ended
    // (NFS attribute caches): an ended task without one is waited for this long.
    const auto grace = std::chrono::seconds(5);
    auto slurm_block = [&](size_t i, const std::string& state) {
        for (const auto& a : arrays)
            if (i >= a.offset && i < a.offset + a.count) return nlohmann::json{{"job_id", a.id + "_" + std::to_string(i - a.offset)}, {"state", state}};
        return nlohmann::json{{"job_id", nullptr}, {"state", state}};
    };
    const auto poll_interval = std::chrono::milliseconds(std::min<size_t>(5000, 500 + run.tasks.size() / 2));
    size_t done = 0;
    int query_failures = 0;
    std::string last_progress;
    while (done < run.tasks.size()) {
        if (run.cancel && run.cancel->load()) {
            const int sig = cancel_signal() != 0 ? cancel_signal() : SIGTERM;
            cancel_arrays(arrays, sig);
            if (tty) std::fprintf(stderr, "\r\033[K");
            return std::unexpected(cancelled_error("cancelled: the Slurm tasks were cancelled; their outputs were not written"));
        }
        auto q = query(arrays);
        if (!q) {
            // The controller can be busy for a moment; two minutes of failures are an outage.
            if (++query_failures * poll_interval > std::chrono::minutes(2)) {
                cancel_arrays(arrays, SIGTERM);
                return fail(ErrorCode::Internal, "--engine slurm: " + q.error().message);
            }
        } else {
            query_failures = 0;
        }
        size_t running = 0, pending = 0;
        for (size_t i = 0; i < run.tasks.size(); ++i) {
            if (states[i].done) continue;
            if (q) {
                std::string state;
                for (const auto& a : arrays)
                    if (i >= a.offset && i < a.offset + a.count) {
                        auto it = q->find({a.id, i - a.offset});
                        if (it != q->end()) state = it->second;
                    }
                states[i].state = state;
            }
            const bool ended = q && (states[i].state.empty() || terminal_state(states[i].state));
            // A result counts once Slurm has seen the task end too, so that
            // the summary carries its final state.
            if (auto r = ended || !q ? run.read_result(i) : std::nullopt) {
                nlohmann::json s = slurm_block(i, states[i].state.empty() ? "COMPLETED" : states[i].state);
                if (r->contains("slurm") && (*r)["slurm"].is_object() && (*r)["slurm"].contains("gpus")) s["gpus"] = (*r)["slurm"]["gpus"];
                (*r)["slurm"] = s;
                entries[i] = std::move(*r);
                states[i].done = true;
                ++done;
                continue;
            }
            if (ended) {
                if (!states[i].ended_at) states[i].ended_at = Clock::now();
                if (Clock::now() - *states[i].ended_at >= grace) {
                    const std::string state = states[i].state.empty() ? "unknown (no longer listed by squeue)" : states[i].state;
                    nlohmann::json e = failed_task_entry(*run.spec, run.tasks[i], "the Slurm task ended " + state + " without a result");
                    e["slurm"] = slurm_block(i, state);
                    std::string log;
                    for (const auto& a : arrays)
                        if (i >= a.offset && i < a.offset + a.count)
                            log = file_tail(run.logs_dir / ("slurm-" + a.id + "_" + std::to_string(i - a.offset) + ".log"), 400);
                    if (!log.empty()) e["error"] = e["error"].get<std::string>() + ": " + log;
                    entries[i] = std::move(e);
                    states[i].done = true;
                    ++done;
                }
                continue;
            }
            states[i].ended_at.reset();  // requeued (a node failed): its grace starts again when it ends again
            if (states[i].state == "RUNNING" || states[i].state == "COMPLETING") ++running;
            else ++pending;
        }
        if (tty) {
            char line[160];
            std::snprintf(line, sizeof(line), "batch (slurm): %zu/%zu done, %zu running, %zu pending", done, run.tasks.size(), running, pending);
            if (line != last_progress) {
                std::fprintf(stderr, "\r%s\033[K", line);
                last_progress = line;
            }
        }
        // Half a second for a normal batch; a huge one polls less often (each
        // poll lists every task and may read result files on shared storage).
        if (done < run.tasks.size()) std::this_thread::sleep_for(poll_interval);
    }
    if (tty) std::fprintf(stderr, "\r\033[K");
    std::vector<nlohmann::json> out;
    for (auto& e : entries) out.push_back(std::move(*e));
    return out;
}

}  // namespace sf::cli
