#include "tests/support/codec_oracle.h"

#include <algorithm>
#include <cctype>
#include <cmath>
#include <fstream>
#include <sstream>

#include <gtest/gtest.h>

#include "tests/support/test_support.h"

namespace sf::test {

nlohmann::json ffprobe(const std::filesystem::path& file) {
    auto r = run_command({"ffprobe", "-v", "error", "-show_format", "-show_streams", "-of", "json", file.string()});
    EXPECT_EQ(r.exit_code, 0) << "ffprobe " << file << ": " << r.err;
    if (r.exit_code != 0) return nullptr;
    return nlohmann::json::parse(r.out, nullptr, false);
}

std::map<std::string, std::string> ffprobe_tags(const std::filesystem::path& file) {
    std::map<std::string, std::string> tags;
    const auto j = ffprobe(file);
    if (j.is_null()) return tags;
    auto take = [&](const nlohmann::json& obj) {
        if (!obj.contains("tags")) return;
        for (const auto& [k, v] : obj["tags"].items()) {
            std::string key = k;
            std::transform(key.begin(), key.end(), key.begin(), [](unsigned char c) { return static_cast<char>(std::tolower(c)); });
            tags[key] = v.get<std::string>();
        }
    };
    if (j.contains("format")) take(j["format"]);
    if (j.contains("streams"))
        for (const auto& s : j["streams"]) take(s);
    return tags;
}

AudioBuffer ffmpeg_decode(const std::filesystem::path& file, int* rate) {
    const auto j = ffprobe(file);
    if (j.is_null() || !j.contains("streams") || j["streams"].empty()) {
        ADD_FAILURE() << "ffprobe found no stream in " << file;
        return {};
    }
    const auto& st = j["streams"][0];
    const int channels = st["channels"].get<int>();
    const int sr = std::stoi(st["sample_rate"].get<std::string>());
    if (rate) *rate = sr;
    TempDir dir;
    const auto raw = dir / "decoded.f32";
    auto r = run_command({"ffmpeg", "-v", "error", "-nostdin", "-y", "-i", file.string(), "-f", "f32le", "-acodec", "pcm_f32le", raw.string()});
    EXPECT_EQ(r.exit_code, 0) << "ffmpeg " << file << ": " << r.err;
    std::ifstream bin(raw, std::ios::binary | std::ios::ate);
    const auto bytes = static_cast<size_t>(bin.tellg());
    bin.seekg(0);
    std::vector<float> samples(bytes / sizeof(float));
    bin.read(reinterpret_cast<char*>(samples.data()), static_cast<std::streamsize>(samples.size() * sizeof(float)));
    const int64_t frames = static_cast<int64_t>(samples.size()) / channels;
    AudioBuffer out(channels, frames);
    for (int64_t i = 0; i < frames; ++i)
        for (int c = 0; c < channels; ++c) out.channel(c)[i] = samples[static_cast<size_t>(i * channels + c)];
    return out;
}

std::multimap<std::string, std::string> metaflac_tags(const std::filesystem::path& file) {
    std::multimap<std::string, std::string> tags;
    auto r = run_command({"metaflac", "--no-utf8-convert", "--export-tags-to=-", file.string()});
    EXPECT_EQ(r.exit_code, 0) << "metaflac " << file << ": " << r.err;
    std::istringstream lines(r.out);
    for (std::string line; std::getline(lines, line);) {
        const auto eq = line.find('=');
        if (eq == std::string::npos) continue;
        std::string key = line.substr(0, eq);
        std::transform(key.begin(), key.end(), key.begin(), [](unsigned char c) { return static_cast<char>(std::toupper(c)); });
        tags.emplace(key, line.substr(eq + 1));
    }
    return tags;
}

std::map<std::string, std::string> mutagen_id3(const std::filesystem::path& file) {
    // Debian's interpreter, where python3-mutagen lives (not a user's pyenv).
    static const char* script =
        "import json, sys, mutagen\n"
        "f = mutagen.File(sys.argv[1])\n"
        "t = f.tags if f is not None else None\n"
        "out = {}\n"
        "if t is not None:\n"
        "    out['version'] = '.'.join(str(v) for v in t.version)\n"
        "    for k, v in t.items(): out[k] = str(v)\n"
        "print(json.dumps(out))\n";
    auto r = run_command({"/usr/bin/python3", "-c", script, file.string()});
    EXPECT_EQ(r.exit_code, 0) << "mutagen " << file << ": " << r.err;
    std::map<std::string, std::string> out;
    const auto j = nlohmann::json::parse(r.out, nullptr, false);
    if (j.is_object())
        for (const auto& [k, v] : j.items()) out[k] = v.get<std::string>();
    return out;
}

int64_t best_lag(const AudioBuffer& a, const AudioBuffer& b, int64_t max_lag) {
    int64_t best = 0;
    double best_c = -INFINITY;
    for (int64_t lag = -max_lag; lag <= max_lag; ++lag) {
        double c = 0.0;
        for (int64_t i = 0; i < b.frames(); ++i) {
            const int64_t j = i + lag;
            if (j >= 0 && j < a.frames()) c += static_cast<double>(a.channel(0)[j]) * b.channel(0)[i];
        }
        if (c > best_c) {
            best_c = c;
            best = lag;
        }
    }
    return best;
}

double snr_db(const AudioBuffer& decoded, const AudioBuffer& reference, int64_t from, int64_t to) {
    double sig = 0.0, err = 0.0;
    for (int c = 0; c < std::min(decoded.channels(), reference.channels()); ++c)
        for (int64_t i = from; i < to; ++i) {
            const double r = reference.channel(c)[i], e = decoded.channel(c)[i] - r;
            sig += r * r;
            err += e * e;
        }
    return 10.0 * std::log10(sig / std::max(err, 1e-300));
}

}  // namespace sf::test
