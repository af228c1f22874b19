// Stemforge — decimated min/max waveform for an overview (one column per
// pixel-ish): per channel, the smallest and largest sample of each column of
// `frames_per_column` frames. The column width grows with the file so the
// memory stays bounded (2 floats × channels × max_columns), whatever its
// length: a 10-hour file and a 10-second one both give <= max_columns.
#pragma once

#include <cstddef>
#include <cstdint>
#include <vector>

namespace sf::analysis {

struct WaveformOverview {
    double sample_rate = 0.0;
    int channels = 0;
    int64_t frames_per_column = 0;        // the last column may hold fewer
    int columns = 0;
    // Channel-major: channel c, column k at [c·columns + k]. Sample values
    // (full scale ±1); a column with no frames does not exist.
    std::vector<float> min, max;
    double column_s() const { return sample_rate > 0.0 ? static_cast<double>(frames_per_column) / sample_rate : 0.0; }
    float column_min(int channel, int column) const { return min[static_cast<size_t>(channel) * static_cast<size_t>(columns) + static_cast<size_t>(column)]; }
    float column_max(int channel, int column) const { return max[static_cast<size_t>(channel) * static_cast<size_t>(columns) + static_cast<size_t>(column)]; }
};

// Streaming builder. total_frames (the expected length, >= 0) fixes the
// column width = max(1, ceil(total_frames / max_columns)); frames beyond it
// are ignored (the layout never reallocates). Not thread-safe.
class WaveformBuilder {
public:
    // channels >= 1, sample_rate > 0, max_columns >= 1 (asserted).
    WaveformBuilder(int channels, double sample_rate, int64_t total_frames, int max_columns = 4096);
    // Appends frames [0, frames) of each of the channels.
    void add(const float* const* channels, int64_t frames);
    const WaveformOverview& result() const { return out_; }

private:
    WaveformOverview out_;
    int64_t total_ = 0;
    int64_t seen_ = 0;
};

}  // namespace sf::analysis
