// Stemforge — the master step of a render: the chain of DESIGN.md
//   sum ─ EQ (linear phase) ─ multiband compressor ─ stereo tools ─ true-peak
//   limiter ─ loudness normalisation to target ─ SRC ─ dither ─ export
// with the closed loudness loop and the final-file checks.
//
// Bounded memory: the renderer streams the mix bus into a Spool (a temporary
// raw float file); the master step then makes passes over files, never
// holding the song in memory:
//   1. pre-chain: spool → EQ → match EQ (engine/master/match_eq.h) → multiband → stereo tools → the limiter's
//      true-peak envelope → a second spool (L, R, envelope); latencies are
//      compensated, so the master is sample-aligned with the mix. The same
//      pass measures the pre-limiter loudness and true peak and runs
//      trim_silence_db's level test (engine/master/fades.h).
//   The programme: trims, then the silence trim, then the fades
//   (engine/master/fades.h), applied in every pass below at the limiter's
//   gain, so the loop measures what is delivered.
//   Exports are grouped by their delivery target (preset.h export_target:
//   an export's own preset / loudness_target_lufs / ceiling_dbtp, else the
//   master's); steps 2-4 run per group, each with its own limiter ceiling:
//   2. loudness loop: spool → gain G → limiter gain (cheap: the envelope is
//      precomputed) → fades → LoudnessProbe over the programme, repeated
//      with G from a secant step until the integrated loudness is within
//      kLoopToleranceLu of the target.
//   3. delivery: one pass feeds every export of the group (SRC with libsoxr,
//      dither, writer) from the same limiter output; CD audio is padded to
//      whole 588-frame CD frames.
//   4. check: each written file is measured again (LoudnessProbe for the
//      loudness, and the true peak by the one 8x interpolator of
//      engine/dsp/true_peak.h, the figure the limiter holds and `analyze`
//      reads; lossy files are decoded again). A lossless file over the
//      ceiling (SRC after the limiter can re-create overs) lowers the group's
//      working ceiling by the excess over the response the previous
//      correction measured (1 at first; +0.02 dB) and 2-4 run again; a
//      lossless file off the target by more than kTargetToleranceLu corrects
//      the loop's target by the miss. A lossy file over the ceiling (the
//      codec's overshoot) gets its own gain after the limiter lowered by the
//      excess + kLossyMarginDb and only it is delivered again. At most
//      kMaxDeliveryRounds rounds per group.
//   5. metadata: bext v2 loudness fields (the file's measured values), FLAC
//      tags, CUE sheets (engine/export/metadata.h).
// A region (render --from/--to) on a spool of the whole timeline runs 2-4
// on the whole programme into scratch files, exactly as a full render, then
// writes the region with the gains found; on a pre-roll spool (no target,
// no silence trim) it delivers the region directly.
// Every file is staged in the caller's DeliveryTransaction, which moves them
// into place together. Failure contract: on any error (or a cancel), no
// export target is created or changed once the caller drops the transaction.
#pragma once

#include <atomic>
#include <cstdint>
#include <filesystem>
#include <functional>
#include <map>
#include <memory>
#include <optional>
#include <string>
#include <utility>
#include <vector>

#include "engine/audio/audio_buffer.h"
#include "engine/core/error.h"
#include "engine/export/transaction.h"
#include "engine/master/delivered_check.h"
#include "engine/master/fades.h"
#include "engine/master/loudness_probe.h"
#include "engine/master/match_eq.h"
#include "engine/master/true_peak_limiter.h"
#include "engine/session/session.h"

