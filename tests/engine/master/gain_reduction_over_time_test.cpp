// MasterReport::gain_reduction_db_over_time: the delivered master's limiter
// gain reduction per 100 ms bucket. A quiet tone with a burst 12 dB louder at
// a known time: the series must be 0 away from the burst, in its buckets the
// reduction the ceiling requires of a sine (20 log10(A / C), its true peak
// being its amplitude), and its maximum the limiter's own statistics.
#include <gtest/gtest.h>

#include <cmath>
#include <numbers>

#include "engine/master/master_chain.h"
#include "tests/support/ebur128_probe.h"
#include "tests/support/test_support.h"

namespace sf::test {
namespace {

constexpr int kRate = 48000;
constexpr double kQuiet = 0.1;                 // -20 dBFS
constexpr double kBurst = 0.1 * 3.981071705535;  // +12 dB
constexpr double kCeilingDbtp = -10.0;         // between the two
constexpr double kBurstFrom = 2.0, kBurstTo = 3.0, kLength = 5.0;

AudioBuffer programme() {
    const auto frames = static_cast<int64_t>(kLength * kRate);
    AudioBuffer b(2, frames);
    for (int64_t i = 0; i < frames; ++i) {
        const double t = static_cast<double>(i) / kRate;
        const double a = (t >= kBurstFrom && t < kBurstTo) ? kBurst : kQuiet;
        for (int c = 0; c < 2; ++c) b.channel(c)[i] = static_cast<float>(a * std::sin(2 * std::numbers::pi * 1000.0 * t));
    }
    return b;
}

master::MasterReport master_report(const TempDir& dir, const AudioBuffer& input) {
    Session s;
    s.sample_rate = kRate;
    s.master = MasterSpec{};
    s.master->limiter = LimiterSpec{};
    s.master->limiter->ceiling_dbtp = kCeilingDbtp;
    auto spool = master::Spool::create(dir.path(), 2);
    EXPECT_TRUE(spool);
    EXPECT_TRUE(spool->write(input, input.frames()));
    DeliveryTransaction nothing;
    master::MasterJob job;
    job.session = &s;
    job.probe = ebur128_probe();
    job.transaction = &nothing;
    job.block_frames = 32768;  // buckets straddle blocks
    auto result = master::render_master(job, *spool);
    EXPECT_TRUE(result) << (result ? "" : result.error().message);
    return result ? result->report : master::MasterReport{};
}

TEST(GainReductionOverTime, ZeroOutsideALoudBurstAndTheCeilingsDemandInsideIt) {
    TempDir dir;
    const master::MasterReport r = master_report(dir, programme());
    ASSERT_TRUE(r.limiter);
    EXPECT_DOUBLE_EQ(r.gain_reduction_bucket_s, 0.1);
    const std::vector<float>& gr = r.gain_reduction_db_over_time;
    ASSERT_EQ(gr.size(), 50u);  // 5 s in 100 ms buckets
    const double demanded_db = 20.0 * std::log10(kBurst) - kCeilingDbtp;  // ~1.98 dB
    for (size_t k = 0; k < gr.size(); ++k) {
        SCOPED_TRACE(k);
        if (k < 19) {
            EXPECT_LT(gr[k], 1e-3);  // before the look-ahead reaches the burst
        } else if (k == 19) {
            EXPECT_GT(gr[k], 0.5);  // the attack ramp starts 5 ms before 2.0 s
        } else if (k < 30) {
            EXPECT_NEAR(gr[k], demanded_db, 0.05);  // the steady sine
        } else if (k == 30) {
            EXPECT_GT(gr[k], 0.95 * demanded_db);  // the release starts at 3.0 s, within 12 frames
        } else if (k >= 33) {
            EXPECT_LT(gr[k], 0.01);  // released (50 ms time constant)
        }
    }
    float max_db = 0.0f;
    for (float v : gr) max_db = std::max(max_db, v);
    EXPECT_NEAR(max_db, r.limiter->max_gain_reduction_db, 1e-4);
}

TEST(GainReductionOverTime, EmptyWithoutALimiter) {
    TempDir dir;
    Session s;
    s.sample_rate = kRate;
    s.master = MasterSpec{};  // no limiter
    const AudioBuffer x = programme();
    auto spool = master::Spool::create(dir.path(), 2);
    ASSERT_TRUE(spool);
    ASSERT_TRUE(spool->write(x, x.frames()));
    DeliveryTransaction nothing;
    master::MasterJob job;
    job.session = &s;
    job.probe = ebur128_probe();
    job.transaction = &nothing;
    auto result = master::render_master(job, *spool);
    ASSERT_TRUE(result) << result.error().message;
    EXPECT_TRUE(result->report.gain_reduction_db_over_time.empty());
}

}  // namespace
}  // namespace sf::test
