// The local engine: the batch's tasks as child processes of this one.
#include <unistd.h>

#include <chrono>
#include <csignal>
#include <fstream>
#include <optional>
#include <thread>

#include "app/batch/batch_engines.h"
#include "app/batch/batch_task.h"
#include "app/batch/child_process.h"
#include "app/signals.h"
#include "engine/core/cancel.h"

namespace sf::cli {

std::vector<std::string> BatchRun::task_command(size_t index) const {
    auto self = self_executable();
    return {self ? self->string() : std::string("stemforge"), "batch", frozen.string(), "--task", std::to_string(index),
            "--task-results", results_dir.string(), "--backend", backend};
}

std::optional<nlohmann::json> BatchRun::read_result(size_t index) const {
    std::ifstream in(task_result_path(results_dir, index), std::ios::binary);
    if (!in) return std::nullopt;
    try {
        auto j = nlohmann::json::parse(in);
        if (!j.is_object() || !j.contains("status")) return std::nullopt;
        return j;
    } catch (const nlohmann::json::exception&) {
        return std::nullopt;
    }
}

Result<std::vector<nlohmann::json>> run_local_engine(const BatchRun& run, int jobs) {
    struct Running {
        size_t index;
        ChildProcess child;
    };
    std::vector<std::optional<nlohmann::json>> entries(run.tasks.size());
    std::vector<Running> running;
    size_t next = 0, finished = 0;
    bool forwarded = false;
    const bool tty = ::isatty(STDERR_FILENO) != 0;
    auto progress = [&] {
        if (tty) std::fprintf(stderr, "\rbatch: %zu/%zu done, %zu running\033[K", finished, run.tasks.size(), running.size());
    };
    while (finished < run.tasks.size()) {
        const bool cancelled = run.cancel && run.cancel->load();
        if (cancelled && !forwarded) {
            const int sig = cancel_signal() != 0 ? cancel_signal() : SIGTERM;
            for (auto& r : running) r.child.signal(sig);
            forwarded = true;
        }
        if (cancelled && running.empty()) break;
        while (!cancelled && running.size() < static_cast<size_t>(std::max(1, jobs)) && next < run.tasks.size()) {
            const size_t i = next++;
            auto child = ChildProcess::spawn(run.task_command(i), {}, run.logs_dir / ("task-" + std::to_string(i) + ".log"));
            if (!child) {
                entries[i] = failed_task_entry(*run.spec, run.tasks[i], child.error().message);
                ++finished;
                continue;
            }
            running.push_back({i, std::move(*child)});
            progress();
        }
        bool reaped = false;
        for (auto it = running.begin(); it != running.end();) {
            auto exit = it->child.poll();
            if (!exit) {
                ++it;
                continue;
            }
            const size_t i = it->index;
            entries[i] = run.read_result(i);
            if (!entries[i])
                entries[i] = failed_task_entry(*run.spec, run.tasks[i],
                                               "the task process ended with " + exit->describe() + " and wrote no result: " +
                                                   file_tail(run.logs_dir / ("task-" + std::to_string(i) + ".log"), 400));
            ++finished;
            it = running.erase(it);
            reaped = true;
        }
        if (reaped) progress();
        else std::this_thread::sleep_for(std::chrono::milliseconds(20));
    }
    if (tty) std::fprintf(stderr, "\r\033[K");
    if (run.cancel && run.cancel->load()) return std::unexpected(cancelled_error("cancelled: the running tasks were stopped; their outputs were not written"));
    std::vector<nlohmann::json> out;
    for (auto& e : entries) out.push_back(std::move(*e));
    return out;
}

}  // namespace sf::cli
