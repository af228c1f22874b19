#include "engine/render/diagnostics.h"

#include <algorithm>
#include <cassert>
#include <cmath>
#include <numbers>

#include <tbb/parallel_for.h>

#include "engine/dsp/fftw_util.h"

namespace sf {

namespace {

constexpr size_t kBands = kCriticalBandEdgesHz.size() - 1;
constexpr double kSilentDb = -400.0;  // a band with no energy at all

}  // namespace

// The masking accumulator. Per source (the stems, then the bus sum): the
// last two blocks (one analysis window), the band powers of its last
// kMaskingIntegrationS of windows, and per stem pair and band the counts of
// blocks where either is loud and where the pair masks.
struct MixDiagnostics::Masking {
    using Bands = std::array<double, kBands>;
    struct Source {
        AudioBuffer window;  // 2 × window_frames: the previous block, then the current one
        FftwArray<float> in;
        FftwArray<fftwf_complex> out;
        std::vector<Bands> history;  // ring: mean square per band of the last windows
        Bands level_db{};            // over the history
        bool silent = true;          // no energy in any band over the history
    };
    int64_t block_frames = 0, window_frames = 0;
    FftPlan<float> plan;
    std::vector<float> window;
    double window_energy = 0.0;
    std::array<std::pair<size_t, size_t>, kBands> bins{};  // [lo, hi) per band; empty above Nyquist
    std::vector<Source> sources;  // stems..., bus sum last
    int64_t filled = 0;           // frames of the current block
    size_t windows = 0;           // analysed so far
    std::vector<int64_t> active, holds;  // [pair · kBands + band]
    std::vector<uint8_t> loud;           // scratch: [source · kBands + band]

    Masking(size_t stems, int rate) {
        block_frames = std::max<int64_t>(1, std::llround(kMaskingBlockS * rate));
        window_frames = 2 * block_frames;
        plan = FftPlan<float>::get(FftKind::RealForward, static_cast<size_t>(window_frames));
        // Hann over two blocks, one block apart: every frame is weighed by
        // two windows, and the sidelobes fall 18 dB/octave, so a loud kick
        // does not leak into the bands above it as a rectangular window's would.
        window.resize(static_cast<size_t>(window_frames));
        for (size_t i = 0; i < window.size(); ++i) {
            window[i] = static_cast<float>(0.5 - 0.5 * std::cos(2.0 * std::numbers::pi * static_cast<double>(i) / static_cast<double>(window_frames)));
            window_energy += static_cast<double>(window[i]) * window[i];
        }
        const double hz_per_bin = static_cast<double>(rate) / static_cast<double>(window_frames);
        const size_t nyquist_bin = static_cast<size_t>(window_frames) / 2;
        for (size_t b = 0; b < kBands; ++b) {
            const auto edge = [&](double hz) { return std::min(nyquist_bin, static_cast<size_t>(std::ceil(hz / hz_per_bin))); };
            bins[b] = {edge(kCriticalBandEdgesHz[b]), edge(kCriticalBandEdgesHz[b + 1])};
        }
        const size_t history = static_cast<size_t>(std::max<int64_t>(1, std::llround(kMaskingIntegrationS / kMaskingBlockS)));
        sources.resize(stems + 1);
        for (Source& s : sources) {
            s.window.resize(2, window_frames);
            s.in = FftwArray<float>(static_cast<size_t>(window_frames));
            s.out = FftwArray<fftwf_complex>(static_cast<size_t>(window_frames) / 2 + 1);
            s.history.assign(history, Bands{});
        }
        const size_t pairs = stems * (stems > 0 ? stems - 1 : 0) / 2;
        active.assign(pairs * kBands, 0);
        holds.assign(pairs * kBands, 0);
        loud.assign((stems + 1) * kBands, 0);
    }

