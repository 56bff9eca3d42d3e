# live-window.sh - `sincprobe live`'s window (src/live/view_window.c) on a
# real X server (Xvfb, started by xvfb-run): tests/live_view_demo opens
# it on a synthetic scene of 40 filters and pushes 1200 frames in which
# the filters around a 1 kHz tone are 60 dB above the rest. Then:
# - the PNG it saves (sp_live_view_save_png) and a real screenshot of the
#   X display (xwd -root) each show the spectrogram with the tone's rows
#   bright and the others dark (tests/live_image.py; it fails when told
#   another band holds the tone), and the screenshot holds the saved
#   picture pixel for pixel;
# - keys sent through XTest (tests/live_x11.py): space pauses, s saves a
#   PNG in the current directory, q, Escape and closing the window quit;
#   the window resized is drawn anew at its new size;
# - sp_live_view_window_available: 1 on the display, 0 without one;
# - another tone and size; a --bench run prints draws per second (not
#   asserted: the machine may be busy).
. "$top_srcdir/tests/lib.sh"
: "${top_builddir:?run through make check}"
demo="$top_builddir/tests/live_view_demo"
check="$PY $top_srcdir/tests/live_image.py"
for tool in xvfb-run xwd; do
  command -v $tool >/dev/null || { fail "$tool is not installed (tools/install-deps)"; finish; }
done
# xvfb ARGS...: xvfb-run from a display number of this test's own (-n),
# so that tests run in parallel do not race for the same free one
xvfb() { xvfb-run -n $((100 + $$ % 800)) "$@"; }
cd "$work" || exit 1

# xshot NAME DEMO-ARGS...: the demo on its own Xvfb; a screenshot
# NAME.xwd once it is ready; its saved picture NAME.png (and .ppm).
xshot() {
  local name=$1
  shift
  xvfb -a -s "-screen 0 1280x800x24" sh -c '
    name=$1; shift
    "$@" --save "$name.png" --ready "$name.ready" --hold-until "$name.done" --seconds 20 >"$name.out" 2>"$name.err" &
    pid=$!
    i=0
    while [ ! -e "$name.ready" ] && [ $i -lt 300 ] && kill -0 $pid 2>/dev/null; do sleep 0.1; i=$((i + 1)); done
    [ -e "$name.ready" ] && xwd -root -silent >"$name.xwd"
    touch "$name.done"
    wait $pid' xshot "$name" "$demo" --kind window "$@"
}

# tone_of NAME: "T0 T1 F" from the demo's "tone filters T0..T1 of F"
tone_of() { sed -n 's/^tone filters \([0-9]*\)\.\.\([0-9]*\) of \([0-9]*\)$/\1 \2 \3/p' "$1.out"; }

