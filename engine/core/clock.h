// Stemforge — the one wall clock for timings (render phases, benchmarks).
//
// Monotonic (steady_clock): a timing never goes backwards when the system
// clock is set. Thread-safe: now() and seconds_since() touch no shared state.
#pragma once

#include <chrono>

namespace sf {

using Clock = std::chrono::steady_clock;

// Seconds elapsed since t0 (a Clock::now() taken earlier), as a double.
inline double seconds_since(Clock::time_point t0) {
    return std::chrono::duration<double>(Clock::now() - t0).count();
}

}  // namespace sf
