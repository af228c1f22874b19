// Stemforge — region renders (`render --from T --to T`, the workstation's
// "render selection"): times as the user writes them, and how much of the
// timeline before a region must be rendered for its state to equal a full
// render's (docs/mastering.md, "Region renders").
#pragma once

#include <cstdint>
#include <optional>
#include <string>
#include <string_view>

#include "engine/core/error.h"
#include "engine/core/timecode.h"
#include "engine/render/render_plan.h"
#include "engine/session/session.h"

namespace sf {

// A stretch of the session timeline, in seconds: frames [round(from_s·fs),
// round(to_s·fs)); no to_s: to the timeline's end.
struct TimeRegion {
    double from_s = 0.0;
    std::optional<double> to_s;
};

// "90", "90.25", "1:30", "1:30.250", "1:02:03.5" (seconds, [h:]m:ss[.f]) →
// seconds. Errors (InvalidArgument) name `option`: "--from: \"1:75\" is not
// a time (seconds, or m:ss.fff)".
Result<double> parse_time_s(std::string_view text, std::string_view option);

// How far back the state of a mix frame reaches: the longest tail of the
// plan (FIR and IR lengths, delay repeats to −120 dB; RenderPlan's
// total − content once the backend prepared it), plus the compressors'
// decay to −120 dB (13.8 time constants of the slowest stem compressor and
// of every bus compressor, which a path may chain), plus the longest chorus
// delay. A frame rendered from this far before it equals a full render's
// (within float rounding where FFT blocks fall differently).
int64_t mix_memory_frames(const Session& session, const RenderPlan& plan);

}  // namespace sf