    // This window's mean square per band (Parseval over the one-sided
    // spectrum, divided by the window's energy; both channels averaged)
    // into the history, and the band levels over the history in dB re a
    // full-scale sine (whose mean square is 1/2).
    void analyse(Source& s) const {
        Bands& ms = s.history[windows % s.history.size()];
        ms.fill(0.0);
        for (int c = 0; c < 2; ++c) {
            const float* x = s.window.channel(c);
            if (std::all_of(x, x + window_frames, [](float v) { return v == 0.0f; })) continue;
            // A centred mono stem's two channels are one signal: one transform.
            if (c == 1 && std::equal(x, x + window_frames, s.window.channel(0))) {
                for (size_t b = 0; b < kBands; ++b) ms[b] *= 2.0;
                continue;
            }
            for (int64_t i = 0; i < window_frames; ++i) s.in[static_cast<size_t>(i)] = x[i] * window[static_cast<size_t>(i)];
            plan.r2c(s.in.data(), s.out.data());
            for (size_t b = 0; b < kBands; ++b) {
                double sum = 0.0;
                for (size_t k = bins[b].first; k < bins[b].second; ++k)
                    sum += static_cast<double>(s.out[k][0]) * s.out[k][0] + static_cast<double>(s.out[k][1]) * s.out[k][1];
                ms[b] += 0.5 * 2.0 * sum / (static_cast<double>(window_frames) * window_energy);
            }
        }
        const size_t n = std::min(windows + 1, s.history.size());
        s.silent = true;
        for (size_t b = 0; b < kBands; ++b) {
            double mean = 0.0;
            for (size_t j = 0; j < n; ++j) mean += s.history[j][b];
            mean /= static_cast<double>(n);
            s.silent &= !(mean > 0.0);
            s.level_db[b] = mean > 0.0 ? 10.0 * std::log10(2.0 * mean) : kSilentDb;
        }
    }

