// The window's logic with ImGui in the loop and no renderer (GUI.md tier 1):
// keys go in through io.KeysDown as the host delivers them, ImGui's own
// checks (Begin/End pairing, ID stack) run with asserts on, and the
// workstation's state is what the test asserts.
#include <algorithm>
#include <chrono>
#include <cmath>
#include <thread>
#include <filesystem>
#include <optional>
#include <string>

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
        io.KeyMap[ImGuiKey_Escape] = 256;  // GLFW's codes, as the host maps them
        io.KeyMap[ImGuiKey_Enter] = kKeyEnter;
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
    // A click (hover, press, release: one frame each), with Ctrl held or not.
    void click(gui::GuiApp& app, ImVec2 at, bool ctrl = false) {
        mouse(at, false);
        frame(app, {}, ctrl);
        mouse(at, true);
        frame(app, {}, ctrl);
        mouse(at, false);
        frame(app, {}, ctrl);
    }
    // Types `text` into the focused input and presses Enter.
    void type(gui::GuiApp& app, const std::string& text) {
        for (char c : text) ImGui::GetIO().AddInputCharacter(static_cast<unsigned>(c));
        frame(app);
        frame(app, {kKeyEnter});
        frame(app);
    }
    // Lets `seconds` pass in one frame: the next click is not the second of a double-click.
    void wait(gui::GuiApp& app, float seconds = 0.5f) {
        ImGui::GetIO().DeltaTime = seconds;
        frame(app);
        ImGui::GetIO().DeltaTime = 1.0f / 60.0f;
    }
    static constexpr int kKeyEnter = 257;
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

// ---- the mixing round 2 controls: width, FX, sidechain, automation lanes ----

// A stereo stem with a send, a mono stem with a compressor, a bus: what the
// width control, the FX panel, the sidechain combo and the lanes are offered on.
fs::path write_fx_session(const TempDir& dir) {
    write_wav(dir / "a.wav", sine(2, 3 * kRate, kRate, 1000.0, 0.25), kRate, 24);
    write_wav(dir / "b.wav", noise(1, 3 * kRate, 5, 0.1), kRate, 24);
    json s = session_with({{{"name", "tone"}, {"file", "a.wav"}, {"compressor", json::object()},
                            {"sends", json::array({{{"bus", "verb"}, {"level_db", -6.0}}})}},
                           {{"name", "hiss"}, {"file", "b.wav"}, {"pan", 0.5}, {"compressor", json::object()}}});
    s["buses"] = json::array({{{"name", "verb"}}});
    write_text(dir / "session.json", s.dump());
    return dir / "session.json";
}

// The centre of a control, found by what it edits (WorkstationApp::controls, last frame).
std::optional<ImVec2> control(const gui::WorkstationApp& app, const std::string& key) {
    const gui::ControlMap::Rect* r = app.controls().find(key);
    if (!r) return std::nullopt;
    return r->centre();
}

// A control's rectangle, copied (the map is rebuilt every frame).
std::optional<gui::ControlMap::Rect> rect_of(const gui::WorkstationApp& app, const std::string& key) {
    const gui::ControlMap::Rect* r = app.controls().find(key);
    if (!r) return std::nullopt;
    return *r;
}

void undo_all(gui::Workstation& ws) {
    while (ws.undo_depth() > 0) ASSERT_TRUE(ws.undo());
}

