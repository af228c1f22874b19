#include "engine/dsp/fft_convolver.h"

#include <algorithm>
#include <cassert>
#include <cstring>

#include "engine/dsp/fftw_util.h"

namespace sf {

int64_t ConvolutionKernels::length() const {
    int64_t n = 0;
    for (const auto& k : kernels) n = std::max(n, static_cast<int64_t>(k.size()));
    return n;
}

ConvolutionKernels diagonal_kernels(int channels, std::vector<double> taps) {
    ConvolutionKernels k;
    k.inputs = k.outputs = channels;
    k.kernels.push_back(std::move(taps));
    k.route.assign(static_cast<size_t>(channels * channels), -1);
    for (int c = 0; c < channels; ++c) k.route[static_cast<size_t>(c * channels + c)] = 0;
    return k;
}

int64_t convolution_fft_size(int64_t kernel_length) {
    int64_t n = 65536;
    while (n < 2 * (kernel_length - 1)) n *= 2;
    return n;
}

struct FftConvolver::Impl {
    int inputs = 0, outputs = 0;
    int64_t n = 0, L = 0, hop = 0;
    std::vector<int> route;
    FftPlan<float> forward, inverse;                      // cached; size n
    std::vector<FftwArray<fftwf_complex>> kernel_spectra;  // scaled by 1/n
    std::vector<FftwArray<float>> in_buf;                  // [0, L−1): history, then the current hop
    std::vector<FftwArray<fftwf_complex>> in_spectra;
    std::vector<FftwArray<float>> out_buf;                 // last finished hop's output (hop frames, in [0, hop))
    FftwArray<fftwf_complex> acc;
    FftwArray<float> time_scratch;
    int64_t fill = 0;                                      // new frames in the current hop
    bool silent = true;                                    // nothing but advance_silent() since create/reset

