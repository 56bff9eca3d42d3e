# probe-misbehave.sh - a probe that misbehaves is named with its hook
# (sincprobe-probe(3), "When a probe misbehaves"): a crash (SIGSEGV,
# SIGABRT, SIGFPE, SIGBUS) in on_batch or on_epoch_end, a hook that does
# not return within probe_timeout, exit() inside a hook, and NaN or Inf
# left in the batch by on_batch. Each run exits non-zero with the probe's
# ID, file and hook on stderr, and a crash leaves the checkpoints usable.
. "$top_srcdir/tests/lib.sh"
: "${top_builddir:?run through make check}"
fixtures="$top_builddir/tests/fixtures/.libs"
export SINCPROBE_PLUGIN_PATH="$fixtures:$top_builddir/plugins/.libs"
so="$fixtures/misbehave\.so"

# expect_failure WHAT CMD...: CMD exits non-zero (a signal's status or a
# sanitizer's 1); its stderr in $err.
expect_failure() {
  local what=$1 got
  shift
  "$@" >"$work/stdout" 2>"$work/stderr"
  got=$?
  err=$(cat "$work/stderr")
  ok
  [ "$got" -ne 0 ] || fail "$what: exited 0; stderr: $(head -c 600 "$work/stderr")"
}

tiny_corpus
# misbehave NAME SECTION-LINES...: a run with the probe [probe bad].
misbehave() {
  local name=$1
  shift
  conf "$work/$name" "[probe bad]\nuse = misbehave\n$*" >"$work/$name.conf"
  # (timeout -s KILL: without a watchdog a hung probe would hang the test,
  # and train takes SIGTERM as "stop after this step")
  expect_failure "$name" timeout -s KILL 30 "$SINCPROBE" train "$work/$name.conf" --quiet
}

# ---- crashes, named with the hook; the signal is the exit status
misbehave segv_batch 'what = segv\nhook = batch'
expect_match "$err" "^sincprobe: probe bad \($so\) crashed in on_batch: SIGSEGV$" "a segfault in on_batch"
misbehave abort_batch 'what = abort\nhook = batch\nskip = 3'
expect_match "$err" "^sincprobe: probe bad \($so\) crashed in on_batch: SIGABRT$" "abort() in on_batch"
misbehave fpe_batch 'what = fpe\nhook = batch'
expect_match "$err" "^sincprobe: probe bad \($so\) crashed in on_batch: SIGFPE$" "SIGFPE in on_batch"
misbehave bus_batch 'what = bus\nhook = gradients'
expect_match "$err" "^sincprobe: probe bad \($so\) crashed in on_gradients: SIGBUS$" "SIGBUS in on_gradients"
# At the second epoch's end: the first epoch's checkpoint is whole and
# evaluates.
misbehave segv_epoch 'what = segv\nhook = epoch_end\nskip = 1'
expect_match "$err" "^sincprobe: probe bad \($so\) crashed in on_epoch_end: SIGSEGV$" "a segfault in on_epoch_end"
ok; [ "$(awk -F'\t' 'NR > 1' "$work/segv_epoch/log.tsv" | wc -l)" -ge 1 ] || fail "no epoch logged before the crash"
expect_status 0 "$SINCPROBE" eval "$work/segv_epoch" --no-probes --split test --json
expect_match "$out" '"fer": [0-9.]+' "the crashed run's checkpoint evaluates"
ok; [ -z "$(find "$work/segv_epoch" -name '*.tmp*')" ] || fail "temporary files left: $(find "$work/segv_epoch" -name '*.tmp*')"
misbehave abort_epoch 'what = abort\nhook = epoch_end'
expect_match "$err" "^sincprobe: probe bad \($so\) crashed in on_epoch_end: SIGABRT$" "abort() in on_epoch_end"

# ---- a hang: the watchdog stops the run after probe_timeout seconds
start=$(date +%s)
misbehave hang 'what = hang\nhook = epoch_end\nprobe_timeout = 1.5'
expect_match "$err" "^sincprobe: probe bad \($so\) did not return from on_epoch_end within 2 s \(probe_timeout\)$" "a hung on_epoch_end"
ok; [ $(($(date +%s) - start)) -lt 60 ] || fail "the watchdog took $(($(date +%s) - start)) s"
misbehave hang_batch 'what = hang\nhook = batch\nprobe_timeout = 1'
expect_match "$err" "did not return from on_batch within 1 s" "a hung on_batch"
expect_match "$(cat "$work/hang_batch/config.conf")" '^probe_timeout = 1$' "config.conf records probe_timeout"
conf "$work/badtime" '[probe bad]\nuse = misbehave\nprobe_timeout = soon' >"$work/badtime.conf"
expect_status 2 "$SINCPROBE" train "$work/badtime.conf" --quiet
expect_match "$err" "badtime\.conf:[0-9]+: \[probe bad\] probe_timeout: 'soon' is not a number of seconds" "a bad probe_timeout"
expect_status 0 "$SINCPROBE" plugins misbehave
expect_match "$out" '^probe_timeout +float \[0, 604800\] +0 ' "plugins lists probe_timeout"

# ---- exit() inside a hook is an error, not a finished run
misbehave exit_batch 'what = exit\nhook = batch\nskip = 2'
expect_match "$err" "^sincprobe: probe bad \($so\) called exit\(\) in on_batch; the run did not finish$" "exit() in on_batch"
misbehave exit_epoch 'what = exit\nhook = epoch_end'
expect_match "$err" "called exit\(\) in on_epoch_end" "exit() in on_epoch_end"

# ---- NaN or Inf in the batch: the probe that wrote it is named
misbehave nan 'what = nan\nchunk = 3\nsample = 17'
expect_match "$err" "nan\.conf:[0-9]+: \[probe bad\] \('$so'\): on_batch: wrote non-finite audio \(NaN\) in on_batch at chunk 3, sample 17$" "NaN from on_batch"
# after a probe that leaves the audio alone, and before one that does:
# only the writer is named
conf "$work/inf" '[probe ok]\nuse = misbehave' '[probe bad]\nuse = misbehave\nwhat = inf\nchunk = 0\nsample = 0\nskip = 4' \
  '[probe after]\nuse = example' >"$work/inf.conf"
expect_status 1 "$SINCPROBE" train "$work/inf.conf" --quiet
expect_match "$err" "\[probe bad\] \('$so'\): on_batch: wrote non-finite audio \(-Inf\) in on_batch at chunk 0, sample 0$" "-Inf from the second probe"

# ---- a probe that behaves still trains to the end, exit 0
conf "$work/fine" '[probe good]\nuse = misbehave\nprobe_timeout = 60' >"$work/fine.conf"
expect_status 0 "$SINCPROBE" train "$work/fine.conf" --quiet
finish