// Width: on the stereo stem and the bus, not on the mono stem; a drag moves it
// 0.01 a pixel from the bypassed 1.0 (one undo step), Shift a tenth of that,
// Ctrl+click types a value, a double-click removes the key.
TEST(GuiApp, TheWidthControlDragsTypesAndResets) {
    NullHost host;
    TempDir dir;
    gui::Workstation ws;
    ASSERT_TRUE(ws.open({write_fx_session(dir)}));
    gui::WorkstationApp app(ws);
    app.show(View::Mixer);
    host.frame(app);
    host.frame(app);
    const Session original = *ws.session()->session;
    const auto at = control(app, "stems[0].width");
    ASSERT_TRUE(at) << "the stereo stem offers a width";
    EXPECT_FALSE(control(app, "stems[1].width")) << "the mono stem does not";
    EXPECT_TRUE(control(app, "buses[0].width")) << "a bus does";
    const auto width = [&] { return ws.session()->session->stems[0].width; };

    host.wait(app);

    host.drag(app, *at, ImVec2(at->x + 50.0f, at->y), 5);
    ASSERT_TRUE(width());
    EXPECT_DOUBLE_EQ(*width(), 1.5);  // 1 + 50 px · 0.01
    EXPECT_EQ(ws.undo_depth(), 1u) << "a drag is one undo step";

    ImGui::GetIO().KeyShift = true;
    host.wait(app);
    host.drag(app, *at, ImVec2(at->x + 50.0f, at->y), 5);
    ImGui::GetIO().KeyShift = false;
    EXPECT_DOUBLE_EQ(*width(), 1.55);  // 50 px · 0.001
    EXPECT_EQ(ws.undo_depth(), 2u);

    host.wait(app);

    host.click(app, *at, true);  // Ctrl+click: type a value
    host.frame(app);
    host.frame(app);
    host.type(app, "2.25");
    ASSERT_TRUE(width());
    EXPECT_DOUBLE_EQ(*width(), 2.25);
    EXPECT_EQ(ws.undo_depth(), 3u);

    host.frame(app);
    host.wait(app);
    host.double_click(app, *at);
    EXPECT_FALSE(width()) << "a double-click removes the key (bypassed)";
    EXPECT_EQ(ws.undo_depth(), 4u);

    // A bus's width the same way.
    const auto bus_at = control(app, "buses[0].width");
    ASSERT_TRUE(bus_at);
    host.wait(app);
    host.drag(app, *bus_at, ImVec2(bus_at->x - 30.0f, bus_at->y), 3);
    ASSERT_TRUE(ws.session()->session->buses[0].width);
    EXPECT_DOUBLE_EQ(*ws.session()->session->buses[0].width, 0.7);
    undo_all(ws);
    EXPECT_EQ(*ws.session()->session, original);
}

