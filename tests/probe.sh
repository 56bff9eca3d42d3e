# probe.sh - the probe chain from the command line: `sincprobe plugins`,
# each refusal before training (not a probe, another ABI, an unknown
# option, a value of the wrong type, an unknown probe, a missing `use`, a
# probe's own refusal) with exit status 1, a message naming the config
# line and the plugin file, and no run directory; a run with probes trains
# the same numbers as one without; batches rewritten by a probe are what
# the network trains on; config.conf holds the resolved sections; resume;
# a probe failing mid-run; and `sincprobe eval` with the run's pipeline,
# another config's (--probes) or none (--no-probes).
. "$top_srcdir/tests/lib.sh"
: "${top_builddir:?run through make check}"
fixtures="$top_builddir/tests/fixtures/.libs"
export SINCPROBE_PLUGIN_PATH="$fixtures:$top_builddir/plugins/.libs"

# ---- sincprobe plugins
expect_status 0 "$SINCPROBE" plugins
expect_match "$(printf '%s\n' "$out" | head -1)" '^identifier	version	summary	file$' "plugins header"
expect_match "$out" '^example	1\.0	logs what the chain shows a probe.*	.*/plugins/\.libs/example\.so$' "plugins lists example"
expect_match "$out" '^mutate	0\.1	.*mutate\.so$' "plugins lists mutate"
expect_match "$out" '^needy	0\.1	.*mutate\.so$' "plugins lists a second probe of one file"
expect_match "$err" "notaprobe\.so' is not a sincprobe probe" "plugins warns of a non-probe"
expect_match "$err" "badabi\.so': probe 'badabi' was built for probe ABI 99" "plugins warns of another ABI"
expect_status 0 "$SINCPROBE" plugins example
expect_match "$out" '^example 1\.0: Example probe$' "plugins NAME title"
expect_match "$out" '^option +type +default +help$' "plugins NAME option header"
expect_match "$out" '^stat +enum rms\|peak +rms +the batch statistic logged$' "an enum option with its choices"
expect_match "$out" '^every +int \[0, 1000000000\] +0 +log batch statistics' "an int option with its range"
expect_match "$out" '^probe_frames +int' "the host's probe_frames"
expect_status 0 "$SINCPROBE" plugins mutate:needy && expect_match "$out" '^x +int +\(required\)' "a required option"
expect_status 0 "$SINCPROBE" plugins "$fixtures/mutate.so:needy" && expect_match "$out" '^needy 0\.1' "plugins PATH:ID"
expect_status 1 "$SINCPROBE" plugins nosuch && expect_match "$err" "^sincprobe: no probe 'nosuch' in " "plugins of an unknown probe"
expect_status 1 "$SINCPROBE" plugins badabi && expect_match "$err" "badabi\.so': probe 'badabi' was built for probe ABI 99; this sincprobe accepts ABI 1 to 3" "plugins of another ABI"
expect_status 1 "$SINCPROBE" plugins notaprobe && expect_match "$err" "notaprobe\.so' is not a sincprobe probe" "plugins of a non-probe"
expect_status 0 "$SINCPROBE" plugins "$fixtures/mutate.so" && expect_match "$out" '^mutate 0\.1' "plugins PATH"
expect_status 0 "$SINCPROBE" plugins --help && expect_match "$out" '^usage: sincprobe plugins \[NAME\]$' "plugins --help"
expect_status 2 "$SINCPROBE" plugins a b
expect_status 2 "$SINCPROBE" plugins --frob
expect_status 0 "$SINCPROBE" help && expect_match "$out" '^  plugins ' "help lists plugins"

# ---- a corpus and a config
tiny_corpus
lines=$(conf x | wc -l)  # the probe sections start on line lines + 1

# ---- refusals: exit 1, FILE:LINE, the plugin file, nothing written
refuse() { # refuse NAME LINE PATTERN SECTION
  local name=$1 line=$2 pattern=$3
  shift 3
  conf "$work/$name" "$@" >"$work/$name.conf"
  expect_status 2 "$SINCPROBE" train "$work/$name.conf" --quiet
  expect_match "$err" "^sincprobe: $work/$name\.conf:$line: $pattern" "$name: message with file and line"
  ok; [ ! -e "$work/$name" ] || fail "$name: the refused run wrote '$work/$name'"
}
refuse notprobe $((lines + 2)) "\[probe a\] use = notaprobe: '$fixtures/notaprobe\.so' is not a sincprobe probe: it has no function 'sincprobe_probe_descriptor'" \
  '[probe a]\nuse = notaprobe'
