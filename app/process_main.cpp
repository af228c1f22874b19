// stemforge — the process entry point: the command line (parse_and_run,
// app/main.cpp) inside a last line of defence. An exception that escapes a
// command — an allocation the machine cannot satisfy (a huge IR or stem, an
// exhausted heap), or a bug — would reach std::terminate and abort without
// unwinding, leaving every staged and spooled file behind. Caught here, the
// stack unwinds first (each temporary's owner removes it, existing outputs
// stay as they were) and the failure is one error line and exit 1.
#include <cstdio>
#include <exception>
#include <new>

#include "app/cli.h"

int main(int argc, char** argv) {
    try {
        return sf::cli::parse_and_run(argc, argv);
    } catch (const std::bad_alloc&) {
        std::fprintf(stderr, "stemforge: error: out of memory: a buffer this command needs could not be allocated\n");
    } catch (const std::exception& e) {
        std::fprintf(stderr, "stemforge: error: internal error: %s\n", e.what());
    }
    return sf::cli::kFailure;
}
