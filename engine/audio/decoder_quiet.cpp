#include "engine/audio/decoder_quiet.h"

#include <atomic>
#include <cstdio>
#include <fcntl.h>
#include <mutex>
#include <unistd.h>

namespace sf {

namespace {

std::atomic<bool> g_quiet{false};
std::mutex g_mutex;
int g_depth = 0;       // open scopes (under g_mutex)
int g_saved_fd = -1;   // the real stderr while g_depth > 0

}  // namespace

void set_decoder_diagnostics_quiet(bool quiet) { g_quiet.store(quiet); }
bool decoder_diagnostics_quiet() { return g_quiet.load(); }

DecoderQuietScope::DecoderQuietScope(bool active) {
    if (!active || !g_quiet.load(std::memory_order_relaxed)) return;
    std::lock_guard lock(g_mutex);
    if (g_depth == 0) {
        const int null_fd = ::open("/dev/null", O_WRONLY | O_CLOEXEC);
        if (null_fd < 0) return;  // nothing to redirect to: stay loud rather than fail the decode
        std::fflush(stderr);
        g_saved_fd = ::fcntl(STDERR_FILENO, F_DUPFD_CLOEXEC, 3);
        if (g_saved_fd < 0 || ::dup2(null_fd, STDERR_FILENO) < 0) {
            if (g_saved_fd >= 0) ::close(g_saved_fd);
            g_saved_fd = -1;
            ::close(null_fd);
            return;
        }
        ::close(null_fd);
    }
    ++g_depth;
    engaged_ = true;
}

DecoderQuietScope::~DecoderQuietScope() {
    if (!engaged_) return;
    std::lock_guard lock(g_mutex);
    if (--g_depth == 0) {
        std::fflush(stderr);  // what libmpg123 left in stdio's buffer goes to /dev/null, not the terminal
        ::dup2(g_saved_fd, STDERR_FILENO);
        ::close(g_saved_fd);
        g_saved_fd = -1;
    }
}

}  // namespace sf
