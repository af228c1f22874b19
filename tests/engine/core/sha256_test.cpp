// SHA-256 against FIPS 180-4's example vectors (NIST CSRC "Examples with
// intermediate values", the CAVS short/long messages) and against coreutils'
// sha256sum, an independent implementation, at every padding boundary.
#include <gtest/gtest.h>

#include <string>

#include "engine/core/random.h"
#include "engine/core/sha256.h"
#include "tests/support/test_support.h"

namespace sf {
namespace {

TEST(Sha256, FipsExampleVectors) {
    EXPECT_EQ(sha256_hex(""), "e3b0c44298fc1c149afbf4c8996fb92427ae41e4649b934ca495991b7852b855");
    EXPECT_EQ(sha256_hex("abc"), "ba7816bf8f01cfea414140de5dae2223b00361a396177a9cb410ff61f20015ad");
    // 448 bits: the length no longer fits the first block's padding.
    EXPECT_EQ(sha256_hex("abcdbcdecdefdefgefghfghighijhijkijkljklmklmnlmnomnopnopq"),
              "248d6a61d20638b8e5c026930c3e6039a33ce45964ff2167f6ecedd419db06c1");
    EXPECT_EQ(sha256_hex("abcdefghbcdefghicdefghijdefghijkefghijklfghijklmghijklmnhijklmnoijklmnopjklmnopqklmnopqrlmnopqrsmnopqrstnopqrstu"),
              "cf5b16a778af8380036ce59e7b0492370b249b11e8f07a51afac45037afee9d1");
    EXPECT_EQ(sha256_hex(std::string(1000000, 'a')), "cdc76e5c9914fb9281a1c7e284d73e67f1809a48a497200e046d39ccc7112cd0");
}

TEST(Sha256, PiecewiseUpdatesEqualOneUpdate) {
    Random rng(17);
    std::string message(10007, '\0');
    for (char& c : message) c = static_cast<char>(rng.next() & 0xff);
    const std::string whole = sha256_hex(message);
    for (size_t piece : {1u, 3u, 55u, 63u, 64u, 65u, 4096u}) {
        Sha256 h;
        for (size_t at = 0; at < message.size(); at += piece) h.update(std::string_view(message).substr(at, piece));
        EXPECT_EQ(h.finish_hex(), whole) << "pieces of " << piece;
    }
}

TEST(Sha256, FilesAgreeWithCoreutilsAtEveryPaddingBoundary) {
    test::TempDir dir;
    Random rng(5);
    for (size_t n : {0u, 1u, 55u, 56u, 57u, 63u, 64u, 65u, 119u, 120u, 128u, (1u << 20) + 3u, 3u << 20}) {
        std::string bytes(n, '\0');
        for (char& c : bytes) c = static_cast<char>(rng.next() & 0xff);
        const auto file = dir / ("f" + std::to_string(n));
        test::write_text(file, bytes);
        auto mine = sha256_file(file);
        ASSERT_TRUE(mine.has_value()) << mine.error().message;
        const auto oracle = test::run_command({"sha256sum", file.string()});
        ASSERT_EQ(oracle.exit_code, 0) << oracle.err;
        EXPECT_EQ(*mine, oracle.out.substr(0, 64)) << n << " bytes";
        EXPECT_EQ(*mine, sha256_hex(bytes)) << n << " bytes";
    }
}

TEST(Sha256, AMissingFileIsNamed) {
    test::TempDir dir;
    auto r = sha256_file(dir / "nope.wav");
    ASSERT_FALSE(r.has_value());
    EXPECT_EQ(r.error().code, ErrorCode::FileNotFound);
    EXPECT_NE(r.error().message.find("nope.wav"), std::string::npos);
}

}  // namespace
}  // namespace sf
