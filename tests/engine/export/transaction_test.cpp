// The delivery transaction: staged files move into place together or not at
// all; an abandoned transaction leaves no temporary and every existing file
// as it was; outputs that are inputs, or one file twice, are refused.
#include <gtest/gtest.h>

#include <unistd.h>

#include <filesystem>
#include <vector>

#include "engine/export/transaction.h"
#include "tests/support/test_support.h"

namespace sf {
namespace {

namespace fs = std::filesystem;
using test::read_text;
using test::TempDir;
using test::write_text;

// Every entry of `dir` (recursively), as names relative to it.
std::vector<std::string> listing(const fs::path& dir) {
    std::vector<std::string> names;
    for (const auto& e : fs::recursive_directory_iterator(dir)) names.push_back(fs::relative(e.path(), dir).string());
    std::sort(names.begin(), names.end());
    return names;
}

TEST(DeliveryTransaction, CommitMovesEveryStagedFileIntoPlace) {
    TempDir dir;
    write_text(dir / "a.wav", "old a");
    DeliveryTransaction tx;
    auto a = tx.stage(dir / "a.wav");
    auto b = tx.stage(dir / "sub" / "b.cue");
    ASSERT_TRUE(a && b);
    EXPECT_EQ(a->parent_path(), dir.path());
    EXPECT_EQ(b->parent_path(), dir / "sub");  // beside its target: the rename stays on one file system
    write_text(*a, "new a");
    ASSERT_TRUE(tx.stage_text(dir / "c.txt", "new c").has_value());
    write_text(*b, "new b");
    EXPECT_EQ(read_text(dir / "a.wav"), "old a");  // nothing changes before commit
    EXPECT_FALSE(fs::exists(dir / "c.txt"));
    ASSERT_TRUE(tx.commit().has_value());
    EXPECT_EQ(read_text(dir / "a.wav"), "new a");
    EXPECT_EQ(read_text(dir / "sub" / "b.cue"), "new b");
    EXPECT_EQ(read_text(dir / "c.txt"), "new c");
    EXPECT_EQ(listing(dir.path()), (std::vector<std::string>{"a.wav", "c.txt", "sub", "sub/b.cue"}));
}

TEST(DeliveryTransaction, DroppedWithoutCommitLeavesNothingAndChangesNothing) {
    TempDir dir;
    write_text(dir / "a.wav", "old a");
    {
        DeliveryTransaction tx;
        auto a = tx.stage(dir / "a.wav");
        ASSERT_TRUE(a.has_value());
        write_text(*a, "half-written");
        ASSERT_TRUE(tx.stage_text(dir / "a.cue", "sheet").has_value());
    }
    EXPECT_EQ(read_text(dir / "a.wav"), "old a");
    EXPECT_EQ(listing(dir.path()), std::vector<std::string>{"a.wav"});
}

TEST(DeliveryTransaction, FailedCommitRestoresEveryTarget) {
    // Audio + CUE sheet: the audio is renamed first, then the CUE sheet's
    // rename fails (its target became a non-empty folder after staging).
    // The audio target must get its old content back, the CUE nothing.
    TempDir dir;
    write_text(dir / "song.wav", "old audio");
    DeliveryTransaction tx;
    auto audio = tx.stage(dir / "song.wav");
    ASSERT_TRUE(audio.has_value());
    write_text(*audio, "new audio");
    ASSERT_TRUE(tx.stage_text(dir / "song.cue", "new sheet").has_value());
    auto fresh = tx.stage(dir / "fresh.flac");
    ASSERT_TRUE(fresh.has_value());
    write_text(*fresh, "new fresh");
    fs::create_directory(dir / "song.cue");
    write_text(dir / "song.cue" / "blocker", "x");

    auto r = tx.commit();
    ASSERT_FALSE(r.has_value());
    EXPECT_EQ(r.error().code, ErrorCode::FileWrite);
    EXPECT_NE(r.error().message.find("song.cue"), std::string::npos) << r.error().message;
    EXPECT_EQ(read_text(dir / "song.wav"), "old audio");
    EXPECT_EQ(listing(dir.path()), (std::vector<std::string>{"song.cue", "song.cue/blocker", "song.wav"}));
}

TEST(DeliveryTransaction, CommitWithAMissingStagedFileChangesNothing) {
    TempDir dir;
    write_text(dir / "a.wav", "old a");
    DeliveryTransaction tx;
    auto a = tx.stage(dir / "a.wav");
    ASSERT_TRUE(tx.stage(dir / "b.wav").has_value());  // never written
    write_text(*a, "new a");
    ASSERT_FALSE(tx.commit().has_value());
    EXPECT_EQ(read_text(dir / "a.wav"), "old a");
}

TEST(DeliveryTransaction, OneTargetStagedTwiceIsRefused) {
    TempDir dir;
    DeliveryTransaction tx;
    ASSERT_TRUE(tx.stage(dir / "x.wav").has_value());
    auto again = tx.stage(dir / "." / "x.wav");
    ASSERT_FALSE(again.has_value());
    EXPECT_NE(again.error().message.find("x.wav"), std::string::npos);
}

TEST(CheckOutputs, AnOutputThatIsAnInputIsRefusedNamingBoth) {
    TempDir dir;
    write_text(dir / "kick.wav", "stem");
    fs::create_symlink(dir / "kick.wav", dir / "link.wav");
    fs::create_hard_link(dir / "kick.wav", dir / "hard.wav");
    const std::vector<NamedPath> inputs{{dir / "kick.wav", "stems[0] \"kick\""}};
    for (const fs::path& out : {dir / "kick.wav", dir / "sub" / ".." / "kick.wav", dir / "link.wav", dir / "hard.wav"}) {
        const std::vector<NamedPath> outputs{{out, "export[0]"}};
        auto r = check_outputs(outputs, inputs);
        ASSERT_FALSE(r.has_value()) << out;
        EXPECT_EQ(r.error().code, ErrorCode::InvalidArgument);
        EXPECT_NE(r.error().message.find("export[0]"), std::string::npos) << r.error().message;
        EXPECT_NE(r.error().message.find("stems[0] \"kick\""), std::string::npos) << r.error().message;
    }
    const std::vector<NamedPath> fine{{dir / "master.wav", "export[0]"}};
    EXPECT_TRUE(check_outputs(fine, inputs).has_value());
}

TEST(CheckOutputs, TwoOutputsWithOnePathAreRefused) {
    TempDir dir;
    const std::vector<NamedPath> outputs{{dir / "m.wav", "export[0]"}, {dir / "x" / ".." / "m.wav", "export[1]"}};
    auto r = check_outputs(outputs, {});
    ASSERT_FALSE(r.has_value());
    EXPECT_NE(r.error().message.find("export[1]"), std::string::npos) << r.error().message;
    EXPECT_NE(r.error().message.find("export[0]"), std::string::npos) << r.error().message;
}

}  // namespace
}  // namespace sf
