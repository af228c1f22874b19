// `stemforge bench edit`: the demo rendered once through a RenderCache (the
// workstation's state after opening and rendering), then one edit ("stems[lead].gain_db"
// down 2 dB) rendered again through that cache and, in the same run, without
// one; each timed from the edit (the session validator included) to the
// master's meter values. Both renders must agree bit for bit. No DSP here:
// the renders are app/edit_preview's, the same the workstation runs.
#include <cmath>
#include <cstdio>
#include <fstream>
#include <iterator>
#include <unistd.h>

#include "app/bench_edit.h"
#include "app/cli.h"
#include "app/demo_generator.h"
#include "app/edit_preview.h"
#include "engine/core/clock.h"
#include "engine/session/session_edit.h"

namespace sf::cli {

namespace {

namespace fs = std::filesystem;

Result<std::string> read_bytes(const fs::path& file) {
    std::ifstream in(file, std::ios::binary);
    if (!in) return fail(ErrorCode::FileRead, file.string() + ": cannot read");
    return std::string(std::istreambuf_iterator<char>(in), {});
}

nlohmann::json meters_json(const LoudnessStats& m) {
    return {{"integrated_lufs", m.integrated_lufs}, {"max_short_term_lufs", m.max_short_term_lufs}, {"true_peak_dbtp", m.true_peak_dbtp}};
}

// The key's current value (a number) from the session's canonical JSON.
Result<double> current_value(const Session& session, const std::string& path) {
    // stems[NAME].KEY only: the bench edits one stem key.
    const size_t open = path.find('['), close = path.find("].");
    if (path.rfind("stems[", 0) != 0 || close == std::string::npos)
        return fail(ErrorCode::InvalidArgument, "--edit: \"" + path + "\" is not stems[NAME].KEY");
    const std::string name = path.substr(open + 1, close - open - 1), key = path.substr(close + 2);
    const nlohmann::json doc = nlohmann::json::parse(to_json(session));
    for (const auto& s : doc.at("stems"))
        if (s.value("name", "") == name) return s.contains(key) && s[key].is_number() ? s[key].get<double>() : 0.0;
    return fail(ErrorCode::InvalidArgument, "--edit: the session has no stem \"" + name + "\"");
}

struct EditRun {
    double edit_to_meter_s = 0.0;
    PreviewResult preview;
};

Result<EditRun> edit_and_render(const Session& session, const std::string& path, double value, const fs::path& out,
                                RenderCache* cache, const std::string& backend) {
    const auto t0 = Clock::now();
    auto edited = session_set(session, path, value);
    if (!edited) return std::unexpected(edited.error());
    PreviewRequest req;
    req.backend = backend;
    req.file = out;
    req.cache = cache;
    auto p = render_preview(*edited, req);
    if (!p) return std::unexpected(p.error());
    return EditRun{seconds_since(t0), std::move(*p)};
}

}  // namespace

int run_bench_edit(const BenchEditArgs& args) {
    fs::path dir = args.dir;
    const bool temporary = dir.empty();
    if (temporary) dir = fs::temp_directory_path() / ("stemforge-bench-edit-" + std::to_string(::getpid()));
    struct Cleanup {
        fs::path dir;
        ~Cleanup() {
            std::error_code ec;
            if (!dir.empty()) fs::remove_all(dir, ec);
        }
    } cleanup{temporary ? dir : fs::path()};
    std::fprintf(stderr, "bench edit: writing the demo (%.0f s) into %s\n", args.duration_s, dir.c_str());
    DemoOptions demo;
    demo.duration_s = args.duration_s;
    auto file = write_demo_session(dir, demo);
    if (!file) return report(file.error());
    auto session = load_session(*file);
    if (!session) return report(session.error());
    if (!args.master) session->master.reset();

    std::string path = args.edit_path;
    if (path.empty()) {
        // The demo's lead stem: "lead", else the first stem.
        std::string lead = session->stems.empty() ? std::string() : session->stems.front().name;
        for (const StemSpec& s : session->stems)
            if (s.name == "lead") lead = s.name;
        path = "stems[" + lead + "].gain_db";
    }
    auto before = current_value(*session, path);
    if (!before) return report(before.error());
    const double value = *before + args.edit_db;
    const fs::path out_dir = dir / "bench-edit";
    std::error_code ec;
    fs::create_directories(out_dir, ec);

    RenderCache cache;
    std::fprintf(stderr, "bench edit: first render (fills the cache)\n");
    PreviewRequest first;
    first.backend = args.backend;
    first.file = out_dir / "first.wav";
    first.cache = &cache;
    const auto t_first = Clock::now();
    auto cold = render_preview(*session, first);
    if (!cold) return report(cold.error());
    const double first_s = seconds_since(t_first);
    const RenderCache::Stats filled = cache.stats();
    cache.reset_stats();

    std::fprintf(stderr, "bench edit: set %s %.2f, rendered with the cache\n", path.c_str(), value);
    auto cached = edit_and_render(*session, path, value, out_dir / "cached.wav", &cache, args.backend);
    if (!cached) return report(cached.error());
    const RenderCache::Stats after = cache.stats();
    std::fprintf(stderr, "bench edit: the same edit rendered without a cache\n");
    auto uncached = edit_and_render(*session, path, value, out_dir / "uncached.wav", nullptr, args.backend);
    if (!uncached) return report(uncached.error());

    auto a = read_bytes(out_dir / "cached.wav"), b = read_bytes(out_dir / "uncached.wav");
    if (!a) return report(a.error());
    if (!b) return report(b.error());
    const bool identical = *a == *b;
    const double speedup = uncached->edit_to_meter_s / cached->edit_to_meter_s;

    nlohmann::json j;
    j["mode"] = "edit";
    j["session"] = file->string();
    j["duration_s"] = args.duration_s;
    j["backend"] = cached->preview.render.backend;
    j["master"] = args.master;
    j["edit"] = "set " + path + " " + std::to_string(value);
    j["first_render_s"] = first_s;
    j["cached"] = {{"edit_to_meter_s", cached->edit_to_meter_s},
                   {"timing", cached->preview.render.timing_s},
                   {"meters", meters_json(cached->preview.meters)},
                   {"cache", {{"stem_signal_hits", after.stem_signal_hits},
                              {"stem_signal_misses", after.stem_signal_misses},
                              {"stem_audio_hits", after.stem_audio_hits},
                              {"eq_design_hits", after.eq_design_hits},
                              {"eq_design_misses", after.eq_design_misses},
                              {"reverb_hits", after.reverb_hits},
                              {"bytes", cache.bytes()},
                              {"entries", cache.entries()}}}};
    j["uncached"] = {{"edit_to_meter_s", uncached->edit_to_meter_s},
                     {"timing", uncached->preview.render.timing_s},
                     {"meters", meters_json(uncached->preview.meters)}};
    j["first_render_cache_misses"] = filled.stem_signal_misses + filled.stem_audio_misses + filled.eq_design_misses;
    j["speedup"] = speedup;
    j["bit_identical"] = identical;
    if (args.json) {
        print_json(j);
    } else {
        std::printf("bench edit: %s on %s (%.0f s demo%s, %s backend)\n", j["edit"].get<std::string>().c_str(), file->c_str(),
                    args.duration_s, args.master ? "" : " without its master block", j["backend"].get<std::string>().c_str());
        std::printf("  first render (fills the cache): %.2f s\n", first_s);
        std::printf("  edit -> meters with the cache:    %.2f s (%zu of %zu stem signals from the cache)\n", cached->edit_to_meter_s,
                    after.stem_signal_hits, after.stem_signal_hits + after.stem_signal_misses);
        std::printf("  edit -> meters without a cache:   %.2f s\n", uncached->edit_to_meter_s);
        std::printf("  speed-up %.2fx; meters %.2f LUFS, max short-term %.2f LUFS, true peak %.2f dBTP; renders %s\n", speedup,
                    cached->preview.meters.integrated_lufs, cached->preview.meters.max_short_term_lufs,
                    cached->preview.meters.true_peak_dbtp, identical ? "bit-identical" : "DIFFER");
    }
    if (!identical) return report(Error{ErrorCode::Internal, "bench edit: the cached render differs from the uncached one", 0});
    return 0;
}

}  // namespace sf::cli
