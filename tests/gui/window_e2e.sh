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
# Keys can be lost on a loaded machine (a tap the window has not yet
# focused for): each step is retried until its effect is seen.
case "$mode" in
  render)
    # The render's staged files appear at once; the output when it commits.
    attempt=0
    while [ $attempt -lt 3 ] && [ ! -f "$arg" ]; do
      xdotool key ctrl+r
      i=0
      while [ $i -lt 600 ] && [ ! -f "$arg" ]; do sleep 0.1; i=$((i + 1)); done
      attempt=$((attempt + 1))
    done
    if [ ! -f "$arg" ]; then echo "window_e2e: Ctrl+R wrote no $arg" >&2; kill "$pid" 2>/dev/null; exit 11; fi
    sleep 1
    ;;
  edit)
    before=$(cksum < "$session")
    attempt=0
    while [ $attempt -lt 5 ] && [ "$(cksum < "$session")" = "$before" ]; do
      xdotool windowfocus "$wid" 2>/dev/null
      xdotool key Escape   # a half-typed command line from a lost attempt closes first
      sleep 0.3
      xdotool key ctrl+k
      sleep 1
      xdotool type --delay 40 "$arg"
      sleep 0.5
      xdotool key Return
      sleep 0.5
      xdotool key ctrl+s
      i=0
      while [ $i -lt 200 ] && [ "$(cksum < "$session")" = "$before" ]; do sleep 0.1; i=$((i + 1)); done
      attempt=$((attempt + 1))
    done
    ;;
  *) echo "window_e2e: unknown mode $mode" >&2; kill "$pid"; exit 2 ;;
esac
attempt=0
while [ $attempt -lt 3 ] && kill -0 "$pid" 2>/dev/null; do
  xdotool windowfocus "$wid" 2>/dev/null
  xdotool key ctrl+q
  i=0
  while [ $i -lt 100 ] && kill -0 "$pid" 2>/dev/null; do sleep 0.1; i=$((i + 1)); done
  attempt=$((attempt + 1))
done
if kill -0 "$pid" 2>/dev/null; then echo "window_e2e: Ctrl+Q did not close the window" >&2; kill "$pid"; exit 12; fi
wait "$pid"
