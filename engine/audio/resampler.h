// Stemforge — a streaming planar resampler (libsoxr, very high quality),
// for export at a rate other than the session's.
#pragma once

#include <memory>

#include "engine/audio/audio_buffer.h"
#include "engine/core/error.h"

namespace sf {

class StreamResampler {
public:
    static Result<StreamResampler> create(int in_rate, int out_rate, int channels);
    StreamResampler(StreamResampler&&) noexcept;
    StreamResampler& operator=(StreamResampler&&) noexcept;
    ~StreamResampler();

    // Resamples frames [0, frames) of `in`; `out` is resized to what came out.
    // Call finish() once after the last block to drain the filter.
    Result<void> process(const AudioBuffer& in, int64_t frames, AudioBuffer& out);
    Result<void> finish(AudioBuffer& out);

private:
    struct Impl;
    explicit StreamResampler(std::unique_ptr<Impl> impl);
    std::unique_ptr<Impl> impl_;
};

}  // namespace sf
