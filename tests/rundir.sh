# rundir.sh - the run directory of `sincprobe train`: a lock refuses a
# second training (new or --resume) on a directory in use, naming the
# holder, and the first finishes unharmed; Ctrl-C (real SIGINTs) is
# acknowledged at once, stops after the current step or within the dev
# evaluation, exits 130, and a second one stops at once without saving;
# `eval` names the checkpoint it uses; a best.ckpt left stale by a kill
# between the checkpoint writes is rebuilt on resume, and the temporary
# files of a killed write are removed.
. "$top_srcdir/tests/lib.sh"

# 2 train speakers, 4 test speakers of 8 sentences: a dev split long
# enough that evaluating it with a 500 ms input takes seconds.
c="$work/corpus"
expect_status 0 "$SINCPROBE" corpus synth --out "$c" --speakers 2 --test-speakers 4 --sentences 8 --seed 7 --jobs 2 || finish

# wait_for FILE PATTERN: until FILE has a line matching PATTERN (20 s at most).
wait_for() {
  local i=0
  while ! grep -Eq -- "$2" "$1" 2>/dev/null; do
    i=$((i + 1))
    [ "$i" -le 400 ] || return 1
    sleep 0.05
  done
}

# ---- the lock
# A run of 60 epochs of 20 small steps (seconds); log.tsv must end with
# each epoch once, in order.
tiny_epochs=60 tiny_steps=20 conf "$work/L" >"$work/L.conf"
"$SINCPROBE" train "$work/L.conf" --quiet 2>"$work/L.err" &
first=$!
ok; wait_for "$work/L/log.tsv" '^2	' || fail "the first training did not get to epoch 2: $(cat "$work/L.err")"
expect_status 1 "$SINCPROBE" train "$work/L.conf" --quiet
expect_match "$err" "run directory '$work/L' is in use by process $first \\(.*sincprobe train $work/L.conf --quiet\\)" "second train refused, naming the holder"
expect_status 1 "$SINCPROBE" train --resume "$work/L" --quiet
expect_match "$err" "is in use by process $first " "resume of a directory in use refused"
ok; kill -0 "$first" 2>/dev/null || fail "the first training ended before the second tries: lengthen it"
expect_match "$(cat "$work/L/lock")" "^$first	" "lock file holds the pid"
wait "$first"
st=$?
ok; [ "$st" -eq 0 ] || fail "the first training failed: $(cat "$work/L.err")"
ok; [ "$(cut -f1 "$work/L/log.tsv" | tr '\n' ' ')" = "epoch $(seq -s ' ' 1 60) " ] || fail "log.tsv rows: $(cut -f1 "$work/L/log.tsv" | tr '\n' ' ')"
# released: a resume of the finished run goes through
expect_status 0 "$SINCPROBE" train --resume "$work/L" --quiet
finish
