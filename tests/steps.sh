# steps.sh - steps.tsv, the per-step log ([train] log_every): a row every
# k steps of the run, the same rows (all but seconds) from a run that was
# interrupted, killed mid-row and resumed, or extended with --epochs, none
# twice; log_every = 0 writes none; the default is in config.conf.
. "$top_srcdir/tests/lib.sh"
cd "$work" || exit 1
tiny_corpus
conf "$work/a" | sed 's/^seed = 11$/seed = 11\nlog_every = 2/' >a.conf
conf "$work/r" | sed 's/^seed = 11$/seed = 11\nlog_every = 2/' >r.conf
conf "$work/z" | sed 's/^seed = 11$/seed = 11\nlog_every = 0/' >z.conf
conf "$work/d" >d.conf

expect_status 0 "$SINCPROBE" train a.conf --quiet || finish
expect_match "$(head -1 a/steps.tsv)" '^step	epoch	loss	lr	seconds$' "steps.tsv header"
cut -f1,2 a/steps.tsv | tail -n +2 | tr '\t\n' ' ;' >a.steps
expect_match "$(cat a.steps)" '^2 1;4 1;6 1;8 2;10 2;12 2;$' "a row every 2 steps of 2 x 6, with its epoch"
ok; awk -F'\t' 'NR > 1 && !($3 > 0 && $4 == 0.001 && $5 >= 0) { exit 1 }' a/steps.tsv || fail "steps.tsv values: $(cat a/steps.tsv)"

# interrupted after 5 steps; then a kill leaves rows past the checkpoint
# (one cut short) before the resume
expect_status 0 "$SINCPROBE" train r.conf --quiet --stop-after-steps 5
printf '6\t1\t3.5\t0.001\t0.1\n8\t2\t3.' >>r/steps.tsv
expect_status 0 "$SINCPROBE" train --resume r --quiet
cut -f1-4 a/steps.tsv >a.cols
cut -f1-4 r/steps.tsv >r.cols
ok; cmp -s a.cols r.cols || fail "resumed steps.tsv differs from the uninterrupted one: $(diff a.cols r.cols)"

# extended by --epochs: continued, no step twice
expect_status 0 "$SINCPROBE" train --resume a --epochs 3 --quiet
ok; [ "$(tail -n +2 a/steps.tsv | cut -f1 | sort -n | uniq -d | wc -l)" -eq 0 ] || fail "a step twice in steps.tsv"
expect_match "$(tail -n +2 a/steps.tsv | cut -f1,2 | tr '\t\n' ' ;')" '^2 1;4 1;6 1;8 2;10 2;12 2;14 3;16 3;18 3;$' "extended steps.tsv"
ok; [ "$(grep -c '^step' a/steps.tsv)" -eq 1 ] || fail "steps.tsv has its header more than once"

# log_every = 0: none; the default: every 10 steps, in config.conf
expect_status 0 "$SINCPROBE" train z.conf --quiet
ok; [ ! -e z/steps.tsv ] || fail "log_every = 0 wrote steps.tsv"
expect_status 0 "$SINCPROBE" train d.conf --quiet
expect_match "$(cat d/config.conf)" '^log_every = 10$' "the default log_every in config.conf"
expect_match "$(tail -n +2 d/steps.tsv | cut -f1 | tr '\n' ' ')" '^10 $' "the default: a row every 10 steps"
finish
