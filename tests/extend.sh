# extend.sh - `sincprobe train --resume RUN --epochs N` extends a finished
# run: 2 epochs, then extended to 3, equal to 3 epochs from scratch (the
# log's numbers, the model's posteriors, a probe's files), config.conf
# records the new total and nothing else changes, a later resume does not
# train again, and N at most the epochs done is refused.
. "$top_srcdir/tests/lib.sh"
: "${top_builddir:?run through make check}"
export SINCPROBE_PLUGIN_PATH="$top_builddir/plugins/.libs"
cd "$work" || exit 1
tiny_corpus
conf "$work/a" '[probe afr]\nuse = afr' >a.conf
tiny_epochs=3 conf "$work/b" '[probe afr]\nuse = afr' >b.conf

expect_status 0 "$SINCPROBE" train a.conf --quiet || finish
cp a/config.conf a.before
expect_status 1 "$SINCPROBE" train --resume a --epochs 2 --quiet
expect_match "$err" "cannot train 'a' to 2 epochs: it has done 2; give --epochs more than 2" "--epochs not above the epochs done"
expect_status 1 "$SINCPROBE" train --resume a --epochs 1 --quiet
expect_status 2 "$SINCPROBE" train a.conf --epochs 3 --quiet
expect_match "$err" "'--epochs' goes with '--resume'" "--epochs without --resume"
ok; [ "$(wc -l <a/log.tsv)" -eq 3 ] || fail "a refused extension changed log.tsv"

expect_status 0 "$SINCPROBE" train --resume a --epochs 3 --quiet
expect_match "$err" "epochs: 3 in all \(was 2\)" "the extension is announced"
expect_status 0 "$SINCPROBE" train b.conf --quiet

# the same numbers as 3 epochs from scratch (all but the timing columns)
cut -f1-6 a/log.tsv >a.cols
cut -f1-6 b/log.tsv >b.cols
ok; [ "$(wc -l <a.cols)" -eq 4 ] || fail "extended log.tsv: expected 3 epochs: $(cat a.cols)"
ok; cmp -s a.cols b.cols || fail "extended run differs from a 3-epoch run: $(diff a.cols b.cols)"
# the same model: its posteriors, bit for bit
expect_status 0 "$SINCPROBE" activations a/checkpoints/last.ckpt --posteriors --layer act1 --out pa
expect_status 0 "$SINCPROBE" activations b/checkpoints/last.ckpt --posteriors --layer act1 --out pb
ok; cmp -s pa/posteriors.npy pb/posteriors.npy || fail "extended model's posteriors differ from the 3-epoch model's"
# a probe's files continue as in one run
ok; cmp -s a/probes/afr/afr.npy b/probes/afr/afr.npy || fail "afr.npy of the extended run differs"
ok; [ -f a/plots/learning_curves.png ] || [ -n "$(ls a/plots/*.png 2>/dev/null)" ] || fail "no figures after the extension"

# config.conf: the new total and nothing else
diff a.before a/config.conf >conf.diff
expect_match "$(cat conf.diff)" '^> epochs = 3$' "config.conf records epochs = 3"
ok; [ "$(grep -c '^[<>]' conf.diff)" -eq 2 ] || fail "config.conf changed beyond epochs: $(cat conf.diff)"
# the checkpoint records it too: resuming again trains nothing
expect_status 0 "$SINCPROBE" train --resume a --quiet
ok; [ "$(wc -l <a/log.tsv)" -eq 4 ] || fail "resuming the extended run trained again: $(cat a/log.tsv)"
finish
