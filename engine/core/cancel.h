// Stemforge — cancellation of long work (a render, a master, an analysis).
//
// Whoever may stop the work (the CLI's SIGINT/SIGTERM handler, the
// workstation's cancel button) owns a std::atomic<bool> and hands its
// address down; the work reads it between blocks and, once set, unwinds with
// cancelled_error(). Whatever the work wrote on the way is owned by RAII
// objects (the delivery transaction, spools, writers) that remove it.
#pragma once

#include <atomic>
#include <string>
#include <utility>

#include "engine/core/error.h"

namespace sf {

inline bool cancel_requested(const std::atomic<bool>* cancel) { return cancel && cancel->load(std::memory_order_relaxed); }

inline Error cancelled_error(std::string message = "cancelled: no output was written or changed") {
    return Error{ErrorCode::Cancelled, std::move(message), 0};
}

}  // namespace sf
