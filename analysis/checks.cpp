#include "analysis/checks.h"

#include <cmath>
#include <cstdio>

namespace sf::analysis {

FileChecker::FileChecker(int channels, int sample_rate)
    : channels_(channels), rate_(sample_rate), sum_(static_cast<size_t>(channels), 0.0),
      run_len_(static_cast<size_t>(channels), 0), run_start_(static_cast<size_t>(channels), 0) {}

void FileChecker::close_run(int c, int64_t end) {
    (void)end;
    const int64_t len = run_len_[static_cast<size_t>(c)];
    if (len >= kClipRunMin) {
        ++runs_;
        clipped_ += len;
        if (first_runs_.size() < 100) first_runs_.push_back({c, run_start_[static_cast<size_t>(c)], len});
    }
    run_len_[static_cast<size_t>(c)] = 0;
}

void FileChecker::add(const float* const* x, int64_t frames) {
    constexpr float kClip = static_cast<float>(kClipLevel);
    constexpr float kSil = static_cast<float>(kSilenceLevel);
    for (int c = 0; c < channels_; ++c) {
        const float* s = x[c];
        double sum = 0.0;
        int64_t run = run_len_[static_cast<size_t>(c)];
        for (int64_t i = 0; i < frames; ++i) {
            const float v = s[i];
            sum += v;
            if (std::abs(v) >= kClip) {
                if (run == 0) run_start_[static_cast<size_t>(c)] = frames_ + i;
                ++run;
            } else if (run > 0) {
                run_len_[static_cast<size_t>(c)] = run;
                close_run(c, frames_ + i);
                run = 0;
            }
        }
        run_len_[static_cast<size_t>(c)] = run;
        sum_[static_cast<size_t>(c)] += sum;
    }
    // Leading / trailing silence: the first and last frame with any channel above −90 dBFS.
    for (int64_t i = 0; i < frames; ++i) {
        bool loud = false;
        for (int c = 0; c < channels_ && !loud; ++c) loud = std::abs(x[c][i]) > kSil;
        if (loud) {
            if (first_loud_ < 0) first_loud_ = frames_ + i;
            break;
        }
    }
    for (int64_t i = frames - 1; i >= 0; --i) {
        bool loud = false;
        for (int c = 0; c < channels_ && !loud; ++c) loud = std::abs(x[c][i]) > kSil;
        if (loud) {
            last_loud_ = frames_ + i;
            break;
        }
    }
    if (channels_ >= 2) {
        double d = 0.0, s2 = 0.0, e = 0.0;
        for (int64_t i = 0; i < frames; ++i) {
            const double l = x[0][i], r = x[1][i];
            d += (l - r) * (l - r);
            s2 += (l + r) * (l + r);
            e += (l * l + r * r) * 0.5;
        }
        diff_ += d;
        sum2_ += s2;
        energy_ += e;
    }
    frames_ += frames;
}

FileChecks FileChecker::result(const AudioInfo& info, int64_t inter_sample_overs) const {
    FileChecks r;
    // Runs still open at the end of the file count too.
    int64_t runs = runs_, clipped = clipped_;
    auto first = first_runs_;
    for (int c = 0; c < channels_; ++c) {
        const int64_t len = run_len_[static_cast<size_t>(c)];
        if (len >= kClipRunMin) {
            ++runs;
            clipped += len;
            if (first.size() < 100) first.push_back({c, run_start_[static_cast<size_t>(c)], len});
        }
    }
    r.clipped_runs = runs;
    r.clipped_samples = clipped;
    r.first_clip_runs = std::move(first);
    r.inter_sample_overs = inter_sample_overs;
    for (int c = 0; c < channels_; ++c) r.dc_offset.push_back(frames_ > 0 ? sum_[static_cast<size_t>(c)] / static_cast<double>(frames_) : 0.0);
    r.all_silent = first_loud_ < 0;
    const double rate = rate_ > 0 ? rate_ : 1.0;
    if (r.all_silent) {
        r.leading_silence_s = r.trailing_silence_s = static_cast<double>(frames_) / rate;
    } else {
        r.leading_silence_s = static_cast<double>(first_loud_) / rate;
        r.trailing_silence_s = static_cast<double>(frames_ - 1 - last_loud_) / rate;
    }
    const double rel = std::pow(10.0, kChannelRelationDb / 10.0);
    if (channels_ >= 2 && energy_ > 0.0) {
        r.identical_channels = diff_ <= rel * energy_;
        r.phase_inverted = sum2_ <= rel * energy_;
    }
    char buf[160];
    if (r.clipped_runs > 0) {
        std::snprintf(buf, sizeof buf, "clipping: %lld runs of >= %d full-scale samples", static_cast<long long>(r.clipped_runs), kClipRunMin);
        r.warnings.emplace_back(buf);
    }
    if (inter_sample_overs > 0) {
        std::snprintf(buf, sizeof buf, "inter-sample overs: %lld (true peak above 0 dBTP)", static_cast<long long>(inter_sample_overs));
        r.warnings.emplace_back(buf);
    }
    for (int c = 0; c < channels_; ++c)
        if (std::abs(r.dc_offset[static_cast<size_t>(c)]) > 1e-3) {   // −60 dBFS
            std::snprintf(buf, sizeof buf, "DC offset on channel %d: %.2f dBFS", c + 1, 20.0 * std::log10(std::abs(r.dc_offset[static_cast<size_t>(c)])));
            r.warnings.emplace_back(buf);
        }
    if (r.all_silent && frames_ > 0) r.warnings.emplace_back("silent: no sample above -90 dBFS");
    if (r.identical_channels) r.warnings.emplace_back("identical channels: mono in a stereo file");
    if (r.phase_inverted) r.warnings.emplace_back("phase-inverted channels: R = -L (vanishes in mono)");
    (void)info;
    return r;
}

}  // namespace sf::analysis
