// Stemforge — positions as users read them: "m:ss.fff" (minutes unbounded).
#pragma once

#include <cmath>
#include <cstdint>
#include <cstdio>
#include <string>

namespace sf {

// Frame `frame` at `sample_rate` as m:ss.fff, rounded to the millisecond,
// e.g. 4008000 at 48 kHz → "1:23.500".
inline std::string timecode(int64_t frame, int sample_rate) {
    const int64_t ms = static_cast<int64_t>(std::llround(static_cast<double>(frame) * 1000.0 / sample_rate));
    char buf[48];
    std::snprintf(buf, sizeof buf, "%lld:%02lld.%03lld", static_cast<long long>(ms / 60000), static_cast<long long>(ms / 1000 % 60),
                  static_cast<long long>(ms % 1000));
    return buf;
}

}  // namespace sf
