#include "analysis/vinyl.h"

#include <algorithm>
#include <cassert>
#include <cmath>
#include <complex>
#include <limits>
#include <numbers>

#include "engine/dsp/fftw_util.h"

namespace sf::analysis {

namespace {

// Side lengths: pass up to "ideal", warn up to "max" (minutes and seconds),
// from the running-time tables of cutting rooms and plants (docs/qc.md:
// Fluid Mastering, Enormous Door, Qrates / 100vinyl, Aardvark Mastering).
// Groove speeds at the outermost and innermost groove: Aardvark Mastering's
// table of linear groove velocity (inches per second).
constexpr VinylFormatSpec kFormats[] = {
    {VinylFormat::In12Rpm33, "12-33", 18 * 60.0, 22 * 60.0, 20.1, 8.5},
    {VinylFormat::In12Rpm45, "12-45", 12 * 60.0, 15 * 60.0, 27.1, 11.5},
    {VinylFormat::In10Rpm33, "10-33", 9 * 60.0, 14 * 60.0, 16.6, 8.5},
    {VinylFormat::In10Rpm45, "10-45", 7 * 60.0, 10 * 60.0, 22.4, 11.5},
    {VinylFormat::In7Rpm33, "7-33", 5 * 60.0, 7 * 60.0, 11.4, 7.5},
    {VinylFormat::In7Rpm45, "7-45", 3 * 60.0 + 30.0, 5 * 60.0, 15.5, 10.2},
};

std::complex<double> riaa_recording(double f) {
    constexpr double t1 = 3180e-6, t2 = 318e-6, t3 = 75e-6, t4 = 3.18e-6;
    const std::complex<double> s(0.0, 2.0 * std::numbers::pi * f);
    return (1.0 + s * t1) * (1.0 + s * t3) / ((1.0 + s * t2) * (1.0 + s * t4));
}

double db_of_power(double p) { return p > 0.0 ? 10.0 * std::log10(p) : -std::numeric_limits<double>::infinity(); }

// Σ of a Welch spectrum's bins in [lo_hz, hi_hz] divided by the Hann
// window's ENBW (in bins): the band's power with a sine of amplitude A
// reading A² (spectrum.h calibration), whatever its bin.
double band_power(const Spectrum& s, double lo_hz, double hi_hz) {
    if (s.power.empty() || s.bin_hz() <= 0.0) return 0.0;
    const auto lo = std::max<size_t>(1, static_cast<size_t>(std::ceil(lo_hz / s.bin_hz())));
    const auto hi = std::min(static_cast<size_t>(std::floor(hi_hz / s.bin_hz())), s.power.size() - 1);
    double sum = 0.0;
    for (size_t k = lo; k <= hi; ++k) sum += s.power[k];
    return sum / 1.5;   // Hann: ENBW = 1.5 bins (the analysis spectra's window)
}

}  // namespace

std::span<const VinylFormatSpec> vinyl_formats() { return kFormats; }

const VinylFormatSpec& vinyl_format_spec(VinylFormat format) {
    for (const auto& f : kFormats)
        if (f.format == format) return f;
    assert(false && "every VinylFormat has a row");
    return kFormats[0];
}

std::optional<VinylFormat> vinyl_format_from_name(std::string_view name) {
    for (const auto& f : kFormats)
        if (name == f.name) return f.format;
    return std::nullopt;
}

double riaa_recording_db(double freq_hz) { return 20.0 * std::log10(std::abs(riaa_recording(freq_hz)) / std::abs(riaa_recording(1000.0))); }

double groove_speed_loss_db(const VinylFormatSpec& spec, double t_s, double side_s) {
    const double rho2 = (spec.inner_speed_ips / spec.outer_speed_ips) * (spec.inner_speed_ips / spec.outer_speed_ips);
    const double span = std::max(side_s, spec.max_side_s);
    const double fill = span > 0.0 ? std::clamp(t_s / span, 0.0, 1.0) : 0.0;
    const double r2 = 1.0 - (1.0 - rho2) * fill;   // (r / r_o)²
    return -20.0 * std::log10(r2);                  // 40·log10(r_o / r)
}

struct HfLevelMeter::Impl {
    int rate = 0, channels = 0, n = 0, hop = 0;
    std::vector<float> window;
    std::vector<double> weight;           // per bin: |RIAA(f)/RIAA(1 kHz)|² in the band, else 0
    double scale = 0.0;                   // |X|² → A² for a sine (spectrum.h), divided by the ENBW
    std::vector<std::vector<float>> ring; // per channel, the current frame's samples
    int filled = 0;                       // samples in the ring
    FftPlan<float> plan;
    FftwArray<float> in;
    FftwArray<fftwf_complex> out;
    std::vector<double> levels;

