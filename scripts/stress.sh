#!/usr/bin/env bash
# Stemforge stress run: renders random valid sessions for a set time and
# checks every invariant on each (docs/reproducibility.md, "Stress run").
#
#   scripts/stress.sh [--seconds N] [--iterations N] [--seed S] [--dir DIR]
#                     [--backend cpu|gpu] [--no-verify] [--max-stem-s S] [--json] [--keep]
#
# Each iteration generates a session (random stems at random rates, channel
# counts, lengths and file formats, made by FFmpeg; random buses and routing,
# every stage with random parameters, an optional master block, one to three
# exports in random formats) and then:
#   render   `render --json` (with `--verify` unless --no-verify, and a random
#            --threads) exits 0 and lists its outputs and its manifest;
#   verify   the other backend's residual is reported (peak <= -60 dBFS);
#   no NaN   every output is read back by `analyze --json` (which refuses NaN
#            and Inf samples) and every number it reports is finite or null;
#   no temp  no temporary (.stemforge-*, .part-*, stemforge-verify-*,
#            stemforge-replay-*) is left in the session folder or in TMPDIR;
#   replay   `replay MANIFEST` re-renders bit-identically (exit 0): the render
#            is deterministic across two runs and thread counts.
# Prints the counts; exit 0 when no check failed, 1 otherwise. A failing
# session's folder is kept (listed in the summary) to reproduce it.
# Needs: python3, ffmpeg, the built binary ($STEMFORGE or build/bin/stemforge).
set -uo pipefail

seconds=60
max_iterations=0   # 0: as many as fit in --seconds
seed=$RANDOM
dir=""
backend=cpu
verify=1
max_stem_s=3
json=0
keep=0
while [ $# -gt 0 ]; do
  case "$1" in
    --seconds) seconds=$2; shift 2 ;;
    --iterations) max_iterations=$2; shift 2 ;;
    --seed) seed=$2; shift 2 ;;
    --dir) dir=$2; shift 2 ;;
    --backend) backend=$2; shift 2 ;;
    --no-verify) verify=0; shift ;;
    --max-stem-s) max_stem_s=$2; shift 2 ;;
    --json) json=1; shift ;;
    --keep) keep=1; shift ;;
    -h|--help) sed -n '2,28p' "$0"; exit 0 ;;
    *) echo "stress.sh: unknown option $1 (see --help)" >&2; exit 2 ;;
  esac
done
bin=${STEMFORGE:-$(cd "$(dirname "$0")/.." && pwd)/build/bin/stemforge}
[ -x "$bin" ] || { echo "stress.sh: no stemforge binary at $bin (build it, or set STEMFORGE)" >&2; exit 2; }
command -v python3 >/dev/null || { echo "stress.sh: python3 is needed" >&2; exit 2; }
command -v ffmpeg >/dev/null || { echo "stress.sh: ffmpeg is needed" >&2; exit 2; }
if [ -z "$dir" ]; then
  dir=$(mktemp -d "${TMPDIR:-/tmp}/stemforge-stress-XXXXXX")
  [ "$keep" = 1 ] || trap 'rm -rf "$dir/ok"' EXIT
fi
mkdir -p "$dir/ok" "$dir/failed" "$dir/tmp"
export TMPDIR="$dir/tmp"   # the binary's temporary folders (verify spool, replay) land here, where they are checked

gen=$dir/generate.py
cat > "$gen" <<'PY'
# Writes one random valid session into a folder: python3 generate.py SEED DIR MAX_STEM_S
import json, os, random, subprocess, sys

seed, out, max_s = int(sys.argv[1]), sys.argv[2], float(sys.argv[3])
R = random.Random(seed)
os.makedirs(out + "/stems", exist_ok=True)

def audio(path, rate, channels, seconds, expr, codec):
    # aevalsrc: one expression per channel; a decaying tone plus noise.
    exprs = "|".join([expr] * channels)
    subprocess.run(["ffmpeg", "-nostdin", "-loglevel", "error", "-y", "-f", "lavfi", "-i",
                    f"aevalsrc={exprs}:s={rate}:d={seconds:.3f}", "-c:a", codec, path], check=True)

def tone_expr():
    f = R.choice([55, 110, 220, 330, 440, 880, 1760, 3520])
    a = R.uniform(0.05, 0.5)
    decay = R.uniform(0.5, 8)
    noise = R.uniform(0, 0.1)
    return f"{a:.3f}*sin(2*PI*{f}*t)*exp(-{decay:.2f}*mod(t\\,{R.uniform(0.2, 1.0):.2f}))+{noise:.3f}*(random(0)-0.5)"

