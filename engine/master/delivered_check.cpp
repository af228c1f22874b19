// Stemforge — the measurement of a delivered file (see delivered_check.h).
#include "engine/master/delivered_check.h"

#include <algorithm>
#include <cmath>
#include <memory>
#include <vector>

#include <tbb/parallel_invoke.h>

#include "engine/audio/audio_file.h"
#include "engine/dsp/true_peak.h"

namespace sf::master {

namespace {

// The whole-file true peak, streamed: one TruePeakStream per channel. The
// first position counted is T/2 − 1 (its support starts at sample 0); the
// stream never computes past the last sample. Same rule as
// analysis::TruePeakMeter, so both read the same value.
class FilePeak {
public:
    explicit FilePeak(int channels) : streams_(static_cast<size_t>(channels)) {}
    void add(const float* const* channels, int64_t frames) {
        between_.resize(static_cast<size_t>(frames));
        for (size_t c = 0; c < streams_.size(); ++c) {
            const float* x = channels[c];
            for (int64_t i = 0; i < frames; ++i) peak_ = std::max(peak_, static_cast<double>(std::abs(x[i])));
            const int64_t first = std::clamp<int64_t>(kTruePeakTapsPerPhase / 2 - 1 + kTruePeakLatencyFrames - streams_[c].seen(), 0, frames);
            streams_[c].process(x, frames, between_.data());
            for (int64_t i = first; i < frames; ++i) peak_ = std::max(peak_, static_cast<double>(between_[static_cast<size_t>(i)]));
        }
    }
    double peak() const { return peak_; }

private:
    std::vector<TruePeakStream> streams_;
    std::vector<float> between_;
    double peak_ = 0.0;
};

}  // namespace

double file_true_peak(const float* const* channels, int channel_count, int64_t frames) {
    FilePeak p(channel_count);
    p.add(channels, frames);
    return p.peak();
}

Result<DeliveredFile> measure_file(const std::filesystem::path& file, const LoudnessProbeFactory& factory) {
    auto src = AudioSource::open(file, SourceOptions{});
    if (!src) return std::unexpected(src.error());
    DeliveredFile d;
    d.sample_rate = src->sample_rate();
    std::unique_ptr<LoudnessProbe> probe = factory ? factory() : nullptr;
    if (probe) probe->reset(src->sample_rate(), src->channels(), true);
    FilePeak peak(src->channels());
    AudioBuffer block(src->channels(), 65536);
    for (int64_t at = 0; at < src->frames(); at += block.frames()) {
        const int64_t n = std::min<int64_t>(block.frames(), src->frames() - at);
        auto got = src->read(block, n);
        if (!got) return std::unexpected(got.error());
        const std::vector<const float*> ptrs = block.channel_pointers();
        tbb::parallel_invoke([&] { if (probe) probe->add(block, n); }, [&] { peak.add(ptrs.data(), n); });
    }
    if (probe) d.measured = probe->stats();
    d.true_peak_8x_dbtp = peak.peak() > 0.0 ? 20.0 * std::log10(peak.peak()) : -INFINITY;
    return d;
}

}  // namespace sf::master
