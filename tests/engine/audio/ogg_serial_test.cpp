// Ogg serial numbers: libsndfile picks them from the clock, so two encodes of
// the same audio differed; after set_ogg_serials every page carries the
// export's own serial with a valid CRC. Checked against RFC 3533's CRC (a
// page libogg wrote verifies), against FFmpeg's Ogg demuxer (an independent
// reader that checks every page's CRC), and byte for byte between two encodes.
#include <gtest/gtest.h>

#include "engine/audio/audio_file.h"
#include "engine/audio/ogg_serial.h"
#include "tests/support/test_support.h"

namespace sf {
namespace {

namespace fs = std::filesystem;

void encode(const fs::path& file, ExportFormat format, uint64_t seed) {
    WriteSpec spec;
    spec.format = format;
    spec.sample_rate = 48000;
    spec.channels = 2;
    spec.dither_seed = seed;
    auto w = AudioFileWriter::create(file, spec);
    ASSERT_TRUE(w.has_value()) << w.error().message;
    const AudioBuffer tone = test::sine(2, 48000, 48000, 440.0, 0.3);
    ASSERT_TRUE(w->write(tone, tone.frames()).has_value());
    ASSERT_TRUE(w->commit().has_value());
}

// Every page: its serial, and whether its CRC verifies.
std::vector<std::pair<uint32_t, bool>> pages(const fs::path& file) {
    const std::string s = test::read_text(file);
    std::vector<std::pair<uint32_t, bool>> out;
    size_t at = 0;
    while (at + 27 <= s.size() && s.compare(at, 4, "OggS") == 0) {
        const auto* p = reinterpret_cast<const uint8_t*>(s.data() + at);
        size_t len = 27 + p[26];
        for (size_t k = 0; k < p[26]; ++k) len += p[27 + k];
        std::vector<uint8_t> page(p, p + len);
        const uint32_t crc = uint32_t{page[22]} | uint32_t{page[23]} << 8 | uint32_t{page[24]} << 16 | uint32_t{page[25]} << 24;
        page[22] = page[23] = page[24] = page[25] = 0;
        out.emplace_back(uint32_t{p[14]} | uint32_t{p[15]} << 8 | uint32_t{p[16]} << 16 | uint32_t{p[17]} << 24, ogg_crc(page) == crc);
        at += len;
    }
    EXPECT_EQ(at, s.size()) << "the file is a sequence of whole Ogg pages";
    return out;
}

TEST(OggSerial, TwoEncodesOfOneExportAreByteIdentical) {
    test::TempDir dir;
    for (ExportFormat f : {ExportFormat::Ogg, ExportFormat::Opus}) {
        const std::string ext = f == ExportFormat::Ogg ? ".ogg" : ".opus";
        encode(dir / ("a" + ext), f, 7);
        encode(dir / ("b" + ext), f, 7);
        EXPECT_TRUE(test::read_text(dir / ("a" + ext)) == test::read_text(dir / ("b" + ext))) << ext;
        encode(dir / ("c" + ext), f, 8);  // another export index, another serial
        const auto pa = pages(dir / ("a" + ext)), pc = pages(dir / ("c" + ext));
        ASSERT_GE(pa.size(), 3u);
        for (const auto& [serial, crc_ok] : pa) {
            EXPECT_EQ(serial, static_cast<uint32_t>((7 * 0x9E3779B97F4A7C15ULL) >> 32));
            EXPECT_TRUE(crc_ok);
        }
        EXPECT_NE(pa[0].first, pc[0].first);
        // FFmpeg's demuxer checks every page's CRC and serial continuity.
        auto r = test::run_command({"ffmpeg", "-nostdin", "-v", "error", "-i", (dir / ("a" + ext)).string(), "-f", "null", "-"});
        EXPECT_EQ(r.exit_code, 0) << r.err;
        EXPECT_EQ(r.err, "") << ext;
        // And it decodes to as many frames as were written (within the codec's padding rules).
        auto back = test::read_audio(dir / ("a" + ext));
        EXPECT_NEAR(static_cast<double>(back.frames()), 48000.0, 1000.0) << ext;
    }
}

TEST(OggSerial, TheCrcIsRfc3533s) {
    // Pages another muxer wrote (FFmpeg's Ogg muxer) verify with ours.
    test::TempDir dir;
    auto r = test::run_command({"ffmpeg", "-nostdin", "-v", "error", "-f", "lavfi", "-i", "sine=f=440:d=1", "-c:a", "flac", "-f", "ogg",
                                (dir / "x.ogg").string()});
    ASSERT_EQ(r.exit_code, 0) << r.err;
    const auto p = pages(dir / "x.ogg");
    ASSERT_GE(p.size(), 2u);
    for (const auto& [serial, ok] : p) EXPECT_TRUE(ok);
    // The check value of this CRC (CRC-32/OGG) for "123456789".
    const std::string check = "123456789";
    EXPECT_EQ(ogg_crc(std::span(reinterpret_cast<const uint8_t*>(check.data()), check.size())), 0x89a1897fu);
}

TEST(OggSerial, ANonOggFileIsRefusedNamingTheOffset) {
    test::TempDir dir;
    test::write_text(dir / "x.ogg", "OggS not a page at all, too short");
    auto r = set_ogg_serials(dir / "x.ogg", 1);
    ASSERT_FALSE(r.has_value());
    EXPECT_NE(r.error().message.find("byte 0"), std::string::npos) << r.error().message;
}

}  // namespace
}  // namespace sf
