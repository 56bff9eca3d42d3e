# mpi.sh - data-parallel training over Open MPI (sincprobe-train(1),
# MPI): with [train] shards = 4 the runs on 1, 2 and 4 ranks end with
# the same model bit for bit (parameters, batch-norm state, optimiser
# moments) and the same log.tsv numbers, and the default shards = 0 (one
# per rank) does not, which shows the comparison can fail; config.conf
# and log.tsv record the ranks; a run interrupted on 2 ranks and resumed
# on 1 and then on 4 equals the uninterrupted one; the afr probe's files
# of a 2-rank run equal the single-process run's; a bit flipped on one
# rank stops the job naming the epoch and the rank; SIGTERM to mpirun
# stops the ranks after the same step with the position saved; two
# signals, or a killed rank, end the job with a non-zero status (no hang,
# no rank left running); each leaves a checkpoint that resumes. Skipped
# (77) when configured without MPI.
. "$top_srcdir/tests/lib.sh"
mpi_setup
# mpirun N ARGS...: sincprobe on N ranks on this machine, 120 s at most.
mpi() { local n=$1; shift; timeout 120 "$MPIRUN" --oversubscribe -np "$n" "$SINCPROBE" "$@"; }
same_model() { "$PY" "$top_srcdir/tests/ckpt_model.py" "$1" "$2"; }
# log.tsv without the seconds, examples/s and ranks columns (7, 8, 9)
numbers() { cut -f1-6 "$1"; }

tiny_corpus
# dropout, batch norm (the small preset's dense_norm) and 4 shards of 4
shards() { sed 's/^batch = 16$/&\nshards = '"$1"'/; s/^dense = 32$/&\ndropout = 0.1/'; }

# ---- N = 1, 2, 4 with the same shards: the same model, bit for bit
for n in 1 2 4; do
  conf "$work/s4n$n" | shards 4 >"$work/s4n$n.conf"
  expect_status 0 mpi "$n" train "$work/s4n$n.conf" --quiet || finish
done
for n in 2 4; do
  ok; same_model "$work/s4n1/checkpoints/last.ckpt" "$work/s4n$n/checkpoints/last.ckpt" ||
    fail "shards = 4: the model trained on $n ranks differs from the one trained on 1"
  ok; [ "$(numbers "$work/s4n1/log.tsv")" = "$(numbers "$work/s4n$n/log.tsv")" ] ||
    fail "shards = 4: log.tsv on $n ranks differs: $(numbers "$work/s4n$n/log.tsv")"
  ok; [ "$(sed -n '2p' "$work/s4n$n/log.tsv" | cut -f9)" = "$n" ] || fail "log.tsv's ranks column on $n ranks: $(cat "$work/s4n$n/log.tsv")"
  ok; grep -qx "ranks = $n" "$work/s4n$n/config.conf" || fail "config.conf on $n ranks has no 'ranks = $n'"
done
ok; [ "$(head -1 "$work/s4n1/log.tsv" | cut -f9)" = ranks ] || fail "log.tsv's last column: $(head -1 "$work/s4n1/log.tsv")"
ok; grep -qx "ranks = 1" "$work/s4n1/config.conf" || fail "config.conf of a single process has no 'ranks = 1'"

# ---- the default, one shard per rank: N is part of the computation
conf "$work/d1" >"$work/d1.conf"
conf "$work/d2" >"$work/d2.conf"
expect_status 0 mpi 1 train "$work/d1.conf" --quiet || finish
expect_status 0 mpi 2 train "$work/d2.conf" --quiet || finish
ok; ! same_model "$work/d1/checkpoints/last.ckpt" "$work/d2/checkpoints/last.ckpt" ||
  fail "shards = 0: 1 and 2 ranks gave the same model (the comparison above would not see a difference)"

# ---- shards that do not share out
conf "$work/bad" | shards 3 >"$work/bad.conf"
expect_status 1 mpi 2 train "$work/bad.conf" --quiet
expect_match "$err" "shards = 3 cannot be shared by 2 ranks" "shards 3 on 2 ranks"

# ---- interrupted on 2 ranks, resumed on 1, extended on 4 = the same
# run on 1 rank, 3 epochs
conf "$work/r" | shards 4 >"$work/r.conf"
expect_status 0 mpi 2 train "$work/r.conf" --quiet --stop-after-steps 4 || finish
expect_status 0 "$SINCPROBE" train --resume "$work/r" --quiet || finish
ok; same_model "$work/s4n1/checkpoints/last.ckpt" "$work/r/checkpoints/last.ckpt" ||
  fail "stopped on 2 ranks, resumed on 1: not the model of the uninterrupted run"
