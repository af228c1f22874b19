#include "analysis/loudness_probe.h"

#include <cassert>
#include <cmath>
#include <optional>

#include "analysis/loudness.h"
#include "analysis/true_peak.h"

namespace sf::analysis {

namespace {

class MeterProbe final : public LoudnessProbe {
public:
    void reset(int sample_rate, int channels, bool measure_true_peak) override {
        LoudnessOptions o;
        o.sample_rate = sample_rate;
        o.channels = channels;
        auto m = LoudnessMeter::create(o);
        assert(m && "the master step asks for 1..8 channels at a valid rate");
        loudness_.emplace(std::move(*m));
        true_peak_.reset();
        if (measure_true_peak) {
            auto t = TruePeakMeter::create(channels);
            assert(t);
            true_peak_.emplace(std::move(*t));
        }
    }

    void add(const AudioBuffer& block, int64_t frames) override {
        assert(loudness_ && "reset() first");
        const int ch = loudness_->channels();
        const float* ptrs[8];
        for (int c = 0; c < ch; ++c) ptrs[c] = block.channel(c);
        loudness_->add(std::span<const float* const>(ptrs, static_cast<size_t>(ch)), frames);
        if (true_peak_) true_peak_->add(std::span<const float* const>(ptrs, static_cast<size_t>(ch)), frames);
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
