#include "app/gui/playback.h"

#include <algorithm>
#include <cctype>
#include <cmath>
#include <cstdlib>

#include <portaudio.h>

namespace sf::gui {

namespace {

std::string lower(std::string s) {
    std::transform(s.begin(), s.end(), s.begin(), [](unsigned char c) { return static_cast<char>(std::tolower(c)); });
    return s;
}

std::string pa_message(PaError e) {
    std::string m = Pa_GetErrorText(e);
    if (e == paUnanticipatedHostError) {
        const PaHostErrorInfo* host = Pa_GetLastHostErrorInfo();
        if (host && host->errorText && *host->errorText) m += std::string(": ") + host->errorText;
    }
    return m;
}

// PortAudio's callback: hands the feed's frames to the device. render() is
// real-time safe; nothing else happens here.
int on_output(const void*, void* output, unsigned long frames, const PaStreamCallbackTimeInfo*, PaStreamCallbackFlags, void* user) {
    static_cast<PlaybackFeed*>(user)->render(static_cast<float*>(output), static_cast<int64_t>(frames));
    return paContinue;
}

}  // namespace

struct Playback::Impl {
    PlaybackOptions options;
    bool initialized = false;  // Pa_Initialize succeeded: Pa_Terminate is owed
    PaDeviceIndex device = paNoDevice;
    std::string device_name;
    std::string reason;
    DeviceFormat format;
    double default_latency_s = 0.0;

    // Destruction order matters: the stream (whose callback reads the feed)
    // is closed in stop() before the feed is released.
    std::unique_ptr<PlaybackFeed> feed;
    PaStream* stream = nullptr;
    double last_position_s = 0.0, last_duration_s = 0.0;
    int64_t last_underruns = 0;

    void choose_device() {
        const int count = Pa_GetDeviceCount();
        if (count < 0) {
            reason = "audio devices cannot be listed: " + pa_message(count);
            return;
        }
        const char* wanted = std::getenv("STEMFORGE_AUDIO_DEVICE");
        if (wanted && *wanted) {
            const std::string needle = lower(wanted);
            for (PaDeviceIndex i = 0; i < count; ++i) {
                const PaDeviceInfo* info = Pa_GetDeviceInfo(i);
                if (info && info->maxOutputChannels > 0 && lower(info->name).find(needle) != std::string::npos) {
                    device = i;
                    break;
                }
            }
            if (device == paNoDevice) {
                reason = "no audio output device matches STEMFORGE_AUDIO_DEVICE=\"" + std::string(wanted) + "\" (" +
                         std::to_string(count) + " devices found)";
                return;
            }
        } else {
            device = Pa_GetDefaultOutputDevice();
            if (device == paNoDevice) {
                reason = "no audio output device (set STEMFORGE_AUDIO_DEVICE to choose one by name)";
                return;
            }
        }
        const PaDeviceInfo* info = Pa_GetDeviceInfo(device);
        const PaHostApiInfo* host = Pa_GetHostApiInfo(info->hostApi);
        device_name = std::string(info->name) + (host ? std::string(" (") + host->name + ")" : "");
        format.channels = std::min(2, info->maxOutputChannels);
        format.sample_rate = options.sample_rate > 0 ? options.sample_rate : static_cast<int>(std::lround(info->defaultSampleRate));
        default_latency_s = info->defaultHighOutputLatency;
    }

