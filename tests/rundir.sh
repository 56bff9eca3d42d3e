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

# ---- Ctrl-C: real SIGINTs to a training in the background (the shell
# starts it with SIGINT ignored; train installs its handler just after
# the "model:" line). slow RUNDIR BATCH STEPS: a 500 ms input, so that a
# step of BATCH chunks, or the dev evaluation, takes a second or more.
slow() {
  tiny_epochs=${4:-2} tiny_steps=$3 conf "$1" | sed -e 's/^input_ms = 50$/input_ms = 500/; s/^filters = 8$/filters = 40/' \
    -e 's/^taps = 65$/taps = 129/; s/^batch = 16$/batch = '"$2"'/; s/^dev_utterances = 2$/dev_utterances = 0/'
}
ACK='stopping after the current step; Ctrl-C again to stop now'
now() { date +%s.%N; }
# elapsed_below T0 SECONDS: less than SECONDS since T0
elapsed_below() { awk -v a="$1" -v b="$(now)" -v lim="$2" 'BEGIN { exit !(b - a < lim) }'; }
# train_bg NAME ARGS...: train in the background, stderr in $work/NAME.err, pid in $pid
train_bg() {
  local name=$1
  shift
  "$SINCPROBE" train "$@" 2>"$work/$name.err" &
  pid=$!
}

# One Ctrl-C in a step: acknowledged at once, the step finished and
# saved, exit status 130 (so 'train && eval' goes no further).
slow "$work/S" 128 4 >"$work/S.conf"
train_bg S "$work/S.conf"
ok; wait_for "$work/S.err" '^model: ' || fail "no model line: $(cat "$work/S.err")"
sleep 0.3
t0=$(now)
kill -INT "$pid"
ok; wait_for "$work/S.err" "$ACK" && elapsed_below "$t0" 1 || fail "Ctrl-C not acknowledged within a second: $(cat "$work/S.err")"
wait "$pid"
st=$?
ok; [ "$st" -eq 130 ] || fail "train stopped by Ctrl-C exited $st, expected 130"
expect_match "$(cat "$work/S.err")" 'interrupted at epoch 1, step 1: saved' "stopped after the current step"
ok; [ -s "$work/S/checkpoints/last.ckpt" ] || fail "no checkpoint saved"

# Two Ctrl-Cs: the second stops at once (within the step), saving nothing.
slow "$work/D" 128 4 >"$work/D.conf"
train_bg D "$work/D.conf"
ok; wait_for "$work/D.err" '^model: ' || fail "no model line: $(cat "$work/D.err")"
sleep 0.3
kill -INT "$pid"
wait_for "$work/D.err" "$ACK"
t0=$(now)
kill -INT "$pid"
wait "$pid"
st=$?
ok; [ "$st" -eq 130 ] || fail "train stopped by two Ctrl-Cs exited $st, expected 130"
ok; elapsed_below "$t0" 0.5 || fail "the second Ctrl-C did not stop train at once"
expect_match "$(cat "$work/D.err")" 'stopped now, nothing saved' "second Ctrl-C acknowledged"
ok; [ ! -e "$work/D/checkpoints/last.ckpt" ] || fail "the second Ctrl-C saved a checkpoint"

# Ctrl-C during the dev evaluation (one step per epoch, then seconds of
# evaluation): stopped within a second, not at the evaluation's end; the
# resume evaluates the epoch again and finishes.
slow "$work/E" 16 1 1 >"$work/E.conf"
train_bg E "$work/E.conf"
ok; wait_for "$work/E.err" '^epoch 1/1 step 1/1 ' || fail "no step line: $(cat "$work/E.err")"
t0=$(now)
kill -INT "$pid"
wait "$pid"
st=$?
ok; elapsed_below "$t0" 1 || fail "Ctrl-C in the dev evaluation took more than a second: $(cat "$work/E.err")"
ok; [ "$st" -eq 130 ] || fail "train stopped in the dev evaluation exited $st, expected 130"
ok; [ "$(wc -l <"$work/E/log.tsv")" -eq 1 ] || fail "the interrupted dev evaluation logged an epoch"
expect_status 0 "$SINCPROBE" train --resume "$work/E" --quiet
ok; [ "$(cut -f1 "$work/E/log.tsv" | tr '\n' ' ')" = "epoch 1 " ] || fail "resumed log.tsv: $(cut -f1 "$work/E/log.tsv" | tr '\n' ' ')"

