# mpi-overlap.sh - the exchange overlapped with the backward pass
# ([train] overlap = yes; sincprobe-train(1), MPI; run/dist.h,
# sp_dist_sum_start) keeps the
# contract of tests/mpi.sh when the sum goes in many segments: with a
# test hook making a segment 1000 floats (SINCPROBE_TEST_DIST_SEGMENT,
# the tiny model's 30,744 parameters then go in 31 of them, sent from the
# last to the first while the backward pass goes on, their totals
# segment by segment), [train] shards = 4 on 1, 2 and 4 ranks ends with
# the same model bit for bit as on 1 rank with the default segments.
# Skipped (77) when configured without MPI.
. "$top_srcdir/tests/lib.sh"
mpi_setup
same_model() { "$PY" "$top_srcdir/tests/ckpt_model.py" "$1" "$2"; }
tiny_corpus
shards() { sed 's/^batch = 16$/&\nshards = 4\noverlap = yes/; s/^dense = 32$/&\ndropout = 0.1/'; }
conf "$work/ref" | shards >"$work/ref.conf"
expect_status 0 timeout 120 "$MPIRUN" --oversubscribe -np 1 "$SINCPROBE" train "$work/ref.conf" --quiet || finish
for n in 1 2 4; do
  conf "$work/n$n" | shards >"$work/n$n.conf"
  expect_status 0 timeout 120 "$MPIRUN" --oversubscribe -x SINCPROBE_TEST_DIST_SEGMENT=1000 -np "$n" \
    "$SINCPROBE" train "$work/n$n.conf" --quiet || finish
  ok; same_model "$work/ref/checkpoints/last.ckpt" "$work/n$n/checkpoints/last.ckpt" ||
    fail "$n ranks, 1000-float segments: not the model of 1 rank"
done
finish
