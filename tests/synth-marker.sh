# synth-marker.sh - the synthetic corpus's completion marker: a `corpus
# synth` killed half way leaves a tree that `corpus check` and `train`
# refuse as incomplete; a finished one passes; a TIMIT-like tree (no
# voices.tsv, no marker) passes; voices.tsv without a marker is a warning.
. "$top_srcdir/tests/lib.sh"

tiny_corpus
ok; [ "$(head -1 "$c/synth.status" 2>/dev/null)" = complete ] || fail "a finished synth writes synth.status 'complete'"
expect_status 0 "$SINCPROBE" corpus check "$c"

# Kill a long synth once it has written its first utterance.
k="$work/killed"
"$SINCPROBE" corpus synth --out "$k" --speakers 60 --test-speakers 4 --sentences 5 --seed 7 --jobs 1 \
  >"$work/synth.out" 2>&1 &
pid=$!
i=0
while [ $i -lt 600 ] && [ -z "$(find "$k" -name '*.PHN' 2>/dev/null | head -1)" ]; do
  sleep 0.05
  i=$((i + 1))
done
kill -KILL "$pid" 2>/dev/null
wait "$pid" 2>/dev/null
sleep 1 # the worker finishes its utterance, finds its parent gone and exits
ok; [ -n "$(find "$k" -name '*.PHN' | head -1)" ] || fail "the killed synth wrote no utterance"
ok; [ ! -e "$k/voices.tsv" ] || fail "the synth finished before it was killed; the test needs a longer one"
expect_status 1 "$SINCPROBE" corpus check "$k"
expect_match "$err" "^$k/synth.status:1: incomplete synthetic corpus: 'sincprobe corpus synth' did not finish" "killed synth refused"
expect_match "$err" "sincprobe corpus synth --out $k" "says how to remake it"
expect_status 1 "$SINCPROBE" corpus check "$k" --split train --json
conf "$work/run" | sed "s|^corpus = .*|corpus = $k|" >"$work/run.conf"
expect_status 1 "$SINCPROBE" train "$work/run.conf" --quiet
expect_match "$err" "incomplete synthetic corpus" "train refuses the incomplete corpus"

# A marker edited back to incomplete is refused too.
e="$work/edited"
cp -r "$c" "$e"
echo incomplete >"$e/synth.status"
expect_status 1 "$SINCPROBE" corpus check "$e"
expect_match "$err" "incomplete synthetic corpus" "marker saying incomplete"

# Without the marker but with voices.tsv: a warning; --strict refuses.
rm "$e/synth.status"
expect_status 0 "$SINCPROBE" corpus check "$e"
expect_match "$err" "warning: $e/voices.tsv: synthetic corpus without synth.status" "voices.tsv without a marker warned about"
expect_status 1 "$SINCPROBE" corpus check "$e" --strict

# A real TIMIT tree has neither: it passes without a word.
rm "$e/voices.tsv"
expect_status 0 "$SINCPROBE" corpus check "$e"
expect_match "$out" '^warnings +0$' "TIMIT-like tree: no warnings"
finish
