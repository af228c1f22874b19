// Fast feedback in the workstation, without a window (GUI.md tier 1, the
// model the window's frame loop drives): an edit re-renders on its own
// through the session's render cache, and the master's meter values follow
// the edit — checked against an independent oracle (the edited session saved,
// rendered by the CLI without a cache, measured with libebur128); a newer
// edit cancels the running render; "render selection" writes what
// `stemforge render --from --to` writes.
#include <cmath>
#include <filesystem>

#include <ebur128.h>
#include <gtest/gtest.h>

#include "app/gui/workstation.h"
#include "tests/e2e/e2e_support.h"

namespace sf::test {
namespace {

namespace fs = std::filesystem;
using gui::Workstation;

// The integrated loudness of a file by libebur128 (the oracle).
double ebur128_integrated(const fs::path& file) {
    int rate = 0;
    const AudioBuffer a = read_audio(file, &rate);
    ebur128_state* st = ebur128_init(static_cast<unsigned>(a.channels()), static_cast<unsigned long>(rate), EBUR128_MODE_I);
    std::vector<float> inter(static_cast<size_t>(a.frames() * a.channels()));
    for (int64_t i = 0; i < a.frames(); ++i)
        for (int c = 0; c < a.channels(); ++c) inter[static_cast<size_t>(i * a.channels() + c)] = a.channel(c)[i];
    ebur128_add_frames_float(st, inter.data(), static_cast<size_t>(a.frames()));
    double v = 0.0;
    ebur128_loudness_global(st, &v);
    ebur128_destroy(&st);
    return v;
}

fs::path write_demo(const TempDir& dir) {
    const CommandResult demo = run_stemforge({"demo", (dir / "demo").string(), "--duration", "8"});
    EXPECT_EQ(demo.exit_code, 0) << demo.err;
    return dir / "demo" / "session.json";
}

// What the window's frame loop does after an edit: poll, and start the
// render on edit once it settled (the delay is 0 here), then wait for it.
void settle(Workstation& w) {
    w.poll();
    w.tick_render_on_edit();
    w.wait_idle();
}

TEST(GuiFastFeedback, AnEditReRendersThroughTheCacheAndTheMeterFollowsIt) {
    TempDir dir;
    use_private_xdg_dirs(dir.path());
    const fs::path session = write_demo(dir);
    Workstation w;
    w.set_backend("cpu");
    ASSERT_TRUE(w.open({session}));
    ASSERT_TRUE(w.session()->session);
    ASSERT_TRUE(w.settings().render_on_edit) << "on by default";
    w.settings().render_on_edit_delay_s = 0.0;
    // Without the master block the meter hears the mix, so a fader move shows.
    ASSERT_TRUE(w.execute("remove master"));
    settle(w);
    ASSERT_EQ(w.preview().finished, 1u) << w.preview().error;
    ASSERT_TRUE(w.preview().meters);
    const double before_lufs = w.preview().meters->integrated_lufs;
    EXPECT_EQ(w.preview().stems_cached, 0u) << "the first render fills the cache";

    ASSERT_TRUE(w.execute("set stems[lead].gain_db -40"));
    ASSERT_TRUE(w.execute("set stems[bass].gain_db -30"));  // two edits, one render once they settled
    settle(w);
    ASSERT_EQ(w.preview().finished, 2u) << w.preview().error;
    const gui::PreviewRun& p = w.preview();
    ASSERT_TRUE(p.meters);
    // Faders act after the inserts: every stem signal came from the cache.
    EXPECT_GT(p.stems, 0u);
    EXPECT_EQ(p.stems_cached, p.stems);
    EXPECT_EQ(p.cache.stem_audio_misses, 0u);
    EXPECT_EQ(p.cache.eq_design_misses, 0u);
    EXPECT_GT(p.edit_to_meter_s, 0.0);
    EXPECT_LT(p.meters->integrated_lufs, before_lufs - 0.5) << "the lead and the bass came down";

    // The oracle: the edited session saved, rendered by the CLI (no cache), measured by libebur128.
    ASSERT_TRUE(w.execute("save " + (dir / "demo" / "edited.json").string()));
    const fs::path oracle = dir / "oracle.wav";
    const CommandResult cli = run_stemforge({"render", (dir / "demo" / "edited.json").string(), "-o", oracle.string(), "--backend", "cpu"});
    ASSERT_EQ(cli.exit_code, 0) << cli.err;
    EXPECT_EQ(read_text(p.file), read_text(oracle)) << "the preview is `render -o` of the edited session, bit for bit";
    EXPECT_NEAR(p.meters->integrated_lufs, ebur128_integrated(oracle), 0.02);

    // The master strip's source: the preview file, measured like any source.
    bool found = false;
    for (const gui::Source& s : w.sources())
        if (s.label == "master (preview)") {
            found = true;
            EXPECT_EQ(s.file, p.file);
            ASSERT_TRUE(s.analysis) << s.error;
            ASSERT_TRUE(s.analysis->integrated_lufs);
            EXPECT_NEAR(*s.analysis->integrated_lufs, p.meters->integrated_lufs, 0.02);
        }
    EXPECT_TRUE(found);
}

TEST(GuiFastFeedback, ANewerEditCancelsTheRunningRenderAndOffMeansNoRender) {
    TempDir dir;
    use_private_xdg_dirs(dir.path());
    const fs::path session = write_demo(dir);
    Workstation w;
    w.set_backend("cpu");
    ASSERT_TRUE(w.open({session}));
    w.settings().render_on_edit_delay_s = 0.0;
    ASSERT_TRUE(w.execute("set stems[lead].gain_db -20"));
    w.tick_render_on_edit();
    ASSERT_TRUE(w.preview().job) << "the settled edit started a render";
    ASSERT_TRUE(w.execute("set stems[lead].gain_db -25"));
    EXPECT_FALSE(w.preview().job) << "the newer edit cancelled it";
    settle(w);
    EXPECT_EQ(w.preview().finished, 1u) << "only the newest edit's render finished";

    // Render on edit off: an edit renders nothing.
    w.settings().render_on_edit = false;
    ASSERT_TRUE(w.execute("set stems[lead].gain_db -30"));
    settle(w);
    EXPECT_EQ(w.preview().finished, 1u);
    EXPECT_FALSE(w.preview().job);
}

TEST(GuiFastFeedback, RenderSelectionWritesWhatTheCliRegionRenderWrites) {
    TempDir dir;
    use_private_xdg_dirs(dir.path());
    const fs::path session = write_demo(dir);
    Workstation w;
    w.set_backend("cpu");
    ASSERT_TRUE(w.open({session}));
    EXPECT_FALSE(w.render_selection()) << "no selection yet";
    ASSERT_TRUE(w.render_preview());  // the session rendered once: the cache holds its stems
    w.wait_idle();
    w.time().selection_s = std::make_pair(2.0, 3.5);
    ASSERT_TRUE(w.render_selection());
    w.wait_idle();
    const gui::PreviewRun& p = w.preview();
    ASSERT_TRUE(p.selection);
    ASSERT_TRUE(p.region) << p.error;
    EXPECT_EQ(p.region->from_frame, 96000);
    EXPECT_EQ(p.region->to_frame, 168000);
    EXPECT_GT(p.cache.stem_audio_hits, 0u) << "the selection read its stems from the cache";
    const fs::path cli_out = dir / "cli-region.wav";
    const CommandResult cli = run_stemforge({"render", session.string(), "--from", "2", "--to", "3.5", "-o", cli_out.string(), "--backend", "cpu"});
    ASSERT_EQ(cli.exit_code, 0) << cli.err;
    EXPECT_EQ(read_text(p.file), read_text(cli_out));
    int rate = 0;
    EXPECT_EQ(read_audio(p.file, &rate).frames(), 72000);
    bool found = false;
    for (const gui::Source& s : w.sources()) found |= s.label == "selection" && s.file == p.file;
    EXPECT_TRUE(found);
}

}  // namespace
}  // namespace sf::test
