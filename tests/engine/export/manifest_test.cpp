// Render manifests: the JSON round trip, the reader's errors naming the key,
// the staged manifest of a real render (hashes checked against coreutils'
// sha256sum, an independent implementation), and a failed render leaving none.
#include <gtest/gtest.h>

#include <fstream>

#include <nlohmann/json.hpp>

#include "engine/core/sha256.h"
#include "engine/export/manifest.h"
#include "engine/render/cpu_mixer.h"
#include "engine/render/renderer.h"
#include "tests/support/test_support.h"

namespace sf {
namespace {

namespace fs = std::filesystem;

RenderManifest example() {
    RenderManifest m;
    m.versions = {{"stemforge", "0.1.0"}, {"libsndfile", "libsndfile-1.2.0"}};
    m.backend = "cpu";
    m.device = "CPU reference (2 threads)";
    m.output_override = "/tmp/x/out.wav";
    m.backend_requested = "auto";
    m.threads = 3;
    m.environment = {{"SOURCE_DATE_EPOCH", "1700000000"}};
    m.session_file = "/tmp/x/s.json";
    m.base_dir = "/tmp/x";
    m.session_canonical = "{\n  \"format\": \"stemforge-session\",\n  \"version\": 1\n}\n";
    m.session_canonical_sha256 = sha256_hex(m.session_canonical);
    m.inputs = {{"the session file", "/tmp/x/s.json", std::string(64, 'a'), 12}};
    m.outputs = {{"export[0]", "/tmp/x/out.wav", std::string(64, 'b'), 3400}};
    m.dither = {{0, "/tmp/x/out.wav", "tpdf", 24, 0x5EED}};
    return m;
}

TEST(Manifest, RoundTripsThroughJson) {
    const RenderManifest m = example();
    const std::string text = to_json(m);
    auto back = parse_manifest(text, "m.json");
    ASSERT_TRUE(back.has_value()) << back.error().message;
    EXPECT_EQ(*back, m);
    EXPECT_EQ(to_json(*back), text);
    // The session is embedded as an object (readable), its hash beside it.
    const auto j = nlohmann::json::parse(text);
    EXPECT_TRUE(j["session"]["canonical"].is_object());
    EXPECT_EQ(j["session"]["canonical_sha256"], sha256_hex(m.session_canonical));
}

TEST(Manifest, ReaderNamesTheKeyOfEachProblem) {
    auto broken = [](auto edit) {
        auto j = nlohmann::json::parse(to_json(example()));
        edit(j);
        return parse_manifest(j.dump(), "m.json");
    };
    struct Case {
        std::function<void(nlohmann::json&)> edit;
        std::string mentions;
    };
    const std::vector<Case> cases = {
        {[](auto& j) { j["format"] = "stemforge-session"; }, "format"},
        {[](auto& j) { j["version"] = 2; }, "version"},
        {[](auto& j) { j.erase("outputs"); }, "outputs: is required"},
        {[](auto& j) { j["outputs"][0]["sha256"] = "xyz"; }, "outputs[0].sha256"},
        {[](auto& j) { j["inputs"][0]["path"] = "relative.wav"; }, "inputs[0].path: must be absolute"},
        {[](auto& j) { j["render"]["from_s"] = 3.0; }, "render.from_s"},
        {[](auto& j) { j["session"]["canonical"] = 7; }, "session.canonical: must be"},
        {[](auto& j) { j["dither"][0]["seed"] = -1; }, "dither[0].seed"},
    };
    for (const Case& c : cases) {
        auto r = broken(c.edit);
        ASSERT_FALSE(r.has_value()) << c.mentions;
        EXPECT_EQ(r.error().code, ErrorCode::InvalidArgument);
        EXPECT_EQ(r.error().message.rfind("m.json: ", 0), 0u) << r.error().message;
        EXPECT_NE(r.error().message.find(c.mentions), std::string::npos) << r.error().message;
    }
    EXPECT_FALSE(parse_manifest("{not json", "m.json").has_value());
}

std::string sha256sum(const fs::path& file) {
    const auto r = test::run_command({"sha256sum", file.string()});
    EXPECT_EQ(r.exit_code, 0) << r.err;
    return r.out.substr(0, 64);
}

// A session on disk: a stem, a reverb IR, and two exports.
Session write_session(const test::TempDir& dir) {
    test::write_wav(dir / "dry.wav", test::sine(1, 24000, 48000, 440.0, 0.3), 48000, 24);
    test::write_wav(dir / "hall.wav", test::noise(1, 2400, 9, 0.05), 48000, 24);
    test::write_text(dir / "s.json", R"({"format": "stemforge-session", "version": 1, "sample_rate": 48000,
        "stems": [{"name": "dry", "file": "dry.wav", "sends": [{"bus": "verb", "level_db": -6}]}],
        "buses": [{"name": "verb", "reverb": {"ir": "hall.wav"}}],
        "export": [{"file": "out/a.wav", "bit_depth": 16}, {"file": "out/b.flac", "bit_depth": 24}]})");
    auto s = load_session(dir / "s.json");
    EXPECT_TRUE(s.has_value()) << s.error().message;
    return *s;
}

TEST(Manifest, StagedWithTheOutputsAndHashedLikeSha256sum) {
    test::TempDir dir;
    const Session session = write_session(dir);
    DeliveryTransaction transaction;
    RenderOptions options;
    options.transaction = &transaction;
    CpuMixer mixer;
    auto r = render_session(session, mixer, options);
    ASSERT_TRUE(r.has_value()) << r.error().message;
    ManifestContext context{mixer.name(), mixer.device(), {}, std::nullopt, "cpu", std::nullopt};
    auto m = stage_render_manifest(session, effective_exports(session, options), context, transaction);
    ASSERT_TRUE(m.has_value()) << m.error().message;
    EXPECT_FALSE(fs::exists(dir / "out/a.wav.manifest.json")) << "staged, not written, until the commit";
    ASSERT_TRUE(transaction.commit().has_value());

    auto read = load_manifest(dir / "out/a.wav.manifest.json");
    ASSERT_TRUE(read.has_value()) << read.error().message;
    EXPECT_EQ(*read, *m);
    ASSERT_EQ(read->inputs.size(), 3u);
    EXPECT_EQ(read->inputs[0].role, "the session file");
    EXPECT_EQ(read->inputs[1].role, "stems[0] \"dry\"");
    EXPECT_EQ(read->inputs[2].role, "buses[0] \"verb\" reverb IR");
    for (const ManifestFile& f : read->inputs) {
        EXPECT_EQ(f.sha256, sha256sum(f.path)) << f.role;
        EXPECT_EQ(f.bytes, fs::file_size(f.path)) << f.role;
    }
    ASSERT_EQ(read->outputs.size(), 2u);
    EXPECT_EQ(read->outputs[0].path, dir / "out/a.wav");
    EXPECT_EQ(read->outputs[1].path, dir / "out/b.flac");
    EXPECT_EQ(read->outputs[1].role, "export[1]");
    for (const ManifestFile& f : read->outputs) EXPECT_EQ(f.sha256, sha256sum(f.path)) << f.role;
    EXPECT_EQ(read->session_canonical, to_json(session));
    ASSERT_EQ(read->dither.size(), 2u);
    EXPECT_EQ(read->dither[1].seed, 0x5EEDu + 1);
    for (const char* k : {"stemforge", "libsndfile", "fftw", "soxr", "compiler"}) EXPECT_TRUE(read->versions.contains(k)) << k;
    EXPECT_NE(read->versions["libsndfile"].find("libsndfile-1."), std::string::npos);
    EXPECT_NE(read->versions["fftw"].find("fftw-3"), std::string::npos);
}

TEST(Manifest, AnAbandonedRenderLeavesNoManifest) {
    test::TempDir dir;
    const Session session = write_session(dir);
    {
        DeliveryTransaction transaction;
        RenderOptions options;
        options.transaction = &transaction;
        CpuMixer mixer;
        ASSERT_TRUE(render_session(session, mixer, options).has_value());
        ManifestContext context{mixer.name(), mixer.device(), {}, std::nullopt, "cpu", std::nullopt};
        ASSERT_TRUE(stage_render_manifest(session, effective_exports(session, options), context, transaction).has_value());
    }  // no commit: as when a later step fails
    EXPECT_FALSE(fs::exists(dir / "out/a.wav.manifest.json"));
    for (const auto& e : fs::directory_iterator(dir / "out")) ADD_FAILURE() << "left behind: " << e.path();
}

TEST(Manifest, AManifestPathThatIsAnInputIsRefused) {
    test::TempDir dir;
    Session session = write_session(dir);
    // The stem is called what the manifest of export[0] would be called.
    fs::rename(dir / "dry.wav", dir / "out.wav.manifest.json");
    session.stems[0].file = dir / "out.wav.manifest.json";
    std::vector<ExportSpec> exports(1);
    exports[0].file = dir / "out.wav";
    auto r = check_manifest_path(session, exports);
    ASSERT_FALSE(r.has_value());
    EXPECT_NE(r.error().message.find("the render manifest"), std::string::npos) << r.error().message;
    EXPECT_NE(r.error().message.find("stems[0] \"dry\""), std::string::npos) << r.error().message;
    exports[0].file = dir / "fine.wav";
    EXPECT_TRUE(check_manifest_path(session, exports).has_value());
}

}  // namespace
}  // namespace sf