namespace sf::master {

inline constexpr double kTargetToleranceLu = 0.1;   // the promise on delivered files
inline constexpr double kLoopToleranceLu = 0.05;    // what the loop aims for (room for SRC/dither)
// Working ceiling below the ceiling at first: room for what follows the
// limiter at the session rate. The limiter's own output reads at most
// 0.0004 dB over its ceiling by the one interpolator before its CeilingGuard
// (tests/engine/master/true_peak_limiter_test.cpp); 16-bit TPDF dither and
// rounding add at most 1.5 LSB x the interpolator's L1 norm (2.65), 0.0012 dB
// at -1 dBTP. SRC is not covered: a resampled export may take a second round.
inline constexpr double kInitialCeilingMarginDb = 0.005;
// A delivered file passes when its true peak is at most the ceiling less
// this. 0: the check, the limiter and `analyze` use one interpolator, there
// is no disagreement between meters left to cover.
inline constexpr double kVerifyGuardDb = 0.0;
inline constexpr int kMaxLoopIterations = 12;
// Per target group: a first round, then at most three corrections (SRC,
// target); lossy-only re-encodes are counted apart, at most as many again.
inline constexpr int kMaxDeliveryRounds = 4;
// A lossy export over its ceiling is lowered by its overshoot plus this
// margin, doubled at each further correction of it: re-encoding a quieter
// signal moves the codec's peaks by chance as well as by the gain (a few
// tenths of a dB on hard-limited noise as MP3 at 128 kbit/s).
inline constexpr double kLossyMarginDb = 0.1;
// MasterReport::gain_reduction_db_over_time's bucket: 100 ms, fine enough to
// show a snare's limiting, one float per bucket (36 000 for an hour).
inline constexpr double kGainReductionBucketS = 0.1;

// A temporary raw float file (interleaved), removed when destroyed.
class Spool {
public:
    static Result<Spool> create(const std::filesystem::path& dir, int channels);
    Spool(Spool&&) noexcept;
    Spool& operator=(Spool&&) noexcept;
    ~Spool();
    int channels() const;
    int64_t frames() const;
    Result<void> write(const AudioBuffer& block, int64_t frames);  // appends block's first channels()
    Result<void> rewind();                                         // ends writing; reads from the start
    // Reads up to `frames` frames into out (resized to channels() x frames);
    // zeros past the end. Returns the frames that were real.
    Result<int64_t> read(AudioBuffer& out, int64_t frames);

private:
    struct Impl;
    explicit Spool(std::unique_ptr<Impl> impl);
    std::unique_ptr<Impl> impl_;
};

struct LoopStep {
    double gain_db = 0.0;
    double integrated_lufs = 0.0;
    double max_gain_reduction_db = 0.0;
};

// One export as the master step delivered it. Exports with the same target
// and ceiling form a group: one loudness loop, one limiter pass per round.
struct ExportReport {
    std::filesystem::path file;
    ExportFormat format = ExportFormat::Wav;
    std::optional<std::string> preset;   // the export's own preset, if it has one
    std::optional<double> target_lufs;   // its effective target (preset.h export_target)
    std::optional<double> ceiling_dbtp;  // its effective ceiling (none: no limiter)
    size_t group = 0;                    // index of its target group
    double gain_db = 0.0;                // into the limiter (its group's)
    double working_ceiling_dbtp = 0.0;   // what its group's limiter aimed at in the last round
    // After the limiter, this export only: a lossy codec's true-peak
    // overshoot taken back (<= 0); its loudness lands that much under the target.
    double trim_db = 0.0;
    int delivery_rounds = 0;             // its group's
    std::vector<LoopStep> loop;          // its group's loudness-loop passes
    LoudnessStats master;                // its group's limiter output at the session rate (true peak included)
    std::optional<LimiterStats> limiter;
    DeliveredFile delivered;             // the file as written, measured again
    std::vector<std::string> decisions;  // its group's
    int64_t clipped_samples = 0;         // integer formats: samples at or over full scale (ExportSink)
    int64_t first_clipped_frame = -1;
    int64_t frames = 0;                  // of the file, at its rate
    int64_t padding_frames = 0;          // CD audio: silence added to whole 588-frame CD frames
};

struct MasterReport {
    std::optional<std::string> preset;
    std::optional<double> target_lufs;
    std::optional<double> ceiling_dbtp;
    // The fields below up to `delivered` are the primary group's: the
    // master's own target when an export uses it, else the first export's.
    double working_ceiling_dbtp = 0.0;  // what the limiter aimed at in the last round
    double working_ceiling_dbtp_previous = 0.0;  // the round before (seeds the loop)
    double gain_db = 0.0;               // the gain into the limiter that was delivered
    std::vector<LoopStep> loop;         // every loudness-loop pass, all rounds
    int loop_passes = 0;                // limiter passes of a master backend's loop, which measures several gains per pass (0: one per step)
    int delivery_rounds = 0;
    LoudnessStats pre_limiter;          // after EQ/multiband/stereo, before gain and limiter (programme after trims; true peak included)
    std::optional<LimiterStats> limiter;
    // The delivered master's limiter gain reduction over time: bucket k is the
    // max of -20 log10 g (dB, >= 0; the gain into the limiter and the fades
    // left out) over timeline frames [delivered_from_frame + k B,
    // delivered_from_frame + (k+1) B) with B = round(gain_reduction_bucket_s x
    // rate); the last bucket may be shorter. Empty without a limiter (and
    // when a master backend that does not record it ran the limiter; the
    // GPU's does).
    std::vector<float> gain_reduction_db_over_time;
    double gain_reduction_bucket_s = kGainReductionBucketS;
    LoudnessStats master;               // the limiter's output at the session rate, over the delivered stretch (true peak included)
    std::vector<DeliveredFile> delivered;  // every export, in export order
    std::vector<std::string> decisions; // one line per decision, in order
    std::vector<std::string> warnings;  // what a user must see (vinyl side length, ...): also in decisions
    int64_t latency_frames = 0;         // compensated pre-chain latency
    std::optional<double> eq_max_error_db;
    std::vector<ExportReport> exports;  // every export, in export order
    ProgrammeEdit programme;            // the delivered programme on the timeline (trims, fades)
    std::optional<int64_t> first_content_frame, last_content_frame;  // trim_silence_db's level test
    int64_t delivered_from_frame = 0, delivered_to_frame = 0;  // timeline frames written (a region, or the programme)
    std::optional<MatchEqCurve> match_eq;          // master.match_eq's curve, as applied
    std::optional<double> match_eq_max_error_db;   // its FIR against the curve
};

class MasterBackend;   // engine/master/master_backend.h

// Another render's decisions, replayed (`render --verify`: the second
// backend masters at the first one's gain and working ceiling, so the
// residual of the delivered masters measures the chains, not two loops'
// answers within their tolerance).
struct MasterReplay {
    struct Export {
        double gain_db = 0.0;               // into its group's limiter
        double working_ceiling_dbtp = 0.0;
        double trim_db = 0.0;               // its own gain after the limiter (a lossy export's correction)
    };
    std::vector<Export> exports;            // in export order; ignored unless one per export
};

struct MasterJob {
    const Session* session = nullptr;
    std::vector<ExportSpec> exports;
    LoudnessProbeFactory probe;          // required when measuring (target, BWF, report)
    int64_t block_frames = 65536;
    // The final limiter output of the primary group at the session rate, over
    // the delivered stretch, once, after every check passed.
    std::function<void(const AudioBuffer&, int64_t)> master_tap;
    // What each export's writer was fed (its group's limiter output times its
    // trim, at the session rate, before SRC and dither), over the delivered
    // stretch, once, after every check passed (--verify compares these).
    std::function<void(size_t export_index, const AudioBuffer&, int64_t)> export_tap;
    const std::atomic<bool>* cancel = nullptr;  // checked per block: then cancelled_error()
    // Required: the command's transaction. The exports and their CUE sheets
    // are staged in it; the caller commits it (or drops it: nothing changes).
    DeliveryTransaction* transaction = nullptr;
    // The spool's first frame is timeline frame origin_frame; the timeline is
    // timeline_frames long (trims and the fade-out count from its end;
    // -1: origin_frame + the spool's length). A spool that does not hold the
    // whole timeline (a region render's pre-roll) cannot serve a loudness
    // target or trim_silence_db (master_needs_whole_timeline).
    int64_t origin_frame = 0;
    int64_t timeline_frames = -1;
    // Timeline frames [first, second) to deliver (render --from/--to),
    // intersected with the programme; none: the whole programme.
    std::optional<std::pair<int64_t, int64_t>> region;
    // The phase ("master: pre-chain", "master: loudness loop -14.0 LUFS,
    // pass 2", ...) and its fraction 0..1, per block.
    std::function<void(const std::string& phase, double fraction)> progress;
    // The gain into the limiter instead of the loudness loop (an album's
    // common gain, engine/album): no loop, no target correction; the ceiling
    // rounds of step 4 still run.
    std::optional<double> fixed_gain_db;
    // master.match_eq's reference, measured once by a caller that masters
    // several programmes against it (an album); null: measured here.
    const LongTermSpectrum* match_reference = nullptr;
    // Where the master's temporary files go; empty: the first export's folder.
    std::filesystem::path spool_dir;
    // Optional: runs the pre-chain, loudness loop and limiter (the GPU's,
    // borrowed from the mix backend); see master_backend.h.
    MasterBackend* backend = nullptr;
    std::optional<MasterReplay> replay;   // each group's first round uses these instead of its loop and margin
};

// A file the render wrote (clip counts from its ExportSink).
struct ExportWritten {
    std::filesystem::path file;
    int sample_rate = 0;
    int64_t frames = 0;
    int64_t clipped_samples = 0;
    int64_t first_clipped_frame = -1;
};

struct MasterOutput {
    std::vector<std::filesystem::path> outputs;
    MasterReport report;
    std::map<std::string, double> timing_s;
};

// Runs steps 1-5 over the spooled mix (2 channels, the session rate).
Result<MasterOutput> render_master(const MasterJob& job, Spool& mix);

// What a region render needs around its stretch: lookahead_frames of mix
// after it (the linear-phase stages, the limiter's look-ahead and its ceiling
// guard), and memory_frames before it for the master's state to equal a full
// render's (FIR lengths, compressor and limiter release to -120 dB).
struct MasterTiming {
    int64_t lookahead_frames = 0;
    int64_t memory_frames = 0;
};
Result<MasterTiming> master_timing(const MasterSpec& master, int sample_rate);

// True when the master needs the whole timeline's mix whatever is
// delivered: a loudness target (the master's or an export's), a match EQ or
// trim_silence_db.
bool master_needs_whole_timeline(const MasterSpec& master, const std::vector<ExportSpec>& exports);

}  // namespace sf::master