// The FX button opens the panel beside the strip: a chorus is added with its
// defaults and each key edited (drag, typed, reset); a bus's delay switches
// from milliseconds to a note value once the panel has set the tempo.
TEST(GuiApp, TheFxPanelEditsTheChorusAndABussDelay) {
    NullHost host;
    TempDir dir;
    gui::Workstation ws;
    ASSERT_TRUE(ws.open({write_fx_session(dir)}));
    gui::WorkstationApp app(ws);
    app.show(View::Mixer);
    host.frame(app);
    host.frame(app);
    const Session original = *ws.session()->session;
    const auto fx = control(app, "stems[0]:fx");
    ASSERT_TRUE(fx);
    host.wait(app);
    host.click(app, *fx);
    host.frame(app);
    host.frame(app);  // an auto-sized window shows from its second frame
    EXPECT_EQ(ws.settings().fx_target, "stems[0]");
    const auto add = control(app, "stems[0].chorus");
    ASSERT_TRUE(add) << "no chorus button in the FX panel";
    host.wait(app);
    host.click(app, *add);
    const auto chorus = [&] { return ws.session()->session->stems[0].chorus; };
    ASSERT_TRUE(chorus());
    EXPECT_EQ(*chorus(), ChorusSpec{});
    host.frame(app);

    const auto rate = control(app, "stems[0].chorus.rate_hz");
    ASSERT_TRUE(rate);
    host.wait(app);
    host.drag(app, *rate, ImVec2(rate->x + 40.0f, rate->y), 4);
    EXPECT_NEAR(chorus()->rate_hz, 0.8 * std::pow(1.01, 40.0), 0.006);  // 1 % a pixel, rounded to 0.01 Hz
    const auto voices = control(app, "stems[0].chorus.voices");
    ASSERT_TRUE(voices);
    host.wait(app);
    host.drag(app, *voices, ImVec2(voices->x + 40.0f, voices->y), 4);
    EXPECT_EQ(chorus()->voices, 4);  // 2 + 40 px · 0.05
    const auto mix = control(app, "stems[0].chorus.mix");
    ASSERT_TRUE(mix);
    host.wait(app);
    host.click(app, *mix, true);
    host.frame(app);
    host.frame(app);
    host.type(app, "0.3");
    EXPECT_DOUBLE_EQ(chorus()->mix, 0.3);
    host.wait(app);
    host.double_click(app, *rate);
    EXPECT_DOUBLE_EQ(chorus()->rate_hz, ChorusSpec{}.rate_hz) << "a double-click puts the key back to its default";
    EXPECT_EQ(chorus()->voices, 4);

    // The bus: its own window, with the delay.
    const auto bus_fx = control(app, "buses[0]:fx");
    ASSERT_TRUE(bus_fx);
    host.wait(app);
    host.click(app, *bus_fx);
    host.frame(app);
    host.frame(app);
    EXPECT_EQ(ws.settings().fx_target, "buses[0]");
    const auto add_delay = control(app, "buses[0].delay");
    ASSERT_TRUE(add_delay);
    host.wait(app);
    host.click(app, *add_delay);
    const auto delay = [&] { return ws.session()->session->buses[0].delay; };
    ASSERT_TRUE(delay());
    ASSERT_TRUE(delay()->time_ms);
    host.frame(app);
    // A note needs the tempo: the note choice does nothing until the panel sets it.
    const size_t depth = ws.undo_depth();
    ASSERT_TRUE(control(app, "buses[0].delay.mode=note"));
    host.wait(app);
    host.click(app, *control(app, "buses[0].delay.mode=note"));
    EXPECT_EQ(ws.undo_depth(), depth);
    EXPECT_TRUE(delay()->time_ms);
    ASSERT_TRUE(control(app, "tempo_bpm"));
    host.wait(app);
    host.click(app, *control(app, "tempo_bpm"));
    ASSERT_TRUE(ws.session()->session->tempo_bpm);
    EXPECT_DOUBLE_EQ(*ws.session()->session->tempo_bpm, 120.0);
    host.frame(app);
    host.wait(app);
    host.click(app, *control(app, "buses[0].delay.mode=note"));
    ASSERT_TRUE(delay()->note);
    EXPECT_EQ(*delay()->note, "1/8d") << "375 ms at 120 BPM is a dotted eighth";
    EXPECT_FALSE(delay()->time_ms);
    EXPECT_DOUBLE_EQ(*delay_time_s(*delay(), ws.session()->session->tempo_bpm), 0.375);
    host.frame(app);
    // Feedback, ping-pong and a low cut dragged up from off (20 Hz, 1 % a pixel).
    const auto feedback = control(app, "buses[0].delay.feedback");
    ASSERT_TRUE(feedback);
    host.wait(app);
    host.drag(app, *feedback, ImVec2(feedback->x + 20.0f, feedback->y), 2);
    EXPECT_DOUBLE_EQ(delay()->feedback, 0.45);
    ASSERT_TRUE(control(app, "buses[0].delay.pingpong"));
    host.wait(app);
    host.click(app, *control(app, "buses[0].delay.pingpong"));
    EXPECT_TRUE(delay()->pingpong);
    const auto lowcut = control(app, "buses[0].delay.lowcut_hz");
    ASSERT_TRUE(lowcut);
    host.wait(app);
    host.drag(app, *lowcut, ImVec2(lowcut->x + 100.0f, lowcut->y), 5);
    EXPECT_DOUBLE_EQ(delay()->lowcut_hz, std::round(20.0 * std::pow(1.01, 100.0)));
    // Closing the window: the FX button again.
    host.wait(app);
    host.click(app, *control(app, "buses[0]:fx"));
    EXPECT_TRUE(ws.settings().fx_target.empty());
    undo_all(ws);
    EXPECT_EQ(*ws.session()->session, original);
}

