// Stemforge — rendering an album (docs/album.md): every track's programme
// (a session's mix, or a premixed file) through the album's master, to
// per-track files and a whole-album image with its CUE sheet.
//
//   1. Open everything first: every session is parsed, every premixed file's
//      header read, every output path checked against every input (the album
//      file, the sessions, their stems and IRs, the premixed files, the match
//      EQ reference) before any work; a Red Book image's rules are checked
//      as soon as a track's length is known.
//   2. Per track, in order (bounded memory: one block at a time, spools on
//      disk): the programme is spooled at the album's rate (a session's mix
//      through the chosen mix backend, its own master block dropped; a file
//      decoded and resampled, mono as two channels). Every master step goes
//      through the one master step (engine/master/master_chain.h,
//      render_master), with the track's fades and, with match_eq, the
//      reference measured once for all tracks (MasterJob::match_reference).
//   3. Loudness.
//      mode track: each track's whole master with its own loudness loop
//      (every track on the target).
//      mode album: the master in two parts. The pre-chain (the album master
//      without its limiter, loudness, fades and trims) runs once per track
//      and its output is spooled; the limiter part (the limiter with the
//      fades and trims) then runs over that spool at a given gain
//      (MasterJob::fixed_gain_db), as often as needed, bit for bit the
//      whole chain's result. One common gain G goes into every track's
//      limiter, found by passes over all tracks measured as one programme
//      (the tracks one after another, gaps excluded) until it is on the
//      target. Each track keeps its own limiter (so every track is under the
//      ceiling). A track whose limiter takes its loudness down by more than
//      kAlbumMakeupThresholdLu relative to the others gets that much more
//      gain (its make-up), so the loudness differences between tracks stay
//      as mixed; every other track gets exactly G.
//   4. Delivery: each track's files (dir exports, and the image's piece at
//      the image's rate and bit depth) written and checked by the master's
//      delivery rounds (true peak under the ceiling after SRC and dither);
//      then the album's loudness is measured on the delivered files (the
//      first dir export's, else the image's pieces) and, in mode album, a
//      miss over kTargetToleranceLu corrects G and delivers again.
//   5. The image: the pieces laid out with each gap as silence before its
//      track and each track padded with silence to a whole CD frame (rate/75
//      samples), so every INDEX of the CUE sheet is exact; Red Book rules for
//      a 16-bit 44.1 kHz image. The pieces are already dithered: they are
//      copied sample for sample (no second dither).
// Every output is staged in the caller's DeliveryTransaction: all or nothing.
#pragma once

#include <atomic>
#include <filesystem>
#include <functional>
#include <map>
#include <string>
#include <vector>

#include "engine/album/album.h"
#include "engine/core/error.h"
#include "engine/export/transaction.h"
#include "engine/master/loudness_probe.h"
#include "engine/render/renderer.h"

namespace sf::album {

// mode album: a track whose loudness shift (delivered − before the limiter)
// lags the common one by more than kAlbumMakeupThresholdLu gets a make-up
// gain; the passes end when every track's shift is within kAlbumSpreadLu of
// the common one, or, for a track whose limiter gives almost no more
// loudness for more gain, within kAlbumMaxLagLu under it (a track that
// lags further is an error). Any two tracks' difference thus moves by at
// most kAlbumMaxLagLu + kAlbumSpreadLu = 0.5 LU.
inline constexpr double kAlbumMakeupThresholdLu = 0.1;
inline constexpr double kAlbumSpreadLu = 0.2;
inline constexpr double kAlbumMaxLagLu = 0.3;
inline constexpr int kMaxAlbumDeliveries = 3;
// A make-up is found by a secant on the track's own loudness (measured over
// gain steps of at least kMinSlopeStepDb); a limiter that gives less than
// kMinMakeupSlope LU per dB of gain cannot make up what the track lacks,
// and one step moves the make-up by at most kMaxMakeupStepDb.
inline constexpr double kMinMakeupSlope = 0.2;
inline constexpr double kMinSlopeStepDb = 0.1;
inline constexpr double kMaxMakeupStepDb = 6.0;

// Renders one track session's mix (the session has no master block; the
// options have mix_only and a master_tap that spools the mix). The CLI picks
// the backend; before it renders again on another backend (a GPU that
// failed) it calls `restart`, which empties the spool.
using MixRenderer =
    std::function<Result<RenderResult>(const Session& session, const RenderOptions& options, const std::function<void()>& restart)>;

struct AlbumOptions {
    MixRenderer render_mix;                      // empty: the CPU reference path
    LoudnessProbeFactory loudness_probe;         // required
    DeliveryTransaction* transaction = nullptr;  // required: every output is staged here; the caller commits
    const std::atomic<bool>* cancel = nullptr;   // checked per block
    int64_t block_frames = 65536;
    std::function<void(const std::string& step)> progress;  // "track 2/12 \"Title\": mix", ...
};

struct AlbumTrackReport {
    std::string title;
    std::filesystem::path file;        // the file measured: the first dir export's, else the image
    double integrated_lufs = -INFINITY;  // of that file (or of the track's piece of the image)
    double true_peak_dbtp = -INFINITY;
    double gain_db = 0.0;              // into the limiter
    double pre_limiter_lufs = -INFINITY;
    double duration_s = 0.0;           // the delivered track (without gap and padding)
    std::vector<std::string> decisions;  // the master's, for this track
};

struct AlbumReport {
    LoudnessMode mode = LoudnessMode::Album;
    double target_lufs = 0.0, ceiling_dbtp = 0.0;
    int sample_rate = 0;
    std::vector<AlbumTrackReport> tracks;
    double album_integrated_lufs = -INFINITY;  // the delivered tracks as one programme, gaps excluded
    std::vector<std::filesystem::path> outputs;  // track files (export by export), the image, its CUE sheet
    std::vector<std::string> decisions;
    std::map<std::string, double> timing_s;
    std::string backend, device;       // of the last session mix (empty: no session track)
};

// mode album's master in two parts: `pre_chain` (EQ, match EQ, multiband,
// stereo tools; no limiter, loudness target, fades or trims) and `limiter`
// (the limiter, the loudness target for the report, fades and trims). The
// limiter part over the pre-chain part's output (its master_tap at 0 dB)
// gives, at any fixed gain, the samples the whole master gives at that gain
// (tests/engine/album/split_master_test.cpp). A new master stage goes into
// one of the two parts, before the limiter or with it.
struct SplitMaster {
    MasterSpec pre_chain;
    MasterSpec limiter;
};
SplitMaster split_master(const MasterSpec& master);

// The files `album` writes, in the report's order (for the output checks).
std::vector<NamedPath> album_outputs(const AlbumSpec& album);

Result<AlbumReport> render_album(const AlbumSpec& album, const AlbumOptions& options);

}  // namespace sf::album