refuse abi $((lines + 3)) "\[probe a\] use = badabi: '$fixtures/badabi\.so': probe 'badabi' was built for probe ABI 99; this sincprobe accepts ABI 1 to 3" \
  '[probe a]\n# from the future\nuse = badabi'
refuse option $((lines + 3)) "\[probe a\] unknown option 'nfft' for probe 'example' \('.*/example\.so'\); its options: every, layer, filters, stat" \
  '[probe a]\nuse = example\nnfft = 512'
refuse type $((lines + 5)) "\[probe b\] every: 'often' is not an integer \(expected int \[0, 1000000000\]; probe 'example', '.*/example\.so'\)" \
  '[probe a]\nuse = example' '[probe b]\nuse = example\nevery = often'
refuse float $((lines + 3)) "\[probe a\] gain: 'loud' is not a number \(expected float \[-100, 100\]; probe 'mutate', '$fixtures/mutate\.so'\)" \
  '[probe a]\nuse = mutate\ngain = loud'
# `use = NAME` opens NAME.so only: not the other files of the path to
# look for an identifier NAME (loading a file runs its constructors;
# notaprobe.so's writes a line to $SP_TEST_CTOR_MARK). needy is the
# second probe of mutate.so: `use = mutate:needy`, not `use = needy`.
export SP_TEST_CTOR_MARK="$work/ctor.mark"
refuse unknown $((lines + 2)) "\[probe a\] use = nosuch: no probe 'nosuch' in $fixtures:.*: no file 'nosuch\.so' in those directories" '[probe a]\nuse = nosuch'
refuse second $((lines + 2)) "\[probe a\] use = needy: no probe 'needy' in $fixtures:.*: no file 'needy\.so' in those directories \(.*'use = FILE:ID'" \
  '[probe a]\nuse = needy\nx = 1'
ok; [ ! -e "$SP_TEST_CTOR_MARK" ] || fail "use = nosuch or needy loaded other files of the path: $(cat "$SP_TEST_CTOR_MARK")"
expect_status 0 "$SINCPROBE" plugins
ok; [ -s "$SP_TEST_CTOR_MARK" ] || fail "the listing loads every file (as sincprobe-plugins(1) says), notaprobe.so's constructor did not run"
unset SP_TEST_CTOR_MARK
# A world-writable directory of the path, or probe file, is warned of by name.
path0=$SINCPROBE_PLUGIN_PATH
export SINCPROBE_PLUGIN_PATH="$work/open:$path0"
mkdir -p "$work/open" && cp "$fixtures/mutate.so" "$work/open/mutate.so" && chmod 777 "$work/open" && chmod 644 "$work/open/mutate.so"
expect_status 0 "$SINCPROBE" plugins mutate
expect_match "$err" "^sincprobe: warning: probe directory '$work/open' is world-writable" "a world-writable directory"
ok; ! printf '%s\n' "$err" | grep -q "probe file" || fail "a file that is not world-writable warned of: $err"
chmod 755 "$work/open" && chmod 666 "$work/open/mutate.so"
expect_status 0 "$SINCPROBE" plugins mutate
expect_match "$err" "^sincprobe: warning: probe file '$work/open/mutate\.so' is world-writable" "a world-writable probe file"
ok; ! printf '%s\n' "$err" | grep -q "probe directory" || fail "a directory that is not world-writable warned of: $err"
chmod 644 "$work/open/mutate.so"
expect_status 0 "$SINCPROBE" plugins mutate
ok; [ -z "$err" ] || fail "warnings without a world-writable path: $err"
export SINCPROBE_PLUGIN_PATH="$path0"
refuse nouse $((lines + 1)) "\[probe a\] has no 'use = NAME' naming the probe to run" '[probe a]\nevery = 2'
refuse required $((lines + 1)) "\[probe a\] lacks option 'x' of probe 'needy' \('$fixtures/mutate\.so'\)" '[probe a]\nuse = mutate:needy'
refuse noid $((lines + 2)) "\[probe a\] use = mutate:nosuch: '$fixtures/mutate\.so' has no probe 'nosuch' \(it has mutate, needy\); name one of them as 'use = mutate:ID'" \
  '[probe a]\nuse = mutate:nosuch'
