// Stemforge — small RAII helpers around FFTW (single and double precision).
//
// FFTW's planner is not thread-safe (execution is): every plan creation and
// destruction in the process must hold fftw_planner_mutex(). Plans are made
// with FFTW_ESTIMATE: FFTW_MEASURE costs seconds at the large sizes used here
// (PLATFORM.md), and misaligned new-array execution crashed there, so every
// buffer handed to a plan comes from fftw(f)_alloc_* (SIMD-aligned).
#pragma once

#include <cstddef>
#include <mutex>

#include <fftw3.h>

namespace sf {

// The one lock for FFTW planning (fftw_* and fftwf_*), shared by all modules.
std::mutex& fftw_planner_mutex();

// An aligned float / complex-float array from fftwf_alloc_*; move-only.
template <class T>
class FftwArray {
public:
    FftwArray() = default;
    explicit FftwArray(size_t count);  // zero-filled; aborts on allocation failure
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

// Instantiated for float, fftwf_complex, double, fftw_complex.
extern template class FftwArray<float>;
extern template class FftwArray<fftwf_complex>;
extern template class FftwArray<double>;
extern template class FftwArray<fftw_complex>;

// A float r2c / c2r plan pair of one size, executed with the new-array
// interface on any FftwArray of the right size (all are equally aligned).
// Unnormalised: c2r(r2c(x)) = n·x.
class FftwfRealPlan {
public:
    FftwfRealPlan() = default;
    explicit FftwfRealPlan(size_t n);  // takes the planner lock
    FftwfRealPlan(FftwfRealPlan&& o) noexcept;
    FftwfRealPlan& operator=(FftwfRealPlan&& o) noexcept;
    FftwfRealPlan(const FftwfRealPlan&) = delete;
    FftwfRealPlan& operator=(const FftwfRealPlan&) = delete;
    ~FftwfRealPlan();

    size_t size() const { return n_; }
    // in: n floats, out: n/2+1 complex. Thread-safe (distinct buffers).
    void forward(float* in, fftwf_complex* out) const { fftwf_execute_dft_r2c(fwd_, in, out); }
    // in: n/2+1 complex (destroyed), out: n floats.
    void inverse(fftwf_complex* in, float* out) const { fftwf_execute_dft_c2r(inv_, in, out); }

private:
    void reset();
    size_t n_ = 0;
    fftwf_plan fwd_ = nullptr, inv_ = nullptr;
};

// Double-precision helpers for designs (run once per stage, not per block).
// Real -> complex spectrum of x (size n; returns n/2+1 bins), unnormalised.
void fft_r2c_double(const double* x, size_t n, fftw_complex* out);
// Complex (n/2+1 bins, Hermitian) -> real (n samples), divided by n.
void ifft_c2r_double(const fftw_complex* in, size_t n, double* out);
// Full complex transforms of size n; `sign` -1 forward, +1 inverse (unnormalised).
void fft_c2c_double(const fftw_complex* in, size_t n, fftw_complex* out, int sign);

}  // namespace sf
