// Bad input never loses anything: one line "stemforge: error: ..." naming the
// file or JSON path, a non-zero exit, no output file, and an existing output
// left exactly as it was.
#include <cmath>

#include <sys/stat.h>

#include <sndfile.h>

#include "tests/e2e/e2e_support.h"

namespace sf::test {
namespace {

using nlohmann::json;

class BadInput : public ::testing::Test {
protected:
    void SetUp() override {
        write_wav(dir_ / "good.wav", sine(1, 4800, 48000, 1000.0, 0.5), 48000, 24);
        write_text(dir_ / "out.wav", "previous master");  // must survive every failure
    }

    json session(json stems) {
        json s = session_with(std::move(stems));
        s["export"] = json::array({{{"file", "out.wav"}, {"bit_depth", 24}}});
        return s;
    }

    // Renders `text` as the session file and checks the failure contract.
    void expect_failure(const std::string& text, const std::string& must_mention, int exit_code = 3) {
        write_text(dir_ / "session.json", text);
        auto r = run_stemforge({"render", (dir_ / "session.json").string(), "--backend", "cpu"});
        EXPECT_EQ(r.exit_code, exit_code) << r.err;
        EXPECT_EQ(line_count(r.err), 1) << r.err;
        EXPECT_EQ(r.err.rfind("stemforge: error: ", 0), 0u) << r.err;
        EXPECT_NE(r.err.find(must_mention), std::string::npos) << "expected \"" << must_mention << "\" in: " << r.err;
        EXPECT_TRUE(r.out.empty()) << r.out;
        EXPECT_EQ(read_text(dir_ / "out.wav"), "previous master");
        for (const auto& e : std::filesystem::directory_iterator(dir_.path()))
            EXPECT_EQ(e.path().filename().string().find(".part"), std::string::npos) << "left behind: " << e.path();
    }

