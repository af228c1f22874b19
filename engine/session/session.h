// Stemforge — the session model (session file v1, see docs/session-format.md).
//
// Plain data, validated in one place (session_json.cpp). Every optional block
// that is absent is std::nullopt and means "bypassed". Paths are resolved
// against the session file's folder when parsed; the text as written is kept
// beside each resolved path so that to_json() writes the session back as the
// user wrote it. A member initialiser is the key's default: the schema table
// of session_json.cpp reads the defaults from here, never from a copy.
//
// Every type compares with ==, member by member: the round-trip contract
// (parse → to_json → parse gives an equal Session) is stated in those terms.
#pragma once

#include <cstdint>
#include <filesystem>
#include <optional>
#include <span>
#include <string>
#include <string_view>
#include <vector>

#include "engine/core/error.h"

namespace sf {

inline constexpr const char* kMasterBusName = "master";

enum class EqBandType { Bell, LowShelf, HighShelf, Notch, Bandpass, Highpass, Lowpass };
enum class EqMode { Linear, Minimum };
enum class Detector { Peak, Rms };
// mp3 (MPEG-1 Layer III), opus and ogg (Vorbis) are lossy: written through
// libsndfile, decoded again and their true peak checked against the ceiling.
enum class ExportFormat { Wav, Bwf, Flac, Aiff, Rf64, Mp3, Opus, Ogg };
inline constexpr bool is_lossy(ExportFormat f) {
    return f == ExportFormat::Mp3 || f == ExportFormat::Opus || f == ExportFormat::Ogg;
}
// The file name extensions format_from_extension knows, for messages.
inline constexpr const char* kExportExtensions = ".wav, .flac, .aif, .aiff, .rf64, .mp3, .opus, .ogg or .oga";
enum class Dither { None, Tpdf, TpdfShaped };

struct EqBand {
    EqBandType type = EqBandType::Bell;
    double freq_hz = 1000.0;
    double gain_db = 0.0;          // bell and shelves only
    double q = 0.70710678118654752;  // bell, shelves (cookbook Q form), notch, bandpass
    int slope_db_oct = 12;         // highpass / lowpass: Butterworth order = slope / 6

    bool operator==(const EqBand&) const = default;
};

struct EqSpec {
    EqMode mode = EqMode::Linear;
    std::vector<EqBand> bands;

    bool operator==(const EqSpec&) const = default;
};

struct CompressorSpec {
    double threshold_db = -18.0;
    double ratio = 4.0;
    double knee_db = 6.0;      // 0 = hard knee
    double attack_ms = 10.0;
    double release_ms = 120.0;
    double makeup_db = 0.0;
    Detector detector = Detector::Peak;
    // The stem or bus whose signal drives the detector (empty: its own input).
    // A stem keys after its inserts, before width/pan/fader; a bus after its
    // inserts, before its fader. Keying oneself or a cycle is an error.
    std::string sidechain;
    std::optional<EqSpec> sidechain_eq;  // applied to the detector's signal only

    bool operator==(const CompressorSpec&) const = default;
};

// Chorus (stem and bus insert, after the compressor, before width and pan).
// Per channel c (0 = L, 1 = R) and voice v, n counted from the session's
// time 0: d(n) = delay_ms + depth_ms·sin(2π·rate_hz·n/fs + 2π·v/voices +
// c·stereo_phase); the voice reads the input at n − d(n)·fs/1000 by 4-point
// cubic Hermite (Catmull-Rom), input before its first sample being 0;
// out = (1 − mix)·x + mix·mean over v of the voices.
struct ChorusSpec {
    double rate_hz = 0.8;           // 0.01 .. 20
    double depth_ms = 2.0;          // 0 .. 20
    double delay_ms = 10.0;         // 0.5 .. 50, > depth_ms
    int voices = 2;                 // 1 .. 8
    double mix = 0.5;               // 0 .. 1
    double stereo_phase_deg = 90.0; // 0 .. 360

