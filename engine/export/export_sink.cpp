#include "engine/export/export_sink.h"

#include "engine/audio/resampler.h"

namespace sf {

uint64_t export_dither_seed(size_t index) { return 0x5EEDull + index; }

int export_sample_rate(const ExportSpec& spec, int session_rate) {
    if (spec.sample_rate > 0) return spec.sample_rate;
    if (format_holds_rate(spec.format, session_rate)) return session_rate;
    return 48000;
}

WriteSpec export_write_spec(const ExportSpec& spec, size_t index, int session_rate, int channels) {
    WriteSpec ws;
    ws.format = spec.format;
    ws.bit_depth = spec.bit_depth;
    ws.sample_rate = export_sample_rate(spec, session_rate);
    ws.channels = channels;
    ws.dither = spec.bit_depth == 32 || is_lossy(spec.format) ? Dither::None : spec.dither;
    ws.dither_seed = export_dither_seed(index);
    if (spec.format == ExportFormat::Bwf) ws.bext = BextLoudness{};  // the measured values are patched in later
    if (is_lossy(spec.format)) {
        ws.bitrate_kbps = spec.bitrate_kbps;
        ws.quality = spec.quality;
    }
    return ws;
}

Result<void> check_export(const ExportSpec& spec, int session_rate, int channels, const std::string& role) {
    if (auto ok = check_write_spec(export_write_spec(spec, 0, session_rate, channels)); !ok)
        return fail(ok.error().code, role + " " + spec.file.string() + ": " + ok.error().message);
    return {};
}

Result<ExportFormat> export_format_for_file(const std::filesystem::path& file) {
    if (auto f = format_from_extension(file)) return *f;
    const std::string ext = file.extension().string();
    return fail(ErrorCode::InvalidArgument, file.string() + ": " +
                                                (ext.empty() ? std::string("has no extension") : "the extension " + ext + " names no audio format") +
                                                "; an output file ends in " + kExportExtensions);
}

struct ExportSink::Impl {
    ExportSpec spec;
    int rate = 0;
    std::optional<StreamResampler> resampler;
    std::optional<AudioFileWriter> writer;
    AudioBuffer resampled;
};

ExportSink::ExportSink(std::unique_ptr<Impl> impl) : impl_(std::move(impl)) {}
ExportSink::ExportSink(ExportSink&&) noexcept = default;
ExportSink& ExportSink::operator=(ExportSink&&) noexcept = default;
ExportSink::~ExportSink() = default;

Result<ExportSink> ExportSink::create(const ExportSpec& spec, size_t index, int session_rate, int channels,
                                      const std::filesystem::path& staged) {
    auto impl = std::make_unique<Impl>();
    impl->spec = spec;
    const WriteSpec ws = export_write_spec(spec, index, session_rate, channels);
    if (auto ok = check_write_spec(ws); !ok) return fail(ok.error().code, spec.file.string() + ": " + ok.error().message);
    impl->rate = ws.sample_rate;
    auto w = AudioFileWriter::create(staged, ws);
    if (!w) {
        Error err = w.error();
        err.message = spec.file.string() + ": " + err.message;
        return std::unexpected(err);
    }
    impl->writer.emplace(std::move(*w));
    if (impl->rate != session_rate) {
        auto r = StreamResampler::create(session_rate, impl->rate, channels);
        if (!r) return std::unexpected(r.error());
        impl->resampler.emplace(std::move(*r));
    }
    return ExportSink(std::move(impl));
}

const ExportSpec& ExportSink::spec() const { return impl_->spec; }
int ExportSink::sample_rate() const { return impl_->rate; }
int64_t ExportSink::frames_written() const { return impl_->writer->frames_written(); }

Result<void> ExportSink::write(const AudioBuffer& block, int64_t frames) {
    Impl& s = *impl_;
    if (!s.resampler) return s.writer->write(block, frames);
    if (auto r = s.resampler->process(block, frames, s.resampled); !r) return r;
    return s.writer->write(s.resampled, s.resampled.frames());
}

Result<void> ExportSink::finish() {
    Impl& s = *impl_;
    if (s.resampler) {
        if (auto r = s.resampler->finish(s.resampled); !r) return r;
        if (auto r = s.writer->write(s.resampled, s.resampled.frames()); !r) return r;
    }
    // The writer finishes its own temporary and moves it onto the staged path.
    return s.writer->commit();
}

}  // namespace sf
