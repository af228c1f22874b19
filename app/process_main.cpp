// stemforge — the process entry point: the command line (parse_and_run,
// app/main.cpp) inside a last line of defence. An exception that escapes a
// command — an allocation the machine cannot satisfy (a huge IR or stem, an
// exhausted heap), or a bug — would reach std::terminate and abort without
// unwinding, leaving every staged and spooled file behind. Caught here, the
// stack unwinds first (each temporary's owner removes it, existing outputs
// stay as they were) and the failure is one error line and exit 1.
#include <cstdio>
#include <cstdlib>
#include <exception>
#include <new>

#include "app/backends.h"
#include "app/cli.h"

int main(int argc, char** argv) {
    int code = sf::cli::kFailure;
    try {
        code = sf::cli::parse_and_run(argc, argv);
    } catch (const std::bad_alloc&) {
        std::fprintf(stderr, "stemforge: error: out of memory: a buffer this command needs could not be allocated\n");
    } catch (const std::exception& e) {
        std::fprintf(stderr, "stemforge: error: internal error: %s\n", e.what());
    }
    // After a GPU fault the device is abandoned, not destroyed, and its
    // driver's threads may still be running submitted work. exit() would run
    // the driver's and its compiler's exit-time destructors under them
    // (lavapipe: now and then a crash in LLVM's ~MCJIT after the error line,
    // exit 139 instead of 4). Every file of this process is closed and every
    // temporary removed by now (the stack has unwound): end without them.
    if (sf::cli::gpu_device_abandoned()) {
        std::fflush(nullptr);
        std::_Exit(code);
    }
    return code;
}
