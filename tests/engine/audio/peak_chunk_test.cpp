// Float WAV, RF64 and AIFF files keep libsndfile's PEAK chunk (where it writes
// one), but stamped 0 instead of the time of writing: two writes a second
// apart are byte-identical.
#include <gtest/gtest.h>

#include <chrono>
#include <cstring>
#include <thread>

#include "engine/audio/audio_file.h"
#include "engine/audio/peak_chunk.h"
#include "tests/support/test_support.h"

namespace sf {
namespace {

namespace fs = std::filesystem;

void write_float(const fs::path& file, ExportFormat format) {
    WriteSpec spec;
    spec.format = format;
    spec.bit_depth = 32;
    spec.dither = Dither::None;
    auto w = AudioFileWriter::create(file, spec);
    ASSERT_TRUE(w.has_value()) << w.error().message;
    const AudioBuffer tone = test::sine(2, 4800, 48000, 1000.0, 0.3);
    ASSERT_TRUE(w->write(tone, tone.frames()).has_value());
    ASSERT_TRUE(w->commit().has_value());
}

// The PEAK chunk's timestamp and first peak value, read by walking the chunks here.
struct Peak {
    bool found = false;
    uint32_t timestamp = 1;
    float first_value = 0.0f;
};
Peak read_peak(const fs::path& file) {
    const std::string s = test::read_text(file);
    const bool be = s.compare(0, 4, "FORM") == 0;
    auto u32 = [&](size_t at) {
        uint32_t v = 0;
        for (int i = 0; i < 4; ++i) v |= uint32_t{static_cast<uint8_t>(s[at + (be ? 3 - i : i)])} << (8 * i);
        return v;
    };
    Peak p;
    for (size_t at = 12; at + 8 <= s.size();) {
        const uint32_t size = u32(at + 4);
        if (s.compare(at, 4, "PEAK") == 0) {
            p.found = true;
            p.timestamp = u32(at + 12);
            const uint32_t bits = u32(at + 16);
            std::memcpy(&p.first_value, &bits, 4);
            return p;
        }
        if (s.compare(at, 4, "data") == 0 || s.compare(at, 4, "SSND") == 0) break;
        at += 8 + size + (size & 1);
    }
    return p;
}

TEST(PeakChunk, FloatFilesAreByteIdenticalASecondApartAndKeepTheirPeaks) {
    test::TempDir dir;
    for (auto [format, ext] : {std::pair{ExportFormat::Wav, ".wav"}, {ExportFormat::Rf64, ".rf64"}, {ExportFormat::Aiff, ".aiff"}}) {
        write_float(dir / (std::string("a") + ext), format);
        std::this_thread::sleep_for(std::chrono::milliseconds(1100));  // time(NULL) moves on
        write_float(dir / (std::string("b") + ext), format);
        EXPECT_TRUE(test::read_text(dir / (std::string("a") + ext)) == test::read_text(dir / (std::string("b") + ext))) << ext;
        const Peak p = read_peak(dir / (std::string("a") + ext));
        // libsndfile writes one into float WAV and AIFF (RF64: not always, by its own rules).
        if (format != ExportFormat::Rf64) {
            EXPECT_TRUE(p.found) << ext;
        }
        if (!p.found) continue;
        EXPECT_EQ(p.timestamp, 0u) << ext;
        EXPECT_NEAR(p.first_value, 0.3f, 1e-4) << ext;
    }
}

TEST(PeakChunk, OtherFilesAreLeftAlone) {
    test::TempDir dir;
    test::write_text(dir / "x.bin", "not a RIFF file at all");
    ASSERT_TRUE(clear_peak_timestamp(dir / "x.bin").has_value());
    EXPECT_EQ(test::read_text(dir / "x.bin"), "not a RIFF file at all");
}

}  // namespace
}  // namespace sf