# ---- best.ckpt never stale, killed writes cleaned up. The state a kill
# between writing last.ckpt and best.ckpt at epoch 2's end leaves: log.tsv
# and last.ckpt at epoch 2 (the best so far), best.ckpt still epoch 1's
# (taken from the same run stopped one step into epoch 2).
tiny_epochs=2 conf "$work/F" >"$work/F.conf"
tiny_epochs=2 conf "$work/G" >"$work/G.conf"
expect_status 0 "$SINCPROBE" train "$work/F.conf" --quiet
ok; awk -F'\t' 'NR == 2 { f1 = $6 } NR == 3 { exit !($6 < f1) }' "$work/F/log.tsv" ||
  fail "epoch 2 is not better than epoch 1 (pick another seed): $(cat "$work/F/log.tsv")"
expect_status 0 "$SINCPROBE" train "$work/G.conf" --quiet --stop-after-steps 7
# eval of an interrupted run says which checkpoint it uses
# (the run directory: its best.ckpt, of epoch 1; its last.ckpt, mid-epoch 2)
expect_status 0 "$SINCPROBE" eval "$work/G" --json
expect_match "$err" "best.ckpt' is from an interrupted run \\(stopped at epoch 2, step 1\\): evaluating the checkpoint after epoch 1 of 2$" "eval names the interrupted run's best checkpoint"
expect_match "$out" '"epoch": 1,' "eval --json: epoch"
expect_match "$out" '"step": 0,' "eval --json: step"
expect_status 0 "$SINCPROBE" eval "$work/G/checkpoints/last.ckpt"
expect_match "$err" "last.ckpt' is from an interrupted run \\(stopped at epoch 2, step 1\\): evaluating the checkpoint after epoch 1 of 2, step 1 of epoch 2$" "eval names the interrupted last checkpoint"
expect_match "$out" '^checkpoint  after epoch 1 of 2, step 1 of epoch 2$' "eval's text names the checkpoint"
cp "$work/G/checkpoints/best.ckpt" "$work/F/checkpoints/best.ckpt"
# what killed atomic writes leave (NAME.tmp.PID of a process now gone),
# and a write of a live process (this shell), to keep
sh -c 'exit 0' &
dead=$!
wait "$dead"
echo half >"$work/F/checkpoints/last.ckpt.tmp.$dead"
echo half >"$work/F/log.tsv.tmp.$dead"
echo live >"$work/F/checkpoints/best.ckpt.tmp.$$"
expect_status 0 "$SINCPROBE" "eval" "$work/F/checkpoints/best.ckpt" --json
expect_match "$out" '"epoch": 1,' "the stale best.ckpt is epoch 1's"
expect_status 0 "$SINCPROBE" train --resume "$work/F" --quiet
expect_match "$err" "best.ckpt' was stale .*rebuilt from" "repair reported"
expect_match "$err" "removed 2 temporary files" "clean-up reported"
ok; cmp -s "$work/F/checkpoints/best.ckpt" "$work/F/checkpoints/last.ckpt" || fail "best.ckpt not rebuilt from last.ckpt"
expect_status 0 "$SINCPROBE" "eval" "$work/F/checkpoints/best.ckpt" --json
expect_match "$out" '"epoch": 2,' "the repaired best.ckpt is epoch 2's, the best in log.tsv"
ok; ! printf '%s' "$err" | grep -q 'interrupted run' || fail "a finished run's checkpoint called interrupted: $err"
ok; [ ! -e "$work/F/checkpoints/last.ckpt.tmp.$dead" ] && [ ! -e "$work/F/log.tsv.tmp.$dead" ] || fail "temporary files left"
ok; [ -e "$work/F/checkpoints/best.ckpt.tmp.$$" ] || fail "a live process's temporary file was removed"
# a kill before best.ckpt's first write: none at all
rm "$work/F/checkpoints/best.ckpt"
expect_status 0 "$SINCPROBE" train --resume "$work/F" --quiet
ok; cmp -s "$work/F/checkpoints/best.ckpt" "$work/F/checkpoints/last.ckpt" || fail "missing best.ckpt not rebuilt"

