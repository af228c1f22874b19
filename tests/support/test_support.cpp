#include "tests/support/test_support.h"

#include <array>
#include <cmath>
#include <cstdio>
#include <fstream>
#include <numbers>
#include <sstream>
#include <fcntl.h>
#include <atomic>

#include <sys/resource.h>
#include <sys/wait.h>
#include <unistd.h>

#include <gtest/gtest.h>

#include "engine/audio/audio_file.h"
#include "engine/core/random.h"

#ifndef STEMFORGE_BIN
#define STEMFORGE_BIN "stemforge"
#endif

namespace sf::test {

TempDir::TempDir() {
    std::string tmpl = (std::filesystem::temp_directory_path() / "stemforge-test-XXXXXX").string();
    char* made = ::mkdtemp(tmpl.data());
    if (!made) throw std::runtime_error("mkdtemp failed");
    path_ = made;
}

TempDir::~TempDir() {
    std::error_code ec;
    std::filesystem::remove_all(path_, ec);
}

AudioBuffer sine(int channels, int64_t frames, int rate, double freq_hz, double amplitude) {
    AudioBuffer b(channels, frames);
    for (int c = 0; c < channels; ++c)
        for (int64_t i = 0; i < frames; ++i)
            b.channel(c)[i] = static_cast<float>(amplitude * std::sin(2.0 * std::numbers::pi * freq_hz * static_cast<double>(i) / rate));
    return b;
}

AudioBuffer noise(int channels, int64_t frames, uint64_t seed, double amplitude) {
    AudioBuffer b(channels, frames);
    Random rng(seed);
    for (int c = 0; c < channels; ++c)
        for (int64_t i = 0; i < frames; ++i) b.channel(c)[i] = static_cast<float>(amplitude * rng.bipolar());
    return b;
}

void write_wav(const std::filesystem::path& file, const AudioBuffer& buffer, int rate, int bits, ExportFormat format) {
    WriteSpec ws;
    ws.format = format;
    ws.bit_depth = bits;
    ws.sample_rate = rate;
    ws.channels = buffer.channels();
    ws.dither = Dither::None;
    auto w = AudioFileWriter::create(file, ws);
    ASSERT_TRUE(w.has_value()) << w.error().message;
    ASSERT_TRUE(w->write(buffer, buffer.frames()).has_value());
    auto ok = w->commit();
    ASSERT_TRUE(ok.has_value()) << ok.error().message;
}

AudioBuffer read_audio(const std::filesystem::path& file, int* rate) {
    auto b = AudioSource::read_all(file, {});
    EXPECT_TRUE(b.has_value()) << (b ? "" : b.error().message);
    if (!b) return {};
    if (rate) *rate = probe_audio(file)->sample_rate;
    return std::move(*b);
}

void write_text(const std::filesystem::path& file, const std::string& text) {
    std::filesystem::create_directories(file.parent_path());
    std::ofstream out(file, std::ios::binary);
    out << text;
}

std::string read_text(const std::filesystem::path& file) {
    std::ifstream in(file, std::ios::binary);
    std::ostringstream s;
    s << in.rdbuf();
    return s.str();
}

namespace {
std::string shell_quote(const std::string& s) {
    std::string q = "'";
    for (char c : s) q += c == '\'' ? std::string("'\\''") : std::string(1, c);
    return q + "'";
}
std::string slurp(const std::filesystem::path& p) { return read_text(p); }
}  // namespace

CommandResult run_stemforge(const std::vector<std::string>& args) {
    std::vector<std::string> argv{STEMFORGE_BIN};
    argv.insert(argv.end(), args.begin(), args.end());
    return run_command(argv);
}

std::vector<std::string> xvfb_run() {
    static std::atomic<int> calls{0};
    // Spread over 100..899 by process and call; a stale lock of a crashed run is
    // the only way to collide, and then xvfb-run fails loudly.
    const int n = 100 + static_cast<int>((static_cast<long>(::getpid()) * 13 + calls.fetch_add(1) * 7) % 800);
    return {"xvfb-run", "-n", std::to_string(n), "-s", "-screen 0 1600x1000x24"};
}

std::string xvfb_run_shell() {
    std::string cmd;
    for (const auto& a : xvfb_run()) cmd += (cmd.empty() ? "" : " ") + shell_quote(a);
    return cmd;
}

void use_private_xdg_dirs(const std::filesystem::path& dir) {
    std::filesystem::permissions(dir, std::filesystem::perms::owner_all, std::filesystem::perm_options::replace);
    ::setenv("XDG_RUNTIME_DIR", dir.c_str(), 1);
    ::setenv("XDG_CONFIG_HOME", dir.c_str(), 1);
}

CommandResult run_command(const std::vector<std::string>& argv) {
    TempDir io;
    std::string cmd;
    for (const auto& a : argv) cmd += (cmd.empty() ? "" : " ") + shell_quote(a);
    cmd += " >" + shell_quote((io / "out").string()) + " 2>" + shell_quote((io / "err").string()) + " </dev/null";
    CommandResult r;
    const int status = std::system(cmd.c_str());
    r.exit_code = WIFEXITED(status) ? WEXITSTATUS(status) : 128 + WTERMSIG(status);
    r.out = slurp(io / "out");
    r.err = slurp(io / "err");
    return r;
}

CommandResult run_stemforge_measured(const std::vector<std::string>& args, long* max_rss_kib) {
    TempDir io;
    const std::string out_path = (io / "out").string(), err_path = (io / "err").string();
    std::vector<std::string> argv_s{STEMFORGE_BIN};
    argv_s.insert(argv_s.end(), args.begin(), args.end());
    std::vector<char*> argv;
    for (auto& a : argv_s) argv.push_back(a.data());
    argv.push_back(nullptr);
    const pid_t pid = ::fork();
    if (pid == 0) {
        const int o = ::open(out_path.c_str(), O_WRONLY | O_CREAT | O_TRUNC, 0644);
        const int e = ::open(err_path.c_str(), O_WRONLY | O_CREAT | O_TRUNC, 0644);
        ::dup2(o, 1);
        ::dup2(e, 2);
        ::execv(argv[0], argv.data());
        ::_exit(127);
    }
    int status = 0;
    struct rusage usage {};
    ::wait4(pid, &status, 0, &usage);
    CommandResult r;
    r.exit_code = WIFEXITED(status) ? WEXITSTATUS(status) : 128 + WTERMSIG(status);
    r.out = slurp(io / "out");
    r.err = slurp(io / "err");
    if (max_rss_kib) *max_rss_kib = usage.ru_maxrss;
    return r;
}

double peak_dbfs(const float* x, int64_t n) {
    double p = 0;
    for (int64_t i = 0; i < n; ++i) p = std::max(p, static_cast<double>(std::abs(x[i])));
    return 20.0 * std::log10(std::max(p, 1e-30));
}

double rms_dbfs(const float* x, int64_t n) {
    double s = 0;
    for (int64_t i = 0; i < n; ++i) s += static_cast<double>(x[i]) * x[i];
    return 10.0 * std::log10(std::max(s / std::max<int64_t>(1, n), 1e-60));
}

}  // namespace sf::test
