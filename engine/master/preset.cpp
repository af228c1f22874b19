#include "engine/master/preset.h"

#include <algorithm>
#include <cmath>

#include "engine/core/timecode.h"

namespace sf::master {

const PresetDefaults& preset_defaults(MasterPreset preset) {
    static const PresetDefaults kStreaming{-14.0, -1.0, false, std::nullopt, std::nullopt, false, std::nullopt};
    static const PresetDefaults kApple{-16.0, -1.0, false, std::nullopt, std::nullopt, false, std::nullopt};
    static const PresetDefaults kEbu{-23.0, -1.0, true, std::nullopt, std::nullopt, false, std::nullopt};
    static const PresetDefaults kAtsc{-24.0, -2.0, false, std::nullopt, std::nullopt, false, std::nullopt};
    static const PresetDefaults kCd{std::nullopt, -1.0, false, 16, 44100, true, std::nullopt};
    static const PresetDefaults kYoutube{-14.0, -1.0, false, std::nullopt, std::nullopt, false, std::nullopt};
    static const PresetDefaults kRadio{-23.0, -1.0, false, std::nullopt, std::nullopt, false, std::nullopt};
    static const PresetDefaults kVinyl{std::nullopt, -3.0, false, std::nullopt, std::nullopt, false, 150.0};
    switch (preset) {
        case MasterPreset::Streaming: return kStreaming;
        case MasterPreset::Apple: return kApple;
        case MasterPreset::EbuR128: return kEbu;
        case MasterPreset::AtscA85: return kAtsc;
        case MasterPreset::Cd: return kCd;
        case MasterPreset::Youtube: return kYoutube;
        case MasterPreset::Radio: return kRadio;
        case MasterPreset::Vinyl: return kVinyl;
    }
    return kStreaming;
}

std::optional<MasterPreset> preset_from_name(std::string_view name) { return enum_from_name<MasterPreset>(name); }

void apply_preset_export_defaults(ExportSpec& e, MasterPreset preset, bool format_explicit, bool bit_depth_explicit,
                                  bool sample_rate_explicit, bool cue_explicit) {
    const PresetDefaults& d = preset_defaults(preset);
    if (!format_explicit && d.wav_is_bwf && e.format == ExportFormat::Wav) e.format = ExportFormat::Bwf;
    if (!bit_depth_explicit && d.bit_depth) {
        e.bit_depth = *d.bit_depth;
        if (e.bit_depth != 32 && e.dither == Dither::None) e.dither = Dither::Tpdf;
    }
    if (!sample_rate_explicit && d.sample_rate) e.sample_rate = *d.sample_rate;
    if (!cue_explicit) e.cue_sheet = d.cue_sheet;
}

DeliveryTarget export_target(const MasterSpec& m, const ExportSpec& e) {
    DeliveryTarget t{m.loudness_target_lufs, m.limiter ? std::optional(m.limiter->ceiling_dbtp) : std::nullopt};
    if (e.preset)
        if (auto p = preset_from_name(*e.preset)) {
            const PresetDefaults& d = preset_defaults(*p);
            t = DeliveryTarget{d.loudness_target_lufs, d.ceiling_dbtp};
        }
    if (e.loudness_target_lufs) t.loudness_lufs = e.loudness_target_lufs;
    if (e.ceiling_dbtp) t.ceiling_dbtp = e.ceiling_dbtp;
    return t;
}

bool is_cd_audio_export(const ExportSpec& e, const std::optional<std::string>& master_preset, int session_rate) {
    const int rate = e.sample_rate > 0 ? e.sample_rate : session_rate;
    if (rate != 44100 || e.bit_depth != 16 || is_lossy(e.format)) return false;
    const auto is_cd = [](const std::optional<std::string>& p) { return p && preset_from_name(*p) == MasterPreset::Cd; };
    return e.cue_sheet || is_cd(e.preset) || (!e.preset && is_cd(master_preset));
}

bool uses_vinyl_preset(const MasterSpec& m, const std::vector<ExportSpec>& exports) {
    const auto vinyl = [](const std::optional<std::string>& p) { return p && preset_from_name(*p) == MasterPreset::Vinyl; };
    return vinyl(m.preset) || std::any_of(exports.begin(), exports.end(), [&](const ExportSpec& e) { return vinyl(e.preset); });
}

std::optional<std::string> vinyl_side_length_warning(double programme_s) {
    if (programme_s <= kVinylSideMaxS) return std::nullopt;
    const auto ms = [](double s) { return timecode(static_cast<int64_t>(std::llround(s * 1000.0)), 1000); };
    return "vinyl: the programme lasts " + ms(programme_s) + ", longer than one side of a 12-inch LP at 33 1/3 rpm holds at a full cutting level (" +
           ms(kVinylSideMaxS) + "): split it over two sides, or expect the cut about 1 dB quieter per extra minute";
}

}  // namespace sf::master