    void run_hop() {
        const size_t bins = static_cast<size_t>(n / 2 + 1);
        for (int i = 0; i < inputs; ++i) forward.r2c(in_buf[static_cast<size_t>(i)].data(), in_spectra[static_cast<size_t>(i)].data());
        for (int o = 0; o < outputs; ++o) {
            float* acc_f = reinterpret_cast<float*>(acc.data());
            bool any = false;
            for (int i = 0; i < inputs; ++i) {
                const int k = route[static_cast<size_t>(i * outputs + o)];
                if (k < 0) continue;
                const float* x = reinterpret_cast<const float*>(in_spectra[static_cast<size_t>(i)].data());
                const float* h = reinterpret_cast<const float*>(kernel_spectra[static_cast<size_t>(k)].data());
                if (!any) {
                    for (size_t b = 0; b < bins; ++b) {
                        const float xr = x[2 * b], xi = x[2 * b + 1], hr = h[2 * b], hi = h[2 * b + 1];
                        acc_f[2 * b] = xr * hr - xi * hi;
                        acc_f[2 * b + 1] = xr * hi + xi * hr;
                    }
                } else {
                    for (size_t b = 0; b < bins; ++b) {
                        const float xr = x[2 * b], xi = x[2 * b + 1], hr = h[2 * b], hi = h[2 * b + 1];
                        acc_f[2 * b] += xr * hr - xi * hi;
                        acc_f[2 * b + 1] += xr * hi + xi * hr;
                    }
                }
                any = true;
            }
            float* dst = out_buf[static_cast<size_t>(o)].data();
            if (!any) {
                std::fill_n(dst, hop, 0.0f);
                continue;
            }
            inverse.c2r(acc.data(), time_scratch.data());
            // Overlap-save: the first L−1 outputs are circularly aliased; keep the rest.
            std::memcpy(dst, time_scratch.data() + (L - 1), static_cast<size_t>(hop) * sizeof(float));
        }
        for (int i = 0; i < inputs; ++i) {
            float* b = in_buf[static_cast<size_t>(i)].data();
            if (L > 1) std::memmove(b, b + hop, static_cast<size_t>(L - 1) * sizeof(float));
        }
        fill = 0;
    }
};

FftConvolver::FftConvolver() = default;
FftConvolver::FftConvolver(FftConvolver&&) noexcept = default;
FftConvolver& FftConvolver::operator=(FftConvolver&&) noexcept = default;
FftConvolver::~FftConvolver() = default;

Result<FftConvolver> FftConvolver::create(const ConvolutionKernels& kernels, int64_t fft_size) {
    if (kernels.inputs < 1 || kernels.outputs < 1 || kernels.kernels.empty() ||
        kernels.route.size() != static_cast<size_t>(kernels.inputs * kernels.outputs))
        return fail(ErrorCode::InvalidArgument, "convolver: no kernels or a route table of the wrong size");
    for (const auto& k : kernels.kernels)
        if (k.empty()) return fail(ErrorCode::InvalidArgument, "convolver: empty kernel");
    for (int r : kernels.route)
        if (r < -1 || r >= static_cast<int>(kernels.kernels.size()))
            return fail(ErrorCode::InvalidArgument, "convolver: route index out of range");
    const int64_t L = kernels.length();
    const int64_t n = fft_size > 0 ? fft_size : convolution_fft_size(L);
    if ((n & (n - 1)) != 0 || n < L || n < 2)
        return fail(ErrorCode::InvalidArgument, "convolver: FFT size " + std::to_string(n) + " must be a power of two >= the kernel length " + std::to_string(L));

    auto impl = std::make_unique<Impl>();
    impl->inputs = kernels.inputs;
    impl->outputs = kernels.outputs;
    impl->n = n;
    impl->L = L;
    impl->hop = n - L + 1;
    impl->route = kernels.route;
    impl->forward = FftPlan<float>::get(FftKind::RealForward, static_cast<size_t>(n));
    impl->inverse = FftPlan<float>::get(FftKind::RealInverse, static_cast<size_t>(n));
    const size_t bins = static_cast<size_t>(n / 2 + 1);
    // Kernel spectra in double (the design's precision), rounded to float once.
    std::vector<double> padded(static_cast<size_t>(n));
    std::vector<fftw_complex> spec(bins);
    const double scale = 1.0 / static_cast<double>(n);
    for (const auto& k : kernels.kernels) {
        std::fill(padded.begin(), padded.end(), 0.0);
        std::copy(k.begin(), k.end(), padded.begin());
        fft_r2c_double(padded.data(), static_cast<size_t>(n), spec.data());
        FftwArray<fftwf_complex> s(bins);
        for (size_t b = 0; b < bins; ++b) {
            s[b][0] = static_cast<float>(spec[b][0] * scale);
            s[b][1] = static_cast<float>(spec[b][1] * scale);
        }
        impl->kernel_spectra.push_back(std::move(s));
    }
    for (int i = 0; i < impl->inputs; ++i) {
        impl->in_buf.emplace_back(static_cast<size_t>(n));
        impl->in_spectra.emplace_back(bins);
    }
    for (int o = 0; o < impl->outputs; ++o) impl->out_buf.emplace_back(static_cast<size_t>(impl->hop));
    impl->acc = FftwArray<fftwf_complex>(bins);
    impl->time_scratch = FftwArray<float>(static_cast<size_t>(n));
    FftConvolver c;
    c.impl_ = std::move(impl);
    return c;
}

int FftConvolver::inputs() const { return impl_->inputs; }
int FftConvolver::outputs() const { return impl_->outputs; }
int64_t FftConvolver::fft_size() const { return impl_->n; }
int64_t FftConvolver::hop_frames() const { return impl_->hop; }

void FftConvolver::process(const float* const* in, float* const* out, int64_t frames) {
    Impl& s = *impl_;
    s.silent = s.silent && frames == 0;
    int64_t pos = 0;
    while (pos < frames) {
        const int64_t take = std::min(frames - pos, s.hop - s.fill);
        for (int i = 0; i < s.inputs; ++i)
            std::memcpy(s.in_buf[static_cast<size_t>(i)].data() + (s.L - 1) + s.fill, in[i] + pos,
                        static_cast<size_t>(take) * sizeof(float));
        // The previous hop's output: exactly `hop` frames of latency.
        for (int o = 0; o < s.outputs; ++o)
            std::memcpy(out[o] + pos, s.out_buf[static_cast<size_t>(o)].data() + s.fill, static_cast<size_t>(take) * sizeof(float));
        s.fill += take;
        pos += take;
        if (s.fill == s.hop) s.run_hop();
    }
}

void FftConvolver::reset() {
    for (auto& b : impl_->in_buf) b.zero();
    for (auto& b : impl_->out_buf) b.zero();
    impl_->fill = 0;
    impl_->silent = true;
}

void FftConvolver::advance_silent(int64_t frames) {
    assert(impl_->silent && "advance_silent() after real input");
    impl_->fill = (impl_->fill + frames) % impl_->hop;
}

}  // namespace sf
