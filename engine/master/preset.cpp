#include "engine/master/preset.h"

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

}  // namespace sf::master
