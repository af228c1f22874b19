#include "analysis/true_peak.h"

#include <algorithm>
#include <cassert>
#include <cmath>
#include <string>

namespace sf::analysis {

namespace {
constexpr int64_t kChunk = 4096;
// Positions m whose support x[m − T/2 + 1 .. m + T/2] lies inside the signal
// start at m = T/2 − 1 (the end needs no rule: a position is only computed
// once its last sample has arrived).
constexpr int64_t kFirstPosition = kTruePeakTapsPerPhase / 2 - 1;
}  // namespace

Result<TruePeakMeter> TruePeakMeter::create(int channels) {
    if (channels < 1 || channels > 64)
        return fail(ErrorCode::InvalidArgument, "true peak: " + std::to_string(channels) + " channels outside 1..64");
    TruePeakMeter m;
    m.channels_ = channels;
    m.reset();
    return m;
}

void TruePeakMeter::reset() {
    const auto ch = static_cast<size_t>(channels_);
    streams_.assign(ch, TruePeakStream());
    tp_.assign(ch, 0.0);
    tp_at_.assign(ch, 0.0);
    sp_.assign(ch, 0.0);
    overs_.assign(ch, 0);
    in_over_.assign(ch, 0);
    pending_between_.assign(ch, 0.0f);
    pending_left_.assign(ch, 0.0f);
    has_pending_.assign(ch, 0);
}

void TruePeakMeter::add(const AudioBuffer& block, int64_t frames) {
    assert(block.channels() == channels_ && frames <= block.frames());
    const std::vector<const float*> ptrs = block.channel_pointers();
    add(std::span<const float* const>(ptrs), frames);
}

void TruePeakMeter::add(std::span<const float* const> channels, int64_t frames) {
    assert(static_cast<int>(channels.size()) == channels_ && frames >= 0);
    between_.resize(static_cast<size_t>(kChunk));
    centre_.resize(static_cast<size_t>(kChunk));
    const double l1 = true_peak_l1_max();
    for (int c = 0; c < channels_; ++c) {
        const auto cs = static_cast<size_t>(c);
        TruePeakStream& s = streams_[cs];
        for (int64_t pos = 0; pos < frames; pos += kChunk) {
            const int64_t n = std::min(kChunk, frames - pos);
            const float* x = channels[cs] + pos;
            float sp = 0.0f;
            for (int64_t i = 0; i < n; ++i) sp = std::max(sp, std::abs(x[i]));
            // Positions are found only when the reading rises (a second
            // pass over the chunk, rare after the first seconds).
            const int64_t chunk_start = streams_[cs].seen();
            sp_[cs] = std::max(sp_[cs], static_cast<double>(sp));
            if (static_cast<double>(sp) > tp_[cs]) {
                tp_[cs] = sp;
                const int64_t at = std::find_if(x, x + n, [sp](float v) { return std::abs(v) == sp; }) - x;
                tp_at_[cs] = static_cast<double>(chunk_start + at);
            }
            // Exact shortcut: no interpolated value can exceed the largest
            // |sample| of its support times the largest phase L1 norm. Below
            // the channel's peak so far and below full scale (no over
            // possible), the FIR adds nothing.
            const double bound = std::max(static_cast<double>(sp), static_cast<double>(s.history_abs_max())) * l1;
            if (bound <= tp_[cs] && bound <= 1.0 && !has_pending_[cs]) {
                s.skip(x, n);
                in_over_[cs] = 0;
                continue;
            }
            const int64_t seen = s.seen();
            s.process(x, n, between_.data(), centre_.data());
            const int64_t first = std::clamp<int64_t>(kFirstPosition + kTruePeakLatencyFrames - seen, 0, n);
            float peak = 0.0f;
            for (int64_t i = first; i < n; ++i) peak = std::max(peak, between_[static_cast<size_t>(i)]);
            if (static_cast<double>(peak) > tp_[cs]) {
                tp_[cs] = peak;
                // between_[i] is the interval (m, m + 1), m = seen + i − latency.
                const int64_t i = std::find(between_.begin() + first, between_.begin() + n, peak) - between_.begin();
                tp_at_[cs] = static_cast<double>(seen + i - kTruePeakLatencyFrames) + 0.5;
            }
            // Overs: interval i is decided with x[m + 1] = centre[i + 1]; the
            // chunk's last interval waits for the next chunk.
            auto decide = [&](float between, float left, float right) {
                const bool over = between > 1.0f && std::abs(left) <= 1.0f && std::abs(right) <= 1.0f;
                if (over && !in_over_[cs]) ++overs_[cs];
                in_over_[cs] = over;
            };
            if (has_pending_[cs] && n > 0) decide(pending_between_[cs], pending_left_[cs], centre_[0]);
            has_pending_[cs] = 0;
            if (peak > 1.0f || in_over_[cs]) {
                for (int64_t i = first; i + 1 < n; ++i)
                    decide(between_[static_cast<size_t>(i)], centre_[static_cast<size_t>(i)], centre_[static_cast<size_t>(i + 1)]);
                if (first < n) {
                    has_pending_[cs] = between_[static_cast<size_t>(n - 1)] > 1.0f;
                    pending_between_[cs] = between_[static_cast<size_t>(n - 1)];
                    pending_left_[cs] = centre_[static_cast<size_t>(n - 1)];
                    if (!has_pending_[cs]) in_over_[cs] = 0;
                }
            } else {
                in_over_[cs] = 0;
            }
        }
    }
}

double TruePeakMeter::true_peak() const { return tp_.empty() ? 0.0 : *std::max_element(tp_.begin(), tp_.end()); }
double TruePeakMeter::channel_true_peak(int c) const { return tp_[static_cast<size_t>(c)]; }
double TruePeakMeter::sample_peak() const { return sp_.empty() ? 0.0 : *std::max_element(sp_.begin(), sp_.end()); }
double TruePeakMeter::channel_sample_peak(int c) const { return sp_[static_cast<size_t>(c)]; }
int64_t TruePeakMeter::inter_sample_overs(int c) const { return overs_[static_cast<size_t>(c)]; }

double TruePeakMeter::channel_true_peak_position_frames(int c) const { return tp_at_[static_cast<size_t>(c)]; }

std::optional<double> TruePeakMeter::true_peak_position_frames() const {
    if (tp_.empty()) return std::nullopt;
    const auto c = static_cast<size_t>(std::max_element(tp_.begin(), tp_.end()) - tp_.begin());   // the first channel among ties
    if (!(tp_[c] > 0.0)) return std::nullopt;
    return tp_at_[c];
}

std::optional<double> TruePeakMeter::true_peak_dbtp() const {
    const double tp = true_peak();
    if (!(tp > 0.0)) return std::nullopt;
    return 20.0 * std::log10(tp);
}

}  // namespace sf::analysis
