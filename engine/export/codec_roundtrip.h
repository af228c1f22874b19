// Stemforge — a lossy codec round trip: encode a buffer with the export
// writer, decode it back, aligned to the input.
//
// What a lossy export delivers, without delivering it: `qc --codecs` and the
// master's codec-overshoot check measure the decoded signal's true peak and
// the coding error. The encode is the export path itself (ExportSink: the
// same rate rule, encoder settings and float input as a session export), so
// the decoded signal is what a listener's decoder plays.
//
// Alignment (measured on libsndfile 1.2.0 and checked by the tests against
// ffmpeg's own decode): libsndfile's decoders give back exactly the frames
// written, starting at the input's first frame. LAME's encoder delay (576
// samples plus the decoder's 529) and end padding are removed through the
// LAME info tag; Opus's pre-skip (312 samples at 48 kHz) and end trim through
// the granule positions; Vorbis has none. A decode of any other length is an
// error here, never padded or cut silently.
#pragma once

#include <cstdint>
#include <filesystem>
#include <optional>

#include "engine/audio/audio_buffer.h"
#include "engine/core/error.h"
#include "engine/session/session.h"

namespace sf {

struct CodecRoundTrip {
    AudioBuffer decoded;  // planar, the input's channel count, `frames` frames
    int sample_rate = 0;  // the codec's rate: the input's when the codec holds it, else the export rule (export_sample_rate)
    int64_t frames = 0;   // round(frames_in x sample_rate / input rate) after resampling; frames_in when the rate is kept
};

// Encodes frames [0, frames) of `in` (at `sample_rate`) as `codec` (Mp3, Opus
// or Ogg) with a bit rate or a quality exactly as an export with those keys
// (engine/audio/audio_file.h: the rules and defaults), into a temporary file
// in `temp_dir` (which must exist), decodes it and removes it. Sample 0 of
// `decoded` is the codec's rendering of input sample 0 (at the codec's rate).
// Errors: InvalidArgument for a codec that is not lossy, a bit rate / quality
// the codec cannot take, no frames; FileWrite / FileRead from the writer and
// decoder (naming the temporary file); Internal when the decode's length is
// not the encoded length. Thread-safe: each call uses its own file.
Result<CodecRoundTrip> codec_round_trip(const AudioBuffer& in, int64_t frames, int sample_rate, ExportFormat codec,
                                        std::optional<int> bitrate_kbps, std::optional<double> quality,
                                        const std::filesystem::path& temp_dir);

}  // namespace sf