    bool operator==(const ChorusSpec&) const = default;
};

// Bus delay, 100 % wet like a reverb. D = round(time·fs) frames; the k-th
// repeat (k >= 1) is the input filtered k times by F, delayed k·D and scaled
// by feedback^(k−1); F = 12 dB/oct Butterworth high-pass at lowcut_hz times
// 12 dB/oct Butterworth low-pass at highcut_hz (causal biquads; 0 = off).
// pingpong: the input's mid (L+R)/2 feeds the line, odd repeats land in L,
// even ones in R. Bus chain: sum → delay → reverb → EQ → compressor → fader.
struct DelaySpec {
    std::optional<double> time_ms;  // exactly one of time_ms and note
    std::optional<std::string> note;  // "1/1" .. "1/32", suffix d (×1.5) or t (×2/3); needs tempo_bpm
    double feedback = 0.35;         // 0 .. 0.95
    bool pingpong = false;
    double lowcut_hz = 0.0;         // 0 = off
    double highcut_hz = 0.0;        // 0 = off
    double wet_db = 0.0;

    bool operator==(const DelaySpec&) const = default;
};

struct SendSpec {
    std::string bus;
    double level_db = 0.0;
    bool pre_fader = false;

    bool operator==(const SendSpec&) const = default;
};

// One breakpoint of an automation lane: [time_s, value] on the session
// timeline. Between breakpoints the value is linear in its own unit (dB for
// gains, the pan position, the width factor); before the first and after the
// last the end values hold; two points at one time make a step.
struct AutomationPoint {
    double time_s = 0.0;
    double value = 0.0;

    bool operator==(const AutomationPoint&) const = default;
};
using AutomationLane = std::vector<AutomationPoint>;  // sorted by time, may be empty

// automation.send_db.<bus>: added to that send's level_db.
struct SendAutomation {
    std::string bus;
    AutomationLane level_db;

    bool operator==(const SendAutomation&) const = default;
};

// A stem's or bus's "automation" block. gain_db: a stem's clip gain, a bus's
// fader; pan (stems only) replaces the static pan while present; width
// replaces the static width; send_db (stems only) per send's bus.
struct Automation {
    AutomationLane gain_db, pan, width;
    std::vector<SendAutomation> send_db;  // in the order written

    bool empty() const { return gain_db.empty() && pan.empty() && width.empty() && send_db.empty(); }
    const AutomationLane* send(const std::string& bus) const {
        for (const SendAutomation& s : send_db)
            if (s.bus == bus) return &s.level_db;
        return nullptr;
    }
    bool operator==(const Automation&) const = default;
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
    Automation automation;
    std::optional<EqSpec> eq;
    std::optional<CompressorSpec> compressor;
    std::optional<ChorusSpec> chorus;
    std::optional<double> width;   // M/S width 0..4 after the inserts, before pan (stereo stems only)
    std::vector<SendSpec> sends;
    std::string output = kMasterBusName;

    bool operator==(const StemSpec&) const = default;
};

struct ReverbSpec {
    std::string ir_as_written;
    std::filesystem::path ir;
    double predelay_ms = 0.0;
    double wet_db = 0.0;

    bool operator==(const ReverbSpec&) const = default;
};

struct BusSpec {
    std::string name;
    std::optional<DelaySpec> delay;
    std::optional<ReverbSpec> reverb;
    std::optional<EqSpec> eq;
    std::optional<CompressorSpec> compressor;
    std::optional<ChorusSpec> chorus;
    std::optional<double> width;   // M/S width 0..4 after the inserts, before the fader
    Automation automation;         // gain_db (at the fader) and width only
    double gain_db = 0.0;
    std::string output = kMasterBusName;

    bool operator==(const BusSpec&) const = default;
};

struct MultibandBand {
    double threshold_db = -20.0;
    double ratio = 2.0;
    double knee_db = 6.0;
    double attack_ms = 20.0;
    double release_ms = 200.0;
    double makeup_db = 0.0;
    double width = 1.0;

    bool operator==(const MultibandBand&) const = default;
};

struct MultibandSpec {
    std::vector<double> crossovers_hz;   // ascending; N crossovers -> N+1 bands
    std::vector<MultibandBand> bands;    // lowest first

    bool operator==(const MultibandSpec&) const = default;
};

struct LimiterSpec {
    double ceiling_dbtp = -1.0;
    double release_ms = 50.0;
    double lookahead_ms = 5.0;
    // The loudness loop gives up (an error naming master.loudness_target_lufs)
    // rather than limit harder than this to reach the target.
    double max_gain_reduction_db = 20.0;

