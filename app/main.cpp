// stemforge — the command line. Parses arguments (CLI11) and hands each
// subcommand to its run_* function; no DSP here. main() is in
// app/process_main.cpp.
#include <CLI/CLI.hpp>

#include <cstdio>

#include "app/batch_command.h"
#include "app/bench_edit.h"
#include "app/album_commands.h"
#include "app/bench_master.h"
#include "app/cli.h"
#include "app/command_names.h"
#include "app/gpu_commands.h"
#include "engine/audio/decoder_quiet.h"

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
    r->add_option("--from", render.from, "Render only from this time of the timeline (seconds or m:ss.fff)");
    r->add_option("--to", render.to, "Render only up to this time of the timeline (seconds or m:ss.fff)");
    r->add_flag("--verify", render.verify, "Also render on the other backend; pass/fail against the documented bounds");
    r->add_flag("--json", render.json, "Print one JSON object on stdout");
    r->add_option("--threads", render.threads, "CPU threads (default: every core); the CPU render is bit-identical for every N")
        ->check(CLI::Range(1, 4096));

    ReplayArgs replay;
    auto* rp = app.add_subcommand("replay", "Re-render a render's manifest into a temporary folder and check every output bit for bit");
    rp->add_option("manifest", replay.manifest, "<first output>.manifest.json, written by render")->required();
    rp->add_flag("--json", replay.json, "Print one JSON object on stdout");
    rp->add_option("--keep", replay.keep_dir, "Keep the re-rendered files in this folder (one subfolder per export)");

    AlbumArgs album;
    auto* al = app.add_subcommand("album", "Master an album: sessions and premixed files to track files and a CD image with a CUE sheet");
    al->add_option("album", album.album, "Album file (JSON, format stemforge-album v1)")->required();
    al->add_option("--backend", album.backend, "Mix backend of the session tracks: auto, cpu, gpu")
        ->capture_default_str()
        ->check(CLI::IsMember({"auto", "cpu", "gpu"}));
    al->add_flag("--json", album.json, "Print one JSON object on stdout");

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
    cmp->add_option("--max-offset", compare.max_offset_s, "Alignment search range in seconds (0: compare sample by sample, no alignment)")->capture_default_str()->check(CLI::Range(0.0, 10.0));
    cmp->add_flag("--json", compare.json, "Print one JSON object on stdout");
    cmp->add_option("--png", compare.png_dir, "Write the residual over time and its spectrum as PNG plots into this folder");

    DemoArgs demo;
    auto* d = app.add_subcommand("demo", "Write the built-in demo session into DIR and render it");
    d->add_option("dir", demo.dir, "Folder for the demo session")->capture_default_str();
    d->add_option("--duration", demo.duration_s, "Length in seconds (>= 8)")->capture_default_str()->check(CLI::Range(8.0, 3600.0));
    d->add_flag("--json", demo.json, "Print the render report as JSON");

    BatchArgs batch;
    auto* bt = app.add_subcommand("batch", "Render many sessions, albums and variants: here in parallel, or as a Slurm job array");
    bt->add_option("batch", batch.file, "Batch file (JSON, format stemforge-batch v1)")->required();
    bt->add_option("--engine", batch.engine, "local: child processes on this machine; slurm: one Slurm job array")
        ->capture_default_str()->check(CLI::IsMember({"local", "slurm"}));
    bt->add_option("--jobs", batch.jobs, "local: tasks at once (default: the cores); slurm: at most N tasks at once (%N)")->check(CLI::Range(1, 100000));
    bt->add_option("--backend", batch.backend, "Render backend of every task: auto, cpu, gpu (slurm: one GPU per task)")
        ->capture_default_str()->check(CLI::IsMember({"auto", "cpu", "gpu"}));
    bt->add_option("--sbatch-arg", batch.sbatch_args, "slurm: one more sbatch option, as is (repeatable): --sbatch-arg=--cpus-per-task=8")
        ->allow_extra_args(false);
    bt->add_flag("--json", batch.json, "Print the summary (JSON) on stdout");
    // What each engine runs: one task of a frozen batch (not for users).
    bt->add_option("--task", batch.task)->group("")->check(CLI::NonNegativeNumber);
    bt->add_option("--task-results", batch.task_results)->group("");

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
    bms->add_option("--backend", bench_master.backend, "gpu: a batch of programmes on the GPU vs the CPU master step on every core")
        ->check(CLI::IsMember({"gpu"}));
    bms->add_option("--programmes", bench_master.programmes, "Programmes in the batch (with --backend gpu)")
        ->capture_default_str()->check(CLI::Range(1, 64));
    bms->add_flag("--json", bench_master.json, "Print one JSON object on stdout");

    BenchBatchArgs bench_batch;
    auto* bb = bench->add_subcommand("batch", "A batch of demo-session variants through --engine local and --engine slurm: the Slurm overhead per task");
    bb->add_option("--variants", bench_batch.variants, "Variants (tasks)")->capture_default_str()->check(CLI::Range(1, 10000));
    bb->add_option("--duration", bench_batch.duration_s, "Demo session length in seconds (>= 8)")->capture_default_str()->check(CLI::Range(8.0, 3600.0));
    bb->add_option("--jobs", bench_batch.jobs, "Tasks at once on both engines (default: the cores)")->check(CLI::Range(1, 4096));
    bb->add_option("--dir", bench_batch.dir, "Keep the session and the renders in this folder");
    bb->add_flag("!--no-slurm", bench_batch.slurm, "The local engine only");
    bb->add_flag("--json", bench_batch.json, "Print one JSON object on stdout");

    BenchGpuArgs bench_gpu;
    auto* bg = bench->add_subcommand("gpu", "Render a generated session on the GPU and the CPU path; per-phase GPU time, bytes, floor");
    bg->add_option("--stems", bench_gpu.stems, "Stereo stems")->capture_default_str()->check(CLI::Range(1, 4096));
    bg->add_option("--duration", bench_gpu.duration_s, "Seconds per stem")->capture_default_str()->check(CLI::Range(0.1, 3600.0));
    bg->add_option("--buses", bench_gpu.buses, "Reverb buses (3-second IRs)")->capture_default_str()->check(CLI::Range(1, 26));
    bg->add_flag("!--no-cpu", bench_gpu.cpu, "Skip the CPU render");
    bg->add_option("--dir", bench_gpu.dir, "Generate the stems here (kept) instead of a temporary folder");
    bg->add_flag("--json", bench_gpu.json, "Print one JSON object on stdout");

    BenchAlbumArgs bench_album;
    auto* bal = bench->add_subcommand("album", "A 12-track album of generated sessions by `album` vs one `render` per track");
    bal->add_option("--tracks", bench_album.tracks, "Tracks (generated sessions)")->capture_default_str()->check(CLI::Range(1, 99));
    bal->add_option("--stems", bench_album.stems, "Stems per session")->capture_default_str()->check(CLI::Range(1, 256));
    bal->add_option("--duration", bench_album.duration_s, "Seconds per track")->capture_default_str()->check(CLI::Range(4.0, 3600.0));
    bal->add_option("--mode", bench_album.mode, "The album's loudness mode: track or album")
        ->capture_default_str()
        ->check(CLI::IsMember({"track", "album"}));
    bal->add_option("--backend", bench_album.backend, "Mix backend: auto, cpu, gpu")->capture_default_str()->check(CLI::IsMember({"auto", "cpu", "gpu"}));
    bal->add_option("--dir", bench_album.dir, "Keep the generated sessions and the renders in this folder");
    bal->add_flag("--json", bench_album.json, "Print one JSON object on stdout");

    BenchEditArgs bench_edit;
    auto* be = bench->add_subcommand("edit", "Edit-to-meter time on the demo: one edit re-rendered with the render cache and without it");
    be->add_option("--dir", bench_edit.dir, "Keep the demo and the renders in this folder");
    be->add_option("--duration", bench_edit.duration_s, "Demo length in seconds (>= 8)")->capture_default_str()->check(CLI::Range(8.0, 3600.0));
    be->add_option("--edit", bench_edit.edit_path, "The stem key edited (default: stems[lead].gain_db)");
    be->add_option("--db", bench_edit.edit_db, "Added to the key's value")->capture_default_str()->check(CLI::Range(-48.0, 12.0));
    be->add_option("--backend", bench_edit.backend, "Render backend: auto, cpu, gpu")->capture_default_str()->check(CLI::IsMember({"auto", "cpu", "gpu"}));
    be->add_flag("!--no-master", bench_edit.master, "Without the demo's master block (the meters hear the mix)");
    be->add_flag("--json", bench_edit.json, "Print one JSON object on stdout");

    if (auto unknown = unknown_command_message(app, argc, argv)) {
        print_error_line(*unknown);
        return kUsage;
    }
    try {
        app.parse(argc, argv);
    } catch (const CLI::ParseError& e) {
        if (e.get_exit_code() == 0) return app.exit(e);  // --help, --version
        return report_usage(e.what());
    }
    // libmpg123 (inside libsndfile) would print its own notes around our error line.
    sf::set_decoder_diagnostics_quiet(true);

    if (r->parsed()) return run_render(render);
    if (rp->parsed()) return run_replay(replay);
    if (al->parsed()) return run_album(album);
    if (bal->parsed()) return run_bench_album(bench_album);
    if (g->parsed()) return run_gui(gui);
    if (a->parsed()) return run_analyze(analyze);
    if (d->parsed()) return run_demo(demo);
    if (dev->parsed()) return run_devices(devices);
    if (bt->parsed()) return run_batch(batch);
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
    if (bb->parsed()) return run_bench_batch(bench_batch);
    if (be->parsed()) return run_bench_edit(bench_edit);
    return kUsage;
}