expect_status 0 xshot w --frames 1200 || finish
ok; [ -s w.xwd ] || fail "no screenshot: the demo never got ready ($(cat w.err))"
set -- $(tone_of w)
ok; [ $# -eq 3 ] || { fail "the demo did not name the tone's filters: $(cat w.out)"; finish; }
t0=$1 t1=$2 F=$3
expect_status 0 "$demo" --decode w.png w.ppm
expect_status 0 $check spectro w.ppm "$F" "$t0" "$t1"
expect_match "$out" "^w.ppm: 1100x600," "the saved picture has the default size"
expect_status 0 $check spectro w.xwd "$F" "$t0" "$t1"
expect_status 0 $check same w.ppm w.xwd
expect_match "$out" "100.00% of the pixels equal|99\.[0-9]+% of the pixels equal" "the screen shows the saved picture"
# the checker can fail: another band does not hold the tone
expect_status 1 $check spectro w.ppm "$F" $((t0 + 10)) $((t1 + 10))
expect_match "$out" "FAIL: " "live_image.py refuses a wrong band"

# another tone, another size, more columns than pixels
expect_status 0 xshot w2 --frames 900 --tone 3000 --width 800 --height 500 --columns 900 || finish
set -- $(tone_of w2)
expect_status 0 "$demo" --decode w2.png w2.ppm
expect_status 0 $check spectro w2.ppm "$3" "$1" "$2"
expect_match "$out" "^w2.ppm: 800x500," "--width 800 --height 500"
expect_status 0 $check spectro w2.xwd "$3" "$1" "$2"

# ---- keys (XTest), a resize and closing the window (tests/live_x11.py),
# on one display: space pauses (PAUSED in the title line, nothing else
# changes: no frame arrives), s saves live-*.png in the current
# directory, the window resized to 800 x 500 is drawn anew at that size
# (the spectrogram narrower, the tone in place), q quits before the hold
# ends; then closing the window quits, and Escape does.
mkdir keys
cd keys || exit 1
xvfb -a -s "-screen 0 1280x800x24" sh -c '
  demo=$1 x11="$2 $3/tests/live_x11.py"
  # up NAME [ARGS]: the demo held open; when ready, a screenshot NAME.xwd
  up() {
    name=$1; shift
    "$demo" --kind window --frames 1200 --ready $name.ready --hold-until $name.done --seconds 30 "$@" >$name.out 2>$name.err &
    pid=$!
    i=0
    while [ ! -e $name.ready ] && [ $i -lt 300 ] && kill -0 $pid 2>/dev/null; do sleep 0.1; i=$((i + 1)); done
    xwd -root -silent >$name.xwd
  }
  up k
  $x11 key space; sleep 0.5; xwd -root -silent >k-paused.xwd
  $x11 key s; sleep 1
  $x11 resize 800 500; sleep 1; xwd -root -silent >k-resized.xwd
  $x11 key q; sleep 1; touch k.done; wait $pid; echo $? >k.rc
  up c; $x11 close; sleep 1; touch c.done; wait $pid; echo $? >c.rc
  up e; $x11 key Escape; sleep 1; touch e.done; wait $pid; echo $? >e.rc
' keys "$demo" "$PY" "$top_srcdir"
for k in k c e; do
  ok; [ "$(cat $k.rc 2>/dev/null)" = 0 ] || fail "$k: the demo exited $(cat $k.rc 2>/dev/null): $(cat $k.err)"
  ok; grep -q '^frames 1200, ended by quit$' $k.out || fail "$k: the window did not quit: $(cat $k.out)"
done
expect_status 0 $check changed k.xwd k-paused.xwd
png=$(ls live-*.png 2>/dev/null | head -n 1)
ok; [ -n "$png" ] || fail "s saved no live-*.png in the current directory"
if [ -n "$png" ]; then
  expect_status 0 "$demo" --decode "$png" saved.ppm
  expect_status 0 $check spectro saved.ppm "$F" "$t0" "$t1"
fi
expect_status 0 $check spectro k-resized.xwd "$F" "$t0" "$t1"
width=$(printf '%s\n' "$out" | sed -n 's/.*spectrogram x \([0-9]*\)\.\.\([0-9]*\),.*/\2 - \1/p')
ok; [ -n "$width" ] && [ $(($width)) -ge 250 ] && [ $(($width)) -le 400 ] ||
  fail "after the resize to 800 x 500 the spectrogram is $(($width)) pixels wide, not 250 .. 400 (1100: 492)"
cd "$work" || exit 1

# a display, or none
expect_status 0 xvfb -a "$demo" --available
expect_match "$out" "^1$" "a window is available on Xvfb"
expect_status 0 env -u DISPLAY -u WAYLAND_DISPLAY -u SDL_VIDEODRIVER "$demo" --available
expect_match "$out" "^0$" "no window without a display"
expect_status 1 env -u DISPLAY -u WAYLAND_DISPLAY -u SDL_VIDEODRIVER "$demo" --kind window --frames 10
expect_match "$err" "cannot open a window: .*try --display term" "opening a window without a display"

# speed, reported only
expect_status 0 xvfb -a "$demo" --kind window --frames 300 --bench
echo "live-window: 1100x600 window, $(printf '%s\n' "$out" | grep '^draws/s')"
finish