    bool operator==(const LimiterSpec&) const = default;
};

// master.preset: delivery targets. The parser applies them: a preset fills
// loudness_target_lufs and limiter.ceiling_dbtp and the export defaults
// (ebu-r128: BWF for .wav files; cd: 16 bit, 44.1 kHz, TPDF, CUE sheet);
// explicit keys win over the preset.
enum class MasterPreset { Streaming, Apple, EbuR128, AtscA85, Cd, Youtube, Radio, Vinyl };

// master.fade_curve: the gain g(x) of a fade at x = 0 (silent end) .. 1 (full
// level); formulas in docs/session-format.md ("Master fades and trims").
enum class FadeCurve { Linear, EqualPower, Exponential };

// master.match_eq: a linear-phase EQ of amount x (the reference's long-term
// 1/3-octave spectrum - the programme's, both loudness-normalised), limited to
// +-max_db, before the multiband.
struct MatchEqSpec {
    std::string reference_as_written;
    std::filesystem::path reference;  // absolute
    double amount = 1.0;              // 0..1
    double smoothing_oct = 1.0 / 3.0; // 0.1..1 octave
    double max_db = 12.0;             // 0..24

    bool operator==(const MatchEqSpec&) const = default;
};

struct MasterSpec {
    std::optional<std::string> preset;  // streaming, apple, ebu-r128, atsc-a85, cd (as written)
    std::optional<EqSpec> eq;
    std::optional<MultibandSpec> multiband;
    std::optional<double> width;
    std::optional<double> mono_below_hz;  // side high-passed below this (zero-phase LR4), (20 Hz, Nyquist)
    std::optional<double> balance;        // -1 .. +1, the stereo pan law
    std::optional<LimiterSpec> limiter;
    std::optional<double> loudness_target_lufs;
    std::optional<MatchEqSpec> match_eq;
    // Fades and trims act on the master's timeline before the loudness
    // measurement, so targets hold on what is delivered. Trims first (the
    // timeline's start/end move), then trim_silence, then the fades.
    double fade_in_s = 0.0;
    double fade_out_s = 0.0;
    FadeCurve fade_curve = FadeCurve::Linear;
    double trim_start_s = 0.0;                      // cut from the start
    double trim_end_s = 0.0;                        // cut from the end
    std::optional<double> trim_silence_db;          // cut leading/trailing content below this level (dBFS)
    double trim_silence_preroll_s = 0.1;            // kept before the first / after the last content

    bool operator==(const MasterSpec&) const = default;
};

// Top-level "metadata": the delivered track's identity. FLAC exports carry
// title, artist, album and ISRC as Vorbis comments; CUE sheets carry all of it.
struct DeliveryMetadata {
    std::string title, artist, album;
    std::string isrc;     // 12 characters (CC XXX YY NNNNN), hyphens removed; empty = none
    std::string catalog;  // 13 digits (UPC/EAN) for the CUE sheet's CATALOG; empty = none
    std::string year;     // 4 digits; empty = none
    int track = 0;        // track number, 1..99; 0 = none
    std::string composer, copyright;
    // ISO 8601 date (YYYY-MM-DD) or date-time (YYYY-MM-DDTHH:MM:SS): the BWF
    // origination date/time. Empty: SOURCE_DATE_EPOCH, else 2000-01-01 00:00:00,
    // so renders stay reproducible.
    std::string date;

    bool operator==(const DeliveryMetadata&) const = default;
};

struct ExportSpec {
    std::string file_as_written;
    std::filesystem::path file;
    ExportFormat format = ExportFormat::Wav;
    int bit_depth = 24;             // 16, 24 (integer PCM) or 32 (float)
    int sample_rate = 0;            // 0 = the session rate
    Dither dither = Dither::Tpdf;   // never applied to float output
    bool cue_sheet = false;         // also write <file>.cue (default true with preset cd)
    // Lossy formats: bitrate_kbps (mp3 32..320, opus 6..510) or quality
    // (0..1, libsndfile's compression level inverted: 1 = best; ogg, and mp3/opus VBR).
    std::optional<int> bitrate_kbps;
    std::optional<double> quality;
    // This export's own delivery target (overrides the master's): one render,
    // several targets, each measured on its own file.
    std::optional<std::string> preset;
    std::optional<double> loudness_target_lufs;
    std::optional<double> ceiling_dbtp;

