#include "engine/audio/playback_feed.h"

#include <algorithm>
#include <array>
#include <bit>
#include <cassert>
#include <chrono>
#include <cmath>
#include <mutex>
#include <thread>
#include <vector>

#include "engine/audio/audio_buffer.h"
#include "engine/audio/audio_file.h"

namespace sf {

namespace {

// render() must never take a lock: every atomic it touches is lock-free.
static_assert(std::atomic<float>::is_always_lock_free && std::atomic<int64_t>::is_always_lock_free &&
              std::atomic<uint64_t>::is_always_lock_free && std::atomic<uint32_t>::is_always_lock_free &&
              std::atomic<int>::is_always_lock_free);

constexpr int64_t kFeedChunkFrames = 2048;         // frames decoded per feeder step
constexpr int kMaxSourceChannels = 8;              // 7.1; more device channels than this stay silent
constexpr auto kFeederIdleSleep = std::chrono::milliseconds(3);  // ring full or at the end

float db_to_gain(double gain_db) { return static_cast<float>(std::pow(10.0, gain_db / 20.0)); }

// One source on the device-rate timeline: a decoding stream that can be
// repositioned (forwards by decoding, backwards by reopening: AudioSource
// decodes strictly in order, and a fresh decode from the start is what makes
// every position bit-identical to an uninterrupted play), plus the optional
// decoded loop region.
class TimelineReader {
public:
    static Result<TimelineReader> open(const PlaybackSource& source, int rate) {
        TimelineReader reader;
        reader.options_.target_rate = rate;
        reader.options_.max_channels = kMaxSourceChannels;
        reader.options_.label = source.label;
        reader.file_ = source.file;
        auto stream = AudioSource::open(source.file, reader.options_);
        if (!stream) return std::unexpected(stream.error());
        reader.channels_ = stream->channels();
        reader.frames_ = stream->frames();
        reader.stream_.emplace(std::move(*stream));
        reader.scratch_.resize(reader.channels_, kFeedChunkFrames);
        return reader;
    }

    int channels() const { return channels_; }
    int64_t frames() const { return frames_; }

    // Timeline frames [position, position + count) into out[0, count) of each
    // channel (zeros past the source's end). count <= kFeedChunkFrames.
    Result<void> read(int64_t position, int64_t count, AudioBuffer& out) {
        if (cache_valid_ && position >= cache_start_ && position + count <= cache_start_ + cache_.frames()) {
            for (int c = 0; c < channels_; ++c)
                std::copy_n(cache_.channel(c) + (position - cache_start_), count, out.channel(c));
            return {};
        }
        if (auto moved = move_to(position); !moved) return moved;
        auto got = stream_->read(out, count);
        if (!got) return std::unexpected(got.error());
        stream_position_ += count;
        return {};
    }

    // Decodes [start, end) into memory; later reads inside it never touch the file.
    Result<void> cache_region(int64_t start, int64_t end) {
        if (cache_valid_ && cache_start_ == start && cache_.frames() == end - start) return {};
        cache_valid_ = false;
        if (auto moved = move_to(start); !moved) return moved;
        cache_.resize(channels_, end - start);
        auto got = stream_->read(cache_, end - start);
        if (!got) return std::unexpected(got.error());
        stream_position_ = end;
        cache_start_ = start;
        cache_valid_ = true;
        return {};
    }
    void drop_cache() {
        cache_valid_ = false;
        cache_ = AudioBuffer();
    }

private:
    Result<void> move_to(int64_t position) {
        if (!stream_ || stream_position_ > position) {
            stream_.reset();
            auto stream = AudioSource::open(file_, options_);
            if (!stream) return std::unexpected(stream.error());
            stream_.emplace(std::move(*stream));
            stream_position_ = 0;
        }
        while (stream_position_ < position) {
            const int64_t n = std::min(kFeedChunkFrames, position - stream_position_);
            auto got = stream_->read(scratch_, n);
            if (!got) return std::unexpected(got.error());
            stream_position_ += n;
        }
        return {};
    }

