#include "engine/master/fades.h"

#include <algorithm>
#include <cmath>
#include <cstdio>
#include <numbers>

namespace sf::master {

namespace {

std::string seconds(int64_t frames, int rate) {
    char buf[48];
    std::snprintf(buf, sizeof buf, "%.3f s", static_cast<double>(frames) / rate);
    return buf;
}

int64_t frames_of(double s, int rate) { return static_cast<int64_t>(std::llround(s * rate)); }

}  // namespace

double fade_gain(FadeCurve curve, double x) {
    x = std::clamp(x, 0.0, 1.0);
    switch (curve) {
        case FadeCurve::Linear: return x;
        case FadeCurve::EqualPower: return std::sin(std::numbers::pi / 2.0 * x);
        case FadeCurve::Exponential: return (std::pow(10.0, 3.0 * x) - 1.0) / 999.0;
    }
    return x;
}

double ProgrammeEdit::gain(int64_t t) const {
    if (t < begin_frame || t >= end_frame) return 0.0;
    double g = 1.0;
    const int64_t from_start = t - begin_frame;
    const int64_t from_end = end_frame - 1 - t;
    if (from_start < fade_in_frames) g *= fade_gain(curve, static_cast<double>(from_start) / static_cast<double>(fade_in_frames));
    if (from_end < fade_out_frames) g *= fade_gain(curve, static_cast<double>(from_end) / static_cast<double>(fade_out_frames));
    return g;
}

void ProgrammeEdit::apply(int64_t first, int64_t n, float* gains) const {
    // Fast path: the whole span lies between the fades.
    const int64_t flat_from = begin_frame + fade_in_frames, flat_to = end_frame - fade_out_frames;
    if (first >= flat_from && first + n <= flat_to) return;
    for (int64_t i = 0; i < n; ++i) gains[i] = static_cast<float>(gains[i] * gain(first + i));
}

Result<ProgrammeEdit> trimmed_programme(const MasterSpec& m, int rate, int64_t total) {
    ProgrammeEdit e;
    e.curve = m.fade_curve;
    const int64_t cut_start = frames_of(m.trim_start_s, rate), cut_end = frames_of(m.trim_end_s, rate);
    e.begin_frame = std::min(cut_start, total);
    e.end_frame = std::max<int64_t>(e.begin_frame, total - cut_end);
    if (e.frames() <= 0)
        return fail(ErrorCode::InvalidSession, std::string("master.") + (m.trim_start_s >= m.trim_end_s ? "trim_start_s" : "trim_end_s") +
                                                   ": the trims (" + seconds(cut_start, rate) + " from the start, " + seconds(cut_end, rate) +
                                                   " from the end) leave nothing of the " + seconds(total, rate) + " master");
    return e;
}

SilenceScanner::SilenceScanner(double threshold_dbfs) : threshold_(static_cast<float>(std::pow(10.0, threshold_dbfs / 20.0))) {}

void SilenceScanner::add(const float* const* channels, int channel_count, int64_t first, int64_t n) {
    for (int64_t i = 0; i < n; ++i) {
        float peak = 0.0f;
        for (int c = 0; c < channel_count; ++c) peak = std::max(peak, std::abs(channels[c][i]));
        if (peak >= threshold_) {
            if (!first_) first_ = first + i;
            last_ = first + i;
        }
    }
}

Result<void> apply_silence_trim(const MasterSpec& m, int rate, const SilenceScanner& scan, ProgrammeEdit& e) {
    if (!m.trim_silence_db) return {};
    const auto first = scan.first_content_frame(), last = scan.last_content_frame();
    if (!first || *last < e.begin_frame || *first >= e.end_frame) {
        char buf[160];
        std::snprintf(buf, sizeof buf, "master.trim_silence_db: no sample of the master reaches %.1f dBFS (its whole %s is below it)",
                      *m.trim_silence_db, seconds(e.frames(), rate).c_str());
        return fail(ErrorCode::InvalidSession, buf);
    }
    const int64_t keep = frames_of(m.trim_silence_preroll_s, rate);
    e.begin_frame = std::max(e.begin_frame, *first - keep);
    e.end_frame = std::min(e.end_frame, *last + 1 + keep);
    return {};
}

Result<void> set_fades(const MasterSpec& m, int rate, ProgrammeEdit& e) {
    e.curve = m.fade_curve;
    e.fade_in_frames = frames_of(m.fade_in_s, rate);
    e.fade_out_frames = frames_of(m.fade_out_s, rate);
    if (e.fade_in_frames + e.fade_out_frames > e.frames())
        return fail(ErrorCode::InvalidSession, std::string("master.") + (m.fade_in_s > m.fade_out_s ? "fade_in_s" : "fade_out_s") +
                                                   ": the fades (" + seconds(e.fade_in_frames, rate) + " in, " +
                                                   seconds(e.fade_out_frames, rate) + " out) are longer than the " +
                                                   seconds(e.frames(), rate) + " programme left after the trims");
    return {};
}

}  // namespace sf::master
