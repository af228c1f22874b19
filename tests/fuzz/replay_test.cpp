// Every fuzzer's committed seeds (tests/fuzz/corpus/<name>/) and the input of
// every crash it found (tests/fuzz/regressions/<name>/), run through its
// body in the ordinary builds (Release and ASan/UBSan): a body aborts on a
// broken contract, which fails this test, so a fixed crash stays fixed.
#include <gtest/gtest.h>

#include <algorithm>
#include <filesystem>
#include <fstream>
#include <iterator>
#include <vector>

#include "tests/fuzz/fuzz_support.h"

namespace sf::fuzz {
namespace {

using Body = int (*)(const uint8_t*, size_t);

// Runs `body` on every file of corpus/<name> and regressions/<name>; returns
// how many it ran.
int replay(const char* name, Body body) {
    int inputs = 0;
    for (const char* set : {"corpus", "regressions"}) {
        const auto dir = std::filesystem::path(STEMFORGE_SOURCE_DIR) / "tests/fuzz" / set / name;
        if (!std::filesystem::is_directory(dir)) continue;
        std::vector<std::filesystem::path> files;
        for (const auto& entry : std::filesystem::directory_iterator(dir))
            if (entry.is_regular_file()) files.push_back(entry.path());
        std::sort(files.begin(), files.end());
        for (const auto& file : files) {
            std::ifstream in(file, std::ios::binary);
            const std::vector<uint8_t> bytes{std::istreambuf_iterator<char>(in), std::istreambuf_iterator<char>()};
            SCOPED_TRACE(file.string());
            EXPECT_EQ(body(bytes.data(), bytes.size()), 0);
            ++inputs;
        }
    }
    return inputs;
}

TEST(FuzzReplay, SessionCorpusAndRegressions) { EXPECT_GE(replay("session", session_input), 8); }
TEST(FuzzReplay, AudioCorpusAndRegressions) { EXPECT_GE(replay("audio", audio_input), 8); }
TEST(FuzzReplay, IrCorpusAndRegressions) { EXPECT_GE(replay("ir", ir_input), 4); }
TEST(FuzzReplay, CueCorpusAndRegressions) { EXPECT_GE(replay("cue", cue_input), 4); }
TEST(FuzzReplay, CliCorpusAndRegressions) { EXPECT_GE(replay("cli", cli_input), 8); }
TEST(FuzzReplay, AlbumCorpusAndRegressions) { EXPECT_GE(replay("album", album_input), 4); }
TEST(FuzzReplay, BatchCorpusAndRegressions) { EXPECT_GE(replay("batch", batch_input), 4); }
TEST(FuzzReplay, ManifestCorpusAndRegressions) { EXPECT_GE(replay("manifest", manifest_input), 3); }

}  // namespace
}  // namespace sf::fuzz
