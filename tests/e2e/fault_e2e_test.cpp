// Fault injection through the real binary (docs/robustness.md, "Fault
// matrix"): the output disk full or read-only at each stage of a render
// (mix, master loop, delivery, CUE, manifest), a real kernel write failure, an input
// truncated, rewritten, replaced or deleted mid-render, and every large
// allocation failing in turn. Each fault must end in one `stemforge: error:`
// line, the documented exit code, no temporary file anywhere in the project,
// and every existing output byte-identical; where the fault cannot harm the
// render (a replaced or deleted input: the open handle reads the file as it
// was opened), the outputs must equal an undisturbed render's.
//
// The faults come from engine/core/fault.h (STEMFORGE_FAULT_*), set in the
// child's environment only.
#include <fcntl.h>
#include <spawn.h>
#include <sys/wait.h>
#include <unistd.h>

#include <chrono>
#include <cmath>
#include <filesystem>
#include <map>
#include <thread>

#include "tests/e2e/e2e_support.h"
#include "tests/support/snapshot.h"

extern char** environ;

namespace sf::test {
namespace {

namespace fs = std::filesystem;
using nlohmann::json;

constexpr int kRate = 48000;

enum class Kind {
    Plain,     // no master: out/mix.wav (24-bit) and out/mix.flac (16-bit, tagged, with out/mix.cue)
    Mastered,  // master block: out/m.wav (BWF, 24-bit) and out/m.flac (16-bit, tagged, with out/m.cue)
};

// A project folder: two stems (`seconds` long), a session of `kind`, and an
// older render's bytes in place of every output.
struct Project {
    TempDir dir;
    fs::path session;
    std::vector<fs::path> outputs;
};

json session_json(Kind kind) {
    json s = session_with({{{"name", "bed"}, {"file", "bed.wav"}, {"gain_db", -3.0}},
                           {{"name", "tone"}, {"file", "tone.wav"}, {"pan", 0.3}}});
    s["metadata"] = {{"title", "Fault"}, {"artist", "Stemforge"}};
    if (kind == Kind::Plain) {
        s["export"] = json::array({{{"file", "out/mix.wav"}, {"bit_depth", 24}},
                                   {{"file", "out/mix.flac"}, {"bit_depth", 16}, {"cue_sheet", true}}});
    } else {
        s["master"] = {{"limiter", {{"ceiling_dbtp", -1.0}}}, {"loudness_target_lufs", -16.0}};
        s["export"] = json::array({{{"file", "out/m.wav"}, {"format", "bwf"}, {"bit_depth", 24}},
                                   {{"file", "out/m.flac"}, {"bit_depth", 16}, {"cue_sheet", true}}});
    }
    return s;
}

void make_project(Project& p, Kind kind, double seconds, bool older_outputs = true) {
    const auto n = static_cast<int64_t>(seconds * kRate);
    write_wav(p.dir / "bed.wav", noise(2, n, 1701, 0.3), kRate, 24);
    write_wav(p.dir / "tone.wav", sine(1, n - 777, kRate, 331.0, 0.4), kRate, 16);
    p.session = p.dir / "session.json";
    write_text(p.session, session_json(kind).dump(1));
    const char* base = kind == Kind::Plain ? "out/mix" : "out/m";
    for (const char* ext : {".wav", ".flac", ".cue", ".wav.manifest.json"}) p.outputs.push_back(p.dir / (std::string(base) + ext));
    fs::create_directories(p.dir / "out");
    if (older_outputs)
        for (const auto& o : p.outputs) write_text(o, "an older render of " + o.filename().string());
}

// Runs `stemforge render SESSION --backend cpu` with `env` added to its
// environment (run_command quotes each word).
CommandResult render_with(const Project& p, const std::vector<std::string>& env) {
    std::vector<std::string> argv{"env"};
    argv.insert(argv.end(), env.begin(), env.end());
    for (const char* a : {STEMFORGE_BIN, "render"}) argv.emplace_back(a);
    argv.push_back(p.session.string());
    argv.emplace_back("--backend");
    argv.emplace_back("cpu");
    return run_command(argv);
}

void expect_one_error_line(const CommandResult& r) {
    EXPECT_EQ(r.err.rfind("stemforge: error: ", 0), 0u) << r.err;
    EXPECT_EQ(line_count(r.err), 1) << r.err;
    EXPECT_EQ(r.out, "") << "nothing reported as written";
}

// ---- the output disk full or read-only, stage by stage ----------------------

struct IoCase {
    const char* name;     // the test's name
    Kind kind;
    const char* fault;    // STEMFORGE_FAULT_IO
    const char* message;  // in the error line
};

class IoFault : public testing::TestWithParam<IoCase> {};

TEST_P(IoFault, OneErrorLineNoTemporaryOutputsUntouched) {
    const IoCase& c = GetParam();
    Project p;
    make_project(p, c.kind, 3.0);
    const Snapshot before = snapshot(p.dir.path());
    auto r = render_with(p, {std::string("STEMFORGE_FAULT_IO=") + c.fault});
    EXPECT_EQ(r.exit_code, 1) << r.err;  // a write error: kFailure
    expect_one_error_line(r);
    EXPECT_NE(r.err.find(c.message), std::string::npos) << r.err;
    EXPECT_NE(r.err.find((p.dir / "out").string()), std::string::npos) << "names the file: " << r.err;
    for (const auto& d : differences(before, snapshot(p.dir.path()))) ADD_FAILURE() << d;

    // Without the fault the same project renders (the fault, not the
    // session, made it fail) and replaces every output.
    auto ok = render_with(p, {});
    ASSERT_EQ(ok.exit_code, 0) << ok.err;
    for (const auto& o : p.outputs) EXPECT_NE(read_text(o), "an older render of " + o.filename().string()) << o;
}

// Stages (docs/robustness.md): "mix" writes the exports as the mix streams
// (no master) or the master's spool (a master block); "master loop" writes
// the exports in the loudness rounds and the limiter pass's spool;
// "delivery" edits the finished files (FLAC tags, BWF loudness) and moves
// everything into place; "CUE" stages the sheet.
const IoCase kIoCases[] = {
    {"MixDiskFull", Kind::Plain, "ENOSPC:write:*mix.wav*", "No space left on device"},
    {"MixReadOnly", Kind::Plain, "EROFS:create:*mix.flac*", "Read-only file system"},
    {"MixSpoolDiskFull", Kind::Mastered, "ENOSPC:write:.stemforge-spool-*", "disk full"},
    {"MixSpoolReadOnly", Kind::Mastered, "EROFS:create:.stemforge-spool-*", "cannot create the master's temporary file"},
    {"MasterLoopDiskFull", Kind::Mastered, "ENOSPC:write:*m.flac*", "No space left on device"},
    {"MasterLoopDiskFullPartWay", Kind::Mastered, "ENOSPC:write:..m.wav*:2", "No space left on device"},
    {"MasterLoopReadOnly", Kind::Mastered, "EROFS:create:*m.wav*", "Read-only file system"},
    {"MasterLoopSpoolReadOnly", Kind::Mastered, "EROFS:create:.stemforge-spool-*:1", "cannot create the master's temporary file"},
    {"DeliveryFlacTagsDiskFull", Kind::Plain, "ENOSPC:write:*.tags-tmp", "cannot write the tagged file"},
    {"DeliveryBwfLoudnessDiskFull", Kind::Mastered, "ENOSPC:write:.m.wav.stemforge-staged-*", "bext loudness fields"},
    {"DeliveryFlacTagsReadOnly", Kind::Mastered, "EROFS:rename:*.tags-tmp", "Read-only file system"},
    {"DeliveryCommitReadOnlyAfterTheFirstRename", Kind::Plain, "EROFS:rename:mix.flac", "Read-only file system"},
    {"DeliveryCommitReadOnlyMastered", Kind::Mastered, "EROFS:rename:m.cue", "Read-only file system"},
    {"CueDiskFull", Kind::Plain, "ENOSPC:write:*.cue*", "mix.cue"},
    {"CueReadOnly", Kind::Mastered, "EROFS:create:*.cue*", "Read-only file system"},
    // The manifest (<first export>.manifest.json) is staged last, after every
    // export is hashed, and moved into place last: its rename failing undoes
    // every rename before it.
    {"ManifestDiskFull", Kind::Plain, "ENOSPC:write:*.manifest.json*", "mix.wav.manifest.json: cannot write (disk full?)"},
    {"ManifestDiskFullMastered", Kind::Mastered, "ENOSPC:write:*.manifest.json*", "m.wav.manifest.json: cannot write (disk full?)"},
    {"ManifestReadOnly", Kind::Mastered, "EROFS:create:*.manifest.json*", "m.wav.manifest.json: cannot create: Read-only file system"},
    {"ManifestCommitReadOnly", Kind::Plain, "EROFS:rename:mix.wav.manifest.json", "no output was changed"},
    {"ManifestCommitReadOnlyMastered", Kind::Mastered, "EROFS:rename:m.wav.manifest.json", "no output was changed"},
};

INSTANTIATE_TEST_SUITE_P(Stages, IoFault, testing::ValuesIn(kIoCases),
                         [](const testing::TestParamInfo<IoCase>& i) { return std::string(i.param.name); });

// A render into a folder with no earlier output: a fault while the manifest
// is staged or committed leaves no file at all (neither the manifest nor
// any export it would describe, nor a temporary).
TEST(FaultE2e, ManifestFaultInAFreshFolderLeavesNoFile) {
    for (const char* fault : {"ENOSPC:write:*.manifest.json*", "EROFS:create:*.manifest.json*", "EROFS:rename:m.wav.manifest.json"}) {
        SCOPED_TRACE(fault);
        Project p;
        make_project(p, Kind::Mastered, 2.0, /*older_outputs=*/false);
        auto r = render_with(p, {std::string("STEMFORGE_FAULT_IO=") + fault});
        EXPECT_EQ(r.exit_code, 1) << r.err;
        expect_one_error_line(r);
        EXPECT_NE(r.err.find("m.wav.manifest.json"), std::string::npos) << r.err;
        std::vector<std::string> left;
        for (const auto& e : fs::directory_iterator(p.dir / "out")) left.push_back(e.path().filename().string());
        EXPECT_TRUE(left.empty()) << left.size() << " files left in out/, the first " << (left.empty() ? "" : left.front());
        // Without the fault: the exports and their manifest, nothing else.
        auto ok = render_with(p, {});
        ASSERT_EQ(ok.exit_code, 0) << ok.err;
        for (const auto& o : p.outputs) EXPECT_TRUE(fs::is_regular_file(o)) << o;
    }
}

// A real write failure from the kernel, no hook involved: a file size limit
// (RLIMIT_FSIZE, with SIGXFSZ ignored) makes write(2) fail with EFBIG part
// way through the first large file, as a full disk would.
TEST(FaultE2e, KernelWriteFailureFailsCleanly) {
    for (Kind kind : {Kind::Plain, Kind::Mastered}) {
        Project p;
        make_project(p, kind, 3.0);
        const Snapshot before = snapshot(p.dir.path());
        const std::string cmd = "trap '' XFSZ; ulimit -f 400; exec " + std::string(STEMFORGE_BIN) + " render '" + p.session.string() +
                                "' --backend cpu";
        auto r = run_command({"sh", "-c", cmd});
        EXPECT_EQ(r.exit_code, 1) << r.err;
        expect_one_error_line(r);
        EXPECT_NE(r.err.find((p.dir / "out").string()), std::string::npos) << r.err;
        for (const auto& d : differences(before, snapshot(p.dir.path()))) ADD_FAILURE() << d;
    }
}

// ---- out of memory -------------------------------------------------------------

// Every allocation of a large buffer (over 128 KiB) fails in turn, from the
// first to the last one a render makes: each run ends in the out-of-memory
// line (or, where the allocation belongs to a step that reports its own
// error, that step's line), exit 1, no temporary, outputs untouched; the
// first skip count past the last allocation renders.
TEST(FaultE2e, EveryLargeAllocationFailingInTurnFailsCleanly) {
    Project p;
    make_project(p, Kind::Mastered, 2.0);
    json s = session_json(Kind::Mastered);
    // A reverb bus: its IR and its convolver's FFT arrays are the largest buffers.
    s["stems"][0]["sends"] = json::array({{{"bus", "room"}, {"level_db", -10}}});
    s["buses"] = json::array({{{"name", "room"}, {"reverb", {{"ir", "room.wav"}, {"predelay_ms", 5}}}}});
    write_text(p.session, s.dump(1));
    AudioBuffer ir = noise(2, kRate, 99, 0.2);
    for (int c = 0; c < 2; ++c)
        for (int64_t i = 0; i < ir.frames(); ++i) ir.channel(c)[i] *= static_cast<float>(std::exp(-6.0 * static_cast<double>(i) / kRate));
    write_wav(p.dir / "room.wav", ir, kRate);
    const Snapshot before = snapshot(p.dir.path());

    int failed = 0;
    for (int skip = 0; skip < 400; ++skip) {
        auto r = render_with(p, {"STEMFORGE_FAULT_ALLOC_KIB=128:" + std::to_string(skip)});
        if (r.exit_code == 0) break;
        SCOPED_TRACE("allocation " + std::to_string(skip));
        ++failed;
        EXPECT_EQ(r.exit_code, 1) << r.err;
        expect_one_error_line(r);
        EXPECT_NE(r.err.find("out of memory"), std::string::npos) << r.err;
        for (const auto& d : differences(before, snapshot(p.dir.path()))) ADD_FAILURE() << d;
        if (HasFailure()) break;  // one broken case says enough
    }
    std::printf("[   INFO   ] %d large allocations, each failing in turn, failed cleanly\n", failed);
    EXPECT_GE(failed, 10) << "a render with a reverb bus and a master makes many large allocations";
    EXPECT_LT(failed, 400) << "the render succeeds once the fault is past its last large allocation";
}

// ---- inputs changed while the render runs -------------------------------------

// Starts `stemforge render` with a pause point: it creates `marker` at the
// point and waits for it to go away.
struct Paused {
    pid_t pid = -1;
    fs::path err;
};

Paused start_paused(const Project& p, const std::string& point, const fs::path& marker) {
    Paused c;
    c.err = p.dir / "stderr.txt";
    std::vector<std::string> argv_s{STEMFORGE_BIN, "render", p.session.string(), "--backend", "cpu"};
    std::vector<std::string> env_s{"STEMFORGE_FAULT_PAUSE=" + point, "STEMFORGE_FAULT_PAUSE_FILE=" + marker.string()};
    for (char** e = environ; *e; ++e) env_s.emplace_back(*e);
    std::vector<char*> argv, envp;
    for (auto& a : argv_s) argv.push_back(a.data());
    for (auto& e : env_s) envp.push_back(e.data());
    argv.push_back(nullptr);
    envp.push_back(nullptr);
    posix_spawn_file_actions_t fa;
    posix_spawn_file_actions_init(&fa);
    posix_spawn_file_actions_addopen(&fa, 1, "/dev/null", O_WRONLY, 0);
    posix_spawn_file_actions_addopen(&fa, 2, c.err.c_str(), O_WRONLY | O_CREAT | O_TRUNC, 0644);
    EXPECT_EQ(posix_spawn(&c.pid, argv[0], &fa, nullptr, argv.data(), envp.data()), 0);
    posix_spawn_file_actions_destroy(&fa);
    return c;
}

bool wait_for(const fs::path& file, double seconds) {
    const auto until = std::chrono::steady_clock::now() + std::chrono::duration<double>(seconds);
    while (!fs::exists(file)) {
        if (std::chrono::steady_clock::now() > until) return false;
        std::this_thread::sleep_for(std::chrono::milliseconds(5));
    }
    return true;
}

int wait_exit(pid_t pid) {
    int status = 0;
    ::waitpid(pid, &status, 0);
    return WIFEXITED(status) ? WEXITSTATUS(status) : 128 + WTERMSIG(status);
}

// Pauses a render at `point`, applies `disturb` to the project, lets it go
// on; returns (exit code, stderr). The stderr file is removed afterwards so
// the project's snapshot is unaffected.
std::pair<int, std::string> render_disturbed(const Project& p, const std::string& point, const std::function<void()>& disturb) {
    const fs::path marker = p.dir / "paused";
    Paused c = start_paused(p, point, marker);
    const bool paused = wait_for(marker, 120.0);
    EXPECT_TRUE(paused) << "the render never reached " << point;
    if (paused) disturb();
    fs::remove(marker);
    const int code = wait_exit(c.pid);
    std::string err = read_text(c.err);
    fs::remove(c.err);
    return {code, err};
}

// Stems of 6 s: five 65536-frame blocks, so after block 0 most of each is unread.
constexpr double kLongSeconds = 6.0;

TEST(FaultE2e, StemTruncatedMidRenderIsAnInputErrorAndChangesNothing) {
    Project p;
    make_project(p, Kind::Plain, kLongSeconds);
    Snapshot before = snapshot(p.dir.path());
    const auto [code, err] = render_disturbed(p, "block:0", [&] { fs::resize_file(p.dir / "bed.wav", fs::file_size(p.dir / "bed.wav") / 3); });
    EXPECT_EQ(code, 3) << err;  // kBadInput
    EXPECT_EQ(line_count(err), 1) << err;
    EXPECT_NE(err.find("stems[0] \"bed\""), std::string::npos) << err;
    EXPECT_TRUE(err.find("truncated") != std::string::npos || err.find("changed while the render read it") != std::string::npos) << err;
    std::printf("[   INFO   ] %s", err.c_str());
    before["bed.wav"] = read_text(p.dir / "bed.wav");  // the truncation is the test's, not the render's
    for (const auto& d : differences(before, snapshot(p.dir.path()))) ADD_FAILURE() << d;
}

TEST(FaultE2e, StemRewrittenInPlaceMidRenderIsRefused) {
    // Same file, new content and length (as an editor saving over it): the
    // blocks read so far are of the old version, the rest of the new one.
    Project p;
    make_project(p, Kind::Plain, kLongSeconds);
    Snapshot before = snapshot(p.dir.path());
    const auto [code, err] = render_disturbed(p, "block:0", [&] {
        TempDir other;
        write_wav(other / "new.wav", noise(2, static_cast<int64_t>(kLongSeconds * kRate) + 4800, 4242, 0.5), kRate, 24);
        fs::copy_file(other / "new.wav", p.dir / "bed.wav", fs::copy_options::overwrite_existing);  // in place: same inode
    });
    EXPECT_EQ(code, 3) << err;
    EXPECT_EQ(line_count(err), 1) << err;
    EXPECT_NE(err.find("stems[0] \"bed\""), std::string::npos) << err;
    EXPECT_NE(err.find("changed while the render read it"), std::string::npos) << err;
    before["bed.wav"] = read_text(p.dir / "bed.wav");
    for (const auto& d : differences(before, snapshot(p.dir.path()))) ADD_FAILURE() << d;
}

// A stem replaced (a new file renamed over it) or deleted mid-render: the
// render goes on reading the file it opened, so it delivers exactly what an
// undisturbed render delivers.
TEST(FaultE2e, StemReplacedOrDeletedMidRenderRendersTheFileAsOpened) {
    Project p;
    make_project(p, Kind::Plain, kLongSeconds, /*older_outputs=*/false);
    auto reference = render_with(p, {});
    ASSERT_EQ(reference.exit_code, 0) << reference.err;
    std::map<fs::path, std::string> want;
    for (const auto& o : p.outputs) want[o] = read_text(o);
    const std::string original = read_text(p.dir / "bed.wav");

    for (const bool replace : {true, false}) {
        SCOPED_TRACE(replace ? "replaced" : "deleted");
        for (const auto& o : p.outputs) write_text(o, "older");
        const auto [code, err] = render_disturbed(p, "block:0", [&] {
            if (replace) {
                write_wav(p.dir / "bed.new.wav", noise(2, 4800, 7, 0.9), kRate, 24);
                fs::rename(p.dir / "bed.new.wav", p.dir / "bed.wav");
            } else {
                fs::remove(p.dir / "bed.wav");
            }
        });
        EXPECT_EQ(code, 0) << err;
        for (const auto& o : p.outputs) EXPECT_TRUE(read_text(o) == want[o]) << o << " differs from the undisturbed render";
        write_text(p.dir / "bed.wav", original);
    }
}

// IRs are read whole when the render prepares its buses, after every stem is
// open ("opened"): truncated or deleted then, the render fails naming the IR.
TEST(FaultE2e, IrTruncatedOrDeletedBeforeItIsReadIsAnInputError) {
    for (const bool truncate : {true, false}) {
        SCOPED_TRACE(truncate ? "truncated" : "deleted");
        Project p;
        make_project(p, Kind::Plain, 2.0);
        json s = session_json(Kind::Plain);
        s["stems"][0]["sends"] = json::array({{{"bus", "room"}, {"level_db", -10}}});
        s["buses"] = json::array({{{"name", "room"}, {"reverb", {{"ir", "room.wav"}}}}});
        write_text(p.session, s.dump(1));
        write_wav(p.dir / "room.wav", noise(2, kRate, 5, 0.1), kRate, 24);
        Snapshot before = snapshot(p.dir.path());
        const auto [code, err] = render_disturbed(p, "opened", [&] {
            if (truncate) fs::resize_file(p.dir / "room.wav", fs::file_size(p.dir / "room.wav") / 2);
            else fs::remove(p.dir / "room.wav");
        });
        EXPECT_EQ(code, 3) << err;
        EXPECT_EQ(line_count(err), 1) << err;
        EXPECT_NE(err.find("buses[0].reverb"), std::string::npos) << err;
        EXPECT_NE(err.find(truncate ? "truncated" : "no such file"), std::string::npos) << err;
        before.erase("room.wav");
        if (truncate) before["room.wav"] = read_text(p.dir / "room.wav");
        for (const auto& d : differences(before, snapshot(p.dir.path()))) ADD_FAILURE() << d;
    }
}

}  // namespace
}  // namespace sf::test
