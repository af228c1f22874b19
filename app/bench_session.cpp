#include "app/bench_session.h"

#include <algorithm>
#include <cmath>
#include <fstream>
#include <initializer_list>
#include <numbers>
#include <sstream>
#include <utility>
#include <vector>

#include "engine/audio/audio_file.h"
#include "engine/synth/bench_signals.h"

namespace sf::cli {

namespace {

std::string quote(const std::string& s) {
    std::string out = "'";
    for (char c : s) out += c == '\'' ? std::string("'\\''") : std::string(1, c);
    return out + "'";
}

Result<void> write_audio(const std::filesystem::path& file, const AudioBuffer& buf, int rate, int bits) {
    WriteSpec ws;
    ws.sample_rate = rate;
    ws.channels = buf.channels();
    ws.bit_depth = bits;
    ws.dither = bits == 32 ? Dither::None : Dither::Tpdf;
    auto w = AudioFileWriter::create(file, ws);
    if (!w) return std::unexpected(w.error());
    if (auto ok = w->write(buf, buf.frames()); !ok) return ok;
    return w->commit();
}

// A file from an earlier run is reused only when it has the same shape.
bool exists_with_shape(const std::filesystem::path& file, int channels, int64_t frames) {
    auto info = probe_audio(file);
    return info && info->channels == channels && info->frames == frames;
}

// A lane from (fraction of the duration, value) pairs.
AutomationLane lane_over(double duration_s, std::initializer_list<std::pair<double, double>> points) {
    AutomationLane lane;
    for (const auto& [fraction, value] : points) lane.push_back(AutomationPoint{fraction * duration_s, value});
    return lane;
}

constexpr const char* kDelayBusA = "delay_a";  // time_ms, filtered repeats
constexpr const char* kDelayBusB = "delay_b";  // note, pingpong

// The `effects` stages of stem i (see bench_session.h). Stem 0 is the key.
void add_effects(StemSpec& s, int i, int channels, double duration_s) {
    if (i == 0) s.name = "kick";
    if (i == 1) {
        s.name = "bass";
        // Ducking: the bass's gain follows the kick's low end.
        CompressorSpec duck;
        duck.threshold_db = -36.0;
        duck.ratio = 4.0;
        duck.knee_db = 6.0;
        duck.attack_ms = 5.0;
        duck.release_ms = 150.0;
        duck.sidechain = "kick";
        EqBand lp;
        lp.type = EqBandType::Lowpass;
        lp.freq_hz = 150.0;
        lp.slope_db_oct = 12;
        duck.sidechain_eq = EqSpec{EqMode::Minimum, {lp}};
        s.compressor = duck;
    }
    const char* delay_bus = i % 2 == 0 ? kDelayBusA : kDelayBusB;
    s.sends.push_back(SendSpec{delay_bus, -16.0, false});
    if (i % 8 == 2) {
        ChorusSpec c;
        c.rate_hz = 0.6 + 0.1 * (i / 8);
        c.depth_ms = 2.0;
        c.delay_ms = 12.0;
        c.voices = 3;
        c.mix = 0.4;
        c.stereo_phase_deg = 90.0;
        s.chorus = c;
    }
    if (channels == 2) s.width = 1.3;
    s.automation.gain_db = lane_over(duration_s, {{0.0, 0.0}, {0.2, -3.0 - i % 3}, {0.45, 1.5}, {0.7, -1.0 - i % 5}, {1.0, 0.0}});
    if (channels == 1) s.automation.pan = lane_over(duration_s, {{0.0, s.pan}, {1.0 / 3.0, -s.pan}, {2.0 / 3.0, 0.4}, {1.0, s.pan}});
    if (i % 4 == 0)  // two points at 0.4: a step back up after the fade down
        s.automation.send_db.push_back(SendAutomation{delay_bus, lane_over(duration_s, {{0.0, 0.0}, {0.4, -12.0}, {0.4, 0.0}, {1.0, -3.0}})});
}

void add_delay_buses(Session& session) {
    BusSpec a;
    a.name = kDelayBusA;
    a.delay = DelaySpec{};
    a.delay->time_ms = 375.0;
    a.delay->feedback = 0.35;
    a.delay->lowcut_hz = 200.0;
    a.delay->highcut_hz = 6000.0;
    session.buses.push_back(std::move(a));
    BusSpec b;
    b.name = kDelayBusB;
    b.delay = DelaySpec{};
    b.delay->note = "1/8d";
    b.delay->feedback = 0.45;
    b.delay->pingpong = true;
    session.buses.push_back(std::move(b));
}

}  // namespace

Result<std::filesystem::path> write_bench_session(const std::filesystem::path& dir, const BenchSessionOptions& o) {
    if (o.reverb_buses < 1 || o.reverb_buses > 26) return fail(ErrorCode::InvalidArgument, "bench session: 1 to 26 reverb buses");
    const int buses = o.reverb_buses;
    auto bus_name = [](int b) { return std::string("verb_") + static_cast<char>('a' + b); };
    std::error_code ec;
    std::filesystem::create_directories(dir / "stems", ec);
    std::filesystem::create_directories(dir / "irs", ec);
    if (ec) return fail(ErrorCode::FileWrite, dir.string() + ": cannot create folder: " + ec.message());
    const int sr = o.sample_rate;
    const int64_t frames = static_cast<int64_t>(std::llround(o.duration_s * sr));
    Session session;
    session.sample_rate = sr;
    for (int i = 0; i < o.stems; ++i) {
        char name[32];
        std::snprintf(name, sizeof name, "stems/%02d.wav", i);
        const int ch = o.all_stereo || i % 3 == 2 ? 2 : 1;
        if (!exists_with_shape(dir / name, ch, frames))
            if (auto ok = write_audio(dir / name, synth::bench_stem(i, ch, frames, sr), sr, 24); !ok) return std::unexpected(ok.error());
        StemSpec s;
        s.name = "s" + std::to_string(i);
        s.file_as_written = name;
        s.gain_db = -18.0;
        s.pan = ch == 1 ? -0.8 + 1.6 * (i % 7) / 6.0 : 0.0;
        EqBand hp;
        hp.type = EqBandType::Highpass;
        hp.freq_hz = 30.0 + 10.0 * (i % 8);
        hp.slope_db_oct = 12;
        EqBand bell;
        bell.type = EqBandType::Bell;
        bell.freq_hz = 300.0 * std::pow(1.25, i % 16);
        bell.gain_db = (i % 5) - 2.0;
        bell.q = 1.2;
        s.eq = EqSpec{i % 2 ? EqMode::Minimum : EqMode::Linear, {hp, bell}};
        s.sends.push_back(SendSpec{bus_name(i % buses), -10.0, false});
        if (i % 2 == 0) {
            CompressorSpec c;
            c.threshold_db = -30.0;
            c.ratio = 3.0;
            c.knee_db = 6.0;
            c.attack_ms = 10.0;
            c.release_ms = 120.0;
            s.compressor = c;
        }
        if (o.effects) add_effects(s, i, ch, o.duration_s);
        session.stems.push_back(std::move(s));
    }
    const int64_t ir_frames = static_cast<int64_t>(std::llround(o.ir_s * sr));
    for (int b = 0; b < buses; ++b) {
        const std::string ir = std::string("irs/") + static_cast<char>('a' + b) + ".wav";
        BusSpec bus;
        bus.name = bus_name(b);
        bus.reverb = ReverbSpec{};
        bus.reverb->ir_as_written = ir;
        session.buses.push_back(std::move(bus));
        if (exists_with_shape(dir / ir, 2, ir_frames)) continue;
        if (auto ok = write_audio(dir / ir, synth::bench_ir(b, ir_frames), sr, 32); !ok) return std::unexpected(ok.error());
    }
    if (o.effects) {
        session.tempo_bpm = 120.0;
        add_delay_buses(session);
    }
    ExportSpec out;
    out.file_as_written = "out/cpu.wav";
    out.bit_depth = 32;
    out.dither = Dither::None;
    session.exports.push_back(out);
    const auto file = dir / "bench.json";
    std::ofstream f(file);
    f << to_json(session);
    if (!f) return fail(ErrorCode::FileWrite, file.string() + ": cannot write");
    return file;
}

namespace {

double db_gain(double db) { return std::pow(10.0, db / 20.0); }

std::ostringstream number_stream() {
    std::ostringstream o;
    o.precision(9);
    return o;
}

// An automation lane as an FFmpeg expression of t (seconds): the first value
// plus each segment's change, ramped by clip() over the segment (a step, two
// points at one time, by gte()): linear in the lane's unit, ends held.
std::string lane_expr(const AutomationLane& lane) {
    auto e = number_stream();
    e << "(" << lane.front().value;
    for (size_t k = 1; k < lane.size(); ++k) {
        const double dv = lane[k].value - lane[k - 1].value, dt = lane[k].time_s - lane[k - 1].time_s;
        if (dv == 0.0) continue;
        if (dt > 0.0) e << "+(" << dv << ")*clip((t-" << lane[k - 1].time_s << ")/" << dt << ",0,1)";
        else e << "+(" << dv << ")*gte(t," << lane[k].time_s << ")";
    }
    e << ")";
    return e.str();
}

// `volume` evaluated once per frame (FFmpeg's block) from an expression of t.
// The quotes keep the expression's commas from splitting the filter chain.
std::string volume_expr(const std::string& expr) { return "volume=volume='" + expr + "':eval=frame"; }

std::string db_lane_volume(double offset_db, const AutomationLane& lane) {
    auto e = number_stream();
    e << "pow(10,(" << offset_db << "+" << lane_expr(lane) << ")/20)";
    return volume_expr(e.str());
}

Result<std::vector<std::string>> eq_filters(const EqSpec& eq, const std::string& where) {
    std::vector<std::string> out;
    for (const auto& b : eq.bands) {
        auto f = number_stream();
        if (b.type == EqBandType::Highpass) f << "highpass=f=" << b.freq_hz << ":p=2";
        else if (b.type == EqBandType::Lowpass) f << "lowpass=f=" << b.freq_hz << ":p=2";
        else if (b.type == EqBandType::Bell) f << "equalizer=f=" << b.freq_hz << ":t=q:w=" << b.q << ":g=" << b.gain_db;
        else return fail(ErrorCode::NotSupported, "bench FFmpeg graph: " + where + ": EQ band type " + to_string(b.type) + " is not in the graph");
        out.push_back(f.str());
    }
    return out;
}

// acompressor / sidechaincompress options (the two share them).
std::string compressor_options(const CompressorSpec& c) {
    auto f = number_stream();
    f << "threshold=" << db_gain(c.threshold_db) << ":ratio=" << c.ratio << ":attack=" << c.attack_ms << ":release=" << c.release_ms
      << ":knee=" << std::clamp(c.knee_db, 1.0, 8.0) << (c.detector == Detector::Peak ? ":detection=peak" : ":detection=rms")
      << ":link=maximum";
    if (c.makeup_db != 0.0) f << ":makeup=" << db_gain(c.makeup_db);
    return f.str();
}

// FFmpeg's chorus has no per-voice or per-channel phase and reads whole
// samples: the same number of voices, delays, depths and rates, and the same
// dry/wet balance, i.e. comparable work, not the same output.
std::string chorus_filter(const ChorusSpec& c) {
    auto f = number_stream();
    auto repeat = [&](double v) {
        for (int k = 0; k < c.voices; ++k) f << (k ? "|" : "") << v;
    };
    f << "chorus=in_gain=" << 1.0 - c.mix << ":out_gain=1:delays=";
    repeat(c.delay_ms);
    f << ":decays=";
    repeat(c.mix / c.voices);
    f << ":speeds=";
    repeat(c.rate_hz);
    f << ":depths=";
    repeat(c.depth_ms);
    return f.str();
}

// The delay's repeats as aecho taps (FFmpeg has no feedback delay): repeat k
// at k·D with gain feedback^(k−1), until −120 dB (where the render's tail
// ends too). `first`, `step`: which repeats (pingpong splits odd and even).
std::string aecho_filter(double delay_ms, double feedback, int first, int step) {
    auto delays = number_stream(), decays = number_stream();
    bool any = false;
    for (int k = first; k <= 256; k += step) {
        const double gain = std::pow(feedback, k - 1);
        if (gain < 1e-6) break;
        delays << (any ? "|" : "") << delay_ms * k;
        decays << (any ? "|" : "") << gain;
        any = true;
    }
    if (!any) return "volume=0";  // no repeat lands here (feedback 0, pingpong's right side)
    return "aecho=in_gain=0:out_gain=1:delays=" + delays.str() + ":decays=" + decays.str();
}

std::string join_filters(const std::vector<std::string>& filters) {
    if (filters.empty()) return "anull";  // a chain needs one filter
    std::string out;
    for (const auto& f : filters) out += (out.empty() ? "" : ",") + f;
    return out;
}

}  // namespace

Result<std::string> ffmpeg_mix_command(const Session& s, const std::filesystem::path& output, int threads,
                                       const std::filesystem::path& graph_script) {
    auto unsupported = [](const std::string& what) {
        return fail(ErrorCode::NotSupported, "bench FFmpeg graph: " + what + " has no equivalent in the graph");
    };
    std::ostringstream cmd, g;
    g.precision(9);
    cmd << "ffmpeg -nostdin -hide_banner -loglevel error -y";
    for (const auto& st : s.stems) cmd << " -i " << quote(st.file.string());
    const size_t ns = s.stems.size(), nb = s.buses.size();
    std::vector<int> ir_input(nb, -1);
    int next_input = static_cast<int>(ns);
    for (size_t b = 0; b < nb; ++b)
        if (s.buses[b].reverb) {
            cmd << " -i " << quote(s.buses[b].reverb->ir.string());
            ir_input[b] = next_input++;
        }
    std::vector<int> channels;
    for (const auto& st : s.stems) {
        auto info = probe_audio(st.file);
        if (!info) return std::unexpected(info.error());
        channels.push_back(info->channels);
    }
    // keyed_by[j]: the stems whose compressor stem j keys.
    std::vector<std::vector<size_t>> keyed_by(ns);
    for (size_t i = 0; i < ns; ++i) {
        const auto& c = s.stems[i].compressor;
        if (!c || c->sidechain.empty()) continue;
        size_t j = 0;
        while (j < ns && s.stems[j].name != c->sidechain) ++j;
        if (j == ns) return unsupported("stem \"" + s.stems[i].name + "\": a compressor keyed by a bus");
        keyed_by[j].push_back(i);
    }
    std::vector<std::vector<std::string>> bus_inputs(nb);
    std::vector<std::string> master;
    for (size_t i = 0; i < ns; ++i) {
        const StemSpec& st = s.stems[i];
        const std::string n = std::to_string(i), where = "stem \"" + st.name + "\"";
        if (st.mute || st.solo || st.polarity_invert || st.offset_s != 0.0 || st.fade_in_s != 0.0 || st.fade_out_s != 0.0)
            return unsupported(where + ": mute, solo, polarity, offset or fades");
        if (st.output != kMasterBusName) return unsupported(where + ": an output other than master");
        if (!st.automation.width.empty()) return unsupported(where + ": width automation");
        // The chain so far: its input label(s) and its filters; close() ends it in labels.
        std::string in = "[" + n + ":a]";
        std::vector<std::string> f;
        auto close = [&](const std::string& labels) {
            g << in << join_filters(f) << labels << ";";
            f.clear();
        };
        // Clip gain automation, before the EQ (the fader's gain_db stays in pan below).
        if (!st.automation.gain_db.empty()) f.push_back(db_lane_volume(0.0, st.automation.gain_db));
        if (st.eq) {
            auto eq = eq_filters(*st.eq, where);
            if (!eq) return std::unexpected(eq.error());
            f.insert(f.end(), eq->begin(), eq->end());
        }
        if (st.compressor) {
            const auto& c = *st.compressor;
            if (c.sidechain.empty() && !c.sidechain_eq) {
                f.push_back("acompressor=" + compressor_options(c));
            } else {
                if (c.sidechain.empty()) {  // the own signal, through the sidechain EQ
                    f.push_back("asplit=2");
                    close("[c" + n + "][ko" + n + "]");
                    auto eq = eq_filters(*c.sidechain_eq, where + " sidechain_eq");
                    if (!eq) return std::unexpected(eq.error());
                    g << "[ko" << n << "]" << join_filters(*eq) << "[k" << n << "];";
                } else {
                    close("[c" + n + "]");  // the key [k<n>] comes from the keying stem's chain
                }
                in = "[c" + n + "][k" + n + "]";
                f.push_back("sidechaincompress=" + compressor_options(c));
            }
        }
        if (st.chorus) f.push_back(chorus_filter(*st.chorus));
        if (!keyed_by[i].empty()) {  // the key: after the inserts, before width, pan and fader
            std::string labels = "[m" + n + "]";
            for (size_t k = 0; k < keyed_by[i].size(); ++k) labels += "[kt" + n + "_" + std::to_string(k) + "]";
            f.push_back("asplit=" + std::to_string(1 + keyed_by[i].size()));
            close(labels);
            in = "[m" + n + "]";
            for (size_t k = 0; k < keyed_by[i].size(); ++k) {
                const size_t keyed = keyed_by[i][k];
                std::vector<std::string> key_eq;
                if (const auto& eq = s.stems[keyed].compressor->sidechain_eq) {
                    auto e = eq_filters(*eq, "stem \"" + s.stems[keyed].name + "\" sidechain_eq");
                    if (!e) return std::unexpected(e.error());
                    key_eq = *e;
                }
                g << "[kt" << n << "_" << k << "]" << join_filters(key_eq) << "[k" << keyed << "];";
            }
        }
        if (st.width) {
            if (channels[i] != 2) return unsupported(where + ": width on a mono stem");
            auto w = number_stream();
            w << "stereotools=slev=" << *st.width;  // mode lr>lr: L = M + slev·S, R = M − slev·S
            f.push_back(w.str());
        }
        // Mono: constant-power pan; stereo: a balance (unity at the centre). Then the fader.
        const double fader = db_gain(st.gain_db);
        if (st.automation.pan.empty()) {
            const double th = (st.pan + 1.0) * std::numbers::pi / 4.0;
            auto p = number_stream();
            if (channels[i] == 2)
                p << "pan=stereo|c0=" << fader * (st.pan > 0.0 ? std::cos(st.pan * std::numbers::pi / 2.0) : 1.0) << "*c0|c1="
                  << fader * (st.pan < 0.0 ? std::cos(st.pan * std::numbers::pi / 2.0) : 1.0) << "*c1";
            else
                p << "pan=stereo|c0=" << fader * std::cos(th) << "*c0|c1=" << fader * std::sin(th) << "*c0";
            f.push_back(p.str());
        } else {
            if (channels[i] != 1) return unsupported(where + ": pan automation on a stereo stem");
            // The pan law per frame: each side its own volume, joined into stereo.
            f.push_back("asplit=2");
            close("[pl" + n + "][pr" + n + "]");
            auto gain = [&](const char* fn) {
                auto e = number_stream();
                e << fader << "*" << fn << "((" << lane_expr(st.automation.pan) << "+1)*PI/4)";
                return volume_expr(e.str());
            };
            g << "[pl" << n << "]" << gain("cos") << "[ql" << n << "];";
            g << "[pr" << n << "]" << gain("sin") << "[qr" << n << "];";
            in = "[ql" + n + "][qr" + n + "]";
            f.push_back("join=inputs=2:channel_layout=stereo");
        }
        // Post-fader sends: asplit into the dry path and one branch per send.
        auto send_label = [&](const char* prefix, size_t k) { return std::string("[") + prefix + n + (k ? "_" + std::to_string(k) : "") + "]"; };
        if (st.sends.empty()) {
            close("[d" + n + "]");
        } else {
            std::string labels = "[d" + n + "]";
            for (size_t k = 0; k < st.sends.size(); ++k) labels += send_label("s", k);
            f.push_back("asplit=" + std::to_string(1 + st.sends.size()));
            close(labels);
        }
        master.push_back("[d" + n + "]");
        for (size_t k = 0; k < st.sends.size(); ++k) {
            const SendSpec& send = st.sends[k];
            if (send.pre_fader) return unsupported(where + ": a pre-fader send");
            size_t b = 0;
            while (b < nb && s.buses[b].name != send.bus) ++b;
            if (b == nb) return unsupported(where + ": a send to \"" + send.bus + "\"");
            g << send_label("s", k);
            if (const AutomationLane* lane = st.automation.send(send.bus); lane && !lane->empty()) g << db_lane_volume(send.level_db, *lane);
            else g << "volume=" << db_gain(send.level_db);
            g << send_label("t", k) << ";";
            bus_inputs[b].push_back(send_label("t", k));
        }
    }
    for (size_t b = 0; b < nb; ++b) {
        const BusSpec& bus = s.buses[b];
        const std::string n = std::to_string(b), where = "bus \"" + bus.name + "\"";
        if (bus.eq || bus.compressor || bus.chorus || bus.width || !bus.automation.empty() || bus.gain_db != 0.0 || bus.output != kMasterBusName)
            return unsupported(where + ": EQ, compressor, chorus, width, automation, gain or routing");
        if (bus_inputs[b].empty()) continue;  // nothing sent there (amix needs an input)
        for (const auto& input : bus_inputs[b]) g << input;
        g << "amix=inputs=" << bus_inputs[b].size() << ":normalize=0[bus" << n << "];";
        std::string in = "[bus" + n + "]";
        if (bus.delay) {
            const DelaySpec& d = *bus.delay;
            const auto time_s = delay_time_s(d, s.tempo_bpm);
            if (!time_s) return unsupported(where + ": a delay note without tempo_bpm");
            const double delay_ms = 1000.0 * static_cast<double>(std::llround(*time_s * s.sample_rate)) / s.sample_rate;
            // The repeat filter F once before the taps (the render applies it k times to repeat k).
            std::vector<std::string> filters;
            auto hz = number_stream();
            if (d.lowcut_hz > 0.0) hz << "highpass=f=" << d.lowcut_hz << ":p=2";
            if (d.lowcut_hz > 0.0 && d.highcut_hz > 0.0) hz << ",";
            if (d.highcut_hz > 0.0) hz << "lowpass=f=" << d.highcut_hz << ":p=2";
            const std::string filter_f = hz.str().empty() ? "" : hz.str() + ",";
            auto wet = number_stream();
            if (d.wet_db != 0.0) wet << ",volume=" << db_gain(d.wet_db);
            const std::string out = bus.reverb ? "[dl" + n + "]" : "[r" + n + "]";
            if (!d.pingpong) {
                g << in << filter_f << aecho_filter(delay_ms, d.feedback, 1, 1) << wet.str() << out << ";";
            } else {  // the mid feeds the line; odd repeats left, even ones right
                g << in << "pan=mono|c0=0.5*c0+0.5*c1," << filter_f << "asplit=2[po" << n << "][pe" << n << "];";
                g << "[po" << n << "]" << aecho_filter(delay_ms, d.feedback, 1, 2) << "[eo" << n << "];";
                g << "[pe" << n << "]" << aecho_filter(delay_ms, d.feedback, 2, 2) << "[ee" << n << "];";
                g << "[eo" << n << "][ee" << n << "]join=inputs=2:channel_layout=stereo" << wet.str() << out << ";";
            }
            in = out;
        }
        if (bus.reverb) g << in << "[" << ir_input[b] << ":a]afir=gtype=-1[r" << n << "];";
        else if (!bus.delay) g << in << "anull[r" << n << "];";
        master.push_back("[r" + n + "]");
    }
    for (const auto& m : master) g << m;
    g << "amix=inputs=" << master.size() << ":normalize=0[out]";
    cmd << " -filter_complex_threads " << threads;
    if (graph_script.empty()) {
        cmd << " -filter_complex " << quote(g.str());
    } else {
        std::error_code ec;
        std::filesystem::create_directories(graph_script.parent_path(), ec);
        std::ofstream script(graph_script);
        script << g.str();
        if (!script) return fail(ErrorCode::FileWrite, graph_script.string() + ": cannot write");
        cmd << " -filter_complex_script " << quote(graph_script.string());
    }
    cmd << " -map '[out]' -c:a pcm_f32le " << quote(output.string());
    return cmd.str();
}

}  // namespace sf::cli
