# train.sh - `sincprobe train`, `eval` and `decode` end to end on a small
# synthetic corpus: the run directory's files, bit-identical logs for the
# same seed, an interrupted and resumed run equal to an uninterrupted one,
# eval's JSON, decode's .PHN output, and config errors named by line.
. "$top_srcdir/tests/lib.sh"

c="$work/corpus"
expect_status 0 "$SINCPROBE" corpus synth --out "$c" --speakers 4 --test-speakers 2 --sentences 3 --seed 3 || finish

conf() { # conf RUNDIR [extra lines]
  cat <<CONF
[data]
corpus = $c
dev_utterances = 3
[model]
preset = small
input_ms = 50
filters = 8
taps = 65
conv = 8x3
dense = 32
[train]
epochs = 2
steps_per_epoch = 6
batch = 16
threads = 1
seed = 11
[run]
dir = $1
CONF
}
conf "$work/a" >"$work/a.conf"
expect_status 0 "$SINCPROBE" train "$work/a.conf" --quiet
for f in config.conf log.tsv checkpoints/last.ckpt checkpoints/best.ckpt; do
  ok; [ -s "$work/a/$f" ] || fail "run directory lacks $f"
done
ok; [ "$(head -1 "$work/a/log.tsv")" = "$(printf 'epoch\tlr\ttrain_loss\ttrain_fer\tdev_loss\tdev_fer\tseconds\texamples_per_s\tranks')" ] || fail "log.tsv header: $(head -1 "$work/a/log.tsv")"
ok; [ "$(wc -l <"$work/a/log.tsv")" -eq 3 ] || fail "log.tsv has $(wc -l <"$work/a/log.tsv") lines, expected 3"
expect_match "$err" 'parameters, [0-9.]+ per training frame' "parameter count printed"
# The resolved config has every key and trains the same model again.
expect_match "$(cat "$work/a/config.conf")" '^steps_per_epoch = 6$' "resolved config"
expect_match "$(cat "$work/a/config.conf")" '^lr_halving_threshold = ' "defaults filled in"

# Same seed and threads: the same numbers (all but the timing columns).
conf "$work/b" >"$work/b.conf"
expect_status 0 "$SINCPROBE" train "$work/b.conf" --quiet
cut -f1-6 "$work/a/log.tsv" >"$work/a.cols"
cut -f1-6 "$work/b/log.tsv" >"$work/b.cols"
ok; cmp -s "$work/a.cols" "$work/b.cols" || fail "same seed, different logs: $(diff "$work/a.cols" "$work/b.cols")"
# Another seed: different numbers.
conf "$work/s" | sed 's/^seed = 11$/seed = 12/' >"$work/s.conf"
expect_status 0 "$SINCPROBE" train "$work/s.conf" --quiet
cut -f1-6 "$work/s/log.tsv" >"$work/s.cols"
ok; ! cmp -s "$work/a.cols" "$work/s.cols" || fail "a different seed gave the same log"

# Interrupted mid-epoch (after 4 of 6 steps, then again in epoch 2), then
# resumed: the same numbers as the uninterrupted run.
conf "$work/r" >"$work/r.conf"
expect_status 0 "$SINCPROBE" train "$work/r.conf" --quiet --stop-after-steps 4
expect_match "$err" 'interrupted at epoch 1, step 4' "interruption message"
ok; [ "$(wc -l <"$work/r/log.tsv")" -eq 1 ] || fail "interrupted run logged an epoch"
expect_status 0 "$SINCPROBE" train --resume "$work/r" --quiet --stop-after-steps 5
expect_match "$err" 'interrupted at epoch 2, step 3' "second interruption"
expect_status 0 "$SINCPROBE" train --resume "$work/r" --quiet
cut -f1-6 "$work/r/log.tsv" >"$work/r.cols"
ok; cmp -s "$work/a.cols" "$work/r.cols" || fail "resumed run differs: $(diff "$work/a.cols" "$work/r.cols")"
# ... and the same final model: identical posteriors give identical decodes.
wav=$(find "$c/TEST" -name '*.WAV' | sort | head -1)
"$SINCPROBE" decode "$work/a/checkpoints/last.ckpt" "$wav" >"$work/a.phn" 2>/dev/null
"$SINCPROBE" decode "$work/r/checkpoints/last.ckpt" "$wav" >"$work/r.phn" 2>/dev/null
ok; [ -s "$work/a.phn" ] && cmp -s "$work/a.phn" "$work/r.phn" || fail "resumed model decodes differently"
# A finished run is not trained over.
expect_status 1 "$SINCPROBE" train "$work/a.conf" --quiet && expect_match "$err" 'already holds a run' "refuse to overwrite"

# eval: JSON with the documented keys, fractions in [0, 1].
expect_status 0 "$SINCPROBE" eval "$work/a" --split core --json
printf '%s\n' "$out" >"$work/eval.json"
ok; "$PY" - "$work/eval.json" <<'PY' || fail "eval JSON: $(cat "$work/eval.json")"
import json, sys
d = json.load(open(sys.argv[1]))
for k in ("fer", "per", "substitutions", "deletions", "insertions"):
    assert k in d, k
assert 0 <= d["fer"] <= 1 and d["per"] >= 0
assert d["substitutions"] + d["deletions"] <= d["reference_phones"]
assert d["split"] == "core"
PY
ok; [ -s "$work/a/eval-core-confusion.tsv" ] || fail "no confusion matrix"
expect_match "$(head -1 "$work/a/eval-core-confusion.tsv")" '^ref	aa	' "confusion header"
expect_status 0 "$SINCPROBE" eval "$work/a/checkpoints/last.ckpt" --split dev --min-duration 2 --insertion-penalty 1
expect_match "$out" '^PER ' "text summary"
expect_status 2 "$SINCPROBE" eval "$work/a" --split nope
expect_status 1 "$SINCPROBE" eval "$work/missing" && expect_match "$err" "cannot open model" "missing model"

# decode: .PHN lines covering the file, for a SPHERE file and a stereo
# 44.1 kHz WAV made with sox.
expect_status 0 "$SINCPROBE" decode "$work/a" "$wav"
ok; printf '%s\n' "$out" | awk 'NR==1 && $1!=0 {exit 1} {if ($1>=$2) exit 1; if (NR>1 && $1!=prev) exit 1; prev=$2} END {if (NR<1) exit 1}' ||
  fail "decode output is not contiguous .PHN lines: $(printf '%s' "$out" | head -5)"
if command -v sox >/dev/null; then
  sox "$wav" -r 44100 -c 2 "$work/stereo.wav"
  expect_status 0 "$SINCPROBE" decode "$work/a" "$work/stereo.wav" --no-lm
  expect_match "$err" 'averaging them to mono' "stereo notice"
fi
expect_status 1 "$SINCPROBE" decode "$work/a" "$work/nothing.wav"

# Config errors name the file and line; nothing is trained.
printf '[train]\nepochs = 2\nepoch = 3\n' >"$work/bad.conf"
expect_status 2 "$SINCPROBE" train "$work/bad.conf"
expect_match "$err" "bad.conf:3: unknown key 'epoch' in \\[train\\]" "unknown key named with line"
expect_status 2 "$SINCPROBE" train
expect_status 2 "$SINCPROBE" train "$work/a.conf" --resume "$work/a"
finish
