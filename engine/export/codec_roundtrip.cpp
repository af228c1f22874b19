#include "engine/export/codec_roundtrip.h"

#include <atomic>
#include <string>
#include <system_error>
#include <unistd.h>

#include "engine/audio/audio_file.h"
#include "engine/export/export_sink.h"

namespace sf {

namespace {

const char* extension_of(ExportFormat codec) {
    switch (codec) {
        case ExportFormat::Mp3: return ".mp3";
        case ExportFormat::Opus: return ".opus";
        default: return ".ogg";
    }
}

// Removes the encoded file however the round trip ends.
struct RemoveOnExit {
    std::filesystem::path file;
    ~RemoveOnExit() {
        std::error_code ec;
        std::filesystem::remove(file, ec);
    }
};

}  // namespace

Result<CodecRoundTrip> codec_round_trip(const AudioBuffer& in, int64_t frames, int sample_rate, ExportFormat codec,
                                        std::optional<int> bitrate_kbps, std::optional<double> quality,
                                        const std::filesystem::path& temp_dir) {
    assert(frames <= in.frames() && in.channels() > 0);
    if (!is_lossy(codec))
        return fail(ErrorCode::InvalidArgument, std::string("codec round trip: ") + to_string(codec) + " is not a lossy codec (mp3, opus, ogg)");
    if (frames <= 0) return fail(ErrorCode::InvalidArgument, "codec round trip: no frames to encode");

    ExportSpec spec;
    spec.format = codec;
    spec.bitrate_kbps = bitrate_kbps;
    spec.quality = quality;
    static std::atomic<unsigned> counter{0};
    std::string name = ".stemforge-codec-" + std::to_string(::getpid()) + "-" + std::to_string(counter.fetch_add(1));
    name += extension_of(codec);
    spec.file = temp_dir / name;
    spec.file_as_written = spec.file.string();
    RemoveOnExit cleanup{spec.file};

    // Export index 0: lossy exports are never dithered, so the index changes nothing.
    auto sink = ExportSink::create(spec, 0, sample_rate, in.channels(), spec.file);
    if (!sink) return std::unexpected(sink.error());
    if (auto ok = sink->write(in, frames); !ok) return std::unexpected(ok.error());
    if (auto ok = sink->finish(); !ok) return std::unexpected(ok.error());
    const int64_t encoded = sink->frames_written();

    SourceOptions so;
    so.max_channels = in.channels();
    so.label = std::string("codec round trip (") + to_string(codec) + ")";
    auto decoded = AudioSource::read_all(spec.file, so);
    if (!decoded) return std::unexpected(decoded.error());
    if (decoded->frames() != encoded || decoded->channels() != in.channels())
        return fail(ErrorCode::Internal, std::string("codec round trip: the ") + to_string(codec) + " decoder gave back " +
                                             std::to_string(decoded->frames()) + " frames of " + std::to_string(decoded->channels()) +
                                             " channel(s) for " + std::to_string(encoded) + " encoded");
    CodecRoundTrip out;
    out.sample_rate = sink->sample_rate();
    out.frames = encoded;
    out.decoded = std::move(*decoded);
    return out;
}

}  // namespace sf