    TempDir dir_;
};

TEST_F(BadInput, MissingStemFile) {
    expect_failure(session({{{"name", "kick"}, {"file", "nope.wav"}}}).dump(), "stems[0] \"kick\"");
    expect_failure(session({{{"name", "kick"}, {"file", "nope.wav"}}}).dump(), "nope.wav: no such file");
}

TEST_F(BadInput, UnreadableStem) {
    std::filesystem::create_directories(dir_ / "adir.wav");  // root can read anything, but not a folder as audio
    expect_failure(session({{{"name", "kick"}, {"file", "adir.wav"}}}).dump(), "adir.wav: is a directory");
}

TEST_F(BadInput, CorruptStem) {
    write_text(dir_ / "junk.wav", "RIFF\x10\x00\x00\x00WAVEjunkjunkjunkjunkjunk");
    expect_failure(session({{{"name", "pad"}, {"file", "junk.wav"}}}).dump(), "junk.wav: cannot read audio");
}

TEST_F(BadInput, TruncatedStem) {
    write_wav(dir_ / "long.wav", noise(2, 48000, 1, 0.2), 48000, 24);
    std::string bytes = read_text(dir_ / "long.wav");
    write_text(dir_ / "cut.wav", bytes.substr(0, bytes.size() / 3));
    expect_failure(session({{{"name", "bass"}, {"file", "cut.wav"}}}).dump(), "cut.wav");
    expect_failure(session({{{"name", "bass"}, {"file", "cut.wav"}}}).dump(), "truncated");
}

TEST_F(BadInput, ZeroLengthStem) {
    write_text(dir_ / "zero.wav", "");
    expect_failure(session({{{"name", "z"}, {"file", "zero.wav"}}}).dump(), "zero.wav: file is empty");
}

TEST_F(BadInput, NaNAndInfSamples) {
    for (float bad : {std::numeric_limits<float>::quiet_NaN(), std::numeric_limits<float>::infinity()}) {
        SF_INFO info{};
        info.samplerate = 48000;
        info.channels = 1;
        info.format = SF_FORMAT_WAV | SF_FORMAT_FLOAT;
        SNDFILE* f = sf_open((dir_ / "nan.wav").c_str(), SFM_WRITE, &info);
        ASSERT_NE(f, nullptr);
        std::vector<float> x(48000, 0.1f);
        x[30000] = bad;
        sf_writef_float(f, x.data(), 48000);
        sf_close(f);
        expect_failure(session({{{"name", "good"}, {"file", "good.wav"}}, {{"name", "vox"}, {"file", "nan.wav"}}}).dump(),
                       std::isnan(bad) ? "stems[1] \"vox\"" : "Inf sample at frame 30000");
    }
}

TEST_F(BadInput, MalformedJson) { expect_failure("{\"format\": \"stemforge-session\", \"version\": 1,", "malformed JSON"); }

TEST_F(BadInput, WrongType) {
    json s = session({{{"name", "a"}, {"file", "good.wav"}, {"gain_db", "-3"}}});
    expect_failure(s.dump(), "stems[0].gain_db: must be a number");
}

TEST_F(BadInput, UnknownKey) {
    json s = session({{{"name", "a"}, {"file", "good.wav"}, {"gian_db", -3}}});
    expect_failure(s.dump(), "stems[0].gian_db: unknown key");
}

TEST_F(BadInput, OutOfRange) {
    json s = session({{{"name", "a"}, {"file", "good.wav"}}, {{"name", "b"}, {"file", "good.wav"}, {"pan", -2}}});
    expect_failure(s.dump(), "stems[1].pan: must be within [-1, 1]");
}

TEST_F(BadInput, DuplicateStemNames) {
    json s = session({{{"name", "a"}, {"file", "good.wav"}}, {{"name", "a"}, {"file", "good.wav"}}});
    expect_failure(s.dump(), "stems[1].name: duplicate stem name \"a\"");
}

TEST_F(BadInput, SendOrOutputToUnknownBus) {
    json s = session({{{"name", "a"}, {"file", "good.wav"}, {"sends", {{{"bus", "verb"}}}}}});
    expect_failure(s.dump(), "stems[0].sends[0].bus: unknown bus \"verb\"");
    s = session({{{"name", "a"}, {"file", "good.wav"}, {"output", "drums"}}});
    expect_failure(s.dump(), "stems[0].output: unknown bus \"drums\"");
}

TEST_F(BadInput, RoutingCycle) {
    json s = session({{{"name", "a"}, {"file", "good.wav"}, {"output", "x"}}});
    s["buses"] = {{{"name", "x"}, {"output", "y"}}, {{"name", "y"}, {"output", "x"}}};
    expect_failure(s.dump(), "routing cycle x -> y -> x");
}

// Mixing round 2: width needs a stereo source (known once the file is
// open), a sidechain cycle, a delay note without a tempo.
TEST_F(BadInput, WidthOnAMonoStem) {
    json s = session({{{"name", "a"}, {"file", "good.wav"}, {"width", 1.5}}});
    expect_failure(s.dump(), "stems[0].width: the stem \"a\" is mono (width needs a stereo source)");
    s = session({{{"name", "a"}, {"file", "good.wav"}, {"automation", {{"width", {{0, 2}}}}}}});
    expect_failure(s.dump(), "stems[0].automation.width: the stem \"a\" is mono");
}

TEST_F(BadInput, SidechainCycleAndDelayWithoutTempo) {
    json s = session({{{"name", "a"}, {"file", "good.wav"}, {"output", "x"}, {"compressor", {{"sidechain", "x"}}}}});
    s["buses"] = {{{"name", "x"}}};
    expect_failure(s.dump(), "stems[0].compressor.sidechain: sidechain cycle");
    s = session({{{"name", "a"}, {"file", "good.wav"}, {"sends", {{{"bus", "echo"}}}}}});
    s["buses"] = {{{"name", "echo"}, {"delay", {{"note", "1/8d"}}}}};
    expect_failure(s.dump(), "buses[0].delay.note: needs the session's tempo_bpm");
}

TEST_F(BadInput, UnwritableOutputPath) {
    write_text(dir_ / "plainfile", "x");
    json s = session({{{"name", "a"}, {"file", "good.wav"}}});
    s["export"] = json::array({{{"file", "out.wav"}}, {{"file", "plainfile/sub/master.wav"}}});
    expect_failure(s.dump(), "plainfile/sub/master.wav", 1);
}

TEST_F(BadInput, MissingSessionFile) {
    auto r = run_stemforge({"render", (dir_ / "absent.json").string()});
    EXPECT_EQ(r.exit_code, 3);
    EXPECT_EQ(r.err, "stemforge: error: " + (dir_ / "absent.json").string() + ": no such file\n");
}

TEST(Cli, UsageErrorsAreOneLineWithExit2) {
    auto r = run_stemforge({"render"});
    EXPECT_EQ(r.exit_code, 2);
    EXPECT_EQ(line_count(r.err), 1) << r.err;
    EXPECT_EQ(r.err.rfind("stemforge: error: ", 0), 0u) << r.err;
    r = run_stemforge({"frobnicate"});
    EXPECT_EQ(r.exit_code, 2);
    r = run_stemforge({"render", "x.json", "--backend", "tpu"});
    EXPECT_EQ(r.exit_code, 2);
}

TEST(Cli, HelpListsTheCommands) {
    auto r = run_stemforge({"--help"});
    EXPECT_EQ(r.exit_code, 0);
    for (const char* cmd : {"render", "analyze", "demo"}) EXPECT_NE(r.out.find(cmd), std::string::npos) << cmd;
    r = run_stemforge({"render", "--help"});
    EXPECT_EQ(r.exit_code, 0);
    EXPECT_NE(r.out.find("--backend"), std::string::npos);
}

TEST(Cli, ProgressStaysOffWhenStderrIsNotATerminal) {
    TempDir dir;
    auto r = run_stemforge({"demo", dir.path().string(), "--duration", "8", "--json"});
    ASSERT_EQ(r.exit_code, 0) << r.err;
    EXPECT_EQ(r.err.find('%'), std::string::npos) << r.err;
    EXPECT_TRUE(json::accept(r.out)) << r.out;  // stdout is exactly one JSON object
}

TEST(AnalyzeCli, ReportsTheBasicKeys) {
    TempDir dir;
    write_wav(dir / "t.wav", sine(2, 48000, 48000, 1000.0, 0.5), 48000, 32);
    auto r = run_stemforge({"analyze", (dir / "t.wav").string(), "--json"});
    ASSERT_EQ(r.exit_code, 0) << r.err;
    json j = json::parse(r.out);
    EXPECT_EQ(j["sample_rate"], 48000);
    EXPECT_EQ(j["channels"], 2);
    EXPECT_NEAR(j["duration_s"].get<double>(), 1.0, 1e-9);
    EXPECT_NEAR(j["sample_peak_dbfs"].get<double>(), 20 * std::log10(0.5), 1e-3);
    EXPECT_NEAR(j["rms_dbfs"].get<double>(), 20 * std::log10(0.5 / std::sqrt(2.0)), 1e-3);
    // Two files give {"files": [...]}; silence reads null.
    write_wav(dir / "s.wav", AudioBuffer(1, 100), 48000, 16);
    r = run_stemforge({"analyze", (dir / "t.wav").string(), (dir / "s.wav").string(), "--json"});
    ASSERT_EQ(r.exit_code, 0) << r.err;
    j = json::parse(r.out);
    ASSERT_EQ(j["files"].size(), 2u);
    EXPECT_TRUE(j["files"][1]["sample_peak_dbfs"].is_null());
    EXPECT_TRUE(j["files"][1]["rms_dbfs"].is_null());
    r = run_stemforge({"analyze", (dir / "missing.wav").string()});
    EXPECT_EQ(r.exit_code, 3);
    EXPECT_NE(r.err.find("missing.wav"), std::string::npos);
}

// A file name that is not valid UTF-8 (issue 17: the JSON writer aborted
// with type_error 316): the report is valid JSON, the bytes it cannot hold
// replaced by U+FFFD.
TEST(AnalyzeCli, AFileNameThatIsNotUtf8GivesValidJson) {
    TempDir dir;
    const std::string name = std::string("t\xff\xfe") + ".wav";
    write_wav(dir / name, sine(1, 4800, 48000, 1000.0, 0.5), 48000, 24);
    auto r = run_stemforge({"analyze", (dir / name).string(), "--json"});
    ASSERT_EQ(r.exit_code, 0) << r.err;
    ASSERT_TRUE(json::accept(r.out)) << r.out;
    EXPECT_NE(json::parse(r.out)["file"].get<std::string>().find("\xEF\xBF\xBD"), std::string::npos);
}

}  // namespace
}  // namespace sf::test