    void stop() {
        if (stream) {
            if (Pa_IsStreamActive(stream) == 1) Pa_StopStream(stream);
            Pa_CloseStream(stream);
            stream = nullptr;
        }
        if (feed) {
            last_position_s = feed->position_s();
            last_duration_s = feed->duration_s();
            last_underruns = feed->underrun_frames();
            feed.reset();
        }
    }
};

Playback::Playback(PlaybackOptions options) : impl_(std::make_unique<Impl>()) {
    impl_->options = options;
    // PortAudio probes JACK on start; without this it may try to launch a
    // JACK server, which can take seconds. A user's own setting wins.
    setenv("JACK_NO_START_SERVER", "1", 0);
    const PaError e = Pa_Initialize();
    if (e != paNoError) {
        impl_->reason = "audio output cannot start (PortAudio: " + pa_message(e) + ")";
        return;
    }
    impl_->initialized = true;
    impl_->choose_device();
}

Playback::~Playback() {
    impl_->stop();
    if (impl_->initialized) Pa_Terminate();
}

bool Playback::available() const { return impl_->initialized && impl_->device != paNoDevice; }
const std::string& Playback::unavailable_reason() const { return impl_->reason; }
const std::string& Playback::device_name() const { return impl_->device_name; }
DeviceFormat Playback::format() const { return impl_->format; }

Result<void> Playback::play(const PlaybackRequest& request) {
    Impl& p = *impl_;
    p.stop();
    if (!available()) return fail(ErrorCode::Device, p.reason);
    PlaybackFeed::Options feed_options;
    feed_options.ring_frames = static_cast<int64_t>(std::ceil(p.options.ring_s * p.format.sample_rate));
    auto feed = PlaybackFeed::open(request, p.format, feed_options);
    if (!feed) return std::unexpected(feed.error());
    p.feed = std::move(*feed);

    PaStreamParameters out{};
    out.device = p.device;
    out.channelCount = p.format.channels;
    out.sampleFormat = paFloat32;
    out.suggestedLatency = p.default_latency_s;
    PaError e = Pa_OpenStream(&p.stream, nullptr, &out, p.format.sample_rate, paFramesPerBufferUnspecified, paNoFlag, on_output,
                              p.feed.get());
    if (e != paNoError) {
        p.stream = nullptr;
        p.feed.reset();
        return fail(ErrorCode::Device, "cannot open audio output \"" + p.device_name + "\" at " + std::to_string(p.format.sample_rate) +
                                           " Hz: " + pa_message(e));
    }
    const auto prefill = static_cast<int64_t>(p.options.prefill_s * p.format.sample_rate);
    p.feed->wait_buffered(prefill, p.options.prefill_timeout_s);  // a late feeder only costs silence at the start
    e = Pa_StartStream(p.stream);
    if (e != paNoError) {
        p.stop();
        return fail(ErrorCode::Device, "cannot start audio output \"" + p.device_name + "\": " + pa_message(e));
    }
    return {};
}

void Playback::stop() { impl_->stop(); }

bool Playback::playing() const { return impl_->stream != nullptr; }
bool Playback::finished() const { return impl_->feed && impl_->feed->finished(); }
bool Playback::has_b() const { return impl_->feed && impl_->feed->has_b(); }

void Playback::select(AbSide side) {
    if (!impl_->feed || (side == AbSide::B && !impl_->feed->has_b())) return;
    impl_->feed->select(side);
}
void Playback::toggle_ab() { select(selected() == AbSide::A ? AbSide::B : AbSide::A); }
AbSide Playback::selected() const { return impl_->feed ? impl_->feed->selected() : AbSide::A; }

void Playback::set_gain_db(AbSide side, double gain_db) {
    if (impl_->feed) impl_->feed->set_gain_db(side, gain_db);
}
void Playback::seek(double seconds) {
    if (impl_->feed) impl_->feed->seek(seconds);
}
Result<void> Playback::set_loop(std::optional<LoopRegion> loop) {
    if (!impl_->feed) return fail(ErrorCode::InvalidArgument, "set_loop: nothing is playing");
    return impl_->feed->set_loop(loop);
}

double Playback::position_s() const { return impl_->feed ? impl_->feed->position_s() : impl_->last_position_s; }
double Playback::duration_s() const { return impl_->feed ? impl_->feed->duration_s() : impl_->last_duration_s; }
int64_t Playback::underrun_frames() const { return impl_->feed ? impl_->feed->underrun_frames() : impl_->last_underruns; }
std::optional<Error> Playback::feed_error() const { return impl_->feed ? impl_->feed->error() : std::nullopt; }

}  // namespace sf::gui
