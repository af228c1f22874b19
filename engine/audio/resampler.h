// Stemforge — the one libsoxr wrapper: a streaming resampler for decoding
// (AudioSource, to the session rate) and export (to a delivery rate).
//
// One recipe everywhere: SOXR_VHQ (very high quality: 175 dB stop band,
// linear phase), 32-bit float interleaved in and out, one thread per
// resampler (the renderer already runs stems in parallel). soxr's output does
// not depend on how the input is split into calls.
#pragma once

#include <memory>

#include "engine/audio/audio_buffer.h"
#include "engine/core/error.h"

namespace sf {

class StreamResampler {
public:
    // Errors: soxr cannot be created (rates or channels out of its range): Internal.
    static Result<StreamResampler> create(int in_rate, int out_rate, int channels);
    StreamResampler(StreamResampler&&) noexcept;
    StreamResampler& operator=(StreamResampler&&) noexcept;
    ~StreamResampler();

    // Resamples frames [0, frames) of `in`; `out` is resized to what came out.
    // Call finish() once after the last block to drain the filter.
    Result<void> process(const AudioBuffer& in, int64_t frames, AudioBuffer& out);
    Result<void> finish(AudioBuffer& out);

    // Interleaved, into a bounded output (the decoder's pull loop). Takes up
    // to in_frames frames of `in` — nullptr means the input has ended: drain
    // the filter — and writes at most out_capacity frames to `out`. Returns
    // the frames consumed and produced; while draining, produced == 0 means
    // the filter is empty. Allocates nothing. Errors: soxr's (Internal).
    struct Progress {
        size_t consumed = 0, produced = 0;
    };
    Result<Progress> process_interleaved(const float* in, size_t in_frames, float* out, size_t out_capacity);

private:
    struct Impl;
    explicit StreamResampler(std::unique_ptr<Impl> impl);
    std::unique_ptr<Impl> impl_;
};

}  // namespace sf
