#!/usr/bin/env bash
# Measures the foundation's streaming render: a 64-stem x 10-minute session
# (mono 24-bit 48 kHz pink noise + tone stems made by FFmpeg, distinct files),
# rendered by the CPU path; prints peak RSS and x-realtime.
#   scripts/measure-streaming.sh [WORKDIR] [STEMS] [MINUTES]
set -euo pipefail
work=${1:-/tmp/stemforge-streaming}
stems=${2:-64}
minutes=${3:-10}
bin=${STEMFORGE:-$(dirname "$0")/../build/bin/stemforge}
seconds=$((minutes * 60))
mkdir -p "$work/stems"
for i in $(seq 0 $((stems - 1))); do
  f="$work/stems/s$i.wav"
  [ -f "$f" ] && continue
  ffmpeg -loglevel error -y -f lavfi -i "anoisesrc=d=$seconds:c=pink:r=48000:a=0.05:seed=$((i + 1))" \
    -f lavfi -i "sine=f=$((110 + 7 * i)):d=$seconds:r=48000" \
    -filter_complex "[0][1]amix=inputs=2:normalize=0,volume=0.5" -ac 1 -c:a pcm_s24le "$f"
done
python3 - "$work" "$stems" <<'PY'
import json, sys
work, n = sys.argv[1], int(sys.argv[2])
stems = [{"name": f"s{i}", "file": f"stems/s{i}.wav", "gain_db": -18.0, "pan": (i % 9 - 4) / 4.0} for i in range(n)]
json.dump({"format": "stemforge-session", "version": 1, "sample_rate": 48000, "stems": stems,
           "export": [{"file": "out/master.wav", "bit_depth": 24}]}, open(f"{work}/session.json", "w"), indent=1)
PY
sync
/usr/bin/time -v "$bin" render "$work/session.json" --backend cpu --json > "$work/report.json" 2> "$work/time.txt"
rss_kib=$(awk -F: '/Maximum resident set size/ {gsub(/ /, "", $2); print $2}' "$work/time.txt")
wall=$(python3 -c "import json; print(json.load(open('$work/report.json'))['timing']['total'])")
echo "stems=$stems minutes=$minutes peak_rss_mib=$((rss_kib / 1024)) render_s=$wall x_realtime=$(python3 -c "print(round($seconds / $wall, 1))")"
