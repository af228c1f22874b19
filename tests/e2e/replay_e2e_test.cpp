// Manifests and replay through the CLI: every render leaves
// <first output>.manifest.json whose hashes agree with coreutils' sha256sum
// (an independent implementation); `replay` re-renders into a temporary
// folder and exits 0 when every output is bit-identical, 3 naming a changed
// input (before any work), 1 naming a differing output.
#include <cstdlib>
#include <filesystem>

#include "tests/e2e/e2e_support.h"

namespace sf::test {
namespace {

namespace fs = std::filesystem;
using nlohmann::json;

constexpr int kRate = 48000;

std::string sha256sum(const fs::path& file) {
    const auto r = run_command({"sha256sum", file.string()});
    EXPECT_EQ(r.exit_code, 0) << r.err;
    return r.out.substr(0, 64);
}

// Points the children's temporary folder (TMPDIR) at a folder of the test,
// so a replay's leftovers would be seen.
class ScopedTmpdir {
public:
    explicit ScopedTmpdir(const fs::path& dir) {
        fs::create_directories(dir);
        if (const char* old = std::getenv("TMPDIR")) old_ = old;
        ::setenv("TMPDIR", dir.c_str(), 1);
    }
    ~ScopedTmpdir() {
        if (old_)
            ::setenv("TMPDIR", old_->c_str(), 1);
        else
            ::unsetenv("TMPDIR");
    }

private:
    std::optional<std::string> old_;
};

size_t entries(const fs::path& dir) {
    size_t n = 0;
    for ([[maybe_unused]] const auto& e : fs::recursive_directory_iterator(dir)) ++n;
    return n;
}

// A stem through a reverb bus into a master with a loudness target, delivered
// as a dithered 16-bit WAV, a 44.1 kHz FLAC with a CUE sheet and a BWF.
fs::path write_project(const TempDir& dir) {
    write_wav(dir / "dry.wav", lowpassed_noise(2, 2 * kRate, 3, 0.2), kRate, 24);
    write_wav(dir / "hall.wav", noise(1, kRate / 5, 4, 0.05), kRate, 24);
    json s = session_with({{{"name", "dry"}, {"file", "dry.wav"}, {"sends", {{{"bus", "verb"}, {"level_db", -6}}}}}});
    s["buses"] = json::array({{{"name", "verb"}, {"reverb", {{"ir", "hall.wav"}}}}});
    s["master"] = {{"limiter", {{"ceiling_dbtp", -1.0}}}, {"loudness_target_lufs", -16.0}};
    s["export"] = json::array({{{"file", "out/master.wav"}, {"bit_depth", 16}},
                               {{"file", "out/cd.flac"}, {"bit_depth", 16}, {"sample_rate", 44100}, {"cue_sheet", true}},
                               {{"file", "out/bcast.wav"}, {"format", "bwf"}, {"bit_depth", 24}}});
    write_text(dir / "session.json", s.dump());
    return dir / "session.json";
}

TEST(ReplayE2E, EveryRenderLeavesAManifestThatReplaysBitIdentically) {
    TempDir dir;
    const fs::path session = write_project(dir);
    auto r = run_stemforge({"render", session.string(), "--backend", "cpu", "--json"});
    ASSERT_EQ(r.exit_code, 0) << r.err;
    const fs::path manifest_file = dir / "out/master.wav.manifest.json";
    EXPECT_EQ(json::parse(r.out)["manifest"], manifest_file.string());
    ASSERT_TRUE(fs::exists(manifest_file));

    const json m = json::parse(read_text(manifest_file));
    EXPECT_EQ(m["format"], "stemforge-manifest");
    EXPECT_EQ(m["version"], 1);
    EXPECT_EQ(m["backend"], "cpu");
    for (const char* k : {"stemforge", "libsndfile", "fftw", "soxr"}) EXPECT_TRUE(m["versions"].contains(k)) << k;
    ASSERT_EQ(m["inputs"].size(), 3u);  // the session, the stem, the IR
    for (const auto& f : m["inputs"]) EXPECT_EQ(f["sha256"], sha256sum(f["path"].get<std::string>())) << f["role"];
    std::set<std::string> outputs;
    for (const auto& f : m["outputs"]) {
        EXPECT_EQ(f["sha256"], sha256sum(f["path"].get<std::string>())) << f["path"];
        outputs.insert(f["path"].get<std::string>());
    }
    EXPECT_EQ(outputs, (std::set<std::string>{(dir / "out/master.wav").string(), (dir / "out/cd.flac").string(),
                                              (dir / "out/cd.cue").string(), (dir / "out/bcast.wav").string()}));
    ASSERT_EQ(m["dither"].size(), 3u);
    EXPECT_EQ(m["dither"][0]["dither"], "tpdf");
    EXPECT_EQ(m["session"]["canonical"]["export"].size(), 3u);

    ScopedTmpdir tmp(dir / "tmp");
    auto replay = run_stemforge({"replay", manifest_file.string(), "--json"});
    ASSERT_EQ(replay.exit_code, 0) << replay.err << replay.out;
    const json j = json::parse(replay.out);
    EXPECT_TRUE(j["identical"].get<bool>());
    ASSERT_EQ(j["outputs"].size(), 4u);
    for (const auto& o : j["outputs"]) {
        EXPECT_TRUE(o["identical"].get<bool>()) << o;
        EXPECT_EQ(o["on_disk"], "as recorded") << o;
    }
    EXPECT_EQ(entries(dir / "tmp"), 0u) << "the replay's temporary folder is removed";

    // --keep: the re-rendered files stay, byte-identical to the delivered ones.
    auto kept = run_stemforge({"replay", manifest_file.string(), "--keep", (dir / "kept").string()});
    ASSERT_EQ(kept.exit_code, 0) << kept.err;
    EXPECT_EQ(read_text(dir / "kept/0/master.wav"), read_text(dir / "out/master.wav"));
    EXPECT_EQ(read_text(dir / "kept/1/cd.cue"), read_text(dir / "out/cd.cue"));
}

TEST(ReplayE2E, AChangedOrMissingInputIsNamedWithExit3BeforeAnyWork) {
    TempDir dir;
    const fs::path session = write_project(dir);
    ASSERT_EQ(run_stemforge({"render", session.string(), "--backend", "cpu"}).exit_code, 0);
    const fs::path manifest_file = dir / "out/master.wav.manifest.json";
    ScopedTmpdir tmp(dir / "tmp");

    // One byte of the IR changes.
    std::string ir = read_text(dir / "hall.wav");
    ir[ir.size() - 1] ^= 1;
    write_text(dir / "hall.wav", ir);
    auto r = run_stemforge({"replay", manifest_file.string()});
    EXPECT_EQ(r.exit_code, 3) << r.err;
    EXPECT_EQ(line_count(r.err), 1) << r.err;
    EXPECT_EQ(r.err.rfind("stemforge: error: replay: ", 0), 0u) << r.err;
    EXPECT_NE(r.err.find("buses[0] \"verb\" reverb IR"), std::string::npos) << r.err;
    EXPECT_NE(r.err.find((dir / "hall.wav").string() + " changed"), std::string::npos) << r.err;
    EXPECT_EQ(entries(dir / "tmp"), 0u) << "nothing rendered";

    // The stem is gone as well: both named, one line each.
    fs::remove(dir / "dry.wav");
    r = run_stemforge({"replay", manifest_file.string(), "--json"});
    EXPECT_EQ(r.exit_code, 3) << r.err;
    EXPECT_EQ(line_count(r.err), 2) << r.err;
    EXPECT_NE(r.err.find("stems[0] \"dry\""), std::string::npos) << r.err;
    const json j = json::parse(r.out);
    EXPECT_FALSE(j["identical"].get<bool>());
    EXPECT_EQ(j["inputs"][0]["status"], "unchanged");
    EXPECT_EQ(j["inputs"][1]["status"], "missing");
    EXPECT_EQ(j["inputs"][2]["status"], "changed");

    // The session file counts as an input too.
    write_text(dir / "dry.wav", "");
    r = run_stemforge({"replay", manifest_file.string()});
    EXPECT_EQ(r.exit_code, 3);
    write_text(session, read_text(session) + " ");
    r = run_stemforge({"replay", manifest_file.string()});
    EXPECT_EQ(r.exit_code, 3);
    EXPECT_NE(r.err.find("the session file"), std::string::npos) << r.err;
}

TEST(ReplayE2E, AnOutputThatDoesNotMatchTheManifestExits1NamingIt) {
    TempDir dir;
    const fs::path session = write_project(dir);
    ASSERT_EQ(run_stemforge({"render", session.string(), "--backend", "cpu"}).exit_code, 0);
    // The manifest claims other bits for the FLAC (as if rendered by a
    // Stemforge that rounds differently): the replay cannot produce them.
    json m = json::parse(read_text(dir / "out/master.wav.manifest.json"));
    for (auto& o : m["outputs"])
        if (o["path"] == (dir / "out/cd.flac").string()) o["sha256"] = std::string(64, '0');
    write_text(dir / "claims.manifest.json", m.dump(2));
    auto r = run_stemforge({"replay", (dir / "claims.manifest.json").string(), "--json"});
    EXPECT_EQ(r.exit_code, 1) << r.err;
    EXPECT_EQ(line_count(r.err), 1) << r.err;
    EXPECT_NE(r.err.find((dir / "out/cd.flac").string()), std::string::npos) << r.err;
    const json j = json::parse(r.out);
    EXPECT_FALSE(j["identical"].get<bool>());
    int differing = 0;
    for (const auto& o : j["outputs"]) differing += !o["identical"].get<bool>();
    EXPECT_EQ(differing, 1);

    // A manifest edited elsewhere is refused naming the key.
    m = json::parse(read_text(dir / "out/master.wav.manifest.json"));
    m["session"]["canonical"]["stems"][0]["gain_db"] = 6.0;
    write_text(dir / "edited.manifest.json", m.dump(2));
    r = run_stemforge({"replay", (dir / "edited.manifest.json").string()});
    EXPECT_EQ(r.exit_code, 3) << r.err;
    EXPECT_NE(r.err.find("session.canonical"), std::string::npos) << r.err;
}

TEST(ReplayE2E, AnOutputOverrideAndThreadsAreRecordedAndReplayed) {
    TempDir dir;
    const fs::path session = write_project(dir);
    auto r = run_stemforge({"render", session.string(), "--backend", "cpu", "-o", (dir / "single.flac").string(), "--threads", "1"});
    ASSERT_EQ(r.exit_code, 0) << r.err;
    const json m = json::parse(read_text(dir / "single.flac.manifest.json"));
    EXPECT_EQ(m["render"]["output"], (dir / "single.flac").string());
    EXPECT_EQ(m["render"]["threads"], 1);
    ASSERT_EQ(m["outputs"].size(), 1u);
    auto replay = run_stemforge({"replay", (dir / "single.flac.manifest.json").string()});
    EXPECT_EQ(replay.exit_code, 0) << replay.err;
    EXPECT_NE(replay.out.find("bit-identical"), std::string::npos) << replay.out;
}

TEST(ReplayE2E, AFailedRenderLeavesNoManifestAndKeepsTheOldOne) {
    TempDir dir;
    write_wav(dir / "prog.wav", noise(2, kRate, 5, 0.1), kRate, 24);
    json s = session_with({{{"name", "prog"}, {"file", "prog.wav"}}});
    s["export"] = json::array({{{"file", "out/master.wav"}}});
    write_text(dir / "s.json", s.dump());
    ASSERT_EQ(run_stemforge({"render", (dir / "s.json").string(), "--backend", "cpu"}).exit_code, 0);
    const std::string manifest_before = read_text(dir / "out/master.wav.manifest.json");
    // Now a target the loop cannot reach: the render fails after the mix was spooled.
    s["master"] = {{"loudness_target_lufs", -3.0}, {"limiter", {{"ceiling_dbtp", -1.0}, {"max_gain_reduction_db", 3.0}}}};
    write_text(dir / "s.json", s.dump());
    auto r = run_stemforge({"render", (dir / "s.json").string(), "--backend", "cpu"});
    EXPECT_NE(r.exit_code, 0);
    EXPECT_EQ(read_text(dir / "out/master.wav.manifest.json"), manifest_before);
    size_t files = 0;
    for ([[maybe_unused]] const auto& e : fs::directory_iterator(dir / "out")) ++files;
    EXPECT_EQ(files, 2u) << "the earlier render and its manifest, nothing else";
}

TEST(ReplayE2E, AManifestPathOverAnInputIsRefusedBeforeAnyWork) {
    TempDir dir;
    write_wav(dir / "x.wav.manifest.json", noise(2, kRate / 4, 5, 0.1), kRate, 24);  // a WAV with an odd name
    const std::string before = read_text(dir / "x.wav.manifest.json");
    json s = session_with({{{"name", "odd"}, {"file", "x.wav.manifest.json"}}});
    write_text(dir / "s.json", s.dump());
    auto r = run_stemforge({"render", (dir / "s.json").string(), "--backend", "cpu", "-o", (dir / "x.wav").string()});
    EXPECT_EQ(r.exit_code, 3) << r.err;
    EXPECT_NE(r.err.find("the render manifest"), std::string::npos) << r.err;
    EXPECT_NE(r.err.find("stems[0] \"odd\""), std::string::npos) << r.err;
    EXPECT_EQ(read_text(dir / "x.wav.manifest.json"), before);
    EXPECT_FALSE(fs::exists(dir / "x.wav"));
}

TEST(ReplayE2E, AGpuRenderOnLavapipeReplaysBitIdentically) {
    TempDir dir;
    const fs::path session = write_project(dir);
    auto r = run_stemforge({"render", session.string(), "--backend", "gpu"});
    ASSERT_EQ(r.exit_code, 0) << r.err;
    const json m = json::parse(read_text(dir / "out/master.wav.manifest.json"));
    EXPECT_EQ(m["backend"], "gpu");
    for (const char* k : {"vulkan_device", "vulkan_api", "vulkan_driver"}) EXPECT_TRUE(m["versions"].contains(k)) << k;
    auto replay = run_stemforge({"replay", (dir / "out/master.wav.manifest.json").string(), "--json"});
    ASSERT_EQ(replay.exit_code, 0) << replay.err;
    const json j = json::parse(replay.out);
    EXPECT_EQ(j["backend"], "gpu");
    EXPECT_TRUE(j["identical"].get<bool>());
}

}  // namespace
}  // namespace sf::test