namespace sf::test {
namespace {

// A FIFO as a stem, a session or a file to analyze (issue 17: open(2) blocked
// forever): a clear error naming the file, at once.
TEST(AnalyzeCli, AFifoIsRefusedNotWaitedFor) {
    TempDir dir;
    const auto fifo = dir / "pipe.wav";
    ASSERT_EQ(mkfifo(fifo.c_str(), 0600), 0);
    auto r = run_stemforge({"analyze", fifo.string()});
    EXPECT_EQ(r.exit_code, 3) << r.err;
    EXPECT_NE(r.err.find("pipe.wav: is a FIFO"), std::string::npos) << r.err;
    write_text(dir / "s.json", session_with({{{"name", "a"}, {"file", "pipe.wav"}}}).dump());
    r = run_stemforge({"render", (dir / "s.json").string(), "--backend", "cpu"});
    EXPECT_EQ(r.exit_code, 3) << r.err;
    EXPECT_NE(r.err.find("pipe.wav: is a FIFO"), std::string::npos) << r.err;
    const auto session_fifo = dir / "session.json";
    ASSERT_EQ(mkfifo(session_fifo.c_str(), 0600), 0);
    r = run_stemforge({"render", session_fifo.string(), "--backend", "cpu"});
    EXPECT_EQ(r.exit_code, 3) << r.err;
    EXPECT_NE(r.err.find("session.json: is a FIFO"), std::string::npos) << r.err;
}

}  // namespace
}  // namespace sf::test

