// The workstation's model and commands without a window (GUI.md tier 1):
// open, render (bit-identical to `stemforge render`), cancel, analyse,
// compare, and the jobs under them.
#include <chrono>
#include <cstring>
#include <map>
#include <filesystem>
#include <thread>

#include <gtest/gtest.h>

#include "app/gui/jobs.h"
#include "app/gui/workstation.h"
#include "engine/session/session_edit.h"
#include "tests/e2e/e2e_support.h"

namespace sf::test {
namespace {

namespace fs = std::filesystem;
using gui::Job;
using gui::JobControl;
using gui::JobState;
using gui::Workstation;
using nlohmann::json;

constexpr int kRate = 48000;

bool has_temporaries(const fs::path& dir) {
    for (const auto& e : fs::recursive_directory_iterator(dir)) {
        const std::string name = e.path().filename().string();
        if (name.find(".stemforge") != std::string::npos || name.find(".part-") != std::string::npos) return true;
    }
    return false;
}

// A session with two stems, a master block and two exports.
fs::path write_session(const TempDir& dir, double seconds, const std::string& out = "out/master.wav") {
    write_wav(dir / "a.wav", sine(1, static_cast<int64_t>(seconds * kRate), kRate, 1000.0, 0.25), kRate, 24);
    write_wav(dir / "b.wav", noise(2, static_cast<int64_t>(seconds * kRate), 11, 0.1), kRate, 24);
    json s = session_with({{{"name", "tone"}, {"file", "a.wav"}, {"pan", -0.3}}, {{"name", "air"}, {"file", "b.wav"}, {"gain_db", -6}}});
    s["master"] = {{"limiter", {{"ceiling_dbtp", -1.0}}}, {"loudness_target_lufs", -16.0}};
    s["export"] = json::array({{{"file", out}, {"bit_depth", 24}}, {{"file", "out/master-44k1.flac"}, {"bit_depth", 16}, {"sample_rate", 44100}}});
    write_text(dir / "session.json", s.dump());
    return dir / "session.json";
}

TEST(GuiJob, ReportsProgressOutputAndEndState) {
    Job ok("count", [](JobControl& jc) -> Result<void> {
        for (int i = 1; i <= 10; ++i) jc.set_progress(i / 10.0);
        jc.set_progress(0.2);  // never goes back for the UI
        jc.log("counted");
        jc.set_output(std::make_shared<const int>(42));
        return {};
    });
    ok.wait();
    EXPECT_EQ(ok.state(), JobState::Succeeded);
    EXPECT_DOUBLE_EQ(ok.progress(), 1.0);
    ASSERT_NE(ok.output<int>(), nullptr);
    EXPECT_EQ(*ok.output<int>(), 42);
    EXPECT_EQ(ok.log(), std::vector<std::string>{"counted"});

    Job failing("fail", [](JobControl&) -> Result<void> { return fail(ErrorCode::FileRead, "x.wav: unreadable"); });
    failing.wait();
    EXPECT_EQ(failing.state(), JobState::Failed);
    EXPECT_EQ(failing.error().message, "x.wav: unreadable");
    EXPECT_EQ(failing.output<int>(), nullptr);

    Job throwing("throw", [](JobControl&) -> Result<void> { throw std::runtime_error("boom"); });
    throwing.wait();
    EXPECT_EQ(throwing.state(), JobState::Failed);
    EXPECT_NE(throwing.error().message.find("boom"), std::string::npos);
}

TEST(GuiJob, CancelStopsTheBodyAtItsNextCheck) {
    Job job("spin", [](JobControl& jc) -> Result<void> {
        while (!jc.cancelled()) std::this_thread::sleep_for(std::chrono::milliseconds(1));
        return std::unexpected(cancelled_error());
    });
    EXPECT_TRUE(job.running());
    job.cancel();
    job.wait();
    EXPECT_EQ(job.state(), JobState::Cancelled);
}

TEST(GuiWorkstation, ViewNamesAreTheContracts) {
    const std::vector<std::string> names{"session", "mixer", "render", "loudness", "spectrum", "spectrogram", "stereo", "compare"};
    for (const std::string& n : names) {
        auto v = gui::view_from_name(n);
        ASSERT_TRUE(v) << n;
        EXPECT_EQ(gui::view_name(*v), n);
    }
    EXPECT_FALSE(gui::view_from_name("waveform"));
}

TEST(GuiWorkstation, OpeningAMissingFileIsAnErrorNamingIt) {
    Workstation w;
    auto r = w.open({"/no/such/session.json"});
    ASSERT_FALSE(r);
    EXPECT_EQ(r.error().code, ErrorCode::FileNotFound);
    EXPECT_NE(r.error().message.find("/no/such/session.json"), std::string::npos);
    EXPECT_FALSE(w.session());
}

TEST(GuiWorkstation, AnInvalidSessionOpensWithItsErrorAtTheJsonPath) {
    TempDir dir;
    write_wav(dir / "a.wav", sine(1, kRate / 10, kRate, 440.0, 0.5), kRate, 24);
    json s = session_with({{{"name", "a"}, {"file", "a.wav"}, {"gain_db", 400}}});
    write_text(dir / "session.json", s.dump());
    Workstation w;
    ASSERT_TRUE(w.open({dir / "session.json"}));
    ASSERT_TRUE(w.session());
    EXPECT_FALSE(w.session()->session);
    ASSERT_EQ(w.session()->errors.size(), 1u);
    EXPECT_NE(w.session()->errors[0].find("stems[0].gain_db"), std::string::npos) << w.session()->errors[0];
    auto r = w.render();
    ASSERT_FALSE(r);
    EXPECT_EQ(r.error().code, ErrorCode::InvalidSession);
}

TEST(GuiWorkstation, RenderWritesTheCliFilesBitIdentically) {
    TempDir ui_dir, cli_dir;
    const fs::path ui_session = write_session(ui_dir, 2.0);
    const fs::path cli_session = write_session(cli_dir, 2.0);
    Workstation w;
    w.set_backend("cpu");
    ASSERT_TRUE(w.open({ui_session}));
    ASSERT_TRUE(w.session()->session);
    EXPECT_EQ(w.sources().size(), 2u);  // the two stems; no master on disk yet
    ASSERT_TRUE(w.render());
    EXPECT_TRUE(w.busy());
    w.wait_idle();
    ASSERT_TRUE(w.render_run().result) << w.render_run().error;
    EXPECT_EQ(w.render_run().result->outputs.size(), 2u);

    auto cli = run_stemforge({"render", cli_session.string(), "--backend", "cpu"});
    ASSERT_EQ(cli.exit_code, 0) << cli.err;
    for (const std::string f : {"out/master.wav", "out/master-44k1.flac"})
        EXPECT_EQ(read_text(ui_dir / f), read_text(cli_dir / f)) << f << " differs from the CLI's";

    // The render's outputs became the master sources, analysed.
    ASSERT_GE(w.sources().size(), 3u);
    EXPECT_EQ(w.sources()[0].label, "master");
    EXPECT_EQ(w.sources()[0].kind, gui::SourceKind::Master);
    ASSERT_TRUE(w.sources()[0].analysis) << w.sources()[0].error;
    ASSERT_TRUE(w.sources()[0].analysis->integrated_lufs);
    EXPECT_NEAR(*w.sources()[0].analysis->integrated_lufs, -16.0, 0.15);
    EXPECT_EQ(w.focus_source(), std::optional<size_t>(0));
}

TEST(GuiWorkstation, CancelledRenderLeavesNoTemporaryAndTheOldOutputIntact) {
    TempDir dir;
    const fs::path session = write_session(dir, 60.0);
    fs::create_directories(dir / "out");
    write_text(dir / "out/master.wav", "an earlier delivery");
    Workstation w;
    w.set_backend("cpu");
    ASSERT_TRUE(w.open({session}));
    ASSERT_TRUE(w.render());
    // Cancel once the render is under way (a staged or spooled file exists).
    for (int i = 0; i < 1000 && !has_temporaries(dir.path()); ++i) std::this_thread::sleep_for(std::chrono::milliseconds(10));
    ASSERT_TRUE(has_temporaries(dir.path())) << "the render never started writing";
    w.cancel_render();
    w.wait_idle();
    EXPECT_FALSE(w.render_run().result);
    EXPECT_NE(w.render_run().error.find("cancelled"), std::string::npos) << w.render_run().error;
    EXPECT_FALSE(has_temporaries(dir.path()));
    EXPECT_EQ(read_text(dir / "out/master.wav"), "an earlier delivery");
    EXPECT_FALSE(fs::exists(dir / "out/master-44k1.flac"));
}

TEST(GuiWorkstation, OpenedFilesAreAnalysedAndCompared) {
    TempDir dir;
    const AudioBuffer a = sine(2, kRate, kRate, 1000.0, 0.5);
    AudioBuffer b = a;
    b.channel(0)[kRate / 2] += 0.01f;  // one sample differs by 0.01 (-40 dBFS)
    write_wav(dir / "a.wav", a, kRate, 32);
    write_wav(dir / "b.wav", b, kRate, 32);
    Workstation w;
    ASSERT_TRUE(w.open({dir / "a.wav", dir / "b.wav"}));
    ASSERT_EQ(w.sources().size(), 2u);
    w.measure_everything_for(gui::View::Compare);
    for (const auto& s : w.sources()) {
        ASSERT_TRUE(s.analysis) << s.error;
        EXPECT_NEAR(s.analysis->duration_s, 1.0, 1e-9);
    }
    ASSERT_TRUE(w.compare_run().result) << w.compare_run().error;
    EXPECT_EQ(w.compare_run().result->offset_samples, 0);
    EXPECT_NEAR(20.0 * std::log10(w.compare_run().result->residual_peak), -40.0, 0.01);
}

TEST(GuiWorkstation, GpuAndCpuRendersOfTheSessionAgreeWithinTheParityBound) {
    TempDir dir;
    const fs::path session = write_session(dir, 1.5);
    fs::path qa_folder;
    {
        Workstation w;
        ASSERT_TRUE(w.open({session}));
        ASSERT_TRUE(w.compare_backends());
        w.wait_idle();
        ASSERT_TRUE(w.compare_run().result) << w.compare_run().error;
        const auto& r = *w.compare_run().result;
        EXPECT_EQ(r.offset_samples, 0);
        EXPECT_LE(20.0 * std::log10(std::max(r.residual_peak, 1e-30)), w.settings().compare_bound_dbfs);
        ASSERT_EQ(w.sources()[*w.compare_run().a].label, "CPU render");
        ASSERT_EQ(w.sources()[*w.compare_run().b].label, "GPU render");
        qa_folder = w.sources()[*w.compare_run().a].file.parent_path();
        EXPECT_TRUE(fs::exists(qa_folder / "gpu.wav"));
        EXPECT_FALSE(fs::exists(dir / "out/master.wav"));  // QA renders never touch the deliveries
    }
    EXPECT_FALSE(fs::exists(qa_folder));  // removed with the workstation
}

TEST(GuiWorkstation, PreMasterRenderIsTheMixWithoutTheMasterChain) {
    TempDir dir, plain;
    const fs::path session = write_session(dir, 1.5);
    // The oracle: the same session without its master block, rendered by the CLI.
    json s = json::parse(read_text(session));
    s.erase("master");
    write_text(dir / "premaster.json", s.dump());
    auto cli = run_stemforge({"render", (dir / "premaster.json").string(), "--backend", "cpu", "-o", (plain / "mix.wav").string()});
    ASSERT_EQ(cli.exit_code, 0) << cli.err;
    Workstation w;
    w.set_backend("cpu");
    ASSERT_TRUE(w.open({session}));
    ASSERT_TRUE(w.render_premaster());
    w.wait_idle();
    const auto it = std::find_if(w.sources().begin(), w.sources().end(), [](const gui::Source& x) { return x.label == "pre-master"; });
    ASSERT_NE(it, w.sources().end());
    EXPECT_EQ(read_text(it->file), read_text(plain / "mix.wav"));
    EXPECT_FALSE(fs::exists(dir / "out/master.wav"));
}

TEST(GuiEdit, SetUndoRedoAndTheUndoHistoryHoldsTwoHundredSteps) {
    TempDir dir;
    Workstation w;
    ASSERT_TRUE(w.open({write_session(dir, 0.5)}));
    const Session original = *w.session()->session;
    EXPECT_FALSE(w.dirty());
    ASSERT_TRUE(w.execute("set stems[tone].gain_db -2"));
    EXPECT_DOUBLE_EQ(w.session()->session->stems[0].gain_db, -2.0);
    EXPECT_TRUE(w.dirty());
    ASSERT_TRUE(w.execute("add stems[air].eq.bands {\"type\":\"bell\",\"freq_hz\":300,\"gain_db\":-3,\"q\":1}"));
    ASSERT_TRUE(w.session()->session->stems[1].eq);
    ASSERT_TRUE(w.execute("undo"));
    EXPECT_FALSE(w.session()->session->stems[1].eq);
    ASSERT_TRUE(w.execute("redo"));
    ASSERT_TRUE(w.session()->session->stems[1].eq);
    EXPECT_EQ(w.session()->session->stems[1].eq->bands.size(), 1u);
    // A refused edit changes nothing and says why, at its JSON path.
    const Session before = *w.session()->session;
    auto r = w.execute("set stems[tone].pan 3");
    ASSERT_FALSE(r);
    EXPECT_NE(r.error().message.find("stems[0].pan"), std::string::npos) << r.error().message;
    EXPECT_EQ(*w.session()->session, before);
    EXPECT_FALSE(w.execute("set stems[tone].gain_db loud"));  // not JSON
    EXPECT_FALSE(w.execute("fly away"));
    // 250 more steps; 200 of them undo one by one.
    for (int i = 0; i < 250; ++i) ASSERT_TRUE(w.execute("set stems[tone].gain_db " + std::to_string(-0.1 * i)));
    for (int i = 0; i < 200; ++i) ASSERT_TRUE(w.undo()) << i;
    EXPECT_NEAR(w.session()->session->stems[0].gain_db, -0.1 * 49, 1e-9);
    EXPECT_GE(Workstation::kUndoLimit, 200u);
    // A drag is one step: coalesced edits undo together.
    Workstation d;
    ASSERT_TRUE(d.open({dir / "session.json"}));
    for (int i = 1; i <= 30; ++i) {
        auto e = session_set(*d.session()->session, "stems[tone].gain_db", -0.5 * i);
        ASSERT_TRUE(e);
        d.apply_edit(std::move(*e), i > 1);
    }
    EXPECT_EQ(d.undo_depth(), 1u);
    ASSERT_TRUE(d.undo());
    EXPECT_EQ(*d.session()->session, original);
}

TEST(GuiEdit, SavedWithoutEditsParsesToTheSameSessionAndEditedRendersAsTheCli) {
    TempDir dir;
    const fs::path session = write_session(dir, 1.0);
    {
        Workstation copy;
        ASSERT_TRUE(copy.open({session}));
        const Session original = *copy.session()->session;
        ASSERT_TRUE(copy.execute("save " + (dir / "copy.json").string()));  // save as: the copy is now the open file
        EXPECT_EQ(copy.session()->file, dir / "copy.json");
        auto reread = load_session(dir / "copy.json");
        ASSERT_TRUE(reread) << reread.error().message;
        reread->file = original.file;
        EXPECT_EQ(*reread, original);
    }
    // Edit, render in the UI, save; the CLI renders the saved file to the same bytes.
    Workstation w;
    w.set_backend("cpu");
    ASSERT_TRUE(w.open({session}));
    ASSERT_TRUE(w.execute_script("set stems[tone].gain_db -2; add stems[air].eq.bands {\"type\":\"bell\",\"freq_hz\":2000,\"gain_db\":-4,\"q\":2}; "
                                 "set master.loudness_target_lufs -18; render; save"));
    EXPECT_FALSE(w.dirty());
    const std::string ui_wav = read_text(dir / "out/master.wav");
    const std::string ui_flac = read_text(dir / "out/master-44k1.flac");
    fs::remove_all(dir / "out");
    auto cli = run_stemforge({"render", session.string(), "--backend", "cpu"});
    ASSERT_EQ(cli.exit_code, 0) << cli.err;
    EXPECT_TRUE(read_text(dir / "out/master.wav") == ui_wav) << "the CLI's master.wav differs from the UI's";
    EXPECT_TRUE(read_text(dir / "out/master-44k1.flac") == ui_flac) << "the CLI's FLAC differs from the UI's";
    auto saved = load_session(session);
    ASSERT_TRUE(saved);
    EXPECT_DOUBLE_EQ(saved->stems[0].gain_db, -2.0);
    EXPECT_DOUBLE_EQ(*saved->master->loudness_target_lufs, -18.0);
}

TEST(GuiEdit, SaveElsewhereKeepsTheStemsAndNeverOverwritesAnInput) {
    TempDir dir, other;
    const fs::path session = write_session(dir, 0.5);
    Workstation w;
    ASSERT_TRUE(w.open({session}));
    const std::string stem_bytes = read_text(dir / "a.wav");
    auto r = w.save(dir / "a.wav");
    ASSERT_FALSE(r);
    EXPECT_NE(r.error().message.find("stems[0]"), std::string::npos) << r.error().message;
    EXPECT_EQ(read_text(dir / "a.wav"), stem_bytes);
    ASSERT_TRUE(w.save(other / "moved.json"));
    auto moved = load_session(other / "moved.json");
    ASSERT_TRUE(moved) << moved.error().message;
    EXPECT_TRUE(fs::equivalent(moved->stems[0].file, dir / "a.wav"));
}

TEST(GuiEdit, SnapshotsRecallExportAndRenderForAB) {
    TempDir dir;
    Workstation w;
    w.set_backend("cpu");
    ASSERT_TRUE(w.open({write_session(dir, 0.5)}));
    ASSERT_TRUE(w.execute("set master.loudness_target_lufs -20"));
    ASSERT_TRUE(w.store_snapshot("quiet"));
    ASSERT_TRUE(w.execute("set master.loudness_target_lufs -12"));
    ASSERT_TRUE(w.store_snapshot("loud"));
    for (int i = 0; i < 6; ++i) ASSERT_TRUE(w.store_snapshot("s" + std::to_string(i)));
    EXPECT_FALSE(w.store_snapshot("ninth"));  // eight are kept
    ASSERT_TRUE(w.store_snapshot("s0"));       // the same name replaces
    EXPECT_EQ(w.snapshots().size(), 8u);
    ASSERT_TRUE(w.recall_snapshot(0));
    EXPECT_DOUBLE_EQ(*w.session()->session->master->loudness_target_lufs, -20.0);
    ASSERT_TRUE(w.undo());  // a recall is an edit like any other
    EXPECT_DOUBLE_EQ(*w.session()->session->master->loudness_target_lufs, -12.0);
    ASSERT_TRUE(w.export_snapshot(0, dir / "quiet.json"));
    auto quiet = load_session(dir / "quiet.json");
    ASSERT_TRUE(quiet) << quiet.error().message;
    EXPECT_DOUBLE_EQ(*quiet->master->loudness_target_lufs, -20.0);
    for (size_t i = 7; i >= 2; --i) w.delete_snapshot(i);
    ASSERT_EQ(w.snapshots().size(), 2u);
    ASSERT_TRUE(w.render_snapshots());
    w.wait_idle();
    std::map<std::string, double> loudness;
    for (const auto& s : w.sources())
        if (s.analysis && s.analysis->integrated_lufs) loudness[s.label] = *s.analysis->integrated_lufs;
    ASSERT_TRUE(loudness.count("snapshot quiet") && loudness.count("snapshot loud"));
    EXPECT_NEAR(loudness["snapshot quiet"], -20.0, 0.2);
    EXPECT_NEAR(loudness["snapshot loud"], -12.0, 0.2);
}

// A bus as a source is what reaches the master through it: here the CLI's
// render of the same session with only the stem that feeds the bus.
TEST(GuiWorkstation, ABusRenderedAsASourceIsWhatPassesThroughIt) {
    TempDir dir;
    write_wav(dir / "a.wav", sine(2, kRate, kRate, 300.0, 0.3), kRate, 32);
    write_wav(dir / "b.wav", noise(2, kRate, 8, 0.2), kRate, 32);
    json s = session_with({{{"name", "a"}, {"file", "a.wav"}, {"output", "grp"}}, {{"name", "b"}, {"file", "b.wav"}}});
    s["buses"] = json::array({{{"name", "grp"}, {"gain_db", -3.0}, {"eq", {{"mode", "minimum"}, {"bands", json::array({{{"type", "highpass"}, {"freq_hz", 100}}})}}}}});
    s["master"] = {{"loudness_target_lufs", -16.0}};
    s["export"] = json::array({{{"file", "out.wav"}, {"bit_depth", 32}}});
    write_text(dir / "session.json", s.dump());
    json only = s;
    only["stems"] = json::array({s["stems"][0]});
    only.erase("master");
    write_text(dir / "only.json", only.dump());
    auto cli = run_stemforge({"render", (dir / "only.json").string(), "--backend", "cpu", "-o", (dir / "oracle.wav").string()});
    ASSERT_EQ(cli.exit_code, 0) << cli.err;
    Workstation w;
    w.set_backend("cpu");
    ASSERT_TRUE(w.open({dir / "session.json"}));
    EXPECT_FALSE(w.render_bus("nope"));
    ASSERT_TRUE(w.render_bus("grp"));
    w.wait_idle();
    const auto it = std::find_if(w.sources().begin(), w.sources().end(), [](const gui::Source& x) { return x.label == "[grp]"; });
    ASSERT_NE(it, w.sources().end());
    auto r = analysis::compare_files(dir / "oracle.wav", it->file);
    ASSERT_TRUE(r) << r.error().message;
    EXPECT_EQ(r->offset_samples, 0);
    EXPECT_LT(20.0 * std::log10(std::max(r->residual_peak, 1e-30)), -120.0);  // b leaks in at -144 dB only
}

// Plays an A/B into ALSA's file plugin (no sound card): the quieter source
// sets the level, so A (10 dB louder) reaches the device 10 dB down.
TEST(GuiWorkstation, LoudnessMatchedABPlaysTheLouderSourceAtTheQuieterOnesLevel) {
    TempDir dir;
    const fs::path raw = dir / "device.raw";
    write_text(dir / "asound.conf", "pcm.stemforge_file {\n  type plug\n  slave {\n    pcm { type file slave.pcm { type null } file \"" +
                                        raw.string() + "\" format \"raw\" }\n    format FLOAT_LE\n    rate 48000\n    channels 2\n  }\n}\n"
                                        "pcm.!default { type null }\n");
    ::setenv("ALSA_CONFIG_PATH", (dir / "asound.conf").c_str(), 1);
    ::setenv("STEMFORGE_AUDIO_DEVICE", "stemforge_file", 1);
    write_wav(dir / "loud.wav", sine(2, kRate / 2, kRate, 1000.0, 0.1), kRate, 32);     // -20 dBFS
    write_wav(dir / "quiet.wav", sine(2, kRate / 2, kRate, 1000.0, 0.0316), kRate, 32);  // -30 dBFS
    {
        Workstation w;
        ASSERT_TRUE(w.open({dir / "loud.wav", dir / "quiet.wav"}));
        w.wait_idle();  // both measured: the match needs their loudness
        ASSERT_TRUE(w.playback().available()) << w.playback().unavailable_reason();
        ASSERT_TRUE(w.play(0, size_t{1}));
        EXPECT_TRUE(w.playing());
        for (int i = 0; i < 500 && w.playing(); ++i) {
            w.poll();
            std::this_thread::sleep_for(std::chrono::milliseconds(10));
        }
        EXPECT_FALSE(w.playing()) << "the A/B never finished";
    }
    ::unsetenv("ALSA_CONFIG_PATH");
    ::unsetenv("STEMFORGE_AUDIO_DEVICE");
    const std::string bytes = read_text(raw);
    ASSERT_GE(bytes.size(), sizeof(float) * 2 * 1000);
    std::vector<float> samples(bytes.size() / sizeof(float));
    std::memcpy(samples.data(), bytes.data(), samples.size() * sizeof(float));
    const double peak = peak_dbfs(samples.data(), static_cast<int64_t>(samples.size()));
    EXPECT_NEAR(peak, -30.0, 0.2) << "A should reach the device at B's loudness";
}

}  // namespace
}  // namespace sf::test