    std::filesystem::path file_;
    SourceOptions options_;
    std::optional<AudioSource> stream_;
    int64_t stream_position_ = 0;
    int channels_ = 0;
    int64_t frames_ = 0;
    AudioBuffer scratch_;
    AudioBuffer cache_;
    int64_t cache_start_ = 0;
    bool cache_valid_ = false;
};

struct LoopFrames {
    int64_t start = 0, end = 0;
    bool operator==(const LoopFrames&) const = default;
};

}  // namespace

struct PlaybackFeed::Impl {
    // Where a ring frame came from: its timeline frame and the seek generation
    // it was decoded for (frames of an older generation are dropped unplayed).
    struct FrameTag {
        int64_t frame = 0;
        uint32_t generation = 0;
    };
    struct Reposition {
        int64_t frame = 0;
        std::optional<LoopFrames> loop;
    };

    DeviceFormat format;
    Options options;
    int64_t duration = 0;
    int64_t crossfade = 1;
    bool with_b = false;
    int stride = 0;  // floats per ring frame: device channels × sources

    // The ring: frame i lives at samples[(i & mask) * stride] and tags[i & mask].
    // Indices count frames ever written/read (64-bit, never wrap).
    int64_t capacity = 0;
    uint64_t mask = 0;
    std::vector<float> samples;
    std::vector<FrameTag> tags;
    alignas(64) std::atomic<uint64_t> write_index{0};  // producer stores, release
    alignas(64) std::atomic<uint64_t> read_index{0};   // consumer stores, release

    // Control (any thread) -> feeder. A reposition bumps `requested` under the
    // mutex; the feeder applies it and tags what it decodes with it.
    std::mutex request_mutex;
    Reposition pending;
    alignas(64) std::atomic<uint32_t> requested{1};
    std::atomic<uint32_t> ended{0};        // the generation whose end is in the ring; 0: none
    std::atomic<int> target_side{0};
    std::atomic<float> gain[2] = {1.0f, 1.0f};
    std::atomic<int64_t> position{0};
    std::atomic<int64_t> underruns{0};
    mutable std::mutex error_mutex;
    std::optional<Error> failure;

    // Callback-thread state.
    int64_t fade_position = 0;  // 0: all A, crossfade: all B

    // Feeder-thread state.
    std::array<std::optional<TimelineReader>, 2> readers;
    std::array<AudioBuffer, 2> chunk;
    uint32_t applied = 0;
    int64_t timeline = 0;
    std::optional<LoopFrames> loop;
    bool at_end = false;

    std::atomic<bool> quit{false};
    std::thread feeder;  // last: joined before the state above goes away

    ~Impl() {
        quit.store(true);
        if (feeder.joinable()) feeder.join();
    }

    void fail_feed(Error e) {
        {
            std::lock_guard lock(error_mutex);
            if (!failure) failure = std::move(e);
        }
        at_end = true;
        ended.store(applied, std::memory_order_release);
    }

    void apply_request() {
        const uint32_t now = requested.load(std::memory_order_acquire);
        if (now == applied) return;
        Reposition r;
        {
            std::lock_guard lock(request_mutex);
            r = pending;
            applied = requested.load(std::memory_order_relaxed);
        }
        if (r.loop != loop)
            for (auto& reader : readers)
                if (reader) reader->drop_cache();
        loop = r.loop;
        timeline = r.frame;
        at_end = false;
    }

    // Decodes one chunk into the ring; false when there is nothing to do (the
    // ring is full or the end of this generation is already in it).
    bool produce() {
        if (at_end) return false;
        const uint64_t w = write_index.load(std::memory_order_relaxed);
        const uint64_t r = read_index.load(std::memory_order_acquire);
        const int64_t space = capacity - static_cast<int64_t>(w - r);
        if (space <= 0) return false;

        const bool looping = loop && timeline < loop->end;
        const int64_t stop = looping ? loop->end : duration;
        if (timeline >= stop) {
            at_end = true;
            ended.store(applied, std::memory_order_release);
            return false;
        }
        const int64_t n = std::min({space, kFeedChunkFrames, stop - timeline});
        if (looping && timeline >= loop->start && loop->end - loop->start <= max_cached_loop_frames()) {
            for (auto& reader : readers)
                if (reader)
                    if (auto cached = reader->cache_region(loop->start, loop->end); !cached) {
                        fail_feed(cached.error());
                        return false;
                    }
        }
        for (size_t s = 0; s < readers.size(); ++s) {
            if (!readers[s]) continue;
            if (auto got = readers[s]->read(timeline, n, chunk[s]); !got) {
                fail_feed(got.error());
                return false;
            }
        }
        const int channels = format.channels;
        for (int64_t i = 0; i < n; ++i) {
            const uint64_t slot = (w + static_cast<uint64_t>(i)) & mask;
            float* frame = samples.data() + slot * static_cast<uint64_t>(stride);
            for (size_t s = 0; s < readers.size(); ++s) {
                if (!readers[s]) continue;
                map_channels(chunk[s], i, frame + static_cast<size_t>(s) * static_cast<size_t>(channels), channels);
            }
            tags[slot] = FrameTag{timeline + i, applied};
        }
        write_index.store(w + static_cast<uint64_t>(n), std::memory_order_release);
        timeline += n;
        if (looping && timeline == loop->end) timeline = loop->start;
        return true;
    }