# ---- eval's outputs. Evaluations of another checkpoint or condition keep
# their own files; --json names the checkpoint's epoch and the probes.
expect_status 0 "$SINCPROBE" eval "$work/F" --json
expect_match "$out" "\"confusion\": \"$work/F/eval-core-confusion.tsv\"" "best.ckpt: the plain name"
expect_match "$out" '"probes": "",' "--json: no probes"
expect_status 0 "$SINCPROBE" eval "$work/G/checkpoints/last.ckpt" --json
expect_match "$out" "\"confusion\": \"$work/G/eval-core-last-confusion.tsv\"" "last.ckpt: its own name"
expect_status 0 "$SINCPROBE" eval "$work/F" --noise type=white,snr_db=5 --json
expect_match "$out" "\"confusion\": \"$work/F/eval-core-c[0-9a-f]{8}-confusion.tsv\"" "a condition: its own name"
expect_match "$out" '"probes": "noise-1 \(noise [0-9.]+\)",' "--json: the probes applied"
expect_match "$out" '"epoch": 2,' "--json: the checkpoint's epoch"
ok; [ "$(ls "$work/F"/eval-core*-confusion.tsv | wc -l)" -eq 2 ] || fail "confusion files: $(ls "$work/F")"

# A run directory eval cannot write (another user's, or read-only): the
# results are printed, the matrix skipped with a warning or written
# where --confusion says.
rm -f "$work/F"/eval-*-confusion.tsv
mkdir "$work/out"
chmod 777 "$work/out"
chmod 755 "$work"
if [ "$(id -u)" -eq 0 ]; then
  as_other() { setpriv --reuid=65534 --regid=65534 --clear-groups "$@"; }
else
  chmod -R a-w "$work/F"
  as_other() { "$@"; }
fi
expect_status 0 as_other "$SINCPROBE" eval "$work/F"
expect_match "$out" '^PER ' "read-only run directory: results printed"
expect_match "$out" '^confusion   not written$' "read-only run directory: no matrix"
expect_match "$err" 'confusion matrix not written .*give --confusion FILE' "read-only run directory: warning"
expect_status 0 as_other "$SINCPROBE" eval "$work/F" --confusion "$work/out/m.tsv" --json
expect_match "$out" '"fer": ' "read-only run directory, --confusion: results"
ok; [ -s "$work/out/m.tsv" ] || fail "--confusion FILE not written"
chmod -R u+w "$work/F"

# Each atomic write fsyncs its directory after the rename (seen with
# strace: the rename, then an fsync of a descriptor opened on the folder).
if command -v strace >/dev/null && strace -o /dev/null true 2>/dev/null; then
  tiny_epochs=1 conf "$work/Y" >"$work/Y.conf"
  strace -f -e trace=openat,open,fsync,rename,renameat,renameat2 -o "$work/Y.trace" "$SINCPROBE" train "$work/Y.conf" --quiet 2>/dev/null
  ok; awk -v d="$work/Y/checkpoints" '
    /rename.*checkpoints\/last\.ckpt"/ { renamed = 1; next }
    renamed && index($0, "\"" d "\"") && /O_DIRECTORY/ && match($0, /= [0-9]+$/) { fd = substr($0, RSTART + 2); next }
    renamed && fd != "" && index($0, "fsync(" fd ")") { found = 1; exit }
    END { exit !found }' "$work/Y.trace" || fail "no fsync of checkpoints/ after renaming last.ckpt: $(grep -E 'rename|fsync|O_DIRECTORY' "$work/Y.trace" | head -20)"
else
  echo "$test_name: strace cannot trace here; the directory fsync is not checked"
fi
finish
