# live-term.sh - `sincprobe live`'s terminal view (src/live/view_term.c)
# in a real pseudo-terminal: a detached tmux session (its own server,
# 120 x 40, TERM=xterm-256color) runs a shell, and the shell runs
# tests/live_view_demo (40 filters, a 1 kHz tone, a frame every 10 ms, the
# last 60 kept).
# - 256 colours: the screen is in the alternate mode and holds the title,
#   the frequency axis, spectrogram rows in 48;5;N colours (the tone's
#   bright) and the status line (level, top phones, overruns);
# - space freezes the rows (PAUSED) and lets them go; s saves a PNG in
#   the current directory that shows the tone (tests/live_image.py);
# - Ctrl-C: exit 130, the main screen back with the shell's prompt, the
#   cursor visible, stty shows icanon and echo again;
# - NO_COLOR: no SGR sequence at all, the rows in characters of the ramp
#   with the tone's columns (36..41 of 120) the bright ones; q: exit 0;
# - COLORTERM=truecolor: 48;2;R;G;B; a resize (SIGWINCH) repaints at the
#   new size; SIGTERM: exit 143 and the terminal put back.
. "$top_srcdir/tests/lib.sh"
: "${top_builddir:?run through make check}"
demo="$top_builddir/tests/live_view_demo"
command -v tmux >/dev/null || { fail "tmux is not installed (tools/install-deps)"; finish; }
# make check's sanitizer options, for the pane's otherwise empty environment
san_env() { printf "ASAN_OPTIONS='%s' LSAN_OPTIONS='%s' UBSAN_OPTIONS='%s'" "${ASAN_OPTIONS:-}" "${LSAN_OPTIONS:-}" "${UBSAN_OPTIONS:-}"; }
S=sincprobe-test-$$
tm() { tmux -L "$S" "$@"; }
trap 'tm kill-server >/dev/null 2>&1; rm -rf "$work"' EXIT
mkdir "$work/term"
tm -f /dev/null new-session -d -x 120 -y 40 -c "$work/term" \
  "env -i PATH='$PATH' HOME='$work' TERM=xterm-256color PS1='sp-prompt\$ ' $(san_env) /bin/sh" || { fail "tmux new-session"; finish; }

screen() { tm capture-pane -p "$@"; }
# wait_for PATTERN [TENTHS]: until the screen matches (default 10 s)
wait_for() {
  local i=0
  while [ $i -lt "${2:-100}" ]; do
    screen | grep -Eq -- "$1" && return 0
    sleep 0.1
    i=$((i + 1))
  done
  return 1
}
flag() { tm display -p "#{$1}"; }
run() { tm send-keys "$* --kind term --realtime --forever --columns 60 --seconds 60; echo exit=\$?" Enter; }
status_re='t [0-9.]+ s \| level -[0-9.]+ dBFS \| aa 0\.60 iy 0\.30 sh 0\.10 \| overruns 0'

# ---- 256 colours
run "$demo"
ok; wait_for "$status_re" || fail "no status line: $(screen)"
ok; [ "$(flag alternate_on)" = 1 ] || fail "not on the alternate screen"
ok; [ "$(flag cursor_flag)" = 0 ] || fail "the cursor is not hidden"
expect_match "$(screen | sed -n 1p)" "^sincprobe live: demo scene +q quit, space pause, s save PNG" "the title line"
expect_match "$(screen | sed -n 2p)" "^96 .* 1\.0k .* 6\.6k" "the frequency axis"
expect_match "$(screen | sed -n 40p)" "^ $status_re" "the status on the last line"
sleep 0.5
bright=$(screen -e | sed -n '3,39p' | grep -c '48;5;149m')
ok; [ "$bright" -ge 30 ] || fail "only $bright of the 37 rows hold the tone's colour (48;5;149): $(screen -e | sed -n 20p | cat -v)"
t1=$(screen | sed -n 40p | sed 's/^ t \([0-9.]*\) s.*/\1/')

