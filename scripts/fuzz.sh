#!/usr/bin/env bash
# Runs Stemforge's libFuzzer fuzzers (tests/fuzz/, docs/robustness.md), each
# for a bounded time on its corpus, one after another.
#
#   scripts/fuzz.sh [-b BUILD] [-t SECONDS] [-r RUNS] [NAME...]
#
#   -b BUILD    a build configured with -DSTEMFORGE_FUZZ=ON (default build-fuzz)
#   -t SECONDS  time per fuzzer (default 15)
#   -r RUNS     stop each fuzzer after RUNS executions instead (0 = no bound)
#   NAME        fuzzers to run (default: every one built: session audio ir cue cli album batch
#               manifest)
#
# The committed seeds (tests/fuzz/corpus/NAME) are read, never written: new
# inputs go to BUILD/fuzz-corpus/NAME, which later runs resume from. A crash,
# a leak, a timeout or an out-of-memory is saved as
# BUILD/fuzz-artifacts/NAME/crash-* (replay: BUILD/bin/fuzz_NAME FILE) and
# makes the script exit 1 after the other fuzzers ran. One summary line per
# fuzzer: executions, seconds, coverage (cov: edges, ft: features), corpus.
set -uo pipefail
cd "$(dirname "$0")/.."

build=build-fuzz
seconds=15
runs=0
while getopts "b:t:r:" opt; do
  case $opt in
    b) build=$OPTARG ;;
    t) seconds=$OPTARG ;;
    r) runs=$OPTARG ;;
    *) echo "usage: $0 [-b BUILD] [-t SECONDS] [-r RUNS] [NAME...]" >&2; exit 2 ;;
  esac
done
shift $((OPTIND - 1))
names=("$@")
if [ ${#names[@]} -eq 0 ]; then names=(session audio ir cue cli album batch manifest); fi

# Per fuzzer: the largest input worth trying, and its dictionary.
declare -A max_len=([session]=8192 [cue]=8192 [audio]=32768 [ir]=32768 [cli]=512 [album]=8192 [batch]=8192 [manifest]=16384)
# The RSS bound beyond which libFuzzer reports an out-of-memory. fuzz_ir's is
# higher: an IR is held whole (about 150 bytes per frame, docs/BENCHMARKS.md)
# up to kMaxIrFrames = 2^25 frames, so a few KB of FLAC silence claiming ten
# minutes legitimately needs ~5 GB; beyond the bound it must be refused.
declare -A rss_mb=([ir]=8192)
declare -A dict=([session]=session.dict [cue]=cue.dict [audio]=audio.dict [ir]=audio.dict [cli]=cli.dict
                [album]=album.dict [batch]=batch.dict [manifest]=manifest.dict)

failed=0
summary=()
for name in "${names[@]}"; do
  bin="$build/bin/fuzz_$name"
  if [ ! -x "$bin" ]; then
    echo "fuzz.sh: $bin is missing (cmake -DSTEMFORGE_FUZZ=ON ...; cmake --build $build --target fuzzers)" >&2
    exit 2
  fi
  work="$build/fuzz-corpus/$name"
  artifacts="$build/fuzz-artifacts/$name"
  mkdir -p "$work" "$artifacts"
  log="$build/fuzz-$name.log"
  args=(-max_total_time="$seconds" -max_len="${max_len[$name]:-4096}" -timeout=30 -rss_limit_mb="${rss_mb[$name]:-3072}"
        -dict="tests/fuzz/${dict[$name]}" -artifact_prefix="$artifacts/" -close_fd_mask=1 -print_final_stats=1)
  if [ "$runs" -gt 0 ]; then args+=(-runs="$runs"); fi
  # ASan's leak check at exit and UBSan's reports both end the run as a crash.
  ASAN_OPTIONS=detect_leaks=1:abort_on_error=1 \
  UBSAN_OPTIONS=print_stacktrace=1:halt_on_error=1 \
  LSAN_OPTIONS=suppressions=$PWD/scripts/lsan-suppressions.txt:print_suppressions=0 \
    "$bin" "${args[@]}" "$work" "tests/fuzz/corpus/$name" 2>&1 |
    # libmpg123 prints a diagnostic line for every broken MP3 frame it meets
    # (millions in an hour of fuzz_audio): kept out of the log.
    grep -avE '^Note: (Trying to resync|Skipped [0-9]+ bytes)|^\[src/libmpg123/' >"$log"
  rc=${PIPESTATUS[0]}
  execs=$(grep -o 'stat::number_of_executed_units: *[0-9]*' "$log" | grep -o '[0-9]*$' | tail -1)
  secs=$(grep -o 'Done [0-9]* runs in [0-9]* second' "$log" | grep -o 'in [0-9]*' | grep -o '[0-9]*' | tail -1)
  cov=$(grep -o 'cov: [0-9]* ft: [0-9]* corp: [0-9]*/[0-9]*[a-zA-Z]*' "$log" | tail -1)
  if [ $rc -ne 0 ]; then
    failed=1
    echo "fuzz.sh: fuzz_$name FAILED (exit $rc); its log: $log" >&2
    grep -E 'ERROR|contract broken|SUMMARY|Test unit written|deadly' "$log" | head -20 >&2
  fi
  summary+=("$(printf '%-8s %s execs in %ss  %s  %s' "$name" "${execs:-?}" "${secs:-?}" "${cov:-?}" "$([ $rc -eq 0 ] && echo ok || echo FAILED)")")
done
printf '%s\n' "${summary[@]}"
exit $failed
