// Stemforge — sample-level statistics of a signal: sample peak and RMS.
#pragma once

#include <cstdint>
#include <optional>
#include <vector>

#include "engine/audio/audio_buffer.h"

namespace sf::analysis {

// Accumulates per-channel peak and mean square over blocks (double sums).
class LevelMeter {
public:
    explicit LevelMeter(int channels);
    void add(const AudioBuffer& block, int64_t frames);

    int64_t frames() const { return frames_; }
    double sample_peak() const;              // linear, over all channels
    double channel_peak(int c) const;
    // RMS over all channels (mean of the channels' mean squares), linear.
    double rms() const;
    double channel_rms(int c) const;

private:
    std::vector<double> peak_, sum_sq_;
    int64_t frames_ = 0;
};

// 20·log10(x), or nullopt for x == 0 (reported as JSON null: "silence").
std::optional<double> to_dbfs(double linear);

}  // namespace sf::analysis
