#include "engine/album/album_cue.h"

#include <cmath>
#include <cstdio>
#include <sstream>

namespace sf::album {

int64_t cue_frame_samples(int sample_rate) { return sample_rate / kCueFramesPerSecond; }

std::string cue_time(int64_t samples, int sample_rate) {
    const int64_t frames = (samples * kCueFramesPerSecond * 2 + sample_rate) / (2 * static_cast<int64_t>(sample_rate));  // nearest
    char buf[32];
    std::snprintf(buf, sizeof buf, "%02lld:%02lld:%02lld", static_cast<long long>(frames / (60 * kCueFramesPerSecond)),
                  static_cast<long long>(frames / kCueFramesPerSecond % 60), static_cast<long long>(frames % kCueFramesPerSecond));
    return buf;
}

std::string cue_quote(const std::string& text) {
    std::string out = "\"";
    for (char c : text) {
        if (c == '"' || c == '\\') out += '\\';
        out += c;
    }
    return out + "\"";
}

std::string album_cue_text(const CueDisc& d) {
    std::ostringstream s;
    s << "REM COMMENT \"Stemforge\"\r\n";
    if (!d.catalog.empty()) s << "CATALOG " << d.catalog << "\r\n";
    if (!d.performer.empty()) s << "PERFORMER " << cue_quote(d.performer) << "\r\n";
    if (!d.title.empty()) s << "TITLE " << cue_quote(d.title) << "\r\n";
    if (!d.songwriter.empty()) s << "SONGWRITER " << cue_quote(d.songwriter) << "\r\n";
    s << "FILE " << cue_quote(d.file_name) << " " << (d.format == ExportFormat::Aiff ? "AIFF" : "WAVE") << "\r\n";
    for (size_t i = 0; i < d.tracks.size(); ++i) {
        const CueTrack& t = d.tracks[i];
        char number[24];
        std::snprintf(number, sizeof number, "%02zu", i + 1);
        s << "  TRACK " << number << " AUDIO\r\n";
        if (!t.title.empty()) s << "    TITLE " << cue_quote(t.title) << "\r\n";
        if (!t.performer.empty()) s << "    PERFORMER " << cue_quote(t.performer) << "\r\n";
        if (!t.songwriter.empty()) s << "    SONGWRITER " << cue_quote(t.songwriter) << "\r\n";
        if (!t.isrc.empty()) s << "    ISRC " << t.isrc << "\r\n";
        if (t.index00 >= 0 && t.index00 < t.index01) s << "    INDEX 00 " << cue_time(t.index00, d.sample_rate) << "\r\n";
        s << "    INDEX 01 " << cue_time(t.index01, d.sample_rate) << "\r\n";
    }
    return s.str();
}

bool is_red_book(int sample_rate, int bit_depth) { return sample_rate == kRedBookRate && bit_depth == kRedBookBits; }

Result<void> check_red_book(const CueDisc& d) {
    auto seconds = [&](int64_t samples) {
        char buf[32];
        std::snprintf(buf, sizeof buf, "%.2f s", static_cast<double>(samples) / d.sample_rate);
        return std::string(buf);
    };
    const std::string rule = "a Red Book image (16-bit, 44.1 kHz) ";
    if (d.tracks.size() > static_cast<size_t>(kRedBookMaxTracks))
        return fail(ErrorCode::InvalidSession, d.tracks[kRedBookMaxTracks].label + ": track " + std::to_string(kRedBookMaxTracks + 1) +
                                                   "; " + rule + "holds at most " + std::to_string(kRedBookMaxTracks) + " tracks");
    for (const CueTrack& t : d.tracks) {
        for (int64_t index : {t.index00, t.index01})
            if (index >= 0 && index % kRedBookFrameSamples != 0)
                return fail(ErrorCode::InvalidSession, t.label + ": an INDEX at sample " + std::to_string(index) + " is not on a CD frame; " +
                                                           rule + "puts every INDEX on a multiple of " +
                                                           std::to_string(kRedBookFrameSamples) + " samples");
        if (t.end - t.index01 < kRedBookMinTrackFrames * kRedBookFrameSamples)
            return fail(ErrorCode::InvalidSession, t.label + ": " + seconds(t.end - t.index01) + " long; " + rule +
                                                       "needs every track at least 4 s long");
    }
    for (const CueTrack& t : d.tracks)  // the first track that runs past the limit
        if (t.end > kRedBookMaxFrames * kRedBookFrameSamples)
            return fail(ErrorCode::InvalidSession, t.label + ": ends at " + cue_time(t.end, d.sample_rate) + " (" + seconds(t.end) +
                                                       " into the album); " + rule + "lasts at most 79:57:74 (mm:ss:ff) in all");
    return {};
}

}  // namespace sf::album
