// Stemforge — stem-attributed mix diagnostics (`render --json`'s
// `diagnostics`, docs/diagnostics.md): where the bus sum into the master
// step goes over full scale and which stems push it there, and which pairs
// of stems crowd each other in which critical bands.
//
// Streaming: the renderer hands in, block by block, the bus sum (the mix
// backend's output: what the master chain receives, or without a master
// block the delivered mix) and every stem's contribution to it — its
// post-fader stereo signal into its output, a bus or the master
// (MixBackend::set_stem_taps), on the same timeline frames. Memory is
// bounded by the stem count, never the song: per over only what its peak
// frame needs, per stem pair and band two counters.
//
// Overs: stretches of samples with |x| > 1.0 on either channel, merged when
// fewer than kOverMergeGapS of in-range samples separate them. At the peak
// sample (channel ch, frame t) a stem's share is its in-phase projection
// onto the sum, share_i = max(0, c_i·s) / Σ_j max(0, c_j·s), c_i stem i's
// contribution and s the bus sum on that channel at that frame: a stem in
// antiphase with the peak pulls the sum back towards full scale, so it gets
// no share of the over; the shares of the in-phase stems sum to 1. A stem
// reaching the master through a bus is attributed its signal into that bus:
// what the bus does to it (compression, reverb, sends' returns) is not
// attributed further.
//
// Masking: per kMaskingBlockS block of the timeline, each stem's and the
// bus sum's level in Zwicker's 24 critical bands (FFT of a Hann window over
// that block and the one before, power of both channels averaged, averaged
// over the last kMaskingIntegrationS of windows; dB re a full-scale sine). Stem a is "loud" in
// band k when its level is at least kMaskingAbsoluteFloorDb and at most
// kMaskingRelativeFloorDb below the bus sum's level in that band; a pair
// (a, b) masks in band k during a block when both are loud and their levels
// are within kMaskingWithinDb. Per pair and band: overlap = blocks where it
// masks / blocks where either is loud.
#pragma once

#include <array>
#include <cstdint>
#include <memory>
#include <span>
#include <string>
#include <vector>

#include "engine/audio/audio_buffer.h"

namespace sf {

// Overs closer than this (seconds of samples within full scale between
// them) are one stretch: a clipped waveform crosses back under 1.0 every
// half cycle, and one over per half cycle would bury the report.
inline constexpr double kOverMergeGapS = 0.010;
// A stem is listed under an over when it is among the three largest shares
// or has at least this share.
inline constexpr size_t kOverTopStems = 3;
inline constexpr double kOverMinListedShare = 0.05;

inline constexpr double kMaskingBlockS = 0.100;
// A band level is the mean power over this long (the last windows): a
// 100 ms estimate of a noise-like band wanders by ±2 dB from block to block
// (too few degrees of freedom in a critical band), which a 3 dB criterion
// would read as two equal stems trading places.
inline constexpr double kMaskingIntegrationS = 1.0;
inline constexpr double kMaskingWithinDb = 3.0;
inline constexpr double kMaskingRelativeFloorDb = 12.0;   // below the bus sum's band level
inline constexpr double kMaskingAbsoluteFloorDb = -60.0;  // dB re a full-scale sine
inline constexpr double kMaskingMinOverlapPercent = 20.0;
inline constexpr double kMaskingMinActiveS = 1.0;  // a pair/band needs this long with either loud
inline constexpr size_t kMaskingMaxEntries = 20;

// Zwicker's critical-band edges in Hz (E. Zwicker, "Subdivision of the
// audible frequency range into critical bands", JASA 33(2), 1961, table I:
// the upper cut-offs, and the first band's 80 Hz width below 100 Hz): 24
// bands, 20 Hz–15.5 kHz.
inline constexpr std::array<double, 25> kCriticalBandEdgesHz = {20,   100,  200,  300,  400,  510,  630,  770,  920,
                                                                1080, 1270, 1480, 1720, 2000, 2320, 2700, 3150, 3700,
                                                                4400, 5300, 6400, 7700, 9500, 12000, 15500};

struct OverStem {
    std::string name;
    double share = 0.0;  // 0..1
};

struct MixOver {
    int64_t first_frame = 0;  // timeline frame of the first sample over full scale
    int64_t last_frame = 0;   // of the last (inclusive)
    int64_t peak_frame = 0;
    int peak_channel = 0;     // 0 left, 1 right
    double peak = 0.0;        // |x| at the peak (linear, > 1)
    std::vector<OverStem> stems;  // largest share first (see kOverTopStems)
};

struct MaskingPair {
    std::array<std::string, 2> stems;  // in session order
    double band_lo_hz = 0.0, band_hi_hz = 0.0;  // adjacent bands merged
    double overlap_percent = 0.0;
};

struct MixDiagnosticsReport {
    int sample_rate = 0;
    std::vector<MixOver> overs;          // in time order
    std::vector<MaskingPair> masking;    // largest overlap first, at most kMaskingMaxEntries
};

class MixDiagnostics {
public:
    // stem_names: parallel to the render plan's stems (the session's stems).
    explicit MixDiagnostics(std::vector<std::string> stem_names);
    ~MixDiagnostics();
    MixDiagnostics(const MixDiagnostics&) = delete;
    MixDiagnostics& operator=(const MixDiagnostics&) = delete;

    // Before the first block: the session rate and the stretch of the
    // timeline [from_frame, to_frame) the report covers (frames outside it
    // are ignored). Resets everything.
    void start(int sample_rate, int64_t from_frame, int64_t to_frame);
    bool started() const { return rate_ > 0; }

    // One block: bus (2 channels) frames [offset, offset + frames) are
    // timeline frames [first_frame, first_frame + frames); stems[k] (2
    // channels) holds stem k's contribution on the same buffer frames.
    // Blocks arrive in timeline order, contiguous. Not thread-safe.
    void add(const AudioBuffer& bus, std::span<const AudioBuffer> stems, int64_t offset, int64_t frames, int64_t first_frame);

    // Closes an open over and the last masking block (zero-padded, if at
    // least half a block long) and returns the report. Call once, after the last add().
    MixDiagnosticsReport finish();

private:
    struct Masking;
    void add_over_frame(const AudioBuffer& bus, std::span<const AudioBuffer> stems, int64_t i, int64_t frame);
    void close_over();
    void flush_masking_block();

    std::vector<std::string> names_;
    int rate_ = 0;
    int64_t from_ = 0, to_ = 0;
    int64_t merge_gap_frames_ = 0;
    std::vector<MixOver> overs_;
    bool open_ = false;
    MixOver current_;
    std::vector<double> projection_;  // scratch: per stem, c_i·s at the current peak
    std::unique_ptr<Masking> masking_;
};

}  // namespace sf
