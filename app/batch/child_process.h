// Stemforge batch — child processes: the renders a task starts, the tasks the
// local engine starts, and the Slurm client commands.
//
// Children are started with posix_spawn (no fork of a threaded process), in
// a process group of their own: a Ctrl-C at the terminal then reaches only
// the parent, which forwards it once. A child that received two signals
// would take the second's default action and die without removing its
// temporaries (see app/signals.h).
#pragma once

#include <sys/types.h>

#include <atomic>
#include <filesystem>
#include <optional>
#include <string>
#include <vector>

#include "engine/core/error.h"

namespace sf::cli {

// The running binary's own path (/proc/self/exe), for children that run
// another stemforge command with the same build.
Result<std::filesystem::path> self_executable();

// How a child ended: its exit code, or the signal that killed it.
struct ChildExit {
    int code = -1;    // valid when signal == 0
    int signal = 0;   // the terminating signal, 0 if it exited
    std::string describe() const;  // "exit 1", "killed by signal 9 (Killed)"
};

class ChildProcess {
public:
    ChildProcess() = default;
    ChildProcess(const ChildProcess&) = delete;
    ChildProcess& operator=(const ChildProcess&) = delete;
    ChildProcess(ChildProcess&& other) noexcept;
    ChildProcess& operator=(ChildProcess&& other) noexcept;
    // A child still running is sent SIGTERM and waited for: no orphan outlives its owner.
    ~ChildProcess();

    // Starts argv[0] (an absolute path) with stdin from /dev/null and
    // stdout / stderr into the given files (created or truncated; an empty
    // path: /dev/null). Errors: FileWrite naming the file or the program.
    static Result<ChildProcess> spawn(const std::vector<std::string>& argv, const std::filesystem::path& stdout_file,
                                      const std::filesystem::path& stderr_file);

    pid_t pid() const { return pid_; }
    bool running() const { return pid_ > 0 && !exit_; }
    // Non-blocking: the exit once the child has ended (reaped), else nullopt.
    std::optional<ChildExit> poll();
    // Blocks until the child ends. With `cancel`, a set flag forwards
    // `*cancel_signal` (SIGINT / SIGTERM, read when the flag is seen) to the
    // child once, and the wait goes on until it has ended.
    ChildExit wait(const std::atomic<bool>* cancel = nullptr, int (*cancel_signal)() = nullptr);
    // Sends a signal to the child's process group (no-op once it has ended).
    void signal(int sig) const;

private:
    pid_t pid_ = -1;
    std::optional<ChildExit> exit_;
};

// Runs a program to its end and captures what it printed (a Slurm client
// command: sbatch, squeue, scancel, scontrol). The program is looked up on
// PATH. Errors: FileNotFound when the program is not on PATH.
struct Captured {
    ChildExit exit;
    std::string out, err;
};
Result<Captured> run_captured(const std::vector<std::string>& argv);

// Finds a program on PATH; nullopt when absent.
std::optional<std::filesystem::path> find_on_path(const std::string& program);

// The last lines of a text file that start with "stemforge: error: ", with
// that prefix removed and joined by "; " (empty when there are none): what
// a failed child said, for the summary.
std::string child_errors(const std::filesystem::path& stderr_file);
// The last `max_chars` characters of a file, newlines as " | " (for a log tail).
std::string file_tail(const std::filesystem::path& file, size_t max_chars);

}  // namespace sf::cli
