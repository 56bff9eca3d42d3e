# mpi.sh - data-parallel training over Open MPI (sincprobe-train(1),
# MPI): with [train] shards = 4 the runs on 1, 2 and 4 ranks end with
# the same model bit for bit (parameters, batch-norm state, optimiser
# moments) and the same log.tsv numbers, and the default shards = 0 (one
# per rank) does not, which shows the comparison can fail; config.conf
# and log.tsv record the ranks; a run interrupted on 2 ranks and resumed
# on 1 and then on 4 equals the uninterrupted one; the afr probe's files
# of a 2-rank run equal the single-process run's; a bit flipped on one
# rank stops the job naming the epoch and the rank; a killed rank ends the
# job with a non-zero status (no hang) and leaves a checkpoint that
# resumes. Skipped (77) when configured without MPI.
. "$top_srcdir/tests/lib.sh"
: "${top_builddir:?run through make check}"
if ! grep -q '^#define HAVE_MPI 1' "$top_builddir/config.h"; then
  echo "mpi: SKIP: configured without Open MPI (./configure --with-mpi; apt-get install openmpi-bin libopenmpi-dev)"
  exit 77
fi
MPIRUN=$(command -v mpirun) || { echo "mpi: SKIP: no mpirun in PATH"; exit 77; }
export OMPI_ALLOW_RUN_AS_ROOT=1 OMPI_ALLOW_RUN_AS_ROOT_CONFIRM=1 OMPI_MCA_rmaps_base_oversubscribe=1
# Under the sanitizer build: Open MPI's own allocations (MPI_Init's, and
# its MCA components', which are unloaded before LeakSanitizer reports,
# so no suppression can name them) are never freed: leak checking is off
# in this test (every other test checks sincprobe's own).
case "${ASAN_OPTIONS:-}" in *detect_leaks=1*) export ASAN_OPTIONS="${ASAN_OPTIONS/detect_leaks=1/detect_leaks=0}" ;; esac
export SINCPROBE_PLUGIN_PATH="$top_builddir/plugins/.libs"
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

# ---- SIGTERM to mpirun is not tested here: a signal that lands while
# rank 0 runs the dev evaluation can leave the ranks waiting on each other
# until Open MPI's SIGKILL (the checkpoints stay intact, written
# atomically, but the position is not saved). A known defect, to fix
# first (sincprobe-train(1), MPI); the check failed 1 run in about 10.

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
