#include "analysis/waveform.h"

#include <algorithm>
#include <cassert>
#include <limits>

namespace sf::analysis {

WaveformBuilder::WaveformBuilder(int channels, double sample_rate, int64_t total_frames, int max_columns) : total_(std::max<int64_t>(total_frames, 0)) {
    assert(channels >= 1 && sample_rate > 0.0 && max_columns >= 1 && "waveform: channels, rate and columns must be positive");
    out_.sample_rate = sample_rate;
    out_.channels = channels;
    out_.frames_per_column = std::max<int64_t>(1, (total_ + max_columns - 1) / max_columns);
    out_.columns = static_cast<int>((total_ + out_.frames_per_column - 1) / out_.frames_per_column);
    const size_t cells = static_cast<size_t>(channels) * static_cast<size_t>(out_.columns);
    out_.min.assign(cells, std::numeric_limits<float>::infinity());
    out_.max.assign(cells, -std::numeric_limits<float>::infinity());
}

void WaveformBuilder::add(const float* const* channels, int64_t frames) {
    const int64_t n = std::min(frames, total_ - seen_);
    if (n <= 0) return;
    const int64_t width = out_.frames_per_column;
    for (int c = 0; c < out_.channels; ++c) {
        const float* x = channels[c];
        float* lo = out_.min.data() + static_cast<size_t>(c) * static_cast<size_t>(out_.columns);
        float* hi = out_.max.data() + static_cast<size_t>(c) * static_cast<size_t>(out_.columns);
        int64_t i = 0;
        while (i < n) {
            const int64_t at = seen_ + i;
            const auto column = static_cast<size_t>(at / width);
            const int64_t run = std::min(n - i, width - at % width);   // frames left in this column
            const auto [mn, mx] = std::minmax_element(x + i, x + i + run);
            lo[column] = std::min(lo[column], *mn);
            hi[column] = std::max(hi[column], *mx);
            i += run;
        }
    }
    seen_ += n;
}

}  // namespace sf::analysis
