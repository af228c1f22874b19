#include "analysis/analyze.h"

#include <oneapi/tbb/parallel_invoke.h>

#include <cmath>
#include <limits>

#include "analysis/levels.h"
#include "analysis/true_peak.h"
#include "engine/core/cancel.h"

namespace sf::analysis {

namespace {

nlohmann::json num(std::optional<double> v) {
    if (!v || !std::isfinite(*v)) return nullptr;
    return *v;
}
nlohmann::json db_of(double linear) { return num(to_dbfs(linear)); }

// A spectrum as 1/3-octave points in dB (null for 0), as the report gives it.
nlohmann::json third_octave_db(const Spectrum& s) {
    const auto sm = smooth_octave(s, 3, 20.0, 3);
    nlohmann::json p = nlohmann::json::array();
    for (double v : sm.power) p.push_back(num(v > 0.0 ? std::optional<double>(10.0 * std::log10(v)) : std::nullopt));
    return p;
}

}  // namespace

Result<FileAnalysis> analyze_file(const std::filesystem::path& file, const AnalyzeOptions& options) {
    SourceOptions so;   // the file's own rate
    so.max_channels = kMaxAnalysisChannels;
    auto source = AudioSource::open(file, so);
    if (!source) return std::unexpected(source.error());
    if (!(options.series_hop_s > 0.0 && options.series_hop_s <= 0.01))
        return fail(ErrorCode::InvalidArgument, "analyze: series_hop_s must be in (0, 0.01] s");
    if (options.block_frames < 1) return fail(ErrorCode::InvalidArgument, "analyze: block_frames must be >= 1");
    if (options.waveform && options.waveform_columns < 1) return fail(ErrorCode::InvalidArgument, "analyze: waveform_columns must be >= 1");
    if (cancel_requested(options.cancel)) return std::unexpected(cancelled_error("cancelled"));

    FileAnalysis out;
    out.file = file.string();
    out.info = source->info();
    out.duration_s = out.info.duration_s();
    const int ch = source->channels();
    const int rate = source->sample_rate();
    const int64_t total = source->frames();
    const bool stereo = ch == 2;

    LoudnessOptions lo;
    lo.sample_rate = rate;
    lo.channels = ch;
    lo.series_hop_s = options.series ? options.series_hop_s : 0.0;
    lo.mono_fold = stereo;   // mono compatibility: (L+R)/2 on both speakers
    auto loud = LoudnessMeter::create(lo);
    if (!loud) return std::unexpected(Error{loud.error().code, out.file + ": " + loud.error().message, 0});
    auto tp = TruePeakMeter::create(ch);
    if (!tp) return std::unexpected(tp.error());
    LevelMeter levels(ch);
    FileChecker checker(ch, rate);
    auto welch = WelchAnalyzer::create(rate, stereo ? 2 : 1, options.spectrum);
    if (!welch) return std::unexpected(welch.error());
    std::optional<StereoMeter> stereo_meter;
    if (stereo) stereo_meter.emplace(rate, options.vectorscope ? total : 0);
    std::optional<SpectrogramAnalyzer> sgram;
    if (options.spectrogram) {
        auto s = SpectrogramAnalyzer::create(rate, total, options.spectrogram_options);
        if (!s) return std::unexpected(s.error());
        sgram.emplace(std::move(*s));
    }
    std::optional<WaveformBuilder> waveform;
    if (options.waveform) waveform.emplace(ch, rate, total, options.waveform_columns);

    const int64_t block = options.block_frames;
    AudioBuffer cur(ch, block), next(ch, block);
    std::vector<float> mean(static_cast<size_t>(block));
    Result<int64_t> next_read = 0;
    int64_t pos = 0;
    auto read_into = [&](AudioBuffer& b, int64_t at) -> Result<int64_t> {
        const int64_t n = std::min(block, total - at);
        if (n <= 0) return 0;
        auto got = source->read(b, n);
        if (!got) return std::unexpected(got.error());
        return n;
    };
    Result<int64_t> cur_n = read_into(cur, 0);
    if (!cur_n) return std::unexpected(cur_n.error());
    while (pos < total && *cur_n > 0) {
        if (cancel_requested(options.cancel)) return std::unexpected(cancelled_error("cancelled"));
        const int64_t n = *cur_n;
        const std::vector<const float*> ptrs = cur.channel_pointers();
        auto run_loudness = [&] {
            loud->add(std::span<const float* const>(ptrs), n);
        };
        auto run_peak = [&] { tp->add(std::span<const float* const>(ptrs), n); };
        auto run_rest = [&] {
            levels.add(cur, n);
            checker.add(ptrs.data(), n);
            if (stereo_meter) stereo_meter->add(cur.channel(0), cur.channel(1), n);
            // The spectrum is of the channel mean: stereo derives it from the
            // L/R auto and cross spectra; more channels average first.
            const float* avg = cur.channel(0);
            if (ch > 1 && (ch > 2 || sgram)) {
                for (int64_t i = 0; i < n; ++i) {
                    float s = 0.0f;
                    for (int c = 0; c < ch; ++c) s += ptrs[static_cast<size_t>(c)][i];
                    mean[static_cast<size_t>(i)] = s / static_cast<float>(ch);
                }
                avg = mean.data();
            }
            if (stereo) {
                welch->add(ptrs.data(), n);
            } else {
                welch->add(&avg, n);
            }
            if (sgram) sgram->add(avg, n);
            if (waveform) waveform->add(ptrs.data(), n);
        };
        const int64_t next_pos = pos + n;
        auto run_read = [&] { next_read = read_into(next, next_pos); };
        if (options.parallel) {
            tbb::parallel_invoke(run_loudness, run_peak, run_rest, run_read);
        } else {
            run_loudness();
            run_peak();
            run_rest();
            run_read();
        }
        if (!next_read) return std::unexpected(next_read.error());
        pos = next_pos;
        std::swap(cur, next);
        cur_n = next_read;
        if (options.progress) options.progress(static_cast<double>(pos) / static_cast<double>(total));
    }
    if (options.progress && total == 0) options.progress(1.0);   // nothing to stream: still report the end (else the last block reported 1)
    welch->finish();

    out.integrated_lufs = loud->integrated_lufs();
    out.momentary_max_lufs = loud->momentary_max_lufs();
    out.short_term_max_lufs = loud->short_term_max_lufs();
    out.lra_lu = loud->loudness_range_lu();
    out.lra_low_lufs = loud->lra_low_lufs();
    out.lra_high_lufs = loud->lra_high_lufs();
    out.true_peak_dbtp = tp->true_peak_dbtp();
    const double frame_s = 1.0 / rate;
    if (const auto at = tp->true_peak_position_frames()) out.true_peak_max_s = *at * frame_s;
    if (const auto end = loud->momentary_max_end_frame()) out.momentary_max_s = static_cast<double>(*end) * frame_s;
    if (const auto end = loud->short_term_max_end_frame()) out.short_term_max_s = static_cast<double>(*end) * frame_s;
    for (int c = 0; c < ch; ++c) {
        out.channel_true_peak.push_back(tp->channel_true_peak(c));
        out.channel_sample_peak.push_back(levels.channel_peak(c));
        out.channel_rms.push_back(levels.channel_rms(c));
        out.inter_sample_overs += tp->inter_sample_overs(c);
    }
    out.sample_peak = levels.sample_peak();
    out.rms = levels.rms();
    out.spectrum = welch->spectrum();
    out.spectrum_max_hold = welch->max_hold_spectrum();
    if (stereo) {
        out.side_spectrum = welch->side_spectrum();
        out.side_spectrum_max_hold = welch->side_max_hold_spectrum();
    }
    if (waveform) out.waveform = waveform->result();
    if (stereo_meter) {
        out.stereo = stereo_meter->result(&*welch);
        out.correlation = out.stereo->correlation;
        if (out.integrated_lufs) {
            const auto mono = loud->mono_fold_integrated_lufs();
            // Fully cancelling fold-down: the loss is unbounded (reported null, flagged by checks).
            if (mono) out.mono_loss_lu = *out.integrated_lufs - *mono;
        }
    }
    if (sgram) out.spectrogram = sgram->result();
    out.checks = checker.result(out.info, out.inter_sample_overs);
    if (options.series) out.series = loud->series();
    return out;
}

nlohmann::json to_json(const FileAnalysis& a) {
    nlohmann::json j = {
        {"file", a.file},
        {"integrated_lufs", num(a.integrated_lufs)},
        {"momentary_max_lufs", num(a.momentary_max_lufs)},
        {"short_term_max_lufs", num(a.short_term_max_lufs)},
        {"lra_lu", num(a.lra_lu)},
        {"true_peak_dbtp", num(a.true_peak_dbtp)},
        {"sample_peak_dbfs", db_of(a.sample_peak)},
        {"rms_dbfs", db_of(a.rms)},
        {"correlation", num(a.correlation)},
        {"duration_s", a.duration_s},
        {"sample_rate", a.info.sample_rate},
        {"channels", a.info.channels},
        {"true_peak_max_s", num(a.true_peak_max_s)},
        {"momentary_max_s", num(a.momentary_max_s)},
        {"short_term_max_s", num(a.short_term_max_s)},
    };
    j["format"] = {{"container", a.info.container}, {"encoding", a.info.encoding}, {"bits", a.info.bits}, {"frames", a.info.frames}};
    j["lra_low_lufs"] = num(a.lra_low_lufs);
    j["lra_high_lufs"] = num(a.lra_high_lufs);
    nlohmann::json per = nlohmann::json::array();
    for (size_t c = 0; c < a.channel_true_peak.size(); ++c)
        per.push_back({{"true_peak_dbtp", db_of(a.channel_true_peak[c])},
                       {"sample_peak_dbfs", db_of(a.channel_sample_peak[c])},
                       {"rms_dbfs", db_of(a.channel_rms[c])},
                       {"dc_offset", c < a.checks.dc_offset.size() ? a.checks.dc_offset[c] : 0.0}});
    j["channels_detail"] = per;
    if (a.stereo) {
        const auto& s = *a.stereo;
        nlohmann::json oct = nlohmann::json::array();
        for (const auto& o : s.octaves) oct.push_back({{"centre_hz", o.centre_hz}, {"correlation", num(o.correlation)}});
        nlohmann::json over = nlohmann::json::array();
        for (double v : s.correlation_over_time) over.push_back(num(v));
        j["stereo"] = {{"correlation", num(s.correlation)},
                       {"balance_db", num(s.balance_db)},
                       {"side_mid_ratio", num(s.side_mid_ratio)},
                       {"side_mid_db", num(s.side_mid_ratio && *s.side_mid_ratio > 0.0 ? std::optional<double>(10.0 * std::log10(*s.side_mid_ratio)) : std::nullopt)},
                       {"mono_loss_lu", num(a.mono_loss_lu)},
                       {"correlation_octaves", oct},
                       {"correlation_hop_s", s.correlation_hop_s},
                       {"correlation_over_time", over}};
    }
    {
        const auto sm = smooth_octave(a.spectrum, 3, 20.0, 3);   // 1/3-octave points for the report
        nlohmann::json f = nlohmann::json::array(), p = nlohmann::json::array();
        for (size_t i = 0; i < sm.freq_hz.size(); ++i) {
            f.push_back(sm.freq_hz[i]);
            p.push_back(num(sm.power[i] > 0.0 ? std::optional<double>(10.0 * std::log10(sm.power[i])) : std::nullopt));
        }
        const size_t peak = a.spectrum.peak_bin(20.0, a.spectrum.sample_rate / 2.0);
        j["spectrum"] = {{"fft_size", a.spectrum.fft_size},
                         {"segments", a.spectrum.frames_averaged},
                         {"peak_hz", static_cast<double>(peak) * a.spectrum.bin_hz()},
                         {"third_octave_hz", f},
                         {"third_octave_db", p},
                         {"third_octave_max_db", third_octave_db(a.spectrum_max_hold)}};
        if (a.side_spectrum) j["spectrum"]["side_third_octave_db"] = third_octave_db(*a.side_spectrum);
        if (a.side_spectrum_max_hold) j["spectrum"]["side_third_octave_max_db"] = third_octave_db(*a.side_spectrum_max_hold);
    }
    if (a.waveform) {
        const WaveformOverview& w = *a.waveform;
        nlohmann::json lo = nlohmann::json::array(), hi = nlohmann::json::array();
        for (int c = 0; c < w.channels; ++c) {
            nlohmann::json l = nlohmann::json::array(), h = nlohmann::json::array();
            for (int k = 0; k < w.columns; ++k) {
                l.push_back(num(w.column_min(c, k)));
                h.push_back(num(w.column_max(c, k)));
            }
            lo.push_back(std::move(l));
            hi.push_back(std::move(h));
        }
        j["waveform"] = {{"column_s", w.column_s()}, {"min", lo}, {"max", hi}};
    }
    {
        const auto& c = a.checks;
        nlohmann::json runs = nlohmann::json::array();
        for (const auto& r : c.first_clip_runs) runs.push_back({{"channel", r.channel}, {"start_frame", r.start_frame}, {"length", r.length}});
        j["checks"] = {{"clipped_runs", c.clipped_runs},
                       {"clipped_samples", c.clipped_samples},
                       {"first_clip_runs", runs},
                       {"inter_sample_overs", c.inter_sample_overs},
                       {"leading_silence_s", c.leading_silence_s},
                       {"trailing_silence_s", c.trailing_silence_s},
                       {"identical_channels", c.identical_channels},
                       {"phase_inverted", c.phase_inverted},
                       {"warnings", c.warnings}};
    }
    if (!a.series.momentary_lufs.empty() || a.series.hop_s > 0.0) {
        nlohmann::json m = nlohmann::json::array(), s = nlohmann::json::array();
        for (double v : a.series.momentary_lufs) m.push_back(num(v));
        for (double v : a.series.short_term_lufs) s.push_back(num(v));
        j["series"] = {{"hop_s", a.series.hop_s}, {"momentary_lufs", m}, {"short_term_lufs", s}};
    }
    return j;
}

}  // namespace sf::analysis
