// Fuzz body: audio decoding, through libsndfile and the project's reader
// (engine/audio/audio_file.*): headers, sizes, channel counts, rates,
// truncation, non-finite samples, resampling.
//
// Contract checked: a file is either refused with a FileRead / BadAudio /
// NotSupported error that names the file on one line, or it is an audio
// stream whose header passed the reader's rules (8–768 kHz, 1..max channels,
// frames > 0) and whose every decoded sample is finite; the length at the
// output rate is round(frames · out / in); read() hands out at most what was
// asked and zeros past the end.
#include <cmath>
#include <string>

#include "engine/audio/audio_file.h"
#include "tests/fuzz/fuzz_support.h"

namespace sf::fuzz {

namespace {

// Decoding more than this per input only costs time: the rules are checked
// on the first frames, and every block of a long file is decoded alike.
constexpr int64_t kMaxFramesRead = 1 << 17;
constexpr int64_t kBlock = 4093;  // odd: exercises partial blocks and resampler edges

void check_error(const Error& e, const std::string& file) {
    FUZZ_CHECK(e.code == ErrorCode::FileRead || e.code == ErrorCode::BadAudio || e.code == ErrorCode::NotSupported ||
                   e.code == ErrorCode::FileNotFound,
               e.message);
    FUZZ_CHECK(e.message.find(file) != std::string::npos, e.message);
    FUZZ_CHECK(e.message.find('\n') == std::string::npos, e.message);
}

}  // namespace

int audio_input(const uint8_t* data, size_t size) {
    const auto& file = write_scratch("audio", data, size);
    auto probed = probe_audio(file);
    if (probed) {
        FUZZ_CHECK(probed->sample_rate >= kMinInputSampleRate && probed->sample_rate <= kMaxInputSampleRate,
                   std::to_string(probed->sample_rate));
        FUZZ_CHECK(probed->channels >= 1 && probed->frames > 0, std::to_string(probed->channels));
    } else {
        check_error(probed.error(), file.string());
    }

    // Stems (at most stereo, resampled to the session rate) and analysis
    // inputs (up to 7.1, at their own rate): chosen by the input's size so
    // that a saved input replays the same way.
    SourceOptions options;
    options.max_channels = size % 2 == 0 ? kMaxInputChannels : 8;
    options.target_rate = size % 3 == 0 ? 0 : 48000;
    options.label = "stems[0] \"fuzz\"";
    auto source = AudioSource::open(file, options);
    if (!source) {
        check_error(source.error(), file.string());
        return 0;
    }
    FUZZ_CHECK(probed.has_value(), "open() accepted what probe_audio() refused");
    const AudioInfo& info = source->info();
    FUZZ_CHECK(info.sample_rate == probed->sample_rate && info.channels == probed->channels && info.frames == probed->frames,
               "probe and open disagree");
    FUZZ_CHECK(source->channels() <= options.max_channels, std::to_string(source->channels()));
    const int out_rate = options.target_rate > 0 ? options.target_rate : info.sample_rate;
    FUZZ_CHECK(source->sample_rate() == out_rate, std::to_string(source->sample_rate()));
    FUZZ_CHECK(source->frames() == std::llround(static_cast<double>(info.frames) * out_rate / info.sample_rate),
               std::to_string(source->frames()));

    AudioBuffer block(source->channels(), kBlock);
    int64_t handed = 0, real_total = 0;
    while (handed < std::min(source->frames(), kMaxFramesRead)) {
        auto real = source->read(block, kBlock);
        if (!real) {
            check_error(real.error(), file.string());
            return 0;
        }
        FUZZ_CHECK(*real >= 0 && *real <= kBlock, std::to_string(*real));
        for (int c = 0; c < block.channels(); ++c) {
            const float* x = block.channel(c);
            for (int64_t i = 0; i < kBlock; ++i) {
                FUZZ_CHECK(std::isfinite(x[i]), "a non-finite sample was handed out");
                if (i >= *real) FUZZ_CHECK(x[i] == 0.0f, "padding past the end is not zero");
            }
        }
        handed += kBlock;
        real_total += *real;
    }
    FUZZ_CHECK(real_total <= source->frames(), std::to_string(real_total));
    return 0;
}

}  // namespace sf::fuzz