expect_status 0 mpi 4 train --resume "$work/r" --epochs 3 --quiet || finish
expect_status 0 "$SINCPROBE" train --resume "$work/s4n1" --epochs 3 --quiet || finish
ok; same_model "$work/s4n1/checkpoints/last.ckpt" "$work/r/checkpoints/last.ckpt" ||
  fail "epoch 3 on 4 ranks differs from epoch 3 on 1"
ok; grep -qx "ranks = 4" "$work/r/config.conf" || fail "resumed on 4 ranks: config.conf says $(grep ranks "$work/r/config.conf")"
ok; [ "$(cut -f9 "$work/r/log.tsv" | tr '\n' ' ')" = "ranks 1 1 4 " ] || fail "ranks column after resumes: $(cat "$work/r/log.tsv")"

# ---- probes run once, on rank 0, with the single-process run's outputs
for n in 1 2; do
  conf "$work/p$n" '[probe a]\nuse = afr\nnfft = 256' | shards 2 >"$work/p$n.conf"
  expect_status 0 mpi "$n" train "$work/p$n.conf" --quiet || finish
done
for f in afr.npy responses.npy cutoffs.tsv freqs.npy; do
  ok; cmp -s "$work/p1/probes/a/$f" "$work/p2/probes/a/$f" || fail "afr's $f on 2 ranks differs from 1 rank's"
done

# ---- ranks that disagree stop the job: a test hook (train.c,
# test_perturb) flips a bit of rank 1's parameters after epoch 1
conf "$work/x" >"$work/x.conf"
expect_status 1 timeout 120 "$MPIRUN" --oversubscribe -x SINCPROBE_TEST_PERTURB_RANK=1 -np 2 "$SINCPROBE" train "$work/x.conf" --quiet
expect_match "$err" "ranks disagree after epoch 1: rank 1's parameters have CRC-32 [0-9a-f]{8}, rank 0's [0-9a-f]{8}; stopping the job" \
  "a bit flipped on rank 1"
ok; [ "$(tail -n +2 "$work/x/log.tsv" | cut -f1)" = 1 ] || fail "disagreeing ranks: log.tsv should end at epoch 1: $(cat "$work/x/log.tsv")"

# rows FILE N: wait (60 s at most) until FILE has N lines
rows() {
  local i=0
  while [ ! -s "$1" ] || [ "$(wc -l <"$1")" -lt "$2" ]; do
    i=$((i + 1)); [ "$i" -le 600 ] || break; sleep 0.1
  done
}
# watched PID: SIGKILL it after 120 s, so that a hang fails the test
# (status 137) instead of stopping it; echoes the watchdog's pid
watched() { (sleep 120; kill -KILL "$1") >/dev/null 2>&1 & echo $!; }
# left CONF: whether a rank of the run of CONF is still running 5 s on
left() {
  local i=0
  while pgrep -f "$SINCPROBE train $1" >/dev/null && [ "$i" -lt 50 ]; do i=$((i + 1)); sleep 0.1; done
  pgrep -f "$SINCPROBE train $1" >/dev/null
}

