// Stemforge CLI — the mixing benchmark's session (`stemforge bench mix`,
// `stemforge bench gpu`): its description, built as a Session model and
// written with to_json; the signals come from engine/synth/bench_signals.h.
//
// A generated session of N stems (synthesised tones + noise, 24-bit WAV,
// two thirds mono, one third stereo, or all stereo), EQ on every stem
// (high-pass + bell, linear and minimum phase alternating), a compressor on
// every other stem, a post-fader send from each stem to one of the reverb
// buses (two by default) with 3-second stereo IRs. ffmpeg_mix_command() writes the FFmpeg 5.1 filter graph doing
// the equivalent work on the same files (highpass + equalizer, acompressor,
// pan, afir, amix) so both can be timed in one run.
//
// With `effects` (issue 13) the session also uses every stage of "Session v1
// additions": tempo_bpm 120; two delay buses (delay_a: time_ms 375, feedback
// 0.35, lowcut 200 Hz, highcut 6 kHz; delay_b: note "1/8d", feedback 0.45,
// pingpong) fed by a second post-fader send of every stem (even stems to
// delay_a, odd ones to delay_b); chorus on every 8th stem (2, 10, 18, ...);
// width 1.3 on the stereo stems; gain_db automation on every stem (five
// breakpoints over the duration); pan automation on the mono stems; send_db
// automation (with a step) on the delay send of every 4th stem; stem 1 is
// "bass", its compressor keyed by stem 0 ("kick") through a 12 dB/oct
// low-pass at 150 Hz (ducking). The FFmpeg graph then adds volume with
// piecewise-linear expressions (eval=frame) for the automation, chorus,
// stereotools (side level) for width, sidechaincompress for the keyed stem
// and aecho taps (plus highpass/lowpass) for the delay buses.
#pragma once

#include <filesystem>
#include <string>

#include "engine/core/error.h"
#include "engine/session/session.h"

namespace sf::cli {

struct BenchSessionOptions {
    int stems = 32;
    double duration_s = 180.0;
    double ir_s = 3.0;
    int sample_rate = 48000;
    int reverb_buses = 2;      // 1..26 (verb_a, verb_b, ...)
    bool all_stereo = false;   // else every third stem is stereo
    bool effects = false;      // also delay buses, chorus, width, automation, a sidechain (above)
};

// Writes DIR/bench.json, DIR/stems/NN.wav, DIR/irs/{a,b,...}.wav (skips audio
// files that already exist with the right channel count and length). Returns the session path.
Result<std::filesystem::path> write_bench_session(const std::filesystem::path& dir, const BenchSessionOptions& options);

// The FFmpeg command line (a shell string) rendering `session`'s equivalent
// to `output` (32-bit float WAV). Only the stages the bench session uses
// (with or without `effects`); a session without the effects stages gives the
// same graph as before them. Any other stage (a pre-fader send, a bus key,
// pan automation on a stereo stem, a bus EQ, ...) is a NotSupported error
// naming the stem or bus, never a silently different graph. Reads the
// stems' headers (channel counts): an unreadable stem is an error naming it.
//
// graph_script: when not empty, the filter graph is written to this file and
// the command reads it with -filter_complex_script (one shell argument is
// limited to 128 KiB, which the automation expressions of a large session
// exceed); when empty, the graph is inline (-filter_complex).
Result<std::string> ffmpeg_mix_command(const Session& session, const std::filesystem::path& output, int threads,
                                       const std::filesystem::path& graph_script = {});

}  // namespace sf::cli