// The compressor panel's sidechain combo offers the other stems and the
// buses; a key that closes a cycle is refused and the validator's message is
// shown in the panel; the sidechain EQ is added and edited with the EQ editor.
TEST(GuiApp, TheSidechainKeyIsChosenAndACycleIsShownNotApplied) {
    NullHost host;
    TempDir dir;
    gui::Workstation ws;
    ASSERT_TRUE(ws.open({write_fx_session(dir)}));
    gui::WorkstationApp app(ws);
    app.show(View::Mixer);
    host.frame(app);
    host.frame(app);
    const Session original = *ws.session()->session;
    const auto comp = control(app, "stems[1]:compressor");
    ASSERT_TRUE(comp);
    host.wait(app);
    host.click(app, *comp);
    host.frame(app);
    const auto combo = control(app, "stems[1].compressor.sidechain");
    ASSERT_TRUE(combo) << "no sidechain combo in the compressor panel";
    host.wait(app);
    host.click(app, *combo);
    host.frame(app);
    EXPECT_TRUE(control(app, "stems[1].compressor.sidechain=verb")) << "the buses are offered";
    EXPECT_FALSE(control(app, "stems[1].compressor.sidechain=hiss")) << "not the stem itself";
    ASSERT_TRUE(control(app, "stems[1].compressor.sidechain=tone"));
    host.wait(app);
    host.click(app, *control(app, "stems[1].compressor.sidechain=tone"));
    EXPECT_EQ(ws.session()->session->stems[1].compressor->sidechain, "tone");
    EXPECT_EQ(ws.undo_depth(), 1u);

    // tone keyed by hiss closes a cycle: refused, and the message is in the panel.
    host.wait(app);
    host.click(app, *control(app, "stems[0]:compressor"));
    host.frame(app);
    ASSERT_TRUE(control(app, "stems[0].compressor.sidechain"));
    host.wait(app);
    host.click(app, *control(app, "stems[0].compressor.sidechain"));
    host.frame(app);
    ASSERT_TRUE(control(app, "stems[0].compressor.sidechain=hiss"));
    host.wait(app);
    host.click(app, *control(app, "stems[0].compressor.sidechain=hiss"));
    host.frame(app);
    EXPECT_TRUE(ws.session()->session->stems[0].compressor->sidechain.empty());
    EXPECT_EQ(ws.undo_depth(), 1u);
    ASSERT_FALSE(ws.log().empty());
    EXPECT_NE(ws.log().back().find("sidechain cycle"), std::string::npos) << ws.log().back();
    EXPECT_NE(ws.log().back().find("stems[0].compressor.sidechain"), std::string::npos) << ws.log().back();
    EXPECT_TRUE(control(app, "refused:stems[0].compressor.sidechain")) << "the refusal is shown in the panel";

    // The sidechain EQ: added, a band added and dragged with the EQ editor.
    ASSERT_TRUE(control(app, "stems[0].compressor.sidechain_eq"));
    host.wait(app);
    host.click(app, *control(app, "stems[0].compressor.sidechain_eq"));
    ASSERT_TRUE(ws.session()->session->stems[0].compressor->sidechain_eq);
    host.frame(app);
    EXPECT_FALSE(control(app, "refused:stems[0].compressor.sidechain")) << "an edit that lands clears the refusal";
    ASSERT_TRUE(control(app, "stems[0].compressor.sidechain_eq.bands+"));
    host.wait(app);
    host.click(app, *control(app, "stems[0].compressor.sidechain_eq.bands+"));
    ASSERT_EQ(ws.session()->session->stems[0].compressor->sidechain_eq->bands.size(), 1u);
    host.frame(app);
    const auto band = control(app, "stems[0].compressor.sidechain_eq.bands[0]");
    ASSERT_TRUE(band);
    host.wait(app);
    host.drag(app, *band, ImVec2(band->x + 40.0f, band->y - 20.0f), 4);
    const EqBand moved = ws.session()->session->stems[0].compressor->sidechain_eq->bands[0];
    EXPECT_GT(moved.freq_hz, 1000.0);
    EXPECT_GT(moved.gain_db, 0.0);
    EXPECT_FALSE(ws.session()->session->stems[0].eq) << "the stem's own EQ is untouched";
    undo_all(ws);
    EXPECT_EQ(*ws.session()->session, original);
}

