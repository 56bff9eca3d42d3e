#!/bin/sh
# run-fuzz.sh BINDIR SRCDIR SECONDS TARGET... - run each libFuzzer target
# BINDIR/fuzz_TARGET for SECONDS from its seeds (SRCDIR/seeds/TARGET; new
# inputs go to BINDIR/work/TARGET, a crash to BINDIR/artifacts/), then
# replay every reproducer in SRCDIR/crashes/TARGET. Each run and each
# replay is one test: a "PASS: ..." or "FAIL: ..." line, then automake's
# "# PASS: N" / "# FAIL: N" summary that ./run-tests counts. Exits 1 when
# any failed.
bindir=$1 srcdir=$2 seconds=$3
shift 3
pass=0 fail=0
mkdir -p "$bindir/artifacts"
for t in "$@"; do
  exe=$bindir/fuzz_$t log=$bindir/work/$t.log
  mkdir -p "$bindir/work/$t"
  # -timeout: an input taking over 10 s is a hang; -rss_limit_mb: a
  # reader must not ask for more memory than a small machine has.
  if "$exe" -max_total_time="$seconds" -timeout=10 -rss_limit_mb=2048 \
      -artifact_prefix="$bindir/artifacts/$t-" "$bindir/work/$t" "$srcdir/seeds/$t" >"$log" 2>&1; then
    echo "PASS: fuzz $t ($seconds s, $(ls "$bindir/work/$t" | wc -l) inputs in its corpus)"
    pass=$((pass + 1))
  else
    echo "FAIL: fuzz $t: the end of $log (the input is in $bindir/artifacts/):"
    tail -30 "$log"
    fail=$((fail + 1))
  fi
  repro=$(find "$srcdir/crashes/$t" -type f 2>/dev/null | sort)
  [ -n "$repro" ] || continue
  # Given files, libFuzzer runs each once and stops at the first crash.
  # shellcheck disable=SC2086
  if "$exe" $repro >"$log.replay" 2>&1; then
    echo "PASS: fuzz $t replays $(echo "$repro" | wc -l) reproducers"
    pass=$((pass + 1))
  else
    echo "FAIL: fuzz $t: a reproducer in $srcdir/crashes/$t crashes again; the end of $log.replay:"
    tail -30 "$log.replay"
    fail=$((fail + 1))
  fi
done
echo "# PASS: $pass"
echo "# FAIL: $fail"
[ "$fail" -eq 0 ]
