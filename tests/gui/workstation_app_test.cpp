// The window's logic with ImGui in the loop and no renderer (GUI.md tier 1):
// keys go in through io.KeysDown as the host delivers them, ImGui's own
// checks (Begin/End pairing, ID stack) run with asserts on, and the
// workstation's state is what the test asserts.
#include <filesystem>

#include <gtest/gtest.h>

#include "app/gui/workstation_app.h"
#include "tests/e2e/e2e_support.h"

namespace sf::test {
namespace {

namespace fs = std::filesystem;
using gui::View;
using nlohmann::json;

constexpr int kRate = 48000;

// Counts the textures the views ask for; hands out fake ids.
struct RecordingTextures final : gui::Textures {
    ImTextureID get(uint64_t key, const gui::Image& image) override {
        ++calls;
        last_width = image.width;
        last_height = image.height;
        return reinterpret_cast<ImTextureID>(static_cast<intptr_t>(key | 1));
    }
    int calls = 0, last_width = 0, last_height = 0;
};

// An ImGui context with a built font atlas and no renderer: frames run, the
// draw lists are built and thrown away.
class NullHost {
public:
    NullHost() {
        ImGui::CreateContext();
        ImGuiIO& io = ImGui::GetIO();
        io.IniFilename = nullptr;
        io.DisplaySize = ImVec2(1600, 1000);
        io.DeltaTime = 1.0f / 60.0f;
        io.KeyMap[ImGuiKey_Escape] = 256;  // GLFW's code, as the host maps it
        // As the host's renderer: large draw lists are split by vertex offset.
        io.BackendFlags |= ImGuiBackendFlags_RendererHasVtxOffset;
        unsigned char* pixels = nullptr;
        int w = 0, h = 0;
        io.Fonts->GetTexDataAsRGBA32(&pixels, &w, &h);
    }
    ~NullHost() { ImGui::DestroyContext(); }
    NullHost(const NullHost&) = delete;
    NullHost& operator=(const NullHost&) = delete;

