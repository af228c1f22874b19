// Stemforge — one export: spec → resampler → dither → writer.
//
// The one path from a master signal (planar float at the session rate) to a
// delivered file, used by the plain render and the master step alike. The
// sink writes to the path it is given (a DeliveryTransaction's staged file);
// moving it over the target is the transaction's job.
//
// Dither seeds follow one rule, export_dither_seed(): the same session and
// export list render bit-identically every time, on every backend.
#pragma once

#include <cstdint>
#include <filesystem>
#include <memory>
#include <optional>

#include "engine/audio/audio_buffer.h"
#include "engine/audio/audio_file.h"
#include "engine/core/error.h"
#include "engine/session/session.h"

namespace sf {

// The dither seed of the export at `index` in the session's export list.
uint64_t export_dither_seed(size_t index);

// The rate an export is written at: its `sample_rate`, else the session
// rate, else (a lossy codec that cannot hold the session rate) 48000 Hz, as
// the session parser writes it. The writer refuses an explicit rate the codec
// cannot hold.
int export_sample_rate(const ExportSpec& spec, int session_rate);

// What the writer is asked for: export_sample_rate(), the bit depth, the
// dither (never for 32-bit float or lossy formats), the lossy bit rate / quality.
WriteSpec export_write_spec(const ExportSpec& spec, size_t index, int session_rate, int channels);

// Checks, before any work, that the writer can write `spec` (rate, bit rate,
// quality, format): the error the writer would give, naming `role` (e.g.
// "export[2]") and the export's file.
Result<void> check_export(const ExportSpec& spec, int session_rate, int channels, const std::string& role);

// The format a file name's extension names (format_from_extension); an error
// (InvalidArgument) naming the file and listing kExportExtensions when it
// names none: `-o out.xyz` never becomes a WAV under another name.
Result<ExportFormat> export_format_for_file(const std::filesystem::path& file);

class ExportSink {
public:
    // `staged`: where the file is written. BWF exports get a bext chunk whose
    // loudness fields are patched in later (engine/master/delivery.h).
    static Result<ExportSink> create(const ExportSpec& spec, size_t index, int session_rate, int channels,
                                     const std::filesystem::path& staged);
    ExportSink(ExportSink&&) noexcept;
    ExportSink& operator=(ExportSink&&) noexcept;
    ~ExportSink();  // without finish(): the staged file is removed

    // Frames [0, frames) of `block` (at the session rate, >= channels channels).
    // Errors name the export's target file.
    Result<void> write(const AudioBuffer& block, int64_t frames);
    // Drains the resampler and closes the file. Once.
    Result<void> finish();

    const ExportSpec& spec() const;
    int sample_rate() const;      // of the file
    int64_t frames_written() const;  // at the file's rate, so far

private:
    struct Impl;
    explicit ExportSink(std::unique_ptr<Impl> impl);
    std::unique_ptr<Impl> impl_;
};

}  // namespace sf
