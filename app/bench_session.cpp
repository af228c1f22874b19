#include "app/bench_session.h"

#include <algorithm>
#include <cmath>
#include <fstream>
#include <numbers>
#include <sstream>

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

}  // namespace sf::cli
