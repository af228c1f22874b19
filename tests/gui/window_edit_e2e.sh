#!/bin/sh
# Editing in a real window under Xvfb, as a person does it: open SESSION,
# Ctrl+K, type COMMAND, Enter, Ctrl+S, Ctrl+Q. Exit: the workstation's
# status, or 10 (no window) / 12 (the window did not close).
#   usage: xvfb-run -a -s "-screen 0 1600x1000x24" window_edit_e2e.sh STEMFORGE SESSION COMMAND
set -u
stemforge=$1 session=$2 command=$3
"$stemforge" gui "$session" --backend cpu &
pid=$!
wid=""
i=0
while [ $i -lt 300 ] && [ -z "$wid" ]; do
  wid=$(xdotool search --name '^Stemforge' 2>/dev/null | head -n 1)
  [ -n "$wid" ] || sleep 0.1
  i=$((i + 1))
done
if [ -z "$wid" ]; then echo "window_edit_e2e: no Stemforge window appeared" >&2; kill "$pid" 2>/dev/null; exit 10; fi
xdotool windowfocus --sync "$wid" 2>/dev/null || xdotool windowfocus "$wid"
sleep 1
xdotool key ctrl+k
sleep 0.5
xdotool type --delay 20 "$command"
sleep 0.3
xdotool key Return
sleep 0.5
xdotool key ctrl+s
sleep 0.5
xdotool key ctrl+q
i=0
while [ $i -lt 200 ] && kill -0 "$pid" 2>/dev/null; do sleep 0.1; i=$((i + 1)); done
if kill -0 "$pid" 2>/dev/null; then echo "window_edit_e2e: Ctrl+Q did not close the window" >&2; kill "$pid"; exit 12; fi
wait "$pid"
