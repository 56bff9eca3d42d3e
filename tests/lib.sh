# lib.sh - sourced by the shell tests. Needs $SINCPROBE (the built binary)
# and $top_srcdir, set by make check (AM_TESTS_ENVIRONMENT).
set -u
: "${SINCPROBE:?run through make check}"
: "${top_srcdir:?run through make check}"
PY=${PYTHON:-/usr/bin/python3}
failures=0
checks=0
test_name=$(basename "$0" .sh)
work=$(mktemp -d "${TMPDIR:-/tmp}/sincprobe-$test_name-XXXXXX")
trap 'rm -rf "$work"' EXIT

fail() { echo "$test_name: FAIL: $*" >&2; failures=$((failures + 1)); }
ok() { checks=$((checks + 1)); }

# expect_status WANT CMD... : run CMD, keep its stdout/stderr in $out/$err.
expect_status() {
  local want=$1 got
  shift
  "$@" >"$work/stdout" 2>"$work/stderr"
  got=$?
  out=$(cat "$work/stdout")
  err=$(cat "$work/stderr")
  ok
  if [ "$got" -ne "$want" ]; then
    fail "'$*' exited $got, expected $want; stderr: $(head -c 600 "$work/stderr")"
    return 1
  fi
  return 0
}

# expect_match TEXT PATTERN WHAT : grep -E PATTERN in TEXT.
expect_match() {
  ok
  printf '%s\n' "$1" | grep -Eq -- "$2" || fail "$3: expected /$2/ in: $(printf '%s' "$1" | head -c 600)"
}

finish() {
  if [ "$failures" -ne 0 ]; then
    echo "$test_name: $failures of $checks checks failed" >&2
    exit 1
  fi
  echo "$test_name: all $checks checks passed"
  exit 0
}
