// Stemforge — the session model (session file v1, see docs/session-format.md).
//
// Plain data, validated in one place (session_json.cpp). Every optional block
// that is absent is std::nullopt and means "bypassed". Paths are resolved
// against the session file's folder when parsed.
#pragma once

#include <cstdint>
#include <filesystem>
#include <optional>
#include <string>
#include <vector>

#include "engine/core/error.h"

namespace sf {

inline constexpr const char* kMasterBusName = "master";

enum class EqBandType { Bell, LowShelf, HighShelf, Notch, Bandpass, Highpass, Lowpass };
enum class EqMode { Linear, Minimum };
enum class Detector { Peak, Rms };
enum class ExportFormat { Wav, Bwf, Flac, Aiff, Rf64 };
enum class Dither { None, Tpdf, TpdfShaped };

struct EqBand {
    EqBandType type = EqBandType::Bell;
    double freq_hz = 1000.0;
    double gain_db = 0.0;          // bell and shelves only
    double q = 0.70710678118654752;  // bell, shelves (cookbook Q form), notch, bandpass
    int slope_db_oct = 12;         // highpass / lowpass: Butterworth order = slope / 6
};

struct EqSpec {
    EqMode mode = EqMode::Linear;
    std::vector<EqBand> bands;
};

struct CompressorSpec {
    double threshold_db = -18.0;
    double ratio = 4.0;
    double knee_db = 6.0;      // 0 = hard knee
    double attack_ms = 10.0;
    double release_ms = 120.0;
    double makeup_db = 0.0;
    Detector detector = Detector::Peak;
};

struct SendSpec {
    std::string bus;
    double level_db = 0.0;
    bool pre_fader = false;
};

struct GainPoint {
    double time_s = 0.0;
    double gain_db = 0.0;
};

struct StemSpec {
    std::string name;
    std::string file_as_written;   // as in the session file (for messages)
    std::filesystem::path file;    // resolved
    double gain_db = 0.0;
    double pan = 0.0;              // -1 hard left .. +1 hard right
    bool mute = false;
    bool solo = false;
    bool polarity_invert = false;
    double offset_s = 0.0;
    double fade_in_s = 0.0;
    double fade_out_s = 0.0;
    std::vector<GainPoint> gain_automation;  // sorted by time, may be empty
    std::optional<EqSpec> eq;
    std::optional<CompressorSpec> compressor;
    std::vector<SendSpec> sends;
    std::string output = kMasterBusName;
};

struct ReverbSpec {
    std::string ir_as_written;
    std::filesystem::path ir;
    double predelay_ms = 0.0;
    double wet_db = 0.0;
};

struct BusSpec {
    std::string name;
    std::optional<ReverbSpec> reverb;
    std::optional<EqSpec> eq;
    std::optional<CompressorSpec> compressor;
    double gain_db = 0.0;
    std::string output = kMasterBusName;
};

struct MultibandBand {
    double threshold_db = -20.0;
    double ratio = 2.0;
    double knee_db = 6.0;
    double attack_ms = 20.0;
    double release_ms = 200.0;
    double makeup_db = 0.0;
    double width = 1.0;
};

struct MultibandSpec {
    std::vector<double> crossovers_hz;   // ascending; N crossovers -> N+1 bands
    std::vector<MultibandBand> bands;    // lowest first
};

struct LimiterSpec {
    double ceiling_dbtp = -1.0;
    double release_ms = 50.0;
    double lookahead_ms = 5.0;
    // The loudness loop gives up (an error naming master.loudness_target_lufs)
    // rather than limit harder than this to reach the target.
    double max_gain_reduction_db = 20.0;
};

// master.preset: delivery targets. The parser applies them: a preset fills
// loudness_target_lufs and limiter.ceiling_dbtp and the export defaults
// (ebu-r128: BWF for .wav files; cd: 16 bit, 44.1 kHz, TPDF, CUE sheet);
// explicit keys win over the preset.
enum class MasterPreset { Streaming, Apple, EbuR128, AtscA85, Cd };

struct MasterSpec {
    std::optional<std::string> preset;  // streaming, apple, ebu-r128, atsc-a85, cd (as written)
    std::optional<EqSpec> eq;
    std::optional<MultibandSpec> multiband;
    std::optional<double> width;
    std::optional<double> mono_below_hz;  // side high-passed below this (zero-phase LR4), (20 Hz, Nyquist)
    std::optional<double> balance;        // -1 .. +1, the stereo pan law
    std::optional<LimiterSpec> limiter;
    std::optional<double> loudness_target_lufs;
};

// Top-level "metadata": the delivered track's identity. FLAC exports carry
// title, artist, album and ISRC as Vorbis comments; CUE sheets carry all of it.
struct DeliveryMetadata {
    std::string title, artist, album;
    std::string isrc;     // 12 characters (CC XXX YY NNNNN), hyphens removed; empty = none
    std::string catalog;  // 13 digits (UPC/EAN) for the CUE sheet's CATALOG; empty = none
};

struct ExportSpec {
    std::string file_as_written;
    std::filesystem::path file;
    ExportFormat format = ExportFormat::Wav;
    int bit_depth = 24;             // 16, 24 (integer PCM) or 32 (float)
    int sample_rate = 0;            // 0 = the session rate
    Dither dither = Dither::Tpdf;   // never applied to float output
    bool cue_sheet = false;         // also write <file>.cue (default true with preset cd)
};

struct Session {
    std::filesystem::path file;     // the session file, empty when parsed from text
    std::filesystem::path base_dir; // relative paths resolve against this
    int sample_rate = 48000;
    std::vector<StemSpec> stems;
    std::vector<BusSpec> buses;
    std::optional<MasterSpec> master;
    std::vector<ExportSpec> exports;
    DeliveryMetadata metadata;

    const BusSpec* find_bus(const std::string& name) const;  // nullptr if absent
};

// Parses and validates a session file. On error, the message is
// "<file>: <json.path>: <rule>".
Result<Session> load_session(const std::filesystem::path& file);

// Parses and validates session JSON text; relative paths resolve against
// base_dir. `origin` names the source in messages (usually the file name).
Result<Session> parse_session(const std::string& text, const std::filesystem::path& base_dir,
                              const std::string& origin);

// Names used in the session file, for messages and reports.
const char* to_string(EqBandType type);
const char* to_string(ExportFormat format);
const char* to_string(Dither dither);

// Infers an export format from a file extension (.wav .flac .aif/.aiff .rf64);
// nullopt when the extension is not one of those.
std::optional<ExportFormat> format_from_extension(const std::filesystem::path& file);

}  // namespace sf
