#include "app/signals.h"

#include <csignal>

namespace sf::cli {

namespace {

std::atomic<bool> g_cancel{false};
volatile std::sig_atomic_t g_signal = 0;
static_assert(std::atomic<bool>::is_always_lock_free, "the handler may only touch lock-free atomics");

extern "C" void on_cancel_signal(int sig) {
    if (g_signal != 0) {  // the second one: the default action, now
        std::signal(sig, SIG_DFL);
        std::raise(sig);
        return;
    }
    g_signal = sig;
    g_cancel.store(true);
}

}  // namespace

const std::atomic<bool>* install_cancel_signals() {
    struct sigaction sa {};
    sa.sa_handler = on_cancel_signal;
    sigemptyset(&sa.sa_mask);
    sa.sa_flags = SA_RESTART;  // blocking reads and writes carry on; the work stops at the next block
    for (int sig : {SIGINT, SIGTERM}) {
        // A signal ignored by whoever started us stays ignored (POSIX shells
        // start `cmd &` with SIGINT ignored: a Ctrl-C for the shell is not for it).
        struct sigaction old {};
        if (sigaction(sig, nullptr, &old) == 0 && old.sa_handler == SIG_IGN) continue;
        sigaction(sig, &sa, nullptr);
    }
    return &g_cancel;
}

int cancel_signal() { return g_signal; }

}  // namespace sf::cli