    void mouse(ImVec2 at, bool down) {
        ImGui::GetIO().MousePos = at;
        ImGui::GetIO().MouseDown[0] = down;
    }
    // A left-button drag from `from` to `to` in `steps` frames (one frame
    // hovering first, one releasing at the end).
    void drag(gui::GuiApp& app, ImVec2 from, ImVec2 to, int steps) {
        mouse(from, false);
        frame(app);
        mouse(from, true);
        frame(app);
        for (int k = 1; k <= steps; ++k) {
            const float t = static_cast<float>(k) / static_cast<float>(steps);
            mouse(ImVec2(from.x + (to.x - from.x) * t, from.y + (to.y - from.y) * t), true);
            frame(app);
        }
        mouse(to, false);
        frame(app);
    }
    void double_click(gui::GuiApp& app, ImVec2 at) {
        mouse(at, false);
        frame(app);
        for (int click = 0; click < 2; ++click) {
            mouse(at, true);
            frame(app);
            mouse(at, false);
            frame(app);
        }
    }
    void frame(gui::GuiApp& app, std::initializer_list<int> keys = {}, bool ctrl = false) {
        ImGuiIO& io = ImGui::GetIO();
        for (bool& k : io.KeysDown) k = false;
        for (int k : keys) io.KeysDown[k] = true;
        io.KeyCtrl = ctrl;
        ImGui::NewFrame();
        gui::FrameInfo info;
        app.frame(info, textures);
        ImGui::Render();
    }
    RecordingTextures textures;
};

fs::path write_session(const TempDir& dir) {
    write_wav(dir / "a.wav", sine(2, 3 * kRate, kRate, 1000.0, 0.25), kRate, 24);
    write_wav(dir / "b.wav", noise(1, 3 * kRate, 5, 0.1), kRate, 24);
    json s = session_with({{{"name", "tone"}, {"file", "a.wav"}}, {{"name", "hiss"}, {"file", "b.wav"}, {"pan", 0.5}}});
    s["master"] = {{"limiter", {{"ceiling_dbtp", -1.0}}}, {"loudness_target_lufs", -18.0}};
    s["export"] = json::array({{{"file", "out/master.wav"}, {"bit_depth", 24}}});
    write_text(dir / "session.json", s.dump());
    return dir / "session.json";
}

void draw_every_view(NullHost& host, gui::WorkstationApp& app) {
    for (View v : gui::kAllViews) {
        app.show(v);
        host.frame(app);
        host.frame(app);
    }
}

TEST(GuiApp, CtrlQQuits) {
    NullHost host;
    gui::Workstation ws;
    gui::WorkstationApp app(ws);
    host.frame(app, {gui::kKeyQ});  // Q alone does nothing
    EXPECT_FALSE(app.wants_quit());
    host.frame(app);                 // released
    host.frame(app, {gui::kKeyQ}, true);
    EXPECT_TRUE(app.wants_quit());
}

TEST(GuiApp, TheSourcesPaneIsResizedByDraggingItsEdge) {
    NullHost host;
    gui::Workstation ws;
    gui::WorkstationApp app(ws);
    host.frame(app);
    const float before = app.sources_width();
    // The splitter stands right of the pane: window padding + the pane's width.
    const float edge = ImGui::GetStyle().WindowPadding.x + before + 3.0f;
    host.drag(app, ImVec2(edge, 400.0f), ImVec2(edge + 100.0f, 400.0f), 10);
    EXPECT_NEAR(app.sources_width(), before + 100.0f, 1.0f);
}

// Dragging a stem's fader in the mixer: the gain follows the mouse, the whole
// drag is one undo step, and a double-click puts it back to 0 dB.
TEST(GuiApp, AFaderDragIsOneUndoStepAndDoubleClickResets) {
    NullHost host;
    TempDir dir;
    gui::Workstation ws;
    ASSERT_TRUE(ws.open({write_session(dir)}));
    gui::WorkstationApp app(ws);
    app.show(View::Mixer);
    host.frame(app);
    host.frame(app);
    const Session original = *ws.session()->session;
    // Find the first strip's fader by trying: press, drag up 50 px, release.
    std::optional<ImVec2> fader;
    for (float y = 300.0f; y < 800.0f && !fader; y += 40.0f)
        for (float x = 262.0f; x < 380.0f && !fader; x += 12.0f) {
            host.drag(app, ImVec2(x, y), ImVec2(x, y - 50.0f), 5);
            if (ws.undo_depth() == 0) continue;
            Session only_gain = *ws.session()->session;
            only_gain.stems[0].gain_db = original.stems[0].gain_db;
            if (only_gain == original && ws.session()->session->stems[0].gain_db > original.stems[0].gain_db) fader = ImVec2(x, y);
            else while (ws.undo_depth() > 0) ASSERT_TRUE(ws.undo());
        }
    ASSERT_TRUE(fader) << "no fader answered a drag";
    EXPECT_EQ(ws.undo_depth(), 1u) << "a drag must be one undo step";
    EXPECT_GT(ws.session()->session->stems[0].gain_db, original.stems[0].gain_db + 1.0);
    ASSERT_TRUE(ws.undo());
    EXPECT_EQ(*ws.session()->session, original);
    // Double-click: back to 0 dB (the default), one more step.
    ASSERT_TRUE(ws.execute("set stems[0].gain_db -7"));
    host.double_click(app, ImVec2(fader->x, fader->y + 20.0f));
    EXPECT_DOUBLE_EQ(ws.session()->session->stems[0].gain_db, 0.0);
}

TEST(GuiApp, TheMixersInsertPanelsDrawForEveryStripAndKind) {
    NullHost host;
    TempDir dir;
    gui::Workstation ws;
    ASSERT_TRUE(ws.open({write_session(dir)}));
    ASSERT_TRUE(ws.execute("set stems[0].compressor {\"threshold_db\":-20,\"ratio\":4}"));
    gui::WorkstationApp app(ws);
    app.show(View::Mixer);
    ASSERT_TRUE(ws.execute("set master.multiband {\"crossovers_hz\":[200,4000],\"bands\":[{},{},{}]}"));
    for (const char* target : {"stems[0]", "stems[1]", "master"})
        for (const char* kind : {"eq", "compressor", "master"}) {
            ws.settings().eq_target = target;
            ws.settings().insert_kind = kind;
            host.frame(app);
            host.frame(app);
        }
    ASSERT_TRUE(ws.execute("remove stems[0].compressor"));
    EXPECT_FALSE(ws.session()->session->stems[0].compressor);
}

// The automation lane: a double-click adds a point where the mouse is, a
// drag moves it (one undo step), a right-click deletes it.
TEST(GuiApp, AutomationPointsAreAddedDraggedAndDeletedWithTheMouse) {
    NullHost host;
    TempDir dir;
    gui::Workstation ws;
    ASSERT_TRUE(ws.open({write_session(dir)}));
    gui::WorkstationApp app(ws);
    app.show(View::Mixer);
    ws.settings().eq_target = "stems[0]";
    ws.settings().insert_kind = "automation";
    host.frame(app);
    host.frame(app);
    ws.wait_idle();  // the stems measured: the lane's time axis is the session's length from here on
    host.frame(app);
    const ImVec2 at(900.0f, 700.0f);  // inside the lane (the lower half of the view)
    host.double_click(app, at);
    ASSERT_EQ(ws.session()->session->stems[0].automation.gain_db.size(), 1u) << "a double-click in the lane adds one point";
    const AutomationPoint added = ws.session()->session->stems[0].automation.gain_db[0];
    const size_t depth = ws.undo_depth();
    host.drag(app, at, ImVec2(at.x + 100.0f, at.y - 50.0f), 5);
    const AutomationPoint moved = ws.session()->session->stems[0].automation.gain_db[0];
    EXPECT_GT(moved.time_s, added.time_s);
    EXPECT_GT(moved.value, added.value);
    EXPECT_EQ(ws.undo_depth(), depth + 1) << "a drag is one step";
    // Right-click on the moved point deletes it.
    const ImVec2 now(at.x + 100.0f, at.y - 50.0f);
    host.mouse(now, false);
    host.frame(app);
    ImGui::GetIO().MouseDown[1] = true;
    host.frame(app);
    ImGui::GetIO().MouseDown[1] = false;
    host.frame(app);
    EXPECT_TRUE(ws.session()->session->stems[0].automation.gain_db.empty());
}

// An EQ band's handle drags its frequency and gain; the drag is one undo step.
TEST(GuiApp, AnEqBandHandleDragsFrequencyAndGain) {
    NullHost host;
    TempDir dir;
    gui::Workstation ws;
    ASSERT_TRUE(ws.open({write_session(dir)}));
    ASSERT_TRUE(ws.execute("add stems[1].eq.bands {\"type\":\"bell\",\"freq_hz\":1000,\"gain_db\":0,\"q\":1}"));
    gui::WorkstationApp app(ws);
    app.show(View::Mixer);
    ws.settings().eq_target = "stems[1]";
    ws.settings().insert_kind = "eq";
    host.frame(app);
    host.frame(app);
    const size_t depth = ws.undo_depth();
    const EqBand before = ws.session()->session->stems[1].eq->bands[0];
    // Find the handle: press where it may be, drag up-right, release; the band moves when it was there.
    bool moved = false;
    for (float y = 450.0f; y < 860.0f && !moved; y += 6.0f)
        for (float x = 700.0f; x < 1300.0f && !moved; x += 6.0f) {
            host.drag(app, ImVec2(x, y), ImVec2(x + 60.0f, y - 60.0f), 2);
            moved = ws.undo_depth() > depth;
        }
    ASSERT_TRUE(moved) << "no band handle answered a drag";
    const EqBand after = ws.session()->session->stems[1].eq->bands[0];
    EXPECT_GT(after.freq_hz, before.freq_hz);
    EXPECT_GT(after.gain_db, before.gain_db);
    EXPECT_EQ(ws.undo_depth(), depth + 1);
}

TEST(GuiApp, EveryViewDrawsWithNothingOpenAndWithAnInvalidSession) {
    NullHost host;
    gui::Workstation ws;
    gui::WorkstationApp app(ws);
    draw_every_view(host, app);
    TempDir dir;
    write_text(dir / "session.json", R"({"format": "stemforge-session", "version": 1, "sample_rate": 48000, "stems": [{"name": "x"}]})");
    ASSERT_TRUE(ws.open({dir / "session.json"}));
    draw_every_view(host, app);
    ASSERT_TRUE(ws.session());
    EXPECT_FALSE(ws.session()->errors.empty());
}

TEST(GuiApp, CtrlRRendersTheSessionAndEveryViewDrawsTheResult) {
    NullHost host;
    TempDir dir;
    gui::Workstation ws;
    ws.set_backend("cpu");
    ASSERT_TRUE(ws.open({write_session(dir)}));
    gui::WorkstationApp app(ws);
    host.frame(app, {gui::kKeyR}, true);
    host.frame(app);
    EXPECT_EQ(ws.settings().view, View::Render);
    EXPECT_TRUE(ws.render_run().job || ws.render_run().result);
    ws.wait_idle();
    ASSERT_TRUE(ws.render_run().result) << ws.render_run().error;
    EXPECT_TRUE(fs::exists(dir / "out/master.wav"));
    // Every stem measured as well, then every view with data in it.
    for (size_t i = 0; i < ws.sources().size(); ++i) ws.analyze(i);
    ws.wait_idle();
    draw_every_view(host, app);
    // The spectrogram view asked for the master's spectrogram as a texture.
    EXPECT_GT(host.textures.calls, 0);
    const auto& sg = ws.sources()[0].analysis->spectrogram;
    ASSERT_TRUE(sg);
    EXPECT_EQ(host.textures.last_width, sg->columns());
}

}  // namespace
}  // namespace sf::test
