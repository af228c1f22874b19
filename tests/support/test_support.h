// Stemforge tests — signals, temporary folders, and running the CLI.
#pragma once

#include <cstdint>
#include <filesystem>
#include <string>
#include <vector>

#include "engine/audio/audio_buffer.h"
#include "engine/session/session.h"

namespace sf::test {

// A fresh folder under the system temp dir, removed when destroyed.
class TempDir {
public:
    TempDir();
    ~TempDir();
    const std::filesystem::path& path() const { return path_; }
    std::filesystem::path operator/(const std::string& name) const { return path_ / name; }
private:
    std::filesystem::path path_;
};

AudioBuffer sine(int channels, int64_t frames, int rate, double freq_hz, double amplitude);
AudioBuffer noise(int channels, int64_t frames, uint64_t seed, double amplitude);

// Writes a buffer as a WAV (32-bit float unless bits says otherwise).
void write_wav(const std::filesystem::path& file, const AudioBuffer& buffer, int rate, int bits = 32,
               ExportFormat format = ExportFormat::Wav);
AudioBuffer read_audio(const std::filesystem::path& file, int* rate = nullptr);

void write_text(const std::filesystem::path& file, const std::string& text);
std::string read_text(const std::filesystem::path& file);

struct CommandResult {
    int exit_code = -1;
    std::string out, err;
};
// Points XDG_RUNTIME_DIR and XDG_CONFIG_HOME at `dir` (made 0700) for the
// workstation's tests: Vulkan's WSI wants a runtime dir, and recent files
// must stay in the test's own folder.
void use_private_xdg_dirs(const std::filesystem::path& dir);

// The start of a command line that runs under its own Xvfb display
// (`xvfb-run -n N -s "-screen 0 1600x1000x24"`). N is chosen per process and
// call, so tests running in parallel never race for one display, as
// `xvfb-run -a` does (two of them can pick the same free number).
std::vector<std::string> xvfb_run();
std::string xvfb_run_shell();  // the same, shell-quoted, for std::system

// Runs a program (argv[0], found on PATH) with arguments, each shell-quoted.
CommandResult run_command(const std::vector<std::string>& argv);
// Runs the built `stemforge` binary with arguments (each shell-quoted).
CommandResult run_stemforge(const std::vector<std::string>& args);
// The same, and reports the child's peak resident set size in KiB.
CommandResult run_stemforge_measured(const std::vector<std::string>& args, long* max_rss_kib);

double peak_dbfs(const float* x, int64_t n);
double rms_dbfs(const float* x, int64_t n);

}  // namespace sf::test