// The lane selector: a stem's gain, pan and (stereo) width and one lane per
// send; a bus's gain and width. A pan point lands at the mouse on the lane's
// −1..1 range; a bus gain point on −48..12 dB.
TEST(GuiApp, AutomationLanesAreChosenAndEditedInTheirOwnUnits) {
    NullHost host;
    TempDir dir;
    gui::Workstation ws;
    ASSERT_TRUE(ws.open({write_fx_session(dir)}));
    gui::WorkstationApp app(ws);
    app.show(View::Mixer);
    host.frame(app);
    host.frame(app);
    ws.wait_idle();  // the stems measured: the lanes' time axis is the session's 3 s
    host.frame(app);
    const Session original = *ws.session()->session;
    host.wait(app);
    host.click(app, *control(app, "stems[1]:automation"));
    host.frame(app);
    const auto selector = control(app, "stems[1].automation");
    ASSERT_TRUE(selector);
    host.wait(app);
    host.click(app, *selector);
    host.frame(app);
    EXPECT_TRUE(control(app, "stems[1].automation=gain_db"));
    EXPECT_FALSE(control(app, "stems[1].automation=width")) << "a mono stem has no width lane";
    ASSERT_TRUE(control(app, "stems[1].automation=pan"));
    host.wait(app);
    host.click(app, *control(app, "stems[1].automation=pan"));
    host.frame(app);
    EXPECT_EQ(ws.settings().automation_lane, "pan");
    const auto lane = rect_of(app, "stems[1].automation.pan");
    ASSERT_TRUE(lane);
    const float w = lane->max.x - lane->min.x, h = lane->max.y - lane->min.y;
    const ImVec2 at(lane->min.x + 0.25f * w, lane->min.y + 0.25f * h);
    host.wait(app);
    host.double_click(app, at);
    const auto& pan = ws.session()->session->stems[1].automation.pan;
    ASSERT_EQ(ws.session()->session->stems[1].automation.pan.size(), 1u);
    EXPECT_NEAR(pan[0].value, 0.5, 0.01);  // a quarter down from +1 on −1..1
    EXPECT_NEAR(pan[0].time_s, 0.75, 0.01);  // a quarter into 3 s
    EXPECT_TRUE(ws.session()->session->stems[1].automation.gain_db.empty());
    const size_t depth = ws.undo_depth();
    host.wait(app);
    host.drag(app, at, ImVec2(at.x, at.y + 0.25f * h), 5);
    EXPECT_NEAR(ws.session()->session->stems[1].automation.pan[0].value, 0.0, 0.01);
    EXPECT_EQ(ws.undo_depth(), depth + 1);

    // The stereo stem offers width and its send's lane.
    host.wait(app);
    host.click(app, *control(app, "stems[0]:automation"));
    host.frame(app);
    host.wait(app);
    host.click(app, *control(app, "stems[0].automation"));
    host.frame(app);
    EXPECT_TRUE(control(app, "stems[0].automation=width"));
    ASSERT_TRUE(control(app, "stems[0].automation=send_db.verb"));
    host.wait(app);
    host.click(app, *control(app, "stems[0].automation=send_db.verb"));
    host.frame(app);
    const auto send_lane = rect_of(app, "stems[0].automation.send_db.verb");
    ASSERT_TRUE(send_lane);
    host.wait(app);
    host.double_click(app, ImVec2(send_lane->min.x + 0.5f * (send_lane->max.x - send_lane->min.x), send_lane->min.y + 0.5f * (send_lane->max.y - send_lane->min.y)));
    const AutomationLane* send = ws.session()->session->stems[0].automation.send("verb");
    ASSERT_TRUE(send);
    ASSERT_EQ(send->size(), 1u);
    EXPECT_NEAR((*send)[0].value, -18.0, 0.2);  // half way down −48..12 dB

    // A bus: its own Auto button; gain and width lanes only.
    ASSERT_TRUE(control(app, "buses[0]:automation")) << "bus strips have an Auto button";
    host.wait(app);
    host.click(app, *control(app, "buses[0]:automation"));
    host.frame(app);
    host.wait(app);
    host.click(app, *control(app, "buses[0].automation"));
    host.frame(app);
    EXPECT_TRUE(control(app, "buses[0].automation=width"));
    EXPECT_FALSE(control(app, "buses[0].automation=pan"));
    ASSERT_TRUE(control(app, "buses[0].automation=gain_db"));
    host.wait(app);
    host.click(app, *control(app, "buses[0].automation=gain_db"));
    host.frame(app);
    const auto bus_lane = rect_of(app, "buses[0].automation.gain_db");
    ASSERT_TRUE(bus_lane);
    host.wait(app);
    host.double_click(app, ImVec2(bus_lane->min.x + 0.5f * (bus_lane->max.x - bus_lane->min.x), bus_lane->min.y + 0.25f * (bus_lane->max.y - bus_lane->min.y)));
    ASSERT_EQ(ws.session()->session->buses[0].automation.gain_db.size(), 1u);
    EXPECT_NEAR(ws.session()->session->buses[0].automation.gain_db[0].value, -3.0, 0.2);  // a quarter down from +12 on −48..12
    undo_all(ws);
    EXPECT_EQ(*ws.session()->session, original);
}

