#include "analysis/loudness_probe.h"

#include <cmath>
#include <cstdio>
#include <cstdlib>
#include <optional>
#include <string>

#include "analysis/loudness.h"
#include "analysis/true_peak.h"

namespace sf::analysis {

namespace {

// Kept in release builds: the alternative is undefined behaviour (an empty
// std::optional or std::expected dereferenced, a stack array overrun).
[[noreturn]] void contract_violation(const std::string& what) {
    std::fprintf(stderr, "stemforge: internal error: loudness probe: %s\n", what.c_str());
    std::fflush(stderr);
    std::abort();
}

class MeterProbe final : public LoudnessProbe {
public:
    void reset(int sample_rate, int channels, bool measure_true_peak) override {
        if (channels < 1 || channels > kLoudnessProbeMaxChannels)
            contract_violation("reset() with " + std::to_string(channels) + " channels (1.." +
                               std::to_string(kLoudnessProbeMaxChannels) + ")");
        LoudnessOptions o;
        o.sample_rate = sample_rate;
        o.channels = channels;
        auto m = LoudnessMeter::create(o);
        if (!m) contract_violation("reset(): " + m.error().message);
        loudness_.emplace(std::move(*m));
        true_peak_.reset();
        if (measure_true_peak) {
            auto t = TruePeakMeter::create(channels);
            if (!t) contract_violation("reset(): " + t.error().message);
            true_peak_.emplace(std::move(*t));
        }
    }

    void add(const AudioBuffer& block, int64_t frames) override {
        if (!loudness_) contract_violation("add() before reset()");
        const int ch = loudness_->channels();
        if (block.channels() < ch || frames < 0 || frames > block.frames())
            contract_violation("add() of " + std::to_string(frames) + " frames from a " + std::to_string(block.channels()) +
                               " x " + std::to_string(block.frames()) + " block, " + std::to_string(ch) + " channels expected");
        const float* ptrs[kLoudnessProbeMaxChannels];
        for (int c = 0; c < ch; ++c) ptrs[c] = block.channel(c);
        const std::span<const float* const> channels(ptrs, static_cast<size_t>(ch));
        loudness_->add(channels, frames);
        if (true_peak_) true_peak_->add(channels, frames);
    }

    LoudnessStats stats() const override {
        LoudnessStats s;
        if (!loudness_) return s;
        const double ninf = -INFINITY;
        s.integrated_lufs = loudness_->integrated_lufs().value_or(ninf);
        s.loudness_range_lu = loudness_->loudness_range_lu().value_or(0.0);
        s.max_momentary_lufs = loudness_->momentary_max_lufs().value_or(ninf);
        s.max_short_term_lufs = loudness_->short_term_max_lufs().value_or(ninf);
        if (true_peak_) s.true_peak_dbtp = true_peak_->true_peak_dbtp().value_or(ninf);
        return s;
    }

private:
    std::optional<LoudnessMeter> loudness_;
    std::optional<TruePeakMeter> true_peak_;
};

}  // namespace

std::unique_ptr<LoudnessProbe> make_loudness_probe() { return std::make_unique<MeterProbe>(); }

}  // namespace sf::analysis
