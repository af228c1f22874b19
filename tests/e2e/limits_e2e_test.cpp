// Limits (docs/BENCHMARKS.md, "Limits"): what the engine refuses because it
// would not fit in memory, refused before the work, with a clear error.
#include "engine/audio/audio_file.h"
#include "engine/dsp/reverb.h"
#include "tests/e2e/e2e_support.h"
#include "tests/support/snapshot.h"

namespace sf::test {
namespace {

// A reverb IR is held whole, in one FFT of twice its length: an IR longer
// than kMaxIrFrames at the session rate (2^25 frames, 11.6 min at 48 kHz) is
// refused from its header, before a sample is read. The file here is
// 12 minutes of silence at 8 kHz (a 5.8 M-frame FLAC of a few hundred KB;
// 34.6 M frames once resampled to 48 kHz), the shape of a hostile IR: small
// on disk, hours of kernel in memory.
TEST(LimitsE2E, IrLongerThanTheLimitIsRefusedBeforeItIsRead) {
    TempDir dir;
    constexpr int kIrRate = 8000;
    constexpr int64_t kIrFrames = int64_t{12} * 60 * kIrRate;
    static_assert(kIrFrames * 48000 / kIrRate > kMaxIrFrames);
    {
        WriteSpec ws;
        ws.format = ExportFormat::Flac;
        ws.bit_depth = 16;
        ws.sample_rate = kIrRate;
        ws.channels = 1;
        ws.dither = Dither::None;
        auto w = AudioFileWriter::create(dir / "endless.flac", ws);
        ASSERT_TRUE(w.has_value()) << w.error().message;
        AudioBuffer zeros(1, 1 << 20);
        for (int64_t pos = 0; pos < kIrFrames; pos += zeros.frames())
            ASSERT_TRUE(w->write(zeros, std::min<int64_t>(zeros.frames(), kIrFrames - pos)).has_value());
        ASSERT_TRUE(w->commit().has_value());
    }
    write_wav(dir / "vox.wav", noise(1, 48000, 3, 0.3), 48000, 16);
    nlohmann::json s = session_with({{{"name", "vox"}, {"file", "vox.wav"}, {"sends", {{{"bus", "hall"}, {"level_db", -6}}}}}});
    s["buses"] = {{{"name", "hall"}, {"reverb", {{"ir", "endless.flac"}}}}};
    s["export"] = float_export("out/mix.wav");
    write_text(dir / "session.json", s.dump());
    const Snapshot before = snapshot(dir.path());

    long rss_kib = 0;
    auto r = run_stemforge_measured({"render", (dir / "session.json").string(), "--backend", "cpu"}, &rss_kib);
    EXPECT_EQ(r.exit_code, 3) << r.err;  // bad input
    EXPECT_EQ(r.err.rfind("stemforge: error: buses[0].reverb.ir", 0), 0u) << r.err;
    EXPECT_EQ(line_count(r.err), 1) << r.err;
    EXPECT_NE(r.err.find("endless.flac"), std::string::npos) << r.err;
    EXPECT_NE(r.err.find("the IR lasts 720.0 s at 48000 Hz; at most 699.1 s (33554432 frames)"), std::string::npos) << r.err;
    EXPECT_LT(rss_kib, 400 * 1024) << "refused from the header, not after reading 34.6 M frames (" << rss_kib << " KiB)";
    for (const auto& d : differences(before, snapshot(dir.path()))) ADD_FAILURE() << d;
}

}  // namespace
}  // namespace sf::test
