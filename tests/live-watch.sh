# live-watch.sh - `sincprobe live --watch` (src/live/watch.c) on a real
# training: tests/live_view_demo follows a run directory that does not
# exist yet, in a window on Xvfb, while a tiny model trains 3 epochs with
# the afr probe; it must see the 3 epochs (afr.npy's rows) as they are
# written and save a picture with the AFR heatmap and the filters' bands
# (not blank: viridis cells). Then sp_live_watch in a terminal (tmux):
# an AFR row per epoch in colour, log.tsv's last numbers, the filters'
# line; q quits with exit 0 and the main screen back. A file given as
# the run directory is refused.
. "$top_srcdir/tests/lib.sh"
: "${top_builddir:?run through make check}"
export SINCPROBE_PLUGIN_PATH="$top_builddir/plugins/.libs"
demo="$top_builddir/tests/live_view_demo"
for tool in xvfb-run tmux; do
  command -v $tool >/dev/null || { fail "$tool is not installed (tools/install-deps)"; finish; }
done
# xvfb ARGS...: xvfb-run from a display number of this test's own (-n),
# so that tests run in parallel do not race for the same free one
xvfb() { xvfb-run -n $((100 + $$ % 800)) "$@"; }

tiny_corpus
tiny_epochs=3
conf "$work/run" '[probe a]\nuse = afr\nnfft = 256' >"$work/run.conf"

# ---- a window following the training as it runs
xvfb -a "$demo" --kind window --watch "$work/run" --epochs 3 --seconds 120 --save "$work/watch.png" \
  >"$work/watch.out" 2>"$work/watch.err" &
wpid=$!
sleep 0.5
expect_status 0 "$SINCPROBE" train "$work/run.conf" --quiet
wait $wpid
rc=$?
ok; [ $rc -eq 0 ] || fail "the watch exited $rc: $(cat "$work/watch.out" "$work/watch.err")"
expect_match "$(cat "$work/watch.out")" "^epochs 3 draws [0-9]+$" "the watch saw the 3 epochs"
draws=$(sed -n 's/^epochs 3 draws \([0-9]*\)$/\1/p' "$work/watch.out")
ok; [ "${draws:-0}" -ge 2 ] || fail "the watch drew ${draws:-0} times: once waiting, then the epochs"
expect_status 0 "$demo" --decode "$work/watch.png" "$work/watch.ppm"
expect_status 0 "$PY" "$top_srcdir/tests/live_image.py" nonblank "$work/watch.ppm"
# the checker can fail: a white picture is blank
printf 'P6\n64 64\n255\n' >"$work/white.ppm"
head -c $((64 * 64 * 3)) /dev/zero | tr '\0' '\377' >>"$work/white.ppm"
expect_status 1 "$PY" "$top_srcdir/tests/live_image.py" nonblank "$work/white.ppm"

# ---- sp_live_watch in a terminal
# make check's sanitizer options, for the pane's otherwise empty environment
san_env() { printf "ASAN_OPTIONS='%s' LSAN_OPTIONS='%s' UBSAN_OPTIONS='%s'" "${ASAN_OPTIONS:-}" "${LSAN_OPTIONS:-}" "${UBSAN_OPTIONS:-}"; }
S=sincprobe-test-$$
tm() { tmux -L "$S" "$@"; }
trap 'tm kill-server >/dev/null 2>&1; rm -rf "$work"' EXIT
tm -f /dev/null new-session -d -x 120 -y 40 -c "$work" \
  "env -i PATH='$PATH' HOME='$work' TERM=xterm-256color PS1='sp-prompt\$ ' $(san_env) /bin/sh" || { fail "tmux new-session"; finish; }
screen() { tm capture-pane -p "$@"; }
wait_for() {
  local i=0
  while [ $i -lt 100 ]; do
    screen | grep -Eq -- "$1" && return 0
    sleep 0.1
    i=$((i + 1))
  done
  return 1
}
tm send-keys "$demo --kind term --watch $work/run --loop --seconds 60; echo exit=\$?" Enter
ok; wait_for "^ +3( |$)" || fail "no row of epoch 3: $(screen)"
sleep 0.3
expect_match "$(screen | sed -n 1p)" "^sincprobe live --watch .*/run \(probe a\)" "the title names the run and probe"
expect_match "$(screen | sed -n 2p)" "0k +1k +2k" "the frequency axis in kHz"
expect_match "$(screen -e | sed -n 5p)" '   3 .*48;5;[0-9]+m' "epoch 3's row in colour"
expect_match "$(screen)" "epoch 3 +lr [0-9.e-]+ +train_loss [0-9.]+" "log.tsv's last numbers"
expect_match "$(screen)" "^8 filters: centres [0-9]+ \.\. [0-9]+ Hz, moved since the start" "the filters' line"
tm send-keys q
ok; wait_for "exit=0$" || fail "q: not exit 0: $(screen | grep -v '^$' | tail -n 3)"
ok; [ "$(tm display -p '#{alternate_on}')" = 0 ] || fail "the watch left the alternate screen on"

# ---- not a run directory
expect_status 1 "$demo" --kind term --watch "$work/run.conf"
expect_match "$err" "is a file, not a run directory" "a file as the run directory"
finish
