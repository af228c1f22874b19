// A WAV whose LIST sub-chunks overrun their list is refused with one line
// before libsndfile sees it (libsndfile loops forever in sf_open on some:
// engine/audio/riff_lists.h); well-formed lists, and the two liberties
// writers take (a missing last pad byte, zero padding), still open.
#include <gtest/gtest.h>

#include <string>

#include "engine/audio/audio_file.h"
#include "engine/audio/riff_lists.h"
#include "tests/support/test_support.h"

namespace sf {
namespace {

namespace fs = std::filesystem;

std::string u32le(uint32_t v) {
    std::string s(4, '\0');
    for (int i = 0; i < 4; ++i) s[static_cast<size_t>(i)] = static_cast<char>((v >> (8 * i)) & 0xff);
    return s;
}
std::string chunk(const std::string& id, const std::string& body, bool pad = true) {
    std::string s = id + u32le(static_cast<uint32_t>(body.size())) + body;
    if (pad && body.size() % 2) s += '\0';
    return s;
}
// A 16-bit mono 48 kHz WAV of 8 frames, with `before` and `after` placed
// around its data chunk.
std::string wav(const std::string& before, const std::string& after = "") {
    std::string fmt = std::string("\x01\x00\x01\x00", 4) + u32le(48000) + u32le(96000) + std::string("\x02\x00\x10\x00", 4);
    std::string body = "WAVE" + chunk("fmt ", fmt) + before + chunk("data", std::string(16, '\x01')) + after;
    return "RIFF" + u32le(static_cast<uint32_t>(body.size())) + body;
}
std::string info_list(const std::string& subchunks) {
    const std::string body = "INFO" + subchunks;
    // The LIST itself is padded to an even length at the top level.
    return "LIST" + u32le(static_cast<uint32_t>(body.size())) + body + (body.size() % 2 ? std::string(1, '\0') : "");
}

class RiffLists : public ::testing::Test {
protected:
    fs::path write(const std::string& bytes) {
        const fs::path file = dir / "stem.wav";
        test::write_text(file, bytes);
        return file;
    }
    test::TempDir dir;
};

TEST_F(RiffLists, WellFormedInfoListsBeforeAndAfterTheDataOpen) {
    const std::string list = info_list(chunk("INAM", "Title") + chunk("ISFT", "Stemforge test\0"));
    const fs::path file = write(wav(list, list));
    EXPECT_TRUE(check_riff_lists(file).has_value());
    auto info = probe_audio(file);
    ASSERT_TRUE(info.has_value()) << info.error().message;
    EXPECT_EQ(info->frames, 8);
}

TEST_F(RiffLists, LastSubChunkWithoutItsPadByteOpens) {
    // INAM of 5 bytes, no pad byte: the list ends one byte before the padded end.
    const fs::path file = write(wav(info_list(chunk("ISFT", "ab") + chunk("INAM", "Title", false))));
    EXPECT_TRUE(check_riff_lists(file).has_value());
    EXPECT_TRUE(probe_audio(file).has_value());
}

TEST_F(RiffLists, ZeroBytesEndAList) {
    const fs::path file = write(wav(info_list(chunk("INAM", "Ti") + std::string(12, '\0'))));
    EXPECT_TRUE(check_riff_lists(file).has_value());
    EXPECT_TRUE(probe_audio(file).has_value());
}

TEST_F(RiffLists, SubChunkPastTheListIsRefusedWithOneLineNamingBothOffsets) {
    // ISFT claims 0xfffffff0 bytes inside a 20-byte list.
    const std::string bad = "ISFT" + u32le(0xfffffff0u) + std::string(8, 'x');
    const fs::path file = write(wav(info_list(bad)));
    auto ok = check_riff_lists(file);
    ASSERT_FALSE(ok.has_value());
    const std::string& m = ok.error().message;
    EXPECT_EQ(ok.error().code, ErrorCode::FileRead);
    EXPECT_TRUE(m.starts_with(file.string() + ": malformed LIST chunk at byte 36:")) << m;
    EXPECT_NE(m.find("'ISFT' at byte 48 claims 4294967280 bytes, past the list's end at byte 64"), std::string::npos) << m;
    EXPECT_EQ(m.find('\n'), std::string::npos);
    auto probed = probe_audio(file);
    ASSERT_FALSE(probed.has_value());
    EXPECT_EQ(probed.error().message, m);
}

TEST_F(RiffLists, AListAfterTheDataIsCheckedToo) {
    const fs::path file = write(wav("", info_list("IART" + u32le(1000) + "ab")));
    EXPECT_FALSE(check_riff_lists(file).has_value());
}

TEST_F(RiffLists, ControlBytesInAChunkIdAreEscaped) {
    const fs::path file = write(wav(info_list(std::string("\x1b\x01ri", 4) + u32le(999) + "ab")));
    auto ok = check_riff_lists(file);
    ASSERT_FALSE(ok.has_value());
    EXPECT_NE(ok.error().message.find("sub-chunk '\\x1b\\x01ri'"), std::string::npos) << ok.error().message;
}

// The 484-byte WAV fuzz_ir found: sf_open() on it never returned.
TEST_F(RiffLists, TheFileThatHungLibsndfileIsRefused) {
    const fs::path file = fs::path(STEMFORGE_SOURCE_DIR) / "tests/fuzz/regressions/ir/list-sub-chunk-past-the-list-hangs-libsndfile.wav";
    auto probed = probe_audio(file);
    ASSERT_FALSE(probed.has_value());
    EXPECT_NE(probed.error().message.find("malformed LIST chunk at byte 72"), std::string::npos) << probed.error().message;
}

// libsndfile "backs out" of a list at a "data" marker and reads on from
// there, so a list that ends inside the data chunk's header must not move
// this walk to the list's end: the 214-byte WAV fuzz_ir found hid an
// overrunning list (sf_open never returned) behind such a list.
std::string list_ending_inside_the_data_header() {
    return "LIST" + u32le(12) + "INFO" + "data" + u32le(16) + std::string(16, '\x01');
}
std::string wav_with_data_inside_a_list(const std::string& after) {
    std::string fmt = std::string("\x01\x00\x01\x00", 4) + u32le(48000) + u32le(96000) + std::string("\x02\x00\x10\x00", 4);
    std::string body = "WAVE" + chunk("fmt ", fmt) + list_ending_inside_the_data_header() + after;
    return "RIFF" + u32le(static_cast<uint32_t>(body.size())) + body;
}

TEST_F(RiffLists, DataInsideAListIsReadAsLibsndfileReadsIt) {
    const fs::path file = write(wav_with_data_inside_a_list(""));
    EXPECT_TRUE(check_riff_lists(file).has_value());
    auto info = probe_audio(file);
    ASSERT_TRUE(info.has_value()) << info.error().message;
    EXPECT_EQ(info->frames, 8);
}

TEST_F(RiffLists, AnOverrunningListBehindDataInsideAListIsRefused) {
    const fs::path file = write(wav_with_data_inside_a_list(info_list("IART" + u32le(0xfffffff0u) + "ab")));
    auto ok = check_riff_lists(file);
    ASSERT_FALSE(ok.has_value());
    // fmt ends at byte 36, the first list's "data" at 48, its 16 bytes at 56; the second list at 72.
    EXPECT_NE(ok.error().message.find("malformed LIST chunk at byte 72"), std::string::npos) << ok.error().message;
}

TEST_F(RiffLists, TheSecondFileThatHungLibsndfileIsRefused) {
    const fs::path file =
        fs::path(STEMFORGE_SOURCE_DIR) / "tests/fuzz/regressions/ir/data-inside-a-list-hides-a-later-list-that-hangs-libsndfile.wav";
    auto probed = probe_audio(file);
    ASSERT_FALSE(probed.has_value());
    EXPECT_NE(probed.error().message.find("malformed LIST chunk at byte 174"), std::string::npos) << probed.error().message;
}

TEST_F(RiffLists, OtherContainersAreNotRead) {
    const fs::path flac = dir / "tone.flac";
    test::write_wav(flac, test::sine(1, 480, 48000, 440.0, 0.5), 48000, 16, ExportFormat::Flac);
    EXPECT_TRUE(check_riff_lists(flac).has_value());
    test::write_text(dir / "junk.wav", "LIST not a riff file at all");
    EXPECT_TRUE(check_riff_lists(dir / "junk.wav").has_value());
}

}  // namespace
}  // namespace sf
