// `stemforge album ALBUM.json [--backend auto|cpu|gpu] [--json]`
#include <cstdio>
#include <unistd.h>

#include "analysis/loudness_probe.h"
#include "app/album_commands.h"
#include "app/backends.h"
#include "app/cli.h"
#include "app/signals.h"
#include "engine/album/album_renderer.h"

namespace sf::cli {

int run_album(const AlbumArgs& args) {
    auto album = album::load_album(args.album);
    if (!album) return report(album.error());

    album::AlbumOptions options;
    options.cancel = install_cancel_signals();
    DeliveryTransaction transaction;
    options.transaction = &transaction;
    options.loudness_probe = [] { return analysis::make_loudness_probe(); };
    const std::string backend = args.backend;
    options.render_mix = [&backend](const Session& session, const RenderOptions& ro, const std::function<void()>& restart) -> Result<RenderResult> {
        auto rendered = render_with_fallback(backend, session, ro, [](const std::string& note) { std::fprintf(stderr, "stemforge: %s\n", note.c_str()); },
                                             restart);
        if (!rendered) return std::unexpected(rendered.error());
        return std::move(rendered->result);
    };
    const bool terminal = ::isatty(STDERR_FILENO) != 0;
    options.progress = [&](const std::string& step) {
        if (terminal) std::fprintf(stderr, "\rstemforge: %-70s", step.c_str());
    };
    auto rendered = album::render_album(*album, options);
    if (terminal) std::fprintf(stderr, "\r%80s\r", "");
    if (!rendered) return report(rendered.error());
    if (auto ok = transaction.commit(); !ok) return report(ok.error());

    const album::AlbumReport& r = *rendered;
    if (args.json) {
        nlohmann::json out;
        nlohmann::json tracks = nlohmann::json::array();
        for (const album::AlbumTrackReport& t : r.tracks)
            tracks.push_back({{"title", t.title},
                              {"file", t.file.string()},
                              {"integrated_lufs", number_or_null(t.integrated_lufs)},
                              {"true_peak_dbtp", number_or_null(t.true_peak_dbtp)},
                              {"gain_db", t.gain_db},
                              {"pre_limiter_lufs", number_or_null(t.pre_limiter_lufs)},
                              {"duration_s", t.duration_s},
                              {"decisions", t.decisions}});
        out["tracks"] = tracks;
        out["album_integrated_lufs"] = number_or_null(r.album_integrated_lufs);
        nlohmann::json outputs = nlohmann::json::array();
        for (const auto& f : r.outputs) outputs.push_back(f.string());
        out["outputs"] = outputs;
        out["mode"] = album::to_string(r.mode);
        out["target_lufs"] = r.target_lufs;
        out["ceiling_dbtp"] = r.ceiling_dbtp;
        out["sample_rate"] = r.sample_rate;
        out["decisions"] = r.decisions;
        out["backend"] = r.backend.empty() ? nlohmann::json() : nlohmann::json(r.backend);
        out["device"] = r.device.empty() ? nlohmann::json() : nlohmann::json(r.device);
        nlohmann::json timing = nlohmann::json::object();
        for (const auto& [phase, s] : r.timing_s) timing[phase] = s;
        out["timing"] = timing;
        print_json(out);
        return kOk;
    }
    for (const auto& f : r.outputs) std::printf("wrote %s\n", f.string().c_str());
    for (size_t i = 0; i < r.tracks.size(); ++i) {
        const album::AlbumTrackReport& t = r.tracks[i];
        std::printf("%2zu %-32s %7.2f LUFS %7.2f dBTP  gain %+6.2f dB  %6.1f s\n", i + 1, t.title.c_str(), t.integrated_lufs,
                    t.true_peak_dbtp, t.gain_db, t.duration_s);
    }
    std::printf("album (%s mode): %.2f LUFS integrated (target %.1f), ceiling %.1f dBTP, %.1f s\n", album::to_string(r.mode),
                r.album_integrated_lufs, r.target_lufs, r.ceiling_dbtp, r.timing_s.count("total") ? r.timing_s.at("total") : 0.0);
    return kOk;
}

}  // namespace sf::cli
