#!/usr/bin/env bash
# Writes a screenshot of every workstation view of the demo session into
# DIR (default build/docs/gui), for docs/gui.md. Needs no display: the
# screenshots are drawn offscreen (Vulkan; lavapipe where there is no GPU).
# Run after `make demo` (it uses build/demo/session.json and its render).
set -euo pipefail
root=$(cd "$(dirname "$0")/.." && pwd)
bin=${STEMFORGE_BIN:-$root/build/bin/stemforge}
session=${DEMO_SESSION:-$root/build/demo/session.json}
out=${1:-$root/build/docs/gui}
mkdir -p "$out"
for view in session mixer render loudness spectrum spectrogram stereo compare; do
  "$bin" gui "$session" --screenshot "$out/$view.png" --view "$view" --size 1600x1000
  echo "wrote $out/$view.png"
done
