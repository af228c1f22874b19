// `stemforge bench album` — see app/album_commands.h. One generated bench
// session (app/bench_session.h: N stems with EQ, compressors, reverb sends)
// is written once; each track is a copy of it with every stem's gain moved by
// its own offset (−3 .. +3 dB), so the tracks differ in loudness. Both
// contenders run in this process on the same backend and write the same
// files (24-bit FLAC at 48 kHz, one per track) through the same master block
// (linear EQ, 3-band multiband, limiter at -1 dBTP, -14 LUFS):
//   album:  `stemforge album` on an album of the track sessions;
//   render: the same sessions, each with that master block as its own,
//           rendered one `stemforge render` at a time.
// Wall-clock times include reading the stems and writing and checking files.
#include <cmath>
#include <cstdio>
#include <fstream>
#include <unistd.h>

#include <nlohmann/json.hpp>

#include "analysis/analyze.h"
#include "analysis/loudness_probe.h"
#include "app/album_commands.h"
#include "app/backends.h"
#include "app/bench_session.h"
#include "app/cli.h"
#include "engine/album/album_renderer.h"
#include "engine/core/clock.h"
#include "engine/session/session_blocks.h"

namespace sf::cli {

namespace {

MasterSpec bench_master() {
    MasterSpec m;
    EqBand shelf;
    shelf.type = EqBandType::LowShelf;
    shelf.freq_hz = 100.0;
    shelf.gain_db = 1.5;
    EqBand air;
    air.type = EqBandType::HighShelf;
    air.freq_hz = 10000.0;
    air.gain_db = 1.0;
    m.eq = EqSpec{EqMode::Linear, {shelf, air}};
    MultibandSpec mb;
    mb.crossovers_hz = {120.0, 2000.0};
    mb.bands.resize(3);
    for (MultibandBand& b : mb.bands) {
        b.threshold_db = -24.0;
        b.ratio = 2.0;
    }
    m.multiband = mb;
    m.limiter = LimiterSpec{};
    m.limiter->ceiling_dbtp = -1.0;
    m.loudness_target_lufs = -14.0;
    return m;
}

}  // namespace

int run_bench_album(const BenchAlbumArgs& args) {
    std::error_code ec;
    std::filesystem::path dir = args.dir;
    const bool temporary = dir.empty();
    if (temporary) dir = std::filesystem::temp_directory_path() / ("stemforge-bench-album-" + std::to_string(::getpid()));
    std::filesystem::create_directories(dir, ec);
    if (ec) return report(Error{ErrorCode::FileWrite, dir.string() + ": cannot create: " + ec.message(), 0});
    dir = std::filesystem::absolute(dir);
    struct Cleanup {
        std::filesystem::path d;
        bool on;
        ~Cleanup() {
            std::error_code e;
            if (on) std::filesystem::remove_all(d, e);
        }
    } cleanup{dir, temporary};

    BenchSessionOptions so;
    so.stems = args.stems;
    so.duration_s = args.duration_s;
    so.ir_s = 2.0;
    so.reverb_buses = 1;
    auto written = write_bench_session(dir, so);
    if (!written) return report(written.error());
    auto base = load_session(*written);
    if (!base) return report(base.error());

    const MasterSpec master = bench_master();
    nlohmann::json tracks = nlohmann::json::array();
    std::vector<std::filesystem::path> sessions;
    for (int t = 0; t < args.tracks; ++t) {
        Session s = *base;
        const double offset_db = -3.0 + 6.0 * ((t * 7) % args.tracks) / std::max(1, args.tracks - 1);
        for (StemSpec& stem : s.stems) stem.gain_db += offset_db;
        s.master = master;
        char name[64], output[64];
        std::snprintf(name, sizeof name, "track%02d.json", t + 1);
        std::snprintf(output, sizeof output, "render/track%02d.flac", t + 1);
        ExportSpec e;
        e.file_as_written = output;
        e.file = dir / e.file_as_written;
        e.format = ExportFormat::Flac;
        e.bit_depth = 24;
        s.exports = {e};
        std::ofstream(dir / name) << to_json(s);
        sessions.push_back(dir / name);
        tracks.push_back({{"session", name}, {"title", "Track " + std::to_string(t + 1)}, {"gap_s", 2.0}});
    }
    nlohmann::json album_json = {{"format", "stemforge-album"},
                                 {"version", 1},
                                 {"title", "Bench album"},
                                 {"artist", "Stemforge"},
                                 {"loudness", {{"mode", args.mode}, {"target_lufs", -14.0}, {"ceiling_dbtp", -1.0}}},
                                 {"master", master_block_json(master)},
                                 {"tracks", tracks},
                                 {"export", {{{"dir", "album"}, {"format", "flac"}, {"bit_depth", 24}}}}};
    std::ofstream(dir / "album.json") << album_json.dump(2);
    auto album = album::load_album(dir / "album.json");
    if (!album) return report(album.error());

    const LoudnessProbeFactory probe = [] { return analysis::make_loudness_probe(); };
    auto log = [](const std::string& note) { std::fprintf(stderr, "stemforge: %s\n", note.c_str()); };

    // ---- render: one session at a time ----
    double render_s = 0.0;
    nlohmann::json render_tracks = nlohmann::json::array();
    for (const auto& file : sessions) {
        auto session = load_session(file);
        if (!session) return report(session.error());
        DeliveryTransaction transaction;
        RenderOptions options;
        options.transaction = &transaction;
        options.loudness_probe = probe;
        const auto t0 = Clock::now();
        auto rendered = render_with_fallback(args.backend, *session, options, log);
        if (!rendered) return report(rendered.error());
        if (auto ok = transaction.commit(); !ok) return report(ok.error());
        render_s += seconds_since(t0);
        auto m = analysis::analyze_file(rendered->result.outputs.front());
        if (!m) return report(m.error());
        render_tracks.push_back({{"file", rendered->result.outputs.front().string()},
                                 {"integrated_lufs", number_or_null(m->integrated_lufs)},
                                 {"true_peak_dbtp", number_or_null(m->true_peak_dbtp)}});
    }

    // ---- album: every track in one command ----
    album::AlbumOptions options;
    DeliveryTransaction transaction;
    options.transaction = &transaction;
    options.loudness_probe = probe;
    options.render_mix = [&](const Session& session, const RenderOptions& ro, const std::function<void()>& restart) -> Result<RenderResult> {
        auto rendered = render_with_fallback(args.backend, session, ro, log, restart);
        if (!rendered) return std::unexpected(rendered.error());
        return std::move(rendered->result);
    };
    const auto t0 = Clock::now();
    auto rendered = album::render_album(*album, options);
    if (!rendered) return report(rendered.error());
    if (auto ok = transaction.commit(); !ok) return report(ok.error());
    const double album_s = seconds_since(t0);

    nlohmann::json album_tracks = nlohmann::json::array();
    double lo = INFINITY, hi = -INFINITY;
    for (const album::AlbumTrackReport& t : rendered->tracks) {
        album_tracks.push_back({{"title", t.title},
                                {"integrated_lufs", number_or_null(t.integrated_lufs)},
                                {"true_peak_dbtp", number_or_null(t.true_peak_dbtp)},
                                {"gain_db", t.gain_db}});
        lo = std::min(lo, t.integrated_lufs);
        hi = std::max(hi, t.integrated_lufs);
    }
    nlohmann::json out;
    out["tracks"] = args.tracks;
    out["stems_per_track"] = args.stems;
    out["duration_s_per_track"] = args.duration_s;
    out["mode"] = args.mode;
    out["backend"] = args.backend;
    out["album"] = {{"seconds", album_s},
                    {"album_integrated_lufs", number_or_null(rendered->album_integrated_lufs)},
                    {"track_loudness_range_lu", hi - lo},
                    {"timing", rendered->timing_s},
                    {"tracks", album_tracks}};
    out["render"] = {{"seconds", render_s}, {"tracks", render_tracks}};
    out["album_over_render"] = album_s / std::max(1e-9, render_s);
    if (args.json) {
        print_json(out);
    } else {
        std::printf("%d tracks x %.0f s, %d stems each, %s backend\n", args.tracks, args.duration_s, args.stems, args.backend.c_str());
        std::printf("album (%s mode): %8.2f s  album %.2f LUFS, tracks %.2f .. %.2f LUFS\n", args.mode.c_str(), album_s,
                    rendered->album_integrated_lufs, lo, hi);
        std::printf("render x %d:    %8.2f s\n", args.tracks, render_s);
        std::printf("album / render: %.2f\n", out["album_over_render"].get<double>());
    }
    return kOk;
}

}  // namespace sf::cli
