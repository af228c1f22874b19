#include "engine/audio/resampler.h"

#include <cmath>
#include <vector>

#include <soxr.h>

namespace sf {

struct StreamResampler::Impl {
    soxr_t soxr = nullptr;
    int channels = 0;
    double ratio = 1.0;
    std::vector<float> in_interleaved, out_interleaved;
    ~Impl() {
        if (soxr) soxr_delete(soxr);
    }

    Result<void> run(const float* in, size_t in_frames, AudioBuffer& out) {
        size_t capacity = static_cast<size_t>(std::ceil(static_cast<double>(in_frames) * ratio)) + 4096;
        out_interleaved.resize(capacity * static_cast<size_t>(channels));
        size_t produced = 0;
        size_t consumed = 0;
        for (;;) {
            size_t idone = 0, odone = 0;
            soxr_error_t e = soxr_process(soxr, in ? in + consumed * channels : nullptr, in ? in_frames - consumed : 0, &idone,
                                          out_interleaved.data() + produced * channels, capacity - produced, &odone);
            if (e) return fail(ErrorCode::Internal, std::string("resampler error: ") + e);
            consumed += idone;
            produced += odone;
            if (in ? consumed >= in_frames : odone == 0) break;
            if (produced >= capacity) {  // output full: grow and go on
                capacity *= 2;
                out_interleaved.resize(capacity * static_cast<size_t>(channels));
            }
        }
        out.resize(channels, static_cast<int64_t>(produced));
        for (int c = 0; c < channels; ++c) {
            float* dst = out.channel(c);
            for (size_t i = 0; i < produced; ++i) dst[i] = out_interleaved[i * channels + c];
        }
        return {};
    }
};

StreamResampler::StreamResampler(std::unique_ptr<Impl> impl) : impl_(std::move(impl)) {}
StreamResampler::StreamResampler(StreamResampler&&) noexcept = default;
StreamResampler& StreamResampler::operator=(StreamResampler&&) noexcept = default;
StreamResampler::~StreamResampler() = default;

Result<StreamResampler> StreamResampler::create(int in_rate, int out_rate, int channels) {
    auto impl = std::make_unique<Impl>();
    impl->channels = channels;
    impl->ratio = static_cast<double>(out_rate) / in_rate;
    soxr_error_t err = nullptr;
    soxr_io_spec_t io = soxr_io_spec(SOXR_FLOAT32_I, SOXR_FLOAT32_I);
    soxr_quality_spec_t q = soxr_quality_spec(SOXR_VHQ, 0);
    soxr_runtime_spec_t rt = soxr_runtime_spec(1);
    impl->soxr = soxr_create(in_rate, out_rate, static_cast<unsigned>(channels), &err, &io, &q, &rt);
    if (err || !impl->soxr) return fail(ErrorCode::Internal, std::string("cannot create resampler: ") + (err ? err : "?"));
    return StreamResampler(std::move(impl));
}

Result<void> StreamResampler::process(const AudioBuffer& in, int64_t frames, AudioBuffer& out) {
    Impl& r = *impl_;
    r.in_interleaved.resize(static_cast<size_t>(frames * r.channels));
    for (int c = 0; c < r.channels; ++c) {
        const float* src = in.channel(c);
        for (int64_t i = 0; i < frames; ++i) r.in_interleaved[static_cast<size_t>(i * r.channels + c)] = src[i];
    }
    return r.run(r.in_interleaved.data(), static_cast<size_t>(frames), out);
}

Result<void> StreamResampler::finish(AudioBuffer& out) { return impl_->run(nullptr, 0, out); }

Result<StreamResampler::Progress> StreamResampler::process_interleaved(const float* in, size_t in_frames, float* out, size_t out_capacity) {
    Progress p;
    soxr_error_t e = soxr_process(impl_->soxr, in, in ? in_frames : 0, &p.consumed, out, out_capacity, &p.produced);
    if (e) return fail(ErrorCode::Internal, std::string("resampler error: ") + e);
    return p;
}

}  // namespace sf
