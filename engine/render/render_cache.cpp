#include "engine/render/render_cache.h"

#include <cstdio>
#include <system_error>

#include <nlohmann/json.hpp>
#include <sys/stat.h>

#include "engine/dsp/reverb.h"

namespace sf {

namespace {

// Doubles with every bit kept: two specs share a key only when they are equal.
std::string exact(double v) {
    char buf[40];
    std::snprintf(buf, sizeof buf, "%.17g", v);
    return buf;
}

size_t kernel_bytes(const ConvolutionKernels& k) {
    size_t n = 0;
    for (const auto& v : k.kernels) n += v.size() * sizeof(double);
    return n;
}

size_t buffer_bytes(const AudioBuffer& b) { return static_cast<size_t>(b.channels()) * static_cast<size_t>(b.frames()) * sizeof(float); }

}  // namespace

Result<std::string> file_stamp(const std::filesystem::path& file) {
    std::error_code ec;
    const std::filesystem::path abs = std::filesystem::absolute(file, ec);
    struct stat st {};
    if (ec || ::stat(abs.c_str(), &st) != 0) return fail(ErrorCode::FileNotFound, file.string() + ": no such file");
    // The inode too: a file replaced by a rename with the same size and time is another file.
    return abs.string() + "|" + std::to_string(st.st_dev) + ":" + std::to_string(st.st_ino) + "|" + std::to_string(st.st_size) + "|" +
           std::to_string(st.st_mtim.tv_sec) + "." + std::to_string(st.st_mtim.tv_nsec);
}

RenderCache::RenderCache(size_t budget_bytes) : budget_(budget_bytes) {}

std::shared_ptr<const void> RenderCache::find(Kind kind, const std::string& key) {
    const std::string full = std::to_string(static_cast<int>(kind)) + "#" + key;
    std::lock_guard lock(mutex_);
    auto it = index_.find(full);
    const bool hit = it != index_.end();
    switch (kind) {
        case Kind::StemAudio: ++(hit ? stats_.stem_audio_hits : stats_.stem_audio_misses); break;
        case Kind::EqDesign: ++(hit ? stats_.eq_design_hits : stats_.eq_design_misses); break;
        case Kind::Reverb: ++(hit ? stats_.reverb_hits : stats_.reverb_misses); break;
        case Kind::StemSignal: ++(hit ? stats_.stem_signal_hits : stats_.stem_signal_misses); break;
    }
    if (!hit) return nullptr;
    lru_.splice(lru_.begin(), lru_, it->second);  // now the most recently used
    return it->second->value;
}

bool RenderCache::store(Kind kind, const std::string& key, std::shared_ptr<const void> value, size_t bytes) {
    if (!value || bytes > budget_) return false;
    const std::string full = std::to_string(static_cast<int>(kind)) + "#" + key;
    std::lock_guard lock(mutex_);
    if (auto it = index_.find(full); it != index_.end()) {  // replaced (two renders filled it at once)
        bytes_ -= it->second->bytes;
        lru_.erase(it->second);
        index_.erase(it);
    }
    while (bytes_ + bytes > budget_ && !lru_.empty()) {
        bytes_ -= lru_.back().bytes;
        index_.erase(lru_.back().key);
        lru_.pop_back();
        ++stats_.evictions;
    }
    lru_.push_front(Entry{full, std::move(value), bytes});
    index_[full] = lru_.begin();
    bytes_ += bytes;
    return true;
}

std::shared_ptr<const AudioBuffer> RenderCache::find_stem_audio(const std::string& key) {
    return std::static_pointer_cast<const AudioBuffer>(find(Kind::StemAudio, key));
}
bool RenderCache::store_stem_audio(const std::string& key, std::shared_ptr<const AudioBuffer> audio) {
    const size_t bytes = audio ? buffer_bytes(*audio) : 0;
    return store(Kind::StemAudio, key, std::move(audio), bytes);
}
std::shared_ptr<const EqDesign> RenderCache::find_eq_design(const std::string& key) {
    return std::static_pointer_cast<const EqDesign>(find(Kind::EqDesign, key));
}
bool RenderCache::store_eq_design(const std::string& key, std::shared_ptr<const EqDesign> design) {
    const size_t bytes = design ? sizeof(EqDesign) + design->taps.size() * sizeof(double) : 0;
    return store(Kind::EqDesign, key, std::move(design), bytes);
}
std::shared_ptr<const ConvolutionKernels> RenderCache::find_reverb(const std::string& key) {
    return std::static_pointer_cast<const ConvolutionKernels>(find(Kind::Reverb, key));
}
bool RenderCache::store_reverb(const std::string& key, std::shared_ptr<const ConvolutionKernels> kernels) {
    const size_t bytes = kernels ? sizeof(ConvolutionKernels) + kernel_bytes(*kernels) : 0;
    return store(Kind::Reverb, key, std::move(kernels), bytes);
}
std::shared_ptr<const StemSignal> RenderCache::find_stem_signal(const std::string& key) {
    return std::static_pointer_cast<const StemSignal>(find(Kind::StemSignal, key));
}
bool RenderCache::store_stem_signal(const std::string& key, std::shared_ptr<const StemSignal> signal) {
    const size_t bytes = signal ? sizeof(StemSignal) + buffer_bytes(signal->audio) : 0;
    return store(Kind::StemSignal, key, std::move(signal), bytes);
}

RenderCache::Stats RenderCache::stats() const {
    std::lock_guard lock(mutex_);
    return stats_;
}
void RenderCache::reset_stats() {
    std::lock_guard lock(mutex_);
    stats_ = Stats{};
}
size_t RenderCache::bytes() const {
    std::lock_guard lock(mutex_);
    return bytes_;
}
size_t RenderCache::entries() const {
    std::lock_guard lock(mutex_);
    return lru_.size();
}
void RenderCache::clear() {
    std::lock_guard lock(mutex_);
    lru_.clear();
    index_.clear();
    bytes_ = 0;
}

std::string eq_design_key(const EqSpec& spec, int sample_rate) {
    std::string k = std::to_string(sample_rate) + "|" + to_string(spec.mode);
    for (const EqBand& b : spec.bands)
        k += "|" + std::string(to_string(b.type)) + "," + exact(b.freq_hz) + "," + exact(b.gain_db) + "," + exact(b.q) + "," +
             std::to_string(b.slope_db_oct);
    return k;
}

Result<std::string> reverb_key(const ReverbSpec& spec, int sample_rate) {
    auto stamp = file_stamp(spec.ir);
    if (!stamp) return std::unexpected(stamp.error());
    return *stamp + "|" + std::to_string(sample_rate) + "|" + exact(spec.predelay_ms) + "|" + exact(spec.wet_db);
}

std::string stem_audio_key(const std::string& stamp, int sample_rate) { return stamp + "|" + std::to_string(sample_rate); }

std::vector<std::string> stem_signal_keys(const Session& session, int64_t block_frames) {
    std::vector<std::string> keys(session.stems.size());
    const nlohmann::json doc = nlohmann::json::parse(to_json(session), nullptr, false);
    if (doc.is_discarded() || !doc.contains("stems") || doc["stems"].size() != session.stems.size()) return keys;
    for (size_t i = 0; i < session.stems.size(); ++i) {
        const StemSpec& s = session.stems[i];
        // A detector path hears other nodes (or depends on the graph's alignment).
        if (s.compressor && (!s.compressor->sidechain.empty() || s.compressor->sidechain_eq)) continue;
        auto stamp = file_stamp(s.file);
        if (!stamp) continue;
        nlohmann::json stem = doc["stems"][i];
        // What acts after the inserts; every other key (a future one too) feeds them.
        for (const char* after : {"gain_db", "pan", "width", "mute", "solo", "sends", "output"}) stem.erase(after);
        if (stem.contains("automation")) {
            for (const char* after : {"pan", "width", "send_db"}) stem["automation"].erase(after);
            if (stem["automation"].empty()) stem.erase("automation");
        }
        keys[i] = *stamp + "|" + std::to_string(session.sample_rate) + "|" + std::to_string(block_frames) + "|" + stem.dump();
    }
    return keys;
}

Result<std::shared_ptr<const EqDesign>> cached_eq_design(RenderCache* cache, const EqSpec& spec, int sample_rate) {
    std::string key;
    if (cache) {
        key = eq_design_key(spec, sample_rate);
        if (auto d = cache->find_eq_design(key)) return d;
    }
    auto d = design_eq(spec, sample_rate);
    if (!d) return std::unexpected(d.error());
    auto shared = std::make_shared<const EqDesign>(std::move(*d));
    if (cache) cache->store_eq_design(key, shared);
    return shared;
}

Result<std::shared_ptr<const ConvolutionKernels>> cached_reverb(RenderCache* cache, const ReverbSpec& spec, int sample_rate,
                                                               const std::string& label) {
    std::string key;
    if (cache) {
        // An IR that cannot be stamped: designed straight (design_reverb names the problem).
        if (auto k = reverb_key(spec, sample_rate)) {
            key = *k;
            if (auto hit = cache->find_reverb(key)) return hit;
        }
    }
    auto k = design_reverb(spec, sample_rate, label);
    if (!k) return std::unexpected(k.error());
    auto shared = std::make_shared<const ConvolutionKernels>(std::move(*k));
    if (cache && !key.empty()) cache->store_reverb(key, shared);
    return shared;
}

}  // namespace sf
