// Stemforge CLI — SIGINT / SIGTERM as a cancel request.
//
// A command that writes files installs the handlers before its work and
// passes cancel_flag() to the engine, which stops at the next block and
// returns ErrorCode::Cancelled; the delivery transaction then removes every
// staged and spooled file, existing outputs stay untouched, and report()
// exits 128 + the signal (130 for SIGINT, 143 for SIGTERM). A second signal
// while the first is being honoured takes the default action (terminates at
// once), for a process stuck where no block boundary comes.
#pragma once

#include <atomic>

namespace sf::cli {

// Installs the handlers (idempotent) and returns the flag they set. A signal
// the process inherited as ignored (SIG_IGN) stays ignored.
const std::atomic<bool>* install_cancel_signals();
// The signal that requested cancellation, 0 if none.
int cancel_signal();

}  // namespace sf::cli