def pick_codec():
    return R.choice([("wav", "pcm_s16le"), ("wav", "pcm_s24le"), ("wav", "pcm_f32le"), ("flac", "flac"), ("aiff", "pcm_s16be")])

rate = R.choice([32000, 44100, 48000, 96000])
nyq = rate / 2

def eq_block(max_bands=4):
    bands = []
    for _ in range(R.randint(1, max_bands)):
        t = R.choice(["bell", "lowshelf", "highshelf", "notch", "bandpass", "highpass", "lowpass"])
        b = {"type": t, "freq_hz": round(R.uniform(30, min(16000, nyq * 0.8)), 1)}
        if t in ("bell", "lowshelf", "highshelf"):
            b["gain_db"] = round(R.uniform(-12, 12), 2)
        if t in ("bell", "lowshelf", "highshelf", "notch", "bandpass"):
            b["q"] = round(R.uniform(0.3, 6), 2)
        if t in ("highpass", "lowpass"):
            b["slope_db_oct"] = R.choice([6, 12, 24, 48])
        bands.append(b)
    return {"mode": R.choice(["linear", "minimum"]), "bands": bands}

def compressor():
    return {"threshold_db": round(R.uniform(-30, -6), 1), "ratio": round(R.uniform(1.5, 8), 2), "knee_db": round(R.uniform(0, 12), 1),
            "attack_ms": round(R.uniform(0.5, 40), 1), "release_ms": round(R.uniform(20, 400), 1), "detector": R.choice(["peak", "rms"])}

def chorus():
    depth = round(R.uniform(0.5, 4), 2)
    return {"rate_hz": round(R.uniform(0.1, 3), 2), "depth_ms": depth, "delay_ms": round(depth + R.uniform(1, 10), 2),
            "voices": R.randint(1, 4), "mix": round(R.uniform(0.2, 0.8), 2)}

def lane(lo, hi, length):
    pts = sorted(round(R.uniform(0, length), 3) for _ in range(R.randint(2, 4)))
    return [[p, round(R.uniform(lo, hi), 3)] for p in pts]

nb = R.randint(0, 3)
buses = []
for j in range(nb):
    b = {"name": f"bus{j}"}
    if R.random() < 0.5:
        ir = f"stems/ir{j}.wav"
        ch = R.choice([1, 2])
        audio(f"{out}/{ir}", R.choice([44100, 48000]), ch, R.uniform(0.05, 0.4),
              f"{R.uniform(0.05, 0.3):.3f}*(random(0)-0.5)*exp(-{R.uniform(8, 40):.1f}*t)", "pcm_s24le")
        b["reverb"] = {"ir": ir, "predelay_ms": round(R.uniform(0, 30), 1), "wet_db": round(R.uniform(-12, 0), 1)}
    if R.random() < 0.3:
        b["delay"] = {"time_ms": round(R.uniform(40, 300), 1), "feedback": round(R.uniform(0, 0.6), 2), "pingpong": R.random() < 0.5}
        if R.random() < 0.5:
            b["delay"]["highcut_hz"] = round(R.uniform(2000, nyq * 0.8), 1)
    if R.random() < 0.3: b["eq"] = eq_block(3)
    if R.random() < 0.2: b["compressor"] = compressor()
    if R.random() < 0.2: b["width"] = round(R.uniform(0, 2), 2)
    if R.random() < 0.2: b["automation"] = {"gain_db": lane(-12, 0, 2.0)}
    b["gain_db"] = round(R.uniform(-12, 0), 1)
    # Acyclic: a bus feeds master or a later bus.
    b["output"] = R.choice(["master"] + [f"bus{k}" for k in range(j + 1, nb)])
    buses.append(b)

