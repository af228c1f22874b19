#include "engine/dsp/fftw_util.h"

#include <cassert>
#include <cstdio>
#include <cstdlib>
#include <cstring>
#include <memory>
#include <mutex>
#include <new>
#include <unordered_map>

#include "engine/core/fault.h"

namespace sf {

namespace {

template <class T>
T* fftw_alloc_array(size_t n) {
    fault::check_allocation(n * sizeof(T));
    void* p = nullptr;
    if constexpr (std::is_same_v<T, float>) p = fftwf_alloc_real(n);
    else if constexpr (std::is_same_v<T, fftwf_complex>) p = fftwf_alloc_complex(n);
    else if constexpr (std::is_same_v<T, double>) p = fftw_alloc_real(n);
    else p = fftw_alloc_complex(n);
    // As operator new does: the command's top level turns it into one error
    // line, and the unwinding removes every staged and spooled file.
    if (!p && n) throw std::bad_alloc();
    return static_cast<T*>(p);
}

// The process's FFTW planner state and the plans made with it. One lock for
// fftw_* and fftwf_* alike (two libraries, but one rule is simpler to keep).
// Heap-allocated and never destroyed: plans stay valid for threads still
// running during static destruction, and the map stays reachable (no leak
// report).
struct PlanCache {
    std::mutex planner;
    std::unordered_map<uint64_t, void*> plans;  // key() -> fftw_plan / fftwf_plan
};

PlanCache& cache() {
    static PlanCache* c = new PlanCache;
    return *c;
}

template <class Real>
uint64_t key(FftKind kind, size_t n) {
    const uint64_t precision = std::is_same_v<Real, float> ? 0 : 1;
    return (static_cast<uint64_t>(n) << 4) | (static_cast<uint64_t>(kind) << 1) | precision;
}

// FFTW's two C APIs (fftwf_* float, fftw_* double) as one table, so that
// planning and execution below are written once.
template <class Real, class F, class D>
constexpr auto pick(F f, D d) {
    if constexpr (std::is_same_v<Real, float>) return f;
    else return d;
}
template <class Real>
struct Api {
    static constexpr auto plan_r2c = pick<Real>(fftwf_plan_dft_r2c_1d, fftw_plan_dft_r2c_1d);
    static constexpr auto plan_c2r = pick<Real>(fftwf_plan_dft_c2r_1d, fftw_plan_dft_c2r_1d);
    static constexpr auto plan_c2c = pick<Real>(fftwf_plan_dft_1d, fftw_plan_dft_1d);
    static constexpr auto plan_r2r = pick<Real>(fftwf_plan_r2r_1d, fftw_plan_r2r_1d);
    static constexpr auto exec_r2c = pick<Real>(fftwf_execute_dft_r2c, fftw_execute_dft_r2c);
    static constexpr auto exec_c2r = pick<Real>(fftwf_execute_dft_c2r, fftw_execute_dft_c2r);
    static constexpr auto exec_c2c = pick<Real>(fftwf_execute_dft, fftw_execute_dft);
    static constexpr auto exec_r2r = pick<Real>(fftwf_execute_r2r, fftw_execute_r2r);
    static constexpr auto alignment_of = pick<Real>(fftwf_alignment_of, fftw_alignment_of);
};

// FFTW-aligned (the alignment the cached plans were made for).
template <class Real>
bool aligned(const void* p) {
    return Api<Real>::alignment_of(static_cast<Real*>(const_cast<void*>(p))) == 0;
}

// Creates a plan on scratch FftwArrays (FFTW_ESTIMATE does not touch their
// contents). Called with the planner lock held.
template <class Real>
typename FftwTypes<Real>::Plan make_plan(FftKind kind, size_t n) {
    using Complex = typename FftwTypes<Real>::Complex;
    using A = Api<Real>;
    const int ni = static_cast<int>(n);
    const bool c2c = kind == FftKind::ComplexForward || kind == FftKind::ComplexInverse;
    const bool r2r = kind == FftKind::CosineI;
    FftwArray<Real> r(c2c ? 0 : n), r2(r2r ? n : 0);
    FftwArray<Complex> c(r2r ? 0 : c2c ? n : n / 2 + 1), c2(c2c ? n : 0);
    switch (kind) {
        case FftKind::RealForward: return A::plan_r2c(ni, r.data(), c.data(), FFTW_ESTIMATE);
        case FftKind::RealInverse: return A::plan_c2r(ni, c.data(), r.data(), FFTW_ESTIMATE);
        case FftKind::ComplexForward: return A::plan_c2c(ni, c.data(), c2.data(), FFTW_FORWARD, FFTW_ESTIMATE);
        case FftKind::ComplexInverse: return A::plan_c2c(ni, c.data(), c2.data(), FFTW_BACKWARD, FFTW_ESTIMATE);
        case FftKind::CosineI: return A::plan_r2r(ni, r.data(), r2.data(), FFTW_REDFT00, FFTW_ESTIMATE);
    }
    return nullptr;
}

}  // namespace

// ---- FftwArray ----------------------------------------------------------------

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

// ---- FftPlan -------------------------------------------------------------------

template <class Real>
FftPlan<Real> FftPlan<Real>::get(FftKind kind, size_t n) {
    assert(n > 0 && n <= static_cast<size_t>(INT32_MAX) && (kind != FftKind::CosineI || n >= 2) && "FftPlan: bad size");
    PlanCache& c = cache();
    const uint64_t k = key<Real>(kind, n);
    std::lock_guard lock(c.planner);
    void*& slot = c.plans[k];
    if (!slot) {
        slot = make_plan<Real>(kind, n);
        if (!slot) {
            std::fprintf(stderr, "stemforge: error: FFTW could not plan a %zu-point transform\n", n);
            std::abort();
        }
    }
    return FftPlan(static_cast<Handle>(slot), kind, n);
}

template <class Real>
void FftPlan<Real>::r2c(const Real* in, Complex* out) const {
    assert(plan_ && kind_ == FftKind::RealForward && aligned<Real>(in) && aligned<Real>(out) && static_cast<const void*>(in) != out);
    // 1-D out-of-place r2c preserves its input (FFTW's default): the cast is safe.
    Api<Real>::exec_r2c(plan_, const_cast<Real*>(in), out);
}

template <class Real>
void FftPlan<Real>::c2r(Complex* in, Real* out) const {
    assert(plan_ && kind_ == FftKind::RealInverse && aligned<Real>(in) && aligned<Real>(out) && static_cast<void*>(in) != out);
    Api<Real>::exec_c2r(plan_, in, out);
}

template <class Real>
void FftPlan<Real>::c2c(const Complex* in, Complex* out) const {
    assert(plan_ && (kind_ == FftKind::ComplexForward || kind_ == FftKind::ComplexInverse) && aligned<Real>(in) &&
           aligned<Real>(out) && static_cast<const void*>(in) != out);
    Api<Real>::exec_c2c(plan_, const_cast<Complex*>(in), out);
}

template <class Real>
void FftPlan<Real>::r2r(const Real* in, Real* out) const {
    assert(plan_ && kind_ == FftKind::CosineI && aligned<Real>(in) && aligned<Real>(out) && in != out);
    Api<Real>::exec_r2r(plan_, const_cast<Real*>(in), out);
}

template class FftPlan<float>;
template class FftPlan<double>;

size_t fftw_cached_plan_count() {
    PlanCache& c = cache();
    std::lock_guard lock(c.planner);
    return c.plans.size();
}

// ---- double helpers ----------------------------------------------------------------

void fft_r2c_double(const double* x, size_t n, fftw_complex* out) {
    FftwArray<double> in(n);
    FftwArray<fftw_complex> res(n / 2 + 1);
    std::memcpy(in.data(), x, n * sizeof(double));
    FftPlan<double>::get(FftKind::RealForward, n).r2c(in.data(), res.data());
    std::memcpy(out, res.data(), (n / 2 + 1) * sizeof(fftw_complex));
}

void ifft_c2r_double(const fftw_complex* in, size_t n, double* out) {
    FftwArray<fftw_complex> src(n / 2 + 1);
    FftwArray<double> res(n);
    std::memcpy(src.data(), in, (n / 2 + 1) * sizeof(fftw_complex));
    FftPlan<double>::get(FftKind::RealInverse, n).c2r(src.data(), res.data());
    const double scale = 1.0 / static_cast<double>(n);
    for (size_t i = 0; i < n; ++i) out[i] = res[i] * scale;
}

void fft_c2c_double(const fftw_complex* in, size_t n, fftw_complex* out, int sign) {
    FftwArray<fftw_complex> src(n), res(n);
    std::memcpy(src.data(), in, n * sizeof(fftw_complex));
    FftPlan<double>::get(sign < 0 ? FftKind::ComplexForward : FftKind::ComplexInverse, n).c2c(src.data(), res.data());
    std::memcpy(out, res.data(), n * sizeof(fftw_complex));
}

}  // namespace sf
