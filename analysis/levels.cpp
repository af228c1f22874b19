#include "analysis/levels.h"

#include <cmath>

namespace sf::analysis {

LevelMeter::LevelMeter(int channels) : peak_(static_cast<size_t>(channels), 0.0), sum_sq_(static_cast<size_t>(channels), 0.0) {}

void LevelMeter::add(const AudioBuffer& block, int64_t frames) {
    for (int c = 0; c < static_cast<int>(peak_.size()); ++c) {
        const float* x = block.channel(c);
        double peak = peak_[static_cast<size_t>(c)];
        double sum = 0.0;
        for (int64_t i = 0; i < frames; ++i) {
            const double v = x[i];
            peak = std::max(peak, std::abs(v));
            sum += v * v;
        }
        peak_[static_cast<size_t>(c)] = peak;
        sum_sq_[static_cast<size_t>(c)] += sum;
    }
    frames_ += frames;
}

double LevelMeter::sample_peak() const {
    double p = 0.0;
    for (double v : peak_) p = std::max(p, v);
    return p;
}

double LevelMeter::channel_peak(int c) const { return peak_[static_cast<size_t>(c)]; }

double LevelMeter::rms() const {
    if (frames_ == 0 || sum_sq_.empty()) return 0.0;
    double s = 0.0;
    for (double v : sum_sq_) s += v;
    return std::sqrt(s / (static_cast<double>(frames_) * static_cast<double>(sum_sq_.size())));
}

double LevelMeter::channel_rms(int c) const {
    if (frames_ == 0) return 0.0;
    return std::sqrt(sum_sq_[static_cast<size_t>(c)] / static_cast<double>(frames_));
}

std::optional<double> to_dbfs(double linear) {
    if (!(linear > 0.0)) return std::nullopt;
    return 20.0 * std::log10(linear);
}

}  // namespace sf::analysis
