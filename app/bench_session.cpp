#include "engine/demo/bench_session.h"

#include <algorithm>
#include <cmath>
#include <fstream>
#include <numbers>
#include <sstream>

#include <nlohmann/json.hpp>

#include "engine/audio/audio_file.h"
#include "engine/core/random.h"

namespace sf {

namespace {

constexpr double kPi = std::numbers::pi;

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
    using nlohmann::json;
    json stems = json::array();
    for (int i = 0; i < o.stems; ++i) {
        char name[32];
        std::snprintf(name, sizeof name, "stems/%02d.wav", i);
        const int ch = o.all_stereo || i % 3 == 2 ? 2 : 1;
        if (!exists_with_shape(dir / name, ch, frames)) {
            // A few partials with a slow tremolo plus a little noise: broadband, not silent.
            AudioBuffer buf(ch, frames);
            Random r(1000 + static_cast<uint64_t>(i));
            const double f0 = 55.0 * std::pow(2.0, (i % 24) / 12.0);
            for (int c = 0; c < ch; ++c) {
                float* x = buf.channel(c);
                double ph[4] = {0, 0, 0, 0};
                const double inc[4] = {2 * kPi * f0 / sr, 2 * kPi * f0 * 2.01 / sr, 2 * kPi * f0 * 3.02 / sr, 2 * kPi * f0 * 5.03 / sr};
                for (int64_t n = 0; n < frames; ++n) {
                    const double t = static_cast<double>(n) / sr;
                    const double env = 0.6 + 0.4 * std::sin(2 * kPi * (0.25 + 0.05 * i) * t + c);
                    double v = 0.0;
                    for (int k = 0; k < 4; ++k) {
                        v += std::sin(ph[k]) / (k + 1);
                        ph[k] += inc[k];
                        if (ph[k] > 2 * kPi) ph[k] -= 2 * kPi;
                    }
                    x[n] = static_cast<float>(0.25 * env * v + 0.02 * r.bipolar());
                }
            }
            if (auto ok = write_audio(dir / name, buf, sr, 24); !ok) return std::unexpected(ok.error());
        }
        const double hp = 30.0 + 10.0 * (i % 8), bell_f = 300.0 * std::pow(1.25, i % 16);
        json s = {{"name", std::string("s") + std::to_string(i)}, {"file", name}, {"gain_db", -18.0},
                  {"pan", ch == 1 ? -0.8 + 1.6 * (i % 7) / 6.0 : 0.0},
                  {"eq", {{"mode", i % 2 ? "minimum" : "linear"},
                          {"bands", {{{"type", "highpass"}, {"freq_hz", hp}, {"slope_db_oct", 12}},
                                     {{"type", "bell"}, {"freq_hz", bell_f}, {"gain_db", (i % 5) - 2.0}, {"q", 1.2}}}}}},
                  {"sends", {{{"bus", bus_name(i % buses)}, {"level_db", -10.0}}}}};
        if (i % 2 == 0)
            s["compressor"] = {{"threshold_db", -30.0}, {"ratio", 3.0}, {"knee_db", 6.0}, {"attack_ms", 10.0}, {"release_ms", 120.0}};
        stems.push_back(s);
    }
    const int64_t ir_frames = static_cast<int64_t>(std::llround(o.ir_s * sr));
    json buses_json = json::array();
    for (int b = 0; b < buses; ++b) {
        const std::string ir = std::string("irs/") + static_cast<char>('a' + b) + ".wav";
        buses_json.push_back({{"name", bus_name(b)}, {"reverb", {{"ir", ir}}}});
        if (exists_with_shape(dir / ir, 2, ir_frames)) continue;
        AudioBuffer buf(2, ir_frames);
        Random r(7 + static_cast<uint64_t>(b));
        for (int c = 0; c < 2; ++c)
            for (int64_t n = 0; n < ir_frames; ++n)
                buf.channel(c)[n] = static_cast<float>(0.05 * r.bipolar() * std::pow(10.0, -3.0 * n / (0.95 * ir_frames)));
        if (auto ok = write_audio(dir / ir, buf, sr, 32); !ok) return std::unexpected(ok.error());
    }
    json session = {{"format", "stemforge-session"}, {"version", 1}, {"sample_rate", sr}, {"stems", stems},
                    {"buses", buses_json}, {"export", {{{"file", "out/cpu.wav"}, {"bit_depth", 32}}}}};
    const auto file = dir / "bench.json";
    std::ofstream f(file);
    f << session.dump(2) << "\n";
    if (!f) return fail(ErrorCode::FileWrite, file.string() + ": cannot write");
    return file;
}

std::string ffmpeg_mix_command(const Session& s, const std::filesystem::path& output, int threads) {
    std::ostringstream cmd, g;
    cmd << "ffmpeg -nostdin -hide_banner -loglevel error -y";
    for (const auto& st : s.stems) cmd << " -i " << quote(st.file.string());
    for (const auto& b : s.buses) cmd << " -i " << quote(b.reverb ? b.reverb->ir.string() : std::string());
    const size_t nb = s.buses.size();
    std::vector<std::vector<std::string>> bus_inputs(nb);
    std::vector<std::string> master;
    auto db = [](double v) { return std::pow(10.0, v / 20.0); };
    g.precision(9);
    for (size_t i = 0; i < s.stems.size(); ++i) {
        const StemSpec& st = s.stems[i];
        g << "[" << i << ":a]";
        if (st.eq)
            for (const auto& b : st.eq->bands) {
                if (b.type == EqBandType::Highpass) g << "highpass=f=" << b.freq_hz << ":p=2,";
                else if (b.type == EqBandType::Bell) g << "equalizer=f=" << b.freq_hz << ":t=q:w=" << b.q << ":g=" << b.gain_db << ",";
            }
        if (st.compressor) {
            const auto& c = *st.compressor;
            g << "acompressor=threshold=" << db(c.threshold_db) << ":ratio=" << c.ratio << ":attack=" << c.attack_ms
              << ":release=" << c.release_ms << ":knee=" << std::clamp(c.knee_db, 1.0, 8.0)
              << (c.detector == Detector::Peak ? ":detection=peak" : ":detection=rms") << ":link=maximum,";
        }
        // Mono: constant-power pan; stereo: balance at centre = unity. Then the fader.
        const double th = (st.pan + 1.0) * std::numbers::pi / 4.0, f = db(st.gain_db);
        // (the bench's stereo stems sit at the centre, where the balance is unity)
        if (i % 3 == 2) g << "pan=stereo|c0=" << f << "*c0|c1=" << f << "*c1";
        else g << "pan=stereo|c0=" << f * std::cos(th) << "*c0|c1=" << f * std::sin(th) << "*c0";
        g << ",asplit=2[d" << i << "][s" << i << "];";
        g << "[s" << i << "]volume=" << db(st.sends.empty() ? -144.0 : st.sends[0].level_db) << "[t" << i << "];";
        master.push_back("[d" + std::to_string(i) + "]");
        for (size_t b = 0; b < nb; ++b)
            if (!st.sends.empty() && s.buses[b].name == st.sends[0].bus) bus_inputs[b].push_back("[t" + std::to_string(i) + "]");
    }
    for (size_t b = 0; b < nb; ++b) {
        for (const auto& in : bus_inputs[b]) g << in;
        g << "amix=inputs=" << bus_inputs[b].size() << ":normalize=0[bus" << b << "];";
        g << "[bus" << b << "][" << s.stems.size() + b << ":a]afir=gtype=-1[r" << b << "];";
        master.push_back("[r" + std::to_string(b) + "]");
    }
    for (const auto& m : master) g << m;
    g << "amix=inputs=" << master.size() << ":normalize=0[out]";
    cmd << " -filter_complex_threads " << threads << " -filter_complex " << quote(g.str()) << " -map '[out]' -c:a pcm_f32le "
        << quote(output.string());
    return cmd.str();
}

}  // namespace sf
