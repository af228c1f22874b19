// Stemforge workstation — playback through the system's audio output
// (PortAudio over ALSA).
//
// A Playback owns one PortAudio output stream and the engine's PlaybackFeed
// that fills it (decoding, resampling, loop, A/B crossfade and gains all live
// in the feed; this file only chooses a device and runs the stream).
//
// No device is not an error: available() is false and unavailable_reason()
// says why, in one line the UI shows beside a greyed-out play button.
//
// Device choice: the device whose PortAudio name contains the value of
// STEMFORGE_AUDIO_DEVICE (case-insensitive; read when the Playback is made),
// else PortAudio's default output. Interleaved float32, at most two channels,
// at the device's default rate unless PlaybackOptions::sample_rate says.
//
// Threads: every member is called from one thread (the UI's). The stream's
// callback runs on PortAudio's thread and only calls PlaybackFeed::render().
// play() opens the stream and waits at most prefill_timeout_s for the first
// prefill_s of audio; nothing else waits.
#pragma once

#include <memory>
#include <optional>
#include <string>

#include "engine/audio/playback_feed.h"
#include "engine/core/error.h"

namespace sf::gui {

struct PlaybackOptions {
    int sample_rate = 0;             // 0: the device's default rate
    double ring_s = 0.5;             // decoded-ahead audio held for the device (PlaybackFeed's ring)
    double prefill_s = 0.1;          // play() starts the stream once this much is decoded...
    double prefill_timeout_s = 0.25; // ...or this much time has passed (then it starts with silence)
};

class Playback {
public:
    // Initialises PortAudio and picks the device. Never fails: see available().
    explicit Playback(PlaybackOptions options = {});
    ~Playback();  // stops the stream, terminates PortAudio
    Playback(const Playback&) = delete;
    Playback& operator=(const Playback&) = delete;

    bool available() const;                        // a device was found and PortAudio runs
    const std::string& unavailable_reason() const; // empty when available()
    const std::string& device_name() const;        // e.g. "default (ALSA)"; empty when unavailable
    DeviceFormat format() const;                   // what streams open with; meaningful when available()

    // Stops what plays, opens the sources and the stream, and starts. Errors:
    // unavailable (Device, with the reason), a source or loop the feed refuses
    // (its error), the stream cannot be opened or started (Device, PortAudio's
    // message). On error nothing plays.
    Result<void> play(const PlaybackRequest& request);
    void stop();                                   // no-op when stopped; position_s() keeps the last position

    bool playing() const;                          // a stream runs (it plays silence after finished())
    bool finished() const;                         // the sources' end has been handed to the device
    bool has_b() const;                            // the current play is an A/B
    void select(AbSide side);                      // no-op when stopped or (for B) without a B
    void toggle_ab();                              // A <-> B with the feed's crossfade
    AbSide selected() const;
    void set_gain_db(AbSide side, double gain_db); // no-op when stopped
    void seek(double seconds);                     // no-op when stopped
    Result<void> set_loop(std::optional<LoopRegion> loop);  // Error when stopped or the region is empty
    double position_s() const;                     // for the play cursor: the end of what was handed to the device
    double duration_s() const;                     // 0 when nothing was played yet
    int64_t underrun_frames() const;               // silent frames the device got because decoding lagged
    std::optional<Error> feed_error() const;       // a decode failure while playing

private:
    struct Impl;
    std::unique_ptr<Impl> impl_;
};

}  // namespace sf::gui
