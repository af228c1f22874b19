// Stemforge — master.preset: the delivery targets of common platforms.
//
//   preset     loudness target   true-peak ceiling   export defaults
//   streaming  -14 LUFS          -1 dBTP             -
//   apple      -16 LUFS          -1 dBTP             -
//   ebu-r128   -23 LUFS          -1 dBTP             .wav files are BWF (bext v2 loudness)
//   atsc-a85   -24 LUFS (LKFS)   -2 dBTP             -
//   cd         none              -1 dBTP             16 bit, 44.1 kHz, TPDF dither, CUE sheet
//   youtube    -14 LUFS          -1 dBTP             -
//   radio      -23 LUFS          -1 dBTP             - (EBU R 128 s1, loudness guidelines for radio)
//   vinyl      none              -3 dBTP             mono below 150 Hz; side length checked
//
// The session parser applies a preset before reading the explicit keys, so
// explicit keys win (e.g. preset "streaming" with limiter.ceiling_dbtp -2).
#pragma once

#include <optional>
#include <string_view>

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

}  // namespace sf::master
