// A 10-hour file is analysed in bounded memory (issue 3, "bad input": a
// 10-hour file is streamed). Silence keeps the FLAC small (a few MB) and
// exercises the null-loudness path at the same time.
#include "engine/audio/audio_file.h"
#include "tests/e2e/e2e_support.h"

namespace sf::test {
namespace {

TEST(LongFileE2E, TenHoursAnalyseInBoundedMemory) {
    TempDir dir;
    constexpr int kRate = 8000;  // the lowest common rate keeps the test fast; length is what matters
    constexpr int64_t kFrames = int64_t{10} * 3600 * kRate;
    {
        WriteSpec ws;
        ws.format = ExportFormat::Flac;
        ws.bit_depth = 16;
        ws.sample_rate = kRate;
        ws.channels = 1;
        ws.dither = Dither::None;
        auto w = AudioFileWriter::create(dir / "ten-hours.flac", ws);
        ASSERT_TRUE(w.has_value()) << w.error().message;
        AudioBuffer zeros(1, 1 << 20);
        for (int64_t pos = 0; pos < kFrames; pos += zeros.frames())
            ASSERT_TRUE(w->write(zeros, std::min<int64_t>(zeros.frames(), kFrames - pos)).has_value());
        ASSERT_TRUE(w->commit().has_value());
    }
    ASSERT_LT(std::filesystem::file_size(dir / "ten-hours.flac"), 64u << 20);
    long rss_kib = 0;
    auto r = run_stemforge_measured({"analyze", (dir / "ten-hours.flac").string(), "--json"}, &rss_kib);
    ASSERT_EQ(r.exit_code, 0) << r.err;
    const auto j = nlohmann::json::parse(r.out);
    EXPECT_DOUBLE_EQ(j["duration_s"].get<double>(), 36000.0);
    EXPECT_TRUE(j["integrated_lufs"].is_null());
    EXPECT_TRUE(j["sample_peak_dbfs"].is_null());
    // The samples alone would be 1.15 GB as float; streaming keeps the whole
    // process (ASan shadow memory included) far below that.
    EXPECT_LT(rss_kib, 400 * 1024) << "peak RSS " << rss_kib / 1024 << " MiB";
}

}  // namespace
}  // namespace sf::test
