#include "app/demo_generator.h"

#include <fstream>
#include <optional>
#include <string>

#include <nlohmann/json.hpp>

#include "app/assets.h"
#include "engine/audio/audio_file.h"
#include "engine/core/random.h"
#include "engine/session/session.h"
#include "engine/synth/demo_instruments.h"

namespace sf::cli {

namespace {

constexpr const char* kDescription = "demo/demo.json";

Error description_error(const std::string& what) {
    return Error{ErrorCode::Internal, std::string("assets/") + kDescription + ": " + what, 0};
}

Result<void> write_track(const std::filesystem::path& file, const synth::Track& t, ExportFormat format, int bits) {
    WriteSpec ws;
    ws.format = format;
    ws.bit_depth = bits;
    ws.sample_rate = t.rate;
    ws.channels = t.channels;
    ws.dither = bits == 32 ? Dither::None : Dither::Tpdf;
    uint64_t seed = 1469598103934665603ull;  // FNV-1a of the name: stable everywhere
    for (unsigned char ch : t.name) seed = (seed ^ ch) * 1099511628211ull;
    ws.dither_seed = seed;
    auto w = AudioFileWriter::create(file, ws);
    if (!w) return std::unexpected(w.error());
    AudioBuffer block(t.channels, 65536);
    for (size_t pos = 0; pos < t.frames(); pos += 65536) {
        const size_t n = std::min<size_t>(65536, t.frames() - pos);
        for (int c = 0; c < t.channels; ++c)
            std::copy_n(t.data[static_cast<size_t>(c)].data() + pos, n, block.channel(c));
        if (auto ok = w->write(block, static_cast<int64_t>(n)); !ok) return ok;
    }
    return w->commit();
}

Result<void> write_text_atomically(const std::filesystem::path& file, const std::string& text) {
    std::error_code ec;
    std::filesystem::create_directories(file.parent_path(), ec);
    std::string temp_name = ".";  // (+= : GCC 12 warns falsely on "literal" + std::string&&)
    temp_name += file.filename().string();
    temp_name += ".part";
    const auto temp = file.parent_path() / temp_name;
    {
        std::ofstream out(temp, std::ios::binary | std::ios::trunc);
        if (!out) return fail(ErrorCode::FileWrite, file.string() + ": cannot create");
        out << text;
        out.flush();
        if (!out) {
            std::filesystem::remove(temp, ec);
            return fail(ErrorCode::FileWrite, file.string() + ": write failed");
        }
    }
    std::filesystem::rename(temp, file, ec);
    if (ec) return fail(ErrorCode::FileWrite, file.string() + ": cannot move into place: " + ec.message());
    return {};
}

// One entry of "audio": what to synthesise and how to write it.
struct AudioRecipe {
    std::string name, instrument, file;
    std::optional<int> rate;         // absent: the session's rate
    int channels = 1;
    std::optional<double> seconds;   // absent: the demo's duration
    std::optional<uint64_t> seed;    // absent: the shared noise generator
    ExportFormat format = ExportFormat::Wav;
    int bit_depth = 24;
    double peak = 1.0;
};

Result<AudioRecipe> recipe(const nlohmann::json& j, size_t i) {
    const std::string at = "audio[" + std::to_string(i) + "]";
    try {
        AudioRecipe r;
        r.name = j.at("name").get<std::string>();
        r.instrument = j.at("instrument").get<std::string>();
        r.file = j.at("file").get<std::string>();
        if (j.contains("rate")) r.rate = j.at("rate").get<int>();
        r.channels = j.at("channels").get<int>();
        if (j.contains("seconds")) r.seconds = j.at("seconds").get<double>();
        if (j.contains("seed")) r.seed = j.at("seed").get<uint64_t>();
        auto format = enum_from_name<ExportFormat>(j.at("format").get<std::string>());
        if (!format) return std::unexpected(description_error(at + ".format: not a format name"));
        r.format = *format;
        r.bit_depth = j.at("bit_depth").get<int>();
        r.peak = j.at("peak").get<double>();
        return r;
    } catch (const nlohmann::json::exception& e) {
        return std::unexpected(description_error(at + ": " + e.what()));
    }
}

}  // namespace

Result<std::filesystem::path> write_demo_session(const std::filesystem::path& dir, const DemoOptions& options) {
    const double dur = std::max(8.0, options.duration_s);
    const int sr = options.sample_rate;
    const auto text = find_asset(kDescription);
    if (!text) return std::unexpected(description_error("not embedded in this binary"));
    const auto description = nlohmann::json::parse(*text, nullptr, false);
    if (description.is_discarded() || !description.contains("audio") || !description.contains("session") ||
        !description.contains("noise_seed"))
        return std::unexpected(description_error("malformed (needs noise_seed, audio and session)"));

    // The session first: a description the parser rejects writes nothing.
    auto session = parse_session(description["session"].dump(), dir, std::string("assets/") + kDescription + ": session");
    if (!session) return std::unexpected(Error{ErrorCode::Internal, session.error().message, 0});
    session->sample_rate = sr;

    std::error_code ec;
    std::filesystem::create_directories(dir / "stems", ec);
    std::filesystem::create_directories(dir / "irs", ec);
    if (ec) return fail(ErrorCode::FileWrite, (dir / "stems").string() + ": cannot create folder: " + ec.message());

    Random shared(description["noise_seed"].get<uint64_t>());
    const auto& audio = description["audio"];
    for (size_t i = 0; i < audio.size(); ++i) {
        auto r = recipe(audio[i], i);
        if (!r) return std::unexpected(r.error());
        synth::Track track(r->name, r->rate.value_or(sr), r->channels, r->seconds.value_or(dur));
        std::optional<Random> own;
        if (r->seed) own.emplace(*r->seed);
        if (!synth::play(r->instrument, track, dur, own ? *own : shared))
            return std::unexpected(description_error("audio[" + std::to_string(i) + "]: no instrument \"" + r->instrument +
                                                     "\" with " + std::to_string(r->channels) + " channel(s)"));
        track.normalize(r->peak);
        if (auto ok = write_track(dir / r->file, track, r->format, r->bit_depth); !ok) return std::unexpected(ok.error());
    }

    const auto file = dir / "session.json";
    if (auto ok = write_text_atomically(file, to_json(*session)); !ok) return std::unexpected(ok.error());
    return file;
}

}  // namespace sf::cli
