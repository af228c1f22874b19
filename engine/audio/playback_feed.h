// Stemforge — the engine side of playback: audio files decoded ahead into a
// lock-free ring and handed to an audio device callback as interleaved float.
//
// Threads and real-time safety:
//   - A feeder thread (or the caller of pump(), see Options) opens the sources
//     (AudioSource, resampled to the device rate by the engine's one soxr
//     wrapper), maps their channels to the device's, and writes frames into a
//     single-producer/single-consumer ring.
//   - render() runs on the device's callback thread: it only reads the ring
//     and a few atomics. No allocation, no lock, no file I/O, no syscall.
//   - Control calls (select, set_gain_db, seek, set_loop) and the read-outs
//     (position, finished, error) are safe from any thread.
//
// One timeline: the sources (A and, for an A/B comparison, B) advance
// together, frame t of the output being frame t of each source at the device
// rate (a shorter source is padded with silence to the longer one's end).
// The ring carries both sources' frames side by side, so an A/B switch acts
// at the very next frame handed to the device, at the same position.
//
// A/B switch: an equal-gain (linear) crossfade of kAbCrossfadeMs. The k-th
// frame rendered after the switch is seen (k = 0, 1, ...) is
//     out = (1 - w_k) * from + w_k * to,   w_k = min(k + 1, N) / N,
// N = crossfade_frames() = round(kAbCrossfadeMs * rate / 1000). Equal gain,
// not equal power, because the two sources of an A/B are nearly the same
// signal (correlated): linear weights keep the level flat through the fade
// where equal-power weights would bump it by up to 3 dB. A switch back during
// a fade reverses from the current weight, so there is never a jump.
//
// Gains: each source is multiplied by 10^(gain_db / 20) in render(); with no
// fade in progress the output is exactly source × gain (one float multiply).
#pragma once

#include <atomic>
#include <cstdint>
#include <filesystem>
#include <memory>
#include <optional>
#include <string>

#include "engine/core/error.h"

namespace sf {

enum class AbSide { A = 0, B = 1 };

struct PlaybackSource {
    std::filesystem::path file;
    double gain_db = 0.0;  // the A/B loudness match, e.g. target_lufs - integrated_lufs
    std::string label;     // names the source in messages, e.g. "GPU render"
};

// A loop [start_s, end_s) on the source timeline, in seconds. Boundaries
// become device frames by rounding (round(s * rate)); the frame at end is
// never played, the frame after end - 1 is the frame at start.
struct LoopRegion {
    double start_s = 0.0;
    double end_s = 0.0;
};

struct PlaybackRequest {
    PlaybackSource a;
    std::optional<PlaybackSource> b;   // set for an A/B comparison
    double start_s = 0.0;              // first frame played: round(start_s * rate)
    std::optional<LoopRegion> loop;
    AbSide selected = AbSide::A;       // B only when b is set
};

// What the device takes: interleaved float32 at this rate and channel count.
struct DeviceFormat {
    int sample_rate = 48000;
    int channels = 2;
};

class PlaybackFeed {
public:
    static constexpr double kAbCrossfadeMs = 10.0;

    struct Options {
        // true: a feeder thread keeps the ring full. false: nothing decodes
        // until the caller calls pump() (deterministic tests, offline use).
        bool feeder_thread = true;
        // Ring capacity in frames, rounded up to a power of two. 0: about
        // 0.5 s at the device rate. A loop wrap and a seek cost a refill, so
        // the ring only needs to cover the feeder's scheduling jitter.
        int64_t ring_frames = 0;
        // Loops up to this long are kept decoded in memory after their first
        // pass (every wrap then costs nothing); longer ones re-decode from
        // the file's start at each wrap.
        double max_cached_loop_s = 600.0;
    };

    // Opens the sources (probing their length) and, with feeder_thread,
    // starts decoding. Errors: a source cannot be opened (FileNotFound,
    // FileRead, NotSupported), a loop that is empty or starts past its end,
    // a format out of range (InvalidArgument). Nothing is left running on error.
    static Result<std::unique_ptr<PlaybackFeed>> open(const PlaybackRequest& request, const DeviceFormat& format,
                                                      const Options& options);
    static Result<std::unique_ptr<PlaybackFeed>> open(const PlaybackRequest& request, const DeviceFormat& format) {
        return open(request, format, Options{});
    }
    ~PlaybackFeed();  // stops and joins the feeder thread
    PlaybackFeed(const PlaybackFeed&) = delete;
    PlaybackFeed& operator=(const PlaybackFeed&) = delete;

    // --- the device callback (one thread at a time) --------------------------
    // Writes `frames` interleaved frames of format().channels channels to
    // `out`. Frames the ring does not hold yet (an underrun, a seek being
    // decoded, the end) are silence. Real-time safe.
    void render(float* out, int64_t frames) noexcept;

    // --- control, from any thread ---------------------------------------------
    void select(AbSide side);            // asserts side == A unless has_b()
    AbSide selected() const;             // the side being switched to (or playing)
    void set_gain_db(AbSide side, double gain_db);
    // Moves playback to `seconds` (clamped to [0, duration]). Frames already
    // decoded are dropped at the next render(); until the new position is
    // decoded render() gives silence. position_s() jumps at once.
    void seek(double seconds);
    // Replaces the loop (nullopt: none) and continues from the current
    // position, as seek(position_s()) does. Errors: an empty or reversed region.
    Result<void> set_loop(std::optional<LoopRegion> loop);

    // --- read-outs, from any thread -------------------------------------------
    // The source-timeline position at the end of what render() last handed
    // to the device, in frames at the device rate (after a seek: its target).
    int64_t position_frames() const;
    double position_s() const;
    bool finished() const;               // the end was reached and everything before it rendered
    int64_t underrun_frames() const;     // silent frames render() gave because the ring was empty (not after the end)
    std::optional<Error> error() const;  // a decode failure; playback then ends as at the end of the source

    // --- fixed facts ----------------------------------------------------------
    const DeviceFormat& format() const;
    bool has_b() const;
    int64_t duration_frames() const;     // the longer source's length at the device rate
    double duration_s() const;
    int64_t crossfade_frames() const;    // N above
    int64_t ring_capacity_frames() const;

    // Without a feeder thread: decodes until the ring is full or the end (of
    // the current seek/loop state) is in it. Call it from the thread that
    // calls render() (it also drops what a seek made stale). Not real-time
    // safe. With a feeder thread this asserts.
    void pump();
    // Blocks the calling (non-real-time) thread until the ring holds at least
    // `frames` frames or the end, or `timeout_s` passes; returns whether it
    // did. For starting a stream without an initial underrun.
    bool wait_buffered(int64_t frames, double timeout_s) const;

private:
    struct Impl;
    explicit PlaybackFeed(std::unique_ptr<Impl> impl);
    std::unique_ptr<Impl> impl_;
};

}  // namespace sf
