// The FFTW plan cache: every kind and precision against a direct DFT (long
// double), the cache used from 8 threads at once (cold keys raced, then warm
// lookups), and FFTW planning confined to the one file that holds the lock.
// Run under ThreadSanitizer (build-h2-tsan) and ASan (make test-asan).
#include <gtest/gtest.h>

#include <algorithm>
#include <atomic>
#include <cmath>
#include <complex>
#include <filesystem>
#include <fstream>
#include <numbers>
#include <sstream>
#include <string>
#include <thread>
#include <tuple>
#include <vector>

#include "engine/core/random.h"
#include "engine/dsp/fftw_util.h"

namespace sf {
namespace {

using cld = std::complex<long double>;

// e^{sign·2πi·m/n} for m = 0..n−1 (exact reduction mod n keeps angles small).
std::vector<cld> twiddles(int64_t n, int sign) {
    std::vector<cld> w(static_cast<size_t>(n));
    for (int64_t m = 0; m < n; ++m) {
        const long double a = sign * 2.0L * std::numbers::pi_v<long double> * static_cast<long double>(m) / static_cast<long double>(n);
        w[static_cast<size_t>(m)] = {std::cos(a), std::sin(a)};
    }
    return w;
}

std::vector<cld> direct_dft(const std::vector<cld>& x, int sign) {
    const auto n = static_cast<int64_t>(x.size());
    const auto w = twiddles(n, sign);
    std::vector<cld> y(x.size());
    for (int64_t k = 0; k < n; ++k) {
        cld acc = 0;
        for (int64_t j = 0; j < n; ++j) acc += x[static_cast<size_t>(j)] * w[static_cast<size_t>((j * k) % n)];
        y[static_cast<size_t>(k)] = acc;
    }
    return y;
}

// FFTW's REDFT00: y_k = x_0 + (−1)^k x_{n−1} + 2 Σ_{j=1}^{n−2} x_j cos(π j k / (n − 1)).
std::vector<long double> direct_dct1(const std::vector<long double>& x) {
    const auto n = static_cast<int64_t>(x.size());
    const auto w = twiddles(2 * (n - 1), 1);
    std::vector<long double> y(x.size());
    for (int64_t k = 0; k < n; ++k) {
        long double acc = x[0] + ((k % 2) ? -x[static_cast<size_t>(n - 1)] : x[static_cast<size_t>(n - 1)]);
        for (int64_t j = 1; j < n - 1; ++j) acc += 2.0L * x[static_cast<size_t>(j)] * w[static_cast<size_t>((j * k) % (2 * (n - 1)))].real();
        y[static_cast<size_t>(k)] = acc;
    }
    return y;
}

// Error bound for one transform: max |fft − dft| <= tol·||x||₂. FFTW's error
// grows like ε·log2(n)·||x||₂ (ε = 6e-8 float, 1.1e-16 double; log2(n) <= 10
// here), so these leave an order of magnitude of margin and still catch a
// wrong plan (an error of order ||x||).
template <class Real>
constexpr double kTolerance = std::is_same_v<Real, float> ? 1e-5 : 1e-13;

// Runs one transform of `kind` and size n through the cache on seeded random
// data and returns max |error| / ||x||₂ against the direct transform.
template <class Real>
double transform_error(FftKind kind, size_t n, uint64_t seed) {
    using Complex = typename FftPlan<Real>::Complex;
    const FftPlan<Real> plan = FftPlan<Real>::get(kind, n);
    EXPECT_TRUE(plan) << "no plan";
    EXPECT_EQ(plan.kind(), kind);
    EXPECT_EQ(plan.size(), n);
    Random r(seed);
    double err = 0.0, norm = 0.0;
    auto note = [&](cld got, cld want) { err = std::max(err, static_cast<double>(std::abs(got - want))); };
    switch (kind) {
        case FftKind::RealForward: {
            FftwArray<Real> in(n);
            FftwArray<Complex> out(n / 2 + 1);
            std::vector<cld> x(n);
            for (size_t i = 0; i < n; ++i) x[i] = in[i] = static_cast<Real>(r.bipolar());
            plan.r2c(in.data(), out.data());
            const auto want = direct_dft(x, -1);
            for (size_t k = 0; k <= n / 2; ++k) note({out[k][0], out[k][1]}, want[k]);
            for (const auto& v : x) norm += static_cast<double>(std::norm(v));
            break;
        }
        case FftKind::RealInverse: {
            // A Hermitian spectrum: the r2c of a random real signal (direct, exact).
            std::vector<cld> x(n);
            for (auto& v : x) v = static_cast<Real>(r.bipolar());
            const auto spectrum = direct_dft(x, -1);
            FftwArray<Complex> in(n / 2 + 1);
            FftwArray<Real> out(n);
            for (size_t k = 0; k <= n / 2; ++k) {
                in[k][0] = static_cast<Real>(spectrum[k].real());
                in[k][1] = static_cast<Real>(spectrum[k].imag());
                norm += static_cast<double>(std::norm(spectrum[k])) * (k == 0 || 2 * k == n ? 1.0 : 2.0);
            }
            norm /= static_cast<double>(n);  // Parseval: ||spectrum||² / n = ||x||²
            plan.c2r(in.data(), out.data());
            // c2r(r2c(x)) = n·x; the bound scales with n too.
            for (size_t i = 0; i < n; ++i) note(static_cast<long double>(out[i]) / static_cast<long double>(n), x[i]);
            err *= static_cast<double>(n) / std::sqrt(static_cast<double>(n));
            break;
        }
        case FftKind::ComplexForward:
        case FftKind::ComplexInverse: {
            FftwArray<Complex> in(n), out(n);
            std::vector<cld> x(n);
            for (size_t i = 0; i < n; ++i) {
                in[i][0] = static_cast<Real>(r.bipolar());
                in[i][1] = static_cast<Real>(r.bipolar());
                x[i] = {in[i][0], in[i][1]};
                norm += static_cast<double>(std::norm(x[i]));
            }
            plan.c2c(in.data(), out.data());
            const auto want = direct_dft(x, kind == FftKind::ComplexForward ? -1 : 1);
            for (size_t k = 0; k < n; ++k) note({out[k][0], out[k][1]}, want[k]);
            break;
        }
        case FftKind::CosineI: {
            FftwArray<Real> in(n), out(n);
            std::vector<long double> x(n);
            for (size_t i = 0; i < n; ++i) {
                x[i] = in[i] = static_cast<Real>(r.bipolar());
                norm += static_cast<double>(x[i] * x[i]);
            }
            plan.r2r(in.data(), out.data());
            const auto want = direct_dct1(x);
            for (size_t k = 0; k < n; ++k) note(out[k], want[k]);
            norm *= 4.0;  // the DCT-I is a DFT of the even extension (size 2(n−1))
            break;
        }
    }
    return err / std::sqrt(norm);
}

struct Key {
    bool single;  // float, else double
    FftKind kind;
    size_t n;
};

std::vector<Key> mixed_keys() {
    // Powers of two (the renderer's sizes), odd and composite sizes (FFTW's
    // other algorithms), 2^k + 1 for the DCT-I (the crossover design's sizes).
    const std::vector<size_t> sizes{2, 8, 12, 45, 64, 100, 128, 243, 256, 500, 1000, 1024};
    std::vector<Key> keys;
    for (bool single : {true, false})
        for (FftKind kind : {FftKind::RealForward, FftKind::RealInverse, FftKind::ComplexForward, FftKind::ComplexInverse})
            for (size_t n : sizes) keys.push_back({single, kind, n});
    for (bool single : {true, false})
        for (size_t n : {2, 3, 9, 65, 129, 257, 1025}) keys.push_back({single, FftKind::CosineI, n});
    return keys;
}

double run_key(const Key& k, uint64_t seed) {
    return k.single ? transform_error<float>(k.kind, k.n, seed) : transform_error<double>(k.kind, k.n, seed);
}

TEST(FftPlanCache, EveryKindAndPrecisionMatchesTheDirectDft) {
    for (const Key& k : mixed_keys()) {
        const double tol = k.single ? kTolerance<float> : kTolerance<double>;
        EXPECT_LE(run_key(k, 1234 + k.n), tol) << (k.single ? "float" : "double") << " kind " << static_cast<int>(k.kind) << " n " << k.n;
    }
}

TEST(FftPlanCache, RepeatedLookupsReturnTheSamePlanAndCreateNone) {
    const FftPlan<float> a = FftPlan<float>::get(FftKind::RealForward, 4096);
    const size_t count = fftw_cached_plan_count();
    const FftPlan<float> b = FftPlan<float>::get(FftKind::RealForward, 4096);
    EXPECT_EQ(fftw_cached_plan_count(), count);
    // Same key, same results bit for bit (one plan, deterministic execution).
    FftwArray<float> x(4096);
    FftwArray<fftwf_complex> ya(2049), yb(2049);
    Random r(5);
    for (size_t i = 0; i < x.size(); ++i) x[i] = static_cast<float>(r.bipolar());
    a.r2c(x.data(), ya.data());
    b.r2c(x.data(), yb.data());
    for (size_t k = 0; k < ya.size(); ++k) {
        ASSERT_EQ(ya[k][0], yb[k][0]);
        ASSERT_EQ(ya[k][1], yb[k][1]);
    }
}

// 8 threads released together on keys no other test uses (cold: they race to
// create the same plans), each in its own order, executing and checking every
// transform; then a warm round that must create nothing.
TEST(FftPlanCache, EightThreadsCreateLookUpAndExecuteConcurrently) {
    std::vector<Key> keys;
    for (size_t n : {96, 160, 192, 320, 384, 448, 576, 640, 704, 768}) {  // not used elsewhere in this suite
        keys.push_back({true, FftKind::RealForward, n});
        keys.push_back({true, FftKind::RealInverse, n});
        keys.push_back({false, FftKind::RealForward, n});
        keys.push_back({false, FftKind::ComplexForward, n});
        keys.push_back({true, FftKind::ComplexInverse, n});
        keys.push_back({false, FftKind::CosineI, n + 1});
    }
    const size_t before = fftw_cached_plan_count();
    constexpr int kThreads = 8;
    std::atomic<int> ready{0};
    std::atomic<bool> go{false};
    std::vector<double> worst(kThreads, 0.0);  // worst err / tol per thread
    std::vector<std::thread> threads;
    for (int t = 0; t < kThreads; ++t) {
        threads.emplace_back([&, t] {
            ++ready;
            while (!go.load(std::memory_order_acquire)) std::this_thread::yield();
            // Thread t walks the keys from offset 7t, forwards or backwards.
            const size_t m = keys.size();
            for (size_t i = 0; i < m; ++i) {
                const size_t j = (t % 2 ? m - 1 - i : i);
                const Key& k = keys[(j + 7 * static_cast<size_t>(t)) % m];
                const double tol = k.single ? kTolerance<float> : kTolerance<double>;
                worst[static_cast<size_t>(t)] = std::max(worst[static_cast<size_t>(t)], run_key(k, 99 + static_cast<uint64_t>(t)) / tol);
            }
        });
    }
    while (ready.load() < kThreads) std::this_thread::yield();
    go.store(true, std::memory_order_release);
    for (auto& th : threads) th.join();
    for (int t = 0; t < kThreads; ++t) EXPECT_LE(worst[static_cast<size_t>(t)], 1.0) << "thread " << t;
    // At most one plan per key, however many threads asked at once (exactly
    // keys.size() on the first run in a process: these sizes are this test's).
    const size_t after = fftw_cached_plan_count();
    EXPECT_LE(after - before, keys.size());
    // Warm: the same keys from 8 threads again create nothing.
    threads.clear();
    for (int t = 0; t < kThreads; ++t)
        threads.emplace_back([&, t] {
            for (size_t i = 0; i < keys.size(); ++i) {
                const Key& k = keys[(i + static_cast<size_t>(t)) % keys.size()];
                if (k.single) (void)FftPlan<float>::get(k.kind, k.n);
                else (void)FftPlan<double>::get(k.kind, k.n);
            }
        });
    for (auto& th : threads) th.join();
    EXPECT_EQ(fftw_cached_plan_count(), after);
}

TEST(FftPlanCache, DoubleHelpersRoundTrip) {
    const size_t n = 1000;
    std::vector<double> x(n), back(n);
    Random r(11);
    for (auto& v : x) v = r.bipolar();
    std::vector<fftw_complex> spec(n / 2 + 1);
    fft_r2c_double(x.data(), n, spec.data());
    ifft_c2r_double(spec.data(), n, back.data());  // divides by n
    for (size_t i = 0; i < n; ++i) EXPECT_NEAR(back[i], x[i], 1e-13);
    std::vector<fftw_complex> c(n), f(n), g(n);
    for (size_t i = 0; i < n; ++i) {
        c[i][0] = r.bipolar();
        c[i][1] = r.bipolar();
    }
    fft_c2c_double(c.data(), n, f.data(), -1);
    fft_c2c_double(f.data(), n, g.data(), +1);
    for (size_t i = 0; i < n; ++i) {
        EXPECT_NEAR(g[i][0] / n, c[i][0], 1e-13);
        EXPECT_NEAR(g[i][1] / n, c[i][1], 1e-13);
    }
}

// The planner is not thread-safe: only fftw_util.cpp (under its lock) may
// call FFTW's planning or plan-destroying functions, or allocate FFTW arrays
// other than through FftwArray.
TEST(FftPlanCache, OnlyFftwUtilPlans) {
    const std::filesystem::path root = STEMFORGE_SOURCE_DIR;
    const std::vector<std::string> banned{"fftw_plan_", "fftwf_plan_", "fftw_destroy_plan", "fftwf_destroy_plan", "fftw_malloc",
                                          "fftwf_malloc", "fftw_alloc_", "fftwf_alloc_", "fftw_execute(", "fftwf_execute("};
    std::vector<std::string> offenders;
    for (const char* dir : {"engine", "analysis", "app", "gpu"}) {
        if (!std::filesystem::exists(root / dir)) continue;
        for (const auto& e : std::filesystem::recursive_directory_iterator(root / dir)) {
            const auto ext = e.path().extension();
            if (!e.is_regular_file() || (ext != ".cpp" && ext != ".h")) continue;
            if (e.path().parent_path().filename() == "dsp" && e.path().stem() == "fftw_util") continue;
            std::ifstream f(e.path());
            std::stringstream ss;
            ss << f.rdbuf();
            const std::string text = ss.str();
            for (const auto& b : banned)
                if (text.find(b) != std::string::npos) offenders.push_back(std::filesystem::relative(e.path(), root).string() + ": " + b);
        }
    }
    EXPECT_TRUE(offenders.empty()) << [&] {
        std::string s;
        for (const auto& o : offenders) s += o + "\n";
        return s;
    }();
}

}  // namespace
}  // namespace sf
