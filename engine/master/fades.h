// Stemforge — master fades and trims: which stretch of the timeline is the
// delivered programme, and the gain of every frame of it.
//
// One definition for the session master (engine/master/master_chain.cpp)
// and the album command's per-track masters. Order (docs/mastering.md):
//   1. trims: the programme is timeline frames
//        [round(trim_start_s·fs), total − round(trim_end_s·fs))
//   2. trim_silence_db: within that, frames before the first and after the
//      last frame whose level reaches the threshold are cut, keeping
//      round(trim_silence_preroll_s·fs) frames on each side (never more
//      than the trims left). The level of a frame is its sample peak over
//      both channels, max(|L|, |R|), of the master as it enters the
//      loudness gain (after EQ, multiband and stereo tools): one level per
//      session, so every export target of a render trims the same.
//   3. fades, with x the position in the fade from its silent end (0) to
//      full level (1), a fade of F frames:
//        fade-in:  programme frame i (0 ≤ i < F) × g(i / F)
//        fade-out: the frame j frames before the programme's last one
//                  (0 ≤ j < F) × g(j / F)
//      so the first (last) frame of a faded programme is exactly 0 and the
//      frame F from the end is the first at full level. Curves:
//        linear       g(x) = x
//        equal-power  g(x) = sin(π/2 · x)
//        exponential  g(x) = (10^(3x) − 1) / 999   (60 dB of range; 0 at x = 0)
//      The two fades together may not be longer than the programme.
// All of it happens before the loudness measurement, so a loudness target
// holds on what is delivered.
#pragma once

#include <cstdint>
#include <optional>

#include "engine/core/error.h"
#include "engine/session/session.h"

namespace sf::master {

// g(x) of the curve, x clamped to [0, 1]; g(0) = 0, g(1) = 1, increasing.
double fade_gain(FadeCurve curve, double x);

// The programme after trims, silence trim and fades, on the timeline.
struct ProgrammeEdit {
    int64_t begin_frame = 0;  // first kept timeline frame
    int64_t end_frame = 0;    // one past the last kept frame
    int64_t fade_in_frames = 0, fade_out_frames = 0;
    FadeCurve curve = FadeCurve::Linear;

    int64_t frames() const { return end_frame - begin_frame; }
    // The gain of timeline frame t: 0 outside [begin, end), the fades'
    // product inside (1 between them).
    double gain(int64_t t) const;
    // gains[i] *= gain(first + i) for i < n, in float (the signal's type).
    void apply(int64_t first, int64_t n, float* gains) const;
    bool has_fades() const { return fade_in_frames > 0 || fade_out_frames > 0; }
};

// Step 1: [round(trim_start_s·fs), total − round(trim_end_s·fs)). Error
// (InvalidSession, naming master.trim_start_s / trim_end_s) when the trims
// leave nothing of a `total_frames`-frame timeline.
Result<ProgrammeEdit> trimmed_programme(const MasterSpec& master, int sample_rate, int64_t total_frames);

// Step 2's level test, streamed: add() the master's frames in timeline
// order; first/last are the timeline frames whose sample peak over the
// channels reached `threshold_dbfs`.
class SilenceScanner {
public:
    explicit SilenceScanner(double threshold_dbfs);
    // Frames [0, n) of `channels` (planar), timeline frame `first` onwards.
    void add(const float* const* channels, int channel_count, int64_t first, int64_t n);
    std::optional<int64_t> first_content_frame() const { return first_; }
    std::optional<int64_t> last_content_frame() const { return last_; }

private:
    float threshold_;
    std::optional<int64_t> first_, last_;
};

// Step 2 applied to `edit` (which step 1 made): error (InvalidSession,
// naming master.trim_silence_db) when no frame of the trimmed programme
// reaches the threshold.
Result<void> apply_silence_trim(const MasterSpec& master, int sample_rate, const SilenceScanner& scan, ProgrammeEdit& edit);

// Step 3: sets the fades on `edit`. Error (InvalidSession, naming
// master.fade_in_s / fade_out_s) when the fades together are longer than
// the programme.
Result<void> set_fades(const MasterSpec& master, int sample_rate, ProgrammeEdit& edit);

}  // namespace sf::master
