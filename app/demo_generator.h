// Stemforge CLI — the demo session's generator: glue between the description
// (assets/demo/demo.json: which stems, which instrument, file formats, and the
// session that mixes them) and the engine (engine/synth/demo_instruments for
// the signals, the audio writer, the session parser and to_json).
//
// The result: 64 s at 120 bpm (Am–F–C–G), 13 stems: kick, snare, hats
// (44.1 kHz), shaker, crash (stereo), bass, keys (stereo, FLAC), pad
// (stereo), lead, voice (formant synthesis), pluck (Karplus–Strong), strings
// (stereo) and a riser; plus a synthesised stereo hall impulse response. The
// mix uses every stage: EQ and compressors, a drum bus, a reverb bus, a
// dotted-eighth ping-pong delay bus on the lead (its send automated in for
// the second half), chorus and width on the keys, width on the pad, the bass
// ducked by the kick (a sidechain with a low-pass on the key), the pluck
// auto-panned. The same build writes the same bytes every time.
#pragma once

#include <filesystem>

#include "engine/core/error.h"

namespace sf::cli {

struct DemoOptions {
    double duration_s = 64.0;   // >= 8; the arrangement loops every 8 bars
    int sample_rate = 48000;    // the session's rate (stems without their own rate)
};

// Writes DIR/session.json, DIR/stems/*, DIR/irs/hall.wav. Returns the
// session file's path. Existing files of the same names are replaced
// atomically (temporary file + rename). An error in the embedded description
// is ErrorCode::Internal naming the description's key.
Result<std::filesystem::path> write_demo_session(const std::filesystem::path& dir, const DemoOptions& options = {});

}  // namespace sf::cli
