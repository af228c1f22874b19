// Stemforge — the master step of a render: the chain of DESIGN.md
//   sum ─ EQ (linear phase) ─ multiband compressor ─ stereo tools ─ true-peak
//   limiter ─ loudness normalisation to target ─ SRC ─ dither ─ export
// with the closed loudness loop and the final-file checks.
//
// Bounded memory: the renderer streams the mix bus into a Spool (a temporary
// raw float file); the master step then makes passes over files, never
// holding the song in memory:
//   1. pre-chain: spool → EQ → multiband → stereo tools → the limiter's
//      true-peak envelope → a second spool (L, R, envelope); latencies are
//      compensated, so the master is sample-aligned with the mix.
//   2. loudness loop: spool → gain G → limiter gain (cheap: the envelope is
//      precomputed) → LoudnessProbe, repeated with G from a secant step until
//      the integrated loudness is within kLoopToleranceLu of the target.
//   3. delivery: one final pass feeds every export (SRC with libsoxr, dither,
//      writer) from the same limiter output: several exports, one master.
//   4. check: each written file is measured again (LoudnessProbe for the
//      loudness, and the true peak by the one 8x interpolator of
//      engine/dsp/true_peak.h, the figure the limiter holds and `analyze`
//      reads); if a true peak is over the ceiling (SRC after the limiter can
//      re-create overs) the working ceiling is
//      lowered by the excess over the response the previous correction
//      measured (1 at first; +0.02 dB) and 2-4 run again; if the loudness is
//      off the target by more than kTargetToleranceLu the loop's target is
//      corrected by the miss. At most kMaxDeliveryRounds rounds.
//   5. metadata: bext v2 loudness fields (the file's measured values), FLAC
//      tags, CUE sheets (engine/export/metadata.h).
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
#include <vector>

#include "engine/audio/audio_buffer.h"
#include "engine/core/error.h"
#include "engine/export/transaction.h"
#include "engine/master/delivered_check.h"
#include "engine/master/loudness_probe.h"
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
inline constexpr int kMaxDeliveryRounds = 4;  // a first round, then at most three corrections (SRC, target)

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

struct MasterReport {
    std::optional<std::string> preset;
    std::optional<double> target_lufs;
    std::optional<double> ceiling_dbtp;
    double working_ceiling_dbtp = 0.0;  // what the limiter aimed at in the last round
    double working_ceiling_dbtp_previous = 0.0;  // the round before (seeds the loop)
    double gain_db = 0.0;               // the gain into the limiter that was delivered
    std::vector<LoopStep> loop;         // every loudness-loop pass, all rounds
    int loop_passes = 0;                // limiter passes of a master backend's loop, which measures several gains per pass (0: one per step)
    int delivery_rounds = 0;
    LoudnessStats pre_limiter;          // after EQ/multiband/stereo, before gain and limiter
    std::optional<LimiterStats> limiter;
    LoudnessStats master;               // the limiter's output at the session rate (true peak: see delivered)
    std::vector<DeliveredFile> delivered;
    std::vector<std::string> decisions; // one line per decision, in order
    int64_t latency_frames = 0;         // compensated pre-chain latency
    std::optional<double> eq_max_error_db;
};

class MasterBackend;   // engine/master/master_backend.h

// Another render's decisions, replayed (`render --verify`: the second
// backend masters at the first one's gain and working ceiling, so the
// residual of the delivered masters measures the chains, not two loops'
// answers within their tolerance).
struct MasterReplay {
    double gain_db = 0.0;
    double working_ceiling_dbtp = 0.0;
};

struct MasterJob {
    const Session* session = nullptr;
    std::vector<ExportSpec> exports;
    LoudnessProbeFactory probe;          // required when measuring (target, BWF, report)
    int64_t block_frames = 65536;
    std::function<void(const AudioBuffer&, int64_t)> master_tap;  // final limiter output, session rate
    const std::atomic<bool>* cancel = nullptr;  // checked per block: then cancelled_error()
    // Required: the command's transaction. The exports and their CUE sheets
    // are staged in it; the caller commits it (or drops it: nothing changes).
    DeliveryTransaction* transaction = nullptr;
    // Optional: runs the pre-chain, loudness loop and limiter (the GPU's,
    // borrowed from the mix backend); see master_backend.h.
    MasterBackend* backend = nullptr;
    std::optional<MasterReplay> replay;   // the first round uses these instead of its loop and margin
};

struct MasterOutput {
    std::vector<std::filesystem::path> outputs;
    MasterReport report;
    std::map<std::string, double> timing_s;
};

// Runs steps 1-5 over the spooled mix (2 channels, the session rate).
Result<MasterOutput> render_master(const MasterJob& job, Spool& mix);

}  // namespace sf::master
