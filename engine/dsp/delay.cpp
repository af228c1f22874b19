#include "engine/dsp/delay.h"

#include <algorithm>
#include <cassert>
#include <cmath>
#include <complex>

#include "engine/dsp/fftw_util.h"
#include "engine/dsp/gain.h"

namespace sf {

std::pair<int64_t, bool> delay_ringing_frames(const std::optional<Biquad>& highpass, const std::optional<Biquad>& lowpass,
                                              int64_t repeats, double sample_rate) {
    if (!highpass && !lowpass) return {1, false};
    const double k = static_cast<double>(repeats);
    const double tail_share = std::pow(10.0, -kDelayDecayDb / 10.0);  // energy
    std::vector<std::complex<double>> spectrum;  // layout-compatible with fftw_complex (FFTW manual §4.1.1)
    std::vector<double> h;
    for (int64_t m = 4096;; m *= 2) {
        const size_t bins = static_cast<size_t>(m / 2 + 1);
        spectrum.resize(bins);
        h.resize(static_cast<size_t>(m));
        for (size_t i = 0; i < bins; ++i) {
            const double f = static_cast<double>(i) * sample_rate / static_cast<double>(m);
            std::complex<double> r = 1.0;
            if (highpass) r *= highpass->response(f, sample_rate);
            if (lowpass) r *= lowpass->response(f, sample_rate);
            // F(ω)^K in polar form: |F|^K underflows cleanly to 0 where |F| is tiny.
            spectrum[i] = std::polar(std::pow(std::abs(r), k), k * std::arg(r));
        }
        ifft_c2r_double(reinterpret_cast<const fftw_complex*>(spectrum.data()), static_cast<size_t>(m), h.data());
        double total = 0, last_half = 0;
        for (int64_t n = 0; n < m; ++n) {
            const double e = h[static_cast<size_t>(n)] * h[static_cast<size_t>(n)];
            total += e;
            if (n >= m / 2) last_half += e;
        }
        const bool converged = last_half <= 1e-14 * total;
        if (!converged && m < kMaxRingingFft) continue;
        if (!converged) return {m, true};
        double after = 0;
        for (int64_t n = m - 1; n >= 0; --n) {
            const double e = h[static_cast<size_t>(n)] * h[static_cast<size_t>(n)];
            if (after + e > tail_share * total) return {n + 1, false};
            after += e;
        }
        return {1, false};
    }
}

Result<DelayDesign> design_delay(const DelaySpec& spec, std::optional<double> tempo_bpm, int sample_rate,
                                 const std::string& label) {
    const double fs = static_cast<double>(sample_rate);
    const std::optional<double> time_s = delay_time_s(spec, tempo_bpm);
    if (!time_s) return fail(ErrorCode::InvalidArgument, label + ": needs time_ms, or a note and the session's tempo_bpm");
    DelayDesign d;
    d.delay_frames = std::llround(*time_s * fs);
    if (!(d.delay_frames >= 1)) return fail(ErrorCode::InvalidArgument, label + ": the delay time must be at least one sample");
    if (!(spec.feedback >= 0.0 && spec.feedback < 1.0)) return fail(ErrorCode::InvalidArgument, label + ".feedback: must be within [0, 1)");
    auto cut = [&](double hz, bool highpass, const char* key) -> Result<std::optional<Biquad>> {
        if (hz == 0.0) return std::optional<Biquad>{};
        if (!(hz > 0.0 && hz < fs / 2.0)) return fail(ErrorCode::InvalidArgument, label + "." + key + ": must be 0 (off) or within (0, fs/2)");
        return std::optional<Biquad>(butterworth2(highpass, hz, fs));
    };
    auto hp = cut(spec.lowcut_hz, true, "lowcut_hz");
    if (!hp) return std::unexpected(hp.error());
    auto lp = cut(spec.highcut_hz, false, "highcut_hz");
    if (!lp) return std::unexpected(lp.error());
    d.highpass = *hp;
    d.lowpass = *lp;
    d.feedback = spec.feedback;
    d.wet_gain = db_to_gain(spec.wet_db);
    if (!std::isfinite(d.wet_gain)) return fail(ErrorCode::InvalidArgument, label + ".wet_db: must be finite");
    d.pingpong = spec.pingpong;
    // K: the first k with fb^k at or below −120 dB (a running product: exact
    // enough, and no log of 0 for fb = 0).
    const double floor = std::pow(10.0, -kDelayDecayDb / 20.0);
    d.repeats = 1;
    for (double scale = d.feedback; scale > floor; scale *= d.feedback) ++d.repeats;
    const auto [ringing, capped] = delay_ringing_frames(d.highpass, d.lowpass, d.repeats, fs);
    d.ringing_frames = ringing;
    d.ringing_capped = capped;
    d.tail_frames = d.repeats * d.delay_frames + d.ringing_frames - 1;
    return d;
}

Delay::Delay(const DelayDesign& design) : design_(design) {
    assert(design.delay_frames >= 1 && "a delay of at least one frame");
    for (auto& line : line_) line.assign(static_cast<size_t>(design.delay_frames), 0.0);
}

void Delay::reset() {
    for (auto& line : line_) std::fill(line.begin(), line.end(), 0.0);
    pos_ = 0;
    highpass_ = {};
    lowpass_ = {};
}

void Delay::process(float* const* channels, int64_t frames) {
    float* left = channels[0];
    float* right = channels[1];
    double* line_l = line_[0].data();
    double* line_r = line_[1].data();
    const double fb = design_.feedback, g = design_.wet_gain;
    const int64_t d = design_.delay_frames;
    for (int64_t i = 0; i < frames; ++i) {
        const size_t at = static_cast<size_t>(pos_);
        const double sl = line_l[at], sr = line_r[at];  // s[n − D] of each line
        const double xl = left[i], xr = right[i];
        double el, er;
        if (design_.pingpong) {
            el = 0.5 * (xl + xr) + fb * sr;
            er = fb * sl;
        } else {
            el = xl + fb * sl;
            er = xr + fb * sr;
        }
        left[i] = static_cast<float>(g * sl);
        right[i] = static_cast<float>(g * sr);
        line_l[at] = filter(0, el);
        line_r[at] = filter(1, er);
        pos_ = pos_ + 1 == d ? 0 : pos_ + 1;
    }
}

}  // namespace sf
