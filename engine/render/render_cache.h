// Stemforge — the render cache: what one render of a session can hand the
// next, so that an edit re-runs only what it touches (the workstation keeps
// one per open session; `stemforge bench edit` measures it).
//
// Three kinds of entry, each keyed by everything that feeds it:
// - stem audio: a stem's decoded source at the session rate, keyed by the
//   file (absolute path, size, modification time in ns) and the target rate.
//   A file edited on disk gets another key and is decoded again.
// - designs: an EQ's FIR (its bands, mode and the rate) and a reverb's
//   kernels (the IR file as above, predelay, wet level, the rate).
// - stem signal: a stem after its inserts (clip gain → EQ → compressor →
//   chorus; before width, pan, the fader and the sends) over the blocks in
//   which the mixer runs it, keyed by the stem's canonical JSON (to_json)
//   without the keys that act after the inserts (gain_db, pan, width, mute,
//   solo, sends, output, automation of pan, width and sends), its file as
//   above, the session rate and the block size. A stem whose compressor has
//   a detector path (a sidechain key or a sidechain EQ) hears other nodes
//   and is never stored. So a fader, pan, mute/solo or send move re-runs
//   only the summing, the buses and the master.
//
// A render with a cache is bit-identical to one without: an entry holds the
// very samples (or designs) the uncached render computes, and the renderer
// uses it only where the uncached render would compute the same thing (the
// stem signal only for renders from frame 0 on the same block grid).
//
// Memory: entries are charged by their sample and tap bytes against a budget
// (default kDefaultBudgetBytes); the least recently used are evicted to make
// room, and an entry larger than the budget is not stored (the render then
// streams as without a cache). Entries are shared_ptr<const>: one evicted
// while a render uses it stays valid for that render. A render allocates the
// buffers it fills (only those that fit the budget) before they are stored
// and charged, so while a cold render runs, up to twice the budget may be in
// use.
//
// Thread-safe (one mutex): a render's parallel stem preparation and the
// decode thread use it at once. Not copyable.
#pragma once

#include <cstddef>
#include <cstdint>
#include <filesystem>
#include <list>
#include <memory>
#include <mutex>
#include <string>
#include <unordered_map>
#include <vector>

#include "engine/audio/audio_buffer.h"
#include "engine/core/error.h"
#include "engine/dsp/eq_design.h"
#include "engine/dsp/fft_convolver.h"
#include "engine/session/session.h"

namespace sf {

// A file as a cache key part: "absolute path|size|mtime_ns". Errors
// (FileNotFound / FileRead) name the file.
Result<std::string> file_stamp(const std::filesystem::path& file);

// A stem after its inserts over timeline frames [first_frame, first_frame +
// audio.frames()), as the CPU mixer computed it, with the chain timing the
// mixer derived from its inserts.
struct StemSignal {
    int64_t first_frame = 0;
    AudioBuffer audio;
};

class RenderCache {
public:
    static constexpr size_t kDefaultBudgetBytes = size_t{1} << 30;  // 1 GiB

    explicit RenderCache(size_t budget_bytes = kDefaultBudgetBytes);
    RenderCache(const RenderCache&) = delete;
    RenderCache& operator=(const RenderCache&) = delete;

    // Lookups count a hit or a miss; null on a miss. Stores return false (and
    // keep nothing) when the entry alone exceeds the budget.
    std::shared_ptr<const AudioBuffer> find_stem_audio(const std::string& key);
    bool store_stem_audio(const std::string& key, std::shared_ptr<const AudioBuffer> audio);
    std::shared_ptr<const EqDesign> find_eq_design(const std::string& key);
    bool store_eq_design(const std::string& key, std::shared_ptr<const EqDesign> design);
    std::shared_ptr<const ConvolutionKernels> find_reverb(const std::string& key);
    bool store_reverb(const std::string& key, std::shared_ptr<const ConvolutionKernels> kernels);
    std::shared_ptr<const StemSignal> find_stem_signal(const std::string& key);
    bool store_stem_signal(const std::string& key, std::shared_ptr<const StemSignal> signal);

    // Whether an entry of this many bytes could be stored (<= the budget):
    // callers check before they allocate a buffer to fill.
    bool fits(size_t bytes) const { return bytes <= budget_; }

    struct Stats {
        size_t stem_audio_hits = 0, stem_audio_misses = 0;
        size_t eq_design_hits = 0, eq_design_misses = 0;
        size_t reverb_hits = 0, reverb_misses = 0;
        size_t stem_signal_hits = 0, stem_signal_misses = 0;
        size_t evictions = 0;
    };
    Stats stats() const;
    void reset_stats();
    size_t bytes() const;      // charged now
    size_t entries() const;
    size_t budget_bytes() const { return budget_; }
    void clear();

private:
    enum class Kind { StemAudio, EqDesign, Reverb, StemSignal };
    struct Entry {
        std::string key;  // kind-prefixed
        std::shared_ptr<const void> value;
        size_t bytes = 0;
    };
    std::shared_ptr<const void> find(Kind kind, const std::string& key);
    bool store(Kind kind, const std::string& key, std::shared_ptr<const void> value, size_t bytes);

    const size_t budget_;
    mutable std::mutex mutex_;
    std::list<Entry> lru_;  // most recently used first
    std::unordered_map<std::string, std::list<Entry>::iterator> index_;
    size_t bytes_ = 0;
    Stats stats_;
};

// Keys (see above). The stem-signal key is empty when the stem may not be
// stored (its compressor has a detector path).
std::string eq_design_key(const EqSpec& spec, int sample_rate);
Result<std::string> reverb_key(const ReverbSpec& spec, int sample_rate);
std::string stem_audio_key(const std::string& file_stamp, int sample_rate);
// Per stem of the session, its stem-signal key; empty where the stem may
// not be stored (a detector path) or its file cannot be stamped.
std::vector<std::string> stem_signal_keys(const Session& session, int64_t block_frames);

// A design through the cache (or straight through when cache is null).
Result<std::shared_ptr<const EqDesign>> cached_eq_design(RenderCache* cache, const EqSpec& spec, int sample_rate);
Result<std::shared_ptr<const ConvolutionKernels>> cached_reverb(RenderCache* cache, const ReverbSpec& spec, int sample_rate,
                                                               const std::string& label);

}  // namespace sf
