// Stemforge — planar audio buffers.
//
// Channels are stored one after another ("planar"): DSP stages work on one
// channel at a time and GPU uploads are contiguous per channel.
#pragma once

#include <algorithm>
#include <cassert>
#include <cstdint>
#include <span>
#include <vector>

#include "engine/core/fault.h"

namespace sf {

class AudioBuffer {
public:
    AudioBuffer() = default;
    AudioBuffer(int channels, int64_t frames) { resize(channels, frames); }

    // Sets the shape and zeroes every sample; reuses the allocation if it fits.
    void resize(int channels, int64_t frames) {
        assert(channels >= 0 && frames >= 0);
        fault::check_allocation(static_cast<size_t>(channels) * static_cast<size_t>(frames) * sizeof(float));
        channels_ = channels;
        frames_ = frames;
        data_.assign(static_cast<size_t>(channels) * static_cast<size_t>(frames), 0.0f);
    }
    void clear() { std::fill(data_.begin(), data_.end(), 0.0f); }

    int channels() const { return channels_; }
    int64_t frames() const { return frames_; }

    float* channel(int c) {
        assert(c >= 0 && c < channels_);
        return data_.data() + static_cast<size_t>(c) * static_cast<size_t>(frames_);
    }
    const float* channel(int c) const {
        assert(c >= 0 && c < channels_);
        return data_.data() + static_cast<size_t>(c) * static_cast<size_t>(frames_);
    }
    std::span<float> span(int c) { return {channel(c), static_cast<size_t>(frames_)}; }
    std::span<const float> span(int c) const { return {channel(c), static_cast<size_t>(frames_)}; }
    // One pointer per channel, for the APIs that take planar channels
    // (the meters, the writers). Valid until the buffer is resized.
    std::vector<const float*> channel_pointers() const {
        std::vector<const float*> ptrs(static_cast<size_t>(channels_));
        for (int c = 0; c < channels_; ++c) ptrs[static_cast<size_t>(c)] = channel(c);
        return ptrs;
    }

    std::vector<float>& raw() { return data_; }
    const std::vector<float>& raw() const { return data_; }

private:
    int channels_ = 0;
    int64_t frames_ = 0;
    std::vector<float> data_;
};

}  // namespace sf
