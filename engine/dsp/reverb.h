// Stemforge — the convolution reverb of a bus: definition and CPU reference.
//
// A bus's `reverb` (DESIGN.md) is 100 % wet: the bus outputs only
//     y_o[n] = g · Σ_i Σ_k ir_{i→o}[k] · x_i[n − k − P]
// with g = 10^(wet_db/20) and P = round(predelay_ms · fs / 1000) frames.
// The IR is used as recorded (no normalisation), read with
// AudioSource::read_rest (in blocks) and resampled to the session rate (soxr VHQ).
// Channel mapping of the IR file: 1 channel → applied to L and R;
// 2 channels → L→L, R→R; 4 channels → true stereo LL, LR, RL, RR (first
// letter = input). Any other count is an error.
//
// The design (reverb_kernels) folds g and P into the kernels: predelay is P
// leading zero taps. The full tail is kept: the output of an input of length
// n lasts n + P + len(ir) − 1 frames. The CPU implementation is an
// FftConvolver (2 inputs, 2 outputs).
#pragma once

#include <cstdint>
#include <string>

#include "engine/audio/audio_buffer.h"
#include "engine/core/error.h"
#include "engine/dsp/fft_convolver.h"
#include "engine/session/session.h"

namespace sf {

inline constexpr int kMaxIrChannels = 4;
// The longest IR, in frames at the session rate (2^25: 11.6 min at 48 kHz,
// 2.9 min at 192 kHz). The convolver holds the IR in one FFT of twice its
// length, about 150 bytes of memory per IR frame (a 10-minute IR at 48 kHz
// peaks near 4.5 GB): without a bound, a few kilobytes of FLAC claiming hours
// of silence would exhaust memory. A longer IR is an error naming the block.
inline constexpr int64_t kMaxIrFrames = int64_t{1} << 25;

// Maps an IR (1, 2 or 4 channels, at the session rate) to 2→2 kernels with
// gain and predelay folded in. Error (InvalidArgument) names `label` for
// other channel counts or an empty IR.
Result<ConvolutionKernels> reverb_kernels(const AudioBuffer& ir, double wet_db, int64_t predelay_frames,
                                          const std::string& label);

// Loads spec.ir at `sample_rate` and designs the kernels. `label` names the
// block in messages, e.g. "buses[0].reverb". An IR longer than kMaxIrFrames
// at `sample_rate`, or of a channel count other than 1, 2 or 4, is refused
// (InvalidArgument) from its header, before it is read.
Result<ConvolutionKernels> design_reverb(const ReverbSpec& spec, int sample_rate, const std::string& label);

int64_t predelay_frames(double predelay_ms, int sample_rate);

}  // namespace sf
