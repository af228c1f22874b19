// Issue 14 through the real binary: master fades (sample by sample against
// their formulas in double) and trims (to the frame), region renders equal
// to the same stretch of a full render, one render delivering several
// loudness targets (libebur128 as the oracle), a lossy export whose codec
// overshoots (decoded again by ffmpeg), CD padding, the clip warning of a
// render without a master, and --verify's per-export verdict.
//
// References are read from files the binary wrote (a render without the
// master block, a 32-bit float export); every expectation on them is
// computed here, not by the code under test.
#include <gtest/gtest.h>

#include <ebur128.h>

#include <cmath>
#include <numbers>

#include "engine/core/random.h"
#include "tests/e2e/e2e_support.h"

namespace sf::test {
namespace {

constexpr int kRate = 48000;

nlohmann::json read_json(const CommandResult& r) {
    EXPECT_EQ(r.exit_code, 0) << r.err;
    try {
        return nlohmann::json::parse(r.out);
    } catch (const std::exception& e) {
        ADD_FAILURE() << "not JSON: " << e.what() << "\n" << r.out;
        return {};
    }
}

void write_session(const std::filesystem::path& file, const nlohmann::json& session) { write_text(file, session.dump(2)); }

// Programme-like material: low tones, darkened noise, full-band transients.
AudioBuffer material(int64_t frames, uint64_t seed, double level) {
    AudioBuffer b(2, frames);
    Random rng(seed);
    double lp[2] = {0, 0};
    for (int64_t i = 0; i < frames; ++i) {
        const double t = static_cast<double>(i) / kRate;
        const double hit = std::exp(-std::fmod(t, 0.5) / 0.04);
        for (int c = 0; c < 2; ++c) {
            lp[c] = 0.95 * lp[c] + 0.05 * rng.bipolar();
            const double v = 0.4 * std::sin(2 * std::numbers::pi * (82.0 + c) * t) + 0.15 * std::sin(2 * std::numbers::pi * 660.0 * t) +
                             1.6 * lp[c] + 0.35 * hit * rng.bipolar();
            b.channel(c)[i] = static_cast<float>(level * v);
        }
    }
    return b;
}

struct Ebur128 {
    double integrated_lufs = 0.0, true_peak_dbtp = 0.0;
};

Ebur128 ebur128_measure(const AudioBuffer& a, int rate) {
    ebur128_state* st = ebur128_init(static_cast<unsigned>(a.channels()), static_cast<unsigned long>(rate), EBUR128_MODE_I | EBUR128_MODE_TRUE_PEAK);
    std::vector<float> inter(static_cast<size_t>(a.frames() * a.channels()));
    for (int64_t i = 0; i < a.frames(); ++i)
        for (int c = 0; c < a.channels(); ++c) inter[static_cast<size_t>(i * a.channels() + c)] = a.channel(c)[i];
    ebur128_add_frames_float(st, inter.data(), static_cast<size_t>(a.frames()));
    Ebur128 m;
    ebur128_loudness_global(st, &m.integrated_lufs);
    double tp = 0.0;
    for (int c = 0; c < a.channels(); ++c) {
        double v = 0.0;
        ebur128_true_peak(st, static_cast<unsigned>(c), &v);
        tp = std::max(tp, v);
    }
    m.true_peak_dbtp = 20.0 * std::log10(tp);
    ebur128_destroy(&st);
    return m;
}

double analyze_true_peak(const std::filesystem::path& file) {
    const auto r = run_stemforge({"analyze", file.string(), "--json"});
    EXPECT_EQ(r.exit_code, 0) << r.err;
    return nlohmann::json::parse(r.out)["true_peak_dbtp"].get<double>();
}

nlohmann::json stem(const std::string& name, const std::string& file) { return {{"name", name}, {"file", file}}; }

// The fade of the documented definition, in double (docs/mastering.md).
double fade_oracle(const std::string& curve, double x) {
    if (curve == "linear") return x;
    if (curve == "equal-power") return std::sin(std::numbers::pi / 2 * x);
    return (std::pow(10.0, 3.0 * x) - 1.0) / 999.0;
}

// ---------------------------------------------------------------------------

TEST(MasterDeliveryE2e, FadesFollowTheirFormulasSampleBySample) {
    TempDir dir;
    write_wav(dir / "a.wav", material(3 * kRate + 123, 11, 0.3), kRate);
    // The reference: the same mix without a master block.
    write_session(dir / "mix.json", {{"format", "stemforge-session"}, {"version", 1}, {"sample_rate", kRate},
                                     {"stems", {stem("a", "a.wav")}}, {"export", float_export("mix.wav")}});
    ASSERT_EQ(run_stemforge({"render", (dir / "mix.json").string()}).exit_code, 0);
    const AudioBuffer mix = read_audio(dir / "mix.wav");
    const double fade_in_s = 0.5, fade_out_s = 1.25;
    const int64_t fin = std::llround(fade_in_s * kRate), fout = std::llround(fade_out_s * kRate);
    for (const std::string curve : {"linear", "equal-power", "exponential"}) {
        write_session(dir / "s.json", {{"format", "stemforge-session"}, {"version", 1}, {"sample_rate", kRate},
                                       {"stems", {stem("a", "a.wav")}},
                                       {"master", {{"fade_in_s", fade_in_s}, {"fade_out_s", fade_out_s}, {"fade_curve", curve}}},
                                       {"export", float_export("out.wav")}});
        const auto j = read_json(run_stemforge({"render", (dir / "s.json").string(), "--json"}));
        EXPECT_EQ(j["master"]["programme"]["fade_curve"], curve);
        const AudioBuffer out = read_audio(dir / "out.wav");
        ASSERT_EQ(out.frames(), mix.frames()) << curve;
        const int64_t n = mix.frames();
        double worst = 0.0;
        for (int64_t t = 0; t < n; ++t) {
            double g = 1.0;
            if (t < fin) g *= fade_oracle(curve, static_cast<double>(t) / fin);
            if (n - 1 - t < fout) g *= fade_oracle(curve, static_cast<double>(n - 1 - t) / fout);
            for (int c = 0; c < 2; ++c) worst = std::max(worst, std::abs(out.channel(c)[t] - g * mix.channel(c)[t]));
        }
        // float: the gain and the product each round once (2^-24 relative), signals below 1.
        EXPECT_LE(worst, 2e-7) << curve;
        EXPECT_EQ(out.channel(0)[0], 0.0f);
        EXPECT_EQ(out.channel(1)[n - 1], 0.0f);
        std::printf("fade %s: max |out - g(x)·mix| = %.3g\n", curve.c_str(), worst);
    }
}

TEST(MasterDeliveryE2e, TrimsCutToTheSampleAndTheSilenceTrimKeepsItsPreroll) {
    TempDir dir;
    // 0.7 s of silence, 1.9 s of material, 1.3 s of silence; placed at 0.4 s.
    AudioBuffer a(2, std::llround(3.9 * kRate));
    a.clear();
    const AudioBuffer m = material(std::llround(1.9 * kRate), 5, 0.2);
    for (int c = 0; c < 2; ++c) std::copy_n(m.channel(c), m.frames(), a.channel(c) + std::llround(0.7 * kRate));
    write_wav(dir / "a.wav", a, kRate);
    nlohmann::json stems = {{{"name", "a"}, {"file", "a.wav"}, {"offset_s", 0.4}}};
    write_session(dir / "mix.json", {{"format", "stemforge-session"}, {"version", 1}, {"sample_rate", kRate}, {"stems", stems},
                                     {"export", float_export("mix.wav")}});
    ASSERT_EQ(run_stemforge({"render", (dir / "mix.json").string()}).exit_code, 0);
    const AudioBuffer mix = read_audio(dir / "mix.wav");

    // Trims: round(t·fs) frames from each end, bit-identical in between.
    const double trim_start_s = 0.2500105, trim_end_s = 0.0314;  // 12000.504 -> 12001; 1507.2 -> 1507
    write_session(dir / "t.json", {{"format", "stemforge-session"}, {"version", 1}, {"sample_rate", kRate}, {"stems", stems},
                                   {"master", {{"trim_start_s", trim_start_s}, {"trim_end_s", trim_end_s}}},
                                   {"export", float_export("t.wav")}});
    const auto jt = read_json(run_stemforge({"render", (dir / "t.json").string(), "--json"}));
    const AudioBuffer t = read_audio(dir / "t.wav");
    ASSERT_EQ(t.frames(), mix.frames() - 12001 - 1507);
    for (int64_t i = 0; i < t.frames(); ++i)
        for (int c = 0; c < 2; ++c) ASSERT_EQ(t.channel(c)[i], mix.channel(c)[i + 12001]) << "frame " << i;
    EXPECT_EQ(jt["master"]["programme"]["start_frame"], 12001);
    EXPECT_DOUBLE_EQ(jt["duration_s"].get<double>(), static_cast<double>(t.frames()) / kRate);

    // The silence trim: the first and last frames whose peak over both
    // channels reaches -50 dBFS (found here), 0.25 s kept around them.
    const double threshold = std::pow(10.0, -50.0 / 20.0);
    int64_t first = -1, last = -1;
    for (int64_t i = 0; i < mix.frames(); ++i)
        if (std::max(std::abs(mix.channel(0)[i]), std::abs(mix.channel(1)[i])) >= threshold) {
            if (first < 0) first = i;
            last = i;
        }
    ASSERT_GT(first, 0);
    write_session(dir / "q.json", {{"format", "stemforge-session"}, {"version", 1}, {"sample_rate", kRate}, {"stems", stems},
                                   {"master", {{"trim_silence_db", -50}, {"trim_silence_preroll_s", 0.25}}},
                                   {"export", float_export("q.wav")}});
    const auto jq = read_json(run_stemforge({"render", (dir / "q.json").string(), "--json"}));
    const AudioBuffer q = read_audio(dir / "q.wav");
    const int64_t from = first - kRate / 4, to = last + 1 + kRate / 4;
    ASSERT_EQ(q.frames(), to - from);
    for (int64_t i = 0; i < q.frames(); ++i)
        for (int c = 0; c < 2; ++c) ASSERT_EQ(q.channel(c)[i], mix.channel(c)[i + from]) << "frame " << i;
    EXPECT_NEAR(jq["master"]["programme"]["first_content_s"].get<double>(), static_cast<double>(first) / kRate, 1e-9);

    // Trims that leave nothing: exit 3 naming the key, nothing written.
    write_session(dir / "bad.json", {{"format", "stemforge-session"}, {"version", 1}, {"sample_rate", kRate}, {"stems", stems},
                                     {"master", {{"trim_start_s", 3.0}, {"trim_end_s", 2.0}}}, {"export", float_export("bad.wav")}});
    const auto bad = run_stemforge({"render", (dir / "bad.json").string()});
    EXPECT_EQ(bad.exit_code, 3);
    EXPECT_NE(bad.err.find("master.trim_start_s"), std::string::npos) << bad.err;
    EXPECT_FALSE(std::filesystem::exists(dir / "bad.wav"));
}

// A session whose state reaches far back: a reverb bus, a feedback delay
// bus with a compressor, a compressed stem behind a linear-phase EQ, an
// automated second stem at 44.1 kHz (resampled), and a master with EQ,
// multiband, limiter and fades.
nlohmann::json region_session(const nlohmann::json& master, const std::string& out) {
    nlohmann::json stems = nlohmann::json::array();
    stems.push_back({{"name", "a"}, {"file", "a.wav"}, {"offset_s", 0.3},
                     {"eq", {{"mode", "linear"}, {"bands", {{{"type", "bell"}, {"freq_hz", 900}, {"gain_db", 3}, {"q", 1}}}}}},
                     {"compressor", {{"threshold_db", -24}, {"ratio", 4}, {"attack_ms", 5}, {"release_ms", 150}}},
                     {"sends", {{{"bus", "verb"}, {"level_db", -8}}, {{"bus", "dly"}, {"level_db", -12}}}}});
    stems.push_back({{"name", "b"}, {"file", "b.wav"}, {"offset_s", 2.0}, {"pan", -0.3},
                     {"automation", {{"gain_db", {{10.0, 0.0}, {30.0, -9.0}}}}}});
    return {{"format", "stemforge-session"}, {"version", 1}, {"sample_rate", kRate}, {"tempo_bpm", 120}, {"stems", stems},
            {"buses", {{{"name", "verb"}, {"reverb", {{"ir", "ir.wav"}, {"predelay_ms", 15}}}},
                       {{"name", "dly"}, {"delay", {{"note", "1/8"}, {"feedback", 0.35}, {"lowcut_hz", 150}}},
                        {"compressor", {{"threshold_db", -30}, {"ratio", 3}, {"release_ms", 100}}}}}},
            {"master", master},
            {"export", float_export(out)}};
}

TEST(MasterDeliveryE2e, RegionEqualsTheSameStretchOfAFullRender) {
    TempDir dir;
    write_wav(dir / "a.wav", material(42 * kRate, 21, 0.15), kRate);
    AudioBuffer b = material(40 * 44100, 22, 0.1);
    write_wav(dir / "b.wav", b, 44100);
    AudioBuffer ir(2, kRate);
    Random rng(3);
    for (int64_t i = 0; i < ir.frames(); ++i)
        for (int c = 0; c < 2; ++c) ir.channel(c)[i] = static_cast<float>(0.3 * rng.bipolar() * std::exp(-static_cast<double>(i) / (0.2 * kRate)));
    write_wav(dir / "ir.wav", ir, kRate);
    const nlohmann::json master = {
        {"eq", {{"bands", {{{"type", "highpass"}, {"freq_hz", 30}, {"slope_db_oct", 24}}}}}},
        {"multiband", {{"crossovers_hz", {200, 2500}}, {"bands", {nlohmann::json::object(), nlohmann::json::object(), nlohmann::json::object()}}}},
        {"limiter", {{"ceiling_dbtp", -1.0}}},
        {"fade_in_s", 0.5},
        {"fade_out_s", 2.0}};

    // Without a loudness target: rendered from the pre-roll, within the stated bound.
    write_session(dir / "full.json", region_session(master, "full.wav"));
    ASSERT_EQ(run_stemforge({"render", (dir / "full.json").string()}).exit_code, 0);
    const AudioBuffer full = read_audio(dir / "full.wav");
    write_session(dir / "reg.json", region_session(master, "reg.wav"));
    const auto j = read_json(run_stemforge({"render", (dir / "reg.json").string(), "--from", "0:30.5", "--to", "34.25", "--json"}));
    const int64_t from = std::llround(30.5 * kRate), to = std::llround(34.25 * kRate);
    ASSERT_TRUE(j.contains("region"));
    EXPECT_EQ(j["region"]["from_frame"], from);
    EXPECT_EQ(j["region"]["whole_timeline"], false);
    // The pre-roll path, not a render from 0.
    EXPECT_GT(j["region"]["render_start_s"].get<double>(), 0.0);
    EXPECT_LT(j["region"]["render_start_s"].get<double>(), 30.5);
    const AudioBuffer reg = read_audio(dir / "reg.wav");
    ASSERT_EQ(reg.frames(), to - from);
    double peak = 0.0;
    for (int64_t i = 0; i < reg.frames(); ++i)
        for (int c = 0; c < 2; ++c) peak = std::max(peak, std::abs(static_cast<double>(reg.channel(c)[i]) - full.channel(c)[from + i]));
    const double peak_db = peak > 0 ? 20 * std::log10(peak) : -INFINITY;
    std::printf("region (pre-roll from %.3f s): residual peak %.1f dBFS\n", j["region"]["render_start_s"].get<double>(), peak_db);
    EXPECT_LE(peak_db, -120.0);  // docs/mastering.md: the bound for pre-roll region renders

    // With a loudness target: the whole programme's loop, the region written: bit-identical.
    nlohmann::json targeted = master;
    targeted["loudness_target_lufs"] = -16.0;
    write_session(dir / "tfull.json", region_session(targeted, "tfull.wav"));
    ASSERT_EQ(run_stemforge({"render", (dir / "tfull.json").string()}).exit_code, 0);
    write_session(dir / "treg.json", region_session(targeted, "treg.wav"));
    const auto jt = read_json(run_stemforge({"render", (dir / "treg.json").string(), "--from", "12", "--to", "0:15.5", "--json"}));
    EXPECT_EQ(jt["region"]["whole_timeline"], true);
    const AudioBuffer tfull = read_audio(dir / "tfull.wav"), treg = read_audio(dir / "treg.wav");
    const int64_t tf = 12 * kRate;
    ASSERT_EQ(treg.frames(), std::llround(15.5 * kRate) - tf);
    for (int64_t i = 0; i < treg.frames(); ++i)
        for (int c = 0; c < 2; ++c) ASSERT_EQ(treg.channel(c)[i], tfull.channel(c)[tf + i]) << "frame " << i;

    // Bad regions: exit 3, the option named, nothing written.
    struct Bad {
        std::vector<std::string> args;
        std::string says;
    };
    for (const Bad& bad : {Bad{{"--from", "5", "--to", "0:05"}, "--from"}, Bad{{"--to", "99:00"}, "--to"},
                           Bad{{"--from", "1:75"}, "--from"}, Bad{{"--from", "abc"}, "--from"}}) {
        std::vector<std::string> args = {"render", (dir / "reg.json").string(), "-o", (dir / "bad.wav").string()};
        args.insert(args.end(), bad.args.begin(), bad.args.end());
        const auto r = run_stemforge(args);
        EXPECT_EQ(r.exit_code, 3) << r.err;
        EXPECT_NE(r.err.find(bad.says), std::string::npos) << r.err;
        EXPECT_EQ(line_count(r.err), 1) << r.err;
        EXPECT_FALSE(std::filesystem::exists(dir / "bad.wav"));
    }
}

TEST(MasterDeliveryE2e, OneRenderDeliversEveryTargetMeasuredByLibebur128) {
    TempDir dir;
    write_wav(dir / "a.wav", material(8 * kRate, 31, 0.25), kRate);
    write_session(dir / "s.json",
                  {{"format", "stemforge-session"}, {"version", 1}, {"sample_rate", kRate}, {"stems", {stem("a", "a.wav")}},
                   {"master", {{"preset", "streaming"}, {"fade_out_s", 1.0}}},
                   {"export", {{{"file", "out/streaming.wav"}},
                               {{"file", "out/apple.wav"}, {"loudness_target_lufs", -16.0}},
                               {{"file", "out/broadcast.wav"}, {"preset", "ebu-r128"}},
                               {{"file", "out/apple-44k.wav"}, {"loudness_target_lufs", -16.0}, {"sample_rate", 44100}, {"bit_depth", 16}}}}});
    const auto j = read_json(run_stemforge({"render", (dir / "s.json").string(), "--json"}));
    struct Want {
        std::string file;
        double target;
    };
    const std::vector<Want> wants = {{"out/streaming.wav", -14.0}, {"out/apple.wav", -16.0}, {"out/broadcast.wav", -23.0}, {"out/apple-44k.wav", -16.0}};
    ASSERT_EQ(j["master"]["exports"].size(), wants.size());
    for (size_t e = 0; e < wants.size(); ++e) {
        int rate = 0;
        const AudioBuffer a = read_audio(dir / wants[e].file, &rate);
        const Ebur128 m = ebur128_measure(a, rate);
        EXPECT_NEAR(m.integrated_lufs, wants[e].target, 0.1) << wants[e].file;
        EXPECT_LE(analyze_true_peak(dir / wants[e].file), -1.0) << wants[e].file;
        EXPECT_LE(m.true_peak_dbtp, -1.0 + 0.1) << wants[e].file;  // libebur128's 4x meter, documented over-read
        const auto& x = j["master"]["exports"][e];
        EXPECT_EQ(x["target_lufs"].get<double>(), wants[e].target);
        EXPECT_EQ(x["ceiling_dbtp"].get<double>(), -1.0);
        EXPECT_NEAR(x["delivered"]["integrated_lufs"].get<double>(), m.integrated_lufs, 0.02) << wants[e].file;
        std::printf("%s: libebur128 %.3f LUFS (target %.1f), true peak %.3f dBTP (4x)\n", wants[e].file.c_str(), m.integrated_lufs,
                    wants[e].target, m.true_peak_dbtp);
    }
    // -14 and -16 at 48 kHz share nothing but the pre-chain: their gains differ by about the target difference.
    EXPECT_NEAR(j["master"]["exports"][0]["gain_db"].get<double>() - j["master"]["exports"][1]["gain_db"].get<double>(), 2.0, 0.5);
    // The pre-limiter and the master's own true peaks are filled (issue 14 item 7).
    EXPECT_TRUE(j["master"]["pre_limiter"]["true_peak_dbtp"].is_number());
    EXPECT_TRUE(j["master"]["master"]["true_peak_dbtp"].is_number());
    EXPECT_LE(j["master"]["master"]["true_peak_dbtp"].get<double>(), -1.0 + 1e-6);
    // The BWF carries its own file's loudness.
    EXPECT_EQ(j["master"]["exports"][2]["format"], "bwf");
}

TEST(MasterDeliveryE2e, LossyOvershootLowersThatExportOnly) {
    TempDir dir;
    write_wav(dir / "a.wav", material(8 * kRate, 41, 0.5), kRate);
    write_session(dir / "s.json",
                  {{"format", "stemforge-session"}, {"version", 1}, {"sample_rate", kRate}, {"stems", {stem("a", "a.wav")}},
                   {"master", {{"loudness_target_lufs", -8.0}, {"limiter", {{"ceiling_dbtp", -1.0}, {"max_gain_reduction_db", 40}}}}},
                   {"export", {{{"file", "out/master.wav"}}, {{"file", "out/master.mp3"}, {"bitrate_kbps", 128}}}}});
    const auto j = read_json(run_stemforge({"render", (dir / "s.json").string(), "--json"}));
    const auto& mp3 = j["master"]["exports"][1];
    // The premise: the codec overshot a master held at -1 dBTP, and only the mp3 was lowered.
    ASSERT_LT(mp3["trim_db"].get<double>(), 0.0) << j["master"]["decisions"].dump(1);
    EXPECT_EQ(j["master"]["exports"][0]["trim_db"].get<double>(), 0.0);
    bool reported = false;
    for (const auto& d : j["master"]["decisions"]) reported |= d.get<std::string>().find("codec's overshoot") != std::string::npos;
    EXPECT_TRUE(reported) << j["master"]["decisions"].dump(1);
    // An independent decode (ffmpeg) measured by libebur128 (4x) and by analyze's 8x.
    const auto dec = run_command({"ffmpeg", "-loglevel", "error", "-y", "-i", (dir / "out/master.mp3").string(), "-c:a", "pcm_f32le",
                                  (dir / "decoded.wav").string()});
    ASSERT_EQ(dec.exit_code, 0) << dec.err;
    int rate = 0;
    const AudioBuffer decoded = read_audio(dir / "decoded.wav", &rate);
    const Ebur128 m = ebur128_measure(decoded, rate);
    const double tp8 = analyze_true_peak(dir / "decoded.wav");
    std::printf("mp3: trim %.3f dB; ffmpeg decode: true peak %.3f dBTP (libebur128 4x), %.3f dBTP (8x); %.2f LUFS\n", mp3["trim_db"].get<double>(),
                m.true_peak_dbtp, tp8, m.integrated_lufs);
    EXPECT_LE(tp8, -1.0 + 0.05);  // ffmpeg's decoder vs libsndfile's (mpg123): within a few hundredths
    EXPECT_LE(m.true_peak_dbtp, -1.0 + 0.1);
    // The lossless export is untouched by the mp3's correction: on target, under the ceiling.
    const AudioBuffer wav = read_audio(dir / "out/master.wav", &rate);
    EXPECT_NEAR(ebur128_measure(wav, rate).integrated_lufs, -8.0, 0.1);
    EXPECT_LE(analyze_true_peak(dir / "out/master.wav"), -1.0);
}

TEST(MasterDeliveryE2e, CdAudioIsPaddedToWhole588FrameCdFrames) {
    TempDir dir;
    write_wav(dir / "a.wav", material(3 * kRate + 777, 51, 0.2), kRate);
    // Without a master: the export with a CUE sheet is CD audio, the other is not.
    write_session(dir / "s.json", {{"format", "stemforge-session"}, {"version", 1}, {"sample_rate", kRate}, {"stems", {stem("a", "a.wav")}},
                                   {"export", {{{"file", "cd.wav"}, {"sample_rate", 44100}, {"bit_depth", 16}, {"cue_sheet", true}},
                                               {{"file", "plain.wav"}, {"sample_rate", 44100}, {"bit_depth", 16}}}}});
    ASSERT_EQ(run_stemforge({"render", (dir / "s.json").string()}).exit_code, 0);
    const AudioBuffer cd = read_audio(dir / "cd.wav"), plain = read_audio(dir / "plain.wav");
    ASSERT_NE(plain.frames() % 588, 0);  // the test's length is no multiple by chance
    EXPECT_EQ(cd.frames(), (plain.frames() / 588 + 1) * 588);
    for (int64_t i = plain.frames(); i < cd.frames(); ++i)
        for (int c = 0; c < 2; ++c) ASSERT_EQ(cd.channel(c)[i], 0.0f) << "padding is digital silence, not dither";
    EXPECT_TRUE(std::filesystem::exists(dir / "cd.cue"));

    // With master preset cd (16 bit, 44.1 kHz by default): padded too, and reported.
    write_session(dir / "m.json", {{"format", "stemforge-session"}, {"version", 1}, {"sample_rate", kRate}, {"stems", {stem("a", "a.wav")}},
                                   {"master", {{"preset", "cd"}}}, {"export", {{{"file", "mcd.wav"}}}}});
    const auto j = read_json(run_stemforge({"render", (dir / "m.json").string(), "--json"}));
    const AudioBuffer mcd = read_audio(dir / "mcd.wav");
    EXPECT_EQ(mcd.frames(), cd.frames());
    EXPECT_EQ(j["master"]["exports"][0]["padding_frames"].get<int64_t>(), cd.frames() - plain.frames());
}

TEST(MasterDeliveryE2e, ClippingWithoutAMasterWarnsWithCountAndTimecode) {
    TempDir dir;
    AudioBuffer a = material(2 * kRate, 61, 0.25);
    // Too hot from 1.25 s on.
    for (int c = 0; c < 2; ++c)
        for (int64_t i = std::llround(1.25 * kRate); i < a.frames(); ++i) a.channel(c)[i] *= 5.0f;
    write_wav(dir / "a.wav", a, kRate);
    nlohmann::json s = {{"format", "stemforge-session"}, {"version", 1}, {"sample_rate", kRate}, {"stems", {stem("a", "a.wav")}},
                        {"export", {{{"file", "ref.wav"}, {"bit_depth", 32}}, {{"file", "mix16.wav"}, {"bit_depth", 16}}}}};
    write_session(dir / "s.json", s);
    const auto r = run_stemforge({"render", (dir / "s.json").string(), "--json"});
    const auto j = read_json(r);
    // The oracle: the float export's samples at or over full scale.
    const AudioBuffer ref = read_audio(dir / "ref.wav");
    int64_t count = 0, first = -1;
    for (int64_t i = 0; i < ref.frames(); ++i)
        for (int c = 0; c < 2; ++c)
            if (std::abs(ref.channel(c)[i]) >= 1.0f) {
                ++count;
                if (first < 0) first = i;
            }
    ASSERT_GT(count, 0);
    const auto& x = j["exports"][1];
    EXPECT_EQ(x["clipped_samples"].get<int64_t>(), count);
    EXPECT_EQ(x["first_clip"]["frame"].get<int64_t>(), first);
    EXPECT_EQ(j["exports"][0]["clipped_samples"], 0);  // float holds it
    EXPECT_EQ(j["clipped_samples"].get<int64_t>(), count);
    const double t = static_cast<double>(first) / kRate;
    char tc[32];
    std::snprintf(tc, sizeof tc, "0:%06.3f", std::round(t * 1000) / 1000);
    EXPECT_NE(r.err.find("stemforge: warning: "), std::string::npos) << r.err;
    EXPECT_NE(r.err.find(std::to_string(count) + " samples clipped"), std::string::npos) << r.err;
    EXPECT_NE(r.err.find(std::string("the first at ") + tc + " (frame " + std::to_string(first) + ")"), std::string::npos) << r.err;
    ASSERT_EQ(j["warnings"].size(), 1u);

    // 14 dB quieter: nothing clips, nothing is said.
    s["stems"][0]["gain_db"] = -14.0;
    write_session(dir / "s.json", s);
    const auto quiet = run_stemforge({"render", (dir / "s.json").string(), "--json"});
    const auto jq = read_json(quiet);
    EXPECT_EQ(jq["clipped_samples"], 0);
    EXPECT_TRUE(jq["warnings"].empty());
    EXPECT_EQ(quiet.err.find("warning"), std::string::npos) << quiet.err;
}

TEST(MasterDeliveryE2e, VerifyComparesEveryExportAndGivesAVerdict) {
    TempDir dir;
    write_wav(dir / "a.wav", material(4 * kRate, 71, 0.25), kRate);
    write_session(dir / "s.json",
                  {{"format", "stemforge-session"}, {"version", 1}, {"sample_rate", kRate}, {"stems", {stem("a", "a.wav")}},
                   {"master", {{"preset", "streaming"}}},
                   {"export", {{{"file", "out/a.wav"}, {"bit_depth", 32}},
                               {{"file", "out/b.wav"}, {"sample_rate", 44100}, {"bit_depth", 16}, {"loudness_target_lufs", -16}},
                               {{"file", "out/c.mp3"}, {"bitrate_kbps", 192}}}}});
    const auto r = run_stemforge({"render", (dir / "s.json").string(), "--backend", "cpu", "--verify", "--json"});
    const auto j = read_json(r);
    ASSERT_TRUE(j["verify"]["pass"].is_boolean()) << j["verify"].dump();
    EXPECT_TRUE(j["verify"]["pass"].get<bool>()) << j["verify"].dump();
    ASSERT_EQ(j["verify"]["exports"].size(), 3u);
    for (const auto& x : j["verify"]["exports"]) {
        EXPECT_EQ(x["frames"], x["frames_other"]);
        if (x["residual_peak_dbfs"].is_number()) {
            EXPECT_LE(x["residual_peak_dbfs"].get<double>(), -90.0) << x.dump();
        }
        if (x["residual_rms_dbfs"].is_number()) {
            EXPECT_LE(x["residual_rms_dbfs"].get<double>(), -110.0) << x.dump();
        }
        std::printf("verify %s: peak %s, rms %s dBFS\n", x["file"].get<std::string>().c_str(), x["residual_peak_dbfs"].dump().c_str(),
                    x["residual_rms_dbfs"].dump().c_str());
    }
    EXPECT_TRUE(std::filesystem::exists(dir / "out/c.mp3"));
    const auto text = run_stemforge({"render", (dir / "s.json").string(), "--backend", "cpu", "--verify"});
    EXPECT_EQ(text.exit_code, 0) << text.err;
    EXPECT_NE(text.out.find("PASS: 3 exports"), std::string::npos) << text.out;
    for (const char* f : {"out/a.wav", "out/b.wav", "out/c.mp3"}) EXPECT_NE(text.out.find(f), std::string::npos) << "summary lists " << f;

    // A verify render 0.01 dB off (fault injection): FAIL, exit 1, nothing written.
    std::filesystem::remove_all(dir / "out");
    ::setenv("STEMFORGE_VERIFY_FAULT_GAIN_DB", "0.01", 1);
    const auto bad = run_stemforge({"render", (dir / "s.json").string(), "--backend", "cpu", "--verify", "--json"});
    ::unsetenv("STEMFORGE_VERIFY_FAULT_GAIN_DB");
    EXPECT_EQ(bad.exit_code, 1) << bad.err;
    EXPECT_NE(bad.err.find("--verify failed"), std::string::npos) << bad.err;
    const auto jb = nlohmann::json::parse(bad.out);
    EXPECT_FALSE(jb["verify"]["pass"].get<bool>());
    EXPECT_FALSE(std::filesystem::exists(dir / "out/a.wav"));
}

// Vinyl: a programme longer than a 12-inch side (22:00) warns, measured
// after the trims. At 8 kHz to keep 22 minutes cheap.
TEST(MasterDeliveryE2e, VinylProgrammeLongerThanASideWarns) {
    TempDir dir;
    const int rate = 8000;
    AudioBuffer a(1, 1352LL * rate);  // 22:32
    for (int64_t i = 0; i < a.frames(); ++i) a.channel(0)[i] = static_cast<float>(0.3 * std::sin(2 * std::numbers::pi * 220.0 * i / rate));
    write_wav(dir / "a.wav", a, rate, 16);
    write_session(dir / "s.json", {{"format", "stemforge-session"}, {"version", 1}, {"sample_rate", rate}, {"stems", {stem("a", "a.wav")}},
                                   {"master", {{"preset", "vinyl"}, {"trim_end_s", 20.0}}},
                                   {"export", {{{"file", "vinyl.wav"}, {"bit_depth", 16}}}}});
    const auto r = run_stemforge({"render", (dir / "s.json").string(), "--json"});
    const auto j = read_json(r);
    ASSERT_EQ(j["warnings"].size(), 1u) << j["warnings"].dump();
    const std::string w = j["warnings"][0].get<std::string>();
    EXPECT_NE(w.find("22:12.000"), std::string::npos) << w;  // the trimmed programme
    EXPECT_NE(w.find("22:00.000"), std::string::npos) << w;
    EXPECT_NE(r.err.find("stemforge: warning: vinyl:"), std::string::npos) << r.err;
    // The preset's other parts: no loudness target, a -3 dBTP ceiling.
    EXPECT_TRUE(j["master"]["target_lufs"].is_null());
    EXPECT_EQ(j["master"]["ceiling_dbtp"].get<double>(), -3.0);
}

// Progress on a terminal (a pty from script(1)): every phase named, each
// redraw starts with "\r" and erases the line, and nothing else is printed
// in the middle of one.
TEST(MasterDeliveryE2e, ProgressOnATerminalCoversEveryPhaseOnOneLine) {
    TempDir dir;
    write_wav(dir / "a.wav", material(3 * kRate, 81, 0.25), kRate);
    write_session(dir / "s.json",
                  {{"format", "stemforge-session"}, {"version", 1}, {"sample_rate", kRate}, {"stems", {stem("a", "a.wav")}},
                   {"master", {{"preset", "streaming"}}},
                   {"export", {{{"file", "out/a.wav"}}, {{"file", "out/b.wav"}, {"loudness_target_lufs", -20}}}}});
    const std::string cmd = std::string(STEMFORGE_BIN) + " render " + (dir / "s.json").string() + " --backend cpu >" +
                            (dir / "stdout.txt").string();
    const auto r = run_command({"script", "-qec", cmd, (dir / "typescript").string()});
    ASSERT_EQ(r.exit_code, 0) << r.err;
    const std::string tty = read_text(dir / "typescript");
    for (const char* phase : {"mix", "master: pre-chain", "master: loudness loop -14.0 LUFS", "master: loudness loop -20.0 LUFS",
                              "master: delivery -14.0 LUFS", "master: delivery -20.0 LUFS", "master: checking"})
        EXPECT_NE(tty.find(phase), std::string::npos) << phase << " missing from the progress line";
    // Every progress redraw is "\r\033[K" + text with no newline inside it.
    size_t redraws = 0;
    for (size_t at = tty.find("\r\033[Krender"); at != std::string::npos; at = tty.find("\r\033[Krender", at + 1)) {
        ++redraws;
        const size_t end = tty.find('\r', at + 1);
        const std::string line = tty.substr(at + 4, end == std::string::npos ? std::string::npos : end - at - 4);
        EXPECT_EQ(line.find('\n'), std::string::npos) << "a progress line was broken: " << line;
        EXPECT_LT(line.size(), 200u);
    }
    EXPECT_GT(redraws, 5u);
    const std::string out = read_text(dir / "stdout.txt");
    EXPECT_NE(out.find("out/a.wav"), std::string::npos);
    EXPECT_NE(out.find("out/b.wav"), std::string::npos);
}

}  // namespace
}  // namespace sf::test