    int64_t max_cached_loop_frames() const {
        return static_cast<int64_t>(options.max_cached_loop_s * format.sample_rate);
    }

    // Source channels to device channels: mono feeds the first two device
    // channels; otherwise channel c feeds channel c, extra source channels
    // are dropped and extra device channels stay silent.
    static void map_channels(const AudioBuffer& source, int64_t i, float* out, int device_channels) {
        const int sc = source.channels();
        for (int c = 0; c < device_channels; ++c) {
            float v = 0.0f;
            if (sc == 1) {
                if (c < 2) v = source.channel(0)[i];
            } else if (c < sc) {
                v = source.channel(c)[i];
            }
            out[c] = v;
        }
    }

    void feeder_loop() {
        while (!quit.load(std::memory_order_relaxed)) {
            apply_request();
            if (!produce()) std::this_thread::sleep_for(kFeederIdleSleep);
        }
    }

    // keep_loop: a seek; otherwise the loop becomes new_loop.
    void request_reposition(int64_t frame, bool keep_loop, std::optional<LoopFrames> new_loop) {
        std::lock_guard lock(request_mutex);
        pending.frame = std::clamp<int64_t>(frame, 0, duration);
        if (!keep_loop) pending.loop = new_loop;
        position.store(pending.frame, std::memory_order_relaxed);
        requested.store(requested.load(std::memory_order_relaxed) + 1, std::memory_order_release);
    }

