// The album image's CUE sheet and the Red Book rules (engine/album/album_cue.h):
// positions as mm:ss:ff (75 frames a second), quoted texts escaped, and
// every Red Book breach an error naming the track.
#include <gtest/gtest.h>

#include "engine/album/album_cue.h"

namespace sf::album {
namespace {

constexpr int64_t F = kRedBookFrameSamples;  // 588

CueDisc disc_of(const std::vector<std::pair<int64_t, int64_t>>& gap_and_music_frames) {
    CueDisc d;
    d.file_name = "album.wav";
    int64_t at = 0;
    for (size_t i = 0; i < gap_and_music_frames.size(); ++i) {
        CueTrack t;
        t.label = "tracks[" + std::to_string(i) + "] \"T" + std::to_string(i + 1) + "\"";
        t.title = "T" + std::to_string(i + 1);
        if (gap_and_music_frames[i].first > 0) t.index00 = at;
        at += gap_and_music_frames[i].first * F;
        t.index01 = at;
        at += gap_and_music_frames[i].second * F;
        t.end = at;
        d.tracks.push_back(t);
    }
    return d;
}

TEST(AlbumCue, TimesAreFramesOf588Samples) {
    EXPECT_EQ(cue_frame_samples(44100), 588);
    EXPECT_EQ(cue_frame_samples(48000), 640);
    EXPECT_EQ(cue_time(0, 44100), "00:00:00");
    EXPECT_EQ(cue_time(588, 44100), "00:00:01");
    EXPECT_EQ(cue_time(44100, 44100), "00:01:00");
    EXPECT_EQ(cue_time((61 * 75 + 74) * 588LL, 44100), "01:01:74");
    EXPECT_EQ(cue_time(293, 44100), "00:00:00");  // nearest frame
    EXPECT_EQ(cue_time(295, 44100), "00:00:01");
    EXPECT_EQ(cue_time(int64_t{100} * 60 * 44100, 44100), "100:00:00");
}

TEST(AlbumCue, QuotesAndBackslashesAreEscaped) {
    EXPECT_EQ(cue_quote("Say \"Hi\""), "\"Say \\\"Hi\\\"\"");
    EXPECT_EQ(cue_quote("a\\b"), "\"a\\\\b\"");
    CueDisc d = disc_of({{150, 400}, {0, 400}});
    d.catalog = "0123456789012";
    d.title = "The \"Best\" Of";
    d.performer = "Band";
    d.tracks[0].isrc = "USS1Z2600001";
    d.tracks[1].performer = "Guest";
    const std::string text = album_cue_text(d);
    EXPECT_EQ(text,
              "REM COMMENT \"Stemforge\"\r\n"
              "CATALOG 0123456789012\r\n"
              "PERFORMER \"Band\"\r\n"
              "TITLE \"The \\\"Best\\\" Of\"\r\n"
              "FILE \"album.wav\" WAVE\r\n"
              "  TRACK 01 AUDIO\r\n"
              "    TITLE \"T1\"\r\n"
              "    ISRC USS1Z2600001\r\n"
              "    INDEX 00 00:00:00\r\n"
              "    INDEX 01 00:02:00\r\n"
              "  TRACK 02 AUDIO\r\n"
              "    TITLE \"T2\"\r\n"
              "    PERFORMER \"Guest\"\r\n"
              "    INDEX 01 00:07:25\r\n");
}

TEST(AlbumCue, RedBookAcceptsAValidDisc) {
    EXPECT_TRUE(is_red_book(44100, 16));
    EXPECT_FALSE(is_red_book(48000, 16));
    EXPECT_FALSE(is_red_book(44100, 24));
    EXPECT_TRUE(check_red_book(disc_of({{150, 300}, {75, 20000}, {0, 300}})));
}

TEST(AlbumCue, RedBookBreachesNameTheTrack) {
    // A track under 4 s (299 frames from its INDEX 01).
    auto r = check_red_book(disc_of({{150, 400}, {150, 299}, {0, 400}}));
    ASSERT_FALSE(r);
    EXPECT_EQ(r.error().code, ErrorCode::InvalidSession);
    EXPECT_EQ(r.error().message.rfind("tracks[1] \"T2\": 3.99 s long; a Red Book image", 0), 0u) << r.error().message;

    // An INDEX off the 588-sample grid.
    CueDisc d = disc_of({{150, 400}, {150, 400}});
    d.tracks[1].index01 += 1;
    r = check_red_book(d);
    ASSERT_FALSE(r);
    EXPECT_EQ(r.error().message.rfind("tracks[1] \"T2\": an INDEX at sample", 0), 0u) << r.error().message;
    d = disc_of({{150, 400}, {150, 400}});
    d.tracks[1].index00 -= 100;
    r = check_red_book(d);
    ASSERT_FALSE(r);
    EXPECT_EQ(r.error().message.rfind("tracks[1] \"T2\": an INDEX at sample", 0), 0u) << r.error().message;

    // 100 tracks.
    r = check_red_book(disc_of(std::vector<std::pair<int64_t, int64_t>>(100, {0, 300})));
    ASSERT_FALSE(r);
    EXPECT_EQ(r.error().message.rfind("tracks[99] \"T100\": track 100; a Red Book image", 0), 0u) << r.error().message;

    // Past 79:57:74: the limit itself passes, one frame more names the track that crosses it.
    const int64_t limit = kRedBookMaxFrames;
    EXPECT_TRUE(check_red_book(disc_of({{0, limit - 1000}, {150, 850}})));
    r = check_red_book(disc_of({{0, limit - 1000}, {150, 851}}));
    ASSERT_FALSE(r);
    EXPECT_EQ(r.error().message.rfind("tracks[1] \"T2\": ends at 79:58:00", 0), 0u) << r.error().message;
}

}  // namespace
}  // namespace sf::album
