// Stemforge CLI — shared pieces of the subcommands: error reporting, exit
// codes, progress, JSON output. No DSP here.
#pragma once

#include <cstdio>
#include <optional>
#include <string>
#include <string_view>
#include <vector>

#include <nlohmann/json.hpp>

#include "engine/core/error.h"

namespace sf::cli {

// Exit codes (docs/cli.md).
enum Exit : int {
    kOk = 0,
    kFailure = 1,       // the work failed (write error, internal error)
    kUsage = 2,         // bad command line
    kBadInput = 3,      // a session, audio file or argument broke a rule
    kDevice = 4,        // GPU device failure
    kNotSupported = 5,  // the session uses something this build cannot render yet
    kQcFailed = 6,      // `qc`: the work succeeded and at least one check failed
};

// Prints "stemforge: error: <message>" on stderr (one such line per line of
// the message; bytes a terminal would act on printed as \xNN), returns the
// exit code for it.
int report(const Error& error);
// The one function that prints a `stemforge: error:` line (report(), once
// per line of a message, and the argument parser use it): one line, with
// control characters that a session or a file name may carry (ESC, BEL, CR,
// NUL, C1 controls; a newline inside one line) written as visible escapes
// (\x1b, \r, \u009b) so they cannot drive the terminal.
void print_error_line(std::string_view message);
// The escaping alone (for tests and other one-line reports).
std::string escape_control_characters(std::string_view text);
// A command-line error: "stemforge: error: <message> (see stemforge --help)"
// the same way; returns kUsage.
int report_usage(std::string_view message);

// Progress on stderr, only when stderr is a terminal: one line, redrawn in
// place ("\r", erase to the end), cut to the terminal's width so it never
// wraps; cleared when destroyed.
class Progress {
public:
    explicit Progress(std::string label);
    ~Progress();
    void update(double fraction);
    // The overall fraction and the phase now running with its own fraction:
    // "render  62.5%  master: delivery -14.0 LUFS / -1.0 dBTP, round 1  40%".
    void update(double fraction, const std::string& phase, double phase_fraction);
    // A line for the user while the progress line may be showing: the
    // progress line is erased, `line` printed (newline added), the progress
    // line drawn again below it. Without a terminal: just the line.
    void note(const std::string& line);
    // Erases the progress line for good (before the command's own output).
    void done();
private:
    void draw();
    std::string label_, phase_;
    bool enabled_;
    int last_permille_ = -1, phase_percent_ = -1;
    bool shown_ = false;
};

void print_json(const nlohmann::json& j);

// A number, or null when it is absent or not finite (JSON has no -inf).
nlohmann::json number_or_null(std::optional<double> v);

struct RenderArgs {
    std::string session;
    std::string output;       // empty: the session's export list
    std::string from, to;     // --from / --to (seconds or m:ss.fff); empty: the timeline's start / end
    std::string backend = "auto";
    bool verify = false;
    bool json = false;
    int threads = 0;          // 0: every core
};

// `stemforge replay MANIFEST [--json] [--keep DIR]`
struct ReplayArgs {
    std::string manifest;
    bool json = false;
    std::string keep_dir;     // empty: a temporary folder, removed at the end
};
int run_replay(const ReplayArgs& args);

struct AnalyzeArgs {
    std::vector<std::string> files;
    bool json = false;
    bool series = false;
    std::string png_dir;
};

struct QcArgs {
    std::vector<std::string> files;
    std::string preset;                  // empty: none
    std::optional<double> target_lufs;   // override the preset's
    std::optional<double> ceiling_dbtp;
    std::string codecs = "mp3,opus,vorbis";   // comma-separated, or "none"
    std::string vinyl_format = "12-33";
    std::string html;                    // report file; empty: none
    bool json = false;
};

struct CompareArgs {
    std::string a, b;
    bool json = false;
    double max_offset_s = 1.0;
    std::string png_dir;      // empty: no plots
};

// `stemforge bench MODE ...`: each mode lives in its own app/bench_*.cpp.
struct BenchArgs {
    std::string mode;            // "analyze", ...
    bool json = false;
    double seconds = 240.0;      // length of the generated test file
    std::string file;            // analyze this file instead of a generated one
    int repeats = 3;             // best of N for each contender
};

struct DemoArgs {
    std::string dir = "stemforge-demo";
    bool json = false;
    double duration_s = 64.0;
};

struct BenchMixArgs {
    std::string dir = "stemforge-bench";
    int stems = 32;
    double duration_s = 180.0;
    bool scaling = true;   // also render with 1 thread
    bool ffmpeg = true;    // also run the equivalent FFmpeg graph
    bool effects = false;  // the session with every issue-13 stage (app/bench_session.h)
    bool json = false;
};

struct GuiArgs {
    std::vector<std::string> files;
    std::string screenshot;
    std::string view = "session";
    std::string size = "1600x1000";
    double scale = 0.0;
    std::string backend = "auto";
    std::string exec;
};

// Parses the command line and runs one command; returns the exit code
// (app/main.cpp). An exception a command lets escape propagates.
int parse_and_run(int argc, char** argv);

int run_render(const RenderArgs& args);
int run_gui(const GuiArgs& args);
int run_bench_mix(const BenchMixArgs& args);
int run_analyze(const AnalyzeArgs& args);
int run_demo(const DemoArgs& args);
int run_compare(const CompareArgs& args);
int run_qc(const QcArgs& args);
int run_bench_analyze(const BenchArgs& args);

}  // namespace sf::cli
