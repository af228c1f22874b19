// Stemforge — the one way to use FFTW in the process: aligned arrays and a
// process-wide plan cache, single and double precision.
//
// Why one cache: FFTW's planner is not thread-safe (fftw_plan_*,
// fftw_destroy_plan and their fftwf_ twins touch global state); only the
// execute functions are. Once two renders share a process (the workstation
// and the batch command do), every plan creation must hold one lock. Here
// plans are created only inside FftPlan::get(), under that lock, once per
// (precision, kind, size), and are never destroyed: a handle stays valid until
// the process exits and is executed with no lock at all through FFTW's
// new-array interface. The cache holds one plan per distinct key; the sizes
// used are powers of two (and 2^k + 1 for the DCT-I), so it stays small.
//
// Plans are made with FFTW_ESTIMATE: FFTW_MEASURE costs seconds at the large
// sizes used here (PLATFORM.md). The new-array interface requires arrays with
// the alignment the plan was made for: plans are made on FftwArray storage,
// so execute them on FftwArray storage (or any fftw(f)_alloc_* pointer), out
// of place (in != out), as FftwArray does; misaligned execution crashed on
// this platform (PLATFORM.md). Both are asserted.
#pragma once

#include <cstddef>
#include <cstdint>
#include <type_traits>

#include <fftw3.h>

namespace sf {

// An aligned array from fftw(f)_alloc_*; move-only, zero-filled on creation.
// T is one of float, fftwf_complex, double, fftw_complex.
template <class T>
class FftwArray {
public:
    FftwArray() = default;
    explicit FftwArray(size_t count);  // zero-filled; throws std::bad_alloc when memory is exhausted
    FftwArray(FftwArray&& o) noexcept : p_(o.p_), n_(o.n_) { o.p_ = nullptr; o.n_ = 0; }
    FftwArray& operator=(FftwArray&& o) noexcept {
        if (this != &o) { reset(); p_ = o.p_; n_ = o.n_; o.p_ = nullptr; o.n_ = 0; }
        return *this;
    }
    FftwArray(const FftwArray&) = delete;
    FftwArray& operator=(const FftwArray&) = delete;
    ~FftwArray() { reset(); }

    T* data() { return p_; }
    const T* data() const { return p_; }
    size_t size() const { return n_; }
    T& operator[](size_t i) { return p_[i]; }
    const T& operator[](size_t i) const { return p_[i]; }
    void zero();

private:
    void reset();
    T* p_ = nullptr;
    size_t n_ = 0;
};

extern template class FftwArray<float>;
extern template class FftwArray<fftwf_complex>;
extern template class FftwArray<double>;
extern template class FftwArray<fftw_complex>;

// What a plan computes (all unnormalised, FFTW's sign convention
// X[k] = Σ x[n]·e^{∓2πi·nk/N}, − forward):
enum class FftKind : uint8_t {
    RealForward,     // r2c: n reals -> n/2+1 complex
    RealInverse,     // c2r: n/2+1 complex (Hermitian; DESTROYED by execution) -> n reals; c2r(r2c(x)) = n·x
    ComplexForward,  // c2c, sign −1: n complex -> n complex
    ComplexInverse,  // c2c, sign +1
    CosineI,         // DCT-I (FFTW_REDFT00): n reals -> n reals, n >= 2; logical size 2(n−1)
};

template <class Real>
struct FftwTypes;
template <>
struct FftwTypes<float> {
    using Complex = fftwf_complex;
    using Plan = fftwf_plan;
};
template <>
struct FftwTypes<double> {
    using Complex = fftw_complex;
    using Plan = fftw_plan;
};

// A borrowed handle on a cached plan; trivially copyable, valid until the
// process exits. Real is float or double. Executing it takes no lock and is
// safe from any number of threads at once on distinct arrays.
template <class Real>
class FftPlan {
public:
    using Complex = typename FftwTypes<Real>::Complex;

    // The plan of `kind` and size n (> 0; >= 2 for CosineI), created on first
    // use under the planner lock. Thread-safe. Aborts if FFTW cannot plan
    // (out of memory): no size used here can fail otherwise.
    static FftPlan get(FftKind kind, size_t n);

    FftPlan() = default;  // empty: executing it is a programmer error
    explicit operator bool() const { return plan_ != nullptr; }
    FftKind kind() const { return kind_; }
    size_t size() const { return n_; }

    // Each asserts the plan's kind and that the arrays are FFTW-aligned and
    // distinct. Sizes are the caller's contract (see FftKind).
    void r2c(const Real* in, Complex* out) const;  // RealForward
    void c2r(Complex* in, Real* out) const;        // RealInverse; `in` is destroyed
    void c2c(const Complex* in, Complex* out) const;  // ComplexForward / ComplexInverse
    void r2r(const Real* in, Real* out) const;     // CosineI

private:
    using Handle = typename FftwTypes<Real>::Plan;
    FftPlan(Handle plan, FftKind kind, size_t n) : plan_(plan), kind_(kind), n_(n) {}
    Handle plan_ = nullptr;
    FftKind kind_ = FftKind::RealForward;
    size_t n_ = 0;
};

extern template class FftPlan<float>;
extern template class FftPlan<double>;

// The number of distinct plans created so far in this process (tests).
size_t fftw_cached_plan_count();

// Double-precision helpers for designs (run once per stage, not per block);
// any pointers (copied through aligned scratch), cached plans. Thread-safe.
// Real -> complex spectrum of x (size n; returns n/2+1 bins), unnormalised.
void fft_r2c_double(const double* x, size_t n, fftw_complex* out);
// Complex (n/2+1 bins, Hermitian) -> real (n samples), divided by n. `in` is kept.
void ifft_c2r_double(const fftw_complex* in, size_t n, double* out);
// Full complex transforms of size n; `sign` -1 forward, +1 inverse (unnormalised).
void fft_c2c_double(const fftw_complex* in, size_t n, fftw_complex* out, int sign);

}  // namespace sf