ns = R.randint(1, 5)
stems = []
for i in range(ns):
    ext, codec = pick_codec()
    ch = R.choice([1, 2])
    length = round(R.uniform(0.6, max(0.7, max_s)), 3)
    f = f"stems/s{i}.{ext}"
    audio(f"{out}/{f}", R.choice([22050, 44100, 48000, 96000]), ch, length, tone_expr(), codec)
    s = {"name": f"s{i}", "file": f, "gain_db": round(R.uniform(-12, 0), 1), "pan": round(R.uniform(-1, 1), 2)}
    if R.random() < 0.3: s["offset_s"] = round(R.uniform(0, 0.5), 3)
    if R.random() < 0.3: s["fade_in_s"] = round(R.uniform(0, 0.2), 3)
    if R.random() < 0.3: s["fade_out_s"] = round(R.uniform(0, 0.2), 3)
    if R.random() < 0.15: s["polarity_invert"] = True
    if R.random() < 0.1 and i > 0: s["mute"] = True
    if R.random() < 0.4: s["eq"] = eq_block()
    if R.random() < 0.3:
        s["compressor"] = compressor()
        if i > 0 and R.random() < 0.5:
            s["compressor"]["sidechain"] = f"s{R.randint(0, i - 1)}"  # an earlier stem: never a cycle
            if R.random() < 0.5: s["compressor"]["sidechain_eq"] = eq_block(2)
    if R.random() < 0.2: s["chorus"] = chorus()
    if ch == 2 and R.random() < 0.3: s["width"] = round(R.uniform(0, 2.5), 2)
    auto = {}
    if R.random() < 0.3: auto["gain_db"] = lane(-18, 3, length)
    if R.random() < 0.2: auto["pan"] = lane(-1, 1, length)
    if buses and R.random() < 0.5:
        bus = R.choice(buses)["name"]
        s["sends"] = [{"bus": bus, "level_db": round(R.uniform(-18, 0), 1), "pre_fader": R.random() < 0.3}]
        if R.random() < 0.3: auto["send_db"] = {bus: lane(-12, 0, length)}
    if auto: s["automation"] = auto
    if buses and R.random() < 0.3: s["output"] = R.choice(buses)["name"]
    stems.append(s)

session = {"format": "stemforge-session", "version": 1, "sample_rate": rate, "stems": stems}
if buses: session["buses"] = buses
if R.random() < 0.6:
    m = {}
    if R.random() < 0.3: m["eq"] = eq_block(3)
    if R.random() < 0.3:
        xs = sorted(R.sample([120, 250, 500, 1000, 2500, 5000], R.randint(1, 3)))
        m["multiband"] = {"crossovers_hz": xs, "bands": [{"threshold_db": round(R.uniform(-30, -10), 1), "ratio": round(R.uniform(1, 4), 2)}
                                                         for _ in range(len(xs) + 1)]}
    if R.random() < 0.2: m["width"] = round(R.uniform(0.5, 1.5), 2)
    m["limiter"] = {"ceiling_dbtp": round(R.uniform(-3, -0.5), 2), "max_gain_reduction_db": 40}
    if R.random() < 0.5: m["loudness_target_lufs"] = round(R.uniform(-26, -18), 1)
    session["master"] = m
exports = []
for e in range(R.randint(1, 3)):
    fmt = R.choice(["wav", "wav", "flac", "aiff", "bwf", "rf64", "mp3", "ogg"])
    ext = {"bwf": "wav", "aiff": "aif"}.get(fmt, fmt)
    x = {"file": f"out/e{e}.{ext}", "format": fmt}
    if fmt in ("mp3", "ogg"):
        x["sample_rate"] = 48000
    else:
        x["bit_depth"] = R.choice([16, 24] if fmt == "flac" else [16, 24, 32])
        if x["bit_depth"] != 32: x["dither"] = R.choice(["none", "tpdf", "tpdf-shaped"])
        if R.random() < 0.3: x["sample_rate"] = R.choice([44100, 48000, 96000])
        if R.random() < 0.15: x["cue_sheet"] = True
    exports.append(x)
session["export"] = exports
if R.random() < 0.3: session["metadata"] = {"title": f"Stress {seed}", "artist": "stemforge"}
json.dump(session, open(out + "/session.json", "w"), indent=1)
PY

# Checks a JSON document: every number finite (json.load refuses NaN only
# when asked), prints nothing, exits 1 on a non-finite number.
finite_json() {
  python3 -c '
import json, math, sys
def bad(c): raise ValueError("non-finite number " + c)
def walk(v):
    if isinstance(v, float) and not math.isfinite(v): raise ValueError("non-finite")
    if isinstance(v, dict): [walk(x) for x in v.values()]
    if isinstance(v, list): [walk(x) for x in v]
walk(json.load(open(sys.argv[1]), parse_constant=bad))' "$1"
}

temporaries() {  # lists our temporaries under the given folders
  find "$@" \( -name '.*.stemforge-*' -o -name '*.part-*' -o -name 'stemforge-verify-*' -o -name 'stemforge-replay-*' \) 2>/dev/null
}

iterations=0; rendered=0; verified=0; analyzed=0; replayed=0; failures=0
failed_list=()
fail() {  # fail ITER_DIR WHAT
  failures=$((failures + 1))
  failed_list+=("$2 ($1)")
  echo "stress.sh: FAILED: $2 ($1)" >&2
}

