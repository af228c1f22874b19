#include "engine/dsp/fftw_util.h"

#include <cstdio>
#include <cstdlib>
#include <cstring>

namespace sf {

std::mutex& fftw_planner_mutex() {
    static std::mutex m;
    return m;
}

namespace {
template <class T>
T* fftw_alloc_array(size_t n) {
    void* p = nullptr;
    if constexpr (std::is_same_v<T, float>) p = fftwf_alloc_real(n);
    else if constexpr (std::is_same_v<T, fftwf_complex>) p = fftwf_alloc_complex(n);
    else if constexpr (std::is_same_v<T, double>) p = fftw_alloc_real(n);
    else p = fftw_alloc_complex(n);
    if (!p && n) {
        std::fprintf(stderr, "stemforge: error: out of memory (FFT buffer of %zu elements)\n", n);
        std::abort();
    }
    return static_cast<T*>(p);
}
}  // namespace

template <class T>
FftwArray<T>::FftwArray(size_t count) : p_(fftw_alloc_array<T>(count)), n_(count) {
    zero();
}

template <class T>
void FftwArray<T>::zero() {
    if (p_) std::memset(static_cast<void*>(p_), 0, n_ * sizeof(T));
}

template <class T>
void FftwArray<T>::reset() {
    if (!p_) return;
    if constexpr (std::is_same_v<T, float> || std::is_same_v<T, fftwf_complex>) fftwf_free(p_);
    else fftw_free(p_);
    p_ = nullptr;
    n_ = 0;
}

template class FftwArray<float>;
template class FftwArray<fftwf_complex>;
template class FftwArray<double>;
template class FftwArray<fftw_complex>;

FftwfRealPlan::FftwfRealPlan(size_t n) : n_(n) {
    // Plans made on scratch arrays: FFTW_ESTIMATE does not touch their contents,
    // and the new-array execute functions later run on any equally aligned array.
    FftwArray<float> r(n);
    FftwArray<fftwf_complex> c(n / 2 + 1);
    std::lock_guard lock(fftw_planner_mutex());
    fwd_ = fftwf_plan_dft_r2c_1d(static_cast<int>(n), r.data(), c.data(), FFTW_ESTIMATE);
    inv_ = fftwf_plan_dft_c2r_1d(static_cast<int>(n), c.data(), r.data(), FFTW_ESTIMATE);
    if (!fwd_ || !inv_) {
        std::fprintf(stderr, "stemforge: error: FFTW could not plan a %zu-point transform\n", n);
        std::abort();
    }
}

FftwfRealPlan::FftwfRealPlan(FftwfRealPlan&& o) noexcept : n_(o.n_), fwd_(o.fwd_), inv_(o.inv_) {
    o.fwd_ = o.inv_ = nullptr;
    o.n_ = 0;
}

FftwfRealPlan& FftwfRealPlan::operator=(FftwfRealPlan&& o) noexcept {
    if (this != &o) {
        reset();
        n_ = o.n_;
        fwd_ = o.fwd_;
        inv_ = o.inv_;
        o.fwd_ = o.inv_ = nullptr;
        o.n_ = 0;
    }
    return *this;
}

FftwfRealPlan::~FftwfRealPlan() { reset(); }

void FftwfRealPlan::reset() {
    if (!fwd_ && !inv_) return;
    std::lock_guard lock(fftw_planner_mutex());
    if (fwd_) fftwf_destroy_plan(fwd_);
    if (inv_) fftwf_destroy_plan(inv_);
    fwd_ = inv_ = nullptr;
}

void fft_r2c_double(const double* x, size_t n, fftw_complex* out) {
    FftwArray<double> in(n);
    FftwArray<fftw_complex> res(n / 2 + 1);
    fftw_plan p;
    {
        std::lock_guard lock(fftw_planner_mutex());
        p = fftw_plan_dft_r2c_1d(static_cast<int>(n), in.data(), res.data(), FFTW_ESTIMATE);
    }
    std::memcpy(in.data(), x, n * sizeof(double));
    fftw_execute(p);
    std::memcpy(out, res.data(), (n / 2 + 1) * sizeof(fftw_complex));
    std::lock_guard lock(fftw_planner_mutex());
    fftw_destroy_plan(p);
}

void ifft_c2r_double(const fftw_complex* in, size_t n, double* out) {
    FftwArray<fftw_complex> src(n / 2 + 1);
    FftwArray<double> res(n);
    fftw_plan p;
    {
        std::lock_guard lock(fftw_planner_mutex());
        p = fftw_plan_dft_c2r_1d(static_cast<int>(n), src.data(), res.data(), FFTW_ESTIMATE);
    }
    std::memcpy(src.data(), in, (n / 2 + 1) * sizeof(fftw_complex));
    fftw_execute(p);
    const double scale = 1.0 / static_cast<double>(n);
    for (size_t i = 0; i < n; ++i) out[i] = res[i] * scale;
    std::lock_guard lock(fftw_planner_mutex());
    fftw_destroy_plan(p);
}

void fft_c2c_double(const fftw_complex* in, size_t n, fftw_complex* out, int sign) {
    FftwArray<fftw_complex> src(n), res(n);
    fftw_plan p;
    {
        std::lock_guard lock(fftw_planner_mutex());
        p = fftw_plan_dft_1d(static_cast<int>(n), src.data(), res.data(), sign < 0 ? FFTW_FORWARD : FFTW_BACKWARD,
                             FFTW_ESTIMATE);
    }
    std::memcpy(src.data(), in, n * sizeof(fftw_complex));
    fftw_execute(p);
    std::memcpy(out, res.data(), n * sizeof(fftw_complex));
    std::lock_guard lock(fftw_planner_mutex());
    fftw_destroy_plan(p);
}

}  // namespace sf
