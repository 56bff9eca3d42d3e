# cli.sh - the command dispatch, help, version, exit statuses and error
# message form.
. "$top_srcdir/tests/lib.sh"

expect_status 0 "$SINCPROBE" --version && expect_match "$out" '^sincprobe [0-9]+\.[0-9]+' "--version"
# OpenBLAS's kernels (nn/blas_core.h): on a CPU with AVX2 and FMA,
# sincprobe never runs the Prescott (SSE3) fallback OpenBLAS picks for a
# CPU it does not know; a user's own OPENBLAS_CORETYPE is respected.
expect_status 0 env -u OPENBLAS_CORETYPE "$SINCPROBE" --version
blas=$(printf '%s\n' "$out" | sed -n 2p)
expect_match "$blas" '^OpenBLAS .*; kernels for [A-Za-z0-9]+' "--version names the BLAS kernels"
if grep -qw avx2 /proc/cpuinfo && grep -qw fma /proc/cpuinfo; then
  ok
  case $blas in *"kernels for Prescott"*) fail "Prescott kernels on a CPU with AVX2: $blas" ;; esac
fi
expect_status 0 env OPENBLAS_CORETYPE=Prescott "$SINCPROBE" --version &&
  expect_match "$out" 'kernels for Prescott \(OPENBLAS_CORETYPE\)$' "a user's OPENBLAS_CORETYPE stands"
expect_status 0 "$SINCPROBE" help && expect_match "$out" 'corpus' "help lists commands"
expect_status 0 "$SINCPROBE" --help && expect_match "$out" '^usage: sincprobe COMMAND' "--help"
expect_status 2 "$SINCPROBE"
expect_status 2 "$SINCPROBE" frobnicate && expect_match "$err" "^sincprobe: unknown command 'frobnicate'" "unknown command"
expect_status 0 "$SINCPROBE" help corpus && expect_match "$out" '^usage: sincprobe corpus check' "help corpus"
expect_status 2 "$SINCPROBE" help frobnicate
expect_status 0 "$SINCPROBE" corpus --help
expect_status 2 "$SINCPROBE" corpus
expect_status 2 "$SINCPROBE" corpus frob && expect_match "$err" "unknown subcommand 'frob'" "corpus frob"
expect_status 0 "$SINCPROBE" corpus check --help && expect_match "$out" '^usage: sincprobe corpus check DIR' "check --help"
expect_status 2 "$SINCPROBE" corpus check && expect_match "$err" 'a corpus directory is required' "check without DIR"
expect_status 2 "$SINCPROBE" corpus check "$work" --split nope && expect_match "$err" "unknown split 'nope'" "bad split"
expect_status 2 "$SINCPROBE" corpus check "$work" --frob && expect_match "$err" "unknown option '--frob'" "bad option"
expect_status 1 "$SINCPROBE" corpus check "$work/missing" && expect_match "$err" "^sincprobe: corpus '.*missing' does not exist$" "missing dir"
expect_status 0 "$SINCPROBE" corpus synth --help && expect_match "$out" '^usage: sincprobe corpus synth' "synth --help"
expect_status 2 "$SINCPROBE" corpus synth --speakers x
# Errors are lowercase after the program name.
expect_status 2 "$SINCPROBE" corpus check "$work" --frob
expect_match "$(head -1 "$work/stderr")" '^sincprobe: [a-z]' "lowercase error"
finish
