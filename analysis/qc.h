// Stemforge — delivery QC (`stemforge qc`): the checks a mastering house
// runs on a master before it goes to a client, a platform or a plant. Each
// check has a name, a status (pass / warn / fail), the measured value, the
// limit it was held against and a one-line message. The measures are the
// analysis' own (analyze.h: loudness, true peak, file checks, stereo image)
// plus the codec round trips (codec_check.h) and, for the vinyl preset,
// the vinyl measures (vinyl.h). Every threshold below is documented, with
// its reason, in docs/qc.md.
#pragma once

#include <atomic>
#include <filesystem>
#include <optional>
#include <string>
#include <string_view>
#include <vector>

#include <nlohmann/json.hpp>

#include "analysis/analyze.h"
#include "analysis/codec_check.h"
#include "analysis/vinyl.h"
#include "engine/core/error.h"
#include "engine/session/session.h"

namespace sf::analysis {

enum class CheckStatus { Pass, Warn, Fail };   // ordered: worse is larger
const char* to_string(CheckStatus status);       // "pass", "warn", "fail"

struct QcCheck {
    std::string name;                 // snake_case, stable (docs/qc.md lists them)
    CheckStatus status = CheckStatus::Pass;
    nlohmann::json value;             // the measured figure (number, text, or null: none / −∞)
    nlohmann::json limit;             // what it was held against (number, text, or null: no limit)
    std::string unit;                 // of value and limit: "LUFS", "dBTP", "dBFS", "dB", "LU", "s", "samples", ...
    std::string message;              // one line, with the figures
};

// What a file is held against. qc_target() fills it from a preset (the
// master presets of engine/master/preset.h) and explicit values.
struct QcTarget {
    std::optional<MasterPreset> preset;
    std::optional<double> target_lufs;     // none: loudness is reported, not judged
    // |integrated − target| <= pass_lu passes; <= warn_lu warns; beyond fails
    // when fail_beyond, else warns (streaming platforms normalise).
    double loudness_pass_lu = 0.5;
    double loudness_warn_lu = 1.0;
    bool loudness_fail_beyond = true;
    std::optional<double> ceiling_dbtp;    // none: the true peak is held against 0 dBTP
    VinylFormat vinyl_format = VinylFormat::In12Rpm33;   // preset vinyl only
};

// preset: a master preset name ("streaming", "apple", "ebu-r128",
// "atsc-a85", "cd", "youtube", "radio", "vinyl"); target_lufs and
// ceiling_dbtp override the preset's. Errors: InvalidArgument naming an
// unknown preset, a target outside −70..0 LUFS or a ceiling outside −20..0 dBTP.
Result<QcTarget> qc_target(std::optional<std::string_view> preset, std::optional<double> target_lufs, std::optional<double> ceiling_dbtp,
                           VinylFormat vinyl_format = VinylFormat::In12Rpm33);

// Thresholds (docs/qc.md says why each is where it is).
inline constexpr double kQcDcWarnDbfs = -60.0;          // |mean| above: warn
inline constexpr double kQcDcFailDbfs = -40.0;          // above: fail
inline constexpr double kQcLeadingSilenceWarnS = 1.0;   // longer: warn
inline constexpr double kQcTrailingSilenceWarnS = 3.0;
inline constexpr double kQcPhaseCorrelation = -0.3;     // a 100 ms window below this is out of phase
inline constexpr double kQcPhaseGateLufs = -50.0;       // windows quieter than this (momentary) are not judged
inline constexpr double kQcPhaseWarnS = 0.5;            // longest out-of-phase stretch: warn from
inline constexpr double kQcPhaseFailS = 3.0;            // fail from
inline constexpr double kQcMonoLossWarnLu = 3.5;        // fold-down loss: warn above
inline constexpr double kQcMonoLossFailLu = 6.0;        // fail above
inline constexpr double kVinylLfSideWarnDb = -20.0;     // side share of the LF energy: warn above
inline constexpr double kVinylLfSideFailDb = -10.0;     // fail above
inline constexpr double kVinylLfCorrelationWarn = 0.5;  // lowest LF octave correlation: warn below
inline constexpr double kVinylLfCorrelationFail = 0.0;  // fail below
inline constexpr double kVinylHfWarnDb = -6.0;          // HF level (re full-scale 1 kHz velocity): warn above
inline constexpr double kVinylHfFailDb = 0.0;           // fail above

// The checks of a file from its analysis (which must have the series for
// the phase gate; without it every window is judged), in report order:
// loudness, true_peak, clipping, inter_sample_overs, dc_offset,
// leading_silence, trailing_silence, phase, mono_compatibility, format.
std::vector<QcCheck> delivery_checks(const FileAnalysis& analysis, const QcTarget& target);
// vinyl_side_length, vinyl_lf_side, vinyl_lf_correlation, vinyl_hf_level, vinyl_inner_groove.
std::vector<QcCheck> vinyl_checks(const VinylMeasures& measures);
// codec_<name> (codec_mp3, codec_opus, codec_vorbis): warn when the decoded
// stream goes over full scale (true peak > 0 dBTP or samples over), or when
// the round trip could not be made.
QcCheck codec_check(const CodecMeasure& measure);
CheckStatus worst_status(const std::vector<QcCheck>& checks);   // Pass for none

struct QcOptions {
    QcTarget target;
    std::vector<QcCodec> codecs{QcCodec::Mp3, QcCodec::Opus, QcCodec::Vorbis};
    std::filesystem::path temp_dir;        // codec files; empty: the system's temporary folder
    const std::atomic<bool>* cancel = nullptr;   // as AnalyzeOptions::cancel
};

struct QcReport {
    FileAnalysis analysis;                 // with series, spectrogram, vectorscope, waveform (the plots' data)
    QcTarget target;
    std::vector<QcCheck> checks;
    std::vector<CodecMeasure> codecs;      // in options.codecs order
    std::optional<VinylMeasures> vinyl;    // preset vinyl
    CheckStatus status = CheckStatus::Pass;   // the worst check
};

// Analyses `file`, runs the codec round trips and (preset vinyl) the vinyl
// measures, and judges every check. Errors: those of analyze_file (naming
// the file); a codec that fails is a warn in the report, not an error.
Result<QcReport> run_qc(const std::filesystem::path& file, const QcOptions& options);

// The analyze keys of the file (analyze.h to_json, without the series and
// waveform arrays; its file-check detail moves to "file_checks"), plus
// "checks" (array of {name, status, value, limit, unit, message}),
// "codecs" ({"mp3": {...}, ...}), "qc" (preset, target and tolerances),
// "vinyl" (preset vinyl) and "status" (the worst check). docs/qc.md.
nlohmann::json to_json(const QcReport& report);

}  // namespace sf::analysis
