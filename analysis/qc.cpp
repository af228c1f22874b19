#include "analysis/qc.h"

#include <algorithm>
#include <cmath>
#include <cstdio>

#include "engine/audio/audio_file.h"
#include "engine/core/cancel.h"
#include "engine/master/preset.h"

namespace sf::analysis {

namespace {

std::string fmt(const char* f, double v) {
    char buf[96];
    std::snprintf(buf, sizeof buf, f, v);
    return buf;
}

std::string mmss(double s) {
    const auto total = static_cast<long long>(std::llround(std::max(0.0, s)));
    char buf[32];
    std::snprintf(buf, sizeof buf, "%lld:%02lld", total / 60, total % 60);
    return buf;
}

nlohmann::json num(std::optional<double> v) {
    if (!v || !std::isfinite(*v)) return nullptr;
    return *v;
}

QcCheck make(std::string name, CheckStatus status, nlohmann::json value, nlohmann::json limit, std::string unit, std::string message) {
    return QcCheck{std::move(name), status, std::move(value), std::move(limit), std::move(unit), std::move(message)};
}

// Status of a value against a warn and a fail threshold, larger = worse.
CheckStatus above(double v, double warn, double fail) { return v > fail ? CheckStatus::Fail : v > warn ? CheckStatus::Warn : CheckStatus::Pass; }

QcCheck loudness_check(const FileAnalysis& a, const QcTarget& t) {
    const auto& I = a.integrated_lufs;
    if (!t.target_lufs) {
        const std::string why = t.preset ? std::string("preset ") + to_string(*t.preset) + " has no loudness target" : "no target given (--preset or --target)";
        return make("loudness", CheckStatus::Pass, num(I), nullptr, "LUFS",
                    (I ? fmt("integrated %.1f LUFS", *I) : std::string("integrated loudness undefined (silence)")) + "; " + why);
    }
    const double target = *t.target_lufs;
    if (!I) return make("loudness", CheckStatus::Fail, nullptr, target, "LUFS", fmt("no gated loudness (silence); target %.1f LUFS", target));
    const double d = *I - target, ad = std::abs(d);
    CheckStatus s = ad <= t.loudness_pass_lu ? CheckStatus::Pass
                  : ad <= t.loudness_warn_lu ? CheckStatus::Warn
                  : t.loudness_fail_beyond   ? CheckStatus::Fail
                                             : CheckStatus::Warn;
    std::string msg = fmt("integrated %.1f LUFS, ", *I) + fmt(d >= 0 ? "%.1f LU above" : "%.1f LU below", ad) + fmt(" the target %.1f LUFS", target) +
                      fmt(" (pass within ±%.1f LU", t.loudness_pass_lu);
    if (t.loudness_warn_lu > t.loudness_pass_lu) msg += fmt(", warn within ±%.1f LU", t.loudness_warn_lu);
    msg += t.loudness_fail_beyond ? ")" : "; the platform normalises, so beyond is a warning)";
    return make("loudness", s, *I, target, "LUFS", msg);
}

QcCheck true_peak_check(const FileAnalysis& a, const QcTarget& t) {
    const double ceiling = t.ceiling_dbtp.value_or(0.0);
    const std::string what = t.ceiling_dbtp ? fmt("the ceiling %.1f dBTP", ceiling) : std::string("full scale (0 dBTP; no ceiling given)");
    if (!a.true_peak_dbtp) return make("true_peak", CheckStatus::Pass, nullptr, ceiling, "dBTP", "silent: no true peak");
    const double tp = *a.true_peak_dbtp;
    const bool over = tp > ceiling;
    std::string msg = fmt("true peak %+.2f dBTP", tp) + (a.true_peak_max_s ? fmt(" at %.3f s", *a.true_peak_max_s) : std::string()) +
                      (over ? fmt(", %.2f dB over ", tp - ceiling) : std::string(", under ")) + what;
    return make("true_peak", over ? CheckStatus::Fail : CheckStatus::Pass, tp, ceiling, "dBTP", msg);
}

QcCheck clipping_check(const FileAnalysis& a) {
    const FileChecks& c = a.checks;
    if (c.clipped_runs == 0)
        return make("clipping", CheckStatus::Pass, 0, 0, "samples", fmt("no run of %.0f or more consecutive full-scale samples", kClipRunMin));
    const ClipRun* longest = &c.first_clip_runs.front();
    for (const auto& r : c.first_clip_runs)
        if (r.length > longest->length) longest = &r;
    const double rate = a.info.sample_rate > 0 ? a.info.sample_rate : 1.0;
    std::string msg = std::to_string(c.clipped_runs) + (c.clipped_runs == 1 ? " run" : " runs") + fmt(" of >= %.0f consecutive full-scale samples", kClipRunMin) +
                      " (" + std::to_string(c.clipped_samples) + " samples); the longest " + std::to_string(longest->length) + " samples" +
                      fmt(" at %.3f s", static_cast<double>(longest->start_frame) / rate) + " on channel " + std::to_string(longest->channel + 1);
    return make("clipping", CheckStatus::Fail, c.clipped_samples, 0, "samples", msg);
}

QcCheck overs_check(const FileAnalysis& a) {
    const int64_t n = a.inter_sample_overs;
    if (n == 0) return make("inter_sample_overs", CheckStatus::Pass, 0, 0, "overs", "no inter-sample over (reconstructed signal within full scale between samples)");
    std::string msg = std::to_string(n) + (n == 1 ? " inter-sample over" : " inter-sample overs") + ": the reconstructed signal exceeds full scale between samples";
    if (a.true_peak_dbtp) msg += fmt("; highest true peak %+.2f dBTP", *a.true_peak_dbtp) + (a.true_peak_max_s ? fmt(" at %.3f s", *a.true_peak_max_s) : std::string());
    return make("inter_sample_overs", CheckStatus::Fail, n, 0, "overs", msg);
}

QcCheck dc_check(const FileAnalysis& a) {
    double worst = 0.0;
    int channel = 0;
    for (size_t c = 0; c < a.checks.dc_offset.size(); ++c)
        if (std::abs(a.checks.dc_offset[c]) > worst) {
            worst = std::abs(a.checks.dc_offset[c]);
            channel = static_cast<int>(c);
        }
    if (worst <= 0.0) return make("dc_offset", CheckStatus::Pass, nullptr, kQcDcFailDbfs, "dBFS", "no DC offset");
    const double db = 20.0 * std::log10(worst);
    const CheckStatus s = above(db, kQcDcWarnDbfs, kQcDcFailDbfs);
    return make("dc_offset", s, db, kQcDcFailDbfs, "dBFS",
                fmt("largest DC offset %.2f dBFS", db) + fmt(" (%.5f of full scale)", a.checks.dc_offset[static_cast<size_t>(channel)]) + " on channel " +
                    std::to_string(channel + 1) + fmt("; warn above %.0f dBFS", kQcDcWarnDbfs) + fmt(", fail above %.0f dBFS", kQcDcFailDbfs));
}

QcCheck silence_check(const FileAnalysis& a, bool leading) {
    const FileChecks& c = a.checks;
    const char* name = leading ? "leading_silence" : "trailing_silence";
    const double limit = leading ? kQcLeadingSilenceWarnS : kQcTrailingSilenceWarnS;
    const double v = leading ? c.leading_silence_s : c.trailing_silence_s;
    if (c.all_silent) return make(name, CheckStatus::Fail, v, limit, "s", "the whole file is silent (no sample above -90 dBFS)");
    const CheckStatus s = v > limit ? CheckStatus::Warn : CheckStatus::Pass;
    return make(name, s, v, limit, "s",
                fmt(leading ? "%.3f s of silence (below -90 dBFS) before the first sound" : "%.3f s of silence (below -90 dBFS) after the last sound", v) +
                    fmt("; warn above %.1f s", limit));
}

QcCheck phase_check(const FileAnalysis& a) {
    if (!a.stereo) return make("phase", CheckStatus::Pass, nullptr, kQcPhaseFailS, "s", "not a stereo file");
    const auto& v = a.stereo->correlation_over_time;
    const double hop = a.stereo->correlation_hop_s;
    const auto& m = a.series.momentary_lufs;
    double longest = 0.0, start_of_longest = 0.0, total = 0.0;
    int64_t run = 0, run_start = 0;
    for (size_t k = 0; k <= v.size(); ++k) {
        bool out = false;
        if (k < v.size() && std::isfinite(v[k]) && v[k] < kQcPhaseCorrelation) {
            out = true;
            if (!m.empty() && a.series.hop_s > 0.0) {   // a quiet window's correlation says nothing (noise floor, reverb tails)
                const auto j = static_cast<int64_t>(std::llround((static_cast<double>(k) + 1.0) * hop / a.series.hop_s)) - 1;
                const double lufs = j >= 0 && j < static_cast<int64_t>(m.size()) ? m[static_cast<size_t>(j)] : -INFINITY;
                out = std::isfinite(lufs) && lufs >= kQcPhaseGateLufs;
            }
        }
        if (out) {
            if (run == 0) run_start = static_cast<int64_t>(k);
            ++run;
            total += hop;
        } else if (run > 0) {
            if (static_cast<double>(run) * hop > longest) {
                longest = static_cast<double>(run) * hop;
                start_of_longest = static_cast<double>(run_start) * hop;
            }
            run = 0;
        }
    }
    const bool inverted = a.correlation && *a.correlation < 0.0;
    CheckStatus s = longest >= kQcPhaseFailS || inverted ? CheckStatus::Fail : longest >= kQcPhaseWarnS ? CheckStatus::Warn : CheckStatus::Pass;
    std::string msg = longest > 0.0 ? fmt("longest out-of-phase stretch %.1f s", longest) + fmt(" from %.1f s", start_of_longest) + fmt(" (%.1f s in all", total) +
                                          fmt(" of 100 ms windows with correlation < %.1f)", kQcPhaseCorrelation)
                                    : fmt("no 100 ms window with correlation < %.1f", kQcPhaseCorrelation);
    if (a.correlation) msg += fmt("; overall correlation %+.2f", *a.correlation);
    if (inverted) msg += " (negative: the channels are out of phase)";
    return make("phase", s, longest, kQcPhaseFailS, "s", msg);
}

QcCheck mono_check(const FileAnalysis& a) {
    if (!a.stereo) return make("mono_compatibility", CheckStatus::Pass, nullptr, kQcMonoLossFailLu, "LU", "not a stereo file");
    if (!a.integrated_lufs) return make("mono_compatibility", CheckStatus::Pass, nullptr, kQcMonoLossFailLu, "LU", "silent: nothing to fold");
    if (!a.mono_loss_lu)
        return make("mono_compatibility", CheckStatus::Fail, nullptr, kQcMonoLossFailLu, "LU", "the mono fold-down (L+R)/2 cancels completely (R = -L)");
    const double loss = *a.mono_loss_lu;
    return make("mono_compatibility", above(loss, kQcMonoLossWarnLu, kQcMonoLossFailLu), loss, kQcMonoLossFailLu, "LU",
                fmt("the mono fold-down (L+R)/2 is %.1f LU quieter", loss) + fmt(" (warn above %.1f LU", kQcMonoLossWarnLu) +
                    fmt(", fail above %.1f LU)", kQcMonoLossFailLu));
}

QcCheck format_check(const FileAnalysis& a, const QcTarget& t) {
    const AudioInfo& i = a.info;
    const bool lossy = i.bits == 0;
    const bool is_float = i.encoding.starts_with("float");
    const std::string value = std::to_string(i.sample_rate) + " Hz, " + i.encoding + ", " + std::to_string(i.channels) + " ch";
    CheckStatus s = CheckStatus::Pass;
    std::string limit = "lossless, >= 44100 Hz, >= 16 bit";
    std::vector<std::string> why;
    auto worse = [&](CheckStatus to, std::string reason) {
        s = std::max(s, to);
        why.push_back(std::move(reason));
    };
    const auto p = t.preset;
    if (p == MasterPreset::Cd) {
        limit = "44100 Hz, PCM 16-bit, 2 ch (Red Book)";
        if (i.sample_rate != 44100) worse(CheckStatus::Fail, "CD audio is 44100 Hz");
        if (i.encoding != "PCM 16-bit") worse(CheckStatus::Fail, "CD audio is 16-bit PCM");
        if (i.channels != 2) worse(CheckStatus::Fail, "CD audio is 2 channels");
    } else {
        if (lossy) worse(CheckStatus::Warn, "a lossy file: deliver lossless (WAV, FLAC); a platform's transcode of a transcode loses more");
        else if (i.bits < 16) worse(CheckStatus::Fail, "fewer than 16 bits");
        if (i.sample_rate < 44100) worse(CheckStatus::Fail, "below 44100 Hz");
        if (p == MasterPreset::EbuR128 || p == MasterPreset::AtscA85 || p == MasterPreset::Radio) {
            limit = "48000 Hz, lossless, >= 16 bit (broadcast)";
            if (i.sample_rate != 48000 && i.sample_rate >= 44100) worse(CheckStatus::Warn, "broadcast delivery is 48000 Hz");
        } else if (p == MasterPreset::Apple) {
            limit = "lossless, >= 44100 Hz, 24 bit (Apple Digital Masters)";
            if (!lossy && !is_float && i.bits == 16) worse(CheckStatus::Warn, "Apple Digital Masters asks for 24-bit sources");
        } else if (p == MasterPreset::Vinyl) {
            limit = "lossless, >= 44100 Hz, >= 16 bit, 2 ch (cutting master)";
        }
        if (p && p != MasterPreset::AtscA85 && p != MasterPreset::EbuR128 && i.channels != 2) worse(CheckStatus::Warn, "not a stereo file");
    }
    std::string msg = value;
    if (why.empty()) {
        msg += t.preset ? std::string(" matches preset ") + to_string(*t.preset) : std::string(" (no preset: lossless and >= 44.1 kHz expected)");
    } else {
        msg += ": ";
        for (size_t k = 0; k < why.size(); ++k) msg += (k ? "; " : "") + why[k];
    }
    return make("format", s, value, limit, "", msg);
}

Result<void> stream_hf(const std::filesystem::path& file, HfLevelMeter& hf, const std::atomic<bool>* cancel) {
    SourceOptions so;
    so.max_channels = kMaxAnalysisChannels;
    auto src = AudioSource::open(file, so);
    if (!src) return std::unexpected(src.error());
    constexpr int64_t kBlock = 65536;
    AudioBuffer b(src->channels(), kBlock);
    for (int64_t pos = 0; pos < src->frames(); pos += kBlock) {
        if (cancel_requested(cancel)) return std::unexpected(cancelled_error("cancelled"));
        const int64_t n = std::min(kBlock, src->frames() - pos);
        auto got = src->read(b, n);
        if (!got) return std::unexpected(got.error());
        const auto ptrs = b.channel_pointers();
        hf.add(ptrs.data(), n);
    }
    return {};
}

}  // namespace

const char* to_string(CheckStatus status) {
    switch (status) {
        case CheckStatus::Pass: return "pass";
        case CheckStatus::Warn: return "warn";
        case CheckStatus::Fail: return "fail";
    }
    return "fail";
}

Result<QcTarget> qc_target(std::optional<std::string_view> preset, std::optional<double> target_lufs, std::optional<double> ceiling_dbtp,
                           VinylFormat vinyl_format) {
    QcTarget t;
    t.vinyl_format = vinyl_format;
    if (preset) {
        const auto p = master::preset_from_name(*preset);
        if (!p)
            return fail(ErrorCode::InvalidArgument, "--preset \"" + std::string(*preset) +
                                                        "\": unknown (streaming, apple, ebu-r128, atsc-a85, cd, youtube, radio, vinyl)");
        t.preset = *p;
        const auto& d = master::preset_defaults(*p);
        t.target_lufs = d.loudness_target_lufs;
        t.ceiling_dbtp = d.ceiling_dbtp;
        // Loudness tolerances (docs/qc.md): R 128 v4.0 (2020) allows ±1 LU in
        // production; ATSC A/85 ±2 dB; streaming platforms normalise playback
        // themselves, so a master off their reference is a warning, not a rejection.
        switch (*p) {
            case MasterPreset::Streaming:
            case MasterPreset::Apple:
            case MasterPreset::Youtube:
                t.loudness_pass_lu = 1.0;
                t.loudness_warn_lu = 1.0;
                t.loudness_fail_beyond = false;
                break;
            case MasterPreset::EbuR128:
            case MasterPreset::Radio:
                t.loudness_pass_lu = 1.0;
                t.loudness_warn_lu = 1.0;
                break;
            case MasterPreset::AtscA85:
                t.loudness_pass_lu = 2.0;
                t.loudness_warn_lu = 2.0;
                break;
            case MasterPreset::Cd:
            case MasterPreset::Vinyl: break;
        }
    }
    if (target_lufs) {
        if (!(*target_lufs >= -70.0 && *target_lufs <= 0.0)) return fail(ErrorCode::InvalidArgument, fmt("--target %g: must be in -70..0 LUFS", *target_lufs));
        t.target_lufs = *target_lufs;
    }
    if (ceiling_dbtp) {
        if (!(*ceiling_dbtp >= -20.0 && *ceiling_dbtp <= 0.0)) return fail(ErrorCode::InvalidArgument, fmt("--ceiling %g: must be in -20..0 dBTP", *ceiling_dbtp));
        t.ceiling_dbtp = *ceiling_dbtp;
    }
    return t;
}

std::vector<QcCheck> delivery_checks(const FileAnalysis& a, const QcTarget& t) {
    return {loudness_check(a, t), true_peak_check(a, t), clipping_check(a), overs_check(a), dc_check(a),
            silence_check(a, true), silence_check(a, false), phase_check(a), mono_check(a), format_check(a, t)};
}

std::vector<QcCheck> vinyl_checks(const VinylMeasures& m) {
    const VinylFormatSpec& spec = vinyl_format_spec(m.format);
    std::vector<QcCheck> out;
    {
        const CheckStatus s = m.side_s > spec.max_side_s ? CheckStatus::Fail : m.side_s > spec.ideal_side_s ? CheckStatus::Warn : CheckStatus::Pass;
        out.push_back(make("vinyl_side_length", s, m.side_s, spec.max_side_s, "s",
                           "side " + mmss(m.side_s) + " on " + spec.name + " (inch-rpm): ideal up to " + mmss(spec.ideal_side_s) + ", at most " +
                               mmss(spec.max_side_s) + (s == CheckStatus::Pass ? "" : s == CheckStatus::Warn ? " (the cut must be quieter)" : " (does not fit at a usable level)")));
    }
    if (!m.lf_level_db || *m.lf_level_db < kVinylLfGateDb) {
        out.push_back(make("vinyl_lf_side", CheckStatus::Pass, num(m.lf_side_share_db), kVinylLfSideFailDb, "dB",
                           fmt("no significant content below %.0f Hz", kVinylLfHz)));
    } else if (!m.lf_side_share_db) {
        out.push_back(make("vinyl_lf_side", CheckStatus::Pass, nullptr, kVinylLfSideFailDb, "dB", fmt("no side (L-R) content below %.0f Hz", kVinylLfHz)));
    } else {
        const double v = *m.lf_side_share_db;
        out.push_back(make("vinyl_lf_side", above(v, kVinylLfSideWarnDb, kVinylLfSideFailDb), v, kVinylLfSideFailDb, "dB",
                           fmt("the side (L-R) holds %.1f dB", v) + fmt(" of the energy below %.0f Hz", kVinylLfHz) +
                               fmt(" (warn above %.0f dB", kVinylLfSideWarnDb) + fmt(", fail above %.0f dB): vertical groove modulation", kVinylLfSideFailDb)));
    }
    if (!m.lf_min_correlation) {
        out.push_back(make("vinyl_lf_correlation", CheckStatus::Pass, nullptr, kVinylLfCorrelationFail, "",
                           "no stereo low-frequency band above the gate to judge"));
    } else {
        const double r = *m.lf_min_correlation;
        const CheckStatus s = r < kVinylLfCorrelationFail ? CheckStatus::Fail : r < kVinylLfCorrelationWarn ? CheckStatus::Warn : CheckStatus::Pass;
        out.push_back(make("vinyl_lf_correlation", s, r, kVinylLfCorrelationFail, "",
                           fmt("lowest correlation %+.2f", r) + fmt(" in the octave at %.1f Hz", m.lf_min_correlation_hz) +
                               fmt(" (warn below %+.1f", kVinylLfCorrelationWarn) + fmt(", fail below %+.1f: out-of-phase bass)", kVinylLfCorrelationFail)));
    }
    if (!m.hf_max_db) {
        out.push_back(make("vinyl_hf_level", CheckStatus::Pass, nullptr, kVinylHfFailDb, "dB", fmt("no content above %.0f Hz", kVinylHfLowHz)));
        out.push_back(make("vinyl_inner_groove", CheckStatus::Pass, nullptr, kVinylHfFailDb, "dB", fmt("no content above %.0f Hz", kVinylHfLowHz)));
    } else {
        const double v = *m.hf_max_db;
        out.push_back(make("vinyl_hf_level", above(v, kVinylHfWarnDb, kVinylHfFailDb), v, kVinylHfFailDb, "dB",
                           fmt("RIAA-weighted level above %.0f Hz", kVinylHfLowHz) + fmt(" peaks at %+.1f dB", v) + fmt(" at %.1f s", m.hf_max_s) +
                               fmt(" re a full-scale 1 kHz sine (sibilance, cymbals; warn above %.0f dB", kVinylHfWarnDb) +
                               fmt(", fail above %.0f dB)", kVinylHfFailDb)));
        if (!m.inner_groove_max_db) {
            out.push_back(make("vinyl_inner_groove", CheckStatus::Pass, nullptr, kVinylHfFailDb, "dB", "no high-frequency content in the last third of the side"));
        } else {
            const double g = *m.inner_groove_max_db;
            out.push_back(make("vinyl_inner_groove", above(g, kVinylHfWarnDb, kVinylHfFailDb), g, kVinylHfFailDb, "dB",
                               fmt("in the last third of the side: HF level %+.1f dB", g - m.inner_groove_loss_db) + fmt(" at %.1f s", m.inner_groove_max_s) +
                                   fmt(" plus %.1f dB of lost tracing headroom", m.inner_groove_loss_db) + fmt(" = %+.1f dB", g) +
                                   fmt(" (warn above %.0f dB", kVinylHfWarnDb) + fmt(", fail above %.0f dB)", kVinylHfFailDb)));
        }
    }
    return out;
}

QcCheck codec_check(const CodecMeasure& m) {
    const QcCodecSettings& s = qc_codec_settings(m.codec);
    const std::string name = std::string("codec_") + s.name;
    if (m.error) return make(name, CheckStatus::Warn, nullptr, 0.0, "dBTP", *m.error + " (not measured)");
    const bool tp_over = m.true_peak_dbtp && *m.true_peak_dbtp > 0.0;
    const CheckStatus st = tp_over || m.clipped_samples > 0 ? CheckStatus::Warn : CheckStatus::Pass;
    std::string msg = std::string(s.description) + ": decoded true peak " + (m.true_peak_dbtp ? fmt("%+.2f dBTP", *m.true_peak_dbtp) : std::string("-inf")) +
                      ", " + std::to_string(m.clipped_samples) + " samples over full scale";
    if (m.loudness_change_lu) msg += fmt(", loudness %+.2f LU", *m.loudness_change_lu);
    if (st == CheckStatus::Warn) msg += "; the transcode clips: lower the ceiling";
    return make(name, st, num(m.true_peak_dbtp), 0.0, "dBTP", msg);
}

CheckStatus worst_status(const std::vector<QcCheck>& checks) {
    CheckStatus s = CheckStatus::Pass;
    for (const auto& c : checks) s = std::max(s, c.status);
    return s;
}

Result<QcReport> run_qc(const std::filesystem::path& file, const QcOptions& o) {
    AnalyzeOptions ao;
    ao.series = true;   // the phase gate and the loudness plot
    ao.spectrogram = true;
    ao.vectorscope = true;
    ao.waveform = true;
    ao.waveform_columns = 2000;
    ao.cancel = o.cancel;
    auto a = analyze_file(file, ao);
    if (!a) return std::unexpected(a.error());
    QcReport r;
    r.target = o.target;
    r.checks = delivery_checks(*a, o.target);
    if (o.target.preset == MasterPreset::Vinyl) {
        auto hf = HfLevelMeter::create(a->info.sample_rate, a->info.channels);
        if (!hf) return std::unexpected(hf.error());
        if (auto s = stream_hf(file, *hf, o.cancel); !s) return std::unexpected(s.error());
        r.vinyl = vinyl_measures(*a, *hf, o.target.vinyl_format);
        for (auto& c : vinyl_checks(*r.vinyl)) r.checks.push_back(std::move(c));
    }
    if (!o.codecs.empty()) {
        SourceOptions so;
        so.max_channels = kMaxAnalysisChannels;
        auto audio = AudioSource::read_all(file, so);
        if (!audio) return std::unexpected(audio.error());
        std::error_code ec;
        const auto temp = o.temp_dir.empty() ? std::filesystem::temp_directory_path(ec) : o.temp_dir;
        for (QcCodec c : o.codecs) {
            if (cancel_requested(o.cancel)) return std::unexpected(cancelled_error("cancelled"));
            r.codecs.push_back(measure_codec(*audio, audio->frames(), a->info.sample_rate, c, a->integrated_lufs, temp));
            r.checks.push_back(codec_check(r.codecs.back()));
        }
    }
    r.status = worst_status(r.checks);
    r.analysis = std::move(*a);
    return r;
}

nlohmann::json to_json(const QcReport& r) {
    nlohmann::json j = to_json(r.analysis);
    j.erase("series");     // the plots' data, not the report's
    j.erase("waveform");
    j["file_checks"] = j["checks"];
    nlohmann::json checks = nlohmann::json::array();
    for (const auto& c : r.checks)
        checks.push_back({{"name", c.name}, {"status", to_string(c.status)}, {"value", c.value}, {"limit", c.limit}, {"unit", c.unit}, {"message", c.message}});
    j["checks"] = checks;
    nlohmann::json codecs = nlohmann::json::object();
    for (const auto& m : r.codecs) {
        const QcCodecSettings& s = qc_codec_settings(m.codec);
        nlohmann::json c = {{"encoder", s.description}};
        if (s.bitrate_kbps) c["bitrate_kbps"] = *s.bitrate_kbps;
        if (s.quality) c["quality"] = *s.quality;
        if (m.error) {
            c["error"] = *m.error;
        } else {
            c["sample_rate"] = m.sample_rate;
            c["true_peak_dbtp"] = num(m.true_peak_dbtp);
            c["clipped_samples"] = m.clipped_samples;
            c["integrated_lufs"] = num(m.integrated_lufs);
            c["loudness_change_lu"] = num(m.loudness_change_lu);
        }
        codecs[s.name] = c;
    }
    j["codecs"] = codecs;
    const QcTarget& t = r.target;
    j["qc"] = {{"preset", t.preset ? nlohmann::json(to_string(*t.preset)) : nlohmann::json(nullptr)},
               {"target_lufs", num(t.target_lufs)},
               {"loudness_pass_lu", t.loudness_pass_lu},
               {"loudness_warn_lu", t.loudness_warn_lu},
               {"loudness_fail_beyond", t.loudness_fail_beyond},
               {"ceiling_dbtp", num(t.ceiling_dbtp)}};
    if (r.vinyl) {
        const VinylMeasures& v = *r.vinyl;
        j["vinyl"] = {{"format", vinyl_format_spec(v.format).name},
                      {"side_s", v.side_s},
                      {"lf_level_db", num(v.lf_level_db)},
                      {"lf_side_share_db", num(v.lf_side_share_db)},
                      {"lf_min_correlation", num(v.lf_min_correlation)},
                      {"lf_min_correlation_hz", v.lf_min_correlation ? nlohmann::json(v.lf_min_correlation_hz) : nlohmann::json(nullptr)},
                      {"hf_max_db", num(v.hf_max_db)},
                      {"hf_max_s", v.hf_max_db ? nlohmann::json(v.hf_max_s) : nlohmann::json(nullptr)},
                      {"inner_groove_max_db", num(v.inner_groove_max_db)},
                      {"inner_groove_max_s", v.inner_groove_max_db ? nlohmann::json(v.inner_groove_max_s) : nlohmann::json(nullptr)},
                      {"inner_groove_loss_db", v.inner_groove_max_db ? nlohmann::json(v.inner_groove_loss_db) : nlohmann::json(nullptr)}};
    }
    j["status"] = to_string(r.status);
    return j;
}

}  // namespace sf::analysis
