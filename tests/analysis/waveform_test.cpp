// The overview waveform: per column min/max of known signals, a bounded
// column count for any length, independence of the block split.
#include <gtest/gtest.h>

#include <cmath>

#include "analysis/waveform.h"

namespace sf::analysis {
namespace {

TEST(Waveform, ColumnsHoldTheMinAndMaxOfTheirFrames) {
    // Channel 0: a rising ramp x[i] = i / N (min at the column's first frame,
    // max at its last); channel 1: −ramp (the other way round).
    constexpr int64_t kN = 100003;   // not a multiple of the width: a short last column
    constexpr int kColumns = 1000;
    std::vector<float> up(kN), down(kN);
    for (int64_t i = 0; i < kN; ++i) {
        up[static_cast<size_t>(i)] = static_cast<float>(static_cast<double>(i) / kN);
        down[static_cast<size_t>(i)] = -up[static_cast<size_t>(i)];
    }
    for (int64_t block : {int64_t{1}, int64_t{97}, kN}) {
        WaveformBuilder b(2, 48000.0, kN, kColumns);
        for (int64_t pos = 0; pos < kN; pos += block) {
            const float* p[2] = {up.data() + pos, down.data() + pos};
            b.add(p, std::min(block, kN - pos));
        }
        const WaveformOverview& w = b.result();
        const int64_t width = (kN + kColumns - 1) / kColumns;   // 101
        ASSERT_EQ(w.frames_per_column, width);
        ASSERT_EQ(w.columns, static_cast<int>((kN + width - 1) / width));
        ASSERT_LE(w.columns, kColumns);
        EXPECT_DOUBLE_EQ(w.column_s(), static_cast<double>(width) / 48000.0);
        for (int k = 0; k < w.columns; ++k) {
            const int64_t first = k * width, last = std::min(kN, first + width) - 1;
            ASSERT_EQ(w.column_min(0, k), up[static_cast<size_t>(first)]) << k << " block " << block;
            ASSERT_EQ(w.column_max(0, k), up[static_cast<size_t>(last)]) << k;
            ASSERT_EQ(w.column_min(1, k), down[static_cast<size_t>(last)]) << k;
            ASSERT_EQ(w.column_max(1, k), down[static_cast<size_t>(first)]) << k;
        }
    }
}

TEST(Waveform, LongFilesStayWithinTheColumnBoundAndShortOnesGetOneFramePerColumn) {
    WaveformBuilder long_file(2, 48000.0, int64_t{48000} * 3600 * 10, 4096);   // 10 hours: no samples needed to check the layout
    EXPECT_LE(long_file.result().columns, 4096);
    EXPECT_GE(static_cast<double>(long_file.result().columns) * long_file.result().column_s(), 36000.0);
    EXPECT_EQ(long_file.result().min.size(), 2u * static_cast<size_t>(long_file.result().columns));
    WaveformBuilder short_file(1, 48000.0, 10, 4096);
    EXPECT_EQ(short_file.result().frames_per_column, 1);
    EXPECT_EQ(short_file.result().columns, 10);
    WaveformBuilder empty(1, 48000.0, 0, 4096);
    EXPECT_EQ(empty.result().columns, 0);
}

}  // namespace
}  // namespace sf::analysis
