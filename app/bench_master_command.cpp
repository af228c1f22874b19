// `stemforge bench master` — see app/bench_master.h. The programme is
// synthesised (engine/synth/programme.h), written once as 32-bit float WAV;
// both contenders read that file and write 24-bit WAV at 48 kHz; both
// results are measured by the same meter (analysis::analyze_file: BS.1770-4
// integrated loudness, 4x true peak). Wall-clock times include reading and
// writing files; FFmpeg's time is the sum of its two passes.
#include <cmath>
#include <unistd.h>
#include <cstdio>
#include <cstdlib>
#include <fstream>
#include <sstream>

#include <nlohmann/json.hpp>

#include "analysis/analyze.h"
#include "analysis/loudness_probe.h"
#include "app/backends.h"
#include "app/bench_master.h"
#include "app/cli.h"
#include "engine/audio/audio_file.h"
#include "engine/core/clock.h"
#include "engine/synth/programme.h"
#include "engine/render/renderer.h"

namespace sf::cli {

namespace {

std::string quote(const std::string& s) {
    std::string q = "'";
    for (char c : s) q += c == '\'' ? std::string("'\\''") : std::string(1, c);
    return q + "'";
}

// Runs a shell command, stderr+stdout into `log`; returns the exit status.
int run_logged(const std::string& cmd, const std::filesystem::path& log) {
    return std::system((cmd + " > " + quote(log.string()) + " 2>&1").c_str());
}

// The last {...} block of loudnorm's print_format=json output.
Result<nlohmann::json> loudnorm_json(const std::filesystem::path& log) {
    std::ifstream in(log);
    std::stringstream ss;
    ss << in.rdbuf();
    const std::string text = ss.str();
    const auto open = text.rfind('{');
    const auto close = text.rfind('}');
    if (open == std::string::npos || close == std::string::npos || close < open)
        return fail(ErrorCode::Internal, log.string() + ": no loudnorm JSON in FFmpeg's output");
    try {
        return nlohmann::json::parse(text.substr(open, close - open + 1));
    } catch (const std::exception& e) {
        return fail(ErrorCode::Internal, log.string() + ": cannot parse loudnorm JSON: " + e.what());
    }
}

struct Contender {
    double seconds = 0.0;
    analysis::FileAnalysis measured;
};

nlohmann::json contender_json(const Contender& c, double duration_s, double target, double ceiling) {
    const double tp = c.measured.true_peak_dbtp.value_or(-INFINITY);
    const double il = c.measured.integrated_lufs.value_or(-INFINITY);
    return {{"seconds", c.seconds},
            {"x_realtime", duration_s / std::max(1e-9, c.seconds)},
            {"integrated_lufs", number_or_null(il)},
            {"target_error_lu", number_or_null(il - target)},
            {"true_peak_dbtp", number_or_null(tp)},
            {"ceiling_margin_db", number_or_null(ceiling - tp)}};
}

}  // namespace

int run_bench_master(const BenchMasterArgs& args) {
    if (!args.backend.empty()) return run_bench_master_gpu(args);
    std::error_code ec;
    std::filesystem::path dir = args.dir;
    const bool temporary = dir.empty();
    if (temporary) dir = std::filesystem::temp_directory_path() / ("stemforge-bench-master-" + std::to_string(::getpid()));
    std::filesystem::create_directories(dir, ec);
    if (ec) return report(Error{ErrorCode::FileWrite, dir.string() + ": cannot create: " + ec.message(), 0});
    struct Cleanup {
        std::filesystem::path d;
        bool on;
        ~Cleanup() {
            std::error_code e;
            if (on) std::filesystem::remove_all(d, e);
        }
    } cleanup{dir, temporary};

    const int rate = 48000;
    const std::filesystem::path programme = dir / "programme.wav";
    {
        const AudioBuffer p = synth::synth_programme(rate, args.duration_s, 2026);
        WriteSpec ws;
        ws.bit_depth = 32;
        ws.sample_rate = rate;
        ws.dither = Dither::None;
        auto w = AudioFileWriter::create(programme, ws);
        if (!w) return report(w.error());
        if (auto ok = w->write(p, p.frames()); !ok) return report(ok.error());
        if (auto ok = w->commit(); !ok) return report(ok.error());
    }

    // ---- Stemforge: one render of a session holding the programme ----
    Contender sf_result;
    nlohmann::json sf_master;
    {
        nlohmann::json s = {{"format", "stemforge-session"}, {"version", 1}, {"sample_rate", rate},
                            {"stems", {{{"name", "programme"}, {"file", "programme.wav"}}}},
                            {"master", {{"loudness_target_lufs", args.target_lufs}, {"limiter", {{"ceiling_dbtp", args.ceiling_dbtp}}}}},
                            {"export", {{{"file", "stemforge.wav"}, {"bit_depth", 24}}}}};
        std::ofstream(dir / "session.json") << s.dump(2);
        auto session = load_session(dir / "session.json");
        if (!session) return report(session.error());
        auto backend = make_backend("cpu", nullptr);
        if (!backend) return report(backend.error());
        RenderOptions options;
        options.loudness_probe = [] { return analysis::make_loudness_probe(); };
        const auto t0 = Clock::now();
        auto result = render_session(*session, **backend, options);
        sf_result.seconds = seconds_since(t0);
        if (!result) return report(result.error());
        if (result->master) sf_master = {{"loop_passes", result->master->loop.size()}, {"delivery_rounds", result->master->delivery_rounds},
                                         {"gain_db", result->master->gain_db}};
        for (const auto& [k, v] : result->timing_s) sf_master["timing"][k] = v;
        auto m = analysis::analyze_file(dir / "stemforge.wav");
        if (!m) return report(m.error());
        sf_result.measured = std::move(*m);
    }

    // ---- FFmpeg: loudnorm two-pass (linear when it can) + alimiter ----
    Contender ff_result;
    nlohmann::json ff_info;
    {
        char norm[256];
        std::snprintf(norm, sizeof norm, "loudnorm=I=%.2f:TP=%.2f:LRA=20", args.target_lufs, args.ceiling_dbtp);
        const std::string in = quote(programme.string());
        const auto t0 = Clock::now();
        const std::string pass1 = quote(args.ffmpeg) + " -hide_banner -nostats -i " + in + " -af " + norm + ":print_format=json -f null -";
        if (run_logged(pass1, dir / "ffmpeg-pass1.log") != 0)
            return report(Error{ErrorCode::Internal, "ffmpeg pass 1 failed (see " + (dir / "ffmpeg-pass1.log").string() + ")", 0});
        auto measured = loudnorm_json(dir / "ffmpeg-pass1.log");
        if (!measured) return report(measured.error());
        const auto& j = *measured;
        char pass2_filter[1024];
        std::snprintf(pass2_filter, sizeof pass2_filter,
                      "%s:measured_I=%s:measured_TP=%s:measured_LRA=%s:measured_thresh=%s:offset=%s:linear=true:print_format=json,"
                      "alimiter=limit=%.6f:level=false,aresample=%d",
                      norm, j.value("input_i", "0").c_str(), j.value("input_tp", "0").c_str(), j.value("input_lra", "0").c_str(),
                      j.value("input_thresh", "0").c_str(), j.value("target_offset", "0").c_str(), std::pow(10.0, args.ceiling_dbtp / 20.0),
                      rate);
        const std::string pass2 = quote(args.ffmpeg) + " -hide_banner -nostats -y -i " + in + " -af " + quote(pass2_filter) +
                                  " -ac 2 -c:a pcm_s24le " + quote((dir / "ffmpeg.wav").string());
        if (run_logged(pass2, dir / "ffmpeg-pass2.log") != 0)
            return report(Error{ErrorCode::Internal, "ffmpeg pass 2 failed (see " + (dir / "ffmpeg-pass2.log").string() + ")", 0});
        ff_result.seconds = seconds_since(t0);
        if (auto second = loudnorm_json(dir / "ffmpeg-pass2.log")) ff_info["normalization_type"] = second->value("normalization_type", "?");
        auto m = analysis::analyze_file(dir / "ffmpeg.wav");
        if (!m) return report(m.error());
        ff_result.measured = std::move(*m);
    }

    nlohmann::json out;
    out["duration_s"] = args.duration_s;
    out["sample_rate"] = rate;
    out["target_lufs"] = args.target_lufs;
    out["ceiling_dbtp"] = args.ceiling_dbtp;
    out["stemforge"] = contender_json(sf_result, args.duration_s, args.target_lufs, args.ceiling_dbtp);
    out["stemforge"]["master"] = sf_master;
    out["ffmpeg"] = contender_json(ff_result, args.duration_s, args.target_lufs, args.ceiling_dbtp);
    out["ffmpeg"]["loudnorm"] = ff_info;
    out["speedup"] = ff_result.seconds / std::max(1e-9, sf_result.seconds);
    if (args.json) {
        print_json(out);
    } else {
        auto line = [&](const char* name, const nlohmann::json& c) {
            std::printf("%-10s %7.2f s  %6.1fx realtime  I %7.2f LUFS (%+.2f LU)  TP %6.2f dBTP (margin %+.2f dB)\n", name,
                        c["seconds"].get<double>(), c["x_realtime"].get<double>(), c["integrated_lufs"].is_null() ? -INFINITY : c["integrated_lufs"].get<double>(),
                        c["target_error_lu"].is_null() ? -INFINITY : c["target_error_lu"].get<double>(),
                        c["true_peak_dbtp"].is_null() ? -INFINITY : c["true_peak_dbtp"].get<double>(),
                        c["ceiling_margin_db"].is_null() ? INFINITY : c["ceiling_margin_db"].get<double>());
        };
        std::printf("mastering %.0f s stereo 48 kHz to %.1f LUFS, ceiling %.1f dBTP\n", args.duration_s, args.target_lufs, args.ceiling_dbtp);
        line("stemforge", out["stemforge"]);
        line("ffmpeg", out["ffmpeg"]);
        std::printf("speedup %.2fx (ffmpeg loudnorm mode: %s)\n", out["speedup"].get<double>(),
                    ff_info.value("normalization_type", std::string("?")).c_str());
    }
    return kOk;
}

}  // namespace sf::cli
