// A LoudnessProbe (engine/master/loudness_probe.h) over libebur128, for
// engine-level tests of the master step: the oracle meter stands in for the
// analysis library's (BS.1770-4 integrated loudness; true peak when asked).
#pragma once

#include <ebur128.h>

#include <cmath>
#include <memory>
#include <vector>

#include "engine/master/loudness_probe.h"

namespace sf::test {

class Ebur128Probe final : public LoudnessProbe {
public:
    ~Ebur128Probe() override {
        if (st_) ebur128_destroy(&st_);
    }
    void reset(int rate, int channels, bool true_peak) override {
        if (st_) ebur128_destroy(&st_);
        channels_ = channels;
        true_peak_ = true_peak;
        st_ = ebur128_init(static_cast<unsigned>(channels), static_cast<unsigned long>(rate),
                           EBUR128_MODE_I | (true_peak ? EBUR128_MODE_TRUE_PEAK : 0));
    }
    void add(const AudioBuffer& b, int64_t n) override {
        inter_.resize(static_cast<size_t>(n * channels_));
        for (int64_t i = 0; i < n; ++i)
            for (int c = 0; c < channels_; ++c) inter_[static_cast<size_t>(i * channels_ + c)] = b.channel(c)[i];
        ebur128_add_frames_float(st_, inter_.data(), static_cast<size_t>(n));
    }
    LoudnessStats stats() const override {
        LoudnessStats s;
        double v = 0.0;
        if (ebur128_loudness_global(st_, &v) == EBUR128_SUCCESS && std::isfinite(v)) s.integrated_lufs = v;
        if (true_peak_) {
            double peak = 0.0;
            for (int c = 0; c < channels_; ++c) {
                double p = 0.0;
                ebur128_true_peak(st_, static_cast<unsigned>(c), &p);
                peak = std::max(peak, p);
            }
            s.true_peak_dbtp = peak > 0.0 ? 20.0 * std::log10(peak) : -INFINITY;
        }
        return s;
    }

private:
    ebur128_state* st_ = nullptr;
    int channels_ = 2;
    bool true_peak_ = false;
    std::vector<float> inter_;
};

inline LoudnessProbeFactory ebur128_probe() {
    return [] { return std::make_unique<Ebur128Probe>(); };
}

}  // namespace sf::test
