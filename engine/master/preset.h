// Stemforge — master.preset: the delivery targets of common platforms.
//
//   preset     loudness target   true-peak ceiling   export defaults
//   streaming  -14 LUFS          -1 dBTP             -
//   apple      -16 LUFS          -1 dBTP             -
//   ebu-r128   -23 LUFS          -1 dBTP             .wav files are BWF (bext v2 loudness)
//   atsc-a85   -24 LUFS (LKFS)   -2 dBTP             -
//   cd         none              -1 dBTP             16 bit, 44.1 kHz, TPDF dither, CUE sheet
//   youtube    -14 LUFS          -1 dBTP             -
//   radio      -23 LUFS          -1 dBTP             - (EBU R 128's production values, which R 128 s3
//                                                        "Loudness in Radio" and EBU Tech 3401 apply to radio)
//   vinyl      none              -3 dBTP             mono below 150 Hz; side length checked
//
// Sources and reasons: docs/mastering.md ("Presets").
//
// The session parser applies a preset before reading the explicit keys, so
// explicit keys win (e.g. preset "streaming" with limiter.ceiling_dbtp -2).
#pragma once

#include <cstdint>
#include <optional>
#include <string>
#include <string_view>
#include <vector>

#include "engine/session/session.h"

namespace sf::master {

struct PresetDefaults {
    std::optional<double> loudness_target_lufs;
    double ceiling_dbtp = -1.0;
    bool wav_is_bwf = false;              // a .wav export without "format" becomes BWF
    std::optional<int> bit_depth;         // export default
    std::optional<int> sample_rate;       // export default
    bool cue_sheet = false;               // export default
    std::optional<double> mono_below_hz;  // master default (vinyl: 150 Hz)
};

const PresetDefaults& preset_defaults(MasterPreset preset);
// The session schema's names ("streaming", "ebu-r128", ...); nullopt for others.
std::optional<MasterPreset> preset_from_name(std::string_view name);
using ::sf::to_string;  // to_string(MasterPreset) is the session schema's

// Applies the preset's export defaults to an export whose keys were not
// written (each flag says whether that key was explicit).
void apply_preset_export_defaults(ExportSpec& e, MasterPreset preset, bool format_explicit, bool bit_depth_explicit,
                                  bool sample_rate_explicit, bool cue_explicit);

// One export's delivery target. An export's own preset replaces the
// master's target and ceiling with its own (vinyl and cd: no loudness
// target); its explicit loudness_target_lufs / ceiling_dbtp win over both.
// No ceiling: no limiter for that export (a master without a limiter block
// and without a preset).
struct DeliveryTarget {
    std::optional<double> loudness_lufs;
    std::optional<double> ceiling_dbtp;
    bool operator==(const DeliveryTarget&) const = default;
};
DeliveryTarget export_target(const MasterSpec& master, const ExportSpec& e);

// Red Book audio: a CD frame holds 588 stereo samples (1/75 s at 44.1 kHz).
inline constexpr int64_t kCdFrameSamples = 588;
// A CD-audio export is padded with silence to whole CD frames: 44.1 kHz,
// 16 bit, lossless, and the master's or its own preset is `cd`, or it
// writes a CUE sheet.
bool is_cd_audio_export(const ExportSpec& e, const std::optional<std::string>& master_preset, int session_rate);

// The vinyl side-length check: a 12-inch LP side at 33 1/3 rpm holds about
// this much at a good cutting level (docs/mastering.md has the sources).
inline constexpr double kVinylSideMaxS = 22.0 * 60.0;
// True when the master's preset or any export's is vinyl.
bool uses_vinyl_preset(const MasterSpec& master, const std::vector<ExportSpec>& exports);
// The warning for a vinyl programme longer than kVinylSideMaxS; none when it fits.
std::optional<std::string> vinyl_side_length_warning(double programme_s);

}  // namespace sf::master
