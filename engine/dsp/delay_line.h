// Stemforge — a fixed integer delay (latency compensation between parallel
// paths of the render graph). y[n] = x[n − delay_frames], zero history.
#pragma once

#include <algorithm>
#include <cstdint>
#include <cstring>
#include <vector>

namespace sf {

class DelayLine {
public:
    DelayLine() = default;
    DelayLine(int channels, int64_t delay_frames)
        : delay_(delay_frames), ring_(static_cast<size_t>(channels), std::vector<float>(static_cast<size_t>(std::max<int64_t>(delay_frames, 1)), 0.0f)) {}

    int64_t delay_frames() const { return delay_; }

    // In place on channels[0..channels) of `frames` samples; any block size.
    void process(float* const* channels, int64_t frames) {
        if (delay_ == 0) return;
        int64_t pos = pos_;
        for (size_t c = 0; c < ring_.size(); ++c) {
            float* ring = ring_[c].data();
            float* x = channels[c];
            pos = pos_;
            for (int64_t i = 0; i < frames;) {
                // Swap a contiguous run of the ring with the signal.
                const int64_t run = std::min(frames - i, delay_ - pos);
                for (int64_t k = 0; k < run; ++k) std::swap(ring[pos + k], x[i + k]);
                i += run;
                pos = (pos + run) % delay_;
            }
        }
        pos_ = pos;
    }

private:
    int64_t delay_ = 0;
    int64_t pos_ = 0;
    std::vector<std::vector<float>> ring_;
};

}  // namespace sf
