#!/bin/sh
# A person at the workstation, under Xvfb: open SESSION in a real window,
# press Ctrl+R, wait for OUTPUT to appear, press Ctrl+Q; exit with the
# workstation's own exit status (or 10-12 when the window never came up,
# the render never finished, or the window did not close).
#   usage: xvfb-run -a -s "-screen 0 1600x1000x24" window_e2e.sh STEMFORGE SESSION OUTPUT
set -u
stemforge=$1 session=$2 output=$3
"$stemforge" gui "$session" --backend cpu &
pid=$!
wid=""
i=0
while [ $i -lt 300 ] && [ -z "$wid" ]; do
  wid=$(xdotool search --name '^Stemforge' 2>/dev/null | head -n 1)
  [ -n "$wid" ] || sleep 0.1
  i=$((i + 1))
done
if [ -z "$wid" ]; then echo "window_e2e: no Stemforge window appeared" >&2; kill "$pid" 2>/dev/null; exit 10; fi
# No window manager under Xvfb: focus the window ourselves, then type
# through XTEST (GLFW ignores synthetic events sent to a window).
xdotool windowfocus --sync "$wid" 2>/dev/null || xdotool windowfocus "$wid"
sleep 1
xdotool key ctrl+r
i=0
while [ $i -lt 1200 ] && [ ! -f "$output" ]; do sleep 0.1; i=$((i + 1)); done
if [ ! -f "$output" ]; then echo "window_e2e: Ctrl+R wrote no $output" >&2; kill "$pid" 2>/dev/null; exit 11; fi
sleep 1
xdotool windowfocus "$wid" 2>/dev/null
xdotool key ctrl+q
i=0
while [ $i -lt 200 ] && kill -0 "$pid" 2>/dev/null; do sleep 0.1; i=$((i + 1)); done
if kill -0 "$pid" 2>/dev/null; then echo "window_e2e: Ctrl+Q did not close the window" >&2; kill "$pid"; exit 12; fi
wait "$pid"
