// `stemforge qc` end to end: exit codes (0 / 6 / bad input), the JSON
// contract, the codec round trip on a master that overshoots after MP3
// (checked against ffmpeg's own LAME encode and decode, measured by
// libebur128), and the HTML report loaded in headless Chromium.
#include <gtest/gtest.h>

#include <ebur128.h>

#include <algorithm>
#include <cmath>
#include <fstream>
#include <random>

#include "analysis/true_peak.h"
#include "tests/e2e/e2e_support.h"
#include "tests/support/ocr.h"
#include "tests/support/png_image.h"
#include "tests/support/test_support.h"

namespace sf::test {
namespace {

constexpr int kRate = 48000;

// A stereo 1 kHz sine at -14 dBFS reads about -14 LUFS: a clean streaming master.
std::filesystem::path clean_master(const TempDir& dir, const std::string& name = "master.wav") {
    const auto f = dir / name;
    write_wav(f, sine(2, 10 * kRate, kRate, 1000.0, std::pow(10.0, -14.0 / 20.0)), kRate, 24);
    return f;
}

// Heavily limited noise (hard-clipped Gaussian noise, a brick-walled master)
// scaled to a true peak of -1.05 dBTP by the one 8x meter: the kind of master
// whose lossy transcode overshoots full scale.
std::filesystem::path loud_master(const TempDir& dir) {
    std::mt19937 rng(18);
    std::normal_distribution<float> gauss(0.0f, 0.5f);
    AudioBuffer b(2, 8 * kRate);
    for (int c = 0; c < 2; ++c)
        for (int64_t i = 0; i < b.frames(); ++i) b.channel(c)[i] = std::clamp(gauss(rng), -0.5f, 0.5f);
    auto tp = analysis::TruePeakMeter::create(2);
    tp->add(b, b.frames());
    const float g = static_cast<float>(std::pow(10.0, -1.05 / 20.0) / tp->true_peak());
    for (int c = 0; c < 2; ++c)
        for (int64_t i = 0; i < b.frames(); ++i) b.channel(c)[i] *= g;
    const auto f = dir / "loud.wav";
    write_wav(f, b, kRate, 32);
    return f;
}

nlohmann::json parse(const CommandResult& r) {
    auto j = nlohmann::json::parse(r.out, nullptr, false);
    EXPECT_FALSE(j.is_discarded()) << r.out << r.err;
    return j;
}

const nlohmann::json& check(const nlohmann::json& file, const std::string& name) {
    for (const auto& c : file["checks"])
        if (c["name"] == name) return c;
    ADD_FAILURE() << "no check " << name;
    static const nlohmann::json none;
    return none;
}

TEST(QcE2e, CleanMasterPassesWithExitZero) {
    TempDir dir;
    const auto f = clean_master(dir);
    auto r = run_stemforge({"qc", f.string(), "--preset", "streaming", "--codecs", "none", "--json"});
    ASSERT_EQ(r.exit_code, 0) << r.err << r.out;
    const auto j = parse(r);
    for (const char* k : {"file", "integrated_lufs", "momentary_max_lufs", "short_term_max_lufs", "lra_lu", "true_peak_dbtp", "sample_peak_dbfs", "rms_dbfs",
                          "correlation", "duration_s", "sample_rate", "channels", "checks", "codecs", "status"})
        EXPECT_TRUE(j.contains(k)) << k;
    EXPECT_EQ(j["status"], "pass");
    EXPECT_NEAR(j["integrated_lufs"].get<double>(), -14.0, 0.1);
    ASSERT_GE(j["checks"].size(), 10u);
    for (const auto& c : j["checks"]) {
        for (const char* k : {"name", "status", "value", "limit", "message"}) EXPECT_TRUE(c.contains(k)) << k;
        EXPECT_EQ(c["status"], "pass") << c.dump();
    }
    EXPECT_TRUE(j["codecs"].empty());

    // The table: one line per check.
    auto t = run_stemforge({"qc", f.string(), "--preset", "streaming", "--codecs", "none"});
    EXPECT_EQ(t.exit_code, 0);
    EXPECT_NE(t.out.find("pass  loudness"), std::string::npos) << t.out;
    EXPECT_NE(t.out.find("-14.0"), std::string::npos);
}

TEST(QcE2e, FailedCheckExitsSixAndSeveralFilesGiveAList) {
    TempDir dir;
    const auto f = clean_master(dir);
    auto r = run_stemforge({"qc", f.string(), "--preset", "ebu-r128", "--codecs", "none"});
    EXPECT_EQ(r.exit_code, 6) << r.err;
    EXPECT_NE(r.out.find("fail  loudness"), std::string::npos) << r.out;
    EXPECT_TRUE(r.err.empty()) << r.err;   // a failed check is a result, not an error

    // An explicit target overrides the preset's; a stricter ceiling fails the true peak.
    auto t = run_stemforge({"qc", f.string(), "--preset", "ebu-r128", "--target", "-14", "--ceiling", "-16", "--codecs", "none", "--json"});
    EXPECT_EQ(t.exit_code, 6);
    const auto jt = parse(t);
    EXPECT_EQ(check(jt, "loudness")["status"], "pass");
    EXPECT_EQ(check(jt, "true_peak")["status"], "fail");
    EXPECT_EQ(check(jt, "true_peak")["limit"], -16.0);

    AudioBuffer quiet = sine(2, 10 * kRate, kRate, 1000.0, std::pow(10.0, -30.0 / 20.0));
    write_wav(dir / "quiet.wav", quiet, kRate, 24);
    auto two = run_stemforge({"qc", f.string(), (dir / "quiet.wav").string(), "--target", "-14", "--codecs", "none", "--json"});
    EXPECT_EQ(two.exit_code, 6);
    const auto j = parse(two);
    ASSERT_TRUE(j.contains("files"));
    ASSERT_EQ(j["files"].size(), 2u);
    EXPECT_EQ(j["files"][0]["status"], "pass");
    EXPECT_EQ(j["files"][1]["status"], "fail");
    EXPECT_EQ(check(j["files"][1], "loudness")["status"], "fail");
}

TEST(QcE2e, BadInputIsOneLineAndWritesNothing) {
    TempDir dir;
    const auto f = clean_master(dir);
    auto missing = run_stemforge({"qc", (dir / "nope.wav").string(), "--html", (dir / "r.html").string()});
    EXPECT_EQ(missing.exit_code, 3);
    EXPECT_EQ(line_count(missing.err), 1) << missing.err;
    EXPECT_NE(missing.err.find("nope.wav"), std::string::npos);
    EXPECT_FALSE(std::filesystem::exists(dir / "r.html"));

    write_text(dir / "broken.wav", "RIFF1234WAVEjunk");
    auto broken = run_stemforge({"qc", f.string(), (dir / "broken.wav").string(), "--codecs", "none", "--html", (dir / "r.html").string()});
    EXPECT_EQ(broken.exit_code, 3);
    EXPECT_NE(broken.err.find("broken.wav"), std::string::npos);
    EXPECT_FALSE(std::filesystem::exists(dir / "r.html"));   // nothing half-written

    EXPECT_EQ(run_stemforge({"qc", f.string(), "--preset", "spotify"}).exit_code, 2);
    auto codec = run_stemforge({"qc", f.string(), "--codecs", "mp3,aac"});
    EXPECT_EQ(codec.exit_code, 2);
    EXPECT_NE(codec.err.find("aac"), std::string::npos);
    EXPECT_EQ(run_stemforge({"qc", f.string(), "--target", "5"}).exit_code, 2);

    // The report may not overwrite a file it checks.
    const std::string before = read_text(f);
    auto self = run_stemforge({"qc", f.string(), "--codecs", "none", "--html", f.string()});
    EXPECT_EQ(self.exit_code, 3);
    EXPECT_EQ(line_count(self.err), 1) << self.err;
    EXPECT_EQ(read_text(f), before);
}

struct Decoded {
    double true_peak_dbtp;
    int64_t over;
};

// libebur128's true peak and the count of |x| > 1 of an ffmpeg decode (f32, the file's rate).
Decoded measure_ffmpeg_decode(const std::filesystem::path& file, const TempDir& dir) {
    const auto raw = dir / "decoded.f32";
    auto r = run_command({"ffmpeg", "-v", "error", "-y", "-i", file.string(), "-f", "f32le", "-acodec", "pcm_f32le", raw.string()});
    EXPECT_EQ(r.exit_code, 0) << r.err;
    std::ifstream in(raw, std::ios::binary | std::ios::ate);
    std::vector<float> samples(static_cast<size_t>(in.tellg()) / sizeof(float));
    in.seekg(0);
    in.read(reinterpret_cast<char*>(samples.data()), static_cast<std::streamsize>(samples.size() * sizeof(float)));
    ebur128_state* st = ebur128_init(2, kRate, EBUR128_MODE_TRUE_PEAK);
    ebur128_add_frames_float(st, samples.data(), samples.size() / 2);
    double p0 = 0, p1 = 0;
    ebur128_true_peak(st, 0, &p0);
    ebur128_true_peak(st, 1, &p1);
    ebur128_destroy(&st);
    Decoded d{20.0 * std::log10(std::max(p0, p1)), 0};
    for (float v : samples) d.over += std::abs(v) > 1.0f;
    return d;
}

TEST(QcE2e, Mp3OfAMinusOneDbtpMasterOvershootsAndWarns) {
    TempDir dir;
    const auto f = loud_master(dir);
    auto r = run_stemforge({"qc", f.string(), "--ceiling", "-1", "--codecs", "mp3", "--json"});
    ASSERT_EQ(r.exit_code, 0) << r.err << r.out;   // a warning is not a failure
    const auto j = parse(r);
    EXPECT_EQ(check(j, "true_peak")["status"], "pass");   // the WAV is within its ceiling...
    EXPECT_LE(j["true_peak_dbtp"].get<double>(), -1.0);
    const auto& mp3 = j["codecs"]["mp3"];
    ASSERT_TRUE(mp3.contains("true_peak_dbtp")) << mp3.dump();
    EXPECT_EQ(mp3["bitrate_kbps"], 320);
    const double decoded_tp = mp3["true_peak_dbtp"].get<double>();
    EXPECT_GT(decoded_tp, 0.0);                               // ...its MP3 is not
    EXPECT_GT(mp3["clipped_samples"].get<int64_t>(), 0);
    EXPECT_TRUE(mp3["loudness_change_lu"].is_number());
    EXPECT_LT(std::abs(mp3["loudness_change_lu"].get<double>()), 0.5);
    const auto& c = check(j, "codec_mp3");
    EXPECT_EQ(c["status"], "warn");
    EXPECT_EQ(j["status"], "warn");
    char figure[32];
    std::snprintf(figure, sizeof figure, "%+.2f dBTP", decoded_tp);
    EXPECT_NE(c["message"].get<std::string>().find(figure), std::string::npos) << c["message"];

    // The oracle: ffmpeg's own LAME at 320 kbps CBR, decoded by ffmpeg, measured by libebur128.
    const auto mp3_file = dir / "oracle.mp3";
    auto enc = run_command({"ffmpeg", "-v", "error", "-y", "-i", f.string(), "-c:a", "libmp3lame", "-b:a", "320k", mp3_file.string()});
    ASSERT_EQ(enc.exit_code, 0) << enc.err;
    const Decoded oracle = measure_ffmpeg_decode(mp3_file, dir);
    EXPECT_GT(oracle.true_peak_dbtp, 0.0);
    EXPECT_GT(oracle.over, 0);
    // Same encoder and bit rate, independent encode/decode/meter: the overshoot agrees to a fraction of a dB
    // (libebur128's 4x meter reads up to ~0.5 dB low on full-band content; LAME's psychoacoustic choices differ by a little).
    EXPECT_NEAR(decoded_tp, oracle.true_peak_dbtp, 0.75);
    RecordProperty("qc_mp3_true_peak_dbtp", std::to_string(decoded_tp));
    RecordProperty("ffmpeg_mp3_true_peak_dbtp", std::to_string(oracle.true_peak_dbtp));
    std::printf("loud master: qc mp3 decoded %+.2f dBTP, %lld samples over; ffmpeg/libebur128 %+.2f dBTP, %lld over\n", decoded_tp,
                static_cast<long long>(mp3["clipped_samples"].get<int64_t>()), oracle.true_peak_dbtp, static_cast<long long>(oracle.over));

    // The clean master survives all three codecs.
    const auto clean = clean_master(dir);
    auto all = run_stemforge({"qc", clean.string(), "--preset", "streaming", "--json"});
    EXPECT_EQ(all.exit_code, 0) << all.err;
    const auto ja = parse(all);
    for (const char* codec : {"mp3", "opus", "vorbis"}) {
        ASSERT_TRUE(ja["codecs"].contains(codec)) << codec;
        EXPECT_FALSE(ja["codecs"][codec].contains("error")) << ja["codecs"][codec].dump();
        EXPECT_EQ(check(ja, std::string("codec_") + codec)["status"], "pass");
        EXPECT_LT(ja["codecs"][codec]["true_peak_dbtp"].get<double>(), -10.0);
    }
}

// Headless Chromium, no network, a private profile folder.
CommandResult chromium(const TempDir& dir, std::vector<std::string> args) {
    std::vector<std::string> argv = {"chromium", "--headless", "--no-sandbox", "--disable-gpu", "--no-first-run", "--disable-extensions",
                                     "--user-data-dir=" + (dir / "chromium-profile").string(), "--virtual-time-budget=10000"};
    argv.insert(argv.end(), args.begin(), args.end());
    return run_command(argv);
}

TEST(QcE2e, HtmlReportRendersInChromium) {
    TempDir dir;
    const auto f = loud_master(dir);
    const auto html = dir / "qc.html";
    auto r = run_stemforge({"qc", f.string(), "--target", "-9", "--ceiling", "-1", "--codecs", "mp3", "--html", html.string()});
    ASSERT_EQ(r.exit_code, 0) << r.err << r.out;
    ASSERT_TRUE(std::filesystem::exists(html));
    EXPECT_NE(r.out.find("report: " + html.string()), std::string::npos);

    // A copy with a probe script (the report itself has none) that writes what the browser made of it into the DOM.
    std::string page = read_text(html);
    const std::string probe = R"(<script>window.addEventListener("load",()=>{const imgs=[...document.images];
const rows=[...document.querySelectorAll("table.checks tr[data-check]")];
const p=document.createElement("pre");p.id="probe";p.textContent=JSON.stringify({
images:imgs.map(i=>({complete:i.complete,w:i.naturalWidth,h:i.naturalHeight,shownw:i.getBoundingClientRect().width})),
verdict:document.querySelector(".verdict").textContent,
rows:rows.map(r=>({check:r.dataset.check,cls:r.className,bg:getComputedStyle(r.cells[0]).backgroundColor})),
figures:[...document.querySelectorAll(".figures b")].map(b=>b.textContent)});document.body.appendChild(p);});</script>)";
    const auto at = page.rfind("</body>");
    ASSERT_NE(at, std::string::npos);
    page.insert(at, probe);
    write_text(dir / "probe.html", page);
    auto dom = chromium(dir, {"--dump-dom", "file://" + (dir / "probe.html").string()});
    ASSERT_EQ(dom.exit_code, 0) << dom.err;
    const auto open = dom.out.find("<pre id=\"probe\">"), close = dom.out.find("</pre>", open);
    ASSERT_NE(open, std::string::npos) << dom.out.substr(0, 2000);
    std::string text = dom.out.substr(open + 16, close - open - 16);
    for (auto [from, to] : {std::pair<std::string, std::string>{"&quot;", "\""}, {"&lt;", "<"}, {"&gt;", ">"}, {"&amp;", "&"}})
        for (size_t k; (k = text.find(from)) != std::string::npos;) text.replace(k, from.size(), to);
    const auto j = nlohmann::json::parse(text, nullptr, false);
    ASSERT_FALSE(j.is_discarded()) << text;
    ASSERT_EQ(j["images"].size(), 5u);
    for (const auto& img : j["images"]) {
        EXPECT_TRUE(img["complete"].get<bool>());
        EXPECT_GT(img["w"].get<int>(), 0) << "broken image";
        EXPECT_GT(img["h"].get<int>(), 0);
        EXPECT_GT(img["shownw"].get<double>(), 300.0);
    }
    EXPECT_NE(j["verdict"].get<std::string>().find("Ready with warnings"), std::string::npos) << j["verdict"];
    bool saw_warn = false;
    for (const auto& row : j["rows"]) {
        const std::string cls = row["cls"], bg = row["bg"];
        if (cls == "pass") {
            EXPECT_EQ(bg, "rgb(231, 245, 234)") << row.dump();
        }
        if (cls == "warn") {
            EXPECT_EQ(bg, "rgb(255, 244, 214)") << row.dump();
            saw_warn = true;
        }
        if (cls == "fail") {
            EXPECT_EQ(bg, "rgb(253, 226, 225)") << row.dump();
        }
    }
    EXPECT_TRUE(saw_warn);   // codec_mp3
    ASSERT_GE(j["figures"].size(), 2u);
    EXPECT_NE(j["figures"][1].get<std::string>().find("dBTP"), std::string::npos);

    // And as pixels: the page shows the title and the figures (tesseract reads them back).
    const auto shot = dir / "shot.png";
    auto s = chromium(dir, {"--hide-scrollbars", "--window-size=1200,900", "--screenshot=" + shot.string(), "file://" + html.string()});
    ASSERT_EQ(s.exit_code, 0) << s.err;
    auto img = read_png(shot);
    ASSERT_TRUE(img.has_value());
    OcrOptions o;
    o.invert = false;
    o.upscale = 2;
    auto words = ocr_region(*img, 0, 0, img->width, 420, o);
    ASSERT_TRUE(words.has_value()) << words.error().message;
    EXPECT_NE(words->find("Delivery QC report"), std::string::npos) << *words;
    EXPECT_NE(words->find("Ready with warnings"), std::string::npos) << *words;
    EXPECT_NE(words->find("dBTP"), std::string::npos) << *words;
    EXPECT_NE(words->find("LUFS"), std::string::npos) << *words;
}

TEST(QcE2e, VinylPresetAddsItsChecks) {
    TempDir dir;
    const auto f = clean_master(dir);
    auto r = run_stemforge({"qc", f.string(), "--preset", "vinyl", "--vinyl-format", "7-45", "--codecs", "none", "--json"});
    ASSERT_EQ(r.exit_code, 0) << r.err;
    const auto j = parse(r);
    for (const char* k : {"vinyl_side_length", "vinyl_lf_side", "vinyl_lf_correlation", "vinyl_hf_level", "vinyl_inner_groove"}) EXPECT_EQ(check(j, k)["status"], "pass") << k;
    EXPECT_EQ(j["vinyl"]["format"], "7-45");
    EXPECT_EQ(check(j, "vinyl_side_length")["limit"], 300.0);
    EXPECT_EQ(run_stemforge({"qc", f.string(), "--preset", "vinyl", "--vinyl-format", "12-78"}).exit_code, 2);
}

}  // namespace
}  // namespace sf::test