// Render on edit through the frame loop: an edit renders on its own once it
// settled, through the session's cache, and the mixer shows the meter values
// it measured; the mixer's "Render on edit" box turns it off.
TEST(GuiApp, AnEditRendersOnItsOwnAndTheMixerShowsTheNewMeters) {
    NullHost host;
    TempDir dir;
    use_private_xdg_dirs(dir.path());
    gui::Workstation ws;
    ws.set_backend("cpu");
    ASSERT_TRUE(ws.open({write_session(dir)}));
    ws.settings().render_on_edit_delay_s = 0.05;
    gui::WorkstationApp app(ws);
    app.show(View::Mixer);
    // Frames until the n-th render on edit finished (bounded: a hang fails, never waits forever).
    auto frames_until = [&](size_t n) {
        for (int i = 0; i < 6000 && ws.preview().finished < n; ++i) {
            host.frame(app);
            std::this_thread::sleep_for(std::chrono::milliseconds(10));
        }
        host.frame(app);
        return ws.preview().finished >= n;
    };
    ASSERT_TRUE(ws.execute("remove master"));  // the meter then hears the mix: a fader move shows
    ASSERT_TRUE(frames_until(1)) << ws.preview().error;
    ASSERT_TRUE(ws.preview().meters);
    const double first = ws.preview().meters->integrated_lufs;
    ASSERT_NE(app.controls().find("preview_meters"), nullptr) << "the mixer shows the preview's meters";
    ASSERT_TRUE(ws.execute("set stems[0].gain_db -20"));
    ASSERT_TRUE(frames_until(2)) << ws.preview().error;
    EXPECT_LT(ws.preview().meters->integrated_lufs, first - 1.0) << "the tone came down 20 dB";
    EXPECT_EQ(ws.preview().stems_cached, ws.preview().stems) << "a fader move re-runs no stem insert";
    EXPECT_GT(ws.preview().edit_to_meter_s, 0.0);
    // Off: the box in the mixer, clicked; an edit then renders nothing.
    const gui::ControlMap::Rect* box = app.controls().find("render_on_edit");
    ASSERT_NE(box, nullptr);
    host.click(app, box->centre());
    EXPECT_FALSE(ws.settings().render_on_edit);
    ASSERT_TRUE(ws.execute("set stems[0].gain_db -10"));
    for (int i = 0; i < 30; ++i) {
        host.frame(app);
        std::this_thread::sleep_for(std::chrono::milliseconds(10));
    }
    EXPECT_FALSE(ws.preview().job);
    EXPECT_EQ(ws.preview().finished, 2u);
}

// ---- the master section: match EQ and the limiter's gain reduction over time ----

// The master panel in the mixer, drawn (its auto-sized parts show from the second frame).
void show_master_panel(NullHost& host, gui::Workstation& ws, gui::WorkstationApp& app) {
    app.show(View::Mixer);
    ws.settings().eq_target = "master";
    ws.settings().insert_kind = "master";
    host.frame(app);
    host.frame(app);
}

