// The IR loader (design_reverb): an IR longer than one read block, resampled,
// gives the taps of the same file read in one piece; a channel count other
// than 1, 2 or 4 is refused from the header, naming the block.
#include <gtest/gtest.h>

#include <cmath>

#include "engine/audio/audio_file.h"
#include "engine/dsp/reverb.h"
#include "tests/support/test_support.h"

namespace sf {
namespace {

TEST(DesignReverb, ALongResampledIrReadInBlocksEqualsOneRead) {
    test::TempDir dir;
    // 150,000 frames at 44.1 kHz: three read blocks at 48 kHz, boundaries inside the resampler's stream.
    const auto ir_file = dir / "ir.wav";
    test::write_wav(ir_file, test::noise(2, 150'000, 7, 0.5), 44100);
    ReverbSpec spec;
    spec.ir = ir_file;
    spec.ir_as_written = ir_file.string();
    spec.wet_db = -6.0;
    spec.predelay_ms = 2.0;
    auto kernels = design_reverb(spec, 48000, "buses[verb].reverb");
    ASSERT_TRUE(kernels.has_value()) << kernels.error().message;

    SourceOptions so;
    so.target_rate = 48000;
    auto source = AudioSource::open(ir_file, so);
    ASSERT_TRUE(source.has_value()) << source.error().message;
    AudioBuffer whole(source->channels(), source->frames());
    ASSERT_TRUE(source->read(whole, source->frames()).has_value());
    const int64_t predelay = predelay_frames(2.0, 48000);
    const double g = std::pow(10.0, -6.0 / 20.0);
    ASSERT_EQ(kernels->kernels.size(), 2u);
    for (int c = 0; c < 2; ++c) {
        const std::vector<double>& k = kernels->kernels[static_cast<size_t>(c)];
        ASSERT_EQ(static_cast<int64_t>(k.size()), predelay + whole.frames());
        for (int64_t i = 0; i < whole.frames(); ++i)
            ASSERT_EQ(k[static_cast<size_t>(predelay + i)], g * whole.channel(c)[i]) << "channel " << c << ", frame " << i;
    }
}

TEST(DesignReverb, AThreeChannelIrIsRefusedNamingTheBlock) {
    test::TempDir dir;
    const auto ir_file = dir / "ir3.wav";
    test::write_wav(ir_file, test::noise(3, 4800, 1, 0.5), 48000);
    ReverbSpec spec;
    spec.ir = ir_file;
    spec.ir_as_written = ir_file.string();
    auto kernels = design_reverb(spec, 48000, "buses[verb].reverb");
    ASSERT_FALSE(kernels.has_value());
    EXPECT_EQ(kernels.error().code, ErrorCode::InvalidArgument);
    EXPECT_EQ(kernels.error().message,
              "buses[verb].reverb: the IR has 3 channels; it must have 1 (mono), 2 (stereo) or 4 (true stereo LL, LR, RL, RR)");
}

}  // namespace
}  // namespace sf
