// What the CLI prints when something is wrong (issue 17, "Messages"): one
// `stemforge: error:` line and nothing from the libraries around it;
// control characters from a session escaped; a NUL inside a session path
// refused naming its JSON path; an unknown command named as such.
#include <algorithm>

#include "tests/e2e/e2e_support.h"

namespace sf::test {
namespace {

namespace fs = std::filesystem;
using nlohmann::json;

constexpr int kRate = 48000;

// An MP3 (ffmpeg + LAME) whose frames after the first ones are damaged every
// 50 bytes: libmpg123 has plenty to say about it on stderr.
fs::path damaged_mp3(const TempDir& dir) {
    write_wav(dir / "src.wav", sine(2, 2 * kRate, kRate, 440.0, 0.5), kRate, 16);
    auto enc = run_command({"ffmpeg", "-nostdin", "-loglevel", "error", "-y", "-i", (dir / "src.wav").string(), "-c:a", "libmp3lame",
                            "-b:a", "128k", (dir / "good.mp3").string()});
    EXPECT_EQ(enc.exit_code, 0) << enc.err;
    std::string bytes = read_text(dir / "good.mp3");
    uint32_t x = 12345;
    for (size_t i = 2000; i < bytes.size(); i += 50) {
        x = x * 1103515245u + 12345u;
        bytes[i] = static_cast<char>(x >> 16);
    }
    write_text(dir / "bad.mp3", bytes);
    return dir / "bad.mp3";
}

void expect_one_error_line(const CommandResult& r) {
    EXPECT_EQ(line_count(r.err), 1) << r.err;
    EXPECT_EQ(r.err.rfind("stemforge: error: ", 0), 0u) << r.err;
    EXPECT_EQ(r.err.find("libmpg123"), std::string::npos) << r.err;
    EXPECT_EQ(r.err.find("Note:"), std::string::npos) << r.err;
}

TEST(MessagesE2E, LibmpgDiagnosticsNeverSurroundTheErrorLine) {
    TempDir dir;
    const fs::path mp3 = damaged_mp3(dir);
    auto r = run_stemforge({"analyze", mp3.string()});
    EXPECT_EQ(r.exit_code, 3) << r.err;
    expect_one_error_line(r);
    EXPECT_NE(r.err.find("bad.mp3"), std::string::npos) << r.err;

    // As a stem of a render, and a file that only claims to be MPEG.
    write_text(dir / "junk.mp3", std::string("ID3\x04\x00\x00\x00\x00\x00\x10", 10) + std::string(5000, '\x5a'));
    for (const char* stem : {"bad.mp3", "junk.mp3"}) {
        write_text(dir / "s.json", session_with({{{"name", "m"}, {"file", stem}}}).dump());
        r = run_stemforge({"render", (dir / "s.json").string(), "--backend", "cpu", "-o", (dir / "out.wav").string()});
        EXPECT_EQ(r.exit_code, 3) << r.err;
        expect_one_error_line(r);
        EXPECT_NE(r.err.find(stem), std::string::npos) << r.err;
        EXPECT_EQ(r.err.find("does not exist"), std::string::npos) << "libsndfile's generic text for a file that exists: " << r.err;
    }
    // A good MP3 decodes with nothing on stderr at all.
    r = run_stemforge({"analyze", (dir / "good.mp3").string(), "--json"});
    EXPECT_EQ(r.exit_code, 0) << r.err;
    EXPECT_EQ(r.err, "");
}

TEST(MessagesE2E, ControlCharactersFromASessionAreEscapedInTheErrorLine) {
    TempDir dir;
    json s = session_with({{{"name", "\x1b[31mred\x07\r\x7f\xc2\x9b"}, {"file", "nope.wav"}}});
    write_text(dir / "s.json", s.dump());
    auto r = run_stemforge({"render", (dir / "s.json").string(), "--backend", "cpu"});
    EXPECT_EQ(r.exit_code, 3) << r.err;
    expect_one_error_line(r);
    EXPECT_NE(r.err.find(R"(\x1b[31mred\x07\r\x7f\u009b)"), std::string::npos) << r.err;
    for (char c : r.err.substr(0, r.err.size() - 1)) {
        const auto u = static_cast<unsigned char>(c);
        EXPECT_FALSE(u < 0x20 || u == 0x7f) << "raw control byte " << static_cast<int>(u) << " in: " << r.err;
    }
    EXPECT_EQ(r.err.find("\xc2\x9b"), std::string::npos) << "a C1 CSI reached the terminal";
}

TEST(MessagesE2E, ANulInsideASessionPathIsRefusedNamingItsPlace) {
    TempDir dir;
    write_wav(dir / "kick.wav", sine(1, kRate / 4, kRate, 60.0, 0.5), kRate, 24);
    write_text(dir / "kick.wav.txt", "not the stem");
    // "\u0000" in the JSON text: nlohmann keeps the NUL inside the string.
    write_text(dir / "a.json", R"({"format": "stemforge-session", "version": 1, "stems": [{"name": "k", "file": "kick.wav\u0000.txt"}],
                                  "export": [{"file": "out.wav"}]})");
    auto r = run_stemforge({"render", (dir / "a.json").string(), "--backend", "cpu"});
    EXPECT_EQ(r.exit_code, 3) << r.err;
    expect_one_error_line(r);
    EXPECT_NE(r.err.find("stems[0].file: contains a NUL character"), std::string::npos) << r.err;
    EXPECT_FALSE(fs::exists(dir / "out.wav"));

    write_text(dir / "b.json", R"({"format": "stemforge-session", "version": 1, "stems": [{"name": "k", "file": "kick.wav"}],
                                  "export": [{"file": "out.wav\u0000-evil", "format": "wav"}]})");
    r = run_stemforge({"render", (dir / "b.json").string(), "--backend", "cpu"});
    EXPECT_EQ(r.exit_code, 3) << r.err;
    EXPECT_NE(r.err.find("export[0].file: contains a NUL character"), std::string::npos) << r.err;
    EXPECT_FALSE(fs::exists(dir / "out.wav")) << "written under the truncated name";
}

TEST(MessagesE2E, AnUnknownCommandIsNamedWithTheList) {
    auto r = run_stemforge({"rendr", "x.json"});
    EXPECT_EQ(r.exit_code, 2) << r.err;
    EXPECT_EQ(line_count(r.err), 1) << r.err;
    EXPECT_NE(r.err.find("stemforge: error: unknown command 'rendr' (did you mean 'render'?)"), std::string::npos) << r.err;
    for (const char* c : {"render", "analyze", "compare", "replay"}) EXPECT_NE(r.err.find(c), std::string::npos) << c;
    r = run_stemforge({"frobnicate"});
    EXPECT_EQ(r.exit_code, 2);
    EXPECT_NE(r.err.find("unknown command 'frobnicate'; commands: "), std::string::npos) << r.err;
    EXPECT_EQ(r.err.find("did you mean"), std::string::npos) << "no suggestion for a far miss: " << r.err;
    r = run_stemforge({"bench", "mixx"});
    EXPECT_EQ(r.exit_code, 2);
    EXPECT_NE(r.err.find("unknown command 'bench mixx' (did you mean 'bench mix'?)"), std::string::npos) << r.err;
    // A known command still parses as before.
    r = run_stemforge({"render"});
    EXPECT_EQ(r.exit_code, 2);
    EXPECT_NE(r.err.find("session is required"), std::string::npos) << r.err;
}

}  // namespace
}  // namespace sf::test
