// Album mode runs the master in two parts (engine/album/album_renderer.h,
// split_master): the pre-chain once, then the limiter over its output at
// each pass's gain. That is only the album's master if the two parts give,
// sample for sample, what the whole master gives at the same gain: checked
// here on a master with every pre-chain stage (EQ, multiband, width, mono
// bass, balance) and the limiter working hard.
#include <gtest/gtest.h>

#include <cmath>
#include <numbers>

#include "engine/album/album_renderer.h"
#include "engine/core/random.h"
#include "engine/master/master_chain.h"
#include "tests/support/ebur128_probe.h"
#include "tests/support/test_support.h"

namespace sf::test {
namespace {

constexpr int kRate = 48000;

AudioBuffer programme() {
    AudioBuffer b(2, kRate * 4 + 1234);  // odd length: blocks end mid-way
    Random rng(7);
    for (int64_t i = 0; i < b.frames(); ++i) {
        const double t = static_cast<double>(i) / kRate;
        const double hit = std::exp(-std::fmod(t, 0.5) / 0.05);
        for (int c = 0; c < 2; ++c)
            b.channel(c)[i] = static_cast<float>(0.3 * hit * std::sin(2 * std::numbers::pi * 60.0 * t) +
                                                 0.1 * std::sin(2 * std::numbers::pi * (440.0 + 5 * c) * t) + 0.05 * rng.bipolar());
    }
    return b;
}

// The master's final output (its tap) for `master` over `input` at `gain_db`.
AudioBuffer run(const TempDir& dir, const MasterSpec& master, const AudioBuffer& input, std::optional<double> gain_db) {
    Session s;
    s.sample_rate = kRate;
    s.master = master;
    auto spool = master::Spool::create(dir.path(), 2);
    EXPECT_TRUE(spool);
    for (int64_t at = 0; at < input.frames(); at += 40000) {  // written in odd blocks
        const int64_t n = std::min<int64_t>(40000, input.frames() - at);
        AudioBuffer block(2, n);
        for (int c = 0; c < 2; ++c) std::copy_n(input.channel(c) + at, n, block.channel(c));
        EXPECT_TRUE(spool->write(block, n));
    }
    DeliveryTransaction nothing;
    master::MasterJob job;
    job.session = &s;
    job.probe = ebur128_probe();
    job.transaction = &nothing;
    job.fixed_gain_db = gain_db;
    job.block_frames = 32768;
    AudioBuffer out(2, 0);
    std::vector<float> l, r;
    job.master_tap = [&](const AudioBuffer& b, int64_t n) {
        l.insert(l.end(), b.channel(0), b.channel(0) + n);
        r.insert(r.end(), b.channel(1), b.channel(1) + n);
    };
    auto result = master::render_master(job, *spool);
    EXPECT_TRUE(result) << (result ? "" : result.error().message);
    out.resize(2, static_cast<int64_t>(l.size()));
    std::copy(l.begin(), l.end(), out.channel(0));
    std::copy(r.begin(), r.end(), out.channel(1));
    return out;
}

TEST(AlbumSplitMaster, TwoPartsGiveTheWholeMastersSamples) {
    MasterSpec m;
    EqBand bell;
    bell.freq_hz = 2500.0;
    bell.gain_db = 4.0;
    bell.q = 0.8;
    m.eq = EqSpec{EqMode::Linear, {bell}};
    MultibandSpec mb;
    mb.crossovers_hz = {200.0};
    mb.bands.resize(2);
    mb.bands[0].threshold_db = -30.0;
    mb.bands[0].ratio = 3.0;
    mb.bands[1].threshold_db = -26.0;
    m.multiband = mb;
    m.width = 1.3;
    m.mono_below_hz = 120.0;
    m.balance = 0.1;
    m.limiter = LimiterSpec{};
    m.limiter->ceiling_dbtp = -1.0;
    m.loudness_target_lufs = -12.0;  // a fixed gain takes its place

    const album::SplitMaster parts = album::split_master(m);
    EXPECT_FALSE(parts.pre_chain.limiter);
    EXPECT_FALSE(parts.pre_chain.loudness_target_lufs);
    EXPECT_FALSE(parts.limiter.eq || parts.limiter.multiband || parts.limiter.width || parts.limiter.mono_below_hz ||
                 parts.limiter.balance || parts.limiter.match_eq);

    TempDir dir;
    const AudioBuffer x = programme();
    const double gain_db = 9.0;  // the limiter works hard
    const AudioBuffer whole = run(dir, m, x, gain_db);
    const AudioBuffer pre = run(dir, parts.pre_chain, x, std::nullopt);
    const AudioBuffer split = run(dir, parts.limiter, pre, gain_db);
    ASSERT_EQ(whole.frames(), x.frames());
    ASSERT_EQ(pre.frames(), x.frames());
    ASSERT_EQ(split.frames(), x.frames());
    int64_t differing = 0;
    for (int c = 0; c < 2; ++c)
        for (int64_t i = 0; i < x.frames(); ++i) differing += whole.channel(c)[i] != split.channel(c)[i];
    EXPECT_EQ(differing, 0);
    // The limiter did work, and the pre-chain changed the signal: the test sees both parts.
    EXPECT_LT(peak_dbfs(whole.channel(0), whole.frames()), -0.9);
    EXPECT_GT(peak_dbfs(pre.channel(0), pre.frames()) + gain_db, 0.0);
    double moved = 0.0;
    for (int64_t i = 0; i < x.frames(); ++i) moved = std::max(moved, std::abs(static_cast<double>(pre.channel(0)[i]) - x.channel(0)[i]));
    EXPECT_GT(moved, 0.01);
}

}  // namespace
}  // namespace sf::test
