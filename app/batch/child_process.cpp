#include "app/batch/child_process.h"

#include <fcntl.h>
#include <poll.h>
#include <signal.h>
#include <spawn.h>
#include <sys/wait.h>
#include <unistd.h>

#include <array>
#include <cerrno>
#include <chrono>
#include <cstdlib>
#include <cstring>
#include <fstream>
#include <sstream>
#include <thread>

extern char** environ;

namespace sf::cli {

Result<std::filesystem::path> self_executable() {
    std::error_code ec;
    auto p = std::filesystem::read_symlink("/proc/self/exe", ec);
    if (ec) return fail(ErrorCode::Internal, "cannot find this program's own path (/proc/self/exe): " + ec.message());
    return p;
}

std::string ChildExit::describe() const {
    if (signal != 0) return "killed by signal " + std::to_string(signal) + " (" + strsignal(signal) + ")";
    return "exit " + std::to_string(code);
}

namespace {

ChildExit decode(int status) {
    ChildExit e;
    if (WIFEXITED(status)) e.code = WEXITSTATUS(status);
    else if (WIFSIGNALED(status)) e.signal = WTERMSIG(status);
    return e;
}

// posix_spawn's file actions and attributes, released on every path.
struct SpawnSetup {
    posix_spawn_file_actions_t actions{};
    posix_spawnattr_t attr{};
    SpawnSetup() {
        posix_spawn_file_actions_init(&actions);
        posix_spawnattr_init(&attr);
    }
    ~SpawnSetup() {
        posix_spawn_file_actions_destroy(&actions);
        posix_spawnattr_destroy(&attr);
    }
    // A group of its own, default signal handling and an empty mask (the
    // parent's SIGINT/SIGTERM handlers are reset by exec anyway; an ignored
    // signal would not be).
    void own_group() {
        sigset_t def, none;
        sigemptyset(&def);
        sigaddset(&def, SIGINT);
        sigaddset(&def, SIGTERM);
        sigaddset(&def, SIGPIPE);
        sigemptyset(&none);
        posix_spawnattr_setsigdefault(&attr, &def);
        posix_spawnattr_setsigmask(&attr, &none);
        posix_spawnattr_setpgroup(&attr, 0);
        posix_spawnattr_setflags(&attr, POSIX_SPAWN_SETPGROUP | POSIX_SPAWN_SETSIGDEF | POSIX_SPAWN_SETSIGMASK);
    }
};

std::vector<char*> c_argv(const std::vector<std::string>& argv) {
    std::vector<char*> out;
    for (const auto& a : argv) out.push_back(const_cast<char*>(a.c_str()));
    out.push_back(nullptr);
    return out;
}

}  // namespace

ChildProcess::ChildProcess(ChildProcess&& other) noexcept : pid_(other.pid_), exit_(other.exit_) { other.pid_ = -1; }

ChildProcess& ChildProcess::operator=(ChildProcess&& other) noexcept {
    if (this != &other) {
        this->~ChildProcess();
        pid_ = other.pid_;
        exit_ = other.exit_;
        other.pid_ = -1;
    }
    return *this;
}

ChildProcess::~ChildProcess() {
    if (running()) {
        signal(SIGTERM);
        wait();
    }
}

Result<ChildProcess> ChildProcess::spawn(const std::vector<std::string>& argv, const std::filesystem::path& stdout_file,
                                         const std::filesystem::path& stderr_file) {
    SpawnSetup setup;
    const std::string out = stdout_file.empty() ? "/dev/null" : stdout_file.string();
    const std::string err = stderr_file.empty() ? "/dev/null" : stderr_file.string();
    posix_spawn_file_actions_addopen(&setup.actions, 0, "/dev/null", O_RDONLY, 0);
    posix_spawn_file_actions_addopen(&setup.actions, 1, out.c_str(), O_WRONLY | O_CREAT | O_TRUNC, 0644);
    posix_spawn_file_actions_addopen(&setup.actions, 2, err.c_str(), O_WRONLY | O_CREAT | O_TRUNC, 0644);
    setup.own_group();
    auto args = c_argv(argv);
    ChildProcess child;
    const int rc = posix_spawn(&child.pid_, args[0], &setup.actions, &setup.attr, args.data(), environ);
    if (rc != 0) {
        child.pid_ = -1;
        return fail(ErrorCode::FileWrite, "cannot start " + argv[0] + " (output " + out + "): " + std::strerror(rc));
    }
    return child;
}

std::optional<ChildExit> ChildProcess::poll() {
    if (exit_ || pid_ <= 0) return exit_;
    int status = 0;
    const pid_t r = ::waitpid(pid_, &status, WNOHANG);
    if (r == pid_) exit_ = decode(status);
    else if (r < 0 && errno == ECHILD) exit_ = ChildExit{-1, 0};  // reaped elsewhere: unknown
    return exit_;
}

ChildExit ChildProcess::wait(const std::atomic<bool>* cancel, int (*cancel_signal)()) {
    bool forwarded = false;
    // Polled, not a blocking waitpid: the signal handlers restart system
    // calls (SA_RESTART), so a blocking wait would not see the cancel flag.
    while (!poll()) {
        if (cancel && !forwarded && cancel->load()) {
            const int sig = cancel_signal ? cancel_signal() : 0;
            signal(sig != 0 ? sig : SIGTERM);
            forwarded = true;
        }
        std::this_thread::sleep_for(std::chrono::milliseconds(10));
    }
    return *exit_;
}

void ChildProcess::signal(int sig) const {
    if (pid_ > 0 && !exit_) ::kill(-pid_, sig);  // the group: the child and whatever it has started in it
}

std::optional<std::filesystem::path> find_on_path(const std::string& program) {
    if (program.find('/') != std::string::npos) return std::filesystem::path(program);
    const char* path = std::getenv("PATH");
    std::stringstream dirs(path ? path : "/usr/local/bin:/usr/bin:/bin");
    std::string dir;
    while (std::getline(dirs, dir, ':')) {
        if (dir.empty()) dir = ".";
        const auto candidate = std::filesystem::path(dir) / program;
        if (::access(candidate.c_str(), X_OK) == 0 && !std::filesystem::is_directory(candidate)) return candidate;
    }
    return std::nullopt;
}

Result<Captured> run_captured(const std::vector<std::string>& argv) {
    auto program = find_on_path(argv.at(0));
    if (!program) return fail(ErrorCode::FileNotFound, argv[0] + ": not found on PATH");
    std::array<int, 2> out_pipe{-1, -1}, err_pipe{-1, -1};
    if (::pipe2(out_pipe.data(), O_CLOEXEC) != 0 || ::pipe2(err_pipe.data(), O_CLOEXEC) != 0) {
        for (int fd : {out_pipe[0], out_pipe[1], err_pipe[0], err_pipe[1]})
            if (fd >= 0) ::close(fd);
        return fail(ErrorCode::Internal, "cannot run " + argv[0] + ": pipe: " + std::strerror(errno));
    }
    SpawnSetup setup;
    posix_spawn_file_actions_addopen(&setup.actions, 0, "/dev/null", O_RDONLY, 0);
    posix_spawn_file_actions_adddup2(&setup.actions, out_pipe[1], 1);
    posix_spawn_file_actions_adddup2(&setup.actions, err_pipe[1], 2);
    // Its own group too: scancel or squeue must not be hit by the Ctrl-C
    // that the batch command is busy honouring.
    setup.own_group();
    std::vector<std::string> full = argv;
    full[0] = program->string();
    auto args = c_argv(full);
    pid_t pid = -1;
    const int rc = posix_spawn(&pid, args[0], &setup.actions, &setup.attr, args.data(), environ);
    ::close(out_pipe[1]);
    ::close(err_pipe[1]);
    if (rc != 0) {
        ::close(out_pipe[0]);
        ::close(err_pipe[0]);
        return fail(ErrorCode::FileNotFound, "cannot run " + full[0] + ": " + std::strerror(rc));
    }
    Captured c;
    std::array<pollfd, 2> fds{pollfd{out_pipe[0], POLLIN, 0}, pollfd{err_pipe[0], POLLIN, 0}};
    std::array<std::string*, 2> sinks{&c.out, &c.err};
    int open_fds = 2;
    char buf[4096];
    while (open_fds > 0) {
        if (::poll(fds.data(), fds.size(), -1) < 0) {
            if (errno == EINTR) continue;
            break;
        }
        for (size_t i = 0; i < fds.size(); ++i) {
            if (fds[i].fd < 0 || !(fds[i].revents & (POLLIN | POLLHUP | POLLERR))) continue;
            const ssize_t n = ::read(fds[i].fd, buf, sizeof(buf));
            if (n > 0) {
                sinks[i]->append(buf, static_cast<size_t>(n));
            } else if (n == 0 || errno != EINTR) {
                ::close(fds[i].fd);
                fds[i].fd = -1;
                --open_fds;
            }
        }
    }
    for (auto& f : fds)
        if (f.fd >= 0) ::close(f.fd);
    int status = 0;
    while (::waitpid(pid, &status, 0) < 0 && errno == EINTR) {}
    c.exit = decode(status);
    return c;
}

std::string child_errors(const std::filesystem::path& stderr_file) {
    std::ifstream in(stderr_file);
    std::string line, all;
    constexpr std::string_view kPrefix = "stemforge: error: ";
    while (std::getline(in, line))
        if (line.starts_with(kPrefix)) all += (all.empty() ? "" : "; ") + line.substr(kPrefix.size());
    return all;
}

std::string file_tail(const std::filesystem::path& file, size_t max_chars) {
    std::ifstream in(file, std::ios::binary);
    std::ostringstream s;
    s << in.rdbuf();
    std::string text = s.str();
    while (!text.empty() && (text.back() == '\n' || text.back() == ' ')) text.pop_back();
    if (text.size() > max_chars) text = "..." + text.substr(text.size() - max_chars);
    std::string out;
    for (char c : text) {
        if (c == '\n') out += " | ";
        else out += c;
    }
    return out;
}

}  // namespace sf::cli