refuse create $((lines + 4)) "\[probe a\] \('$fixtures/mutate\.so'\): create: gain: 2 will not do" \
  '[probe a]\nuse = mutate\nfail = gain\ngain = 2'
# Several problems: each reported.
conf "$work/many" '[probe a]\nuse = nosuch' '[probe b]\nuse = example\nevery = x' >"$work/many.conf"
expect_status 2 "$SINCPROBE" train "$work/many.conf" --quiet
ok; [ "$(grep -c "many\.conf:[0-9]*: \[probe" "$work/stderr")" -eq 2 ] || fail "two problems expected: $err"

# ---- a run with probes trains the same numbers as one without
conf "$work/plain" >"$work/plain.conf"
expect_status 0 "$SINCPROBE" train "$work/plain.conf" --quiet
ok; [ ! -e "$work/plain/probes" ] || fail "a run without probes made a probes folder"
conf "$work/ex" '[probe ex]\nuse = example\nevery = 3\nlayer = act1\nprobe_frames = 30' \
  '[probe m]\nuse = mutate\nroles = train,dev' >"$work/ex.conf"
expect_status 0 "$SINCPROBE" train "$work/ex.conf" --quiet
expect_match "$err" '^probes: ex \(example 1\.0\), m \(mutate 0\.1\)$' "the chain is announced"
expect_match "$err" '^probe ex: step 3: rms ' "a probe's log line"
cut -f1-6 "$work/plain/log.tsv" >"$work/plain.cols"
cut -f1-6 "$work/ex/log.tsv" >"$work/ex.cols"
ok; cmp -s "$work/plain.cols" "$work/ex.cols" || fail "probes that change nothing changed training: $(diff "$work/plain.cols" "$work/ex.cols")"
for f in epochs.tsv epochs.npy filters.npy cutoffs.tsv acts.npy labels.npy; do
  ok; [ -s "$work/ex/probes/ex/$f" ] || fail "example probe did not write $f"
done
ok; [ -s "$work/ex/probes/m/counts.tsv" ] || fail "mutate did not write counts.tsv"
# the template's report manifest: its panel is in report.html, drawn
ok; [ -s "$work/ex/probes/ex/report.manifest" ] || fail "example probe did not write report.manifest"
expect_match "$(cat "$work/ex/report.html")" 'Example probe' "the example probe's heading in report.html"
expect_match "$(cat "$work/ex/report.html")" 'mean gradient norm by epoch' "the example probe's caption in report.html"
ok; ls "$work/ex/plots/" | grep -q 'example_grad_norm.*\.png' || fail "no example_grad_norm figure in plots/: $(ls "$work/ex/plots/")"

# ---- a probe built for ABI 1 still runs in this ABI 3 host
expect_status 0 "$SINCPROBE" plugins abi1:abione && expect_match "$out" '^abi +1$' "plugins shows the ABI 1 probe's version"
conf "$work/one" '[probe a]\nuse = abi1:abione\nprobe_frames = 20' >"$work/one.conf"
expect_status 0 "$SINCPROBE" train "$work/one.conf" --quiet
ok; [ "$(awk -F'\t' 'NR > 1 {printf "%s:%s ", $1, $2}' "$work/one/probes/a/epochs.tsv")" = "1:20 2:20 " ] ||
  fail "the ABI 1 probe's epochs.tsv: $(cat "$work/one/probes/a/epochs.tsv" 2>&1)"

# ---- want_steps (ABI 2): views after chosen global steps, at_step = 1;
# a count at an epoch's end is the epoch-end view; training is unchanged.
conf "$work/steps" '[probe m]\nuse = mutate\nsteps = 9,2,4,6,4\nprobe_frames = 20' >"$work/steps.conf"
expect_status 0 "$SINCPROBE" train "$work/steps.conf" --quiet
ok; [ "$(awk -F'\t' 'NR > 1 {printf "%s:%s:%s:%s ", $1, $2, $3, $4}' "$work/steps/probes/m/views.tsv")" = \
  "1:2:1:20 1:4:1:20 1:6:0:20 2:9:1:20 2:12:0:20 " ] || fail "views.tsv: $(cat "$work/steps/probes/m/views.tsv")"
ok; [ "$(awk -F'\t' 'NR > 1 {print $5}' "$work/steps/probes/m/views.tsv" | sort -u | wc -l)" -eq 5 ] ||
  fail "the views' activations do not change between steps: $(cat "$work/steps/probes/m/views.tsv")"
cut -f1-6 "$work/steps/log.tsv" >"$work/steps.cols"
ok; cmp -s "$work/plain.cols" "$work/steps.cols" || fail "views at steps changed training: $(diff "$work/plain.cols" "$work/steps.cols")"
conf "$work/steps13" '[probe m]\nuse = mutate\nsteps = 13' >"$work/steps13.conf"
expect_status 1 "$SINCPROBE" train "$work/steps13.conf" --quiet
expect_match "$err" "on_start: want_steps: step 13 is not in 1 \.\. 12" "want_steps out of range"
ok; [ ! -e "$work/steps13" ] || fail "a run that failed in on_start left its directory"
ok; [ "$(find "$work/ex" -name '*.tmp.*' | wc -l)" -eq 0 ] || fail "temporary files left behind"
expect_match "$(cat "$work/ex/probes/log.txt")" '^probe ex: finished \(completed\)$' "the probe log"
expect_match "$(head -1 "$work/ex/probes/ex/epochs.tsv")" '^epoch	step	lr	train_loss	dev_fer	train_batches	dev_batches	grad_norm	mean_abs_act$' "epochs.tsv header"
ok; [ "$(awk -F'\t' 'NR > 1 {print $1 ":" $6}' "$work/ex/probes/ex/epochs.tsv" | tr '\n' ' ')" = "1:6 2:6 " ] ||
  fail "epochs.tsv rows: $(cat "$work/ex/probes/ex/epochs.tsv")"
# config.conf: the resolved sections, every option filled in.
cfg=$(cat "$work/ex/config.conf")
expect_match "$cfg" '^\[probe ex\]$' "config.conf probe section"
expect_match "$cfg" '^probe_frames = 30$' "config.conf probe_frames"
expect_match "$cfg" '^filters = yes$' "config.conf default filled in"
expect_match "$cfg" '^stat = rms$' "config.conf enum default"
expect_match "$cfg" '^fail = none$' "config.conf the second probe's defaults"
ok; [ "$(grep -c '^\[probe ' "$work/ex/config.conf")" -eq 2 ] || fail "config.conf has not 2 probe sections"

# ---- a probe's rewriting reaches the network
conf "$work/lab" '[probe m]\nuse = mutate\nlabels = 5' >"$work/lab.conf"
expect_status 0 "$SINCPROBE" train "$work/lab.conf" --quiet
ok; awk -F'\t' 'NR == FNR && FNR == 3 {plain = $4} NR != FNR && FNR == 3 {exit !($4 < plain - 0.1)}' \
  "$work/plain/log.tsv" "$work/lab/log.tsv" ||
  fail "one label everywhere should be learnt faster: $(cut -f4 "$work/plain/log.tsv" | tr '\n' ' ') vs $(cut -f4 "$work/lab/log.tsv" | tr '\n' ' ')"
conf "$work/zero" '[probe m]\nuse = mutate\naudio = zero' >"$work/zero.conf"
expect_status 0 "$SINCPROBE" train "$work/zero.conf" --quiet
cut -f1-6 "$work/zero/log.tsv" >"$work/zero.cols"
ok; ! cmp -s "$work/plain.cols" "$work/zero.cols" || fail "zeroed training audio changed nothing"
conf "$work/badlab" '[probe m]\nuse = mutate\nlabels = 48' >"$work/badlab.conf"
expect_status 1 "$SINCPROBE" train "$work/badlab.conf" --quiet
expect_match "$err" "badlab\.conf:$((lines + 1)): \[probe m\] \('$fixtures/mutate\.so'\): on_batch: label 48 of chunk 0 is outside \[0, 48\)" "a label out of range"

# ---- a probe failing mid-run stops it; the others still finish
conf "$work/fail" '[probe ex]\nuse = example' '[probe m]\nuse = mutate\nfail = epoch_end' >"$work/fail.conf"
expect_status 1 "$SINCPROBE" train "$work/fail.conf" --quiet
expect_match "$err" "fail\.conf:$((lines + 3)): \[probe m\] \('$fixtures/mutate\.so'\): on_epoch_end: asked to fail in on_epoch_end" "a failing hook"
expect_match "$(cat "$work/fail/probes/log.txt")" '^probe ex: finished \(failed\)$' "on_finish after a failure"

# ---- resume: the probes continue (epochs_done) and training is unchanged
conf "$work/res" '[probe ex]\nuse = example\nlayer = act1\nprobe_frames = 30' '[probe m]\nuse = mutate\nroles = train,dev' >"$work/res.conf"
expect_status 0 "$SINCPROBE" train "$work/res.conf" --quiet --stop-after-steps 8
expect_match "$(cat "$work/res/probes/log.txt")" '^probe ex: finished \(interrupted\)$' "on_finish of an interrupted run"
expect_status 0 "$SINCPROBE" train --resume "$work/res" --quiet
expect_match "$err" '^probes: ex \(example 1\.0\), m \(mutate 0\.1\)$' "the resumed run has its probes"
cut -f1-6 "$work/res/log.tsv" >"$work/res.cols"
ok; cmp -s "$work/plain.cols" "$work/res.cols" || fail "resumed run differs: $(diff "$work/plain.cols" "$work/res.cols")"
ok; [ "$(awk -F'\t' 'NR > 1 {print $1}' "$work/res/probes/ex/epochs.tsv" | tr '\n' ' ')" = "1 2 " ] ||
  fail "resumed epochs.tsv: $(cat "$work/res/probes/ex/epochs.tsv")"
# The resume continued inside epoch 2 (8 of 12 steps done); the example
# probe kept that epoch's tallies (partial.npy, saved by on_finish when
# interrupted, taken back at the same step), so its table is that of the
# uninterrupted run: 6 training batches an epoch, the same gradient norms.
ok; [ -s "$work/res/probes/ex/partial.npy" ] || fail "the interrupted example probe saved no partial.npy"
cut -f1,6,8 "$work/ex/probes/ex/epochs.tsv" >"$work/ex.tallies"
cut -f1,6,8 "$work/res/probes/ex/epochs.tsv" >"$work/res.tallies"
ok; cmp -s "$work/ex.tallies" "$work/res.tallies" ||
  fail "the resumed example probe's tallies differ from the uninterrupted run's: $(diff "$work/ex.tallies" "$work/res.tallies")"
# A resumed run whose probe is gone is refused, naming its stored config
# (the checkpoint's) and the line there.
mkdir -p "$work/gone/checkpoints" "$work/empty"
cp "$work/res/checkpoints/last.ckpt" "$work/gone/checkpoints/last.ckpt"
saved=$SINCPROBE_PLUGIN_PATH
export SINCPROBE_PLUGIN_PATH="$work/empty"
expect_status 1 "$SINCPROBE" train --resume "$work/gone" --quiet
export SINCPROBE_PLUGIN_PATH="$saved"
expect_match "$err" "gone/checkpoints/last\.ckpt \(its config\):[0-9]+: \[probe m\] use = mutate: no probe 'mutate' in $work/empty:" "resume without the probe"
ok; [ ! -e "$work/gone/log.tsv" ] || fail "the refused resume wrote log.tsv"

# ---- a probe loaded by a relative path (relative to the config file's
# folder, whatever the current directory) is recorded by its absolute
# path, so a resume and an eval from another directory find it.
mkdir -p "$work/here/sub" "$work/elsewhere"
cp "$fixtures/mutate.so" "$work/here/sub/mutate.so"
here=$(cd "$work/here" && pwd -P)
conf "$work/rel" '[probe m]\nuse = ./sub/mutate.so\nroles = train,test' '[probe n]\nuse = sub/mutate.so:needy\nx = 2' >"$work/here/rel.conf"
cd "$work/elsewhere" || fail "cd $work/elsewhere"
expect_status 0 "$SINCPROBE" train "$work/here/rel.conf" --quiet --stop-after-steps 8
cd "$work/elsewhere" || fail "cd $work/elsewhere"
cfg=$(cat "$work/rel/config.conf")
expect_match "$cfg" "^use = $here/sub/mutate\.so\$" "config.conf records the probe's absolute path"
expect_match "$cfg" "^use = $here/sub/mutate\.so:needy\$" "config.conf records PATH:ID absolute"
expect_status 0 "$SINCPROBE" train --resume "$work/rel" --quiet
expect_match "$err" '^probes: m \(mutate 0\.1\), n \(needy 0\.1\)$' "the resumed run, from another directory, has its probes"
expect_status 0 "$SINCPROBE" eval "$work/rel" --split test
ok; grep -q '^2	[1-9][0-9]*	' "$work/rel/eval-test/probes/m/counts.tsv" 2>/dev/null ||
  fail "eval from another directory did not run the probe loaded by path: $(cat "$work/rel/eval-test/probes/m/counts.tsv" 2>&1)"
cd "$work" || fail "cd $work"

# ---- eval: the run's own pipeline, another config's, or none
expect_status 0 "$SINCPROBE" eval "$work/ex" --split test --json
fer_own=$(printf '%s' "$out" | sed -n 's/.*"fer": \([0-9.e+-]*\).*/\1/p')
ok; grep -q '^2	[1-9][0-9]*	' "$work/ex/eval-test/probes/m/counts.tsv" 2>/dev/null ||
  fail "eval did not pass the test batches through the chain: $(cat "$work/ex/eval-test/probes/m/counts.tsv" 2>&1)"
ok; [ -s "$work/ex/eval-test/probes/ex/batches.tsv" ] || fail "eval: example's batches.tsv"
expect_status 0 "$SINCPROBE" eval "$work/ex" --split dev --no-probes --json
ok; ! ls -d "$work/ex"/eval-dev*/ >/dev/null 2>&1 || fail "--no-probes made probe folders"
expect_status 0 "$SINCPROBE" eval "$work/ex" --split test --no-probes --json
fer_none=$(printf '%s' "$out" | sed -n 's/.*"fer": \([0-9.e+-]*\).*/\1/p')
loss_none=$(printf '%s' "$out" | sed -n 's/.*"loss": \([0-9.e+-]*\).*/\1/p')
ok; [ -n "$fer_own" ] && [ "$fer_own" = "$fer_none" ] || fail "a pipeline that leaves test audio alone changed FER: $fer_own vs $fer_none"
# Mismatched condition: the test audio silenced by another config's probe.
conf "$work/unused" '[probe silence]\nuse = mutate\naudio = zero\nroles = test' >"$work/silence.conf"
expect_status 0 "$SINCPROBE" eval "$work/ex" --split test --probes "$work/silence.conf" --json
loss_zero=$(printf '%s' "$out" | sed -n 's/.*"loss": \([0-9.e+-]*\).*/\1/p')
expect_match "$err" '^probes: silence \(mutate 0\.1\)$' "eval announces the chain"
# (the loss, not the FER: a model trained for seconds may give every frame
# the same class, speech or silence)
ok; [ -n "$loss_zero" ] && [ "$loss_zero" != "$loss_none" ] || fail "silenced test audio gave the same loss ($loss_zero)"
ok; grep -q '^2	[1-9]' "$work/ex"/eval-test-c*/probes/silence/counts.tsv 2>/dev/null || fail "eval --probes: counts.tsv"
conf "$work/unused" '[probe s]\nuse = mutate\naudio = loud' >"$work/badeval.conf"
expect_status 2 "$SINCPROBE" eval "$work/ex" --split test --probes "$work/badeval.conf"
expect_match "$err" "badeval\.conf:$((lines + 3)): \[probe s\] audio: 'loud' is not one of keep\|zero\|scale" "eval --probes refusal"
expect_status 2 "$SINCPROBE" eval "$work/ex" --probes "$work/silence.conf" --no-probes
finish
