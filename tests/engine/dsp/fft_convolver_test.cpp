// FFT convolver vs direct time-domain convolution (double), whole-buffer and
// in odd-sized blocks, for diagonal and true-stereo routing.
#include <gtest/gtest.h>

#include <cmath>
#include <vector>

#include "engine/core/random.h"
#include "engine/dsp/fft_convolver.h"

namespace sf {
namespace {

std::vector<double> random_kernel(size_t n, uint64_t seed, double decay_per_sample) {
    Random r(seed);
    std::vector<double> k(n);
    for (size_t i = 0; i < n; ++i) k[i] = r.bipolar() * std::exp(-decay_per_sample * static_cast<double>(i));
    return k;
}

std::vector<float> random_signal(size_t n, uint64_t seed) {
    Random r(seed);
    std::vector<float> x(n);
    for (auto& v : x) v = static_cast<float>(0.5 * r.bipolar());
    return x;
}

// y_o[n] = Σ_i (h_io * x_i)[n], in double.
std::vector<std::vector<double>> direct(const ConvolutionKernels& k, const std::vector<std::vector<float>>& x, size_t n) {
    std::vector<std::vector<double>> y(static_cast<size_t>(k.outputs), std::vector<double>(n, 0.0));
    for (int i = 0; i < k.inputs; ++i)
        for (int o = 0; o < k.outputs; ++o) {
            const int idx = k.kernel_for(i, o);
            if (idx < 0) continue;
            const auto& h = k.kernels[static_cast<size_t>(idx)];
            for (size_t t = 0; t < n; ++t) {
                double acc = 0.0;
                const auto& xi = x[static_cast<size_t>(i)];
                const size_t kmax = std::min(h.size(), t + 1);
                for (size_t j = 0; j < kmax; ++j)
                    if (t - j < xi.size()) acc += h[j] * xi[t - j];
                y[static_cast<size_t>(o)][t] += acc;
            }
        }
    return y;
}

// Runs the convolver over n + latency frames in the given block sizes (cycled)
// and returns the latency-compensated outputs.
std::vector<std::vector<float>> run(FftConvolver& c, const std::vector<std::vector<float>>& x, size_t n,
                                    const std::vector<int64_t>& blocks) {
    const int64_t total = static_cast<int64_t>(n) + c.latency_frames();
    std::vector<std::vector<float>> in(x.size(), std::vector<float>(static_cast<size_t>(total), 0.0f));
    for (size_t i = 0; i < x.size(); ++i) std::copy(x[i].begin(), x[i].begin() + static_cast<ptrdiff_t>(std::min(n, x[i].size())), in[i].begin());
    std::vector<std::vector<float>> out(static_cast<size_t>(c.outputs()), std::vector<float>(static_cast<size_t>(total)));
    int64_t pos = 0;
    for (size_t b = 0; pos < total; ++b) {
        const int64_t len = std::min(blocks[b % blocks.size()], total - pos);
        std::vector<const float*> ip;
        std::vector<float*> op;
        for (auto& v : in) ip.push_back(v.data() + pos);
        for (auto& v : out) op.push_back(v.data() + pos);
        c.process(ip.data(), op.data(), len);
        pos += len;
    }
    for (auto& v : out) v.erase(v.begin(), v.begin() + c.latency_frames());
    return out;
}

double residual_db(const std::vector<std::vector<double>>& want, const std::vector<std::vector<float>>& got) {
    double peak = 0.0, err = 0.0;
    for (size_t o = 0; o < want.size(); ++o)
        for (size_t t = 0; t < want[o].size(); ++t) {
            peak = std::max(peak, std::abs(want[o][t]));
            err = std::max(err, std::abs(want[o][t] - got[o][t]));
        }
    return 20.0 * std::log10(err / peak);
}

TEST(FftConvolver, MatchesDirectConvolutionTrueStereoAndSplitBlocks) {
    ConvolutionKernels k;
    k.inputs = k.outputs = 2;
    for (uint64_t s = 0; s < 4; ++s) k.kernels.push_back(random_kernel(3001 + 7 * s, 11 + s, 1e-3));
    k.route = {0, 1, 2, 3};
    const size_t n = 9001;  // input length; the output keeps the full tail
    const std::vector<std::vector<float>> x = {random_signal(n, 1), random_signal(n, 2)};
    const size_t out_n = n + static_cast<size_t>(k.length()) - 1;
    const auto want = direct(k, x, out_n);
    // A small FFT (several hops) and the default size, whole and in odd blocks.
    for (int64_t fft : {int64_t{8192}, int64_t{0}}) {
        auto c1 = FftConvolver::create(k, fft);
        auto c2 = FftConvolver::create(k, fft);
        ASSERT_TRUE(c1 && c2);
        const auto whole = run(*c1, x, out_n, {1 << 30});
        const auto split = run(*c2, x, out_n, {1, 17, 4093, 3, 1000, 12345});
        EXPECT_LE(residual_db(want, whole), -120.0) << "fft " << fft;
        EXPECT_EQ(whole, split) << "fft " << fft;  // bit-identical whatever the block sizes
    }
}

TEST(FftConvolver, DiagonalRoutingKeepsChannelsApartAndResetRestarts) {
    auto k = diagonal_kernels(2, random_kernel(513, 5, 1e-2));
    auto c = FftConvolver::create(k, 2048);
    ASSERT_TRUE(c.has_value());
    const size_t n = 5000;
    std::vector<std::vector<float>> x = {random_signal(n, 3), std::vector<float>(n, 0.0f)};
    const auto first = run(*c, x, n + 512, {777});
    for (float v : first[1]) ASSERT_EQ(v, 0.0f);  // nothing leaks L -> R
    EXPECT_LE(residual_db(direct(k, x, n + 512), first), -120.0);
    c->reset();
    EXPECT_EQ(run(*c, x, n + 512, {777}), first);
}

TEST(FftConvolver, RejectsBadDefinitions) {
    ConvolutionKernels none;
    EXPECT_FALSE(FftConvolver::create(none).has_value());
    auto k = diagonal_kernels(1, random_kernel(1000, 1, 0.0));
    EXPECT_FALSE(FftConvolver::create(k, 1000).has_value());  // not a power of two
    EXPECT_FALSE(FftConvolver::create(k, 512).has_value());   // shorter than the kernel
    k.route = {3};
    EXPECT_FALSE(FftConvolver::create(k).has_value());
    EXPECT_EQ(convolution_fft_size(1), 65536);
    EXPECT_EQ(convolution_fft_size(144000), 524288);
}

}  // namespace
}  // namespace sf