namespace sf::test {
namespace {

// A FLAC of unknown length (STREAMINFO total samples 0, as a pipe encoder
// writes it; issue 17: std::length_error as an IR, "truncated" as a stem):
// the frames are counted, and it reads like any FLAC — as a stem, as an IR,
// and analyzed, equal to the WAV it was encoded from.
TEST(AnalyzeCli, AFlacOfUnknownLengthIsCountedAndReadInFull) {
    TempDir dir;
    write_wav(dir / "src.wav", sine(1, 4800, 48000, 440.0, 0.4), 48000, 16);
    // ffmpeg writing to a pipe cannot go back to fill in STREAMINFO's length.
    auto enc = run_command({"sh", "-c", "ffmpeg -nostdin -loglevel error -y -i '" + (dir / "src.wav").string() + "' -f flac - > '" +
                                            (dir / "pipe.flac").string() + "'"});
    ASSERT_EQ(enc.exit_code, 0) << enc.err;
    auto a = run_stemforge({"analyze", (dir / "pipe.flac").string(), "--json"});
    auto b = run_stemforge({"analyze", (dir / "src.wav").string(), "--json"});
    ASSERT_EQ(a.exit_code, 0) << a.err;
    ASSERT_EQ(b.exit_code, 0) << b.err;
    const json ja = json::parse(a.out), jb = json::parse(b.out);
    EXPECT_DOUBLE_EQ(ja["duration_s"].get<double>(), jb["duration_s"].get<double>());
    EXPECT_DOUBLE_EQ(ja["sample_peak_dbfs"].get<double>(), jb["sample_peak_dbfs"].get<double>());
    json s = session_with({{{"name", "a"}, {"file", "pipe.flac"}, {"sends", {{{"bus", "v"}}}}}});
    s["buses"] = {{{"name", "v"}, {"reverb", {{"ir", "pipe.flac"}}}}};
    s["export"] = json::array({{{"file", "out.wav"}, {"bit_depth", 32}}});
    write_text(dir / "s.json", s.dump());
    auto r = run_stemforge({"render", (dir / "s.json").string(), "--backend", "cpu", "--json"});
    ASSERT_EQ(r.exit_code, 0) << r.err;
    // The full reverb tail: the stem's 4800 frames convolved with the 4800-frame IR.
    EXPECT_NEAR(json::parse(r.out)["loudness"]["duration_s"].get<double>(), (4800 + 4800 - 1) / 48000.0, 1e-9);
}

}  // namespace
}  // namespace sf::test

namespace sf::test {
namespace {

// A header that claims an absurd sample rate (issue 17: a 1 Hz stem became a
// 290 MB render; a 1 Hz IR hung the reverb design): refused, naming the file.
TEST_F(BadInput, AnAbsurdSampleRateIsRefused) {
    write_wav(dir_ / "slow.wav", sine(1, 1000, 4000, 100.0, 0.5), 4000, 16);
    expect_failure(session({{{"name", "a"}, {"file", "slow.wav"}}}).dump(), "slow.wav: sample rate 4000 Hz is outside 8000–768000 Hz");
    json s = session({{{"name", "a"}, {"file", "good.wav"}, {"sends", {{{"bus", "v"}}}}}});
    s["buses"] = {{{"name", "v"}, {"reverb", {{"ir", "slow.wav"}}}}};
    expect_failure(s.dump(), "slow.wav: sample rate 4000 Hz is outside");
}

}  // namespace
}  // namespace sf::test