    void frame() {
        double best = 0.0;
        for (int c = 0; c < channels; ++c) {
            const auto& r = ring[static_cast<size_t>(c)];
            for (int k = 0; k < n; ++k) in[static_cast<size_t>(k)] = r[static_cast<size_t>(k)] * window[static_cast<size_t>(k)];
            plan.r2c(in.data(), out.data());
            double p = 0.0;
            for (int k = 1; k < n / 2; ++k) {
                const double w = weight[static_cast<size_t>(k)];
                if (w == 0.0) continue;
                const auto& x = out[static_cast<size_t>(k)];
                p += w * (static_cast<double>(x[0]) * x[0] + static_cast<double>(x[1]) * x[1]);
            }
            best = std::max(best, p * scale);
        }
        levels.push_back(db_of_power(best));
    }
};

HfLevelMeter::HfLevelMeter(std::unique_ptr<Impl> impl) : impl_(std::move(impl)) {}
HfLevelMeter::HfLevelMeter(HfLevelMeter&&) noexcept = default;
HfLevelMeter& HfLevelMeter::operator=(HfLevelMeter&&) noexcept = default;
HfLevelMeter::~HfLevelMeter() = default;

Result<HfLevelMeter> HfLevelMeter::create(int sample_rate, int channels) {
    if (sample_rate <= 0) return fail(ErrorCode::InvalidArgument, "HF level: sample rate must be > 0");
    if (channels < 1 || channels > 8) return fail(ErrorCode::InvalidArgument, "HF level: channels must be 1..8");
    auto impl = std::make_unique<Impl>();
    impl->rate = sample_rate;
    impl->channels = channels;
    int n = 256;
    while (n < 0.04 * sample_rate) n *= 2;   // >= 40 ms: a sibilant lasts 50-200 ms
    impl->n = n;
    impl->hop = n / 2;
    const auto w = make_window(WindowType::Hann, n);
    double sum = 0.0, sum2 = 0.0;
    for (double v : w) {
        impl->window.push_back(static_cast<float>(v));
        sum += v;
        sum2 += v * v;
    }
    const double enbw_bins = n * sum2 / (sum * sum);
    impl->scale = 4.0 / (sum * sum) / enbw_bins;   // one-sided: a sine A reads A² in its bin (spectrum.h)
    impl->weight.assign(static_cast<size_t>(n / 2 + 1), 0.0);
    const double g1k = std::norm(riaa_recording(1000.0));
    for (int k = 1; k < n / 2; ++k) {
        const double f = static_cast<double>(k) * sample_rate / n;
        if (f >= kVinylHfLowHz) impl->weight[static_cast<size_t>(k)] = std::norm(riaa_recording(f)) / g1k;
    }
    impl->ring.assign(static_cast<size_t>(channels), std::vector<float>(static_cast<size_t>(n), 0.0f));
    impl->plan = FftPlan<float>::get(FftKind::RealForward, static_cast<size_t>(n));
    impl->in = FftwArray<float>(static_cast<size_t>(n));
    impl->out = FftwArray<fftwf_complex>(static_cast<size_t>(n / 2 + 1));
    return HfLevelMeter(std::move(impl));
}

void HfLevelMeter::add(const float* const* x, int64_t frames) {
    Impl& m = *impl_;
    int64_t i = 0;
    while (i < frames) {
        const int64_t take = std::min<int64_t>(frames - i, m.n - m.filled);
        for (int c = 0; c < m.channels; ++c) std::copy(x[c] + i, x[c] + i + take, m.ring[static_cast<size_t>(c)].begin() + m.filled);
        m.filled += static_cast<int>(take);
        i += take;
        if (m.filled == m.n) {
            m.frame();
            // Keep the second half: the next frame starts one hop later.
            for (auto& r : m.ring) std::copy(r.begin() + m.hop, r.end(), r.begin());
            m.filled = m.n - m.hop;
        }
    }
}

double HfLevelMeter::hop_s() const { return static_cast<double>(impl_->hop) / impl_->rate; }
double HfLevelMeter::frame_s() const { return static_cast<double>(impl_->n) / impl_->rate; }
const std::vector<double>& HfLevelMeter::level_db() const { return impl_->levels; }

VinylMeasures vinyl_measures(const FileAnalysis& a, const HfLevelMeter& hf, VinylFormat format) {
    VinylMeasures m;
    m.format = format;
    m.side_s = a.duration_s;
    const VinylFormatSpec& spec = vinyl_format_spec(format);

    // LF: mid (L+R)/2 and side (L−R)/2 energies below 150 Hz; their sum is
    // the channels' mean energy (L² + R²)/2. Mono files have no side.
    const double mid = band_power(a.spectrum, 0.0, kVinylLfHz);
    const double side = a.side_spectrum ? band_power(*a.side_spectrum, 0.0, kVinylLfHz) : 0.0;
    if (mid + side > 0.0) {
        m.lf_level_db = db_of_power(mid + side);
        m.lf_side_share_db = side > 0.0 ? std::optional<double>(db_of_power(side / (mid + side))) : std::nullopt;
    }
    if (a.stereo && a.side_spectrum) {
        for (const auto& o : a.stereo->octaves) {
            if (o.centre_hz > 125.0 + 1e-9 || !o.correlation) continue;
            const double lo = o.centre_hz / std::numbers::sqrt2, hi = o.centre_hz * std::numbers::sqrt2;
            const double e = band_power(a.spectrum, lo, hi) + band_power(*a.side_spectrum, lo, hi);
            if (db_of_power(e) < kVinylLfGateDb) continue;
            if (!m.lf_min_correlation || *o.correlation < *m.lf_min_correlation) {
                m.lf_min_correlation = *o.correlation;
                m.lf_min_correlation_hz = o.centre_hz;
            }
        }
    }

    const auto& lv = hf.level_db();
    for (size_t k = 0; k < lv.size(); ++k) {
        if (!std::isfinite(lv[k])) continue;
        const double t = static_cast<double>(k) * hf.hop_s() + hf.frame_s() / 2.0;
        if (!m.hf_max_db || lv[k] > *m.hf_max_db) {
            m.hf_max_db = lv[k];
            m.hf_max_s = t;
        }
        if (t >= m.side_s * 2.0 / 3.0) {
            const double loss = groove_speed_loss_db(spec, t, m.side_s);
            if (!m.inner_groove_max_db || lv[k] + loss > *m.inner_groove_max_db) {
                m.inner_groove_max_db = lv[k] + loss;
                m.inner_groove_max_s = t;
                m.inner_groove_loss_db = loss;
            }
        }
    }
    return m;
}

}  // namespace sf::analysis