// The reference typed into the master panel is a `set` through the validator:
// one undo step, saved as written, and after a render its curve is drawn.
TEST(GuiApp, TheMatchEqReferenceIsTypedUndoneAndSaved) {
    NullHost host;
    TempDir dir;
    gui::Workstation ws;
    ws.set_backend("cpu");
    ASSERT_TRUE(ws.open({write_session(dir)}));
    write_wav(dir / "reference.wav", noise(2, 3 * kRate, 9, 0.2), kRate, 24);
    gui::WorkstationApp app(ws);
    show_master_panel(host, ws, app);
    const auto master = [&] { return *ws.session()->session->master; };
    ASSERT_FALSE(master().match_eq);
    const auto field = control(app, "master.match_eq.reference");
    ASSERT_TRUE(field) << "no match-EQ reference field in the master panel";
    host.wait(app);
    host.click(app, *field);
    host.type(app, "reference.wav");
    ASSERT_TRUE(master().match_eq) << "typing a reference and Enter adds the match EQ";
    EXPECT_EQ(master().match_eq->reference, dir / "reference.wav");  // relative to the session file
    EXPECT_TRUE(ws.dirty());
    ASSERT_TRUE(ws.undo());
    EXPECT_FALSE(master().match_eq);
    ASSERT_TRUE(ws.redo());
    ASSERT_TRUE(master().match_eq);
    host.frame(app);
    // The amount, typed (Ctrl+click) into its own control.
    const auto amount = control(app, "master.match_eq.amount");
    ASSERT_TRUE(amount);
    host.wait(app);
    host.click(app, *amount, true);
    host.frame(app);
    host.frame(app);
    host.type(app, "0.5");
    EXPECT_DOUBLE_EQ(master().match_eq->amount, 0.5);

    ASSERT_TRUE(ws.save());
    const json saved = json::parse(read_text(dir / "session.json"));
    EXPECT_EQ(saved["master"]["match_eq"]["reference"], "reference.wav");
    EXPECT_EQ(saved["master"]["match_eq"]["amount"], 0.5);

    EXPECT_FALSE(control(app, "master:match-eq-curve"));
    ASSERT_TRUE(ws.render());
    ws.wait_idle();
    ASSERT_TRUE(ws.render_run().result) << ws.render_run().error;
    host.frame(app);
    host.frame(app);
    EXPECT_TRUE(control(app, "master:match-eq-curve")) << "the report's match-EQ curve is drawn after a render";
}

// A session whose limiter must work (a ceiling under the tone's peak): after
// a render the panel plots the report's series.
TEST(GuiApp, AfterARenderTheMasterPanelPlotsTheLimitersGainReduction) {
    NullHost host;
    TempDir dir;
    gui::Workstation ws;
    ws.set_backend("cpu");
    ASSERT_TRUE(ws.open({write_session(dir)}));
    ASSERT_TRUE(ws.execute("remove master.loudness_target_lufs"));
    ASSERT_TRUE(ws.execute("set master.limiter.ceiling_dbtp -20"));  // the tone peaks near -12 dBFS
    gui::WorkstationApp app(ws);
    show_master_panel(host, ws, app);
    EXPECT_FALSE(control(app, "master:gain-reduction")) << "no plot before a render";
    ASSERT_TRUE(ws.render());
    ws.wait_idle();
    ASSERT_TRUE(ws.render_run().result) << ws.render_run().error;
    host.frame(app);
    host.frame(app);
    EXPECT_TRUE(control(app, "master:gain-reduction"));
    const master::MasterReport& r = *ws.render_run().result->master;
    ASSERT_TRUE(r.limiter);
    EXPECT_GT(r.limiter->max_gain_reduction_db, 1.0);
    ASSERT_EQ(r.gain_reduction_db_over_time.size(), 30u);  // 3 s in 100 ms buckets
    const float deepest = *std::max_element(r.gain_reduction_db_over_time.begin(), r.gain_reduction_db_over_time.end());
    EXPECT_NEAR(deepest, r.limiter->max_gain_reduction_db, 1e-3);
}

}  // namespace
}  // namespace sf::test
