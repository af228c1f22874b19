// stemforge — command line entry point. Parses arguments (CLI11) and hands
// each subcommand to its run_* function; no DSP here.
#include <CLI/CLI.hpp>

#include <cstdio>

#include "app/cli.h"
#include "app/gpu_commands.h"

int main(int argc, char** argv) {
    using namespace sf::cli;
    CLI::App app{"stemforge — render, master and measure multitrack stem sessions (GPU and CPU)"};
    app.require_subcommand(1);
    app.set_version_flag("--version", "stemforge 0.1.0");

    RenderArgs render;
    auto* r = app.add_subcommand("render", "Render a session file to its exports");
    r->add_option("session", render.session, "Session file (JSON, format stemforge-session v1)")->required();
    r->add_option("-o,--output", render.output, "Write one file here instead of the session's export list (format from the extension)");
    r->add_option("--backend", render.backend, "auto: GPU if a hardware GPU exists, else CPU; cpu; gpu")
        ->check(CLI::IsMember({"auto", "cpu", "gpu"}));
    r->add_flag("--verify", render.verify, "Also render on the other backend and report the residual");
    r->add_flag("--json", render.json, "Print one JSON object on stdout");

    AnalyzeArgs analyze;
    auto* a = app.add_subcommand("analyze", "Measure audio files: levels, loudness, true peak, stereo image");
    a->add_option("files", analyze.files, "Audio files")->required();
    a->add_flag("--json", analyze.json, "Print one JSON object on stdout ({\"files\": [...]} for several)");
    a->add_flag("--series", analyze.series, "Include loudness over time (JSON)");
    a->add_option("--png", analyze.png_dir, "Write plots (PNG) into this folder");

    CompareArgs compare;
    auto* cmp = app.add_subcommand("compare", "Align B to A and measure the null residual (QA)");
    cmp->add_option("a", compare.a, "Reference file")->required();
    cmp->add_option("b", compare.b, "File to compare with the reference")->required();
    cmp->add_option("--max-offset", compare.max_offset_s, "Alignment search range in seconds")->capture_default_str()->check(CLI::Range(0.0, 10.0));
    cmp->add_flag("--json", compare.json, "Print one JSON object on stdout");

    BenchArgs bench;
    auto* bn = app.add_subcommand("bench", "Benchmarks against reference tools (modes: analyze, mix)");
    bn->add_option("mode", bench.mode, "What to benchmark")->required();
    bn->add_option("--seconds", bench.seconds, "Length of the generated file (analyze)")->capture_default_str()->check(CLI::Range(1.0, 36000.0));
    bn->add_option("--file", bench.file, "Measure this file instead of a generated one (analyze)");
    bn->add_option("--repeats", bench.repeats, "Best of N runs per contender")->capture_default_str()->check(CLI::Range(1, 20));
    bn->add_flag("--json", bench.json, "Print one JSON object on stdout");
    BenchMixArgs bench_mix;  // mode "mix" (app/bench_mix.cpp)
    bn->add_option("--dir", bench_mix.dir, "Folder for the generated session (mix)")->capture_default_str();
    bn->add_option("--stems", bench_mix.stems, "Number of stems (mix)")->capture_default_str()->check(CLI::Range(1, 256));
    bn->add_option("--duration", bench_mix.duration_s, "Stem length in seconds (mix)")->capture_default_str()->check(CLI::Range(1.0, 3600.0));
    bn->add_flag("!--no-scaling", bench_mix.scaling, "Skip the 1-thread run (mix)");
    bn->add_flag("!--no-ffmpeg", bench_mix.ffmpeg, "Skip the FFmpeg run (mix)");

    DemoArgs demo;
    auto* d = app.add_subcommand("demo", "Write the built-in demo session into DIR and render it");
    d->add_option("dir", demo.dir, "Folder for the demo session")->capture_default_str();
    d->add_option("--duration", demo.duration_s, "Length in seconds (>= 8)")->capture_default_str()->check(CLI::Range(8.0, 3600.0));
    d->add_flag("--json", demo.json, "Print the render report as JSON");

    DevicesArgs devices;
    auto* dev = app.add_subcommand("devices", "List the Vulkan devices and which one the GPU backend would use");
    dev->add_flag("--json", devices.json, "Print one JSON object on stdout");

    try {
        app.parse(argc, argv);
    } catch (const CLI::ParseError& e) {
        if (e.get_exit_code() == 0) return app.exit(e);  // --help, --version
        std::fprintf(stderr, "stemforge: error: %s (see stemforge --help)\n", e.what());
        return kUsage;
    }

    if (r->parsed()) return run_render(render);
    if (a->parsed()) return run_analyze(analyze);
    if (d->parsed()) return run_demo(demo);
    if (dev->parsed()) return run_devices(devices);
    if (cmp->parsed()) return run_compare(compare);
    if (bn->parsed()) {
        if (bench.mode == "analyze") return run_bench_analyze(bench);
        if (bench.mode == "mix") {
            bench_mix.json = bench.json;
            return run_bench_mix(bench_mix);
        }
        std::fprintf(stderr, "stemforge: error: bench: unknown mode \"%s\" (see stemforge bench --help)\n", bench.mode.c_str());
        return kUsage;
    }
    return kUsage;
}