# ---- one SIGTERM to mpirun (kill, Ctrl-C, scancel): Open MPI sends the
# ranks SIGCONT, SIGTERM after odls_base_sigkill_timeout seconds (5 here,
# so that a loaded machine still saves) and SIGKILL after as many again;
# the ranks stop after the same step, rank 0 saves the position, the job
# ends non-zero and no rank is left
tiny_epochs=100000 conf "$work/t" | shards 2 >"$work/t.conf"
OMPI_MCA_odls_base_sigkill_timeout=5 "$MPIRUN" --oversubscribe -np 2 "$SINCPROBE" train "$work/t.conf" >"$work/t.out" 2>&1 &
job=$!
dog=$(watched "$job")
rows "$work/t/log.tsv" 3
kill -TERM "$job"
wait "$job"
st=$?
kill "$dog" 2>/dev/null
ok; [ "$st" -ne 0 ] && [ "$st" -ne 137 ] || fail "SIGTERM to mpirun: the job exited $st (137: it hung)"
ok; ! left "$work/t.conf" || fail "SIGTERM to mpirun: a rank still runs 5 s after mpirun ended"
saved=$(sed -n "s|^interrupted at epoch \([0-9]*\), step \([0-9]*\): saved '$work/t/checkpoints/last.ckpt'.*|\1 \2|p" "$work/t.out")
ok; [ -n "$saved" ] || fail "SIGTERM to mpirun: rank 0 did not say it saved its position: $(tail -c 600 "$work/t.out")"
# the checkpoint holds the steps done of the epoch it stopped in
ckpt=$("$PY" -c 'import sys; sys.path.insert(0, sys.argv[1]); import sincprobe_io as s
p = s.read_checkpoint(sys.argv[2])["position"]; print(p["epoch"] + 1, p["step"])' "$top_srcdir/python" "$work/t/checkpoints/last.ckpt")
ok; [ "$ckpt" = "$saved" ] && [ "${saved#* }" -gt 0 ] ||
  fail "SIGTERM to mpirun: said it saved epoch, step '$saved'; the checkpoint holds '$ckpt'"
expect_status 0 "$SINCPROBE" train --resume "$work/t" --epochs "${saved% *}" ||
  fail "the checkpoint left by SIGTERM does not resume"
expect_match "$err$out" "resuming '$work/t' at epoch ${saved% *}, step ${saved#* }" "resumed where SIGTERM stopped"

# ---- two signals to mpirun within 5 s (Ctrl-C twice; timeout(1)
# without --foreground, which signals mpirun and then its process group):
# Open MPI's mpirun exits at once, without the ranks' save; the ranks go
# with it (Open MPI ends them within about a second: none may be left 5 s
# on), the job's status is non-zero, and last.ckpt, written atomically,
# resumes. The signals land a random 10-99 ms into an epoch.
tiny_epochs=100000 conf "$work/d" | shards 2 >"$work/d.conf"
"$MPIRUN" --oversubscribe -np 2 "$SINCPROBE" train "$work/d.conf" >"$work/d.out" 2>&1 &
job=$!
dog=$(watched "$job")
rows "$work/d/log.tsv" 3
sleep "0.0$((RANDOM % 90 + 10))"
kill -TERM "$job"
sleep 0.2
kill -TERM "$job" 2>/dev/null
wait "$job"
st=$?
kill "$dog" 2>/dev/null
ok; [ "$st" -ne 0 ] && [ "$st" -ne 137 ] || fail "two signals to mpirun: the job exited $st (137: it hung)"
ok; ! left "$work/d.conf" || {
  fail "two signals to mpirun: a rank outlived it by 5 s"
  pkill -KILL -f "$SINCPROBE train $work/d.conf"
}
expect_status 0 "$SINCPROBE" train --resume "$work/d" --epochs "$(($(tail -1 "$work/d/log.tsv" | cut -f1) + 1))" --quiet ||
  fail "the checkpoint left by two signals does not resume"

# ---- a killed rank ends the job, the last checkpoint resumes
tiny_epochs=500 conf "$work/k" | shards 2 >"$work/k.conf"
timeout 120 "$MPIRUN" --oversubscribe -np 2 "$SINCPROBE" train "$work/k.conf" --quiet >"$work/k.out" 2>&1 &
job=$!
i=0
while [ ! -s "$work/k/log.tsv" ] || [ "$(wc -l <"$work/k/log.tsv")" -lt 3 ]; do
  i=$((i + 1)); [ "$i" -le 600 ] || break; sleep 0.1
done
rank1=
for p in $(pgrep -P "$job" 2>/dev/null; pgrep -f "$SINCPROBE train $work/k.conf" 2>/dev/null); do
  tr '\0' '\n' <"/proc/$p/environ" 2>/dev/null | grep -qx OMPI_COMM_WORLD_RANK=1 && rank1=$p
done
ok; [ -n "$rank1" ] || fail "no rank 1 process found"
[ -n "$rank1" ] && kill -KILL "$rank1"
wait "$job"
st=$?
ok; [ "$st" -ne 0 ] && [ "$st" -ne 124 ] || fail "killing rank 1: the job exited $st (124: it hung)"
expect_status 0 "$SINCPROBE" train --resume "$work/k" --epochs "$(($(tail -1 "$work/k/log.tsv" | cut -f1) + 1))" --quiet ||
  fail "the checkpoint left by the killed job does not resume"
finish