# ---- pause, save
tm send-keys ' '
ok; wait_for "overruns 0 \| PAUSED" || fail "space did not pause"
a=$(screen -e); sleep 0.4; b=$(screen -e)
ok; [ "$a" = "$b" ] || fail "the picture moved while paused"
tm send-keys ' '
ok; wait_for "overruns 0$" || fail "space did not resume: $(screen | sed -n 40p)"
t2=$(screen | sed -n 40p | sed 's/^ t \([0-9.]*\) s.*/\1/')
ok; awk "BEGIN { exit !($t2 > $t1) }" || fail "the frame time did not advance: $t1 then $t2"
tm send-keys s
ok; wait_for "overruns 0 \| saved /" || fail "s did not save: $(screen | sed -n 40p)"
png=$(ls "$work"/term/live-*.png 2>/dev/null | head -n 1)
ok; [ -n "$png" ] || fail "no live-*.png in the current directory"
if [ -n "$png" ]; then
  expect_status 0 "$demo" --decode "$png" "$work/saved.ppm"
  expect_status 0 "$PY" "$top_srcdir/tests/live_image.py" spectro "$work/saved.ppm" 40 12 13 || echo "$out" >&2
fi

# ---- Ctrl-C
tm send-keys C-c
ok; wait_for "exit=130$" || fail "Ctrl-C: not exit 130: $(screen | grep -v "^$" | tail -n 5)"
ok; [ "$(flag alternate_on)" = 0 ] || fail "Ctrl-C left the alternate screen on"
ok; [ "$(flag cursor_flag)" = 1 ] || fail "Ctrl-C left the cursor hidden"
expect_match "$(screen)" "^sp-prompt\\$ ?$" "the prompt after Ctrl-C"
tm send-keys "stty -a >stty.txt" Enter
ok; wait_for "stty -a >stty.txt" && sleep 0.3
expect_match "$(cat "$work/term/stty.txt" 2>/dev/null)" "(^| )icanon( |$)" "icanon restored"
expect_match "$(cat "$work/term/stty.txt" 2>/dev/null)" "(^| )echo( |$)" "echo restored"
tm send-keys "clear" Enter
sleep 0.3

# ---- NO_COLOR: characters, no SGR; q
run "NO_COLOR=1 $demo"
ok; wait_for "$status_re" || fail "NO_COLOR: no status line"
sleep 0.3
esc=$(printf '\033')
ok; ! screen -e | grep -q "$esc\[[0-9;]*m" || fail "NO_COLOR: SGR sequences: $(screen -e | grep -m1 "$esc\[[0-9;]*m" | cat -v)"
rows=$(screen | sed -n '3,39p')
good=$(printf '%s\n' "$rows" | grep -Ec '^[ .:-]{36}[%@]{6}[ .:-]*$')
ok; [ "$good" -ge 30 ] || fail "NO_COLOR: $good of 37 rows bright in columns 36..41 only: $(printf '%s\n' "$rows" | sed -n 18p)"
tm send-keys q
ok; wait_for "exit=0$" || fail "q: not exit 0: $(screen | tail -n 3)"
ok; [ "$(flag alternate_on)" = 0 ] || fail "q left the alternate screen on"
tm send-keys "clear" Enter
sleep 0.3

# ---- truecolour, a resize, SIGTERM
run "COLORTERM=truecolor $demo"
ok; wait_for "$status_re" || fail "truecolour: no status line"
sleep 0.3
expect_match "$(screen -e | sed -n 20p)" '48;2;[0-9]+;[0-9]+;[0-9]+m' "truecolour rows"
tm resize-window -x 90 -y 30
resized() { [ "$(screen | wc -l)" -eq 30 ] && screen | sed -n 30p | grep -Eq '^ t [0-9.]+ s \| level'; }
# up to 15 s on a loaded machine (make check -j, sanitizers), the resize
# asked again every 2 s in case tmux had not applied it to the pane yet
i=0
while ! resized && [ $i -lt 150 ]; do
  sleep 0.1
  i=$((i + 1))
  [ $((i % 20)) -eq 0 ] && tm resize-window -x 90 -y 30
done
ok; resized || fail "after the resize the status is not on line 30: $(screen | tail -n 2)"
expect_match "$(screen | sed -n 2p)" "^96 .* [0-9]\.[0-9]k$" "the axis after the resize"
ok; [ "$(screen | sed -n 2p | wc -c)" -le 91 ] || fail "the axis is wider than 90 columns"
shpid=$(flag pane_pid)
dpid=$(ps -o pid= --ppid "$shpid" | tr -d ' ' | head -n 1)
ok; [ -n "$dpid" ] && kill -TERM "$dpid" || fail "cannot find the demo under the pane's shell $shpid"
ok; wait_for "exit=143$" || fail "SIGTERM: not exit 143: $(screen | tail -n 3)"
ok; [ "$(flag alternate_on)" = 0 ] || fail "SIGTERM left the alternate screen on"
ok; [ "$(flag cursor_flag)" = 1 ] || fail "SIGTERM left the cursor hidden"
finish
