// Edits by path (set / add / remove) against the session model: each lands
// where the path says and nowhere else, and every result passed the parser's
// validator (a refused edit returns its message and changes nothing).
#include <gtest/gtest.h>

#include "engine/session/session_edit.h"

namespace sf {
namespace {

using nlohmann::json;

Session demo() {
    const json j = {{"format", "stemforge-session"},
                    {"version", 1},
                    {"sample_rate", 48000},
                    {"stems", json::array({{{"name", "kick"}, {"file", "kick.wav"}},
                                           {{"name", "lead_vox"}, {"file", "vox.wav"}, {"gain_db", -3.0},
                                            {"eq", {{"mode", "linear"}, {"bands", json::array({{{"type", "bell"}, {"freq_hz", 300}, {"gain_db", -2}, {"q", 1}}})}}}}})},
                    {"buses", json::array({{{"name", "verb"}, {"reverb", {{"ir", "hall.wav"}, {"wet_db", -6}}}}})},
                    {"master", {{"loudness_target_lufs", -14.0}, {"limiter", {{"ceiling_dbtp", -1.0}}}}}};
    auto s = parse_session(j.dump(), "/songs/a", "session.json");
    EXPECT_TRUE(s) << s.error().message;
    return *s;
}

TEST(SessionEdit, SetByNameAndByIndexChangesExactlyThatValue) {
    const Session s = demo();
    auto a = session_set(s, "stems[lead_vox].gain_db", 1.5);
    ASSERT_TRUE(a) << a.error().message;
    EXPECT_DOUBLE_EQ(a->stems[1].gain_db, 1.5);
    Session expected = s;
    expected.stems[1].gain_db = 1.5;
    EXPECT_EQ(*a, expected);

    auto b = session_set(s, "stems[0].mute", true);
    ASSERT_TRUE(b) << b.error().message;
    EXPECT_TRUE(b->stems[0].mute);
    auto c = session_set(s, "master.eq.bands", json::array());  // absent objects on the way are created
    ASSERT_TRUE(c) << c.error().message;
    ASSERT_TRUE(c->master->eq);
    auto d = session_set(s, "buses[verb].reverb.wet_db", -12);
    ASSERT_TRUE(d) << d.error().message;
    EXPECT_DOUBLE_EQ(d->buses[0].reverb->wet_db, -12.0);
    auto e = session_set(s, "stems[lead_vox].eq.bands[0].freq_hz", 250);
    ASSERT_TRUE(e) << e.error().message;
    EXPECT_DOUBLE_EQ(e->stems[1].eq->bands[0].freq_hz, 250.0);
}

TEST(SessionEdit, AddAppendsAndRemoveTakesOneElement) {
    const Session s = demo();
    auto a = session_add(s, "stems[lead_vox].eq.bands", json{{"type", "highpass"}, {"freq_hz", 80}});
    ASSERT_TRUE(a) << a.error().message;
    ASSERT_EQ(a->stems[1].eq->bands.size(), 2u);
    EXPECT_EQ(a->stems[1].eq->bands[1].type, EqBandType::Highpass);
    auto b = session_remove(*a, "stems[lead_vox].eq.bands[0]");
    ASSERT_TRUE(b) << b.error().message;
    ASSERT_EQ(b->stems[1].eq->bands.size(), 1u);
    EXPECT_EQ(b->stems[1].eq->bands[0].type, EqBandType::Highpass);
    auto c = session_remove(s, "stems[kick]");
    ASSERT_TRUE(c) << c.error().message;
    ASSERT_EQ(c->stems.size(), 1u);
    EXPECT_EQ(c->stems[0].name, "lead_vox");
    auto k = session_remove(s, "stems[lead_vox].eq");  // a key: the block is absent again
    ASSERT_TRUE(k) << k.error().message;
    EXPECT_FALSE(k->stems[1].eq);
    auto d = session_add(s, "stems[kick].eq.bands", json{{"type", "bell"}, {"freq_hz", 60}, {"gain_db", 3}});  // creates eq and bands
    ASSERT_TRUE(d) << d.error().message;
    ASSERT_TRUE(d->stems[0].eq);
    EXPECT_EQ(d->stems[0].eq->bands.size(), 1u);
}

TEST(SessionEdit, TheValidatorRefusesWhatBreaksARuleAndNamesThePath) {
    const Session s = demo();
    auto a = session_set(s, "stems[lead_vox].pan", 3);
    ASSERT_FALSE(a);
    EXPECT_NE(a.error().message.find("stems[1].pan"), std::string::npos) << a.error().message;
    auto b = session_set(s, "stems[lead_vox].gain_db", "loud");
    ASSERT_FALSE(b);
    EXPECT_NE(b.error().message.find("stems[1].gain_db"), std::string::npos) << b.error().message;
    auto c = session_set(s, "stems[lead_vox].volume", 1);  // not a key of the schema
    ASSERT_FALSE(c);
    EXPECT_NE(c.error().message.find("volume"), std::string::npos) << c.error().message;
    auto d = session_set(s, "stems[1].output", "nowhere");
    ASSERT_FALSE(d);
    EXPECT_NE(d.error().message.find("stems[1].output"), std::string::npos) << d.error().message;
}

TEST(SessionEdit, BadPathsAreErrorsNamingThePath) {
    const Session s = demo();
    for (const char* p : {"", "stems[", "stems[]", "stems[nobody].gain_db", "stems[7].gain_db", "master.", "stems.gain_db", ".x"}) {
        auto r = session_set(s, p, 1);
        ASSERT_FALSE(r) << p;
        EXPECT_NE(r.error().message.find(p), std::string::npos) << p << ": " << r.error().message;
    }
    EXPECT_FALSE(session_remove(s, "stems[kick].compressor"));  // not set: nothing to remove
    EXPECT_FALSE(session_add(s, "stems[kick]", json::object()));    // add takes the array
}

TEST(SessionEdit, ARoundTripThroughAnEditAndBackIsTheSameSession) {
    const Session s = demo();
    auto up = session_set(s, "stems[lead_vox].gain_db", 0.0);
    ASSERT_TRUE(up);
    auto back = session_set(*up, "stems[lead_vox].gain_db", -3.0);
    ASSERT_TRUE(back);
    EXPECT_EQ(*back, s);
    EXPECT_EQ(to_json(*back), to_json(s));
}

}  // namespace
}  // namespace sf

namespace sf {
namespace {

// An automated send's lane is the JSON path automation.send_db.<bus>: set
// twice through the edit language, it stays one lane.
TEST(SessionEdit, SendAutomationLanesAreEditableByPath) {
    auto s = parse_session(R"({"format": "stemforge-session", "version": 1,
        "stems": [{"name": "lead", "file": "l.wav", "sends": [{"bus": "echo"}]}],
        "buses": [{"name": "echo", "delay": {"time_ms": 300}}]})", "/base", "s.json");
    ASSERT_TRUE(s) << s.error().message;
    auto a = session_set(*s, "stems[lead].automation.send_db.echo", nlohmann::json::parse("[[0, -20], [4, 0]]"));
    ASSERT_TRUE(a) << a.error().message;
    auto b = session_set(*a, "stems[lead].automation.send_db.echo", nlohmann::json::parse("[[0, -10]]"));
    ASSERT_TRUE(b) << b.error().message;
    ASSERT_EQ(b->stems[0].automation.send_db.size(), 1u);
    EXPECT_EQ(b->stems[0].automation.send_db[0].level_db, (AutomationLane{{0.0, -10.0}}));
}

}  // namespace
}  // namespace sf
