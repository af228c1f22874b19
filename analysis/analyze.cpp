#include "analysis/analyze.h"

#include <cmath>

#include "analysis/levels.h"

namespace sf::analysis {

Result<FileAnalysis> analyze_file(const std::filesystem::path& file, const AnalyzeOptions& /*options*/) {
    SourceOptions so;  // the file's own rate
    auto source = AudioSource::open(file, so);
    if (!source) return std::unexpected(source.error());
    FileAnalysis out;
    out.file = file.string();
    out.info = source->info();
    out.duration_s = out.info.duration_s();
    constexpr int64_t kBlock = 65536;
    AudioBuffer block(source->channels(), kBlock);
    LevelMeter levels(source->channels());
    for (int64_t pos = 0; pos < source->frames(); pos += kBlock) {
        const int64_t n = std::min(kBlock, source->frames() - pos);
        auto got = source->read(block, n);
        if (!got) return std::unexpected(got.error());
        levels.add(block, n);
    }
    out.sample_peak = levels.sample_peak();
    out.rms = levels.rms();
    return out;
}

nlohmann::json to_json(const FileAnalysis& a) {
    auto db = [](double linear) -> nlohmann::json {
        auto v = to_dbfs(linear);
        return v ? nlohmann::json(*v) : nlohmann::json(nullptr);
    };
    return {
        {"file", a.file},
        {"duration_s", a.duration_s},
        {"sample_rate", a.info.sample_rate},
        {"channels", a.info.channels},
        {"sample_peak_dbfs", db(a.sample_peak)},
        {"rms_dbfs", db(a.rms)},
    };
}

}  // namespace sf::analysis
