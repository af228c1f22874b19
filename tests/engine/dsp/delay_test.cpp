// Bus delay (engine/dsp/delay.h) against an independent oracle written here:
// the definition evaluated directly in double — the k-th repeat is the
// input filtered k times by F, delayed k·D and scaled by feedback^(k−1),
// summed over k until the repeats are negligible — with F's biquads designed
// the way scipy.signal.butter(2, f, btype, fs=fs, output='sos') does it
// (analog Butterworth poles, lp2lp/lp2hp, bilinear transform of the
// zeros/poles/gain: a different route from the engine's tan-prewarped
// closed form) and run by a sosfilt written here (transposed direct form II).
// Also: D from time_ms and from a note at a tempo, block splits equal whole
// runs bit for bit, and the reported tail is long enough (the impulse
// response's energy after it is below −120 dB of its whole energy).
#include <gtest/gtest.h>

#include <algorithm>
#include <array>
#include <cmath>
#include <complex>
#include <cstdio>
#include <cstring>
#include <numbers>
#include <optional>
#include <string>
#include <vector>

#include "engine/core/random.h"
#include "engine/dsp/delay.h"

namespace sf {
namespace {

using cplx = std::complex<double>;

// One second-order section, a[0] = 1.
struct Sos {
    double b[3], a[3];
};

// scipy.signal.butter(2, cutoff_hz, 'highpass'|'lowpass', fs=fs, output='sos'),
// step by step: buttap (poles e^{jπ(2k+N+1)/(2N)}), lp2lp_zpk / lp2hp_zpk at
// the prewarped 2·fs·tan(π·f/fs), bilinear_zpk (z → (2fs + z)/(2fs − z),
// zeros at infinity → −1), zpk2sos.
Sos scipy_butter2(bool highpass, double cutoff_hz, double fs) {
    const double pi = std::numbers::pi;
    const double warped = 2.0 * fs * std::tan(pi * cutoff_hz / fs);
    std::vector<cplx> p = {std::polar(1.0, pi * 3.0 / 4.0), std::polar(1.0, pi * 5.0 / 4.0)};
    std::vector<cplx> z;
    double k = 1.0;
    if (highpass) {
        cplx prod = 1.0;
        for (cplx& q : p) {
            prod *= -q;
            q = warped / q;
        }
        z = {0.0, 0.0};
        k = (1.0 / prod).real();
    } else {
        for (cplx& q : p) q *= warped;
        k = warped * warped;
    }
    const double fs2 = 2.0 * fs;
    cplx num = 1.0, den = 1.0;
    std::vector<cplx> zd, pd;
    for (cplx q : z) {
        num *= fs2 - q;
        zd.push_back((fs2 + q) / (fs2 - q));
    }
    for (cplx q : p) {
        den *= fs2 - q;
        pd.push_back((fs2 + q) / (fs2 - q));
    }
    while (zd.size() < pd.size()) zd.push_back(-1.0);
    const double kd = k * (num / den).real();
    Sos s;
    s.b[0] = kd;
    s.b[1] = -kd * (zd[0] + zd[1]).real();
    s.b[2] = kd * (zd[0] * zd[1]).real();
    s.a[0] = 1.0;
    s.a[1] = -(pd[0] + pd[1]).real();
    s.a[2] = (pd[0] * pd[1]).real();
    return s;
}

// scipy.signal.sosfilt with zero initial state (direct form II transposed).
std::vector<double> sosfilt(const std::vector<Sos>& sections, std::vector<double> x) {
    for (const Sos& s : sections) {
        double z0 = 0, z1 = 0;
        for (double& v : x) {
            const double y = s.b[0] * v + z0;
            z0 = s.b[1] * v - s.a[1] * y + z1;
            z1 = s.b[2] * v - s.a[2] * y;
            v = y;
        }
    }
    return x;
}

struct Config {
    double fs = 48000;
    int64_t delay_frames = 100;
    double feedback = 0.5;
    double wet_db = 0.0;
    bool pingpong = false;
    double lowcut_hz = 0, highcut_hz = 0;
};

std::vector<Sos> sections(const Config& c) {
    std::vector<Sos> f;
    if (c.lowcut_hz > 0) f.push_back(scipy_butter2(true, c.lowcut_hz, c.fs));
    if (c.highcut_hz > 0) f.push_back(scipy_butter2(false, c.highcut_hz, c.fs));
    return f;
}

// Σ_k scale_k · (F^k x)[n − k·D] over k in `which` (0 = every k, 1 = odd, 2 = even),
// scale_k = g·fb^(k−1); stops where k·D passes the end or the scale is below 1e-20.
// `filter_offset` filters k + filter_offset times instead of k (a wrong oracle).
std::vector<double> repeats(const Config& c, const std::vector<double>& x, int64_t out_frames, int which, int filter_offset = 0,
                            int64_t delay_offset = 0) {
    const std::vector<Sos> f = sections(c);
    const double g = std::pow(10.0, c.wet_db / 20.0);
    const int64_t d = c.delay_frames + delay_offset;
    std::vector<double> v(static_cast<size_t>(out_frames), 0.0), y(static_cast<size_t>(out_frames), 0.0);
    std::copy(x.begin(), x.begin() + std::min<int64_t>(static_cast<int64_t>(x.size()), out_frames), v.begin());
    for (int i = 0; i < filter_offset; ++i) v = sosfilt(f, v);
    double scale = g;
    for (int64_t k = 1; k * d < out_frames && std::abs(scale) >= 1e-20; ++k, scale *= c.feedback) {
        v = sosfilt(f, v);  // F^k x
        if (which == 1 && k % 2 == 0) continue;
        if (which == 2 && k % 2 == 1) continue;
        for (int64_t n = k * d; n < out_frames; ++n) y[static_cast<size_t>(n)] += scale * v[static_cast<size_t>(n - k * d)];
    }
    return y;
}

// The oracle's stereo output for a stereo input (plain: per channel; pingpong: the mid's odd repeats in L, even in R).
std::array<std::vector<double>, 2> oracle(const Config& c, const std::array<std::vector<float>, 2>& in, int64_t out_frames,
                                          int filter_offset = 0, int64_t delay_offset = 0) {
    std::array<std::vector<double>, 2> x;
    for (int ch = 0; ch < 2; ++ch) x[static_cast<size_t>(ch)].assign(in[static_cast<size_t>(ch)].begin(), in[static_cast<size_t>(ch)].end());
    if (!c.pingpong)
        return {repeats(c, x[0], out_frames, 0, filter_offset, delay_offset), repeats(c, x[1], out_frames, 0, filter_offset, delay_offset)};
    std::vector<double> mid(x[0].size());
    for (size_t i = 0; i < mid.size(); ++i) mid[i] = (x[0][i] + x[1][i]) / 2.0;
    return {repeats(c, mid, out_frames, 1, filter_offset, delay_offset), repeats(c, mid, out_frames, 2, filter_offset, delay_offset)};
}

DelaySpec spec_of(const Config& c) {
    DelaySpec s;
    s.time_ms = 1000.0 * static_cast<double>(c.delay_frames) / c.fs;
    s.feedback = c.feedback;
    s.pingpong = c.pingpong;
    s.lowcut_hz = c.lowcut_hz;
    s.highcut_hz = c.highcut_hz;
    s.wet_db = c.wet_db;
    return s;
}

DelayDesign design_of(const Config& c) {
    auto d = design_delay(spec_of(c), std::nullopt, static_cast<int>(c.fs), "test.delay");
    EXPECT_TRUE(d) << (d ? "" : d.error().message);
    return d ? *d : DelayDesign{};
}

std::array<std::vector<float>, 2> stereo_noise(int64_t frames, int64_t length, uint64_t seed) {
    Random rng(seed);
    std::array<std::vector<float>, 2> x{std::vector<float>(static_cast<size_t>(frames), 0.0f), std::vector<float>(static_cast<size_t>(frames), 0.0f)};
    for (int64_t i = 0; i < length; ++i)
        for (auto& ch : x) ch[static_cast<size_t>(i)] = static_cast<float>(0.5 * rng.bipolar());
    return x;
}

// Runs the CPU reference over `x` (in place on a copy) in blocks cycling through `blocks`.
std::array<std::vector<float>, 2> run(const DelayDesign& design, std::array<std::vector<float>, 2> x, const std::vector<int64_t>& blocks) {
    Delay delay(design);
    const int64_t frames = static_cast<int64_t>(x[0].size());
    size_t bi = 0;
    for (int64_t at = 0; at < frames;) {
        const int64_t n = std::min(blocks[bi++ % blocks.size()], frames - at);
        float* ch[2] = {x[0].data() + at, x[1].data() + at};
        delay.process(ch, n);
        at += n;
    }
    return x;
}

double max_error(const std::array<std::vector<float>, 2>& got, const std::array<std::vector<double>, 2>& want, double* peak = nullptr) {
    double err = 0, p = 0;
    for (size_t ch = 0; ch < 2; ++ch)
        for (size_t i = 0; i < got[ch].size(); ++i) {
            err = std::max(err, std::abs(static_cast<double>(got[ch][i]) - want[ch][i]));
            p = std::max(p, std::abs(want[ch][i]));
        }
    if (peak) *peak = p;
    return err;
}

// The float output against the double oracle: float rounding of outputs up
// to ~2 in magnitude is at most 1.2e-7; everything upstream is double.
constexpr double kOracleTolerance = 2.5e-7;

struct Case {
    const char* name;
    Config config;
    int64_t input_frames, out_frames;
};

const Case kCases[] = {
    {"plain, no filters", {48000, 37, 0.8, -3.0, false, 0, 0}, 2000, 6000},
    {"plain, lowcut + highcut", {44100, 441, 0.7, 0.0, false, 150, 4000}, 3000, 12000},
    {"plain, lowcut only", {48000, 250, 0.9, 2.0, false, 400, 0}, 1500, 9000},
    {"plain, highcut only", {48000, 1, 0.6, 0.0, false, 0, 2500}, 700, 3000},
    {"pingpong, no filters", {48000, 180, 0.9, -1.0, true, 0, 0}, 1000, 8000},
    {"pingpong, lowcut + highcut", {96000, 613, 0.75, 0.0, true, 80, 9000}, 2500, 12000},
    {"no feedback, filters", {48000, 500, 0.0, 0.0, false, 1000, 1200}, 1000, 3000},
};

TEST(Delay, ButterworthMatchesScipysZpkDesign) {
    for (double fs : {44100.0, 48000.0, 96000.0})
        for (double f : {20.0, 150.0, 1000.0, 9000.0, 0.45 * fs})
            for (bool hp : {true, false}) {
                const Biquad got = butterworth2(hp, f, fs);
                const Sos want = scipy_butter2(hp, f, fs);
                const double g[5] = {got.b0, got.b1, got.b2, got.a1, got.a2};
                const double w[5] = {want.b[0], want.b[1], want.b[2], want.a[1], want.a[2]};
                for (int i = 0; i < 5; ++i) EXPECT_NEAR(g[i], w[i], 1e-12 * std::max(1.0, std::abs(w[i]))) << fs << " " << f << " " << hp << " coef " << i;
                EXPECT_NEAR(got.magnitude_db(f, fs), -10 * std::log10(2.0), 1e-9) << "−3.01 dB at the cutoff";
            }
}

TEST(Delay, MatchesTheRepeatsOracle) {
    for (const Case& tc : kCases) {
        const DelayDesign d = design_of(tc.config);
        ASSERT_EQ(d.delay_frames, tc.config.delay_frames) << tc.name;
        const auto x = stereo_noise(tc.out_frames, tc.input_frames, 7);
        const auto got = run(d, x, {tc.out_frames});
        double peak = 0;
        const double err = max_error(got, oracle(tc.config, x, tc.out_frames), &peak);
        std::printf("delay oracle %-28s max |error| %.3g (peak %.3f)\n", tc.name, err, peak);
        EXPECT_GT(peak, 0.1) << tc.name;
        EXPECT_LE(err, kOracleTolerance) << tc.name;
    }
}

TEST(Delay, OracleComparisonCatchesWrongRepeats) {
    // The comparison can fail: an oracle that filters one time too many, or
    // delays one frame too far, or scales by a feedback 1 % off, is far out.
    const Case& tc = kCases[5];
    const DelayDesign d = design_of(tc.config);
    const auto x = stereo_noise(tc.out_frames, tc.input_frames, 7);
    const auto got = run(d, x, {tc.out_frames});
    EXPECT_GT(max_error(got, oracle(tc.config, x, tc.out_frames, 1)), 1e3 * kOracleTolerance);
    EXPECT_GT(max_error(got, oracle(tc.config, x, tc.out_frames, 0, 1)), 1e3 * kOracleTolerance);
    Config off = tc.config;
    off.feedback *= 1.01;
    EXPECT_GT(max_error(got, oracle(off, x, tc.out_frames)), 10 * kOracleTolerance);
    Config plain = tc.config;
    plain.pingpong = false;
    EXPECT_GT(max_error(got, oracle(plain, x, tc.out_frames)), 1e3 * kOracleTolerance);
}

TEST(Delay, TimeFromMillisecondsAndNotes) {
    // D = round(time·fs); a quarter note lasts 60/tempo s, dotted ×1.5, triplet ×2/3.
    struct TimeCase {
        std::optional<double> time_ms;
        std::optional<std::string> note;
        std::optional<double> tempo;
        int rate;
        int64_t frames;
    };
    const TimeCase cases[] = {
        {7.3, std::nullopt, std::nullopt, 48000, 350},                              // 350.4
        {375.0, std::nullopt, 120.0, 44100, 16538},                                 // 16537.5 rounds up
        {std::nullopt, "1/8d", 123.0, 48000, 17561},                                // 60/123·0.5·1.5 s = 17560.98
        {std::nullopt, "1/16t", 140.0, 48000, 3429},                                // 60/140·0.25·2/3 s = 3428.57
        {std::nullopt, "1/4", 90.0, 96000, 64000},
        {std::nullopt, "1/1", 20.0, 48000, 576000},
    };
    for (const TimeCase& tc : cases) {
        DelaySpec s;
        s.time_ms = tc.time_ms;
        s.note = tc.note;
        auto d = design_delay(s, tc.tempo, tc.rate, "t");
        ASSERT_TRUE(d) << d.error().message;
        EXPECT_EQ(d->delay_frames, tc.frames) << (tc.note ? *tc.note : "time_ms");
    }
    DelaySpec no_tempo;
    no_tempo.note = "1/8";
    EXPECT_FALSE(design_delay(no_tempo, std::nullopt, 48000, "t"));
    DelaySpec too_short;
    too_short.time_ms = 0.001;
    EXPECT_FALSE(design_delay(too_short, std::nullopt, 48000, "t"));

    // A note-timed delay at a tempo against the oracle (D = 3429, filters, feedback).
    DelaySpec s;
    s.note = "1/16t";
    s.feedback = 0.55;
    s.lowcut_hz = 300;
    s.highcut_hz = 6000;
    s.wet_db = -2;
    auto d = design_delay(s, 140.0, 48000, "t");
    ASSERT_TRUE(d);
    const Config c{48000, 3429, 0.55, -2.0, false, 300, 6000};
    const int64_t out = 4 * 3429 + 900;
    const auto x = stereo_noise(out, 1200, 11);
    const double err = max_error(run(*d, x, {out}), oracle(c, x, out));
    std::printf("delay oracle note 1/16t at 140 BPM: max |error| %.3g\n", err);
    EXPECT_LE(err, kOracleTolerance);
}

TEST(Delay, BlockSplitsEqualAWholeRun) {
    for (const Case& tc : kCases) {
        const DelayDesign d = design_of(tc.config);
        const auto x = stereo_noise(tc.out_frames, tc.input_frames, 3);
        const auto whole = run(d, x, {tc.out_frames});
        const int64_t dd = d.delay_frames;
        for (const std::vector<int64_t>& blocks : {std::vector<int64_t>{1}, {7, 1000, 333}, {dd, dd + 1, std::max<int64_t>(1, dd - 1)}, {4096, 17}}) {
            const auto split = run(d, x, blocks);
            for (int ch = 0; ch < 2; ++ch)
                EXPECT_EQ(0, std::memcmp(split[static_cast<size_t>(ch)].data(), whole[static_cast<size_t>(ch)].data(), sizeof(float) * whole[0].size()))
                    << tc.name << " blocks starting " << blocks[0];
        }
    }
}

TEST(Delay, TailHoldsAllButMinus120DbOfTheEnergy) {
    struct TailCase {
        const char* name;
        Config config;
    };
    const TailCase cases[] = {
        {"fb 0.95, no filters", {48000, 10, 0.95, 0.0, false, 0, 0}},
        {"fb 0.5, no filters", {48000, 100, 0.5, 0.0, false, 0, 0}},
        {"fb 0, no filters", {48000, 64, 0.0, 0.0, false, 0, 0}},
        {"fb 0, lowcut 20 Hz", {48000, 64, 0.0, 0.0, false, 20, 0}},
        {"fb 0.9, lowcut 40 Hz highcut 3 kHz", {48000, 200, 0.9, 0.0, false, 40, 3000}},
        {"fb 0.95, lowcut 100 Hz, short D", {48000, 30, 0.95, 0.0, false, 100, 0}},
        {"fb 0.8, highcut 500 Hz, pingpong", {44100, 300, 0.8, 0.0, true, 0, 500}},
        {"fb 0.7, narrow band 1 kHz", {48000, 2000, 0.7, 0.0, false, 1000, 1000}},
    };
    for (const TailCase& tc : cases) {
        const DelayDesign d = design_of(tc.config);
        // A unit impulse in L (and R: pingpong uses the mid), run far past the tail.
        const int64_t frames = 3 * d.tail_frames + 20 * d.delay_frames + 200000;
        std::array<std::vector<float>, 2> x{std::vector<float>(static_cast<size_t>(frames), 0.0f), std::vector<float>(static_cast<size_t>(frames), 0.0f)};
        x[0][0] = 1.0f;
        x[1][0] = 1.0f;
        const auto y = run(d, x, {65536});
        double total = 0, after = 0;
        for (const auto& ch : y)
            for (int64_t n = 0; n < frames; ++n) {
                const double e = static_cast<double>(ch[static_cast<size_t>(n)]) * ch[static_cast<size_t>(n)];
                total += e;
                if (n > d.tail_frames) after += e;  // an input of 1 frame is kept for frames [0, 1 + tail)
            }
        const double after_db = 10 * std::log10(std::max(after, 1e-300) / total);
        std::printf("delay tail %-36s K %lld R %lld tail %lld frames: energy after it %.4f dB\n", tc.name,
                    static_cast<long long>(d.repeats), static_cast<long long>(d.ringing_frames), static_cast<long long>(d.tail_frames), after_db);
        EXPECT_FALSE(d.ringing_capped) << tc.name;
        EXPECT_LT(after_db, -120.0) << tc.name;
        if (!d.highpass && !d.lowpass) {
            // K = the first k with fb^k <= 1e-6, i.e. ceil(6 / −log10 fb); the tail ends at the K-th repeat.
            const int64_t k = tc.config.feedback == 0 ? 1 : static_cast<int64_t>(std::ceil(6.0 / -std::log10(tc.config.feedback)));
            EXPECT_EQ(d.repeats, k) << tc.name;
            EXPECT_EQ(d.tail_frames, k * d.delay_frames) << tc.name;
        }
    }
}

}  // namespace
}  // namespace sf