    bool operator==(const ExportSpec&) const = default;
};

struct Session {
    std::filesystem::path file;     // the session file, empty when parsed from text
    std::filesystem::path base_dir; // absolute; relative paths resolved against it (set by the parser)
    int sample_rate = 48000;
    std::optional<double> tempo_bpm;  // 20..400; needed by delay.note
    std::vector<StemSpec> stems;
    std::vector<BusSpec> buses;
    std::optional<MasterSpec> master;
    std::vector<ExportSpec> exports;
    DeliveryMetadata metadata;

    const BusSpec* find_bus(const std::string& name) const;  // nullptr if absent

    bool operator==(const Session&) const = default;
};

// Parses and validates a session file. On error, the message is
// "<file>: <json.path>: <rule>". Sets `file` as given and `base_dir` to the
// file's folder, made absolute.
Result<Session> load_session(const std::filesystem::path& file);

// Parses and validates session JSON text; relative paths resolve against
// base_dir (made absolute against the current directory; empty = the current
// directory), which the result keeps as `base_dir`. `origin` names the source
// in messages (usually the file name). Malformed JSON, a number that
// overflows a double (1e309) and a non-integer value of an integer key
// (1e19, 24.5) are errors naming the line/column or the JSON path.
Result<Session> parse_session(const std::string& text, const std::filesystem::path& base_dir,
                              const std::string& origin);

// Writes the session back as session-file v1 JSON text: 2-space indented,
// newline-terminated, keys in the schema's order. Paths are written as
// written (`*_as_written`, relative to the session file); a key equal to its
// default is left out, except the keys a `master.preset` would otherwise
// fill (they are written, since explicit keys win over the preset).
// Contract: parse_session(to_json(s), s.base_dir, ...) == s for every s the
// parser returned, and to_json of that result is byte-identical to the first
// (the writer is canonical). `file` and `base_dir` are not written, nor a
// member that does not apply (an EQ band's `q` for a high-pass). For a
// Session built in code, the `*_as_written` members must be set; the
// resolved paths are ignored.
std::string to_json(const Session& session);

// Names used in the session file, for messages and reports (the schema's
// enum names; "?" for a value out of range).
const char* to_string(EqBandType type);
const char* to_string(EqMode mode);
const char* to_string(Detector detector);
const char* to_string(ExportFormat format);
const char* to_string(Dither dither);
const char* to_string(MasterPreset preset);
const char* to_string(FadeCurve curve);

// Every name of an enum as the session file writes it, indexed by the
// enumerator's value (the enums above count from 0 in declaration order).
template <class E>
std::span<const std::string_view> enum_names();

// The enumerator a session-file name denotes; nullopt for any other text.
template <class E>
std::optional<E> enum_from_name(std::string_view name) {
    const auto names = enum_names<E>();
    for (size_t i = 0; i < names.size(); ++i)
        if (names[i] == name) return static_cast<E>(i);
    return std::nullopt;
}

// The length of a delay.note ("1/1" .. "1/32", power-of-two divisions, suffix
// "d" dotted ×1.5 or "t" triplet ×2/3) in whole notes; nullopt for other text.
// At tempo_bpm a quarter note (1/4) lasts 60/tempo_bpm s, so the note lasts
// whole_notes · 240/tempo_bpm s.
std::optional<double> note_whole_notes(std::string_view note);

// A delay's time in seconds: time_ms, or the note at tempo_bpm (nullopt when
// the note needs a tempo that is absent). The validator guarantees a value
// for every parsed session.
std::optional<double> delay_time_s(const DelaySpec& delay, std::optional<double> tempo_bpm);

// Infers an export format from a file extension (.wav .flac .aif/.aiff .rf64);
// nullopt when the extension is not one of those.
std::optional<ExportFormat> format_from_extension(const std::filesystem::path& file);

}  // namespace sf
