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
};

// Writes DIR/bench.json, DIR/stems/NN.wav, DIR/irs/{a,b,...}.wav (skips audio
// files that already exist with the right channel count and length). Returns the session path.
Result<std::filesystem::path> write_bench_session(const std::filesystem::path& dir, const BenchSessionOptions& options);

// The FFmpeg command line (a shell string) rendering `session`'s equivalent
// to `output` (32-bit float WAV). Only the stages the bench session uses.
std::string ffmpeg_mix_command(const Session& session, const std::filesystem::path& output, int threads);

}  // namespace sf::cli