start=$(date +%s)
while [ $(( $(date +%s) - start )) -lt "$seconds" ] && { [ "$max_iterations" = 0 ] || [ "$iterations" -lt "$max_iterations" ]; }; do
  i=$iterations
  iterations=$((iterations + 1))
  s=$((seed + i))
  it="$dir/ok/$s"
  rm -rf "$it"; mkdir -p "$it"
  if ! python3 "$gen" "$s" "$it" "$max_stem_s" 2> "$it/generate.err"; then
    fail "$it" "seed $s: the generator failed: $(head -c 300 "$it/generate.err")"; continue
  fi
  threads=$(( (s % 4) + 1 ))
  args=(render "$it/session.json" --backend "$backend" --threads "$threads" --json)
  [ "$verify" = 1 ] && args+=(--verify)
  if ! "$bin" "${args[@]}" > "$it/render.json" 2> "$it/render.err"; then
    fail "$it" "seed $s: render exit $?: $(head -c 400 "$it/render.err")"
    mv "$it" "$dir/failed/$s"; continue
  fi
  rendered=$((rendered + 1))
  ok=1
  finite_json "$it/render.json" || { fail "$it" "seed $s: render report has a non-finite number"; ok=0; }
  if [ "$verify" = 1 ]; then
    peak=$(python3 -c 'import json,sys; v=json.load(open(sys.argv[1]))["verify"]; p=v.get("residual_peak_dbfs"); print("skipped" if "skipped" in v else ("-inf" if p is None else p))' "$it/render.json")
    if [ "$peak" = skipped ]; then :
    elif python3 -c 'import sys; p=sys.argv[1]; sys.exit(0 if p == "-inf" or float(p) <= -60 else 1)' "$peak"; then
      verified=$((verified + 1))
    else fail "$it" "seed $s: verify residual peak $peak dBFS is above -60 dBFS"; ok=0; fi
  fi
  mapfile -t outs < <(python3 -c 'import json,sys; [print(o) for o in json.load(open(sys.argv[1]))["outputs"]]' "$it/render.json")
  for o in "${outs[@]}"; do
    [ -f "$o" ] || { fail "$it" "seed $s: output $o is missing"; ok=0; continue; }
    case "$o" in *.cue) continue ;; esac
    if "$bin" analyze "$o" --json > "$it/analyze.json" 2> "$it/analyze.err" && finite_json "$it/analyze.json"; then
      analyzed=$((analyzed + 1))
    else fail "$it" "seed $s: $o does not read back clean: $(head -c 300 "$it/analyze.err")"; ok=0; fi
  done
  manifest=$(python3 -c 'import json,sys; print(json.load(open(sys.argv[1])).get("manifest", ""))' "$it/render.json")
  left=$(temporaries "$it" "$TMPDIR")
  [ -z "$left" ] || { fail "$it" "seed $s: temporaries left after the render: $left"; ok=0; }
  if [ -n "$manifest" ] && "$bin" replay "$manifest" > "$it/replay.txt" 2> "$it/replay.err"; then
    replayed=$((replayed + 1))
  else fail "$it" "seed $s: replay is not bit-identical (exit $?): $(head -c 400 "$it/replay.err")"; ok=0; fi
  left=$(temporaries "$it" "$TMPDIR")
  [ -z "$left" ] || { fail "$it" "seed $s: temporaries left after the replay: $left"; ok=0; }
  if [ "$ok" = 1 ]; then [ "$keep" = 1 ] || rm -rf "$it"; else mv "$it" "$dir/failed/$s"; fi
done

elapsed=$(( $(date +%s) - start ))
if [ "$json" = 1 ]; then
  python3 - "$iterations" "$rendered" "$verified" "$analyzed" "$replayed" "$failures" "$elapsed" "$seed" "$dir" "${failed_list[@]+"${failed_list[@]}"}" <<'PY'
import json, sys
a = sys.argv[1:]
print(json.dumps({"iterations": int(a[0]), "rendered": int(a[1]), "verified": int(a[2]), "outputs_read_back": int(a[3]),
                  "replayed_identical": int(a[4]), "failures": int(a[5]), "seconds": int(a[6]), "seed": int(a[7]),
                  "dir": a[8], "failed": a[9:]}, indent=2))
PY
else
  echo "stress: $iterations sessions in ${elapsed}s (seed $seed): $rendered rendered, $verified verified, $analyzed outputs read back, $replayed replayed bit-identically, $failures failures"
  for f in "${failed_list[@]+"${failed_list[@]}"}"; do echo "  failed: $f"; done
  [ "$failures" = 0 ] || echo "  failing sessions kept under $dir/failed"
fi
[ "$failures" = 0 ]
