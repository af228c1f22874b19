// Stemforge — the measurement of a delivered file (see delivered_check.h).
#include "engine/master/delivered_check.h"

#include <algorithm>
#include <cmath>
#include <memory>
#include <vector>

#include <soxr.h>
#include <tbb/parallel_invoke.h>

#include "engine/audio/audio_file.h"
#include "engine/master/true_peak_limiter.h"

namespace sf::master {

namespace {

// The true-peak check of delivered files: libsoxr upsampling by 8 with its
// pass band widened to 0.995 x Nyquist (stop band at Nyquist), i.e. close to
// the ideal band-limited reconstruction. soxr's default (0.913) and 4x meters
// read up to 0.6 dB low on content near Nyquist (white-noise transients);
// the ceiling promise is about the ideal reconstruction.
class PeakOversampler {
public:
    static Result<PeakOversampler> create(int rate, int channels) {
        PeakOversampler p;
        p.channels_ = channels;
        soxr_error_t err = nullptr;
        soxr_io_spec_t io = soxr_io_spec(SOXR_FLOAT32_I, SOXR_FLOAT32_I);
        soxr_quality_spec_t q = soxr_quality_spec(SOXR_HQ, 0);  // 20-bit: 1e-5 relative, far below the 0.001 dB that matters
        q.passband_end = 0.995;
        q.stopband_begin = 1.0;
        soxr_runtime_spec_t rt = soxr_runtime_spec(1);
        p.soxr_ = soxr_create(rate, static_cast<double>(rate) * kTruePeakOversampling, static_cast<unsigned>(channels), &err, &io, &q, &rt);
        if (err || !p.soxr_) return fail(ErrorCode::Internal, std::string("cannot create the true-peak oversampler: ") + (err ? err : "?"));
        return p;
    }
    PeakOversampler(PeakOversampler&& o) noexcept : soxr_(std::exchange(o.soxr_, nullptr)), channels_(o.channels_), peak_(o.peak_) {}
    PeakOversampler& operator=(PeakOversampler&&) = delete;
    ~PeakOversampler() {
        if (soxr_) soxr_delete(soxr_);
    }
    // block == nullptr: drain.
    Result<void> add(const AudioBuffer* block, int64_t frames) {
        const size_t ch = static_cast<size_t>(channels_);
        if (block) {
            in_.resize(static_cast<size_t>(frames) * ch);
            for (size_t c = 0; c < ch; ++c) {
                const float* x = block->channel(static_cast<int>(c));
                for (int64_t i = 0; i < frames; ++i) {
                    in_[static_cast<size_t>(i) * ch + c] = x[i];
                    peak_ = std::max(peak_, static_cast<double>(std::abs(x[i])));
                }
            }
        }
        const size_t cap = 65536;
        out_.resize(cap * ch);
        size_t consumed = 0;
        for (;;) {
            size_t idone = 0, odone = 0;
            const size_t in_len = block ? static_cast<size_t>(frames) - consumed : 0;
            soxr_error_t e = soxr_process(soxr_, block ? in_.data() + consumed * ch : nullptr, in_len, &idone, out_.data(), cap, &odone);
            if (e) return fail(ErrorCode::Internal, std::string("true-peak oversampler: ") + e);
            consumed += idone;
            for (size_t i = 0; i < odone * ch; ++i) peak_ = std::max(peak_, static_cast<double>(std::abs(out_[i])));
            if (block ? (consumed >= static_cast<size_t>(frames) && odone < cap) : odone == 0) break;
        }
        return {};
    }
    double peak() const { return peak_; }

private:
    PeakOversampler() = default;
    soxr_t soxr_ = nullptr;
    int channels_ = 0;
    double peak_ = 0.0;
    std::vector<float> in_, out_;
};

}  // namespace

// Measures a written file: the probe (loudness, BS.1770 true peak) and the
// near-ideal 8x reconstruction's peak.
Result<DeliveredFile> measure_file(const std::filesystem::path& file, const LoudnessProbeFactory& factory) {
    auto src = AudioSource::open(file, SourceOptions{});
    if (!src) return std::unexpected(src.error());
    DeliveredFile d;
    d.sample_rate = src->sample_rate();
    std::unique_ptr<LoudnessProbe> probe = factory ? factory() : nullptr;
    if (probe) probe->reset(src->sample_rate(), src->channels(), true);
    auto up = PeakOversampler::create(src->sample_rate(), src->channels());
    if (!up) return std::unexpected(up.error());
    AudioBuffer block(src->channels(), 65536);
    for (int64_t at = 0; at < src->frames(); at += block.frames()) {
        const int64_t n = std::min<int64_t>(block.frames(), src->frames() - at);
        auto got = src->read(block, n);
        if (!got) return std::unexpected(got.error());
        Result<void> ok;
        tbb::parallel_invoke([&] { if (probe) probe->add(block, n); }, [&] { ok = up->add(&block, n); });
        if (!ok) return std::unexpected(ok.error());
    }
    if (auto ok = up->add(nullptr, 0); !ok) return std::unexpected(ok.error());
    if (probe) d.measured = probe->stats();
    d.true_peak_8x_dbtp = up->peak() > 0.0 ? 20.0 * std::log10(up->peak()) : -INFINITY;
    return d;
}

}  // namespace sf::master