    // The current block is complete (or, at the end, zero-padded).
    void flush() {
        tbb::parallel_for(size_t{0}, sources.size(), [&](size_t k) { analyse(sources[k]); });
        ++windows;
        const size_t stems = sources.size() - 1;
        const Bands& mix = sources.back().level_db;
        for (size_t k = 0; k < stems; ++k)
            for (size_t b = 0; b < kBands; ++b) {
                const double l = sources[k].level_db[b];
                loud[k * kBands + b] = !sources[k].silent && l >= kMaskingAbsoluteFloorDb && l >= mix[b] - kMaskingRelativeFloorDb;
            }
        size_t p = 0;
        for (size_t a = 0; a < stems; ++a)
            for (size_t c = a + 1; c < stems; ++c, ++p) {
                if (sources[a].silent && sources[c].silent) continue;
                for (size_t b = 0; b < kBands; ++b) {
                    const bool la = loud[a * kBands + b], lc = loud[c * kBands + b];
                    if (!la && !lc) continue;
                    ++active[p * kBands + b];
                    if (la && lc && std::abs(sources[a].level_db[b] - sources[c].level_db[b]) <= kMaskingWithinDb) ++holds[p * kBands + b];
                }
            }
        // The current block becomes the previous one.
        for (Source& s : sources)
            for (int c = 0; c < 2; ++c) {
                float* w = s.window.channel(c);
                std::copy_n(w + block_frames, block_frames, w);
                std::fill_n(w + block_frames, block_frames, 0.0f);
            }
        filled = 0;
    }
};

MixDiagnostics::MixDiagnostics(std::vector<std::string> stem_names) : names_(std::move(stem_names)) {}
MixDiagnostics::~MixDiagnostics() = default;

void MixDiagnostics::start(int sample_rate, int64_t from_frame, int64_t to_frame) {
    assert(sample_rate > 0 && from_frame <= to_frame);
    rate_ = sample_rate;
    from_ = from_frame;
    to_ = to_frame;
    merge_gap_frames_ = std::llround(kOverMergeGapS * sample_rate);
    overs_.clear();
    open_ = false;
    projection_.assign(names_.size(), 0.0);
    masking_ = std::make_unique<Masking>(names_.size(), sample_rate);
}

void MixDiagnostics::add(const AudioBuffer& bus, std::span<const AudioBuffer> stems, int64_t offset, int64_t frames, int64_t first_frame) {
    assert(started() && stems.size() == names_.size() && bus.channels() == 2);
    // Only the covered stretch.
    const int64_t lo = std::max(first_frame, from_), hi = std::min(first_frame + frames, to_);
    if (hi <= lo) return;
    const int64_t begin = offset + (lo - first_frame), end = begin + (hi - lo);

    const float* l = bus.channel(0);
    const float* r = bus.channel(1);
    for (int64_t i = begin; i < end; ++i)
        if (std::abs(l[i]) > 1.0f || std::abs(r[i]) > 1.0f) add_over_frame(bus, stems, i, first_frame + (i - offset));

    Masking& m = *masking_;
    for (int64_t i = begin; i < end;) {
        const int64_t n = std::min(end - i, m.block_frames - m.filled);
        for (size_t k = 0; k <= stems.size(); ++k) {
            const AudioBuffer& src = k < stems.size() ? stems[k] : bus;
            for (int c = 0; c < 2; ++c) std::copy_n(src.channel(c) + i, n, m.sources[k].window.channel(c) + m.block_frames + m.filled);
        }
        m.filled += n;
        i += n;
        if (m.filled == m.block_frames) m.flush();
    }
}

void MixDiagnostics::add_over_frame(const AudioBuffer& bus, std::span<const AudioBuffer> stems, int64_t i, int64_t frame) {
    if (open_ && frame - current_.last_frame - 1 >= merge_gap_frames_) close_over();
    if (!open_) {
        open_ = true;
        current_ = MixOver{};
        current_.first_frame = frame;
    }
    current_.last_frame = frame;
    for (int c = 0; c < 2; ++c) {
        const double s = bus.channel(c)[i];
        if (!(std::abs(s) > current_.peak)) continue;
        current_.peak = std::abs(s);
        current_.peak_frame = frame;
        current_.peak_channel = c;
        for (size_t k = 0; k < stems.size(); ++k) projection_[k] = std::max(0.0, static_cast<double>(stems[k].channel(c)[i]) * s);
    }
}

void MixDiagnostics::close_over() {
    if (!open_) return;
    open_ = false;
    double total = 0.0;
    for (double p : projection_) total += p;
    std::vector<size_t> order;
    for (size_t k = 0; k < projection_.size(); ++k)
        if (projection_[k] > 0.0) order.push_back(k);
    // Largest share first; equal shares in session order.
    std::stable_sort(order.begin(), order.end(), [&](size_t a, size_t b) { return projection_[a] > projection_[b]; });
    for (size_t j = 0; j < order.size(); ++j) {
        const double share = projection_[order[j]] / total;
        if (j >= kOverTopStems && share < kOverMinListedShare) break;
        current_.stems.push_back({names_[order[j]], share});
    }
    overs_.push_back(std::move(current_));
    current_ = MixOver{};
}

MixDiagnosticsReport MixDiagnostics::finish() {
    MixDiagnosticsReport report;
    report.sample_rate = rate_;
    if (!started()) return report;
    close_over();
    report.overs = std::move(overs_);
    overs_.clear();

    Masking& m = *masking_;
    if (m.filled * 2 >= m.block_frames) m.flush();
    const int64_t min_active = std::llround(kMaskingMinActiveS / kMaskingBlockS);
    const size_t stems = names_.size();
    size_t p = 0;
    for (size_t a = 0; a < stems; ++a)
        for (size_t c = a + 1; c < stems; ++c, ++p) {
            // Runs of adjacent qualifying bands become one entry.
            int64_t run_active = 0, run_holds = 0;
            size_t run_first = 0;
            auto close_run = [&](size_t end_band) {
                if (run_active == 0) return;
                report.masking.push_back({{names_[a], names_[c]},
                                          kCriticalBandEdgesHz[run_first],
                                          kCriticalBandEdgesHz[end_band],
                                          100.0 * static_cast<double>(run_holds) / static_cast<double>(run_active)});
                run_active = run_holds = 0;
            };
            for (size_t b = 0; b < kBands; ++b) {
                const int64_t act = m.active[p * kBands + b], hold = m.holds[p * kBands + b];
                const bool qualifies = act >= min_active && 100.0 * static_cast<double>(hold) >= kMaskingMinOverlapPercent * static_cast<double>(act);
                if (!qualifies) {
                    close_run(b);
                    continue;
                }
                if (run_active == 0) run_first = b;
                run_active += act;
                run_holds += hold;
            }
            close_run(kBands);
        }
    std::stable_sort(report.masking.begin(), report.masking.end(),
                     [](const MaskingPair& x, const MaskingPair& y) { return x.overlap_percent > y.overlap_percent; });
    if (report.masking.size() > kMaskingMaxEntries) report.masking.resize(kMaskingMaxEntries);
    return report;
}

}  // namespace sf
