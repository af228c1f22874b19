#!/bin/sh
# A person at the workstation, under Xvfb: open SESSION in a real window and
# use the keyboard through XTEST (GLFW ignores synthetic events sent to a
# window; there is no window manager, so the script focuses the window).
#   render: press Ctrl+R, wait for OUTPUT to appear, press Ctrl+Q
#   edit:   Ctrl+K, type COMMAND, Enter, Ctrl+S, Ctrl+Q
# Exit: the workstation's own status, or 10 (no window), 11 (the render
# wrote nothing), 12 (the window did not close).
#   usage: xvfb-run -a -s "-screen 0 1600x1000x24" window_e2e.sh STEMFORGE SESSION render OUTPUT
#          xvfb-run -a -s "-screen 0 1600x1000x24" window_e2e.sh STEMFORGE SESSION edit "set stems[lead].gain_db -2"
set -u
stemforge=$1 session=$2 mode=$3 arg=$4
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
xdotool windowfocus --sync "$wid" 2>/dev/null || xdotool windowfocus "$wid"
sleep 1
case "$mode" in
  render)
    xdotool key ctrl+r
    i=0
    while [ $i -lt 1200 ] && [ ! -f "$arg" ]; do sleep 0.1; i=$((i + 1)); done
    if [ ! -f "$arg" ]; then echo "window_e2e: Ctrl+R wrote no $arg" >&2; kill "$pid" 2>/dev/null; exit 11; fi
    sleep 1
    ;;
  edit)
    xdotool key ctrl+k
    sleep 0.5
    xdotool type --delay 20 "$arg"
    sleep 0.3
    xdotool key Return
    sleep 0.5
    xdotool key ctrl+s
    sleep 0.5
    ;;
  *) echo "window_e2e: unknown mode $mode" >&2; kill "$pid"; exit 2 ;;
esac
xdotool windowfocus "$wid" 2>/dev/null
xdotool key ctrl+q
i=0
while [ $i -lt 200 ] && kill -0 "$pid" 2>/dev/null; do sleep 0.1; i=$((i + 1)); done
if kill -0 "$pid" 2>/dev/null; then echo "window_e2e: Ctrl+Q did not close the window" >&2; kill "$pid"; exit 12; fi
wait "$pid"
