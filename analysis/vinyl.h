// Stemforge — vinyl pre-check measures (`stemforge qc --preset vinyl`): what
// a cutting engineer looks at before a lacquer is cut. Each measure and its
// limits are documented in docs/qc.md ("Vinyl pre-check"); in short:
//
//   side length     the file is one side; its duration against the usual
//                   limits for the disc size and speed (VinylFormatSpec)
//   LF side         the share of the energy below 150 Hz that is in the
//                   side signal (L−R)/2: out-of-phase bass cuts vertical
//                   groove modulation (lift-off, skipping)
//   LF correlation  the lowest L/R correlation of the octave bands centred
//                   at or below 125 Hz (negative: the bass cancels in the
//                   groove's lateral component)
//   HF level        groove velocity due to content above 4 kHz (sibilance,
//                   cymbals): the RIAA recording pre-emphasis applied to
//                   short STFT frames, in dB re the velocity of a
//                   full-scale 1 kHz sine
//   inner groove    the HF level in the last third of the side plus the
//                   loss of tracing headroom as the groove slows towards
//                   the label (40·log10 of the speed ratio: the groove's
//                   curvature limit scales with the square of its speed)
#pragma once

#include <cstdint>
#include <memory>
#include <optional>
#include <span>
#include <string_view>
#include <vector>

#include "analysis/analyze.h"
#include "engine/core/error.h"

namespace sf::analysis {

enum class VinylFormat { In12Rpm33, In12Rpm45, In10Rpm33, In10Rpm45, In7Rpm33, In7Rpm45 };

struct VinylFormatSpec {
    VinylFormat format;
    const char* name;            // "12-33", "12-45", "10-33", "10-45", "7-33", "7-45"
    double ideal_side_s;         // pass up to this
    double max_side_s;           // warn up to this, fail beyond
    double outer_speed_ips;      // linear groove speed at the outermost / innermost groove (inches/s)
    double inner_speed_ips;
};

const VinylFormatSpec& vinyl_format_spec(VinylFormat format);
std::optional<VinylFormat> vinyl_format_from_name(std::string_view name);
std::span<const VinylFormatSpec> vinyl_formats();

// Time constants of the RIAA recording characteristic (IEC 60098): 3180 µs,
// 318 µs, 75 µs, and the 3.18 µs high-frequency pole of cutting amplifiers.
// Gain in dB of the recording (pre-emphasis) curve at freq_hz relative to 1 kHz.
double riaa_recording_db(double freq_hz);

inline constexpr double kVinylLfHz = 150.0;          // "low frequencies" for the LF checks
inline constexpr double kVinylHfLowHz = 4000.0;      // the HF level's band starts here
inline constexpr double kVinylLfGateDb = -50.0;      // LF content below this (dB re full-scale sine) is not judged

// Streaming HF level: per channel, Hann frames of n = 2^k >= 40 ms (2048 at
// 44.1/48 kHz) every n/2 samples; each frame's power spectrum (calibrated:
// a sine of amplitude A reads A² in its bin) weighted by the RIAA recording
// curve re 1 kHz, summed over kVinylHfLowHz..Nyquist and divided by the
// window's equivalent noise bandwidth. A sine of amplitude A at f in the
// band reads 20·log10(A) + riaa_recording_db(f). The level of a frame is
// the larger of its channels'. Not thread-safe.
class HfLevelMeter {
public:
    // Errors: InvalidArgument (rate <= 0, channels outside 1..8).
    static Result<HfLevelMeter> create(int sample_rate, int channels);
    HfLevelMeter(HfLevelMeter&&) noexcept;
    HfLevelMeter& operator=(HfLevelMeter&&) noexcept;
    ~HfLevelMeter();

    void add(const float* const* channels, int64_t frames);
    // Frame k covers samples [k·hop, k·hop + n); its time is its centre.
    double hop_s() const;
    double frame_s() const;
    const std::vector<double>& level_db() const;   // one per complete frame; −inf for silence

private:
    struct Impl;
    explicit HfLevelMeter(std::unique_ptr<Impl> impl);
    std::unique_ptr<Impl> impl_;
};

struct VinylMeasures {
    VinylFormat format = VinylFormat::In12Rpm33;
    double side_s = 0.0;
    // Below kVinylLfHz: mid + side energy (dB re full-scale sine; nullopt for
    // none) and the side's share of it (dB, <= 0; nullopt when no LF content).
    std::optional<double> lf_level_db;
    std::optional<double> lf_side_share_db;
    // The lowest correlation among the octave bands centred <= 125 Hz whose
    // level passes kVinylLfGateDb, and that band's centre.
    std::optional<double> lf_min_correlation;
    double lf_min_correlation_hz = 0.0;
    // The HF level's maximum over the side and where (s), and the maximum of
    // HF level + groove-speed loss over the last third of the side.
    std::optional<double> hf_max_db;
    double hf_max_s = 0.0;
    std::optional<double> inner_groove_max_db;
    double inner_groove_max_s = 0.0;
    double inner_groove_loss_db = 0.0;   // the groove-speed loss at that point
};

// Groove-speed loss (dB) at time t of a side of side_s seconds: the cut is
// taken to spread evenly over the recordable band (constant pitch), filling
// min(1, side_s / max_side_s) of it, so the radius falls as
// r(t)² = r_o² − (r_o² − r_i²)·t / max(side_s, max_side_s); the loss is
// 40·log10(r_o / r(t)).
double groove_speed_loss_db(const VinylFormatSpec& spec, double t_s, double side_s);

// The measures from an analysis (stereo: its spectra and octave
// correlation; mono files have no side) and the HF level series.
VinylMeasures vinyl_measures(const FileAnalysis& analysis, const HfLevelMeter& hf, VinylFormat format);

}  // namespace sf::analysis
