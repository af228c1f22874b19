// stemforge — the command line. Parses arguments (CLI11) and hands each
// subcommand to its run_* function; no DSP here. main() is in
// app/process_main.cpp.
#include <CLI/CLI.hpp>

#include <cstdio>

#include "app/bench_master.h"
#include "app/cli.h"
#include "app/gpu_commands.h"

int sf::cli::parse_and_run(int argc, char** argv) {
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

    GuiArgs gui;
    auto* g = app.add_subcommand("gui", "The workstation: open, render, play and look (a window, or --screenshot with no display)");
    g->add_option("files", gui.files, "A session (.json) and/or audio files");
    g->add_option("--screenshot", gui.screenshot, "Write one view as a PNG and exit (no display needed)");
    g->add_option("--view", gui.view, "session, mixer, render, loudness, spectrum, spectrogram, stereo, compare")->capture_default_str();
    g->add_option("--size", gui.size, "Window / screenshot size WxH (logical pixels)")->capture_default_str();
    g->add_option("--scale", gui.scale, "UI scale (default: the monitor's; 1 for a screenshot)")->check(CLI::Range(0.5, 4.0));
    g->add_option("--backend", gui.backend, "Render backend: auto, cpu, gpu")->capture_default_str()->check(CLI::IsMember({"auto", "cpu", "gpu"}));
    g->add_option("--exec", gui.exec, "Run commands with no display: \"set PATH VALUE; undo; save; render; ...\" (exit 3 at the first refused)");

    AnalyzeArgs analyze;
    auto* a = app.add_subcommand("analyze", "Measure audio files: levels, loudness, true peak, stereo image");
    a->add_option("files", analyze.files, "Audio files")->required();
    a->add_flag("--json", analyze.json, "Print one JSON object on stdout ({\"files\": [...]} for several)");
    a->add_flag("--series", analyze.series, "Include loudness over time (JSON)");
    a->add_option("--png", analyze.png_dir, "Write plots (PNG) into this folder");

    QcArgs qc;
    auto* q = app.add_subcommand("qc", "Delivery QC: check masters against a preset or target (exit 6 when a check fails)");
    q->add_option("files", qc.files, "Audio files (masters)")->required();
    q->add_option("--preset", qc.preset, "streaming, apple, ebu-r128, atsc-a85, cd, youtube, radio, vinyl")
        ->check(CLI::IsMember({"streaming", "apple", "ebu-r128", "atsc-a85", "cd", "youtube", "radio", "vinyl"}));
    double qc_target = 0.0, qc_ceiling = 0.0;
    auto* q_target = q->add_option("--target", qc_target, "Loudness target, LUFS (overrides the preset's)")->check(CLI::Range(-70.0, 0.0));
    auto* q_ceiling = q->add_option("--ceiling", qc_ceiling, "True-peak ceiling, dBTP (overrides the preset's)")->check(CLI::Range(-20.0, 0.0));
    q->add_option("--codecs", qc.codecs, "Codec round trips: a comma-separated list of mp3, opus, vorbis; or none")->capture_default_str();
    q->add_option("--vinyl-format", qc.vinyl_format, "Preset vinyl: disc size and speed, 12-33, 12-45, 10-33, 10-45, 7-33, 7-45")
        ->capture_default_str()
        ->check(CLI::IsMember({"12-33", "12-45", "10-33", "10-45", "7-33", "7-45"}));
    q->add_option("--html", qc.html, "Also write the report as one self-contained HTML page");
    q->add_flag("--json", qc.json, "Print one JSON object on stdout ({\"files\": [...]} for several)");

    CompareArgs compare;
    auto* cmp = app.add_subcommand("compare", "Align B to A and measure the null residual (QA)");
    cmp->add_option("a", compare.a, "Reference file")->required();
    cmp->add_option("b", compare.b, "File to compare with the reference")->required();
    cmp->add_option("--max-offset", compare.max_offset_s, "Alignment search range in seconds")->capture_default_str()->check(CLI::Range(0.0, 10.0));
    cmp->add_flag("--json", compare.json, "Print one JSON object on stdout");

    DemoArgs demo;
    auto* d = app.add_subcommand("demo", "Write the built-in demo session into DIR and render it");
    d->add_option("dir", demo.dir, "Folder for the demo session")->capture_default_str();
    d->add_option("--duration", demo.duration_s, "Length in seconds (>= 8)")->capture_default_str()->check(CLI::Range(8.0, 3600.0));
    d->add_flag("--json", demo.json, "Print the render report as JSON");

    DevicesArgs devices;
    auto* dev = app.add_subcommand("devices", "List the Vulkan devices and which one the GPU backend would use");
    dev->add_flag("--json", devices.json, "Print one JSON object on stdout");

    // bench: one subcommand per mode, each with its own options.
    auto* bench = app.add_subcommand("bench", "Benchmarks, each against a peer measured in the same run");
    bench->require_subcommand(1);

    BenchArgs bench_analyze;
    auto* ba = bench->add_subcommand("analyze", "analyze on a 4-minute stereo file vs ffmpeg -af ebur128=peak=true");
    ba->add_option("--seconds", bench_analyze.seconds, "Length of the generated file")->capture_default_str()->check(CLI::Range(1.0, 36000.0));
    ba->add_option("--file", bench_analyze.file, "Measure this file instead of a generated one");
    ba->add_option("--repeats", bench_analyze.repeats, "Best of N runs per contender")->capture_default_str()->check(CLI::Range(1, 20));
    ba->add_flag("--json", bench_analyze.json, "Print one JSON object on stdout");

    BenchMixArgs bench_mix;
    auto* bm = bench->add_subcommand("mix", "CPU mix of a generated session vs the equivalent FFmpeg filter graph");
    bm->add_option("--dir", bench_mix.dir, "Folder for the generated session")->capture_default_str();
    bm->add_option("--stems", bench_mix.stems, "Number of stems")->capture_default_str()->check(CLI::Range(1, 256));
    bm->add_option("--duration", bench_mix.duration_s, "Stem length in seconds")->capture_default_str()->check(CLI::Range(1.0, 3600.0));
    bm->add_flag("!--no-scaling", bench_mix.scaling, "Skip the 1-thread run");
    bm->add_flag("!--no-ffmpeg", bench_mix.ffmpeg, "Skip the FFmpeg run");
    bm->add_flag("--effects", bench_mix.effects, "Also delay buses, chorus, width, automation and a sidechain (5x target)");
    bm->add_flag("--json", bench_mix.json, "Print one JSON object on stdout");

    BenchMasterArgs bench_master;
    auto* bms = bench->add_subcommand("master", "Mastering a 4-minute stereo programme to a target vs FFmpeg two-pass loudnorm + alimiter");
    bms->add_option("--seconds", bench_master.duration_s, "Programme length in seconds")->capture_default_str()->check(CLI::Range(1.0, 36000.0));
    bms->add_option("--target", bench_master.target_lufs, "Loudness target, LUFS")->capture_default_str()->check(CLI::Range(-40.0, -5.0));
    bms->add_option("--ceiling", bench_master.ceiling_dbtp, "True-peak ceiling, dBTP")->capture_default_str()->check(CLI::Range(-9.0, 0.0));
    bms->add_option("--dir", bench_master.dir, "Keep the generated and rendered files in this folder");
    bms->add_flag("--json", bench_master.json, "Print one JSON object on stdout");

    BenchGpuArgs bench_gpu;
    auto* bg = bench->add_subcommand("gpu", "Render a generated session on the GPU and the CPU path; per-phase GPU time, bytes, floor");
    bg->add_option("--stems", bench_gpu.stems, "Stereo stems")->capture_default_str()->check(CLI::Range(1, 4096));
    bg->add_option("--duration", bench_gpu.duration_s, "Seconds per stem")->capture_default_str()->check(CLI::Range(0.1, 3600.0));
    bg->add_option("--buses", bench_gpu.buses, "Reverb buses (3-second IRs)")->capture_default_str()->check(CLI::Range(1, 26));
    bg->add_flag("!--no-cpu", bench_gpu.cpu, "Skip the CPU render");
    bg->add_option("--dir", bench_gpu.dir, "Generate the stems here (kept) instead of a temporary folder");
    bg->add_flag("--json", bench_gpu.json, "Print one JSON object on stdout");

    try {
        app.parse(argc, argv);
    } catch (const CLI::ParseError& e) {
        if (e.get_exit_code() == 0) return app.exit(e);  // --help, --version
        return report_usage(e.what());
    }

    if (r->parsed()) return run_render(render);
    if (g->parsed()) return run_gui(gui);
    if (a->parsed()) return run_analyze(analyze);
    if (d->parsed()) return run_demo(demo);
    if (dev->parsed()) return run_devices(devices);
    if (cmp->parsed()) return run_compare(compare);
    if (q->parsed()) {
        if (q_target->count() > 0) qc.target_lufs = qc_target;
        if (q_ceiling->count() > 0) qc.ceiling_dbtp = qc_ceiling;
        return run_qc(qc);
    }
    if (ba->parsed()) return run_bench_analyze(bench_analyze);
    if (bm->parsed()) return run_bench_mix(bench_mix);
    if (bg->parsed()) return run_bench_gpu(bench_gpu);
    if (bms->parsed()) return run_bench_master(bench_master);
    return kUsage;
}