    Result<std::optional<LoopFrames>> loop_frames(const std::optional<LoopRegion>& region) const {
        if (!region) return std::optional<LoopFrames>{};
        if (!std::isfinite(region->start_s) || !std::isfinite(region->end_s))
            return fail(ErrorCode::InvalidArgument, "loop: bounds must be finite");
        LoopFrames f;
        f.start = std::llround(region->start_s * format.sample_rate);
        f.end = std::min<int64_t>(std::llround(region->end_s * format.sample_rate), duration);
        if (f.start < 0 || f.start >= f.end)
            return fail(ErrorCode::InvalidArgument, "loop: [" + std::to_string(region->start_s) + " s, " + std::to_string(region->end_s) +
                                                        " s) is empty or outside the source (" + std::to_string(duration_s()) + " s)");
        return std::optional<LoopFrames>{f};
    }
    double duration_s() const { return static_cast<double>(duration) / format.sample_rate; }
};

PlaybackFeed::PlaybackFeed(std::unique_ptr<Impl> impl) : impl_(std::move(impl)) {}
PlaybackFeed::~PlaybackFeed() = default;

Result<std::unique_ptr<PlaybackFeed>> PlaybackFeed::open(const PlaybackRequest& request, const DeviceFormat& format,
                                                         const Options& options) {
    if (format.sample_rate < 8000 || format.sample_rate > 768000 || format.channels < 1 || format.channels > 64)
        return fail(ErrorCode::InvalidArgument, "playback: device format " + std::to_string(format.sample_rate) + " Hz, " +
                                                    std::to_string(format.channels) + " channels is out of range");
    if (!request.b && request.selected == AbSide::B)
        return fail(ErrorCode::InvalidArgument, "playback: B selected but only one source given");
    auto impl = std::make_unique<Impl>();
    impl->format = format;
    impl->options = options;
    impl->with_b = request.b.has_value();
    impl->stride = format.channels * (impl->with_b ? 2 : 1);

    auto a = TimelineReader::open(request.a, format.sample_rate);
    if (!a) return std::unexpected(a.error());
    impl->readers[0].emplace(std::move(*a));
    impl->duration = impl->readers[0]->frames();
    if (request.b) {
        auto b = TimelineReader::open(*request.b, format.sample_rate);
        if (!b) return std::unexpected(b.error());
        impl->readers[1].emplace(std::move(*b));
        impl->duration = std::max(impl->duration, impl->readers[1]->frames());
    }
    for (size_t s = 0; s < 2; ++s)
        if (impl->readers[s]) impl->chunk[s].resize(impl->readers[s]->channels(), kFeedChunkFrames);

    auto loop = impl->loop_frames(request.loop);
    if (!loop) return std::unexpected(loop.error());
    if (!std::isfinite(request.start_s)) return fail(ErrorCode::InvalidArgument, "playback: start must be finite");

    const int64_t wanted = options.ring_frames > 0 ? options.ring_frames : format.sample_rate / 2;
    impl->capacity = static_cast<int64_t>(std::bit_ceil(static_cast<uint64_t>(std::max<int64_t>(wanted, kFeedChunkFrames))));
    impl->mask = static_cast<uint64_t>(impl->capacity) - 1;
    impl->samples.assign(static_cast<size_t>(impl->capacity) * static_cast<size_t>(impl->stride), 0.0f);
    impl->tags.assign(static_cast<size_t>(impl->capacity), Impl::FrameTag{});
    impl->crossfade = std::max<int64_t>(1, std::llround(kAbCrossfadeMs * format.sample_rate / 1000.0));
    impl->target_side.store(static_cast<int>(request.selected));
    impl->fade_position = request.selected == AbSide::B ? impl->crossfade : 0;
    impl->gain[0].store(db_to_gain(request.a.gain_db));
    impl->gain[1].store(request.b ? db_to_gain(request.b->gain_db) : 1.0f);

    impl->pending.frame = std::clamp<int64_t>(std::llround(request.start_s * format.sample_rate), 0, impl->duration);
    impl->pending.loop = *loop;
    impl->position.store(impl->pending.frame);
    impl->requested.store(1);

    std::unique_ptr<PlaybackFeed> feed(new PlaybackFeed(std::move(impl)));
    if (options.feeder_thread) {
        Impl* state = feed->impl_.get();
        state->feeder = std::thread([state] { state->feeder_loop(); });
    }
    return feed;
}

void PlaybackFeed::render(float* out, int64_t frames) noexcept {
    Impl& f = *impl_;
    const int channels = f.format.channels;
    uint32_t generation = f.requested.load(std::memory_order_acquire);
    const uint32_t ended = f.ended.load(std::memory_order_acquire);
    const uint64_t w = f.write_index.load(std::memory_order_acquire);
    uint64_t r = f.read_index.load(std::memory_order_relaxed);
    const int64_t target = f.target_side.load(std::memory_order_relaxed) == 1 ? f.crossfade : 0;
    const float gain_a = f.gain[0].load(std::memory_order_relaxed);
    const float gain_b = f.gain[1].load(std::memory_order_relaxed);
    const float inverse_crossfade = 1.0f / static_cast<float>(f.crossfade);

    int64_t done = 0;
    int64_t last_frame = -1;
    while (done < frames) {
        // Drop frames decoded before the latest seek. A tag newer than the
        // generation read above means a seek landed meanwhile: re-read it.
        while (r < w && f.tags[r & f.mask].generation != generation) {
            generation = f.requested.load(std::memory_order_acquire);
            if (f.tags[r & f.mask].generation != generation) ++r;
        }
        if (r == w) break;
        const uint64_t slot = r & f.mask;
        const float* a = f.samples.data() + slot * static_cast<uint64_t>(f.stride);
        float* o = out + done * channels;
        if (f.fade_position != target) f.fade_position += target > f.fade_position ? 1 : -1;
        if (f.fade_position == 0) {
            for (int c = 0; c < channels; ++c) o[c] = a[c] * gain_a;
        } else if (f.fade_position == f.crossfade) {
            const float* b = a + channels;
            for (int c = 0; c < channels; ++c) o[c] = b[c] * gain_b;
        } else {
            const float* b = a + channels;
            const float wb = static_cast<float>(f.fade_position) * inverse_crossfade;
            const float wa = 1.0f - wb;
            for (int c = 0; c < channels; ++c) o[c] = wa * (a[c] * gain_a) + wb * (b[c] * gain_b);
        }
        last_frame = f.tags[slot].frame;
        ++r;
        ++done;
    }
    if (done < frames) {
        std::fill(out + done * channels, out + frames * channels, 0.0f);
        if (ended != generation) f.underruns.fetch_add(frames - done, std::memory_order_relaxed);
    }
    f.read_index.store(r, std::memory_order_release);
    if (last_frame >= 0) f.position.store(last_frame + 1, std::memory_order_relaxed);
}

void PlaybackFeed::select(AbSide side) {
    assert((side == AbSide::A || impl_->with_b) && "PlaybackFeed::select(B) needs a B source");
    if (side == AbSide::B && !impl_->with_b) return;
    impl_->target_side.store(static_cast<int>(side), std::memory_order_relaxed);
}
AbSide PlaybackFeed::selected() const { return impl_->target_side.load(std::memory_order_relaxed) == 1 ? AbSide::B : AbSide::A; }

void PlaybackFeed::set_gain_db(AbSide side, double gain_db) {
    impl_->gain[static_cast<int>(side)].store(db_to_gain(gain_db), std::memory_order_relaxed);
}

void PlaybackFeed::seek(double seconds) {
    if (!std::isfinite(seconds)) return;
    impl_->request_reposition(std::llround(seconds * impl_->format.sample_rate), true, std::nullopt);
}

Result<void> PlaybackFeed::set_loop(std::optional<LoopRegion> loop) {
    auto frames = impl_->loop_frames(loop);
    if (!frames) return std::unexpected(frames.error());
    impl_->request_reposition(position_frames(), false, *frames);
    return {};
}

int64_t PlaybackFeed::position_frames() const { return impl_->position.load(std::memory_order_relaxed); }
double PlaybackFeed::position_s() const { return static_cast<double>(position_frames()) / impl_->format.sample_rate; }

bool PlaybackFeed::finished() const {
    const Impl& f = *impl_;
    const uint32_t generation = f.requested.load(std::memory_order_acquire);
    if (f.ended.load(std::memory_order_acquire) != generation) return false;
    const uint64_t r = f.read_index.load(std::memory_order_acquire);
    const uint64_t w = f.write_index.load(std::memory_order_acquire);
    for (uint64_t i = r; i < w; ++i)
        if (f.tags[i & f.mask].generation == generation) return false;
    return true;
}

int64_t PlaybackFeed::underrun_frames() const { return impl_->underruns.load(std::memory_order_relaxed); }

std::optional<Error> PlaybackFeed::error() const {
    std::lock_guard lock(impl_->error_mutex);
    return impl_->failure;
}

const DeviceFormat& PlaybackFeed::format() const { return impl_->format; }
bool PlaybackFeed::has_b() const { return impl_->with_b; }
int64_t PlaybackFeed::duration_frames() const { return impl_->duration; }
double PlaybackFeed::duration_s() const { return impl_->duration_s(); }
int64_t PlaybackFeed::crossfade_frames() const { return impl_->crossfade; }
int64_t PlaybackFeed::ring_capacity_frames() const { return impl_->capacity; }

void PlaybackFeed::pump() {
    assert(!impl_->options.feeder_thread && "pump() is for feeds opened without a feeder thread");
    if (impl_->options.feeder_thread) return;
    Impl& f = *impl_;
    f.apply_request();
    // The caller is also the only consumer here, so pump() may release the
    // frames a seek made stale: render() would only drop them on its next call.
    const uint64_t w = f.write_index.load(std::memory_order_acquire);
    uint64_t r = f.read_index.load(std::memory_order_relaxed);
    while (r < w && f.tags[r & f.mask].generation != f.applied) ++r;
    f.read_index.store(r, std::memory_order_release);
    while (f.produce()) {
    }
}

bool PlaybackFeed::wait_buffered(int64_t frames, double timeout_s) const {
    const Impl& f = *impl_;
    const auto deadline = std::chrono::steady_clock::now() + std::chrono::duration<double>(timeout_s);
    for (;;) {
        const uint32_t generation = f.requested.load(std::memory_order_acquire);
        if (f.ended.load(std::memory_order_acquire) == generation) return true;
        const uint64_t r = f.read_index.load(std::memory_order_acquire);
        const uint64_t w = f.write_index.load(std::memory_order_acquire);
        if (w > r && f.tags[(w - 1) & f.mask].generation == generation && static_cast<int64_t>(w - r) >= std::min(frames, f.capacity))
            return true;
        if (std::chrono::steady_clock::now() >= deadline) return false;
        std::this_thread::sleep_for(std::chrono::milliseconds(1));
    }
}

}  // namespace sf
